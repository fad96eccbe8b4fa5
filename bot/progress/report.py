"""The clinician's summary as data: ``SummaryData`` is what the one-page report shows, already
in the person's language, assembled in one place (``bot.engine.features.summary``) and drawn
by ``bot.progress.summary``. No matplotlib here.

Sections for which the runner has no record yet (function checks, exercise levels, the
running log) are empty tuples; the page then says so plainly (``SummaryWords.not_recorded_*``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.content.chart import ChartText
from bot.progress.points import DayPoint, WeekPoint


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
    function_note: str  # what the function score is: its questions, scale and a clear gain
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
    function_checks: tuple[Fact, ...]  # "Week 3: 14/20, 4 points better than at the start"
    sessions: tuple[WeekPoint, ...]
    sessions_in_words: str
    programme_week: int
    total_weeks: int
    exercise_levels: tuple[Fact, ...]  # "Squat ladder: Box squat (level 2 of 4)"
    programme_now: tuple[Fact, ...]  # the current phase, equipment, minutes for strength
    running: tuple[Fact, ...]  # what the intake said about weekly distance
    running_log: tuple[Fact, ...]  # km logged each programme week; the latest suggestion
    recommendations: tuple[Event, ...]
