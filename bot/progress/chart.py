"""The progress chart (a PNG made for a phone) and the text progress bar.

Drawn with matplotlib's object API (``Figure`` + ``FigureCanvasAgg``), never pyplot: no global
state, so it is safe to call from several threads (for example through ``asyncio.to_thread``).
Every word on the chart comes from a language's ``content/locales/<lang>/chart.yaml``
(``ChartText`` in the content bundle), month names included, so a date label reads "8 Mar"
in every language's own words.

Made to be read at 400 pixels wide: the image is 800 pixels wide (sharp on a phone's screen),
in large type, with few labels: at most four dates, a panel title instead of axis labels.
Panels, top to bottom: the worst pain of each day over the fine / acceptable / ease-off bands;
sessions done per programme week; and, when there is any, the function checks (at the start
and at weeks 3 and 6, out of the scale's maximum) and the distance run in each programme
week (``ChartData`` carries them; a panel without data is left out).
"""

from __future__ import annotations

import datetime as dt
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, MaxNLocator

from bot.content.chart import ChartText
from bot.progress.points import DayPoint, WeekPoint, WeekValue

__all__ = [
    "CHART_DPI",
    "CHART_WIDTH_PX",
    "ChartData",
    "DayPoint",
    "WeekPoint",
    "WeekValue",
    "chart_height_px",
    "draw_pain",
    "draw_sessions",
    "progress_bar",
    "render_progress_png",
]

CHART_DPI = 100
CHART_WIDTH_PX = 800  # shown at about 400 px wide on a phone: type is twice as large
TITLE_PX = 110
PANEL_PX = {"pain": 430, "sessions": 300, "function": 280, "running": 280}
FONT_SIZE = 21  # points at 100 dpi: about 15 px tall when shown at 400 px wide
MAX_DATE_TICKS = 4
PAIN_MIN, PAIN_MAX = 0, 10
FINE_MAX, ACCEPTABLE_MAX = 2, 5  # pain 0-2 fine, 3-5 acceptable, above 5 ease off

FINE_COLOUR = "#2e7d32"
ACCEPTABLE_COLOUR = "#f9a825"
ACCEPTABLE_WORDS = "#9a6700"  # the band's name: darker than its shade, readable on it
EASE_OFF_COLOUR = "#c62828"
LINE_COLOUR = "#263238"
BAR_COLOUR = "#90a4ae"
CURRENT_BAR_COLOUR = "#1565c0"
RUN_COLOUR = "#6a4c93"
MUTED = "#455a64"
_BAND_ALPHA = 0.16
_MIN_SPAN_DAYS = 7


@dataclass(frozen=True)
class ChartData:
    """Everything the chart shows. ``function_checks`` (week 0: the check at the start) and
    ``running_km`` (programme weeks from 1) are empty until the programme records them; their
    panels appear as soon as they are not. ``function_max``: the top of the function scale
    (the panel's height; without it the panel fits the scores)."""

    days: Sequence[DayPoint]
    weekly_sessions: Sequence[WeekPoint]
    streak: int
    programme_week: int
    total_weeks: int
    function_checks: Sequence[WeekValue] = field(default_factory=tuple)
    running_km: Sequence[WeekValue] = field(default_factory=tuple)
    function_max: float | None = None

    def check(self) -> None:
        if self.streak < 0:
            raise ValueError("streak cannot be negative")
        if self.total_weeks < 1:
            raise ValueError("total_weeks must be at least 1")
        if self.programme_week < 0:
            raise ValueError("programme_week cannot be negative")
        for point in self.weekly_sessions:
            if point.week < 1:
                raise ValueError(f"weeks start at 1, got {point.week}")
            if point.sessions_done < 0:
                raise ValueError(f"sessions_done cannot be negative, got {point.sessions_done}")
        for measure in self.running_km:
            if measure.week < 1 or measure.value < 0 or math.isnan(measure.value):
                raise ValueError(f"a week's distance must be >= 0 in a week >= 1: {measure}")
        top = self.function_max if self.function_max is not None else math.inf
        if self.function_max is not None and not self.function_max > 0:
            raise ValueError(f"function_max must be above 0, got {self.function_max}")
        for measure in self.function_checks:
            if measure.week < 0 or not 0 <= measure.value <= top:
                raise ValueError(f"a function check must be 0-{top} in a week >= 0: {measure}")


def progress_bar(week: int, total: int, text: ChartText, width: int = 10) -> str:
    """A text bar such as "▓▓▓▓▓░░░░░ week 3 of 6"; past the programme's last week the bar is
    full and the words say which week it is ("week 7: the 6-week programme is done")."""
    if total < 1:
        raise ValueError("total must be at least 1")
    if width < 1:
        raise ValueError("width must be at least 1")
    shown = min(max(week, 0), total)
    filled = shown * width // total
    if week > total:
        words = text.progress_after.format(week=week, total=total)
    else:
        words = text.progress.format(week=shown, total=total)
    return f"{'▓' * filled}{'░' * (width - filled)} {words}"


