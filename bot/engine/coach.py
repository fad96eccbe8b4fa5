"""The coach: one entry point for every platform, and the host the features plug into.

``Coach.handle(ref, inbound)`` takes one event from one person and returns the replies.
The safety screen runs on every typed message before anything else, whatever feature
would handle it; declarative dialogs drive the questions; commands, button actions, dialog
actions and reminders go to the feature that registered them (``bot/engine/feature.py``).
Which features there are is decided in ``bot/app.py``.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import date
from typing import Any

from bot.content import Bundle
from bot.content.dialogs import Step
from bot.domain.clock import Clock
from bot.domain.events import (
    OPEN_PRIVATE,
    Button,
    ClubCommand,
    Command,
    ConversationRef,
    Inbound,
    Press,
    Reply,
    Text,
)
from bot.domain.records import DialogState, User
from bot.domain.results import SendResult
from bot.domain.text import clean
from bot.engine.conversation import NO_ANSWER, ActionFn, Runner, Turn
from bot.engine.feature import Feature, Registry
from bot.engine.folding import fold, join_pressed
from bot.engine.layout import Layout
from bot.engine.parsing import Vocabulary
from bot.engine.ports import Delivery
from bot.engine.screener import Screener, ScreenResult
from bot.engine.session import Session
from bot.engine.textbook import TEXTS as BOOK_TEXTS
from bot.engine.textbook import TextBook
from bot.engine.triage import Triage, TriageResult
from bot.store.stores import Stores

log = logging.getLogger(__name__)

ALARM_LEVELS = ("urgent", "see_clinician")
# The dialog data of the button answered last: the same press again is a double tap.
LAST_PRESS = "last_press"
# Texts the host itself uses, with the placeholders it fills in.
HOST_TEXTS: dict[str, tuple[str, ...]] = {
    "error.internal": (),
    "group.private_only": (),
    "buttons.open_private": (),
    "input.empty": (),
    "input.stale": (),
    "input.hint.number": ("low", "high"),
    "input.hint.text": ("limit",),
    "input.hint.choice": (),
    "input.hint.yesno": (),
    "input.hint.time": (),
    "input.hint.timezone": (),
    "input.hint.days": (),
    "command.unknown": (),
    "idle.text": (),
    "safety.reasons_heading": (),
    "safety.dialog_stopped": (),
    "dialog.prefilled": ("answer",),
    "buttons.yes": (),
    "buttons.no": (),
}


class Coach:
    def __init__(
        self,
        bundle: Bundle,
        stores: Stores,
        clock: Clock,
        features: Sequence[Feature],
        layout: Layout,
        screener: Screener | None = None,
    ) -> None:
        self.bundle = bundle
        self.stores = stores
        self.users = stores.users
        self.clock = clock
        self.registry = Registry()
        self.registry.texts(HOST_TEXTS)
        self.registry.texts(BOOK_TEXTS)
        for feature in features:
            self.registry.add(feature)
        self.features = tuple(features)
        screener = screener or Screener(bundle.rules)
        self.triage: dict[str, Triage] = {}
        self.books: dict[str, TextBook] = {}
        self.runners: dict[str, Runner] = {}
        for code, content in bundle.locales.items():
            self.triage[code] = Triage(bundle.rules, content.triage, screener)
            self.books[code] = TextBook(content, bundle.prefill, layout)
            self.runners[code] = Runner(
                content.dialogs, content.texts, Vocabulary.from_mapping(content.texts.parsing),
                self._step_text(code), bundle.timezones, layout,
            )
        self.screener = screener
        self.layout = layout

    async def close(self) -> None:
        await self.stores.db.close()

    # ----- the port -----------------------------------------------------------------------

    def text(self, key: str, **values: object) -> str:
        return self.bundle.texts(key, None, **values)

    def command_menu(self) -> list[tuple[str, str]]:
        """(command, description) for every menu command, in the order of the content."""
        texts = self.bundle.content().texts
        order = [key.removeprefix("commands.") for key in texts.keys()
                 if key.startswith("commands.")]
        return [(name, texts.get(f"commands.{name}")) for name in order
                if name in self.registry.menu]

    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        """One turn of one person: everything it stores commits together, or (on an error)
        nothing does and the person gets a kind word. Inside the inbox's turn for the same
        person, this is a savepoint of it: the inbox row is marked handled with the replies
        in the same transaction (docs/DESIGN.md, "Nothing lost, nothing doubled")."""
        try:
            async with self.stores.turn(ref.person):
                if ref.shared:
                    return await self._handle_shared(ref, inbound)
                return await self._handle_private(ref, inbound)
        except Exception as exc:  # the person gets a kind word, never a traceback
            log.error("handling failed: %s", type(exc).__name__, exc_info=log.isEnabledFor(
                logging.DEBUG))
            return [Reply(key="error.internal", text=self.text("error.internal"))]

    async def _handle_shared(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        """In a group or server channel: a feature's shared business (the club), or a
        pointer to a private chat. Health questions are never asked here."""
        for handler in self.registry.shared_handlers:
            replies = await handler(ref, inbound)
            if replies is not None:
                return replies
        return [
            Reply(
                key="group.private_only",
                text=self.text("group.private_only"),
                buttons=((Button(self.text("buttons.open_private"), OPEN_PRIVATE),),),
                private=False,
            )
        ]

    async def _handle_private(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        now = self.clock.now()
        user, state = await self.users.person(ref, now)
        if not user.active:
            # Someone the platform once reported as blocking us is writing again: they can
            # be reached, so reminders they turn back on will be delivered.
            await self.users.set_active(user.id, True)
            user.active = True
        session = self.session(user, state)
        if isinstance(inbound, Text):
            await self._on_text(session, inbound.text)
        elif isinstance(inbound, Press):
            await self._on_press(session, inbound.data)
        elif isinstance(inbound, Command):
            await self._on_command(session, inbound.name, inbound.args)
        elif isinstance(inbound, ClubCommand):  # club business belongs in the shared channel
            session.say("command.unknown")
        if not session.erased:
            await self.users.save_dialog_state(user.id, session.state, now)
        # What is said right before a question goes in its message; the only answer to a
        # press may take the pressed message's place (bot/engine/folding.py).
        replies = fold(session.replies, self.layout)
        return join_pressed(replies) if isinstance(inbound, Press) else replies

    def session(self, user: User, state: DialogState) -> Session:
        """A session for one person (the caller holds their lock)."""
        code = user.locale if user.locale in self.books else self.bundle.default_locale
        return Session(
            host=self, user=user, state=state, now=self.clock.now(),
            content=self.bundle.content(code), book=self.books[code], triage=self.triage[code],
            users=self.users,
            turn=Turn(),
        )

    # ----- proactive messages (the delivery worker's Composer) ----------------------------

    async def compose(self, target: str, kind: str, local_day: date) -> Delivery | None:
        compose_for_person = self.registry.person_reminders.get(kind)
        if compose_for_person is not None:
            if not target.startswith("u:"):
                return None
            user = await self.users.get(int(target[2:]))
            if user is None or not user.active:
                return None
            async with self.stores.turn(user.ref.person):
                session = self.session(user, await self.users.dialog_state(user.id))
                if not await compose_for_person(session, local_day):
                    return None
                await self.users.save_dialog_state(user.id, session.state, session.now)
            return Delivery(ref=user.ref, replies=fold(session.replies, self.layout))
        compose_for_target = self.registry.target_reminders.get(kind)
        if compose_for_target is None:
            return None
        async with self.stores.turn(target):
            return await compose_for_target(target, local_day)

    async def settle(self, target: str, kind: str, local_day: date, result: SendResult) -> None:
        """How a row ended, for the feature that composes its kind (if it wants to know)."""
        told = self.registry.outcomes.get(kind)
        if told is not None:
            async with self.stores.turn(target):
                await told(target, local_day, result)

    # ----- typed text ---------------------------------------------------------------------

    async def _on_text(self, session: Session, raw: str) -> None:
        text = clean(raw)
        if not text:
            session.say("input.empty")
            session.reask()
            return
        if text.startswith("/") and len(text) > 1:
            name, _, args = text[1:].partition(" ")
            await self._on_command(session, name.split("@")[0].lower(), args.strip())
            return
        screening = self.screener.screen(text)
        language = self.screener.detect_language(text)
        if language != "en":
            await self._other_language(session, language, screening)
            return
        if screening.level in ALARM_LEVELS:
            await self._red_flag(session, screening)
            if screening.level == "urgent":
                return
        if session.state.dialog is None:
            if screening.level not in ALARM_LEVELS:
                session.say("idle.text")
            return
        runner = self._runner(session)
        step = self._current_step(session)
        asked = dict(session.state.data)  # the data the question was built from
        value = runner.parse_text(step, text, asked)
        if value is NO_ANSWER:
            session.add(Reply(key="input.hint", text=runner.hint(step)))
            session.reask()
            return
        if step.kind == "text":
            session.state.data["story_signals"] = list(screening.signals)
        start = len(session.replies)
        await self._advance(session, value)
        if runner.options(step, asked) and len(session.replies) > start:
            # The question had buttons: adapters drop them, as for a press.
            first = session.replies[start]
            session.replies[start] = dataclasses.replace(
                first, typed_answer=runner.answer_label(step, value, asked))

    async def _other_language(
        self, session: Session, language: str, screening: ScreenResult
    ) -> None:
        """A message in a language the coach does not speak: say so in that language with
        when to get medical help at once, and act on its red flags as on English ones; it is
        never answered with "didn't catch that"."""
        notice = self.bundle.languages.notice(language)
        if screening.level == "urgent":
            session.add(Reply(key="language.urgent", text=notice.urgent))
            await self._red_flag(session, screening)
            return
        session.add(Reply(key="language.english_only", text=notice.english_only))
        if screening.level in ALARM_LEVELS:
            await self._red_flag(session, screening)
        session.reask()

    async def _red_flag(self, session: Session, screening: ScreenResult) -> None:
        """A red flag in anything typed: the safety text at once, whatever is going on."""
        assert screening.level is not None
        triage = session.triage
        result = TriageResult(
            outcome=screening.level,
            signals=screening.signals,
            reasons=tuple(triage.reason_for(s) for s in screening.signals
                          if triage.level(s) in ALARM_LEVELS),
            key=f"safety.{screening.level}",
        )
        session.add(session.book.triage_reply(result))
        if session.user.consent_at is not None:
            await self.users.add_safety_event(
                session.user.id, screening.level, list(screening.signals), self._where(session),
                session.now,
            )
        flags = session.state.data.setdefault("flags", [])
        flags.extend(s for s in screening.signals if s not in flags)
        for hook in self.registry.red_flag_hooks:
            await hook(session, screening)
        if screening.level == "urgent" and session.state.dialog is not None:
            session.end_dialog()
            session.say("safety.dialog_stopped")

    # ----- buttons ------------------------------------------------------------------------

    async def _on_press(self, session: Session, data: str) -> None:
        if data.startswith("a:"):
            _, action, arg = [*data.split(":", 2), "", ""][:3]
            handler = self.registry.presses.get(action)
            if handler is None:
                session.stale()
                return
            await handler(session, arg)
            return
        parts = data.split(":", 4)
        state = session.state
        if (
            len(parts) != 5
            or parts[0] != "d"
            or state.dialog != parts[1]
            or state.step != parts[2]
            or str(state.seq) != parts[3]
        ):
            if data != state.data.get(LAST_PRESS):
                session.stale()
            # else: the very button just answered, pressed again (a double tap): no-op
            return
        runner = self._runner(session)
        step = self._current_step(session)
        value = runner.parse_press(step, parts[4], state.data)
        if value is NO_ANSWER:
            session.stale()
            return
        label = next((o.label for o in runner.options(step, state.data) if o.id == parts[4]),
                     None)
        start = len(session.replies)
        await self._advance(session, value)
        session.state.data[LAST_PRESS] = data
        if label is not None and len(session.replies) > start:
            # Adapters edit the pressed question to show this choice and drop its buttons.
            first = session.replies[start]
            session.replies[start] = dataclasses.replace(first, chosen=label)

    # ----- commands -----------------------------------------------------------------------

    async def _on_command(self, session: Session, name: str, args: str) -> None:
        handler = self.registry.commands.get(name.lower())
        if handler is None:
            session.say("command.unknown")
            session.reask()
            return
        await handler(session, clean(args)[:200])

    # ----- dialogs (the DialogHost sessions call back into) -------------------------------

    async def begin(
        self, session: Session, dialog_id: str, data: dict[str, Any] | None = None
    ) -> None:
        await self._runner(session).begin(
            session.state, dialog_id, self._bound_actions(session), session.turn, data
        )
        await self._follow_on(session)

    def question(self, session: Session) -> Reply:
        return self._runner(session).question(session.state)

    def then_allowed(self, session: Session, dialog_id: str) -> bool:
        state = session.state
        if state.dialog is None or state.step is None:
            return False
        step = self._runner(session).dialogs[state.dialog].steps[state.step]
        return dialog_id in step.then

    async def back(self, session: Session) -> bool:
        """One question back; False when there is nowhere to go back to."""
        if session.state.dialog is None:
            return False
        return await self._runner(session).back(session.state, session.turn)

    async def _advance(self, session: Session, value: Any) -> None:
        await self._runner(session).advance(
            session.state, value, self._bound_actions(session), session.turn
        )
        await self._follow_on(session)

    async def _follow_on(self, session: Session) -> None:
        """Begin the dialog an action asked for, once the current one has ended."""
        while session.then is not None and session.state.dialog is None and not session.erased:
            following, session.then = session.then, None
            await self._runner(session).begin(
                session.state, following, self._bound_actions(session), session.turn, None
            )

    def _bound_actions(self, session: Session) -> dict[str, ActionFn]:
        def bind(fn: Callable[[Session], Awaitable[str | None]]) -> ActionFn:
            async def run(state: DialogState, turn: Turn) -> str | None:
                return await fn(session)

            return run

        return {name: bind(fn) for name, fn in self.registry.actions.items()}

    # ----- helpers ------------------------------------------------------------------------

    def _runner(self, session: Session) -> Runner:
        return self.runners[session.content.locale]

    def _current_step(self, session: Session) -> Step:
        state = session.state
        assert state.dialog is not None and state.step is not None
        return self._runner(session).dialogs[state.dialog].steps[state.step]

    @staticmethod
    def _where(session: Session) -> str:
        state = session.state
        return f"{state.dialog}.{state.step}" if state.dialog else "chat"

    def _step_text(self, code: str) -> Callable[[Step], str]:
        content = self.bundle.content(code)

        def step_text(step: Step) -> str:
            if step.text:
                return step.text.strip()
            assert step.text_ref is not None
            resolved = content.resolve(step.text_ref)
            if resolved is None:
                raise KeyError(step.text_ref)
            return resolved

        return step_text
