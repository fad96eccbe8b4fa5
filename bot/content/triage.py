"""The triage rules' words in one language (``content/locales/<lang>/triage.yaml``): a
label per outcome and per signal, the reason shown when a signal fires, and the headings of
``kneecoach triage``. The rules (``content/triage.yaml``) are compiled by the engine's
screener; this module only holds their words."""

from __future__ import annotations

from pydantic import Field

from bot.content.models import Model, NonEmptyStr

CLI_KEYS: tuple[str, ...] = ("outcome", "signals", "nothing", "disclaimer")

MODIFIERS: tuple[str, ...] = ("negated", "historical", "other", "hypothetical", "uncertain")
"""The ConText modifiers a finding may carry (the screener's and the words' shared ids)."""

BUILTIN_RULES: tuple[str, ...] = ("negator", "inside", "resolved", "answer")
"""Rule ids of the negation the screener applies from ``language`` word lists; the rules of
``context.rules`` in ``content/triage.yaml`` add their own ids."""


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
    # modifier id -> how it reads ("said not to be there"); rule id -> why it fires
    modifiers: dict[str, NonEmptyStr] = Field(min_length=1)
    rules: dict[str, NonEmptyStr] = Field(min_length=1)
