"""The intake: /start, consent, age, the knee in the runner's own words, and triage."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.domain.events import Reply
from bot.engine.feature import Registry
from bot.engine.session import Session
from bot.store.programme import ProgrammeStore

INTAKE = "intake"  # the dialog this feature runs
# Set in the intake's data when consent was given during it (none before).
GIVEN_HERE = "consent_given_here"
# Set in the intake's data when the race advice was given (the programme's start reads it).
RACE_ADVISED = "race_advised"
# Answer set when "No thanks" came from someone who had agreed before this intake.
KEPT = "consent_kept"

TEXTS = {
    "start.welcome": (),
    "start.resume": (),
    "intake.prefill_note": (),
    "gate.hold_remains": (),
}
UNDER_WAY = frozenset({"active", "paused", "hold"})


class Intake:
    name = "intake"

    def __init__(self, programme: ProgrammeStore) -> None:
        self.programme = programme

    def register(self, registry: Registry) -> None:
        registry.command("start", self.start, menu=True)
        registry.action("record_consent", self.record_consent)
        registry.action("decline_consent", self.decline_consent)
        registry.action("under13", self.under13)
        registry.action("prefill_from_story", self.prefill)
        registry.action("triage", self.triage)
        registry.action("redo_intake", self.redo)
        registry.texts(TEXTS)

    async def start(self, session: Session, args: str) -> None:
        state = session.state
        # Someone still at the consent question, who never agreed, has seen nothing worth
        # carrying on from (their first welcome may never have reached them: a Discord
        # member whose DMs were closed): they start afresh, with the welcome.
        at_the_door = state.dialog == INTAKE and session.user.consent_at is None
        if state.dialog is not None and state.step is not None and not at_the_door:
            session.say("start.resume")
            state.seq += 1  # the question asked again: the old copy's buttons are stale
            session.reask()
            return
        plan = await self.programme.plan(session.user.id)
        if plan is not None and plan.status in UNDER_WAY:
            await session.begin("restart")  # ask first; nothing is reset either way
            return
        session.say("start.welcome")
        await session.begin(INTAKE)

    async def redo(self, session: Session) -> str | None:
        session.say("start.welcome")
        session.follow_with("intake")
        return None

    async def record_consent(self, session: Session) -> str | None:
        if session.user.consent_at is None:
            # Agreed in this intake: a later "No thanks" here (after /back) takes it back.
            session.state.data[GIVEN_HERE] = True
        await session.users.set_consent(session.user.id, session.now)
        session.user.consent_at = session.now.isoformat()
        return None

    async def decline_consent(self, session: Session) -> str | None:
        """ "No thanks" to the consent question. Someone who agreed earlier in this same
        intake and went back to say no is as new: their consent time is cleared and what was
        stored under it (the answers and triage, red flags they typed, the age band) goes.
        The reply, as for anyone who declines, says no answers are stored. Someone who had
        agreed before this intake keeps what they told us then, and the reply says so."""
        if session.state.data.pop(GIVEN_HERE, False):
            await session.users.withdraw_consent(session.user.id)
            session.user.consent_at = None
            session.user.age_band = None
        elif session.user.consent_at is not None:
            # Agreed before this intake: what they told us then stays (and is said to),
            # as does any programme; /forget is how to delete it.
            session.state.data.setdefault("answers", {})[KEPT] = "yes"
        return None

    async def under13(self, session: Session) -> str | None:
        session.add(Reply(key="safety.age_under13",
                          text=session.book.safety_text("age_under13")))
        await session.users.forget(session.user.id)
        session.erase()
        return None

    async def prefill(self, session: Session) -> str | None:
        data = session.state.data
        signals = set(data.get("story_signals", [])) | set(data.get("flags", []))
        data["prefill"] = session.book.prefill(signals)
        if data["prefill"]:
            session.say("intake.prefill_note")
        return None

    async def triage(self, session: Session) -> str | None:
        data = session.state.data
        answers: dict[str, Any] = data.setdefault("answers", {})
        extra = set(data.get("story_signals", [])) | set(data.get("flags", []))
        if session.user.age_band:
            answers.setdefault("age_band", session.user.age_band)
        result = session.triage.triage_answers(answers, sorted(extra))
        answers["outcome"] = result.outcome
        users, user_id = session.users, session.user.id
        await users.add_triage(user_id, result.outcome, list(result.signals), session.now)
        profile = {k: v for k, v in answers.items() if k not in {"consent"}}
        await users.save_answers(user_id, profile, session.now)
        if answers.get("age_band"):
            await users.set_age_band(user_id, str(answers["age_band"]))
        race_advice = "race_soon" in result.signals and result.outcome == "pfp_program"
        if race_advice:  # said once, in its own message below, not also among the reasons
            result = dataclasses.replace(result, reasons=tuple(
                reason for signal, reason in zip(result.signals, result.reasons, strict=True)
                if signal != "race_soon"))
        session.add(session.book.triage_reply(result))
        if result.outcome == "pfp_program" and await users.on_clinician_hold(user_id):
            # An earlier urgent or see-a-clinician outcome (or red flag) still stands: doing
            # the intake again does not lift it; only "a clinician has checked it" does.
            session.add(session.book.hold_reply("gate.hold_remains"))
            return "after_referral"
        if race_advice:
            session.add(Reply(key="safety.race_soon", text=session.book.safety_text("race_soon")))
            data[RACE_ADVISED] = True  # the programme's start records it without saying it again
        return None
