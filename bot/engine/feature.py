"""Features plug into the coach the way cogs plug into a discord.py bot.

A feature owns its commands, dialog actions, button handlers, reminder composers and the
text keys its code uses, and may react to a red flag. It registers them in ``register``;
the coach (the host) knows no feature by name: its command menu, its action names and its
reminder router all come from the ``Registry``. A new feature is its own files plus one
line in ``bot/app.py``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Protocol

from bot.domain.events import ConversationRef, Inbound, Reply
from bot.domain.results import SendResult
from bot.engine.ports import Delivery
from bot.engine.screener import ScreenResult

if TYPE_CHECKING:
    from bot.engine.session import Session

CommandFn = Callable[["Session", str], Awaitable[None]]
ActionFn = Callable[["Session"], Awaitable[str | None]]
PressFn = Callable[["Session", str], Awaitable[None]]
RedFlagFn = Callable[["Session", ScreenResult], Awaitable[None]]
# A reminder for one person: the session holds the person (lock held); True when the
# replies it added should be sent.
PersonReminderFn = Callable[["Session", date], Awaitable[bool]]
# A reminder for something else (a club channel): the outbox target and the local day.
TargetReminderFn = Callable[[str, date], Awaitable[Delivery | None]]
# How a reminder of this kind ended (the outbox target, its local day, the platform's
# answer): told once per row, after the platform's final answer.
OutcomeFn = Callable[[str, date, SendResult], Awaitable[None]]
# Traffic in a shared channel (a group, a server): the replies, or None when it is not
# this feature's business.
SharedFn = Callable[[ConversationRef, Inbound], Awaitable[list[Reply] | None]]
# Text keys a feature's code uses -> the placeholders its code fills in.
TextKeys = Mapping[str, tuple[str, ...]]


class Feature(Protocol):
    name: str

    def register(self, registry: Registry) -> None: ...


class RegistryError(ValueError):
    """Two features claim the same name, or a feature names something that does not exist."""


@dataclass
class Registry:
    commands: dict[str, CommandFn] = field(default_factory=dict)
    menu: set[str] = field(default_factory=set)
    actions: dict[str, ActionFn] = field(default_factory=dict)
    presses: dict[str, PressFn] = field(default_factory=dict)
    person_reminders: dict[str, PersonReminderFn] = field(default_factory=dict)
    target_reminders: dict[str, TargetReminderFn] = field(default_factory=dict)
    outcomes: dict[str, OutcomeFn] = field(default_factory=dict)
    red_flag_hooks: list[RedFlagFn] = field(default_factory=list)
    shared_handlers: list[SharedFn] = field(default_factory=list)
    text_keys: dict[str, frozenset[str]] = field(default_factory=dict)
    owners: dict[str, str] = field(default_factory=dict)
    current: str = "host"

    def _claim(self, what: str) -> None:
        owner = self.owners.get(what)
        if owner is not None:
            raise RegistryError(f"{what} is registered by both {owner} and {self.current}")
        self.owners[what] = self.current

    def command(self, name: str, fn: CommandFn, *, menu: bool = False) -> None:
        """``/name``; in the platform's command menu when ``menu`` (described by the
        ``commands.<name>`` text)."""
        self._claim(f"command /{name}")
        self.commands[name] = fn
        if menu:
            self.menu.add(name)
            self.texts({f"commands.{name}": ()})

    def action(self, name: str, fn: ActionFn) -> None:
        """A dialog ``action`` step; it may return a step id to go to instead of ``next``."""
        self._claim(f"action {name}")
        self.actions[name] = fn

    def press(self, prefix: str, fn: PressFn) -> None:
        """Buttons whose data is ``a:<prefix>:<arg>`` (never stale)."""
        self._claim(f"button a:{prefix}")
        self.presses[prefix] = fn

    def reminder(self, kind: str, fn: PersonReminderFn) -> None:
        self._claim(f"reminder {kind}")
        self.person_reminders[kind] = fn

    def target_reminder(self, kind: str, fn: TargetReminderFn) -> None:
        self._claim(f"reminder {kind}")
        self.target_reminders[kind] = fn

    def outcome(self, kind: str, fn: OutcomeFn) -> None:
        """Told how each reminder of ``kind`` ended (sent, blocked, not permitted, failed)."""
        self._claim(f"outcome {kind}")
        self.outcomes[kind] = fn

    def on_red_flag(self, fn: RedFlagFn) -> None:
        self.red_flag_hooks.append(fn)

    def shared(self, fn: SharedFn) -> None:
        self.shared_handlers.append(fn)

    def texts(self, keys: TextKeys) -> None:
        for key, names in keys.items():
            known = self.text_keys.get(key, frozenset())
            self.text_keys[key] = known | frozenset(names)

    def add(self, feature: Feature) -> None:
        self.current = feature.name
        try:
            feature.register(self)
        finally:
            self.current = "host"
