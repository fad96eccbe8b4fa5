"""Reading one content YAML file and reporting its problems by file, entry and field.

Every problem reads ``<file>: <entry>: field '<field>': <message>``, for example
``content/locales/en/exercises.yaml: exercise 'clamshell': field 'steps': Field required``.
Positions in lists count from 1 (``phase #3``, ``field 'steps[2]'``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

Loc = tuple[str | int, ...]
EntryMode = Literal["list", "dict", "single"]


# libyaml's parser when PyYAML was built with it (the wheels are): reading the content took
# about 0.8 s of every start-up with the pure-Python one, a tenth of that with libyaml.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _UniqueKeyLoader(_SafeBase):  # type: ignore[valid-type,misc]
    """A safe loader that refuses duplicate keys instead of keeping the last one."""


def _construct_unique_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _value in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"duplicate key {key!r}",
                key_node.start_mark,
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=True)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_unique_mapping
)


@dataclass(frozen=True)
class FileSpec:
    """How to name the entry an error belongs to, per top-level key of a file.

    ``entries`` maps a top-level key to (entry word, mode): ``list`` entries are named by
    their ``id`` (or position), ``dict`` entries by their key, ``single`` by the word alone.
    ``top_entries``: the file itself is a mapping of entries (``exercise 'clamshell'``).
    ``tags``: union discriminator names pydantic inserts into locations (dropped).
    """

    entries: dict[str, tuple[str, EntryMode]]
    top_entries: str | None = None
    tags: frozenset[str] = frozenset()


def field_name(loc: Loc) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part + 1}]"
        else:
            out += f".{part}" if out else part
    return out


class Reporter:
    """Collects the problems of one file."""

    def __init__(self, label: str, spec: FileSpec, problems: list[str]) -> None:
        self.label = label
        self.spec = spec
        self.raw: Any = None
        self.problems = problems
        self.count = 0

    def entry_label(self, word: str, items: Any, index: int) -> str:
        item = items[index] if isinstance(items, list) and 0 <= index < len(items) else None
        item_id = item.get("id") if isinstance(item, dict) else None
        if isinstance(item_id, str) and item_id.strip():
            return f"{word} '{item_id}'"
        return f"{word} #{index + 1}"

    def locate(self, loc: Loc) -> tuple[str, Loc]:
        """(entry label, field location inside the entry) for a location in the file."""
        top = loc[0] if loc else None
        if self.spec.top_entries is not None and isinstance(top, str):
            rest = self._untag(loc[1:])
            return f"{self.spec.top_entries} '{top}'", rest
        if isinstance(top, str) and top in self.spec.entries and len(loc) >= 2:
            word, mode = self.spec.entries[top]
            raw_top = self.raw.get(top) if isinstance(self.raw, dict) else None
            rest = loc[2:]
            if mode == "list" and isinstance(loc[1], int):
                label = self.entry_label(word, raw_top, loc[1])
            elif mode == "dict":
                label = f"{word} '{loc[1]}'"
            else:
                label, rest = word, loc[1:]
            return label, self._untag(rest)
        return "top level", loc

    def _untag(self, rest: Loc) -> Loc:
        if rest and isinstance(rest[0], str) and rest[0] in self.spec.tags:
            return rest[1:]
        return rest

    def add(self, message: str, entry: str | None = None, field_loc: Loc = ()) -> None:
        parts = [self.label]
        if entry:
            parts.append(entry)
        if field_loc:
            parts.append(f"field '{field_name(field_loc)}'")
        parts.append(message)
        self.problems.append(": ".join(parts))
        self.count += 1

    def at(self, loc: Loc, message: str) -> None:
        entry, rest = self.locate(loc)
        self.add(message, entry, rest)

    def validation_error(self, err: ValidationError, prefix: Loc = ()) -> None:
        for e in err.errors(include_url=False):
            loc: Loc = (*prefix, *tuple(e["loc"]))
            message = str(e["msg"])
            if e["type"] in ("union_tag_not_found", "union_tag_invalid"):
                loc = (*loc, "kind")
                if e["type"] == "union_tag_not_found":
                    message = "Field required"
            self.at(loc, message)


def read_yaml(path: Path, label: str, spec: FileSpec, problems: list[str]) -> Reporter:
    """Read ``path`` into ``Reporter.raw`` (``None`` when it could not be read)."""
    rep = Reporter(label, spec, problems)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        rep.add("file not found")
        return rep
    except (OSError, UnicodeDecodeError) as exc:
        rep.add(f"cannot read file: {exc}")
        return rep
    try:
        raw = yaml.load(text, Loader=_UniqueKeyLoader)  # a safe loader
    except yaml.YAMLError as exc:
        where = ""
        mark = getattr(exc, "problem_mark", None)
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        rep.add(f"invalid YAML{where}: {problem}")
        return rep
    if not isinstance(raw, dict):
        rep.add("the file must hold a mapping of fields at the top level")
        return rep
    rep.raw = raw
    return rep


_M = TypeVar("_M", bound=BaseModel)


def validate(rep: Reporter, model: type[_M], raw: Any = None, prefix: Loc = ()) -> _M | None:
    """``raw`` (default: the whole file) as ``model``, or None with the problems reported."""
    data = rep.raw if raw is None else raw
    if data is None:
        return None
    try:
        return model.model_validate(data)
    except ValidationError as err:
        rep.validation_error(err, prefix)
        return None


def walk_texts(value: Any, loc: Loc = ()) -> Iterator[tuple[Loc, str]]:
    """Every string inside a model (or plain data), with its location."""
    if isinstance(value, str):
        yield loc, value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from walk_texts(getattr(value, name), (*loc, name))
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from walk_texts(item, (*loc, i))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from walk_texts(item, (*loc, str(key)))
