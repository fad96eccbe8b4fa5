"""The daily programme: sessions built from the runner's ladders, progression by feedback,
check-ins with the running log, the weekly review with its running suggestion, the
function check, the end-of-block review, escalation to a clinician, settings and
progress."""

from __future__ import annotations

from collections.abc import Mapping

from bot.engine.feature import Registry
from bot.engine.features.programme import (
    checkins,
    daily,
    function,
    holds,
    plan,
    progress,
    progression,
    quieter,
    review,
    running,
    settings,
)
from bot.engine.features.programme.checkins import Checkins
from bot.engine.features.programme.daily import Daily
from bot.engine.features.programme.function import FunctionCheck
from bot.engine.features.programme.holds import Holds
from bot.engine.features.programme.plan import Kit
from bot.engine.features.programme.progress import Progress
from bot.engine.features.programme.progression import Progression
from bot.engine.features.programme.quieter import QuieterTimes
from bot.engine.features.programme.review import Review
from bot.engine.features.programme.running import Running
from bot.engine.features.programme.settings import Settings
from bot.store.load import LoadStore
from bot.store.outcomes import OutcomeStore
from bot.store.programme import ProgrammeStore
from bot.store.progression import ProgressionStore


class Programme:
    name = "programme"

    def __init__(
        self, store: ProgrammeStore, levels: ProgressionStore, outcomes: OutcomeStore,
        load: LoadStore, rates: Mapping[str, float],
    ) -> None:
        kit = Kit(store, levels, outcomes)
        self.progression = Progression(kit)
        self.running = Running(kit)
        self.daily = Daily(kit, self.progression)
        self.checkins = Checkins(kit, self.running, self.progression)
        self.review = Review(kit, self.running, self.checkins)
        self.function = FunctionCheck(kit, self.running, self.checkins, self.review)
        self.settings = Settings(kit)
        self.progress = Progress(kit)
        self.holds = Holds(kit)
        self.quieter = QuieterTimes(kit, load, rates)

    def register(self, registry: Registry) -> None:
        registry.command("today", self.daily.today, menu=True)
        registry.command("checkin", self.checkins.checkin, menu=True)
        registry.command("progress", self.progress.progress, menu=True)
        registry.command("settings", self.settings.settings, menu=True)
        registry.command("stop", self.settings.stop, menu=True)
        registry.command("resume", self.settings.resume)
        registry.action("start_programme", self.settings.start_programme)
        registry.action("show_session", self.daily.show_session)
        registry.action("show_short", self.daily.show_short)
        registry.action("snooze", self.daily.snooze)
        registry.action("record_session", self.daily.record_session)
        registry.action("apply_feedback", self.progression.apply_feedback)
        registry.action("apply_checkin", self.checkins.apply_checkin)
        registry.action("apply_weekly", self.checkins.apply_weekly)
        registry.action("apply_function", self.function.apply_function)
        registry.action("apply_settings", self.settings.apply_settings)
        registry.action("offer_quieter", self.quieter.offer)
        registry.action("take_quieter", self.quieter.take)
        registry.press("prog", self.holds.press)
        registry.press("plan", self.review.press)
        registry.on_red_flag(self.holds.on_red_flag)
        registry.reminder("daily", self.daily.compose)
        registry.reminder("snooze", self.daily.compose)
        for module in (plan, daily, progression, checkins, running, function, review,
                       settings, progress, holds, quieter):
            registry.texts(module.TEXTS)
