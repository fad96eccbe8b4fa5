"""A runner with ordinary runner's knee who enrols the way a person does, over Telegram.

``Enrolling`` reads its chat on the fake Bot API (tests/fakes/telegram_api.py) after each
answer of the bot, finds the question just asked (the newest message that is new or was
edited in the last turn and that one of the profile's rules recognises), and answers it: it
taps the button with the rule's label on that very message, or types the rule's text. It
writes /start first and is done once the programme has started and nothing it recognises
is asked any more (after the function check, the first session). Nothing is a transcript:
how many messages each answer takes, whether the next question comes as a new message or
as an edit of the old one, is whatever the bot does.

The profile (``PROFILE``): an adult who agrees to the terms, tells the story in a sentence
(ache around the kneecap, worse on stairs, a month), left knee, 2 to 6 weeks, worse down
stairs, downhill and when sitting with bent knees, none of the warning signs, about 25 km a
week, no race; wants the programme at 7:30 in London, Mon/Wed/Fri, no equipment, 20
minutes; "some difficulty" in the function check. The age, the weekly distance, the time,
the time zone and one function answer are typed, the rest tapped.

A question no rule recognises before the programme has started is an ``OffScript`` error
(with the texts it saw): the bench never wanders off through menus it does not understand.
``Replay`` plays the same updates again (recorded from an ``Enrolling``) to a bot that does
not ask anything (an echo bot): a tap becomes a press with the same data on the bot's
newest message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from tests.fakes.telegram_api import FakeTelegram, StoredMessage

MAX_STEPS = 100  # an enrolment takes about 30 updates; more means a loop


@dataclass(frozen=True)
class Type:
    """Type this text."""

    text: str


@dataclass(frozen=True)
class Tap:
    """Tap the button with this label (exactly, or with the "✓ " mark) on the question."""

    label: str


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    answer: Type | Tap


def rule(name: str, question: str, answer: Type | Tap) -> Rule:
    return Rule(name, re.compile(question, re.IGNORECASE), answer)


# What the runner answers, by what the question says (the English texts of content/).
PROFILE: tuple[Rule, ...] = (
    rule("consent", r"do you agree", Tap("I agree")),
    rule("age", r"how old are you", Type("34")),
    rule("story", r"in your own words", Type(
        "It aches around my kneecap on long runs and going down stairs, for about a month."
    )),
    rule("location", r"where does it hurt", Tap("Behind or around the kneecap")),
    rule("side", r"which knee", Tap("Left")),
    rule("duration", r"how long has it been", Tap("2 to 6 weeks")),
    rule("stairs", r"worse going down stairs", Tap("Yes")),
    rule("downhill", r"run downhill", Tap("Yes")),
    rule("squat_sit", r"squatting, or sitting", Tap("Yes")),
    rule("swelling", r"noticed any swelling", Tap("No")),
    rule("mechanical", r"lock, catch", Tap("No")),
    rule("injury", r"start with an injury", Tap("No")),
    rule("surgery", r"had surgery", Tap("No")),
    rule("night_pain", r"at night or when you are resting", Tap("No")),
    rule("hot_red", r"hot or red", Tap("No")),
    rule("weekly_km", r"kilometres a week", Type("25")),
    rule("race", r"race coming up", Tap("No race planned")),
    rule("offer", r"like a daily programme", Tap("Yes, let's start")),
    rule("time", r"what time of day", Type("7:30")),
    rule("zone", r"which time zone", Type("London")),
    rule("days", r"which days suit you", Tap("Mon, Wed, Fri")),
    rule("band", r"resistance band", Tap("No")),
    rule("weights", r"ankle weights or dumbbells", Tap("No")),
    rule("step", r"step or stairs at home", Tap("No")),
    rule("minutes", r"how many minutes can you spare", Tap("About 20 minutes")),
    rule("function_running", r"run at your usual easy pace", Type("a bit")),
    rule("function", r"over the past week, how", Tap("Some difficulty")),
)
STARTED = re.compile(r"your programme has started", re.IGNORECASE)


class OffScript(Exception):
    """The bot asked something the profile does not answer (or the runner looped)."""


@dataclass(frozen=True)
class Say:
    """An update: the runner writes ``text``."""

    text: str


@dataclass(frozen=True)
class Press:
    """An update: the runner presses the button carrying ``data`` on ``message_id``."""

    message_id: int
    data: str
    label: str = ""


Step = Say | Press


def inject(server: FakeTelegram, chat_id: int, step: Step) -> dict[str, Any]:
    """Queue ``step`` as chat ``chat_id``'s update (a private chat: user id = chat id)."""
    if isinstance(step, Say):
        return server.inject_private_text(chat_id, step.text)
    return server.inject_press(chat_id, step.message_id, step.data)


