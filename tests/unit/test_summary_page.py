"""The clinician's page stays one page: a long history (many red flags, recommendations,
ladders and weeks) is drawn smaller until everything is above the footer."""

from __future__ import annotations

from datetime import date, timedelta

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.progress.points import DayPoint, WeekPoint
from bot.progress.report import Event, Fact, SummaryData, SummaryWords
from bot.progress.summary import CONTENT_END_IN, PAGE_IN, Page, draw_page, render_summary
from tests.support.content import shipped_content
from tests.support.pdf import pdf_text

START = date(2026, 3, 2)
LONG = "A sentence long enough to wrap over two lines of the narrow column on the page. " * 2


def words() -> SummaryWords:
    return SummaryWords(
        title="Summary", made_on="Made today", disclaimer="This is not a diagnosis.",
        who="Who", intake="Intake", triage="Triage", red_flags="Red flags",
        no_red_flags="None.", pain="Pain", function="Function", sessions="Sessions",
        levels="Exercises now", running="Running", recommendations="Recommendations",
        no_recommendations="None yet.", not_recorded_function="Function: not recorded yet.",
        function_note="The scale.", not_recorded_levels="Levels: not recorded yet.",
        not_recorded_running="Running: not recorded yet.", reasons="Why:",
        reviews="Reviews:", footer="The footer.", chart=shipped_content().chart,
    )


def data(weeks: int, events: int, ladders: int) -> SummaryData:
    days = weeks * 7
    return SummaryData(
        made_on=START + timedelta(days=days),
        who=tuple(Fact(f"Who {i}", "value") for i in range(4)),
        intake=(*(Fact(f"Answer {i}", "Yes") for i in range(14)), Fact("Story", LONG)),
        triage=(Fact("Outcome", "Fits the pattern"), Fact("Date", "2 Mar 2026")),
        triage_reasons=tuple(f"Reason {i}" for i in range(5)),
        red_flags=tuple(Event(START + timedelta(days=i), "Please get it checked", LONG)
                        for i in range(events)),
        pain=tuple(DayPoint(START + timedelta(days=i), i % 11) for i in range(days)),
        pain_in_words=("First 6/10", "Latest 2/10", "Trend: down"),
        weekly_reviews=tuple(Fact(f"Week {w}", "better") for w in range(1, weeks + 1)),
        function_checks=(Fact("At the start", "10/20"), Fact("Week 3", "14/20, 4 points better"),
                         Fact("Week 6", "17/20, 7 points better")),
        sessions=tuple(WeekPoint(w, 5) for w in range(1, weeks + 1)),
        sessions_in_words="; ".join(f"{w}: 5" for w in range(1, weeks + 1)),
        programme_week=weeks, total_weeks=6,
        exercise_levels=tuple(Fact(f"Ladder {i}", "An exercise (level 2 of 4)")
                              for i in range(ladders)),
        programme_now=(Fact("Phase", "Week 7 onwards"), Fact("Equipment", "a band")),
        running=(Fact("Weekly distance at intake", "25 km a week"),),
        running_log=(Fact("Distance", "; ".join(f"week {w}: 12 km" for w in range(1, weeks))),
                     Fact("Suggestion", LONG)),
        recommendations=tuple(Event(START + timedelta(days=i), "See a physiotherapist", LONG)
                              for i in range(events)),
    )


def bottom(summary: SummaryData, scale: float) -> float:
    fig = Figure(figsize=PAGE_IN)
    FigureCanvasAgg(fig)
    return draw_page(Page(fig, shipped_content().chart.month_names, scale), summary, words())


def test_a_typical_page_is_drawn_at_full_size() -> None:
    summary = data(weeks=4, events=1, ladders=6)
    assert bottom(summary, 1.0) <= CONTENT_END_IN
    assert render_summary(summary, words()).scale == 1.0


def test_a_long_history_is_drawn_smaller_and_still_fits_above_the_footer() -> None:
    summary = data(weeks=26, events=6, ladders=10)
    assert bottom(summary, 1.0) > CONTENT_END_IN  # it would run off the page
    files = render_summary(summary, words())
    assert files.scale < 1.0
    assert bottom(summary, files.scale) <= CONTENT_END_IN
    text = pdf_text(files.pdf)
    assert "None yet." not in text and "Recommendations" in text and "The footer." in text
