"""Time zones as people name them: IANA names, cities, UTC offsets; no I/O.

``parse_zone`` returns a ``TimeZoneChoice``: a canonical ``name`` to store and the ``tz`` to
compute with. ``zone_from_name`` rebuilds the ``tzinfo`` from a stored name. Names are either an
IANA key ("Europe/London") or, for fixed offsets, "UTC" / "UTC+05:30" / "UTC-03:00".

Cities come from the IANA database itself (the last part of each zone name); other place names
(countries, big cities that are not zone names) come from content as an ``aliases`` map of
folded place name -> IANA key (``content/timezones.yaml``, loaded into the content bundle).
The caches here hold only functions of the IANA database, never content.
"""

from __future__ import annotations

import re
import unicodedata
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta, timezone, tzinfo
from functools import cache

__all__ = [
    "TimeZoneChoice",
    "fold_place",
    "known_zone_keys",
    "parse_zone",
    "zone_from_name",
]

MAX_INPUT_CHARS = 100
MIN_OFFSET = timedelta(hours=-12)
MAX_OFFSET = timedelta(hours=14)

# Regions whose last path part is a real place. Legacy names (US/Eastern, Canada/Pacific...) are
# still accepted as exact IANA keys but do not contribute "city" names.
_CITY_REGIONS = frozenset(
    {
        "Africa",
        "America",
        "Antarctica",
        "Arctic",
        "Asia",
        "Atlantic",
        "Australia",
        "Europe",
        "Indian",
        "Pacific",
    }
)
_NOT_CITIES = frozenset({"north", "south", "east", "west"})  # Australia/North and friends
_EXCLUDED_KEYS = frozenset({"Factory", "localtime", "posixrules"})
_UTC_SYNONYMS = frozenset(
    {
        "UTC",
        "UCT",
        "Universal",
        "Zulu",
        "GMT",
        "GMT0",
        "GMT+0",
        "GMT-0",
        "Greenwich",
        "Etc/UTC",
        "Etc/UCT",
        "Etc/Universal",
        "Etc/Zulu",
        "Etc/GMT",
        "Etc/GMT0",
        "Etc/GMT+0",
        "Etc/GMT-0",
        "Etc/Greenwich",
    }
)

_OFFSET = re.compile(
    r"^(?:(?P<base>utc|gmt|z)\s*)?"
    r"(?:(?P<sign>[+-])\s*(?P<h>[0-9]{1,2})(?:\s*[:.h]?\s*(?P<m>[0-9]{2}))?)?$"
)
_STORED_OFFSET = re.compile(r"^UTC(?P<sign>[+-])(?P<h>[0-9]{2}):(?P<m>[0-9]{2})$")
_ETC_OFFSET = re.compile(r"^Etc/GMT(?P<sign>[+-])(?P<h>[0-9]{1,2})$")


@dataclass(frozen=True, slots=True)
class TimeZoneChoice:
    """A time zone the user chose: ``name`` is what to store, ``tz`` what to compute with."""

    name: str
    tz: tzinfo


