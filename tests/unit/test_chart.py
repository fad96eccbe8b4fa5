"""The progress chart PNG and the text progress bar."""

from __future__ import annotations

import io
import shutil
import subprocess
import sys
import warnings
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import matplotlib.image
import pytest
from matplotlib.figure import Figure

from bot.content import check_bundle
from bot.content.chart import ChartText
from bot.progress.chart import (
    CHART_WIDTH_PX,
    ChartData,
    DayPoint,
    WeekPoint,
    WeekValue,
    chart_title,
    draw_pain,
    progress_bar,
    render_progress_png,
)
from tests.support.content import shipped_bundle, shipped_content

TEXT = shipped_content().chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
START = date(2025, 3, 1)


def month_of_days() -> list[DayPoint]:
    pains = [6, 5, 5, None, 4, 4, 3, None, None, 3, 2, 2, 1, 2, None, 1, 1, 0, 0, 1]
    return [DayPoint(START + timedelta(days=i), p) for i, p in enumerate(pains)]


WEEKS = [WeekPoint(1, 3), WeekPoint(2, 4), WeekPoint(3, 2)]


def decode(png: bytes) -> tuple[int, int]:
    image = matplotlib.image.imread(io.BytesIO(png), format="png")
    height, width = image.shape[:2]
    return width, height


def render_quietly(
    days: list[DayPoint], weeks: list[WeekPoint], streak: int, programme_week: int,
    total_weeks: int, text: ChartText = TEXT, **extra: list[WeekValue],
) -> bytes:
    """Render and fail on any warning (a missing glyph, a layout problem...)."""
    data = ChartData(days, weeks, streak, programme_week, total_weeks, **extra)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = render_progress_png(data, text)
    assert [str(w.message) for w in caught] == []
    return png


SIZE = (CHART_WIDTH_PX, 840)  # pain and sessions; each measure the programme records adds 280