def _buttons(message: StoredMessage) -> list[dict[str, Any]]:
    markup = message.reply_markup or {}
    rows = markup.get("inline_keyboard") or []
    return [button for row in rows for button in row if "callback_data" in button]


def _content(message: StoredMessage) -> str:
    return message.text if message.text is not None else (message.caption or "")


def _signature(message: StoredMessage) -> tuple[str, tuple[str, ...]]:
    return _content(message), tuple(b["text"] for b in _buttons(message))


@dataclass
class Enrolling:
    """One runner enrolling through the fake's chat ``chat_id`` (see the module's doc)."""

    server: FakeTelegram
    chat_id: int
    profile: tuple[Rule, ...] = PROFILE
    steps: list[Step] = field(default_factory=list)  # what it sent, in order
    answered: list[str] = field(default_factory=list)  # the rules it answered, in order
    started: bool = False  # the programme has started
    done: bool = False
    _next_id: int = 1  # the chat's next unread message id
    _seen: dict[int, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    _typed: set[str] = field(default_factory=set)
    _tapped: set[tuple[str, int, str]] = field(default_factory=set)

    def next_step(self) -> Step | None:
        """The next update to send, or None once enrolled."""
        if self.done:
            return None
        if not self.steps:
            return self._take(Say("/start"))
        if len(self.steps) >= MAX_STEPS:
            raise OffScript(f"still enrolling after {MAX_STEPS} updates: {self.answered}")
        changed = self._read()
        if any(STARTED.search(_content(m)) for m in changed):
            self.started = True
        for message in sorted(changed, key=lambda m: m.message_id, reverse=True):
            step = self._answer(message)
            if step is not None:
                return self._take(step)
        if self.started:
            self.done = True
            return None
        texts = [_content(m)[:160] for m in changed]
        raise OffScript(f"nothing to answer after {self.answered[-3:]}: {texts}")

    def _take(self, step: Step) -> Step:
        self.steps.append(step)
        return step

    def _read(self) -> list[StoredMessage]:
        """The bot's messages that are new or changed since the last look."""
        messages = self.server.messages
        changed: list[StoredMessage] = []
        for message_id in list(self._seen):
            message = messages[(self.chat_id, message_id)]
            if _signature(message) != self._seen[message_id]:
                changed.append(message)
        while (self.chat_id, self._next_id) in messages:
            message = messages[(self.chat_id, self._next_id)]
            self._next_id += 1
            if message.from_bot:
                changed.append(message)
        for message in changed:
            self._seen[message.message_id] = _signature(message)
        for old in sorted(self._seen)[:-6]:  # questions further back are not asked again
            del self._seen[old]
        return changed

    def _answer(self, message: StoredMessage) -> Step | None:
        """The answer to the question asked last in ``message`` (the profile's rule whose
        words come last in its text), or None if it asks nothing the runner answers."""
        text = _content(message)
        buttons = _buttons(message)
        best: tuple[int, Step, str] | None = None
        for each in self.profile:
            matches = list(each.pattern.finditer(text))
            if not matches:
                continue
            match = matches[-1]
            step: Step | None = None
            if isinstance(each.answer, Type):
                if each.name not in self._typed:
                    step = Say(each.answer.text)
            elif (each.name, message.message_id, text) not in self._tapped:
                label = each.answer.label
                button = next(
                    (b for b in buttons if b["text"] in (label, f"✓ {label}")), None
                )
                if button is not None:
                    step = Press(message.message_id, str(button["callback_data"]), label)
            if step is not None and (best is None or match.end() > best[0]):
                best = (match.end(), step, each.name)
        if best is None:
            return None
        _, step, name = best
        if isinstance(step, Say):
            self._typed.add(name)
        else:
            self._tapped.add((name, message.message_id, text))
        self.answered.append(name)
        return step


@dataclass
class Replay:
    """The updates of ``script`` again, for a bot that asks nothing (an echo bot): a press
    goes on the bot's newest message in the chat, with the recorded data."""

    server: FakeTelegram
    chat_id: int
    script: tuple[Step, ...]
    steps: list[Step] = field(default_factory=list)
    _newest: int = 0
    _next_id: int = 1

    def next_step(self) -> Step | None:
        if len(self.steps) == len(self.script):
            return None
        step = self.script[len(self.steps)]
        if isinstance(step, Press):
            messages = self.server.messages
            while (self.chat_id, self._next_id) in messages:
                if messages[(self.chat_id, self._next_id)].from_bot:
                    self._newest = self._next_id
                self._next_id += 1
            if not self._newest:
                raise OffScript("a press before the bot has said anything")
            step = Press(self._newest, step.data, step.label)
        self.steps.append(step)
        return step
