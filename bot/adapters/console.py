"""The terminal door: talk to the coach in a shell, or replay a script of messages.

Buttons are shown as numbered choices; a line that is a number, or a button's label,
presses that button; a line starting with "/" is a command; anything else is typed text.

``ConsoleChat`` is also the console's ``Adapter`` (nothing to connect: ``start``/``stop`` do
nothing) and its ``Sender``: proactive messages (reminders) appear in the same stream. Its
``CAPABILITIES`` has no limits that bite: a terminal shows any length, edits nothing, has
nobody else to hide an ephemeral reply from and plays no animations.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Final, TextIO

from bot.domain.events import Command, ConversationRef, Inbound, Press, Reply, Text
from bot.domain.markup import plain
from bot.domain.results import Failed, SendResult, Sent
from bot.domain.text import fold
from bot.engine.ports import Capabilities, CoachPort, Progress

if TYPE_CHECKING:
    from bot.engine.ports import Adapter

PLATFORM: Final = "console"
NO_LIMIT: Final = 2**31 - 1  # nothing a terminal cannot show
IDEMPOTENCY_MEMORY: Final = 4096  # idempotency keys remembered (those shown last)

CAPABILITIES: Final = Capabilities(
    platform=PLATFORM,
    max_text=NO_LIMIT,
    max_caption=NO_LIMIT,
    max_button_label=NO_LIMIT,
    max_button_data=NO_LIMIT,
    buttons_per_row=NO_LIMIT,
    button_rows=NO_LIMIT,
    max_upload_bytes=NO_LIMIT,
    edits_messages=False,
    ephemeral_replies=False,
    animations=False,
    command_prefix="/",
)


@dataclass(slots=True)
class ConsoleChat:
    coach: CoachPort
    ref: ConversationRef
    out: TextIO
    json_mode: bool = False
    now: Callable[[], datetime] | None = None
    platform: str = PLATFORM
    capabilities: Capabilities = CAPABILITIES
    _buttons: list[tuple[str, str]] = field(default_factory=list)
    _delivered: dict[str, tuple[str, ...]] = field(default_factory=dict)

    async def start(self) -> None:
        """Nothing to connect: the terminal is there."""

    async def stop(self) -> None:
        """Nothing to close: the caller owns the stream."""

    def inbound_for(self, line: str) -> Inbound:
        stripped = line.strip()
        if stripped.startswith("/") and len(stripped) > 1:
            name, _, args = stripped[1:].partition(" ")
            return Command(name.lower(), args.strip())
        if self._buttons:
            wanted = fold(stripped)
            for label, data in self._buttons:
                if wanted and wanted == fold(label):
                    return Press(data)
            if stripped.isdigit() and 1 <= int(stripped) <= len(self._buttons):
                return Press(self._buttons[int(stripped) - 1][1])
        return Text(line)

    async def say(self, line: str) -> list[Reply]:
        replies = await self.coach.handle(self.ref, self.inbound_for(line))
        self.show(replies)
        return replies

    def show(self, replies: Sequence[Reply]) -> None:
        for reply in replies:
            if self.json_mode:
                record: dict[str, object] = {
                    "key": reply.key,
                    "text": reply.text,
                    "buttons": [b.label for row in reply.buttons for b in row],
                }
                if reply.image is not None:
                    record["image"] = {"alt": reply.image.alt,
                                       "png": reply.image.png[:8] == b"\x89PNG\r\n\x1a\n"}
                if self.now is not None:
                    record["at"] = self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
                self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                self.out.write(plain(reply.text) + "\n")
                if reply.image is not None:
                    self.out.write(f"[picture: {reply.image.alt}]\n")
                for number, button in enumerate(
                    (b for row in reply.buttons for b in row), start=1
                ):
                    self.out.write(f"  [{number}] {button.label}\n")
                self.out.write("\n")
            if reply.buttons:
                self._buttons = [(b.label, b.data) for row in reply.buttons for b in row]
        self.out.flush()

    async def send(
        self,
        ref: ConversationRef,
        replies: Sequence[Reply],
        idempotency_key: str,
        *,
        progress: Progress | None = None,
        answering: str = "",
        wait: float = 0.0,
    ) -> SendResult:
        """Proactive messages (reminders) for the terminal user appear in the same stream.

        One id per reply (``<key>#<n>``); the replies ``progress`` already has are not shown
        again; with no progress, a key already shown returns the same ``Sent`` and shows
        nothing again; a ``private`` reply addressed to a shared conversation is never shown
        (and a send of nothing else is ``Failed``).
        """
        shown = self._delivered.get(idempotency_key)
        if shown is not None and progress is None:
            return Sent(shown)
        if ref.shared:
            kept = [r for r in replies if not r.private]
            if replies and not kept:
                return Failed("refused: private replies addressed to a shared conversation")
            replies = kept
        done = len(progress.sent) if progress is not None else 0
        for n in range(done, len(replies)):
            self.show([replies[n]])
            if progress is not None:
                await progress.record(f"{idempotency_key}#{n}")
        ids = (tuple(progress.sent) if progress is not None
               else tuple(f"{idempotency_key}#{n}" for n in range(len(replies))))
        self._delivered[idempotency_key] = ids
        while len(self._delivered) > IDEMPOTENCY_MEMORY:
            del self._delivered[next(iter(self._delivered))]
        return Sent(ids)


if TYPE_CHECKING:  # the terminal is a door like the others

    def _is_an_adapter(chat: ConsoleChat) -> Adapter:
        return chat
