"""The words on the progress chart (``content/locales/<lang>/chart.yaml``)."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import Field, model_validator

from bot.content.models import Model, NonEmptyStr
from bot.content.texts import placeholders

# field -> the placeholders it may use
PLACEHOLDERS: dict[str, frozenset[str]] = {
    "title": frozenset({"week", "total_weeks", "streak"}),
    "progress": frozenset({"week", "total"}),
}


class ChartBands(Model):
    fine: NonEmptyStr
    acceptable: NonEmptyStr
    ease_off: NonEmptyStr


class ChartFile(Model):
    title: NonEmptyStr
    pain_axis: NonEmptyStr
    date_axis: NonEmptyStr
    sessions_axis: NonEmptyStr
    week_axis: NonEmptyStr
    bands: ChartBands
    no_checkins: NonEmptyStr
    no_sessions: NonEmptyStr
    progress: NonEmptyStr = Field()

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
    pain_axis: str
    date_axis: str
    sessions_axis: str
    week_axis: str
    band_fine: str
    band_acceptable: str
    band_ease_off: str
    no_checkins: str
    no_sessions: str
    progress: str

    @classmethod
    def of(cls, chart: ChartFile) -> ChartText:
        return cls(
            title=chart.title, pain_axis=chart.pain_axis, date_axis=chart.date_axis,
            sessions_axis=chart.sessions_axis, week_axis=chart.week_axis,
            band_fine=chart.bands.fine, band_acceptable=chart.bands.acceptable,
            band_ease_off=chart.bands.ease_off, no_checkins=chart.no_checkins,
            no_sessions=chart.no_sessions, progress=chart.progress,
        )