class TestRender:
    def test_png_of_the_expected_size(self) -> None:
        png = render_quietly(month_of_days(), WEEKS, streak=5, programme_week=3, total_weeks=6)
        assert png.startswith(PNG_SIGNATURE)
        assert decode(png) == SIZE
        assert len(png) < 200_000

    def test_empty_data(self) -> None:
        png = render_quietly([], [], streak=0, programme_week=0, total_weeks=6)
        assert png.startswith(PNG_SIGNATURE)
        assert decode(png) == SIZE

    def test_all_pain_missing(self) -> None:
        days = [DayPoint(START + timedelta(days=i), None) for i in range(10)]
        png = render_quietly(days, WEEKS, streak=0, programme_week=3, total_weeks=6)
        assert decode(png) == SIZE

    def test_one_day_and_no_sessions_done(self) -> None:
        png = render_quietly(
            [DayPoint(START, 4)], [WeekPoint(1, 0)], streak=1, programme_week=1, total_weeks=6
        )
        assert decode(png) == SIZE

    def test_gaps_duplicates_and_unsorted_input(self) -> None:
        days = [
            DayPoint(START + timedelta(days=9), 2),
            DayPoint(START, 7),
            DayPoint(START, 3),  # a second check-in the same day: the worst counts
            DayPoint(START + timedelta(days=4), None),
        ]
        png = render_quietly(days, WEEKS[::-1], streak=2, programme_week=2, total_weeks=6)
        assert decode(png) == SIZE

    def test_long_history_and_weeks_beyond_the_programme(self) -> None:
        days = [DayPoint(START + timedelta(days=i), i % 11) for i in range(180)]
        weeks = [WeekPoint(w, w % 5) for w in range(1, 27)]
        png = render_quietly(days, weeks, streak=180, programme_week=26, total_weeks=12)
        assert decode(png) == SIZE

    def test_data_changes_the_picture(self) -> None:
        empty = render_quietly([], [], streak=0, programme_week=1, total_weeks=6)
        full = render_quietly(month_of_days(), WEEKS, streak=0, programme_week=1, total_weeks=6)
        assert empty != full

    def test_custom_text_is_used(self, tmp_path: Path) -> None:
        default = render_quietly([], [], streak=3, programme_week=1, total_weeks=6)
        text = TEXT
        other = ChartText(**{**_fields(text), "title": "Semaine {week} sur {total_weeks}"})
        custom = render_quietly([], [], streak=3, programme_week=1, total_weeks=6, text=other)
        assert custom != default

    @pytest.mark.parametrize(
        ("days", "weeks", "kwargs"),
        [
            ([DayPoint(START, 11)], [], {}),
            ([DayPoint(START, -1)], [], {}),
            ([], [WeekPoint(0, 1)], {}),
            ([], [WeekPoint(1, -1)], {}),
            ([], [], {"streak": -1}),
            ([], [], {"total_weeks": 0}),
            ([], [], {"programme_week": -1}),
            ([], [], {"running_km": [WeekValue(1, -3.0)]}),
            ([], [], {"running_km": [WeekValue(0, 3.0)]}),  # running weeks start at 1
            ([], [], {"function_checks": [WeekValue(3, 21)], "function_max": 20}),
            ([], [], {"function_checks": [WeekValue(-1, 5)], "function_max": 20}),
            ([], [], {"function_checks": [WeekValue(0, 5)], "function_max": 0}),
        ],
    )
    def test_bad_input(
        self, days: list[DayPoint], weeks: list[WeekPoint], kwargs: dict[str, object]
    ) -> None:
        args: dict[str, object] = {"streak": 0, "programme_week": 1, "total_weeks": 6, **kwargs}
        with pytest.raises(ValueError):
            render_progress_png(ChartData(days, weeks, **args), TEXT)  # type: ignore[arg-type]

    def test_function_checks_and_running_get_their_own_panels(self) -> None:
        plain = render_quietly(month_of_days(), WEEKS, streak=1, programme_week=3, total_weeks=6)
        both = render_quietly(
            month_of_days(), WEEKS, streak=1, programme_week=3, total_weeks=6,
            function_checks=[WeekValue(1, 55), WeekValue(3, 70)],
            running_km=[WeekValue(1, 8), WeekValue(2, 9.5), WeekValue(3, 11)],
        )
        assert decode(plain) == SIZE
        assert decode(both) == (CHART_WIDTH_PX, SIZE[1] + 2 * 280)

    def test_the_function_panel_starts_at_the_start_on_the_scale_of_the_check(self) -> None:
        data = ChartData(month_of_days(), WEEKS, 1, 3, 6, function_max=20,
                         function_checks=[WeekValue(0, 10), WeekValue(3, 14)])
        axes: list[Any] = []  # the chart's panels, kept as it makes them
        original = Figure.subplots

        def keep(self: Figure, *args: Any, **kwargs: Any) -> Any:
            found = original(self, *args, **kwargs)
            axes.extend(found[:, 0])
            return found

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(Figure, "subplots", keep)
            render_progress_png(data, TEXT)
        function = axes[2]
        assert function.get_title(loc="left") == "Function check (0–20, higher is better)"
        assert [t.get_text() for t in function.get_xticklabels()] == ["Start", "3"]
        assert function.get_ylim()[1] > 20  # the scale's top, with room for its number
        assert [t.get_text() for t in function.texts] == ["10", "14"]

    def test_week_seven_is_week_seven(self) -> None:
        # The chart said "Week 6 of 6" in week 7 and later.
        assert chart_title(7, 6, 3, TEXT) == "Week 7  ·  3-day streak"
        assert chart_title(6, 6, 3, TEXT) == "Week 6 of 6  ·  3-day streak"

    def test_day_labels_across_a_month_change_name_the_month(self) -> None:
        # "08" appeared twice under a chart from February into March.
        days = [DayPoint(date(2026, 2, 8) + timedelta(days=i), 3) for i in range(29)]
        fig = Figure()
        ax = fig.subplots()
        draw_pain(ax, days, TEXT)
        labels = [t.get_text() for t in ax.get_xticklabels()]
        assert 2 <= len(labels) <= 4
        assert len(set(labels)) == len(labels)
        assert labels[0] == "8 Feb" and labels[-1] == "8 Mar"
        assert all(label.split()[1] in TEXT.month_names for label in labels)

    def test_threads_render_independently(self) -> None:
        def one(streak: int) -> bytes:
            return render_progress_png(ChartData(month_of_days(), WEEKS, streak, 3, 6), TEXT)

        with ThreadPoolExecutor(max_workers=4) as pool:
            pngs = list(pool.map(one, range(4)))
        assert all(decode(p) == SIZE for p in pngs)
        assert pngs[1] == one(1)

    def test_does_not_touch_pyplot(self) -> None:
        code = (
            "import sys, datetime as dt\n"
            "from bot.progress.chart import ChartData, DayPoint, render_progress_png\n"
            "from bot.content import load_bundle\n"
            "text = load_bundle().content().chart\n"
            "data = ChartData([DayPoint(dt.date(2025, 1, 1), 3)], [], 1, 1, 6)\n"
            "render_progress_png(data, text)\n"
            "print('matplotlib.pyplot' in sys.modules)\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
        )
        assert result.stdout.strip() == "False"


