"""The programme: phases by week and the running advice per pain band. The weeks, lists and
pain ranges are language-neutral (``content/programme.yaml``); titles, notes and advice texts
are each language's (``content/locales/<lang>/programme.yaml``)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from bot.content.models import Id, Model, NonEmptyStr, Weekday, text

Load = Literal["bodyweight", "band"]
BAND_NAMES = ("fine", "acceptable", "ease")


class PhaseSpec(Model):
    id: Id
    from_week: int = Field(ge=1)
    to_week: int | None = Field(ge=1)  # None: open-ended
    load: Load
    strength: list[Id] = Field(min_length=1)


class BandRange(Model):
    pain_min: int = Field(ge=0, le=10)
    pain_max: int = Field(ge=0, le=10)


class RunningRanges(Model):
    fine: BandRange
    acceptable: BandRange
    ease: BandRange


class ProgrammeFile(Model):
    default_strength_days: list[Weekday] = Field(min_length=1)
    phases: list[PhaseSpec] = Field(min_length=1)
    daily: list[Id] = Field(min_length=1)
    running_advice: RunningRanges


class PhaseWording(Model):
    title: NonEmptyStr
    note: Annotated[str, text(1000)]


class BandWording(Model):
    title: NonEmptyStr
    text: Annotated[str, text(599)]


class ProgrammeWording(Model):
    phases: dict[str, PhaseWording]
    running_advice: dict[str, BandWording]


# ----------------------------------------------------------------- merged, per language


class Phase(Model):
    id: Id
    title: NonEmptyStr
    from_week: int
    to_week: int | None
    load: Load
    strength: list[Id]
    note: NonEmptyStr

    def covers(self, week: int) -> bool:
        return week >= self.from_week and (self.to_week is None or week <= self.to_week)


class AdviceBand(Model):
    pain_min: int
    pain_max: int
    title: NonEmptyStr
    text: NonEmptyStr


class RunningAdvice(Model):
    fine: AdviceBand
    acceptable: AdviceBand
    ease: AdviceBand


class Programme(Model):
    default_strength_days: list[Weekday]
    phases: list[Phase]
    daily: list[Id]
    running_advice: RunningAdvice

    def phase_for_week(self, week: int) -> Phase:
        """The phase for programme week ``week`` (1-based); weeks past the end get the last."""
        for phase in self.phases:
            if phase.covers(week):
                return phase
        return self.phases[0] if week < self.phases[0].from_week else self.phases[-1]

    def advice_for(self, pain: int, worse_next_morning: bool = False) -> AdviceBand:
        """Running advice for the worst pain (0-10) during activity and the morning after."""
        bands = self.running_advice
        if worse_next_morning or pain > bands.acceptable.pain_max:
            return bands.ease
        if pain > bands.fine.pain_max:
            return bands.acceptable
        return bands.fine


def merge_programme(spec: ProgrammeFile, words: ProgrammeWording) -> Programme:
    """Structure and words together (the loader checks every id has its words first)."""
    phases = [
        Phase(id=p.id, title=words.phases[p.id].title, from_week=p.from_week,
              to_week=p.to_week, load=p.load, strength=p.strength, note=words.phases[p.id].note)
        for p in spec.phases
    ]
    bands = {
        name: AdviceBand(
            pain_min=getattr(spec.running_advice, name).pain_min,
            pain_max=getattr(spec.running_advice, name).pain_max,
            title=words.running_advice[name].title,
            text=words.running_advice[name].text,
        )
        for name in BAND_NAMES
    }
    return Programme(
        default_strength_days=spec.default_strength_days, phases=phases, daily=spec.daily,
        running_advice=RunningAdvice(**bands),
    )
