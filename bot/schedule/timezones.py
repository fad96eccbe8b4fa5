"""The time-zone content: quick-choice buttons and place aliases from content/timezones.yaml.

The parsing itself is ``bot.domain.zones``; this module only reads and validates the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from bot.content import default_content_root
from bot.domain.zones import TimeZoneChoice, fold_place, known_zone_keys, parse_zone, zone_from_name

__all__ = [
    "COMMON_ZONES",
    "TimeZoneChoice",
    "TimezoneContent",
    "ZoneButton",
    "load_timezone_content",
    "parse_timezone",
    "zone_from_name",
]

BUTTON_LABEL_MAX = 80  # Discord button label limit
BUTTON_ZONE_MAX_BYTES = 40  # leaves room for the action prefix within 64 bytes of callback_data


@dataclass(frozen=True, slots=True)
class ZoneButton:
    label: str
    zone: str


@dataclass(frozen=True, slots=True)
class TimezoneContent:
    buttons: tuple[ZoneButton, ...]
    aliases: Mapping[str, str]  # folded place name -> IANA key


def _as_str_list(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ValueError(f"{where}: expected a list of non-empty strings")
    return value


def load_timezone_content(path: Path | None = None) -> TimezoneContent:
    """Load and validate ``content/timezones.yaml`` (or ``path``)."""
    source = path or default_content_root() / "timezones.yaml"
    raw = yaml.safe_load(source.read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{source}: expected a mapping with 'buttons' and 'aliases'")
    known = known_zone_keys()

    buttons: list[ZoneButton] = []
    raw_buttons = raw.get("buttons")
    if not isinstance(raw_buttons, list) or not raw_buttons:
        raise ValueError(f"{source}: 'buttons' must be a non-empty list")
    for i, item in enumerate(raw_buttons):
        if not isinstance(item, dict) or set(item) != {"label", "zone"}:
            raise ValueError(f"{source}: buttons[{i}] needs exactly 'label' and 'zone'")
        label, zone = item["label"], item["zone"]
        if not isinstance(label, str) or not 1 <= len(label) <= BUTTON_LABEL_MAX:
            raise ValueError(f"{source}: buttons[{i}].label must be 1-{BUTTON_LABEL_MAX} chars")
        if not isinstance(zone, str) or zone not in known:
            raise ValueError(f"{source}: buttons[{i}].zone {zone!r} is not an IANA zone")
        if len(zone.encode()) > BUTTON_ZONE_MAX_BYTES:
            raise ValueError(f"{source}: buttons[{i}].zone is too long for button data")
        buttons.append(ZoneButton(label=label, zone=zone))
    if len(buttons) > 25:
        raise ValueError(f"{source}: at most 25 buttons (5 rows of 5)")

    aliases: dict[str, str] = {}
    raw_aliases = raw.get("aliases") or {}
    if not isinstance(raw_aliases, dict):
        raise ValueError(f"{source}: 'aliases' must map IANA zones to lists of names")
    for zone, names in raw_aliases.items():
        if not isinstance(zone, str) or zone not in known:
            raise ValueError(f"{source}: alias zone {zone!r} is not an IANA zone")
        for name in _as_str_list(names, f"{source}: aliases[{zone}]"):
            folded = fold_place(name)
            if aliases.get(folded, zone) != zone:
                raise ValueError(
                    f"{source}: {name!r} is listed under both {aliases[folded]} and {zone}"
                )
            aliases[folded] = zone
    return TimezoneContent(buttons=tuple(buttons), aliases=aliases)


@cache
def _default_content() -> TimezoneContent:
    return load_timezone_content()


def parse_timezone(text: str) -> TimeZoneChoice | None:
    """The zone ``text`` names, with the shipped place aliases."""
    return parse_zone(text, _default_content().aliases)


COMMON_ZONES: tuple[ZoneButton, ...] = _default_content().buttons