def chart_title(week: int, total_weeks: int, streak: int, text: ChartText) -> str:
    template = text.title_after if week > total_weeks else text.title
    return template.format(week=week, total_weeks=total_weeks, streak=streak)


def day_label(day: dt.date, text: ChartText) -> str:
    """"8 Mar": the day and the month in the language's words, never a bare "08"."""
    return f"{day.day} {text.month_names[day.month - 1]}"


def _pain_series(days: Sequence[DayPoint]) -> tuple[list[dt.date], list[float]]:
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
    xs: list[dt.date] = []
    ys: list[float] = []
    for offset in range((last - first).days + 1):
        day = first + dt.timedelta(days=offset)
        xs.append(day)
        value = worst.get(day, -1)
        ys.append(float(value) if value >= 0 else math.nan)
    return xs, ys


def _date_ticks(first: dt.date, last: dt.date) -> list[dt.date]:
    """At most four days from the first to the last, evenly spaced, the first and the last
    included when they are far enough apart."""
    span = (last - first).days
    if span <= 0:
        return [first]
    step = max(1, math.ceil(span / (MAX_DATE_TICKS - 1)))
    ticks = [first + dt.timedelta(days=d) for d in range(0, span + 1, step)]
    if (last - ticks[-1]).days * 2 >= step:
        ticks.append(last)
    elif ticks[-1] != last:
        ticks[-1] = last
    return ticks[:MAX_DATE_TICKS] if len(ticks) > MAX_DATE_TICKS else ticks


def _panel_title(ax: Any, words: str) -> None:
    ax.set_title(words, loc="left", fontsize=FONT_SIZE, fontweight="bold", pad=10)


def draw_pain(ax: Any, days: Sequence[DayPoint], text: ChartText, font: float = FONT_SIZE,
              title: bool = True) -> None:
    """Worst pain by day over the three bands, the bands named inside the plot."""
    low, high = PAIN_MIN - 0.5, PAIN_MAX + 0.5
    bands = ((low, FINE_MAX + 0.5, FINE_COLOUR, FINE_COLOUR, text.band_fine),
             (FINE_MAX + 0.5, ACCEPTABLE_MAX + 0.5, ACCEPTABLE_COLOUR, ACCEPTABLE_WORDS,
              text.band_acceptable),
             (ACCEPTABLE_MAX + 0.5, high, EASE_OFF_COLOUR, EASE_OFF_COLOUR, text.band_ease_off))
    for bottom, top, shade, ink, words in bands:
        ax.axhspan(bottom, top, color=shade, alpha=_BAND_ALPHA, linewidth=0)
        ax.text(0.99, (top - low - 0.35) / (high - low), words, transform=ax.transAxes,
                ha="right", va="top", color=ink, fontsize=font * 0.72, fontweight="bold",
                bbox={"facecolor": "white", "alpha": 0.75, "edgecolor": "none", "pad": 1.5},
                zorder=3)
    ax.set_ylim(low, high)
    ax.set_yticks([0, 5, 10])
    ax.tick_params(labelsize=font * 0.85)
    if title:
        _panel_title(ax, text.pain_axis)
    xs, ys = _pain_series(days)
    if not any(not math.isnan(y) for y in ys):
        ax.set_xticks([])
        ax.text(0.5, 0.5, text.no_checkins, transform=ax.transAxes, ha="center", va="center",
                color=MUTED, fontsize=font)
        return
    positions = [d.toordinal() for d in xs]
    ax.plot(positions, ys, color=LINE_COLOUR, linewidth=font * 0.15, marker="o",
            markersize=font * 0.28 if len(xs) < 40 else 0)
    right = max(positions[-1], positions[0] + _MIN_SPAN_DAYS - 1)
    ax.set_xlim(positions[0] - 0.6, right + 0.6)
    ticks = _date_ticks(xs[0], dt.date.fromordinal(right))
    ax.xaxis.set_major_locator(FixedLocator([d.toordinal() for d in ticks]))
    ax.set_xticklabels([day_label(d, text) for d in ticks])


