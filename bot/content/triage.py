"""The triage rules' words in one language (``content/locales/<lang>/triage.yaml``): a
label per outcome and per signal, the reason shown when a signal fires, and the headings of
``kneecoach triage``. The rules (``content/triage.yaml``) are compiled by the engine's
screener; this module only holds their words."""

from __future__ import annotations

from pydantic import Field

from bot.content.models import Model, NonEmptyStr

CLI_KEYS: tuple[str, ...] = ("outcome", "signals", "nothing", "disclaimer")


class SignalWording(Model):
    label: NonEmptyStr
    reason: NonEmptyStr


class CliWording(Model):
    outcome: NonEmptyStr
    signals: NonEmptyStr
    nothing: NonEmptyStr
    disclaimer: NonEmptyStr


class TriageWording(Model):
    outcomes: dict[str, NonEmptyStr] = Field(min_length=1)
    cli: CliWording
    signals: dict[str, SignalWording] = Field(min_length=1)
