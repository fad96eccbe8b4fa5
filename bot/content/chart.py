"""The words on the progress chart (``content/locales/<lang>/chart.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, model_validator

from bot.content.models import Model, NonEmptyStr
from bot.content.texts import placeholders

# field -> the placeholders it may use
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "title": frozenset({"week", "total_weeks", "streak"}),
    "title_after": frozenset({"week", "total_weeks", "streak"}),
    "progress": frozenset({"week", "total"}),
    "progress_after": frozenset({"week", "total"}),
    "function_axis": frozenset({"max"}),
}


class ChartBands(Model):
    fine: NonEmptyStr
    acceptable: NonEmptyStr
    ease_off: NonEmptyStr


class ChartFile(Model):
    title: NonEmptyStr
    title_after: NonEmptyStr  # past the programme's last week ("Week 7 · ...")
    pain_axis: NonEmptyStr
    date_axis: NonEmptyStr
    sessions_axis: NonEmptyStr
    week_axis: NonEmptyStr
    function_axis: NonEmptyStr
    function_start: NonEmptyStr  # the function panel's first mark: the check at the start
    running_axis: NonEmptyStr
    bands: ChartBands
    no_checkins: NonEmptyStr
    no_sessions: NonEmptyStr
    progress: NonEmptyStr = Field()
    progress_after: NonEmptyStr
    months: NonEmptyStr  # twelve short month names, January first, separated by spaces

    @model_validator(mode="after")
    def _twelve_months(self) -> ChartFile:
        if len(self.months.split()) != 12:
            raise ValueError(f"'months' needs 12 names, got {len(self.months.split())}")
        return self

    @model_validator(mode="after")
    def _known_placeholders(self) -> ChartFile:
        for name in type(self).model_fields:
            value = getattr(self, name)
            if not isinstance(value, str):
                continue
            try:
                used = placeholders(value)
            except ValueError as exc:
                raise ValueError(f"{name!r} is not a valid template: {exc}") from exc
            allowed = PLACEHOLDERS.get(name, frozenset())
            if not used <= allowed:
                raise ValueError(f"{name!r} uses unknown placeholders {sorted(used - allowed)};"
                                 f" allowed: {sorted(allowed)}")
        return self


@dataclass(frozen=True, slots=True)
class ChartText:
    title: str
    title_after: str
    pain_axis: str
    date_axis: str
    sessions_axis: str
    week_axis: str
    function_axis: str
    function_start: str
    running_axis: str
    band_fine: str
    band_acceptable: str
    band_ease_off: str
    no_checkins: str
    no_sessions: str
    progress: str
    progress_after: str
    months: str

    @property
    def month_names(self) -> list[str]:
        return self.months.split()

    @classmethod
    def of(cls, chart: ChartFile) -> ChartText:
        return cls(
            title=chart.title, title_after=chart.title_after, pain_axis=chart.pain_axis,
            date_axis=chart.date_axis, sessions_axis=chart.sessions_axis,
            week_axis=chart.week_axis, function_axis=chart.function_axis,
            function_start=chart.function_start, running_axis=chart.running_axis,
            band_fine=chart.bands.fine, band_acceptable=chart.bands.acceptable,
            band_ease_off=chart.bands.ease_off,
            no_checkins=chart.no_checkins, no_sessions=chart.no_sessions,
            progress=chart.progress, progress_after=chart.progress_after, months=chart.months,
        )
