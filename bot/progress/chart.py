"""The progress chart (a PNG) and the text progress bar.

Drawn with matplotlib's object API (``Figure`` + ``FigureCanvasAgg``), never pyplot: no global
state, so it is safe to call from several threads (for example through ``asyncio.to_thread``).
Every word on the chart comes from a language's ``content/locales/<lang>/chart.yaml``
(``ChartText`` in the content bundle).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import MaxNLocator

from bot.content.chart import ChartText

__all__ = [
    "CHART_DPI",
    "CHART_SIZE_PX",
    "DayPoint",
    "WeekPoint",
    "progress_bar",
    "render_progress_png",
]

CHART_DPI = 100
CHART_SIZE_PX = (800, 600)  # width, height
PAIN_MIN, PAIN_MAX = 0, 10
FINE_MAX, ACCEPTABLE_MAX = 2, 5  # pain 0-2 fine, 3-5 acceptable, above 5 ease off

_FINE_COLOUR = "#2e7d32"
_ACCEPTABLE_COLOUR = "#f9a825"
_EASE_OFF_COLOUR = "#c62828"
_LINE_COLOUR = "#263238"
_BAR_COLOUR = "#78909c"
_CURRENT_BAR_COLOUR = "#1565c0"
_BAND_ALPHA = 0.18
_MIN_SPAN_DAYS = 7


@dataclass(frozen=True, slots=True)
class DayPoint:
    """One local day: the worst pain reported that day (0-10), None when there was no check-in."""

    date: dt.date
    worst_pain: int | None


@dataclass(frozen=True, slots=True)
class WeekPoint:
    """One programme week (1-based) and how many sessions were done in it."""

    week: int
    sessions_done: int


def progress_bar(week: int, total: int, text: ChartText, width: int = 10) -> str:
    """A text bar such as "▓▓▓▓▓░░░░░ week 3 of 6".

    ``week`` is clamped to 0..total (a week beyond the programme shows a full bar and the last
    week); the bar is full only when the programme is.
    """
    if total < 1:
        raise ValueError("total must be at least 1")
    if width < 1:
        raise ValueError("width must be at least 1")
    shown = min(max(week, 0), total)
    filled = shown * width // total
    words = text.progress.format(week=shown, total=total)
    return f"{'▓' * filled}{'░' * (width - filled)} {words}"


def _pain_series(days: Sequence[DayPoint]) -> tuple[list[dt.datetime], list[float]]:
    """One point per calendar day from the first to the last, NaN where there is no check-in."""
    worst: dict[dt.date, int] = {}
    for point in days:
        if point.worst_pain is None:
            worst.setdefault(point.date, -1)
            continue
        if not PAIN_MIN <= point.worst_pain <= PAIN_MAX:
            raise ValueError(f"pain must be {PAIN_MIN}-{PAIN_MAX}, got {point.worst_pain}")
        worst[point.date] = max(worst.get(point.date, -1), point.worst_pain)
    if not worst:
        return [], []
    first, last = min(worst), max(worst)
    xs: list[dt.datetime] = []
    ys: list[float] = []
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        xs.append(dt.datetime.combine(day, dt.time()))
        value = worst.get(day, -1)
        ys.append(float(value) if value >= 0 else math.nan)
    return xs, ys


def _draw_pain(ax: Any, days: Sequence[DayPoint], text: ChartText) -> None:
    low, high = PAIN_MIN - 0.5, PAIN_MAX + 0.5
    ax.axhspan(low, FINE_MAX + 0.5, color=_FINE_COLOUR, alpha=_BAND_ALPHA, linewidth=0)
    ax.axhspan(
        FINE_MAX + 0.5,
        ACCEPTABLE_MAX + 0.5,
        color=_ACCEPTABLE_COLOUR,
        alpha=_BAND_ALPHA,
        linewidth=0,
    )
    ax.axhspan(ACCEPTABLE_MAX + 0.5, high, color=_EASE_OFF_COLOUR, alpha=_BAND_ALPHA, linewidth=0)
    ax.set_ylim(low, high)
    ax.set_yticks(range(PAIN_MIN, PAIN_MAX + 1, 2))
    ax.set_ylabel(text.pain_axis)
    ax.set_xlabel(text.date_axis)
    ax.legend(
        handles=[
            Patch(color=_EASE_OFF_COLOUR, alpha=0.4, label=text.band_ease_off),
            Patch(color=_ACCEPTABLE_COLOUR, alpha=0.4, label=text.band_acceptable),
            Patch(color=_FINE_COLOUR, alpha=0.4, label=text.band_fine),
        ],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize="small",
        frameon=False,
    )
    xs, ys = _pain_series(days)
    if not any(not math.isnan(y) for y in ys):
        ax.set_xticks([])
        ax.text(
            0.5,
            0.5,
            text.no_checkins,
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="#455a64",
        )
        return
    ax.plot(xs, ys, color=_LINE_COLOUR, linewidth=1.8, marker="o", markersize=4)
    # At least a week wide, so a few check-ins do not stretch into hour-by-hour ticks.
    margin = dt.timedelta(hours=12)
    right = max(xs[-1], xs[0] + dt.timedelta(days=_MIN_SPAN_DAYS - 1))
    ax.set_xlim(xs[0] - margin, right + margin)
    locator = AutoDateLocator(minticks=3, maxticks=8)  # type: ignore[no-untyped-call]
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]


def _draw_sessions(
    ax: Any, weekly: Sequence[WeekPoint], programme_week: int, total_weeks: int, text: ChartText
) -> None:
    done: dict[int, int] = {}
    for point in weekly:
        if point.week < 1:
            raise ValueError(f"weeks start at 1, got {point.week}")
        if point.sessions_done < 0:
            raise ValueError(f"sessions_done cannot be negative, got {point.sessions_done}")
        done[point.week] = done.get(point.week, 0) + point.sessions_done
    last_week = max([total_weeks, *done])
    ax.set_xlim(0.5, last_week + 0.5)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True, min_n_ticks=1))
    ax.set_xlabel(text.week_axis)
    ax.set_ylabel(text.sessions_axis)
    if not any(done.values()):
        ax.set_ylim(0, 1)
        ax.text(
            0.5,
            0.5,
            text.no_sessions,
            transform=ax.transAxes,
            ha="center",
            va="center",
            color="#455a64",
        )
        return
    weeks = sorted(done)
    colours = [_CURRENT_BAR_COLOUR if w == programme_week else _BAR_COLOUR for w in weeks]
    bars = ax.bar(weeks, [done[w] for w in weeks], color=colours, width=0.7)
    ax.bar_label(bars, fontsize="small", padding=2)
    ax.set_ylim(0, max(done.values()) * 1.2 + 0.5)


def render_progress_png(
    days: Sequence[DayPoint],
    weekly_sessions: Sequence[WeekPoint],
    streak: int,
    programme_week: int,
    total_weeks: int,
    text: ChartText,
) -> bytes:
    """Draw the progress chart and return it as PNG bytes (800x600 pixels).

    Top: the worst pain of each day on the 0-10 scale over the fine / acceptable / ease-off
    bands, with gaps on days without a check-in. Bottom: sessions done per programme week, the
    current week highlighted. The title carries the programme week (shown as at most
    ``total_weeks``, like ``progress_bar``) and the streak.
    """
    if streak < 0:
        raise ValueError("streak cannot be negative")
    if total_weeks < 1:
        raise ValueError("total_weeks must be at least 1")
    if programme_week < 0:
        raise ValueError("programme_week cannot be negative")
    words = text
    width_px, height_px = CHART_SIZE_PX
    fig = Figure(
        figsize=(width_px / CHART_DPI, height_px / CHART_DPI), dpi=CHART_DPI, layout="constrained"
    )
    FigureCanvasAgg(fig)  # attach the Agg canvas: no pyplot, no global backend
    pain_ax, sessions_ax = fig.subplots(2, 1, height_ratios=[3, 2])
    fig.suptitle(
        words.title.format(
            week=min(programme_week, total_weeks), total_weeks=total_weeks, streak=streak
        ),
        fontsize="large",
    )
    _draw_pain(pain_ax, days, words)
    _draw_sessions(sessions_ax, weekly_sessions, programme_week, total_weeks, words)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=CHART_DPI)
    return buffer.getvalue()
