"""Platform-free events: what comes into the coach and what goes out of it.

Adapters build an ``Inbound`` and a ``ConversationRef`` from a platform update, call
``Coach.handle`` and render the returned ``Reply`` objects. Nothing here knows about
Telegram or Discord.

Text markup subset used in every ``Reply.text`` (renderers translate it):
  **bold**      bold text
  _italic_      italic text (only at word boundaries)
  blank line    paragraph break (renderers may split long messages there)
  "- " / "1. "  list lines are plain text
User-provided text is never put into a reply unescaped: renderers escape everything and
then apply the markup above.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Platform = Literal["console", "telegram", "discord"]


@dataclass(frozen=True, slots=True)
class ConversationRef:
    """Where a person can be reached: platform, their user id, and the private chat id."""

    platform: str
    user_id: str
    # "" (with shared False) for the person's private chat wherever the platform keeps it:
    # the door finds it (Discord opens the DM channel; on Telegram it is the user id).
    chat_id: str
    # True for a group or server channel that other people can read: the coach never asks
    # health questions or shows health data there.
    shared: bool = False

    @property
    def person(self) -> str:
        """Whose turn an event from here is: '<platform>:<user id>' (their lane in the inbox,
        the key of their lock)."""
        return f"{self.platform}:{self.user_id}"


def platform_of(person: str) -> str:
    """The platform of a ``ConversationRef.person`` ('<platform>:<user id>')."""
    return person.partition(":")[0]


@dataclass(frozen=True, slots=True)
class Text:
    """Free text typed by the user."""

    text: str


@dataclass(frozen=True, slots=True)
class Press:
    """A button press; ``data`` is exactly the ``Button.data`` the engine sent."""

    data: str


@dataclass(frozen=True, slots=True)
class Command:
    """A command such as ``/start`` (name without the slash, lower case) and its argument."""

    name: str
    args: str = ""


ClubAction = Literal["setup", "off", "leaderboard", "denied"]


@dataclass(frozen=True, slots=True)
class ClubCommand:
    """A running club's admin or member command, from a shared channel.

    ``setup``: ``channel_id`` (and its name, for the confirmation), ``time`` and
    ``timezone`` as the admin typed them, and what the platform says about the bot in that
    channel: ``bot_can_view`` / ``bot_can_send`` (None when the door cannot tell).
    ``off``: the club's post stops. ``leaderboard``: ``join`` or leave the streak
    leaderboard, shown by ``display_name``. ``denied``: an adapter's verdict that the member
    may not manage the server.
    """

    action: ClubAction
    guild_id: str = ""
    channel_id: str = ""
    channel_name: str = ""
    time: str = ""
    timezone: str = ""
    join: bool = False
    display_name: str = ""
    bot_can_view: bool | None = None
    bot_can_send: bool | None = None


Inbound = Text | Press | Command | ClubCommand


@dataclass(frozen=True, slots=True)
class Envelope:
    """One event as a platform delivered it, kept in the inbox until its turn has been
    handled and its replies are on the platform.

    ``event_id`` is unique per platform (Telegram's update_id, Discord's message id): a
    repeat of it is dropped. ``origin`` names the message a button was pressed on, so
    repeated presses of one button can be answered once. ``note`` is the adapter's own
    (JSON text), handed back to it with the replies (Telegram: the pressed message, to show
    the choice on it).
    """

    platform: str
    event_id: str
    ref: ConversationRef
    inbound: Inbound
    origin: str = ""
    note: str = ""


# A button whose data is OPEN_PRIVATE is rendered by adapters as a link that opens a private
# chat with the bot (Telegram: a t.me deep link).
OPEN_PRIVATE = "open:private"


@dataclass(frozen=True, slots=True)
class Button:
    """One button. ``data`` is at most 64 bytes (Telegram's callback_data limit)."""

    label: str
    data: str


@dataclass(frozen=True, slots=True)
class Picture:
    """A still picture (PNG bytes), its size in pixels and a text alternative for those who
    cannot see it. Shown inline where the platform can (Telegram's sendPhoto, a Discord
    attachment); the terminal saves it as a file."""

    png: bytes
    alt: str
    filename: str = "picture.png"
    width: int = 0
    height: int = 0
    mime: str = "image/png"


@dataclass(frozen=True, slots=True)
class Animation:
    """A short looping animation (GIF bytes) and the still to show where none plays."""

    gif: bytes
    still: Picture
    filename: str = "animation.gif"
    width: int = 0
    height: int = 0
    mime: str = "image/gif"

    @property
    def alt(self) -> str:
        return self.still.alt


@dataclass(frozen=True, slots=True)
class Document:
    """A file to keep (a PDF report, a JSON export): its name, its media type and one line
    saying what it is; ``preview`` is a picture of it for chats that show pictures inline
    (the first page of a report). The terminal saves only the document."""

    data: bytes
    filename: str
    mime: str
    description: str
    preview: Picture | None = None

    @property
    def alt(self) -> str:
        return self.description


# What a reply may carry besides its text: the engine says WHAT it sends, each adapter
# decides HOW (Telegram: sendPhoto / sendAnimation / sendDocument; Discord: an attachment;
# the terminal: a file in its folder, and its path).
Attachment = Picture | Animation | Document


@dataclass(frozen=True, slots=True)
class Reply:
    """One outbound message. ``key`` names the content item it came from."""

    key: str
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    # A picture, an animation or a document sent with the text (the text is its caption
    # where it fits the platform's caption, else it follows as messages).
    attachment: Attachment | None = None
    # True when the message holds health information and must only go to a private chat.
    private: bool = True
    # When set, the reply answers a button press: adapters may edit the pressed message
    # to show this choice and drop its keyboard.
    chosen: str | None = None
    # When set, the reply answers a button press and takes the pressed message's place
    # (text and buttons: the club post with its new counter). Never used for private replies
    # to a press in a shared channel.
    replaces_pressed: bool = False
    # Shown only to the person who pressed or typed, where the platform can (Discord's
    # ephemeral follow-ups); elsewhere an ordinary reply.
    ephemeral: bool = False
    # Set on a question: "choice" when a typed number may pick a button by its position (the
    # terminal's numbered choices), "value" when a typed number is the answer's value ("28"
    # to the age question is 28 years, "3" is 3 km), never a position; "text" when the
    # answer is typed words and there are no buttons (the story).
    asks: Literal["choice", "value", "text"] | None = None
    # When set, the reply follows an answer the person typed to the last question: adapters
    # may mark that question (the last reply with ``asks`` they sent in this chat) as
    # answered with this text and drop its buttons, as they do for ``chosen`` on a press.
    typed_answer: str | None = None
    # The keys of the replies folded into this one, in order (their texts open this
    # reply's text, a blank line apart): the engine sends a text and the question right
    # after it as one message (bot.engine.folding). ``key`` stays the question's.
    parts: tuple[str, ...] = ()
    # Set by the engine on the only reply to a press when it is a question the pressed
    # message may become: adapters that can edit (Telegram, Discord) may edit the pressed
    # message to its own text, the choice and this reply's text with this reply's buttons,
    # one call instead of an edit and a new message, where the result fits the platform.
    joins_pressed: bool = False
    # Never folded with anything (a red flag's safety answer stands on its own).
    alone: bool = False

    @property
    def keys(self) -> tuple[str, ...]:
        """The keys of everything this reply says: the folded ones, then its own."""
        return (*self.parts, self.key)


Outbound = Reply
