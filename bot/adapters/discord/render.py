"""Pure rendering of engine replies for Discord: markup, splitting, buttons.

Nothing here talks to Discord; :mod:`bot.adapters.discord.outbound` turns a
:class:`RenderedMessage` into ``channel.send(...)`` arguments.

* Commands: a command the text names (``/start``, ``/exercise clamshell``) is shown as
  members call it on Discord, in the ``/knee`` group (``/knee start``, ``/knee exercise
  clamshell``: ``CAPABILITIES.command_prefix``).
* Markup: the engine's ``**bold**`` and ``_italic_`` become Discord markdown; every other
  character that Discord would read as markdown (``* _ ~ ` | \\ < [`` and ``>``/``#``/``-#`` at
  a line start) is escaped, so text the engine copied from a user cannot format, link or
  mention. URLs are left untouched so they stay clickable.
* Length: message content is at most 2000 characters; longer text is split at paragraph
  boundaries, then at line breaks, then between words (markup is closed and reopened
  around a split), and only as a last resort inside a word.
* Buttons: at most 5 per action row and 5 rows per message; more than 5 rows holding at
  most 25 buttons are shared out evenly over 5 rows (one option per row, as the engine lays
  out long lists, would otherwise spill a lone button into a second message), and only
  beyond 25 do extra rows go into follow-on messages; labels are at most 80 characters;
  ``custom_id`` is ``"kc|" + data`` (at most 100 characters) and unique within a message.
  ``OPEN_PRIVATE`` buttons are dropped: a Discord bot cannot deep-link into its DMs, and on
  Discord the conversation already continues there.
* Attachments go out as files: a picture, an animation (a GIF plays inline) or a document
  (with its preview picture beside it, shown inline).
  Their alt text is the attachment's description (what screen readers read), never added to
  the content as well (that showed a chart's summary twice); only a file too large to upload
  leaves its alt text in the content instead.

Every limit comes from :mod:`bot.adapters.discord.capabilities`.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bot.adapters.discord.capabilities import (
    CAPABILITIES,
    CUSTOM_ID_PREFIX,
    MAX_ATTACHMENT_DESCRIPTION,
    MAX_ATTACHMENTS,
    MAX_BUTTONS_PER_ROW,
    MAX_CONTENT,
    MAX_CUSTOM_ID,
    MAX_LABEL,
    MAX_NONCE,
    MAX_ROWS,
    MAX_UPLOAD_BYTES,
)
from bot.domain import markup
from bot.domain.events import (
    OPEN_PRIVATE,
    Animation,
    Attachment,
    Button,
    Document,
    Picture,
    Reply,
)
from bot.domain.markup import Run

log = logging.getLogger(__name__)

# Where a member's DM with the bot opens (discord.com resolves "@me" to their DMs).
DM_LINK = "https://discord.com/channels/@me/{channel_id}"
# How a member calls a command the engine names: "/knee start".
COMMAND_PREFIX = CAPABILITIES.command_prefix
# Content of a message that only carries extra rows of buttons (Discord wants some content).
CONTINUATION = "\u2026"
ELLIPSIS = "\u2026"


@dataclass(frozen=True, slots=True)
class RenderedButton:
    label: str
    custom_id: str


@dataclass(frozen=True, slots=True)
class RenderedFile:
    """One attachment: its bytes, name, media type and description (its alt text)."""

    data: bytes
    filename: str
    mime: str
    description: str


@dataclass(frozen=True, slots=True)
class RenderedMessage:
    """One Discord message: content (<= 2000), up to 5 rows of up to 5 buttons, files (at most
    ``MAX_ATTACHMENTS``: a document and its preview)."""

    content: str
    rows: tuple[tuple[RenderedButton, ...], ...] = ()
    files: tuple[RenderedFile, ...] = ()
    private: bool = True
    key: str = ""
    asks: bool = False  # carries the buttons of a question (``Reply.asks``)


# --------------------------------------------------------------------------- custom ids


def custom_id_for(data: str) -> str | None:
    """``kc|<data>``, or None when that would not be a valid custom_id."""
    if not data or "\n" in data:
        return None
    custom_id = CUSTOM_ID_PREFIX + data
    if len(custom_id) > MAX_CUSTOM_ID:
        return None
    return custom_id


def data_from_custom_id(custom_id: str) -> str | None:
    """The engine's ``Button.data`` inside one of our custom_ids, else None."""
    if custom_id.startswith(CUSTOM_ID_PREFIX) and len(custom_id) > len(CUSTOM_ID_PREFIX):
        return custom_id[len(CUSTOM_ID_PREFIX) :]
    return None


