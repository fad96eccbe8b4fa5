"""The engine's ports: what adapters may call on the engine (``CoachPort``), what they must
offer it (``Sender``, ``Adapter``, their ``Capabilities``), and what the delivery worker asks
of the engine (``Composer``)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from bot.domain.events import ConversationRef, Inbound, Reply
from bot.domain.results import SendResult


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
    max_upload_bytes: int  # largest file the bot may send
    edits_messages: bool  # can edit a message it sent (show the chosen answer, a counter)
    ephemeral_replies: bool  # can show a reply to one member only in a shared channel
    animations: bool  # plays a short looping animation (GIF/MP4) inline
    command_prefix: str  # how a person types a command: "/" or "/knee "


class Sender(Protocol):
    """Implemented by each adapter: deliver replies to one conversation, unprompted.

    ``idempotency_key`` is stable across retries of the same outbox row, so a platform that
    supports it (Discord's nonce) can refuse a duplicate. A ``ref`` with no ``chat_id``
    (and not shared) is the person's private chat, which the sender finds.
    """

    platform: str

    async def send(
        self, ref: ConversationRef, replies: Sequence[Reply], idempotency_key: str
    ) -> SendResult: ...


@dataclass(frozen=True, slots=True)
class Delivery:
    """What the coach wants sent for one outbox row."""

    ref: ConversationRef
    replies: Sequence[Reply]
    # Called after the platform accepted the messages, with their ids.
    on_sent: Callable[[tuple[str, ...]], Awaitable[None]] | None = None
    # Called when the platform refused them for lack of permission there (NotPermitted).
    on_refused: Callable[[], Awaitable[None]] | None = None


class Composer(Protocol):
    """Implemented by the coach: what to send for one due outbox row (None = nothing)."""

    async def compose(self, target: str, kind: str, local_day: date) -> Delivery | None: ...


class Adapter(Sender, Protocol):
    """A door to the coach: started and stopped with the process, and the ``Sender`` for
    its platform."""

    capabilities: Capabilities

    async def start(self) -> None: ...

    async def stop(self) -> None: ...
