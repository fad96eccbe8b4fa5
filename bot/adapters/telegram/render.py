"""Pure translation between the engine's events and Telegram shapes (no I/O, no bot).

Outbound: the markup subset of ``bot.domain.events`` (``**bold**``, ``_italic_``, blank line =
paragraph, commands named as ``/name``) becomes Telegram HTML; everything else is escaped
first, so user-provided text can never inject a tag. Long texts are split at paragraph, then
line, then word boundaries (hard as a last resort) so that every message fits ``MAX_TEXT``.
Buttons become an inline keyboard whose callback_data is exactly ``Button.data`` (buttons
whose data does not fit Telegram's 1-64 bytes are skipped with a warning). ``OPEN_PRIVATE``
becomes a t.me deep link.

Inbound: a message text becomes ``Command`` or ``Text`` (see ``parse_text``).

Every limit comes from ``bot.adapters.telegram.capabilities`` (``telegram.constants``).
"""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from bot.adapters.telegram.capabilities import (
    CAPABILITIES,
    MAX_BUTTONS,
    MAX_BUTTONS_PER_ROW,
    MAX_CALLBACK_BYTES,
    MAX_CAPTION,
    MAX_COMMAND,
    MAX_COMMAND_DESCRIPTION,
    MAX_COMMANDS,
    MAX_PHOTO_BYTES,
    MAX_PHOTO_RATIO,
    MAX_PHOTO_SIDE_SUM,
    MAX_TEXT,
    MAX_UPLOAD_BYTES,
    MIN_CALLBACK_BYTES,
    MIN_COMMAND,
)
from bot.domain import markup
from bot.domain.events import (
    OPEN_PRIVATE,
    Animation,
    Attachment,
    Button,
    Command,
    Document,
    Picture,
    Reply,
    Text,
)

logger = logging.getLogger(__name__)

DEEP_LINK_PAYLOAD = "knee"
CHOICE_MARK = "✓"

# ---------------------------------------------------------------------------------------------
# Markup -> HTML

def markup_to_html(text: str) -> str:
    """The engine's markup as Telegram HTML: every character escaped, styles as properly
    nested tags (a tag stack closes and reopens as needed, so tags never cross), commands
    as Telegram shows them ("/start", which Telegram makes a tap to send)."""
    out: list[str] = []
    for line in markup.lines(text):
        parts: list[str] = []
        stack: list[str] = []
        for run in markup.shown(line, CAPABILITIES.command_prefix):
            wanted = [tag for tag, on in (("b", run.bold), ("i", run.italic)) if on]
            while stack and any(tag not in wanted for tag in stack):
                parts.append(f"</{stack.pop()}>")
            for tag in wanted:
                if tag not in stack:
                    stack.append(tag)
                    parts.append(f"<{tag}>")
            parts.append(html.escape(run.text, quote=False))
        parts.extend(f"</{tag}>" for tag in reversed(stack))
        out.append("".join(parts))
    return "\n".join(out)


def markup_to_plain(text: str) -> str:
    """What a reader sees once Telegram has parsed ``markup_to_html(text)``."""
    return html.unescape(re.sub(r"</?[bi]>", "", markup_to_html(text)))


def visible_length(text: str) -> int:
    """Length Telegram counts for ``markup_to_html(text)`` (tags and entities parsed)."""
    return len(markup_to_plain(text))


# ---------------------------------------------------------------------------------------------
# Splitting