def make_nonce(idempotency_key: str, index: int) -> str:
    """A Discord nonce (<= 25 characters) stable for (key, message index)."""
    digest = hashlib.sha256(f"{idempotency_key}\x1f{index}".encode()).hexdigest()
    return digest[:MAX_NONCE]


def dm_link(channel_id: str | int) -> str:
    """A link that opens the member's DM channel with the bot (Discord's jump link for a
    channel outside any server)."""
    return DM_LINK.format(channel_id=channel_id)


# --------------------------------------------------------------------------- escaping

_URL = re.compile(r"https?://[^\s<>]+")
_SPECIAL = re.compile(r"([\\*_~`|<\[])")
_LINE_START = re.compile(r"^(\s*)(>|#{1,3}\s|-#\s)")


def _escape_chars(text: str) -> str:
    return _SPECIAL.sub(r"\\\1", text)


def escape_text(text: str) -> str:
    """Escape Discord markdown inside one run of plain text (URLs are left as they are)."""
    out: list[str] = []
    pos = 0
    for match in _URL.finditer(text):
        out.append(_escape_chars(text[pos : match.start()]))
        out.append(match.group(0))
        pos = match.end()
    out.append(_escape_chars(text[pos:]))
    return "".join(out)


def _escape_line_starts(text: str) -> str:
    """Stop a line from becoming a quote, a header or subtext."""
    lines = text.split("\n")
    return "\n".join(_LINE_START.sub(r"\1\\\2", line, count=1) for line in lines)


# --------------------------------------------------------------------------- markup

def _serialise(runs: Iterable[Run]) -> str:
    out: list[str] = []
    for run in markup.shown(runs, COMMAND_PREFIX):
        escaped = escape_text(run.text)
        core = escaped.strip()
        if not (run.bold or run.italic) or not core:
            out.append(escaped)
            continue
        lead = escaped[: len(escaped) - len(escaped.lstrip())]
        trail = escaped[len(escaped.rstrip()) :]
        if run.italic:
            core = f"_{core}_"
        if run.bold:
            core = f"**{core}**"
        out.append(lead + core + trail)
    return "".join(out)


def render_markup(text: str) -> str:
    """Engine markup (``**bold**``, ``_italic_``) -> Discord markdown, the rest escaped."""
    rendered = (_serialise(line) for line in markup.lines(text))
    return _escape_line_starts("\n".join(r.rstrip() for r in rendered))


def plain_text(text: str) -> str:
    """The text without the engine's markup (for button labels, which show no markdown)."""
    return markup.plain(text, COMMAND_PREFIX)


# --------------------------------------------------------------------------- splitting


def _pack(pieces: Iterable[tuple[str, bool]], sep: str, limit: int) -> list[str]:
    """Greedily join rendered pieces (each <= limit) into chunks <= limit.

    Each piece says whether it may be joined to the one before it with ``sep``; the parts of
    one word-split line may not (joining them would add a line break inside the line).
    """
    chunks: list[str] = []
    current = ""
    for piece, joinable in pieces:
        if not current:
            current = piece
        elif joinable and len(current) + len(sep) + len(piece) <= limit:
            current = current + sep + piece
        else:
            chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return chunks


def _render_chunk(runs: Sequence[Run]) -> str:
    return _escape_line_starts(_serialise(runs).strip())


def _cut_word(word: str, limit: int) -> list[str]:
    """Cut a word so that each part, escaped, inside "**_"/"_**" and after a line-start
    escape (7 characters), is at most ``limit`` long."""
    budget = max(2, limit - 7)
    parts: list[str] = []
    start = used = 0
    for index, char in enumerate(word):
        cost = 2 if _SPECIAL.match(char) else 1
        if used + cost > budget:
            parts.append(word[start:index])
            start, used = index, 0
        used += cost
    parts.append(word[start:])
    return [part for part in parts if part]


