"""Time-zone choices (``content/timezones.yaml``): the quick-choice buttons offered when a
runner sets their time zone, and place names people type that are not zone names. Whether
the buttons fit every platform is `kneecoach check`'s business (the platforms' limits)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.domain.zones import fold_place, known_zone_keys


@dataclass(frozen=True, slots=True)
class ZoneButton:
    label: str
    zone: str


@dataclass(frozen=True, slots=True)
class TimezoneContent:
    buttons: tuple[ZoneButton, ...]
    aliases: Mapping[str, str]  # folded place name -> IANA key


def read_timezones(raw: Any, label: str, problems: list[str]) -> TimezoneContent | None:
    """Validate the file's data; every problem names the entry and field."""
    start = len(problems)
    known = known_zone_keys()
    buttons: list[ZoneButton] = []
    raw_buttons = raw.get("buttons") if isinstance(raw, dict) else None
    if not isinstance(raw_buttons, list) or not raw_buttons:
        problems.append(f"{label}: top level: field 'buttons': must be a non-empty list")
        raw_buttons = []
    for i, item in enumerate(raw_buttons):
        where = f"{label}: button #{i + 1}"
        if not isinstance(item, dict) or set(item) != {"label", "zone"}:
            problems.append(f"{where}: needs exactly 'label' and 'zone'")
            continue
        name, zone = item["label"], item["zone"]
        if not isinstance(name, str) or not name.strip():
            problems.append(f"{where}: field 'label': must be a non-empty text")
        elif not isinstance(zone, str) or zone not in known:
            problems.append(f"{where}: field 'zone': {zone!r} is not an IANA zone")
        else:
            buttons.append(ZoneButton(label=name, zone=zone))

    aliases: dict[str, str] = {}
    raw_aliases = raw.get("aliases", {}) if isinstance(raw, dict) else {}
    if not isinstance(raw_aliases, dict):
        problems.append(f"{label}: top level: field 'aliases': must map IANA zones to names")
        raw_aliases = {}
    for zone, names in raw_aliases.items():
        where = f"{label}: aliases of '{zone}'"
        if not isinstance(zone, str) or zone not in known:
            problems.append(f"{where}: {zone!r} is not an IANA zone")
            continue
        if not isinstance(names, list) or not all(isinstance(n, str) and n.strip()
                                                  for n in names):
            problems.append(f"{where}: expected a list of non-empty names")
            continue
        for name in names:
            folded = fold_place(name)
            if aliases.get(folded, zone) != zone:
                problems.append(f"{where}: {name!r} is also listed under {aliases[folded]}")
            aliases[folded] = zone
    if len(problems) > start:
        return None
    return TimezoneContent(buttons=tuple(buttons), aliases=aliases)
