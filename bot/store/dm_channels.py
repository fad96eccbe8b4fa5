"""Discord DM channel ids, kept on the person's row (``users.chat_id``), so a DM channel is
opened once and never again per message."""

from __future__ import annotations

from bot.store.database import Database


class StoredDMChannels:
    def __init__(self, db: Database, platform: str = "discord") -> None:
        self.db = db
        self.platform = platform

    async def get(self, user_id: str) -> str | None:
        row = await self.db.fetchone(
            "SELECT chat_id FROM users WHERE platform=? AND platform_user_id=?",
            (self.platform, user_id),
        )
        return str(row[0]) if row else None

    async def set(self, user_id: str, channel_id: str) -> None:
        # Only people who already talk to the coach have a row; a new person's row is
        # created with this channel id on their first message.
        await self.db.execute(
            "UPDATE users SET chat_id=? WHERE platform=? AND platform_user_id=?",
            (channel_id, self.platform, user_id),
        )
