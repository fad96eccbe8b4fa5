"""UI strings from content/messages.yaml, addressed by dotted key."""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml


class Messages:
    def __init__(self, flat: Mapping[str, str], parsing: Mapping[str, Any]) -> None:
        self._flat = dict(flat)
        self.parsing = dict(parsing)

    @classmethod
    def load(cls, path: Path) -> Messages:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        if not isinstance(raw, dict):
            raise ValueError(f"{path}: expected a mapping at the top level")
        parsing = raw.pop("parsing", {})
        flat: dict[str, str] = {}
        _flatten(raw, "", flat, path)
        return cls(flat, parsing)

    def __contains__(self, key: str) -> bool:
        return key in self._flat

    def keys(self) -> list[str]:
        return list(self._flat)

    def get(self, key: str, **values: object) -> str:
        template = self._flat[key]
        if not values:
            return template
        return template.format_map(_Safe(values))

    def placeholders(self, key: str) -> set[str]:
        return {
            name
            for _, name, _, _ in string.Formatter().parse(self._flat[key])
            if name is not None and name != ""
        }


class _Safe(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _flatten(node: Any, prefix: str, out: dict[str, str], path: Path) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            _flatten(value, f"{prefix}.{key}" if prefix else str(key), out, path)
    elif isinstance(node, str):
        out[prefix] = node.rstrip("\n")
    else:
        raise ValueError(f"{path}: entry {prefix!r}: expected text, got {type(node).__name__}")
