"""The clinician's one-page summary, drawn with matplotlib: an A4 PDF (text as real text in
DejaVu Sans, the font matplotlib ships, embedded as TrueType) and a PNG of the same page for
chats that show pictures inline. Every word comes from ``SummaryData`` and ``SummaryWords``.

Drawn with the object API (``Figure``), never pyplot. The PDF's font type is one of
matplotlib's global settings: it is set only for the save, under a lock.
"""

from __future__ import annotations

import io
import textwrap
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from bot.progress.chart import draw_pain, draw_sessions
from bot.progress.report import Event, Fact, SummaryData, SummaryWords

PAGE_IN = (8.27, 11.69)  # A4, inches
MARGIN_IN = 0.55
GAP_IN = 0.3
PREVIEW_DPI = 100  # the PNG: 827 x 1169 pixels
INK = "#1c2b36"
MUTED = "#5b6b77"
ACCENT = "#1565c0"
WARN = "#b71c1c"
RULE = "#cfd8dc"
CHAR_WIDTH = 0.55  # DejaVu Sans: average character width as a share of the font size
LINE_SPACING = 1.32
MAX_EVENTS = 6  # red flags and recommendations shown (the latest)
PAIN_CHART_IN = 1.6
SESSIONS_CHART_IN = 0.9
# The page's content ends above the footer; a page that would not fit is drawn smaller.
CONTENT_END_IN = PAGE_IN[1] - MARGIN_IN - 0.05
SCALES = (1.0, 0.93, 0.86, 0.8, 0.74, 0.68, 0.62)
_SAVE_LOCK = threading.Lock()


@dataclass(frozen=True, slots=True)
class SummaryFiles:
    pdf: bytes
    png: bytes
    png_size: tuple[int, int]
    scale: float = 1.0  # below 1 when the page was drawn smaller to fit


class Page:
    """Text and charts placed in inches from the top left of the page; ``scale`` shrinks type,
    charts and gaps together when a person's page would not fit otherwise."""

    def __init__(self, fig: Figure, months: Sequence[str], scale: float = 1.0) -> None:
        self.fig = fig
        self.width, self.height = PAGE_IN
        self.months = list(months)
        self.scale = scale

    def day(self, day: date) -> str:
        return f"{day.day} {self.months[day.month - 1]} {day.year}"

    def text(self, x: float, y: float, words: str, width: float, size: float = 8.5,
             weight: str = "normal", colour: str = INK, style: str = "normal") -> float:
        """Write ``words`` wrapped to ``width`` inches from (x, y); the height used."""
        size *= self.scale
        chars = max(12, int(width * 72 / (size * CHAR_WIDTH)))
        lines: list[str] = []
        for paragraph in words.split("\n"):
            lines.extend(textwrap.wrap(paragraph, chars, break_on_hyphens=False) or [""])
        step = size * LINE_SPACING / 72
        for index, line in enumerate(lines):
            self.fig.text(x / self.width, 1 - (y + index * step) / self.height, line,
                          fontsize=size, fontweight=weight, color=colour, style=style,
                          va="top", ha="left")
        return len(lines) * step

    def heading(self, x: float, y: float, words: str, width: float) -> float:
        self.fig.add_artist(Line2D(
            [x / self.width, (x + width) / self.width],
            [1 - (y - 0.04) / self.height] * 2, color=RULE, linewidth=0.8))
        return self.text(x, y, words, width, size=10.5, weight="bold",
                         colour=ACCENT) + 0.05 * self.scale

    def axes(self, x: float, y: float, width: float, height: float) -> Any:
        return self.fig.add_axes((x / self.width, 1 - (y + height) / self.height,
                                  width / self.width, height / self.height))


def _facts(page: Page, x: float, y: float, width: float, facts: Sequence[Fact],
           size: float = 8.3) -> float:
    """Label: value lines; the height used."""
    used = 0.0
    for fact in facts:
        used += page.text(x, y + used, f"{fact.label}: {fact.value}", width, size=size)
    return used


def _events(page: Page, x: float, y: float, width: float, events: Sequence[Event],
            colour: str = INK) -> float:
    used = 0.0
    for event in events[-MAX_EVENTS:]:
        used += page.text(x, y + used, f"{page.day(event.day)}: {event.what}", width,
                          weight="bold",
                          colour=colour)
        if event.detail:
            used += page.text(x + 0.15, y + used, event.detail, width - 0.15)
        used += 0.04 * page.scale
    return used


def _bullets(page: Page, x: float, y: float, width: float, lines: Sequence[str]) -> float:
    used = 0.0
    for line in lines:
        used += page.text(x, y + used, f"- {line}", width)
    return used


def _column(y: float, parts: Sequence[Callable[[float], float]], gap: float) -> float:
    """Draw parts one below the other; the bottom y."""
    for part in parts:
        y += part(y) + gap
    return y


def render_summary(data: SummaryData, words: SummaryWords) -> SummaryFiles:
    """The one-page PDF and its PNG preview. A page that would run past the footer (many red
    flags, recommendations or ladders) is drawn again smaller until it fits."""
    for scale in SCALES:
        fig = Figure(figsize=PAGE_IN, dpi=PREVIEW_DPI)
        FigureCanvasAgg(fig)
        if draw_page(Page(fig, words.chart.month_names, scale), data, words) <= CONTENT_END_IN:
            break
    return _save(fig, words, scale)


