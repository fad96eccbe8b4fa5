"""Reading the time zone a person types."""

from __future__ import annotations

import shutil
import zoneinfo
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.check import run_check
from bot.content import default_content_root, default_dialogs_root
from bot.content.timezones import TimezoneContent, read_timezones
from bot.domain.localtime import next_occurrence
from bot.domain.zones import TimeZoneChoice, parse_zone, zone_from_name
from tests.support.content import shipped_bundle

ZONES = shipped_bundle().timezones
COMMON_ZONES = ZONES.buttons


def parse_timezone(text: str) -> TimeZoneChoice | None:
    return parse_zone(text, ZONES.aliases)


def load_timezone_content(path: Path) -> TimezoneContent:
    problems: list[str] = []
    content = read_timezones(yaml.safe_load(path.read_text(encoding="utf-8")), "tz", problems)
    if content is None:
        raise ValueError("; ".join(problems))
    return content

SAMPLES = [
    datetime(2000, 1, 15, tzinfo=UTC),
    datetime(2025, 1, 15, tzinfo=UTC),
    datetime(2025, 7, 15, tzinfo=UTC),
]


def name_of(text: str) -> str | None:
    choice = parse_timezone(text)
    return None if choice is None else choice.name


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Europe/London", "Europe/London"),
        ("europe/london", "Europe/London"),
        ("EUROPE/LONDON", "Europe/London"),
        ("america/new_york", "America/New_York"),
        ("America/New York", "America/New_York"),
        ("america/argentina/buenos_aires", "America/Argentina/Buenos_Aires"),
        ("Asia/Kolkata", "Asia/Kolkata"),
        ("  Pacific/Chatham  ", "Pacific/Chatham"),
        ("US/Eastern", "US/Eastern"),
    ],
)
def test_iana_names_in_any_case(text: str, expected: str) -> None:
    assert name_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("London", "Europe/London"),
        ("london", "Europe/London"),
        ("new york", "America/New_York"),
        ("New_York", "America/New_York"),
        ("Sao Paulo", "America/Sao_Paulo"),
        ("São Paulo", "America/Sao_Paulo"),
        ("SÃO PAULO", "America/Sao_Paulo"),
        ("Melbourne", "Australia/Melbourne"),
        ("sydney", "Australia/Sydney"),
        ("Kolkata", "Asia/Kolkata"),
        ("chatham", "Pacific/Chatham"),
        ("Port-au-Prince", "America/Port-au-Prince"),
        ("port au prince", "America/Port-au-Prince"),
        ("St. John's", "America/St_Johns"),
        ("dar es salaam", "Africa/Dar_es_Salaam"),
        ("Buenos Aires", "America/Argentina/Buenos_Aires"),
        ("Indianapolis", "America/Indiana/Indianapolis"),
        ("Zürich", "Europe/Zurich"),
    ],
)
def test_cities_from_the_iana_database(text: str, expected: str) -> None:
    assert name_of(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Delhi", "Asia/Kolkata"),
        ("New Delhi", "Asia/Kolkata"),
        ("Mumbai", "Asia/Kolkata"),
        ("india", "Asia/Kolkata"),
        ("Bengaluru", "Asia/Kolkata"),
        ("San Francisco", "America/Los_Angeles"),
        ("Seattle", "America/Los_Angeles"),
        ("LA", "America/Los_Angeles"),
        ("L.A.", "America/Los_Angeles"),
        ("Boston", "America/New_York"),
        ("Washington", "America/New_York"),
        ("Washington D.C.", "America/New_York"),
        ("Miami", "America/New_York"),
        ("NYC", "America/New_York"),
        ("UK", "Europe/London"),
        ("u.k.", "Europe/London"),
        ("England", "Europe/London"),
        ("Manchester", "Europe/London"),
        ("Munich", "Europe/Berlin"),
        ("München", "Europe/Berlin"),
        ("Germany", "Europe/Berlin"),
        ("Ireland", "Europe/Dublin"),
        ("Japan", "Asia/Tokyo"),
        ("Kiev", "Europe/Kyiv"),
        ("Istanbul", "Europe/Istanbul"),
        ("New Zealand", "Pacific/Auckland"),
        ("Rio de Janeiro", "America/Sao_Paulo"),
    ],
)
def test_aliases_from_content(text: str, expected: str) -> None:
    assert name_of(text) == expected