def _fields(text: ChartText) -> dict[str, str]:
    return {name: getattr(text, name) for name in ChartText.__dataclass_fields__}


class TestProgressBar:
    @pytest.mark.parametrize(
        ("week", "total", "expected"),
        [
            (0, 6, "░░░░░░░░░░ week 0 of 6"),
            (1, 6, "▓░░░░░░░░░ week 1 of 6"),
            (3, 6, "▓▓▓▓▓░░░░░ week 3 of 6"),
            (5, 6, "▓▓▓▓▓▓▓▓░░ week 5 of 6"),
            (6, 6, "▓▓▓▓▓▓▓▓▓▓ week 6 of 6"),
            (7, 6, "▓▓▓▓▓▓▓▓▓▓ week 7: the 6-week programme is done"),
            (9, 6, "▓▓▓▓▓▓▓▓▓▓ week 9: the 6-week programme is done"),
            (-2, 6, "░░░░░░░░░░ week 0 of 6"),
            (1, 1, "▓▓▓▓▓▓▓▓▓▓ week 1 of 1"),
            (11, 12, "▓▓▓▓▓▓▓▓▓░ week 11 of 12"),
        ],
    )
    def test_values(self, week: int, total: int, expected: str) -> None:
        assert progress_bar(week, total, TEXT) == expected

    def test_full_only_at_the_end(self) -> None:
        for total in range(1, 30):
            for week in range(total):
                assert "░" in progress_bar(week, total, TEXT)
            assert "░" not in progress_bar(total, total, TEXT)

    def test_width(self) -> None:
        assert progress_bar(2, 4, TEXT, width=4) == "▓▓░░ week 2 of 4"
        assert progress_bar(1, 3, TEXT, width=20).startswith("▓" * 6 + "░" * 14 + " ")

    def test_words_come_from_content(self) -> None:
        text = ChartText(**{**_fields(TEXT), "progress": "semaine {week}/{total}"})
        assert progress_bar(3, 6, text) == "▓▓▓▓▓░░░░░ semaine 3/6"

    @pytest.mark.parametrize(("total", "width"), [(0, 10), (-1, 10), (6, 0)])
    def test_bad_input(self, total: int, width: int) -> None:
        with pytest.raises(ValueError):
            progress_bar(1, total, TEXT, width)


class TestContent:
    def test_shipped_text(self) -> None:
        text = TEXT
        assert "{streak}" in text.title
        assert "{week}" in text.progress and "{total}" in text.progress
        assert text.band_fine and text.band_acceptable and text.band_ease_off

    @staticmethod
    def _copy(tmp_path: Path) -> Path:
        copy = tmp_path / "content"
        shutil.copytree(shipped_bundle().root, copy)
        return copy

    def test_unknown_placeholder_is_rejected(self, tmp_path: Path) -> None:
        chart = self._copy(tmp_path) / "locales" / "en" / "chart.yaml"
        chart.write_text(chart.read_text(encoding="utf-8").replace("{streak}", "{streek}"),
                         encoding="utf-8")
        problems = check_bundle(chart.parents[2])
        assert any("chart.yaml" in p and "streek" in p for p in problems), problems

    def test_missing_band_is_rejected(self, tmp_path: Path) -> None:
        chart = self._copy(tmp_path) / "locales" / "en" / "chart.yaml"
        chart.write_text("title: x\nbands: {fine: a, acceptable: b}\n", encoding="utf-8")
        problems = check_bundle(chart.parents[2])
        assert any("chart.yaml" in p and "ease_off" in p for p in problems), problems
