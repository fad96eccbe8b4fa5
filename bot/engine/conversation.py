"""Runs one declarative dialog step by step for one person.

The runner asks questions, parses answers (pressed or typed), saves them into the dialog's
data, follows ``next`` and runs ``action`` steps through callbacks that the coach provides.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from bot.content.dialogs import Dialog, Option, Step, choose_next
from bot.content.texts import Texts
from bot.content.timezones import TimezoneContent, ZoneButton
from bot.domain.events import Button, Reply
from bot.domain.localtime import parse_local_time
from bot.domain.records import DialogState
from bot.domain.text import fold
from bot.domain.zones import parse_zone
from bot.engine.layout import Layout
from bot.engine.parsing import Vocabulary, match_option

NO_ANSWER = object()


@dataclass(slots=True)
class Turn:
    """What one step of the conversation produced."""

    replies: list[Reply] = field(default_factory=list)
    # Set by an action that erased the person: nothing more may be stored.
    erased: bool = False


ActionFn = Callable[[DialogState, Turn], Awaitable[str | None]]
TextFn = Callable[[Step], str]


class Runner:
    def __init__(
        self,
        dialogs: dict[str, Dialog],
        messages: Texts,
        vocabulary: Vocabulary,
        step_text: TextFn,
        zones: TimezoneContent,
        layout: Layout,
    ) -> None:
        self.layout = layout
        self.dialogs = dialogs
        self.messages = messages
        self.vocabulary = vocabulary
        self.step_text = step_text
        self.zones = zones

    # ----- asking -------------------------------------------------------------------------

    def question(self, state: DialogState) -> Reply:
        """The current question as a reply with its buttons."""
        assert state.dialog is not None and state.step is not None
        dialog = self.dialogs[state.dialog]
        step = dialog.steps[state.step]
        text = self.step_text(step)
        options = self.options(step, state.data)
        prefilled = None
        if step.prefill:
            prefilled = state.data.get("prefill", {}).get(step.prefill)
        if prefilled is not None:
            chosen = next((o for o in options if o.id == prefilled), None)
            if chosen is not None:
                note = self.messages.get("dialog.prefilled", answer=chosen.label)
                text = f"{text}\n\n{note}"
        buttons = tuple(
            tuple(
                Button(
                    ("✓ " if o.id == prefilled else "") + o.label,
                    f"d:{dialog.id}:{state.step}:{state.seq}:{o.id}",
                )
                for o in row
            )
            for row in self.layout.rows(
                options, per_row=1 if any(len(o.label) > 14 for o in options) else None
            )
        )
        asks: Literal["choice", "value", "text"] = (
            "value" if step.numeric else ("choice" if buttons else "text"))
        return Reply(key=f"{dialog.id}.ask.{state.step}", text=text, buttons=buttons,
                     asks=asks)

    def options(self, step: Step, data: dict[str, Any] | None = None) -> tuple[Option, ...]:
        """The options of a step; a choice with ``options_from`` first offers the ones an
        earlier action put in the dialog's data (``data["choices"][name]``: id and label)."""
        if step.options_from:
            made = (data or {}).get("choices", {}).get(step.options_from, [])
            return tuple(Option(id=str(i), label=str(label), match=_name_words(str(label)))
                         for i, label in made) + step.options
        if step.kind == "yesno":
            return (
                Option(id="yes", label=self.messages.get("buttons.yes")),
                Option(id="no", label=self.messages.get("buttons.no")),
            )
        if step.kind == "timezone" and not step.options:
            return tuple(Option(id=_zone_id(z.zone), label=z.label) for z in self.zones.buttons)
        return step.options

    # ----- answering ----------------------------------------------------------------------

    def parse_press(
        self, step: Step, option_id: str, data: dict[str, Any] | None = None
    ) -> Any:
        options = {o.id: o for o in self.options(step, data)}
        if option_id not in options:
            return NO_ANSWER
        if step.kind == "number":
            return int(option_id)
        if step.kind == "timezone":
            return _zone_name(option_id, self.zones.buttons)
        if step.kind == "time":
            # A time option's id is its wall time (t0730); its label is only words.
            parsed = parse_local_time(_time_of(option_id) or options[option_id].label)
            return parsed.strftime("%H:%M") if parsed else NO_ANSWER
        if step.kind == "days":
            return _days_from_option(option_id, self.vocabulary)
        return option_id

    def parse_text(self, step: Step, text: str, data: dict[str, Any] | None = None) -> Any:
        """A typed answer, or NO_ANSWER when it does not fit the question."""
        kind = step.kind
        if kind == "text":
            if fold(text) in {"skip", "pass", "no thanks"}:
                return ""
            if step.max_len and len(text) > step.max_len:
                return NO_ANSWER
            return text
        if kind == "yesno":
            return self.vocabulary.yes_no(text) or NO_ANSWER
        if kind == "number":
            assert step.min is not None and step.max is not None
            value = self.vocabulary.number(text, step.min, step.max, step.unit)
            if value is None:
                option = match_option(text, step.options, by_position=False) \
                    if step.options else None
                return int(option.id) if option else NO_ANSWER
            return value
        if kind == "choice" and step.bands:
            # a typed amount is its value ("28", "5 weeks"), never a button's position
            amount = self.vocabulary.quantity(text, step.unit, need_unit=step.unit == "weeks")
            if amount is not None:
                for option_id, (low, high) in step.bands.items():
                    if low <= amount < high:
                        return option_id
                return NO_ANSWER
            option = match_option(text, self.options(step), by_position=False)
            return option.id if option else NO_ANSWER
        if kind == "time":
            parsed = parse_local_time(text)
            return parsed.strftime("%H:%M") if parsed else NO_ANSWER
        if kind == "timezone":
            choice = parse_zone(text, self.zones.aliases)
            if choice is None:
                option = match_option(text, self.options(step), by_position=False)
                return _zone_name(option.id, self.zones.buttons) if option else NO_ANSWER
            return choice.name
        if kind == "days":
            option = match_option(text, step.options, by_position=False)
            if option is not None:
                return _days_from_option(option.id, self.vocabulary)
            days = self.vocabulary.weekdays_in(text)
            return sorted(days) if days else NO_ANSWER
        option = match_option(text, self.options(step, data), by_position=False)
        return option.id if option else NO_ANSWER

    def answer_label(self, step: Step, value: Any, data: dict[str, Any] | None = None) -> str:
        """How a typed answer was understood, to show on the question it answered."""
        for option in self.options(step, data):
            if option.id == value:
                return option.label
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)

    def hint(self, step: Step) -> str:
        if step.hint:
            return step.hint
        if step.kind == "number":
            return self.messages.get("input.hint.number", low=step.min, high=step.max)
        if step.kind == "text":
            return self.messages.get("input.hint.text", limit=step.max_len or 1000)
        return self.messages.get(f"input.hint.{step.kind}")

    # ----- moving on ----------------------------------------------------------------------

    async def advance(
        self, state: DialogState, answer: Any, actions: dict[str, ActionFn], turn: Turn
    ) -> None:
        """Save ``answer`` to the current step, then move on until a question or the end."""
        assert state.dialog is not None and state.step is not None
        step = self.dialogs[state.dialog].steps[state.step]
        answers = state.data.setdefault("answers", {})
        if step.save:
            answers[step.save] = answer
        state.data.setdefault("history", []).append(state.step)
        await self._goto(state, choose_next(step, answers), actions, turn)

    async def begin(
        self, state: DialogState, dialog_id: str, actions: dict[str, ActionFn], turn: Turn,
        data: dict[str, Any] | None = None,
    ) -> None:
        state.dialog = dialog_id
        state.data = {"answers": {}, "history": [], **(data or {})}
        await self._goto(state, self.dialogs[dialog_id].start, actions, turn)

    async def back(self, state: DialogState, turn: Turn) -> bool:
        """One question back; False when there is nowhere to go back to."""
        history: list[str] = state.data.get("history", [])
        assert state.dialog is not None
        steps = self.dialogs[state.dialog].steps
        while history:
            previous = history.pop()
            if steps[previous].kind in {"choice", "yesno", "number", "text", "time",
                                        "timezone", "days"}:
                state.step = previous
                state.seq += 1
                turn.replies.append(self.question(state))
                return True
        return False

    async def _goto(
        self, state: DialogState, target: str | None, actions: dict[str, ActionFn], turn: Turn
    ) -> None:
        assert state.dialog is not None
        dialog = self.dialogs[state.dialog]
        hops = 0
        while target is not None:
            hops += 1
            if hops > 200:
                raise RuntimeError(f"dialog {dialog.id} loops without asking anything")
            step = dialog.steps[target]
            state.step = target
            if step.kind == "say":
                turn.replies.append(
                    Reply(key=f"{dialog.id}.say.{target}", text=self.step_text(step))
                )
                target = choose_next(step, state.data.get("answers", {}))
            elif step.kind == "action":
                assert step.action is not None
                override = await actions[step.action](state, turn)
                if turn.erased or state.dialog is None:
                    return
                target = override or choose_next(step, state.data.get("answers", {}))
            elif step.kind == "end":
                if step.text or step.text_ref:
                    turn.replies.append(
                        Reply(key=f"{dialog.id}.end.{target}", text=self.step_text(step))
                    )
                state.dialog = None
                state.step = None
                state.data = {}
                return
            else:
                state.seq += 1
                turn.replies.append(self.question(state))
                return
        # A step whose branches matched nothing: end quietly rather than strand the person.
        state.dialog = None
        state.step = None
        state.data = {}


def _zone_id(zone: str) -> str:
    """A zone name as a short option id ("Europe/London" -> "europe_london")."""
    return zone.lower().replace("/", "__").replace("+", "p")[:24]


def _zone_name(option_id: str, buttons: tuple[ZoneButton, ...]) -> str:
    for z in buttons:
        if _zone_id(z.zone) == option_id:
            return z.zone
    return option_id


def _time_of(option_id: str) -> str | None:
    """``t0730`` -> ``07:30``; None for an id that is not a wall time."""
    if len(option_id) == 5 and option_id[0] == "t" and option_id[1:].isdigit():
        return f"{option_id[1:3]}:{option_id[3:]}"
    return None


def _days_from_option(option_id: str, vocabulary: Vocabulary) -> list[int]:
    days = vocabulary.weekdays_in(option_id.replace("_", " "))
    return sorted(days) if days else [0, 2, 4]


def _name_words(label: str) -> tuple[str, ...]:
    """The words of an option made from data (an exercise's name), so that a typed "the
    squats" or "clamshell" picks it when no other option shares the word."""
    words = [w for w in fold(label).split() if len(w) >= 4]
    return tuple(dict.fromkeys([*words, *(f"{w}s" for w in words)]))
