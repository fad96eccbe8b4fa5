"""The clinician's summary as data: ``SummaryData`` is what the one-page report shows, already
in the person's language, assembled in one place (``bot.engine.features.summary``) and drawn
by ``bot.progress.summary``. No matplotlib here.

Sections whose data the programme does not record yet (function checks, exercise levels,
weekly running distance) are empty tuples; the page then says so plainly
(``SummaryWords.not_recorded``). Fill them from the store in the assembly and the page shows
them without a change here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.content.chart import ChartText
from bot.progress.points import DayPoint, WeekPoint, WeekValue


@dataclass(frozen=True, slots=True)
class Fact:
    """One labelled value: "Which knee: Left"."""

    label: str
    value: str


@dataclass(frozen=True, slots=True)
class Event:
    """Something that happened on a day, what it was and what followed."""

    day: date
    what: str
    detail: str = ""


@dataclass(frozen=True)
class SummaryWords:
    """Every word on the page that is not data (headings, notes), in one language."""

    title: str
    made_on: str  # "Made on 13 Apr 2026 from what the runner reported"
    disclaimer: str  # it is not a diagnosis
    who: str
    intake: str
    triage: str
    red_flags: str
    no_red_flags: str
    pain: str
    function: str
    sessions: str
    levels: str
    running: str
    recommendations: str
    no_recommendations: str
    not_recorded_function: str  # "Function checks ...: not recorded yet."
    not_recorded_levels: str
    not_recorded_running: str
    reasons: str  # the heading of the triage's reasons
    reviews: str  # the heading of the weekly reviews
    footer: str
    chart: ChartText  # the pain bands, the month names, "no check-ins yet"


@dataclass(frozen=True)
class SummaryData:
    """One person's summary for a clinician. Nothing in it names them or their platform."""

    made_on: date
    who: tuple[Fact, ...]  # age band, knee, when it started, programme week, language
    intake: tuple[Fact, ...]  # every intake answer, labelled
    triage: tuple[Fact, ...]  # the outcome and when
    triage_reasons: tuple[str, ...]
    red_flags: tuple[Event, ...]
    pain: tuple[DayPoint, ...]
    pain_in_words: tuple[str, ...]  # first, latest, the trend, swelling and morning reports
    weekly_reviews: tuple[Fact, ...]  # "Week 3: better"
    function_checks: tuple[WeekValue, ...]  # () until the programme records them
    sessions: tuple[WeekPoint, ...]
    sessions_in_words: str
    programme_week: int
    total_weeks: int
    exercise_levels: tuple[Fact, ...]  # () until the programme records them
    programme_now: tuple[Fact, ...]  # the current phase and its load
    running: tuple[Fact, ...]  # what the intake said about weekly distance
    running_km: tuple[WeekValue, ...]  # () until the programme records them
    recommendations: tuple[Event, ...]
