"""Every Discord limit the adapter respects, defined here once.

discord.py exports only the upload size as a constant (``discord.utils``); the others are
Discord's documented limits (messages, components, application commands, nonces), which
discord.py checks nowhere before sending. ``CAPABILITIES`` is the record the engine's ports
know (``bot.engine.ports.Capabilities``); the other names are what only this adapter needs.
"""

from __future__ import annotations

from typing import Final

from discord.utils import DEFAULT_FILE_SIZE_LIMIT_BYTES

from bot.engine.ports import Capabilities

PLATFORM: Final = "discord"
# People type commands as "/knee <command>": one slash command group.
ROOT_COMMAND: Final = "knee"

# Messages
MAX_CONTENT: Final = 2000  # characters of a message's content
MAX_NONCE: Final = 25  # characters of a message's nonce
MAX_ATTACHMENT_DESCRIPTION: Final = 1024  # an attachment's alt text
MAX_UPLOAD_BYTES: Final = int(DEFAULT_FILE_SIZE_LIMIT_BYTES)  # 10 MiB without server boosts
MAX_ATTACHMENTS: Final = 10  # files in one message
# Discord shows any picture size inline (it scales it down); only the upload size bites.
NO_PIXEL_LIMIT: Final = 2**31 - 1

# Components
MAX_CUSTOM_ID: Final = 100  # characters
MAX_LABEL: Final = 80  # characters of a button's label
MAX_BUTTONS_PER_ROW: Final = 5
MAX_ROWS: Final = 5  # action rows in one message
# Our custom_ids are this prefix + the engine's Button.data (see render.custom_id_for).
CUSTOM_ID_PREFIX: Final = "kc|"

# Rate: "All bots can make up to 50 requests per second to our API" (Discord's documentation,
# "Rate Limits": the global limit; discord.py waits it out and has no constant for it). A DM
# to someone new also opens their DM channel once (kept: ``DMChannelStore``).
REQUESTS_PER_SECOND: Final = 50.0

# Application commands
MAX_COMMAND_NAME: Final = 32  # characters, [-_a-z0-9] for a chat input command
MAX_DESCRIPTION: Final = 100  # characters of a command's or an option's description
MAX_OPTIONS: Final = 25  # subcommands (or options) in one command or group

CAPABILITIES: Final = Capabilities(
    platform=PLATFORM,
    max_text=MAX_CONTENT,
    # A picture goes as an attachment; the words with it are the message's content.
    max_caption=MAX_CONTENT,
    max_button_label=MAX_LABEL,
    # The engine's data rides in a custom_id after our prefix.
    max_button_data=MAX_CUSTOM_ID - len(CUSTOM_ID_PREFIX),
    buttons_per_row=MAX_BUTTONS_PER_ROW,
    button_rows=MAX_ROWS,
    max_upload_bytes=MAX_UPLOAD_BYTES,
    max_picture_bytes=MAX_UPLOAD_BYTES,
    max_picture_side_sum=NO_PIXEL_LIMIT,
    max_attachments=MAX_ATTACHMENTS,
    edits_messages=True,
    ephemeral_replies=True,
    animations=True,  # an attached GIF plays inline
    command_prefix=f"/{ROOT_COMMAND} ",
    messages_per_second=REQUESTS_PER_SECOND,
)