def _split_line(line: str, limit: int) -> list[str]:
    """Split one too-long line between words; markup is closed and reopened at a split."""
    tokens: list[Run] = []
    for run in markup.runs(line):
        if run.command is not None:  # "/knee start" is never split between its words
            tokens.append(run)
            continue
        tokens.extend(Run(t, run.bold, run.italic) for t in re.findall(r"\S+\s*|\s+", run.text))
    chunks: list[str] = []
    current: list[Run] = []
    for token in tokens:
        candidate = [*current, token]
        if len(_render_chunk(candidate)) <= limit:
            current = candidate
            continue
        if current and _render_chunk(current):
            chunks.append(_render_chunk(current))
        current = [token]
        if len(_render_chunk(current)) > limit:
            # A single "word" longer than a message: cut it where the escaped text fits.
            for part in _cut_word(token.text, limit):
                rendered = _render_chunk([Run(part, token.bold, token.italic)])
                if rendered:
                    chunks.append(rendered)
            current = []
    if current and _render_chunk(current):
        chunks.append(_render_chunk(current))
    return chunks


def _split_paragraph(paragraph: str, limit: int) -> list[tuple[str, bool]]:
    pieces: list[tuple[str, bool]] = []
    for line in paragraph.split("\n"):
        rendered = render_markup(line)
        if len(rendered) <= limit:
            pieces.append((rendered, True))
        else:
            parts = _split_line(line, limit)
            pieces.extend((part, index == 0) for index, part in enumerate(parts))
    # Lines are packed here; the result's first chunk may still join the text before it.
    chunks = _pack(pieces, "\n", limit)
    return [(chunk, index == 0) for index, chunk in enumerate(chunks)]