@pytest.mark.parametrize(
    ("text", "name", "offset"),
    [
        ("UTC", "UTC", timedelta(0)),
        ("utc", "UTC", timedelta(0)),
        ("GMT", "UTC", timedelta(0)),
        ("Z", "UTC", timedelta(0)),
        ("Etc/UTC", "UTC", timedelta(0)),
        ("UTC+0", "UTC", timedelta(0)),
        ("UTC-00:00", "UTC", timedelta(0)),
        ("UTC+2", "UTC+02:00", timedelta(hours=2)),
        ("utc +2", "UTC+02:00", timedelta(hours=2)),
        ("GMT-5", "UTC-05:00", timedelta(hours=-5)),
        ("GMT−5", "UTC-05:00", timedelta(hours=-5)),  # U+2212 minus sign
        ("+05:30", "UTC+05:30", timedelta(hours=5, minutes=30)),
        ("+0530", "UTC+05:30", timedelta(hours=5, minutes=30)),
        ("UTC+5:45", "UTC+05:45", timedelta(hours=5, minutes=45)),
        ("UTC-3:30", "UTC-03:30", timedelta(hours=-3, minutes=-30)),
        ("-9:30", "UTC-09:30", timedelta(hours=-9, minutes=-30)),
        ("UTC+12:45", "UTC+12:45", timedelta(hours=12, minutes=45)),
        ("UTC-12", "UTC-12:00", timedelta(hours=-12)),
        ("UTC+14", "UTC+14:00", timedelta(hours=14)),
        ("Etc/GMT-2", "UTC+02:00", timedelta(hours=2)),
        ("etc/gmt+5", "UTC-05:00", timedelta(hours=-5)),
    ],
)
def test_fixed_offsets(text: str, name: str, offset: timedelta) -> None:
    choice = parse_timezone(text)
    assert choice is not None
    assert choice.name == name
    for instant in SAMPLES:
        assert choice.tz.utcoffset(instant.replace(tzinfo=None)) == offset


def test_whole_hour_offsets_use_etc_zones_with_the_inverted_sign() -> None:
    plus_two = parse_timezone("UTC+2")
    assert plus_two is not None
    assert plus_two.tz == ZoneInfo("Etc/GMT-2")
    minus_five = parse_timezone("GMT-5")
    assert minus_five is not None
    assert minus_five.tz == ZoneInfo("Etc/GMT+5")


def test_other_offsets_are_fixed_timezones() -> None:
    choice = parse_timezone("+05:30")
    assert choice is not None
    assert isinstance(choice.tz, timezone)
    assert choice.tz.tzname(None) == "UTC+05:30"


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "banana",
        "UTC+99",
        "UTC+15",
        "UTC-13",
        "UTC+14:30",
        "UTC-12:30",
        "UTC+5:17",
        "UTC+5:60",
        "5",
        "+",
        "UTC+",
        "x" * 10_000,
        "London" + " " * 10_000,
        "'; DROP TABLE users; --",
        "Robert'); DROP TABLE reminders;--",
        "1 OR 1=1",
        "../../etc/passwd",
        "/etc/localtime",
        "localtime",
        "Factory",
        "Europe/",
        "Europe/Nowhere",
        "Europe/London/extra",
        "north",
        "Portland, Maine",
        "Paris, Texas",
        "London, Paris",
        ",",
        "\x00",
        "Lon\x00don",
    ],
)
def test_nonsense_is_none(text: str) -> None:
    assert parse_timezone(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("London, UK", "Europe/London"),
        ("Paris, France", "Europe/Paris"),
        ("Melbourne, Victoria", "Australia/Melbourne"),
        ("Mumbai, India", "Asia/Kolkata"),
    ],
)
def test_city_comma_country_when_the_parts_agree(text: str, expected: str) -> None:
    assert name_of(text) == expected


def test_choice_is_frozen() -> None:
    choice = parse_timezone("London")
    assert choice == TimeZoneChoice("Europe/London", ZoneInfo("Europe/London"))
    with pytest.raises(AttributeError):
        choice.name = "x"  # type: ignore[misc]


CITY_REGIONS = (
    "Africa/", "America/", "Antarctica/", "Arctic/", "Asia/", "Atlantic/", "Australia/",
    "Europe/", "Indian/", "Pacific/",
)  # fmt: skip


def test_every_iana_city_resolves_to_a_zone_with_the_same_rules() -> None:
    """No alias shadows a real city with a different clock."""
    checked = 0
    for key in sorted(zoneinfo.available_timezones()):
        if not key.startswith(CITY_REGIONS):
            continue
        city = key.rsplit("/", 1)[1].replace("_", " ")
        if city.casefold() in {"north", "south", "east", "west"}:
            continue
        choice = parse_timezone(city)
        assert choice is not None, city
        expected = ZoneInfo(key)
        for instant in SAMPLES:
            assert choice.tz.utcoffset(instant.replace(tzinfo=None)) == expected.utcoffset(
                instant.replace(tzinfo=None)
            ), (city, choice.name, key)
        checked += 1
    assert checked > 300


class TestZoneFromName:
    @pytest.mark.parametrize(
        "text",
        ["London", "new york", "Mumbai", "UTC", "UTC+2", "GMT-5", "+05:30", "UTC-9:30", "UK"],
    )
    def test_round_trip(self, text: str) -> None:
        choice = parse_timezone(text)
        assert choice is not None
        rebuilt = zone_from_name(choice.name)
        assert rebuilt == choice.tz
        for instant in SAMPLES:
            assert rebuilt.utcoffset(instant) == choice.tz.utcoffset(instant)

    @pytest.mark.parametrize(
        "name",
        [
            "",
            "banana",
            "europe/london",  # stored names are canonical
            "UTC+5",
            "UTC+00:00",
            "UTC+05:17",
            "UTC+15:00",
            "UTC-13:00",
            "../../etc/passwd",
            "/etc/localtime",
            "localtime",
            "Factory",
        ],
    )
    def test_rejects_names_parse_could_not_have_made(self, name: str) -> None:
        with pytest.raises(ValueError):
            zone_from_name(name)

    def test_iana_keys(self) -> None:
        assert zone_from_name("Pacific/Chatham") == ZoneInfo("Pacific/Chatham")
        assert zone_from_name("Etc/GMT-2") == ZoneInfo("Etc/GMT-2")


