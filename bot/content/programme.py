"""The programme: how sessions are chosen from the ladders, the progression and running
rules, the function check and end-of-block review, the weekly guidance notes, the pain-band
advice and the daily education cards. Numbers, ids and weeks are language-neutral
(``content/programme.yaml``); titles, notes, advice and card texts are each language's
(``content/locales/<lang>/programme.yaml``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from bot.content.models import Id, Model, NonEmptyStr, Weekday, text

BAND_NAMES = ("fine", "acceptable", "ease")
CARD_TEXT = 280  # characters of one education card


class PhaseSpec(Model):
    id: Id
    from_week: int = Field(ge=1)
    to_week: int | None = Field(ge=1)  # None: open-ended


class BandRange(Model):
    pain_min: int = Field(ge=0, le=10)
    pain_max: int = Field(ge=0, le=10)


class RunningRanges(Model):
    fine: BandRange
    acceptable: BandRange
    ease: BandRange


class MinutesRange(Model):
    default: int = Field(ge=1, le=180)
    min: int = Field(ge=1, le=180)
    max: int = Field(ge=1, le=180)

    @model_validator(mode="after")
    def _ordered(self) -> MinutesRange:
        if not self.min <= self.default <= self.max:
            raise ValueError("needs min <= default <= max")
        return self


class Selection(Model):
    """Which ladders a strength session draws on, in priority order per region."""

    knee: list[Id] = Field(min_length=1)
    hip: list[Id] = Field(min_length=1)
    fixed: int = Field(ge=1, le=5)
    minutes: MinutesRange


class Progression(Model):
    steady_sessions: int = Field(ge=1, le=10)
    pain_limit: int = Field(ge=0, le=10)


class WalkRunStage(Model):
    run: int = Field(ge=1, le=60)  # minutes of running
    walk: int = Field(ge=0, le=10)  # minutes of walking after each run (0: continuous)
    repeats: int = Field(ge=1, le=20)


class RunningRules(Model):
    step_percent: int = Field(ge=1, le=50)
    race_weeks: int = Field(ge=1, le=52)
    walk_run: list[WalkRunStage] = Field(min_length=1)


class FunctionRules(Model):
    weeks: list[int] = Field(min_length=1)
    clear_gain: int = Field(ge=1, le=20)


class ReviewRules(Model):
    week: int = Field(ge=1)
    pain_drop: int = Field(ge=1, le=10)
    maintenance_days: int = Field(ge=1, le=7)


class ProgrammeFile(Model):
    default_strength_days: list[Weekday] = Field(min_length=1)
    phases: list[PhaseSpec] = Field(min_length=1)
    daily: list[Id] = Field(min_length=1)
    selection: Selection
    progression: Progression
    running_advice: RunningRanges
    running: RunningRules
    function: FunctionRules
    review: ReviewRules
    cards: dict[int, Id] = Field(default_factory=dict)  # programme day -> education topic


class PhaseWording(Model):
    title: NonEmptyStr
    note: Annotated[str, text(1000)]


class BandWording(Model):
    title: NonEmptyStr
    text: Annotated[str, text(599)]


class ProgrammeWording(Model):
    phases: dict[str, PhaseWording]
    running_advice: dict[str, BandWording]
    cards: dict[int, Annotated[str, text(CARD_TEXT)]] = Field(default_factory=dict)


# ----------------------------------------------------------------- merged, per language


class Phase(Model):
    id: Id
    title: NonEmptyStr
    from_week: int
    to_week: int | None
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


class Card(Model):
    day: int
    topic: Id
    text: NonEmptyStr


class Programme(Model):
    default_strength_days: list[Weekday]
    phases: list[Phase]
    daily: list[Id]
    selection: Selection
    progression: Progression
    running_advice: RunningAdvice
    running: RunningRules
    function: FunctionRules
    review: ReviewRules
    cards: dict[int, Card]

    def phase_for_week(self, week: int) -> Phase:
        """The guidance for programme week ``week`` (1-based); weeks past the end get the
        last."""
        for phase in self.phases:
            if phase.covers(week):
                return phase
        return self.phases[0] if week < self.phases[0].from_week else self.phases[-1]

    def advice_for(self, pain: int, worse_next_morning: bool = False) -> AdviceBand:
        """Advice for the worst pain (0-10) during activity and the morning after."""
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
              to_week=p.to_week, note=words.phases[p.id].note)
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
    cards = {day: Card(day=day, topic=topic, text=words.cards[day])
             for day, topic in sorted(spec.cards.items())}
    return Programme(
        default_strength_days=spec.default_strength_days, phases=phases, daily=spec.daily,
        selection=spec.selection, progression=spec.progression,
        running_advice=RunningAdvice(**bands), running=spec.running, function=spec.function,
        review=spec.review, cards=cards,
    )
