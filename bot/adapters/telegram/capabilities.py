"""Every Telegram limit the adapter respects, defined here once and taken from
``telegram.constants`` (python-telegram-bot's copy of the Bot API's published limits).

``CAPABILITIES`` is the record the engine's ports know (``bot.engine.ports.Capabilities``); the
other names are the limits only the Telegram adapter needs (the callback data minimum, the
keyboard's total, the command menu, the webhook secret, the flood limits).
"""

from __future__ import annotations

from typing import Final

from telegram.constants import (
    BotCommandLimit,
    FileSizeLimit,
    FloodLimit,
    InlineKeyboardButtonLimit,
    InlineKeyboardMarkupLimit,
    MessageLimit,
    WebhookLimit,
)

from bot.engine.ports import Capabilities

PLATFORM: Final = "telegram"

# Messages
MAX_TEXT: Final = int(MessageLimit.MAX_TEXT_LENGTH)  # 4096, counted after entity parsing
MAX_CAPTION: Final = int(MessageLimit.CAPTION_LENGTH)  # 1024

# Inline keyboards
MIN_CALLBACK_BYTES: Final = int(InlineKeyboardButtonLimit.MIN_CALLBACK_DATA)  # 1
MAX_CALLBACK_BYTES: Final = int(InlineKeyboardButtonLimit.MAX_CALLBACK_DATA)  # 64
MAX_BUTTONS: Final = int(InlineKeyboardMarkupLimit.TOTAL_BUTTON_NUMBER)  # 100 in one keyboard
MAX_BUTTONS_PER_ROW: Final = int(InlineKeyboardMarkupLimit.BUTTONS_PER_ROW)  # 8
# Telegram documents no limit for a button's text and PTB has no constant for it (clients cut
# a long label in the middle); the Bot API carries it as a string no longer than a message.
MAX_BUTTON_LABEL: Final = MAX_TEXT

# Files: a document or an animation may be 50 MB, a photo 10 MB. The Bot API's sendPhoto also
# says "the photo's width and height must not exceed 10000 in total; width and height ratio
# must be at most 20" (PTB has no constant for these). One file per message (sendDocument,
# sendPhoto, sendAnimation).
MAX_UPLOAD_BYTES: Final = int(FileSizeLimit.FILESIZE_UPLOAD)
MAX_PHOTO_BYTES: Final = int(FileSizeLimit.PHOTOSIZE_UPLOAD)
MAX_PHOTO_SIDE_SUM: Final = 10_000
MAX_PHOTO_RATIO: Final = 20
FILES_PER_MESSAGE: Final = 1

# The command menu (setMyCommands)
MIN_COMMAND: Final = int(BotCommandLimit.MIN_COMMAND)  # 1 character
MAX_COMMAND: Final = int(BotCommandLimit.MAX_COMMAND)  # 32 characters
MAX_COMMAND_DESCRIPTION: Final = int(BotCommandLimit.MAX_DESCRIPTION)  # 256 characters
MAX_COMMANDS: Final = int(BotCommandLimit.MAX_COMMAND_NUMBER)  # 100

# Webhook
MAX_SECRET_TOKEN: Final = int(WebhookLimit.MAX_SECRET_TOKEN_LENGTH)  # 256

# Flood limits (the defaults of ``RateLimits``)
MESSAGES_PER_SECOND: Final = float(FloodLimit.MESSAGES_PER_SECOND)  # 30, across all chats
MESSAGES_PER_SECOND_PER_CHAT: Final = float(FloodLimit.MESSAGES_PER_SECOND_PER_CHAT)  # 1
MESSAGES_PER_MINUTE_PER_GROUP: Final = float(FloodLimit.MESSAGES_PER_MINUTE_PER_GROUP)  # 20
# With ``allow_paid_broadcast`` (Bot API sendMessage and the other sends): "up to 1000
# messages per second, ignoring broadcasting limits for a fee of 0.1 Telegram Stars per
# message" (opt-in: TELEGRAM_PAID_BROADCAST).
PAID_MESSAGES_PER_SECOND: Final = float(FloodLimit.PAID_MESSAGES_PER_SECOND)  # 1000
# How long Telegram usually takes to answer a send (BENCHMARKS.md): with N messages in
# flight at most (TELEGRAM_IN_FLIGHT) no more than N / this go out a second, so the paid
# rate needs about 30 in flight.
TYPICAL_ANSWER_SECONDS: Final = 0.03

CAPABILITIES: Final = Capabilities(
    platform=PLATFORM,
    max_text=MAX_TEXT,
    max_caption=MAX_CAPTION,
    max_button_label=MAX_BUTTON_LABEL,
    max_button_data=MAX_CALLBACK_BYTES,
    buttons_per_row=MAX_BUTTONS_PER_ROW,
    # Telegram counts buttons, not rows: a keyboard of one button a row may have this many.
    button_rows=MAX_BUTTONS,
    max_upload_bytes=MAX_UPLOAD_BYTES,
    max_picture_bytes=MAX_PHOTO_BYTES,
    max_picture_side_sum=MAX_PHOTO_SIDE_SUM,
    max_attachments=FILES_PER_MESSAGE,
    edits_messages=True,
    ephemeral_replies=False,
    animations=True,  # sendAnimation plays a GIF or a silent MP4 inline
    command_prefix="/",
    messages_per_second=MESSAGES_PER_SECOND,
)