def draw_page(page: Page, data: SummaryData, words: SummaryWords) -> float:
    """Draw the page; how far down (in inches) its content reaches, the footer aside.

    Two columns: who (with the programme now) and the intake answers; the triage, red flags
    and the exercises now. The pain chart across the page. Then sessions and running; the
    function checks and the recommendations."""
    scale = page.scale
    gap = 0.12 * scale
    left = MARGIN_IN
    full = PAGE_IN[0] - 2 * MARGIN_IN
    half = (full - GAP_IN) / 2
    right = left + half + GAP_IN

    y = MARGIN_IN
    y += page.text(left, y, words.title, full, size=17, weight="bold")
    y += page.text(left, y + 0.02, words.made_on, full, size=8.5, colour=MUTED)
    y += page.text(left, y + 0.02, words.disclaimer, full, size=8.5, colour=MUTED,
                   style="italic") + 0.22 * scale

    def who_part(at: float) -> float:
        head = page.heading(left, at, words.who, half)
        return head + _facts(page, left, at + head, half, (*data.who, *data.programme_now))

    def intake(at: float) -> float:
        head = page.heading(left, at, words.intake, half)
        return head + _facts(page, left, at + head, half, data.intake, size=7.8)

    def triage(at: float) -> float:
        head = page.heading(right, at, words.triage, half)
        used = head + _facts(page, right, at + head, half, data.triage)
        if data.triage_reasons:
            used += page.text(right, at + used, words.reasons, half)
            used += _bullets(page, right + 0.1, at + used, half - 0.1, data.triage_reasons)
        return used

    def red_flags(at: float) -> float:
        head = page.heading(right, at, words.red_flags, half)
        if not data.red_flags:
            return head + page.text(right, at + head, words.no_red_flags, half)
        return head + _events(page, right, at + head, half, data.red_flags, colour=WARN)

    def levels(at: float) -> float:
        head = page.heading(right, at, words.levels, half)
        if data.exercise_levels:
            return head + _facts(page, right, at + head, half, data.exercise_levels, size=7.8)
        return head + page.text(right, at + head, words.not_recorded_levels, half,
                                colour=MUTED)

    y = max(_column(y, [who_part, intake], gap), _column(y, [triage, red_flags, levels], gap))
    y += 0.05 * scale

    # Pain over time: the chart on the left, the numbers in words beside it.
    y += page.heading(left, y, words.pain, full)
    chart_w, chart_h = full * 0.6, PAIN_CHART_IN * scale
    ax = page.axes(left + 0.3, y + 0.05, chart_w - 0.3, chart_h)
    ax.spines[["top", "right"]].set_visible(False)
    draw_pain(ax, data.pain, words.chart, font=7.5 * scale, title=False)
    beside = left + chart_w + 0.2
    words_h = _bullets(page, beside, y + 0.05, full - chart_w - 0.2, data.pain_in_words)
    y += max(chart_h + 0.4 * scale, words_h + 0.1)

    def sessions(at: float) -> float:
        head = page.heading(left, at, words.sessions, half)
        chart = SESSIONS_CHART_IN * scale
        ax = page.axes(left + 0.3, at + head + 0.02, half - 0.3, chart)
        ax.spines[["top", "right"]].set_visible(False)
        draw_sessions(ax, data.sessions, data.programme_week, data.total_weeks, words.chart,
                      font=7.5 * scale, title=False)
        used = head + chart + 0.3 * scale
        return used + page.text(left, at + used, data.sessions_in_words, half)

    def running(at: float) -> float:
        head = page.heading(left, at, words.running, half)
        used = head + _facts(page, left, at + head, half, data.running)
        if data.running_log:
            return used + _facts(page, left, at + used, half, data.running_log)
        return used + page.text(left, at + used, words.not_recorded_running, half,
                                colour=MUTED)

    def function(at: float) -> float:
        used = page.heading(right, at, words.function, half)
        if data.weekly_reviews:
            reviews = "; ".join(f"{f.label}: {f.value}" for f in data.weekly_reviews)
            used += page.text(right, at + used, f"{words.reviews} {reviews}", half)
        if not data.function_checks:
            return used + page.text(right, at + used, words.not_recorded_function, half,
                                    colour=MUTED)
        used += _facts(page, right, at + used, half, data.function_checks)
        return used + page.text(right, at + used, words.function_note, half, size=7.5,
                                colour=MUTED)

    def recommendations(at: float) -> float:
        head = page.heading(right, at, words.recommendations, half)
        if data.recommendations:
            return head + _events(page, right, at + head, half, data.recommendations)
        return head + page.text(right, at + head, words.no_recommendations, half)

    return max(_column(y, [sessions, running], gap),
               _column(y, [function, recommendations], gap)) - gap


def _save(fig: Figure, words: SummaryWords, scale: float) -> SummaryFiles:
    left = MARGIN_IN
    full = PAGE_IN[0] - 2 * MARGIN_IN
    Page(fig, words.chart.month_names).text(left, PAGE_IN[1] - MARGIN_IN + 0.1, words.footer,
                                             full, size=7, colour=MUTED)
    pdf = io.BytesIO()
    with _SAVE_LOCK, matplotlib.rc_context({"pdf.fonttype": 42}):
        fig.savefig(pdf, format="pdf", metadata={"Title": words.title, "Creator": "Kneecoach",
                                                   "Producer": "Kneecoach (matplotlib)",
                                                   "CreationDate": None})
    png = io.BytesIO()
    fig.savefig(png, format="png", dpi=PREVIEW_DPI)
    size = (round(PAGE_IN[0] * PREVIEW_DPI), round(PAGE_IN[1] * PREVIEW_DPI))
    return SummaryFiles(pdf.getvalue(), png.getvalue(), size, scale)