def draw_sessions(ax: Any, weekly: Sequence[WeekPoint], programme_week: int, total_weeks: int,
                  text: ChartText, font: float = FONT_SIZE, title: bool = True) -> None:
    """Sessions done per programme week; the current week in blue."""
    done: dict[int, int] = {}
    for point in weekly:
        done[point.week] = done.get(point.week, 0) + point.sessions_done
    last_week = max([total_weeks, programme_week, *done])
    ax.set_xlim(0.4, last_week + 0.6)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True, min_n_ticks=1))
    ax.yaxis.set_major_locator(MaxNLocator(nbins=3, integer=True, min_n_ticks=1))
    ax.tick_params(labelsize=font * 0.85)
    if title:
        _panel_title(ax, f"{text.sessions_axis} · {text.week_axis}")
    if not any(done.values()):
        ax.set_ylim(0, 1)
        ax.set_yticks([])
        ax.text(0.5, 0.5, text.no_sessions, transform=ax.transAxes, ha="center", va="center",
                color=MUTED, fontsize=font)
        return
    weeks = sorted(done)
    colours = [CURRENT_BAR_COLOUR if w == programme_week else BAR_COLOUR for w in weeks]
    bars = ax.bar(weeks, [done[w] for w in weeks], color=colours, width=0.7)
    if len(weeks) <= 12:
        ax.bar_label(bars, fontsize=font * 0.8, padding=3)
    ax.set_ylim(0, max(done.values()) * 1.3 + 0.5)


def _draw_weekly(ax: Any, values: Sequence[WeekValue], last_week: int, words: str, colour: str,
                 as_bars: bool, top: float | None = None, start: str | None = None) -> None:
    """One measure by programme week; ``start``: the name of week 0 (the start), drawn left
    of week 1 when the measure has one."""
    by_week = {v.week: v.value for v in sorted(values, key=lambda v: v.week)}
    first = 0 if start is not None and 0 in by_week else 1
    ax.set_xlim(first - 0.6, max([last_week, *by_week]) + 0.6)
    weeks, amounts = list(by_week), list(by_week.values())
    if as_bars:
        ax.xaxis.set_major_locator(MaxNLocator(nbins=8, integer=True, min_n_ticks=1))
    else:  # a few checks: a mark under each, the first named when it is the start
        ax.xaxis.set_major_locator(FixedLocator(weeks))
        ax.xaxis.set_major_formatter(
            lambda x, _: start if first == 0 and round(x) == 0 else f"{x:g}")
    ax.yaxis.set_major_locator(MaxNLocator(nbins=3, min_n_ticks=1))
    ax.tick_params(labelsize=FONT_SIZE * 0.85)
    _panel_title(ax, words)
    if as_bars:
        bars = ax.bar(weeks, amounts, color=colour, width=0.7)
        if len(weeks) <= 12:
            ax.bar_label(bars, labels=[f"{a:g}" for a in amounts], fontsize=FONT_SIZE * 0.8,
                         padding=3)
    else:
        ax.plot(weeks, amounts, color=colour, linewidth=3.2, marker="o", markersize=7)
        for week, amount in zip(weeks, amounts, strict=True):  # few points: say each score
            ax.annotate(f"{amount:g}", (week, amount), textcoords="offset points",
                        xytext=(0, 9), ha="center", fontsize=FONT_SIZE * 0.8, color=colour)
    # Room above the highest point (or the top of the scale) for its mark and its number.
    ax.set_ylim(0, (top if top is not None else max(amounts)) * 1.3 + 0.5)


def chart_height_px(data: ChartData) -> int:
    height = TITLE_PX + PANEL_PX["pain"] + PANEL_PX["sessions"]
    if data.function_checks:
        height += PANEL_PX["function"]
    if data.running_km:
        height += PANEL_PX["running"]
    return height


def render_progress_png(data: ChartData, text: ChartText) -> bytes:
    """Draw the progress chart and return it as PNG bytes (800 pixels wide, portrait)."""
    data.check()
    panels = ["pain", "sessions"]
    if data.function_checks:
        panels.append("function")
    if data.running_km:
        panels.append("running")
    height_px = chart_height_px(data)
    fig = Figure(figsize=(CHART_WIDTH_PX / CHART_DPI, height_px / CHART_DPI), dpi=CHART_DPI,
                 layout="constrained")
    FigureCanvasAgg(fig)  # attach the Agg canvas: no pyplot, no global backend
    axes = fig.subplots(len(panels), 1, height_ratios=[PANEL_PX[p] for p in panels],
                        squeeze=False)[:, 0]
    fig.suptitle(chart_title(data.programme_week, data.total_weeks, data.streak, text),
                 fontsize=FONT_SIZE * 1.2, fontweight="bold")
    last_week = max(data.total_weeks, data.programme_week)
    for ax, panel in zip(axes, panels, strict=True):
        ax.spines[["top", "right"]].set_visible(False)
        if panel == "pain":
            draw_pain(ax, data.days, text)
        elif panel == "sessions":
            draw_sessions(ax, data.weekly_sessions, data.programme_week, data.total_weeks, text)
        elif panel == "function":
            top = data.function_max or max(v.value for v in data.function_checks)
            axis = text.function_axis.format(max=f"{top:g}")
            _draw_weekly(ax, data.function_checks, last_week, axis, LINE_COLOUR, as_bars=False,
                         top=top, start=text.function_start)
        else:
            _draw_weekly(ax, data.running_km, last_week, text.running_axis, RUN_COLOUR,
                         as_bars=True)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=CHART_DPI)
    return buffer.getvalue()
