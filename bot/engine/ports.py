"""The engine's ports: what adapters may call on the engine (``CoachPort``) and where they
hand what arrives (``Inbox``), what they must offer it (``Sender``, ``Adapter``, their
``Capabilities``), what the delivery worker asks of the engine (``Composer``), and the send
rate a platform's processes share (``SendBudget``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Protocol, runtime_checkable

from bot.domain.events import ConversationRef, Envelope, Inbound, Reply
from bot.domain.results import SendResult
from bot.domain.send_budget import SendSlot


class CoachPort(Protocol):
    async def handle(self, ref: ConversationRef, inbound: Inbound) -> list[Reply]:
        """Handle one inbound event from one person; return the replies, in order."""
        ...

    def text(self, key: str, **values: object) -> str:
        """A UI string from content/messages.yaml, for adapter chrome (menus, notes)."""
        ...

    def command_menu(self) -> list[tuple[str, str]]:
        """(command, short description) pairs for the platform's commands menu."""
        ...


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What one platform can show, taken from its library's constants.

    ``kneecoach check`` holds every text in content/ to the smallest limits of all the
    platforms; the engine lays out buttons within ``buttons_per_row``.
    """

    platform: str
    max_text: int  # characters in one message
    max_caption: int  # characters under a picture or a file
    max_button_label: int  # characters
    max_button_data: int  # bytes of a button's data (Telegram callback_data, Discord custom_id)
    buttons_per_row: int
    button_rows: int
    max_upload_bytes: int  # largest file (a document, an animation) the bot may send
    max_picture_bytes: int  # largest picture shown inline (Telegram's photo: 10 MB)
    max_picture_side_sum: int  # width + height of an inline picture, in pixels
    max_attachments: int  # files in one message
    edits_messages: bool  # can edit a message it sent (show the chosen answer, a counter)
    ephemeral_replies: bool  # can show a reply to one member only in a shared channel
    animations: bool  # plays a short looping animation (GIF/MP4) inline
    command_prefix: str  # how a person types a command: "/" or "/knee "
    # Messages a second the platform takes from one bot when nobody is waiting for them (the
    # reminders): how long a busy minute takes to send (``bot.domain.pace``).
    messages_per_second: float


class Progress(Protocol):
    """Which messages of one delivery the platform already has, kept across restarts.

    A sender skips the first ``len(sent)`` rendered messages and calls ``record`` with the
    id of each further message as soon as the platform accepted it, before sending the
    next: after a crash only the message that was in flight can be sent twice. ``last``
    says no further message of this delivery follows: a progress may then record it as the
    delivery's end (the inbox marks its row done: one write, not two).
    """

    @property
    def sent(self) -> Sequence[str]: ...

    async def record(self, message_id: str, *, last: bool = False) -> None: ...


@dataclass(slots=True)
class MemoryProgress:
    """Progress kept in this process only (a send nobody needs to resume after a crash)."""

    ids: list[str] = field(default_factory=list)

    @property
    def sent(self) -> Sequence[str]:
        return self.ids

    async def record(self, message_id: str, *, last: bool = False) -> None:
        self.ids.append(message_id)


class Sender(Protocol):
    """Implemented by each adapter: deliver replies to one conversation.

    ``idempotency_key`` is stable across retries of the same delivery (an outbox row, an
    inbox row's replies), so a platform that supports it (Discord's nonce, per message) can
    refuse a duplicate. A ``ref`` with no ``chat_id`` (and not shared) is the person's
    private chat, which the sender finds. ``progress`` says which messages were already
    delivered and records each new one (``None``: the sender keeps it in memory, per key).
    ``answering``: the adapter's note of the event these replies answer (``Envelope.note``;
    "" for a reminder).
    ``wait``: how long the send may wait in place for a rate limit before reporting
    ``RetryAfter`` (0 for the outbox: it retries later; a few seconds for an answer).
    """

    platform: str

    async def send(
        self,
        ref: ConversationRef,
        replies: Sequence[Reply],
        idempotency_key: str,
        *,
        progress: Progress | None = None,
        answering: str = "",
        wait: float = 0.0,
    ) -> SendResult: ...


class Inbox(Protocol):
    """Where adapters hand the events they receive (bot.schedule.inbox in production).

    ``accept`` returns once the events are stored: only then may the adapter tell the
    platform they arrived (Telegram's next offset, the webhook's 200). True for each event
    that is new, False for a repeat (already kept, or handled: it is not handled twice).
    The inbox handles them in order per person, one turn at a time, and answers through the
    platform's ``Sender``.
    """

    async def accept(self, envelopes: Sequence[Envelope]) -> list[bool]: ...


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the coach wants sent for one outbox row."""

    ref: ConversationRef
    replies: Sequence[Reply]


class Composer(Protocol):
    """Implemented by the coach: what to send for one due outbox row (None = nothing)."""

    async def compose(self, target: str, kind: str, local_day: date) -> Delivery | None: ...

    async def settle(self, target: str, kind: str, local_day: date, result: SendResult) -> None:
        """How a row ended (sent, blocked, not permitted, failed): told once per row, also
        for a row composed before a restart (what it composed is kept; callbacks could not
        be)."""


class Adapter(Sender, Protocol):
    """A door to the coach: started and stopped with the process, and the ``Sender`` for
    its platform."""

    capabilities: Capabilities

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


class QuestionMemory(Protocol):
    """Which message holds a chat's open question (its buttons), for an adapter: ``keep``
    it when a question with buttons is sent, ``take`` it (gone) when an answer is typed
    instead of pressed, ``answered`` when that message was answered or edited into
    something else. ``bot.domain.questions.MemoryQuestions`` is one process's;
    ``bot.store.questions`` shares it between the processes of one bot."""

    async def keep(self, chat_id: int, message_id: int) -> None: ...

    async def take(self, chat_id: int) -> int | None: ...

    async def answered(self, chat_id: int, message_id: int) -> None: ...


class SendBudget(Protocol):
    """A platform's overall send rate, one for the bot however many processes send for it
    (Telegram's 30 messages a second are the bot's, not a process's): one start every
    ``1 / messages_per_second`` seconds, evenly spaced, whoever sends.

    ``take(now, replying=...)`` (``now``: the caller's clock) answers with a ``SendSlot``:

    - ``replying=True`` (someone just wrote): always granted the next free start, kept for
      this message however far ahead it is. Replies queue behind the replies already
      promised a start, never behind a reminder still waiting;
    - ``replying=False`` (a reminder, nobody waiting): granted only a start that is free
      now or within ``bot.domain.send_budget.BULK_AHEAD`` (5 ms); otherwise nothing is
      taken and ``wait`` says when to ask again (just before the next free start). So a
      reminder never takes a start a reply has been promised, and asks once a start
      rather than polling.

    ``bot.store.send_budget`` keeps it in the database (several processes on PostgreSQL);
    ``bot.domain.send_budget.MemorySendBudget`` is the same arithmetic for one process.
    """

    async def take(self, now: datetime, *, replying: bool) -> SendSlot: ...


@runtime_checkable
class SharedDoor(Adapter, Protocol):
    """A door every process sharing a database opens, in two steps (``start`` is both):
    ``connect`` (it can send, and takes what the platform pushes to any of them: a webhook
    behind a proxy) and ``lead`` (what one process at a time does for the bot: polling,
    registering the webhook). A door without the split is the leader's alone."""

    async def connect(self) -> None: ...

    async def lead(self) -> None: ...