def test_offsets_work_with_next_occurrence() -> None:
    from datetime import time

    choice = parse_timezone("UTC+5:45")
    assert choice is not None
    got = next_occurrence(time(7, 30), choice.tz, datetime(2025, 1, 1, tzinfo=UTC))
    assert got == datetime(2025, 1, 1, 1, 45, tzinfo=UTC)


class TestCommonZones:
    def test_a_handful_of_buttons(self) -> None:
        assert 6 <= len(COMMON_ZONES) <= 10
        zones = {b.zone for b in COMMON_ZONES}
        assert {"Europe/London", "America/New_York", "Asia/Kolkata", "UTC"} <= zones
        assert len(zones) == len(COMMON_ZONES)

    def test_each_button_is_a_valid_stored_name(self) -> None:
        for button in COMMON_ZONES:
            assert 1 <= len(button.label) <= 80
            assert zone_from_name(button.zone) is not None
            assert name_of(button.zone) == button.zone
            assert len(f"a:tz:{button.zone}".encode()) <= 64  # Telegram callback_data


class TestContentValidation:
    def write(self, tmp_path: Path, text: str) -> Path:
        path = tmp_path / "timezones.yaml"
        path.write_text(text, encoding="utf-8")
        return path

    def test_shipped_file_loads(self) -> None:
        content = ZONES
        assert content.aliases["delhi"] == "Asia/Kolkata"
        assert content.aliases["munchen"] == "Europe/Berlin"

    def test_unknown_zone(self, tmp_path: Path) -> None:
        path = self.write(
            tmp_path, "buttons: [{label: X, zone: Europe/London}]\naliases: {Mars/Base: [Mars]}\n"
        )
        with pytest.raises(ValueError, match="Mars/Base"):
            load_timezone_content(path)

    def test_unknown_button_zone(self, tmp_path: Path) -> None:
        path = self.write(tmp_path, "buttons: [{label: X, zone: Europe/Atlantis}]\n")
        with pytest.raises(ValueError, match="Atlantis"):
            load_timezone_content(path)

    def test_a_name_under_two_zones(self, tmp_path: Path) -> None:
        path = self.write(
            tmp_path,
            "buttons: [{label: X, zone: UTC}]\n"
            "aliases:\n  Europe/Paris: [Springfield]\n  America/Chicago: [springfield]\n",
        )
        with pytest.raises(ValueError, match="also listed"):
            load_timezone_content(path)

    def test_label_too_long_for_a_platform(self, tmp_path: Path) -> None:
        copy = tmp_path / "content"
        shutil.copytree(default_content_root(), copy)
        zones = copy / "timezones.yaml"
        zones.write_text(zones.read_text(encoding="utf-8").replace(
            'label: "London"', f'label: "{"x" * 81}"'), encoding="utf-8")
        assert run_check(copy, default_dialogs_root()) == [
            "content/timezones.yaml: button #1: field 'label': over Discord's 80 characters"
        ]

    def test_empty_label(self, tmp_path: Path) -> None:
        path = self.write(tmp_path, "buttons: [{label: '', zone: UTC}]\n")
        with pytest.raises(ValueError, match="label"):
            load_timezone_content(path)

    def test_no_buttons(self, tmp_path: Path) -> None:
        with pytest.raises(ValueError, match="buttons"):
            load_timezone_content(self.write(tmp_path, "aliases: {}\n"))


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_property_any_text_gives_none_or_a_storable_zone(text: str) -> None:
    choice = parse_timezone(text)
    if choice is not None:
        assert zone_from_name(choice.name) == choice.tz


@settings(max_examples=200, deadline=None)
@given(
    sign=st.sampled_from(["+", "-"]),
    hours=st.integers(0, 14),
    minutes=st.sampled_from([0, 15, 30, 45]),
    prefix=st.sampled_from(["UTC", "GMT", "utc ", ""]),
)
def test_property_offsets(sign: str, hours: int, minutes: int, prefix: str) -> None:
    offset = timedelta(hours=hours, minutes=minutes) * (1 if sign == "+" else -1)
    choice = parse_timezone(f"{prefix}{sign}{hours}:{minutes:02d}")
    if timedelta(hours=-12) <= offset <= timedelta(hours=14):
        assert choice is not None
        assert choice.tz.utcoffset(datetime(2025, 1, 1)) == offset
        assert zone_from_name(choice.name) == choice.tz
    else:
        assert choice is None