def fold_place(text: str) -> str:
    """Case-, accent- and punctuation-insensitive form of a place name."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c))
    lowered = stripped.casefold()
    for mark in (".", "'", "\u2019"):
        lowered = lowered.replace(mark, "")
    for sep in ("_", "-"):
        lowered = lowered.replace(sep, " ")
    return " ".join(lowered.split())


def _normalise_signs(text: str) -> str:
    return text.replace("\u2212", "-").replace("\u2013", "-").replace("\u2012", "-")


@cache
def known_zone_keys() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones() - _EXCLUDED_KEYS)


@cache
def _key_index() -> dict[str, str]:
    """Case-insensitive IANA key -> the key."""
    return {key.casefold(): key for key in known_zone_keys()}


def _city_preference(key: str) -> tuple[int, str]:
    # Deeper names are the canonical ones (America/Argentina/Buenos_Aires over the
    # America/Buenos_Aires link); ties broken alphabetically so the choice is stable.
    return (-key.count("/"), key)


@cache
def _city_index() -> dict[str, str]:
    """Folded city name (last part of an IANA key) -> the key."""
    index: dict[str, str] = {}
    for key in sorted(known_zone_keys(), key=_city_preference):
        parts = key.split("/")
        if len(parts) < 2 or parts[0] not in _CITY_REGIONS:
            continue
        city = fold_place(parts[-1])
        if city in _NOT_CITIES:
            continue
        index.setdefault(city, key)
    return index


def _offset_name(offset: timedelta) -> str:
    if not offset:
        return "UTC"
    sign = "+" if offset > timedelta(0) else "-"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _offset_zone(offset: timedelta) -> tzinfo:
    if not offset:
        return zoneinfo.ZoneInfo("UTC")
    if offset % timedelta(hours=1) == timedelta(0):
        # Etc/GMT zones use the POSIX sign: Etc/GMT-2 is two hours AHEAD of UTC.
        hours = offset // timedelta(hours=1)
        return zoneinfo.ZoneInfo(f"Etc/GMT{-hours:+d}")
    return timezone(offset, _offset_name(offset))


def _offset_choice(sign: str, hours: str, minutes: str | None) -> TimeZoneChoice | None:
    h, m = int(hours), int(minutes or 0)
    if m not in (0, 15, 30, 45):  # every offset in use is a multiple of 15 minutes
        return None
    offset = timedelta(hours=h, minutes=m) * (-1 if sign == "-" else 1)
    if not MIN_OFFSET <= offset <= MAX_OFFSET:
        return None
    return TimeZoneChoice(name=_offset_name(offset), tz=_offset_zone(offset))


def _key_choice(key: str) -> TimeZoneChoice:
    if key in _UTC_SYNONYMS:
        return TimeZoneChoice(name="UTC", tz=zoneinfo.ZoneInfo("UTC"))
    etc = _ETC_OFFSET.match(key)
    if etc is not None:  # stored as "UTC+02:00" whichever way it was typed (POSIX sign inverted)
        choice = _offset_choice("-" if etc["sign"] == "+" else "+", etc["h"], None)
        if choice is not None:
            return choice
    return TimeZoneChoice(name=key, tz=zoneinfo.ZoneInfo(key))


def _parse_one(text: str, aliases: Mapping[str, str]) -> TimeZoneChoice | None:
    text = re.sub(r"\s*/\s*", "/", _normalise_signs(text.strip()))
    if not text:
        return None
    match = _OFFSET.match(text.casefold())
    if match is not None and (match["base"] or match["sign"]):
        if match["sign"] is None:
            return _key_choice("UTC")
        return _offset_choice(match["sign"], match["h"], match["m"])
    folded = fold_place(text)
    alias = aliases.get(folded)
    if alias is not None:
        return _key_choice(alias)
    key = _key_index().get(text.replace(" ", "_").casefold())
    if key is not None:
        return _key_choice(key)
    city = _city_index().get(folded)
    if city is not None:
        return _key_choice(city)
    return None


def parse_zone(text: str, aliases: Mapping[str, str]) -> TimeZoneChoice | None:
    """The time zone ``text`` names, or None when it names none (or is ambiguous).

    Understands IANA names in any case ("europe/london"), cities in the IANA database ("new
    york", "São Paulo"), the ``aliases`` from content ("Mumbai", "UK") and UTC
    offsets from -12 to +14 ("UTC+2", "GMT-5", "+05:30", "utc"). "City, Country" is accepted
    when every part that names a zone names the same one and no part is unknown.
    """
    if not isinstance(text, str) or len(text) > MAX_INPUT_CHARS:
        return None
    choice = _parse_one(text, aliases)
    if choice is not None or "," not in text:
        return choice
    parts = [p for p in text.split(",") if p.strip()]
    choices = [_parse_one(p, aliases) for p in parts]
    if not choices or any(c is None for c in choices):
        return None
    names = {c.name for c in choices if c is not None}
    return choices[0] if len(names) == 1 else None


def zone_from_name(name: str) -> tzinfo:
    """Rebuild the ``tzinfo`` for a name stored from ``TimeZoneChoice.name``.

    Raises ValueError for a name that ``parse_zone`` could not have produced.
    """
    match = _STORED_OFFSET.match(name)
    if match is not None:
        choice = _offset_choice(match["sign"], match["h"], match["m"])
        if choice is None or choice.name != name:
            raise ValueError(f"not a valid stored UTC offset: {name!r}")
        return choice.tz
    if name in known_zone_keys():
        return zoneinfo.ZoneInfo(name)
    raise ValueError(f"unknown time zone name: {name!r}")

