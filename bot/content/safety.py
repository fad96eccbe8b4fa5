"""The safety texts (``content/locales/<lang>/safety.yaml``): the disclaimer, one message per
triage outcome and the other safety messages. Each must say it is not a diagnosis."""

from __future__ import annotations

from typing import Annotated

from bot.content.models import Model, NonEmptyStr, text

DISCLAIMER_PHRASE = "not a diagnosis"
SAFETY_MESSAGE_KEYS = ("consent", "age_under13", "age_teen", "race_soon", "swelling_pause")
OUTCOME_KEYS: tuple[str, ...] = ("urgent", "see_clinician", "other_likely", "pfp_program",
                                 "unclear")


class SafetyMessage(Model):
    title: NonEmptyStr
    text: Annotated[str, text(1499)]


class Outcomes(Model):
    urgent: SafetyMessage
    see_clinician: SafetyMessage
    other_likely: SafetyMessage
    pfp_program: SafetyMessage
    unclear: SafetyMessage


class Safety(Model):
    disclaimer: Annotated[str, text(300)]
    outcomes: Outcomes
    consent: SafetyMessage
    age_under13: SafetyMessage
    age_teen: SafetyMessage
    race_soon: SafetyMessage
    swelling_pause: SafetyMessage

    def outcome(self, name: str) -> SafetyMessage:
        """The message for a triage outcome (``urgent`` ... ``unclear``); KeyError if unknown."""
        if name not in OUTCOME_KEYS:
            raise KeyError(name)
        message: SafetyMessage = getattr(self.outcomes, name)
        return message

    def message(self, key: str) -> SafetyMessage:
        """A message by reply key: ``safety.urgent``, ``urgent``, ``consent``, ``age_teen``..."""
        name = key.removeprefix("safety.").removeprefix("outcomes.")
        if name in OUTCOME_KEYS:
            return self.outcome(name)
        if name in SAFETY_MESSAGE_KEYS:
            message: SafetyMessage = getattr(self, name)
            return message
        raise KeyError(key)

    def messages(self) -> dict[str, SafetyMessage]:
        """Every message by key: the five outcomes, then the other safety texts."""
        out: dict[str, SafetyMessage] = {name: self.outcome(name) for name in OUTCOME_KEYS}
        out.update({name: self.message(name) for name in SAFETY_MESSAGE_KEYS})
        return out
