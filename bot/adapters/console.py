"""The terminal door: talk to the coach in a shell, or replay a script of messages.

Buttons are shown as numbered choices; a line that is a button's label presses that
button, and so does a line that is a number, unless the question takes a number as its
value (``Reply.asks == "value"``: "28" to the age question is 28 years); a line starting
with "/" is a command; anything else is typed text.

``ConsoleChat`` is also the console's ``Adapter`` (nothing to connect: ``start``/``stop`` do
nothing) and its ``Sender``: proactive messages (reminders) appear in the same stream. Its
``CAPABILITIES`` has no limits that bite: a terminal shows any length, edits nothing, has
nobody else to hide an ephemeral reply from and plays no animations.

Files: a terminal shows no pictures, so every attachment (a chart, an exercise picture, the
summary, the export) is written into ``files_dir`` and its path printed (in JSON mode, a
``file`` record: kind, name, path, alt). An animation is saved as its still. The folder is
made private (0700) and every file in it is created 0600: they hold health data.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO

from bot.domain.events import (
    Animation,
    Attachment,
    Command,
    ConversationRef,
    Document,
    Inbound,
    Picture,
    Press,
    Reply,
    Text,
)
from bot.domain.markup import plain
from bot.domain.results import Failed, SendResult, Sent
from bot.domain.text import fold
from bot.engine.ports import Capabilities, CoachPort, Progress

if TYPE_CHECKING:
    from bot.engine.ports import Adapter

PLATFORM: Final = "console"
NO_LIMIT: Final = 2**31 - 1  # nothing a terminal cannot show
IDEMPOTENCY_MEMORY: Final = 4096  # idempotency keys remembered (those shown last)
FILE_MODE: Final = 0o600  # files may hold health data: readable by their owner only
FOLDER_MODE: Final = 0o700
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")

CAPABILITIES: Final = Capabilities(
    platform=PLATFORM,
    max_text=NO_LIMIT,
    max_caption=NO_LIMIT,
    max_button_label=NO_LIMIT,
    max_button_data=NO_LIMIT,
    buttons_per_row=NO_LIMIT,
    button_rows=NO_LIMIT,
    max_upload_bytes=NO_LIMIT,
    max_picture_bytes=NO_LIMIT,
    max_picture_side_sum=NO_LIMIT,
    max_attachments=NO_LIMIT,
    edits_messages=False,
    ephemeral_replies=False,
    animations=False,
    command_prefix="/",
    messages_per_second=float(NO_LIMIT),
)


@dataclass(slots=True)
class ConsoleChat:
    coach: CoachPort
    ref: ConversationRef
    out: TextIO
    json_mode: bool = False
    now: Callable[[], datetime] | None = None
    # Where attachments are written (made on first use); the app puts it beside the database.
    files_dir: Path | None = None
    platform: str = PLATFORM
    capabilities: Capabilities = CAPABILITIES
    _buttons: list[tuple[str, str]] = field(default_factory=list)
    _numbers_are_values: bool = False
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
            if (stripped.isdigit() and not self._numbers_are_values
                    and 1 <= int(stripped) <= len(self._buttons)):
                return Press(self._buttons[int(stripped) - 1][1])
        return Text(line)

    async def say(self, line: str) -> list[Reply]:
        replies = await self.coach.handle(self.ref, self.inbound_for(line))
        self.show(replies)
        return replies

    def show(self, replies: Sequence[Reply]) -> None:
        # A number typed next answers the newest buttons on screen: those of this batch's
        # last reply with buttons; a batch without any (a question to type an answer to)
        # leaves none, so "5" is then the text 5.
        if replies:
            self._buttons = []
        for reply in replies:
            saved = self.save(reply.attachment) if reply.attachment is not None else None
            if self.json_mode:
                record: dict[str, object] = {
                    "key": reply.key,
                    "text": reply.text,
                    "buttons": [b.label for row in reply.buttons for b in row],
                }
                if reply.parts:  # what was folded into this message, in order
                    record["parts"] = list(reply.parts)
                if reply.attachment is not None:
                    record["file"] = {
                        "kind": _kind(reply.attachment),
                        "name": saved.name if saved else None,
                        "path": str(saved) if saved else None,
                        "alt": reply.attachment.alt,
                    }
                if self.now is not None:
                    record["at"] = self.now().strftime("%Y-%m-%dT%H:%M:%SZ")
                self.out.write(json.dumps(record, ensure_ascii=False) + "\n")
            else:
                self.out.write(plain(reply.text, self.capabilities.command_prefix) + "\n")
                if reply.attachment is not None:
                    where = str(saved) if saved else "not saved: no folder for files"
                    kind = "document" if isinstance(reply.attachment, Document) else "picture"
                    self.out.write(f"[{kind} saved: {where}]\n")
                for number, button in enumerate(
                    (b for row in reply.buttons for b in row), start=1
                ):
                    self.out.write(f"  [{number}] {button.label}\n")
                self.out.write("\n")
            if reply.buttons:
                self._buttons = [(b.label, b.data) for row in reply.buttons for b in row]
                self._numbers_are_values = reply.asks == "value"
        self.out.flush()

    def save(self, attachment: Attachment) -> Path | None:
        """Write the attachment into ``files_dir`` (0600) and return its path; an animation
        is saved as its still (a terminal plays none). None without a folder."""
        if self.files_dir is None:
            return None
        if isinstance(attachment, Animation):
            attachment = attachment.still
        data = attachment.png if isinstance(attachment, Picture) else attachment.data
        name = _UNSAFE_NAME.sub("-", attachment.filename).strip(".-") or "file"
        self.files_dir.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
        path = self.files_dir / name
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(path, FILE_MODE)  # an older file of the same name keeps no wider mode
        return path

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
                await progress.record(f"{idempotency_key}#{n}", last=n == len(replies) - 1)
        ids = (tuple(progress.sent) if progress is not None
               else tuple(f"{idempotency_key}#{n}" for n in range(len(replies))))
        self._delivered[idempotency_key] = ids
        while len(self._delivered) > IDEMPOTENCY_MEMORY:
            del self._delivered[next(iter(self._delivered))]
        return Sent(ids)


def _kind(attachment: Attachment) -> str:
    if isinstance(attachment, Document):
        return "document"
    return "animation" if isinstance(attachment, Animation) else "picture"


if TYPE_CHECKING:  # the terminal is a door like the others

    def _is_an_adapter(chat: ConsoleChat) -> Adapter:
        return chat
