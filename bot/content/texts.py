"""One language's UI strings (``content/locales/<lang>/messages.yaml``), by dotted key.

Keys name the reply that carries them (``start.welcome``, ``settings.time_set``). Values
are ``str.format`` templates: ``{when}`` is filled in by the code that sends them. The
``parsing`` section holds the words the coach understands (yes, no, numbers, weekdays).
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from typing import Any


class Texts:
    def __init__(self, locale: str, flat: Mapping[str, str], parsing: Mapping[str, Any]) -> None:
        self.locale = locale
        self._flat = dict(flat)
        self.parsing = dict(parsing)

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
        return placeholders(self._flat[key])


def placeholders(template: str) -> set[str]:
    """The ``{names}`` a template uses (raises ValueError on a malformed one)."""
    return {
        name for _, name, _, _ in string.Formatter().parse(template)
        if name is not None and name != ""
    }


class _Safe(dict[str, object]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def flatten(node: Any, prefix: str, out: dict[str, str], problems: list[str], label: str) -> None:
    """``{a: {b: text}}`` -> ``{"a.b": text}``; anything but text is a problem."""
    if isinstance(node, dict):
        for key, value in node.items():
            flatten(value, f"{prefix}.{key}" if prefix else str(key), out, problems, label)
    elif isinstance(node, str):
        out[prefix] = node.rstrip("\n")
    else:
        problems.append(f"{label}: entry '{prefix}': expected text, got {type(node).__name__}")
