"""The daily programme: sessions by week and weekday, check-ins, the weekly review,
escalation to a clinician, reminder settings and progress."""

from __future__ import annotations

from bot.engine.feature import Registry
from bot.engine.features.programme import checkins, daily, holds, plan, progress, settings
from bot.engine.features.programme.checkins import Checkins
from bot.engine.features.programme.daily import Daily
from bot.engine.features.programme.holds import Holds
from bot.engine.features.programme.plan import Kit
from bot.engine.features.programme.progress import Progress
from bot.engine.features.programme.settings import Settings
from bot.store.programme import ProgrammeStore


class Programme:
    name = "programme"

    def __init__(self, store: ProgrammeStore) -> None:
        kit = Kit(store)
        self.daily = Daily(kit)
        self.checkins = Checkins(kit)
        self.settings = Settings(kit)
        self.progress = Progress(kit)
        self.holds = Holds(kit)

    def register(self, registry: Registry) -> None:
        registry.command("today", self.daily.today, menu=True)
        registry.command("checkin", self.checkins.checkin, menu=True)
        registry.command("progress", self.progress.progress, menu=True)
        registry.command("settings", self.settings.settings, menu=True)
        registry.command("stop", self.settings.stop, menu=True)
        registry.command("resume", self.settings.resume)
        registry.action("start_programme", self.settings.start_programme)
        registry.action("show_session", self.daily.show_session)
        registry.action("snooze", self.daily.snooze)
        registry.action("record_session", self.daily.record_session)
        registry.action("apply_checkin", self.checkins.apply_checkin)
        registry.action("apply_weekly", self.checkins.apply_weekly)
        registry.action("apply_settings", self.settings.apply_settings)
        registry.press("prog", self.holds.press)
        registry.on_red_flag(self.holds.on_red_flag)
        registry.reminder("daily", self.daily.compose)
        registry.reminder("snooze", self.daily.compose)
        for module in (plan, daily, checkins, settings, progress, holds):
            registry.texts(module.TEXTS)