def split_content(text: str, limit: int = MAX_CONTENT) -> list[str]:
    """Render engine text and split it into message contents of at most ``limit``."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    pieces: list[tuple[str, bool]] = []
    for paragraph in re.split(r"\n[ \t]*\n", text):
        paragraph = paragraph.strip("\n")
        if not paragraph.strip():
            continue
        rendered = render_markup(paragraph)
        if len(rendered) <= limit:
            pieces.append((rendered, True))
        else:
            pieces.extend(_split_paragraph(paragraph, limit))
    return _pack(pieces, "\n\n", limit)


# --------------------------------------------------------------------------- buttons


def _label(text: str) -> str:
    label = " ".join(plain_text(text).split()) or ELLIPSIS
    if len(label) > MAX_LABEL:
        label = label[: MAX_LABEL - 1].rstrip() + ELLIPSIS
    return label


def button_rows(rows: Sequence[Sequence[Button]]) -> list[tuple[RenderedButton, ...]]:
    """Rows of at most 5 buttons; OPEN_PRIVATE, invalid and duplicate custom_ids dropped."""
    out: list[tuple[RenderedButton, ...]] = []
    seen: set[str] = set()
    for row in rows:
        buttons: list[RenderedButton] = []
        for button in row:
            if button.data == OPEN_PRIVATE:
                continue
            custom_id = custom_id_for(button.data)
            if custom_id is None or custom_id in seen:
                continue
            seen.add(custom_id)
            buttons.append(RenderedButton(_label(button.label), custom_id))
        for start in range(0, len(buttons), MAX_BUTTONS_PER_ROW):
            out.append(tuple(buttons[start : start + MAX_BUTTONS_PER_ROW]))
    flat = [button for row in out for button in row]
    if len(out) > MAX_ROWS and len(flat) <= MAX_ROWS * MAX_BUTTONS_PER_ROW:
        # Too many rows for one message but few enough buttons: share rows evenly rather
        # than leave a lone button on a follow-on message.
        width = -(-len(flat) // MAX_ROWS)
        out = [tuple(flat[i : i + width]) for i in range(0, len(flat), width)]
    return out


# --------------------------------------------------------------------------- replies


def rendered_file(key: str, attachment: Attachment) -> RenderedFile | None:
    """The attachment as one Discord file (an animation as its GIF, or as its still when the
    GIF is over the upload limit); None, with a warning, when it cannot be uploaded."""
    if isinstance(attachment, Animation):
        if len(attachment.gif) <= MAX_UPLOAD_BYTES:
            return RenderedFile(attachment.gif, attachment.filename, attachment.mime,
                                attachment.alt[:MAX_ATTACHMENT_DESCRIPTION])
        attachment = attachment.still
    data = attachment.png if isinstance(attachment, Picture) else attachment.data
    if len(data) > MAX_UPLOAD_BYTES:
        log.warning(
            "discord: reply %r has a file of %d bytes, over the %d a bot may upload; "
            "only its alt text goes",
            key,
            len(data),
            MAX_UPLOAD_BYTES,
        )
        return None
    return RenderedFile(data, attachment.filename, attachment.mime,
                        attachment.alt[:MAX_ATTACHMENT_DESCRIPTION])


def rendered_files(key: str, attachment: Attachment) -> tuple[RenderedFile, ...]:
    """The files of one attachment: a document's preview picture first (Discord shows it
    inline), then the document."""
    files: list[RenderedFile] = []
    if isinstance(attachment, Document) and attachment.preview is not None:
        preview = rendered_file(key, attachment.preview)
        if preview is not None:
            files.append(preview)
    main = rendered_file(key, attachment)
    if main is None:
        return ()
    files.append(main)
    return tuple(files[:MAX_ATTACHMENTS])


def render_reply(reply: Reply, *, continuation: str = CONTINUATION) -> list[RenderedMessage]:
    """One engine reply -> one or more Discord messages within every limit.

    The attachment rides on the last message with its alt text as the file's description;
    an attachment too large to upload is left out (with a warning) and its alt text goes in
    the content instead.
    """
    attachment = reply.attachment
    files = rendered_files(reply.key, attachment) if attachment is not None else ()
    text = reply.text
    if attachment is not None and not files and attachment.alt.strip():
        alt = attachment.alt.strip()
        text = f"{text}\n\n{alt}" if text.strip() and alt != text.strip() else text or alt
    chunks = split_content(text)
    rows = button_rows(reply.buttons)
    groups = [tuple(rows[i : i + MAX_ROWS]) for i in range(0, len(rows), MAX_ROWS)]
    if not chunks and (groups or files):
        chunks = [render_markup(continuation)]
    messages: list[RenderedMessage] = []
    for index, chunk in enumerate(chunks):
        last = index == len(chunks) - 1
        messages.append(
            RenderedMessage(
                content=chunk,
                rows=groups[0] if last and groups else (),
                files=files if last else (),
                private=reply.private,
                key=reply.key,
                asks=reply.asks is not None and last and bool(groups),
            )
        )
    for group in groups[1:]:
        messages.append(
            RenderedMessage(
                content=render_markup(continuation),
                rows=group,
                private=reply.private,
                key=reply.key,
            )
        )
    return messages


def render_replies(replies: Iterable[Reply]) -> list[RenderedMessage]:
    return [message for reply in replies for message in render_reply(reply)]


def render_chosen(content: str, chosen: str) -> str:
    """The pressed message's content with the choice shown under it (buttons go away)."""
    suffix = f"\n\n\u2192 **{escape_text(' '.join(plain_text(chosen).split()))}**"
    if len(suffix) > MAX_CONTENT // 2:
        suffix = suffix[: MAX_CONTENT // 2 - 3].rstrip("\\*") + "**"
    room = MAX_CONTENT - len(suffix)
    if len(content) > room:
        content = content[: room - 1].rstrip("\\") + ELLIPSIS
    return (content + suffix).strip()


def render_joined(content: str, chosen: str, question: RenderedMessage) -> str | None:
    """The pressed message's content with the choice shown under it and then the next
    question's (``Reply.joins_pressed``); None when that would not fit one message whole."""
    joined = f"{render_chosen(content, chosen)}\n\n{question.content}"
    return joined if len(joined) <= MAX_CONTENT else None