def split_markup(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Split markup text into chunks of at most ``limit`` characters.

    Splits at paragraph boundaries (blank lines) when it can, then at line breaks, then at
    spaces, and hard only inside a word longer than ``limit``. Measured on the source text,
    which is never shorter than what Telegram counts after parsing, so every chunk fits.
    Empty chunks are dropped; a whitespace-only text gives ``[]``.
    """
    if limit < 1:
        raise ValueError("limit must be positive")
    text = text.strip()
    if not text:
        return []
    if len(text) <= limit:
        return [text]
    pieces = _split_levels(text, limit, ("\n\n", "\n", " "))
    return _pack(pieces, limit)


def _split_levels(text: str, limit: int, seps: tuple[str, ...]) -> list[tuple[str, str]]:
    """Break ``text`` into (piece, separator-before) pairs with every piece <= limit."""
    if len(text) <= limit:
        return [(text, "")]
    if not seps:
        return [(text[i : i + limit], "") for i in range(0, len(text), limit)]
    sep, rest = seps[0], seps[1:]
    out: list[tuple[str, str]] = []
    for index, part in enumerate(p for p in text.split(sep) if p.strip()):
        sub = _split_levels(part.strip() if sep == "\n\n" else part, limit, rest)
        first_piece, _ = sub[0]
        out.append((first_piece, sep if index else ""))
        out.extend(sub[1:])
    return out


def _pack(pieces: list[tuple[str, str]], limit: int) -> list[str]:
    chunks: list[str] = []
    current = ""
    for piece, sep in pieces:
        if not current:
            current = piece
        elif len(current) + len(sep) + len(piece) <= limit:
            current = current + (sep or "") + piece
        else:
            chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return [c.strip() for c in chunks if c.strip()]


# ---------------------------------------------------------------------------------------------
# Keyboards


def deep_link(bot_username: str, payload: str = DEEP_LINK_PAYLOAD) -> str:
    """The t.me link that opens a private chat with the bot and sends ``/start <payload>``."""
    return f"https://t.me/{bot_username}?start={payload}"


def callback_data_fits(data: str) -> bool:
    return MIN_CALLBACK_BYTES <= len(data.encode("utf-8")) <= MAX_CALLBACK_BYTES


@dataclass(frozen=True, slots=True)
class KeyButton:
    """One inline button: a label and exactly one action (callback data or a URL)."""

    text: str
    callback_data: str | None = None
    url: str | None = None

    def as_dict(self) -> dict[str, str]:
        if self.url is not None:
            return {"text": self.text, "url": self.url}
        return {"text": self.text, "callback_data": self.callback_data or ""}

    def as_ptb(self) -> InlineKeyboardButton:
        if self.url is not None:
            return InlineKeyboardButton(self.text, url=self.url)
        return InlineKeyboardButton(self.text, callback_data=self.callback_data)


@dataclass(frozen=True, slots=True)
class Keyboard:
    """A validated inline keyboard. ``json`` is Telegram's ``reply_markup``, serialised once
    (sending it needs no python-telegram-bot objects); ``markup()`` is the PTB object."""

    rows: tuple[tuple[KeyButton, ...], ...]
    json: str

    @classmethod
    def of(cls, rows: Sequence[Sequence[KeyButton]]) -> Keyboard:
        frozen = tuple(tuple(row) for row in rows)
        payload = {"inline_keyboard": [[b.as_dict() for b in row] for row in frozen]}
        return cls(frozen, json.dumps(payload, ensure_ascii=False, separators=(",", ":")))

    def markup(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup([[b.as_ptb() for b in row] for row in self.rows])


def keyboard(rows: Sequence[Sequence[Button]], bot_username: str | None) -> Keyboard | None:
    """Inline keyboard for ``Reply.buttons``; ``None`` when no button survives.

    Rows longer than Telegram allows are wrapped; buttons beyond the total limit, with an empty
    label, with callback data outside 1-64 bytes, or an ``OPEN_PRIVATE`` link while the bot's
    username is unknown are skipped with a warning (never silently).
    """
    out: list[list[KeyButton]] = []
    total = 0
    for row in rows:
        built: list[KeyButton] = []
        for button in row:
            made = _button(button, bot_username)
            if made is None:
                continue
            if total >= MAX_BUTTONS:
                logger.warning(
                    "keyboard: more than %d buttons, dropping %r", MAX_BUTTONS, button.data
                )
                continue
            built.append(made)
            total += 1
        for start in range(0, len(built), MAX_BUTTONS_PER_ROW):
            out.append(built[start : start + MAX_BUTTONS_PER_ROW])
    return Keyboard.of(out) if out else None


def build_keyboard(
    rows: Sequence[Sequence[Button]], bot_username: str | None
) -> InlineKeyboardMarkup | None:
    """``keyboard()`` as python-telegram-bot's ``InlineKeyboardMarkup``."""
    built = keyboard(rows, bot_username)
    return built.markup() if built is not None else None


def _button(button: Button, bot_username: str | None) -> KeyButton | None:
    if not button.label.strip():
        logger.warning("keyboard: button with empty label skipped (data %r)", button.data)
        return None
    if button.data == OPEN_PRIVATE:
        if not bot_username:
            logger.warning("keyboard: bot username unknown, private-chat link skipped")
            return None
        return KeyButton(button.label, url=deep_link(bot_username))
    if not callback_data_fits(button.data):
        logger.warning(
            "keyboard: callback data of %d bytes is outside %d-%d, button skipped",
            len(button.data.encode("utf-8")),
            MIN_CALLBACK_BYTES,
            MAX_CALLBACK_BYTES,
        )
        return None
    return KeyButton(button.label, callback_data=button.data)


def label_for(markup: InlineKeyboardMarkup | None, data: str) -> str | None:
    """The label of the button carrying ``data`` in a message's own keyboard."""
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return None


def with_choice(message_html: str, label: str) -> str:
    """The pressed message's HTML with a final line showing the choice."""
    return f"{message_html.rstrip()}\n\n{CHOICE_MARK} {html.escape(label, quote=False)}"


# Between the choice shown on a pressed message and the question it became.
JOIN = "\n\n"


def choice_suffix_length(label: str) -> int:
    """How many visible characters ``with_choice`` adds."""
    return len(f"\n\n{CHOICE_MARK} {label}")


# ---------------------------------------------------------------------------------------------
# Replies -> messages


@dataclass(frozen=True, slots=True)
class TextPart:
    """One sendMessage: HTML text and an optional keyboard."""

    html: str
    keyboard: Keyboard | None = None


@dataclass(frozen=True, slots=True)
class PhotoPart:
    """One sendPhoto: PNG bytes, an optional HTML caption and an optional keyboard."""

    png: bytes
    filename: str
    caption_html: str | None = None
    keyboard: Keyboard | None = None


@dataclass(frozen=True, slots=True)
class AnimationPart:
    """One sendAnimation: GIF bytes (played inline, looping), its size, a caption, a
    keyboard."""

    gif: bytes
    filename: str
    width: int = 0
    height: int = 0
    caption_html: str | None = None
    keyboard: Keyboard | None = None


@dataclass(frozen=True, slots=True)
class DocumentPart:
    """One sendDocument: a file to keep, its name and media type, a caption, a keyboard."""

    data: bytes
    filename: str
    mime: str
    caption_html: str | None = None
    keyboard: Keyboard | None = None


FilePart = PhotoPart | AnimationPart | DocumentPart
Part = TextPart | FilePart


def photo_fits(picture: Picture) -> bool:
    """Whether Telegram takes the picture as a photo: at most 10 MB, width + height at most
    10000 and a side ratio of at most 20 (a size of 0 means unknown: only bytes count)."""
    if len(picture.png) > MAX_PHOTO_BYTES:
        return False
    width, height = picture.width, picture.height
    if width and height:
        ratio = max(width, height) / min(width, height)
        return width + height <= MAX_PHOTO_SIDE_SUM and ratio <= MAX_PHOTO_RATIO
    return True


def fit_attachment(key: str, attachment: Attachment | None) -> Attachment | None:
    """The attachment as Telegram will take it: an animation too big for Telegram goes as its
    still; a picture Telegram refuses as a photo (too big, too large, too narrow) goes as a
    document; anything over the 50 MB upload limit goes as its alt text (None), with a
    warning."""
    if isinstance(attachment, Animation):
        if len(attachment.gif) <= MAX_UPLOAD_BYTES:
            return attachment
        logger.warning("reply %r: an animation of %d bytes is over Telegram's %d; its still "
                       "goes instead", key, len(attachment.gif), MAX_UPLOAD_BYTES)
        attachment = attachment.still
    if isinstance(attachment, Picture) and not photo_fits(attachment):
        logger.warning(
            "reply %r: a picture of %d bytes, %dx%d px, is not a photo Telegram takes; it goes "
            "as a document", key, len(attachment.png), attachment.width, attachment.height)
        attachment = Document(attachment.png, attachment.filename, attachment.mime,
                              attachment.alt)
    if isinstance(attachment, Document) and len(attachment.data) > MAX_UPLOAD_BYTES:
        logger.warning("reply %r: a file of %d bytes is over Telegram's %d; its alt text goes "
                       "instead", key, len(attachment.data), MAX_UPLOAD_BYTES)
        return None
    return attachment


def file_part(
    attachment: Attachment, caption_html: str | None, keys: Keyboard | None
) -> FilePart:
    if isinstance(attachment, Animation):
        return AnimationPart(attachment.gif, attachment.filename, attachment.width,
                             attachment.height, caption_html, keys)
    if isinstance(attachment, Picture):
        return PhotoPart(attachment.png, attachment.filename, caption_html, keys)
    return DocumentPart(attachment.data, attachment.filename, attachment.mime, caption_html,
                        keys)


def render_reply(reply: Reply, bot_username: str | None) -> list[Part]:
    """The Telegram messages for one reply, in order; the keyboard rides on the last one.

    With an attachment: a photo, an animation or a document whose caption is the text (or
    the attachment's alt text when the reply has none; a document's preview goes first as a
    photo); a text longer than the caption limit
    follows the file as message(s) and the file gets the alt text as caption. An attachment
    Telegram would refuse goes in the form it takes (see ``fit_attachment``), or as its alt
    text. A reply with no text, no attachment and no buttons gives [].
    """
    attachment = fit_attachment(reply.key, reply.attachment)
    if reply.attachment is not None and attachment is None:
        said = reply.attachment.alt.strip()
        text = f"{reply.text}\n\n{said}" if reply.text.strip() and said else reply.text or said
        reply = replace(reply, attachment=None, text=text)
    keys = keyboard(reply.buttons, bot_username)
    chunks = split_markup(reply.text)
    parts: list[Part] = []
    if isinstance(attachment, Document) and attachment.preview is not None:
        preview = attachment.preview
        if photo_fits(preview):  # the first page shown inline, the file to keep after it
            parts.append(PhotoPart(preview.png, preview.filename))
        attachment = replace(attachment, preview=None)
    if attachment is not None:
        if chunks and len(chunks) == 1 and visible_length(chunks[0]) <= MAX_CAPTION:
            return [*parts, file_part(attachment, markup_to_html(chunks[0]), keys)]
        alt = attachment.alt.strip()[:MAX_CAPTION] or None
        caption = html.escape(alt, quote=False) if alt else None
        if not chunks:
            return [*parts, file_part(attachment, caption, keys)]
        parts.append(file_part(attachment, caption, None))
    if not chunks:
        if keys is not None:
            logger.warning("reply %r has buttons but no text: not sent", reply.key)
        return parts
    for chunk in chunks[:-1]:
        parts.append(TextPart(markup_to_html(chunk)))
    parts.append(TextPart(markup_to_html(chunks[-1]), keys))
    return parts


# ---------------------------------------------------------------------------------------------
# Inbound text -> Command | Text

_COMMAND_LENGTH = f"{{{MIN_COMMAND},{MAX_COMMAND}}}"
_COMMAND = re.compile(
    rf"^/(?P<name>[A-Za-z0-9_]{_COMMAND_LENGTH})(?:@(?P<bot>[A-Za-z0-9_]+))?(?:\s+(?P<args>.*))?$",
    re.DOTALL,
)
_MENU_COMMAND = re.compile(rf"[a-z0-9_]{_COMMAND_LENGTH}")


def parse_text(text: str, bot_username: str | None) -> Command | Text | None:
    """``/cmd args`` or ``/cmd@bot args`` -> ``Command``; other text -> ``Text``.

    Returns ``None`` for a command addressed to another bot (``/start@otherbot`` in a group).
    ``/start knee`` (a deep link) is ``Command("start", "knee")``. Command names are lower
    cased; args are stripped.
    """
    match = _COMMAND.match(text.strip())
    if match is None:
        return Text(text)
    addressed = match.group("bot")
    if addressed and bot_username and addressed.casefold() != bot_username.casefold():
        return None
    return Command(match.group("name").lower(), (match.group("args") or "").strip())


def menu_commands(menu: Sequence[tuple[str, str]]) -> list[tuple[str, str]]:
    """The valid (command, description) pairs for setMyCommands; the others are logged."""
    out: list[tuple[str, str]] = []
    for raw, description in menu:
        name = raw.strip().lstrip("/").lower()
        desc = description.strip()
        valid_name = _MENU_COMMAND.fullmatch(name)
        if not valid_name or not 1 <= len(desc) <= MAX_COMMAND_DESCRIPTION:
            logger.warning("command menu: %r is not a valid Telegram command, skipped", raw)
            continue
        out.append((name, desc))
    return out[:MAX_COMMANDS]
