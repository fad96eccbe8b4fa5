"""The coach: one entry point for every platform, holding every decision.

``Coach.handle(ref, inbound)`` takes one event from one person and returns the replies. The
safety screen runs on every typed message before anything else; declarative dialogs from
``dialogs/`` drive the questions; commands map to small handlers.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Awaitable, Callable
from datetime import date
from pathlib import Path
from typing import Any

from bot.content import Bundle, load_bundle
from bot.content.dialogs import Step
from bot.domain.clock import Clock, SystemClock
from bot.domain.events import (
    OPEN_PRIVATE,
    Button,
    Command,
    ConversationRef,
    Inbound,
    Press,
    Reply,
    Text,
)
from bot.domain.records import DialogState
from bot.engine.club_service import ClubService
from bot.engine.context import Ctx
from bot.engine.conversation import NO_ANSWER, ActionFn, Runner, Turn
from bot.engine.locks import KeyedLocks
from bot.engine.parsing import Vocabulary, clean
from bot.engine.ports import Delivery
from bot.engine.programme_service import PROGRAMME_ACTIONS, ProgrammeService
from bot.engine.screener import ScreenResult
from bot.engine.texts import TextBook
from bot.engine.triage import Triage, TriageResult
from bot.store.database import Database
from bot.store.sqlite import SQLiteDatabase
from bot.store.stores import Stores

log = logging.getLogger(__name__)

ALARM_LEVELS = ("urgent", "see_clinician")
CORE_ACTIONS = frozenset({"record_consent", "under13", "prefill_from_story", "triage", "forget"})
ACTION_NAMES = CORE_ACTIONS | PROGRAMME_ACTIONS
CommandFn = Callable[["Ctx", str], Awaitable[None]]


class Coach:
    def __init__(self, db: Database, clock: Clock, bundle: Bundle) -> None:
        self.db = db
        self.stores = Stores.over(db)
        self.clock = clock
        self.bundle = bundle
        self.content = content = bundle.content()
        self.messages = messages = content.texts
        self.users = self.stores.users
        self.triage = Triage(bundle.rules, content.triage)
        self.book = TextBook(content, bundle.prefill, self.triage)
        self.runner = Runner(
            content.dialogs, messages, Vocabulary.from_mapping(messages.parsing),
            self._step_text, bundle.timezones,
        )
        self.locks = KeyedLocks()
        self.commands: dict[str, CommandFn] = {
            "start": self._cmd_start,
            "help": self._cmd_help,
            "exercise": self._cmd_exercise,
            "learn": self._cmd_learn,
            "export": self._cmd_export,
            "forget": self._cmd_forget,
            "back": self._cmd_back,
            "cancel": self._cmd_cancel,
        }
        self.ctx_actions: dict[str, Callable[[Ctx], Awaitable[str | None]]] = {
            "record_consent": self._act_record_consent,
            "under13": self._act_under13,
            "prefill_from_story": self._act_prefill,
            "triage": self._act_triage,
            "forget": self._act_forget,
        }
        # Extension points used by the daily programme (bot/engine/programme_service.py).
        self.press_actions: dict[str, Callable[[Ctx, str], Awaitable[None]]] = {
            "ex": self._press_exercise,
            "learn": self._press_learn,
        }
        self.on_red_flag: list[Callable[[Ctx, ScreenResult], Awaitable[None]]] = []
        self.menu_order: list[str] = ["start", "today", "checkin", "progress", "settings",
                                      "exercise", "learn", "export", "forget", "stop", "help"]
        self.programme = ProgrammeService(self)
        self.club = ClubService(self)

    # ----- construction -------------------------------------------------------------------

    @classmethod
    async def open(
        cls,
        db_path: str | Path,
        clock: Clock | None = None,
        bundle: Bundle | None = None,
    ) -> Coach:
        content = bundle or load_bundle()
        db = await SQLiteDatabase.open(db_path)
        return cls(db, clock or SystemClock(), content)

    async def close(self) -> None:
        await self.db.close()

    # ----- proactive messages (the delivery worker's Composer) ----------------------------

    async def compose(self, target: str, kind: str, local_day: date) -> Delivery | None:
        return await self.programme.compose(target, kind, local_day)

    async def compose_other(self, target: str, kind: str, local_day: date) -> Delivery | None:
        """Messages for targets other than one person (club posts)."""
        if target.startswith("c:"):
            return await self.club.compose(target, kind, local_day)
        return None

    # ----- the port -----------------------------------------------------------------------

    def text(self, key: str, **values: object) -> str:
        return self.messages.get(key, **values)

    def command_menu(self) -> list[tuple[str, str]]:
        return [(name, self.messages.get(f"commands.{name}")) for name in self.menu_order]

    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        async with self.locks.hold((ref.platform, ref.user_id)):
            try:
                if ref.shared:
                    return await self.handle_shared(ref, inbound)
                return await self._handle_private(ref, inbound)
            except Exception as exc:  # the person gets a kind word, never a traceback
                log.error("handling failed: %s", type(exc).__name__, exc_info=log.isEnabledFor(
                    logging.DEBUG))
                return [Reply(key="error.internal", text=self.messages.get("error.internal"))]

    async def handle_shared(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        """In a group or server channel: club business, or a pointer to a private chat.
        Health questions are never asked here."""
        club = await self.club.handle(ref, inbound)
        if club is not None:
            return club
        return [
            Reply(
                key="group.private_only",
                text=self.messages.get("group.private_only"),
                buttons=((Button(self.messages.get("buttons.open_private"), OPEN_PRIVATE),),),
                private=False,
            )
        ]

    async def _handle_private(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        now = self.clock.now()
        user = await self.users.get_or_create(ref, now)
        if not user.active:
            # Someone the platform once reported as blocking us is writing again: they can
            # be reached, so reminders they turn back on will be delivered.
            await self.users.set_active(user.id, True)
            user.active = True
        state = await self.users.dialog_state(user.id)
        ctx = Ctx(user, state, Turn(), now)
        if isinstance(inbound, Text):
            await self._on_text(ctx, inbound.text)
        elif isinstance(inbound, Press):
            await self._on_press(ctx, inbound.data)
        elif isinstance(inbound, Command):
            await self._on_command(ctx, inbound.name, inbound.args)
        else:  # club business belongs in the club's shared channel
            self._say(ctx, "command.unknown")
        if not ctx.turn.erased:
            await self.users.save_dialog_state(user.id, ctx.state, now)
        return ctx.turn.replies

    # ----- typed text ---------------------------------------------------------------------

    async def _on_text(self, ctx: Ctx, raw: str) -> None:
        text = clean(raw)
        if not text:
            self._say(ctx, "input.empty")
            self._reask(ctx)
            return
        if text.startswith("/") and len(text) > 1:
            name, _, args = text[1:].partition(" ")
            await self._on_command(ctx, name.split("@")[0].lower(), args.strip())
            return
        screening = self.triage.screen(text)
        if screening.level in ALARM_LEVELS:
            await self._red_flag(ctx, screening)
            if screening.level == "urgent":
                return
        if ctx.state.dialog is None:
            if screening.level not in ALARM_LEVELS:
                self._say(ctx, "idle.text")
            return
        step = self._current_step(ctx)
        value = self.runner.parse_text(step, text)
        if value is NO_ANSWER:
            ctx.turn.replies.append(Reply(key="input.hint", text=self.runner.hint(step)))
            self._reask(ctx)
            return
        if step.kind == "text":
            ctx.state.data["story_signals"] = list(screening.signals)
        await self._advance(ctx, value)

    async def _red_flag(self, ctx: Ctx, screening: ScreenResult) -> None:
        """A red flag in anything typed: the safety text at once, whatever is going on."""
        assert screening.level is not None
        result = TriageResult(
            outcome=screening.level,
            signals=screening.signals,
            reasons=tuple(self.book.reason(s) for s in screening.signals
                          if self.book.level(s) in ALARM_LEVELS),
            key=f"safety.{screening.level}",
        )
        ctx.turn.replies.append(self.book.triage_reply(result))
        if ctx.user.consent_at is not None:
            await self.users.add_safety_event(
                ctx.user.id, screening.level, list(screening.signals), self._where(ctx), ctx.now
            )
        flags = ctx.state.data.setdefault("flags", [])
        flags.extend(s for s in screening.signals if s not in flags)
        for hook in self.on_red_flag:
            await hook(ctx, screening)
        if screening.level == "urgent" and ctx.state.dialog is not None:
            self.end_dialog(ctx)
            self._say(ctx, "safety.dialog_stopped")

    # ----- buttons ------------------------------------------------------------------------

    async def _on_press(self, ctx: Ctx, data: str) -> None:
        if data.startswith("a:"):
            _, action, arg = [*data.split(":", 2), "", ""][:3]
            handler = self.press_actions.get(action)
            if handler is None:
                self.stale(ctx)
                return
            await handler(ctx, arg)
            return
        parts = data.split(":", 4)
        state = ctx.state
        if (
            len(parts) != 5
            or parts[0] != "d"
            or state.dialog != parts[1]
            or state.step != parts[2]
            or str(state.seq) != parts[3]
        ):
            self.stale(ctx)
            return
        step = self._current_step(ctx)
        value = self.runner.parse_press(step, parts[4])
        if value is NO_ANSWER:
            self.stale(ctx)
            return
        label = next((o.label for o in self.runner.options(step) if o.id == parts[4]), None)
        start = len(ctx.turn.replies)
        await self._advance(ctx, value)
        if label is not None and len(ctx.turn.replies) > start:
            # Adapters edit the pressed question to show this choice and drop its buttons.
            first = ctx.turn.replies[start]
            ctx.turn.replies[start] = dataclasses.replace(first, chosen=label)

    def stale(self, ctx: Ctx) -> None:
        self._say(ctx, "input.stale")
        self._reask(ctx)

    # ----- commands -----------------------------------------------------------------------

    async def _on_command(self, ctx: Ctx, name: str, args: str) -> None:
        handler = self.commands.get(name.lower())
        if handler is None:
            self._say(ctx, "command.unknown")
            self._reask(ctx)
            return
        await handler(ctx, clean(args)[:200])

    async def _cmd_start(self, ctx: Ctx, args: str) -> None:
        if ctx.state.dialog is not None and ctx.state.step is not None:
            self._say(ctx, "start.resume")
            self._reask(ctx)
            return
        self._say(ctx, "start.welcome")
        await self.begin(ctx, "intake")

    async def _cmd_help(self, ctx: Ctx, args: str) -> None:
        self._say(ctx, "help.text")
        self._reask(ctx)

    async def _cmd_exercise(self, ctx: Ctx, args: str) -> None:
        exercise = self.content.find_exercise(args) if args else None
        if exercise is None:
            ctx.turn.replies.append(self.book.exercise_menu(unknown=bool(args)))
            return
        ctx.turn.replies.append(self.book.exercise_reply(exercise.id))

    async def _press_exercise(self, ctx: Ctx, arg: str) -> None:
        if arg in self.content.exercises:
            ctx.turn.replies.append(self.book.exercise_reply(arg))
        else:
            self.stale(ctx)

    async def _cmd_learn(self, ctx: Ctx, args: str) -> None:
        topic = self.content.find_topic(args) if args else None
        if topic is None:
            ctx.turn.replies.append(self.book.topic_menu(unknown=bool(args)))
            return
        ctx.turn.replies.append(self.book.topic_reply(topic.id))

    async def _press_learn(self, ctx: Ctx, arg: str) -> None:
        if arg in self.content.education:
            ctx.turn.replies.append(self.book.topic_reply(arg))
        else:
            self.stale(ctx)

    async def _cmd_export(self, ctx: Ctx, args: str) -> None:
        data = await self.users.export(ctx.user.id)
        payload = json.dumps(data, indent=1, ensure_ascii=False, sort_keys=True)
        ctx.turn.replies.append(
            Reply(key="export.data", text=self.messages.get("export.intro") + "\n\n" + payload)
        )

    async def _cmd_forget(self, ctx: Ctx, args: str) -> None:
        await self.begin(ctx, "forget")

    async def _act_forget(self, ctx: Ctx) -> str | None:
        await self.users.forget(ctx.user.id)
        ctx.turn.erased = True
        self._say(ctx, "forget.done")
        return None

    async def _cmd_back(self, ctx: Ctx, args: str) -> None:
        if ctx.state.dialog is None or not await self.runner.back(ctx.state, ctx.turn):
            self._say(ctx, "back.nothing")
            self._reask(ctx)

    async def _cmd_cancel(self, ctx: Ctx, args: str) -> None:
        if ctx.state.dialog is None:
            self._say(ctx, "cancel.nothing")
            return
        self.end_dialog(ctx)
        self._say(ctx, "cancel.done")

    @staticmethod
    def end_dialog(ctx: Ctx) -> None:
        ctx.state.dialog = None
        ctx.state.step = None
        ctx.state.data = {}

    # ----- dialog actions -----------------------------------------------------------------

    async def begin(self, ctx: Ctx, dialog_id: str, data: dict[str, Any] | None = None) -> None:
        await self.runner.begin(ctx.state, dialog_id, self._bound_actions(ctx), ctx.turn, data)
        await self._follow_on(ctx)

    async def _advance(self, ctx: Ctx, value: Any) -> None:
        await self.runner.advance(ctx.state, value, self._bound_actions(ctx), ctx.turn)
        await self._follow_on(ctx)

    async def _follow_on(self, ctx: Ctx) -> None:
        """Begin the dialog an action asked for, once the current one has ended."""
        while ctx.then is not None and ctx.state.dialog is None and not ctx.turn.erased:
            following, ctx.then = ctx.then, None
            await self.runner.begin(
                ctx.state, following, self._bound_actions(ctx), ctx.turn, None
            )

    def _bound_actions(self, ctx: Ctx) -> dict[str, ActionFn]:
        def bind(fn: Callable[[Ctx], Awaitable[str | None]]) -> ActionFn:
            async def run(state: DialogState, turn: Turn) -> str | None:
                return await fn(ctx)

            return run

        return {name: bind(fn) for name, fn in self.ctx_actions.items()}

    async def _act_record_consent(self, ctx: Ctx) -> str | None:
        await self.users.set_consent(ctx.user.id, ctx.now)
        ctx.user.consent_at = ctx.now.isoformat()
        return None

    async def _act_under13(self, ctx: Ctx) -> str | None:
        ctx.turn.replies.append(Reply(key="safety.age_under13",
                                      text=self.book.safety_text("age_under13")))
        await self.users.forget(ctx.user.id)
        ctx.turn.erased = True
        return None

    async def _act_prefill(self, ctx: Ctx) -> str | None:
        signals = set(ctx.state.data.get("story_signals", [])) | set(
            ctx.state.data.get("flags", [])
        )
        ctx.state.data["prefill"] = self.book.prefill(signals)
        if ctx.state.data["prefill"]:
            self._say(ctx, "intake.prefill_note")
        return None

    async def _act_triage(self, ctx: Ctx) -> str | None:
        answers: dict[str, Any] = ctx.state.data.setdefault("answers", {})
        extra = set(ctx.state.data.get("story_signals", [])) | set(
            ctx.state.data.get("flags", [])
        )
        if ctx.user.age_band:
            answers.setdefault("age_band", ctx.user.age_band)
        result = self.triage.triage_answers(answers, sorted(extra))
        answers["outcome"] = result.outcome
        await self.users.add_triage(ctx.user.id, result.outcome, list(result.signals), ctx.now)
        profile = {k: v for k, v in answers.items() if k not in {"consent"}}
        await self.users.save_answers(ctx.user.id, profile, ctx.now)
        if answers.get("age_band"):
            await self.users.set_age_band(ctx.user.id, str(answers["age_band"]))
        ctx.turn.replies.append(self.book.triage_reply(result))
        if "race_soon" in result.signals and result.outcome == "pfp_program":
            ctx.turn.replies.append(Reply(key="safety.race_soon",
                                          text=self.book.safety_text("race_soon")))
        return None

    # ----- helpers ------------------------------------------------------------------------

    def _current_step(self, ctx: Ctx) -> Step:
        assert ctx.state.dialog is not None and ctx.state.step is not None
        return self.runner.dialogs[ctx.state.dialog].steps[ctx.state.step]

    def _say(self, ctx: Ctx, key: str, **values: object) -> None:
        ctx.turn.replies.append(Reply(key=key, text=self.messages.get(key, **values)))

    def _reask(self, ctx: Ctx) -> None:
        if ctx.state.dialog is not None and ctx.state.step is not None:
            ctx.turn.replies.append(self.runner.question(ctx.state))

    def _where(self, ctx: Ctx) -> str:
        return f"{ctx.state.dialog}.{ctx.state.step}" if ctx.state.dialog else "chat"

    def _step_text(self, step: Step) -> str:
        if step.text:
            return step.text.strip()
        assert step.text_ref is not None
        resolved = self.book.resolve(step.text_ref)
        if resolved is None:
            raise KeyError(step.text_ref)
        return resolved

