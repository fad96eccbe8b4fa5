"""Typed queries for running clubs: the club's post settings, Done ticks, the leaderboard.

No health data here: a tick records only that a member did the routine that day.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.domain.records import Club
from bot.domain.timefmt import to_db
from bot.store.database import Database, Row


class ClubStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def set_up(
        self, platform: str, guild_id: str, channel_id: str, local_time: str, timezone: str,
        next_due: datetime, next_weekly: datetime, now: datetime,
        admin_id: str | None = None, channel_name: str = "",
    ) -> None:
        """Create or change the club of a server, and switch its post on (set up afresh: no
        refused posts counted)."""
        await self.db.execute(
            "INSERT INTO clubs (platform, guild_id, channel_id, local_time, timezone,"
            " next_due, next_weekly, active, created_at, admin_id, channel_name, refused_posts)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, 0)"
            " ON CONFLICT (platform, guild_id) DO UPDATE SET channel_id=excluded.channel_id,"
            " local_time=excluded.local_time, timezone=excluded.timezone,"
            " next_due=excluded.next_due, next_weekly=excluded.next_weekly, active=1,"
            " admin_id=excluded.admin_id, channel_name=excluded.channel_name, refused_posts=0",
            (platform, guild_id, channel_id, local_time, timezone, to_db(next_due),
             to_db(next_weekly), to_db(now), admin_id, channel_name),
        )

    async def post_refused(self, club_id: int) -> int:
        """One more post in a row the platform refused; how many that makes."""
        row = await self.db.fetchone(
            "UPDATE clubs SET refused_posts=refused_posts+1 WHERE id=? RETURNING refused_posts",
            (club_id,),
        )
        return int(row[0]) if row else 0

    async def post_delivered(self, club_id: int) -> None:
        """A post went out: the refused ones in a row start again from none."""
        await self.db.execute(
            "UPDATE clubs SET refused_posts=0 WHERE id=? AND refused_posts<>0", (club_id,)
        )

    async def switch_off(self, platform: str, guild_id: str) -> bool:
        """Stop a server's post; False when it had none running."""
        changed = await self.db.execute(
            "UPDATE clubs SET active=0 WHERE platform=? AND guild_id=? AND active=1",
            (platform, guild_id),
        )
        return changed > 0

    async def deactivate(self, club_id: int) -> None:
        await self.db.execute("UPDATE clubs SET active=0 WHERE id=?", (club_id,))

    async def of_guild(self, platform: str, guild_id: str) -> Club | None:
        row = await self.db.fetchone(
            "SELECT * FROM clubs WHERE platform=? AND guild_id=?", (platform, guild_id)
        )
        return _club(row) if row else None

    async def get(self, club_id: int) -> Club | None:
        row = await self.db.fetchone("SELECT * FROM clubs WHERE id=?", (club_id,))
        return _club(row) if row else None

    async def join_leaderboard(self, club_id: int, member_id: str, name: str) -> None:
        await self.db.execute(
            "INSERT INTO club_leaderboard (club_id, member_id, display_name) VALUES (?, ?, ?)"
            " ON CONFLICT (club_id, member_id) DO UPDATE SET display_name=excluded.display_name",
            (club_id, member_id, name),
        )

    async def leave_leaderboard(self, club_id: int, member_id: str) -> None:
        await self.db.execute(
            "DELETE FROM club_leaderboard WHERE club_id=? AND member_id=?", (club_id, member_id)
        )

    async def tick(self, club_id: int, day: date, member_id: str, now: datetime) -> bool:
        """Count a member for a day; False when they were counted already."""
        added = await self.db.execute(
            "INSERT INTO club_done (club_id, local_date, member_id, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT DO NOTHING",
            (club_id, day.isoformat(), member_id, to_db(now)),
        )
        return added > 0

    async def done_count(self, club_id: int, day: date) -> int:
        row = await self.db.fetchone(
            "SELECT count(*) FROM club_done WHERE club_id=? AND local_date=?",
            (club_id, day.isoformat()),
        )
        return int(row[0]) if row else 0

    async def week_totals(self, club_id: int, first: date, last: date) -> tuple[int, int]:
        """(routines done, distinct members) between two local dates, both included."""
        row = await self.db.fetchone(
            "SELECT count(*), count(DISTINCT member_id) FROM club_done"
            " WHERE club_id=? AND local_date BETWEEN ? AND ?",
            (club_id, first.isoformat(), last.isoformat()),
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def leaderboard_days(self, club_id: int) -> dict[tuple[str, str], set[date]]:
        """Every day each opted-in member ticked, keyed by (member id, display name)."""
        rows = await self.db.fetchall(
            "SELECT l.member_id, l.display_name, d.local_date FROM club_leaderboard l"
            " JOIN club_done d ON d.club_id=l.club_id AND d.member_id=l.member_id"
            " WHERE l.club_id=?",
            (club_id,),
        )
        done: dict[tuple[str, str], set[date]] = {}
        for row in rows:
            key = (str(row["member_id"]), str(row["display_name"]))
            done.setdefault(key, set()).add(date.fromisoformat(row["local_date"]))
        return done


def _club(row: Row) -> Club:
    return Club(
        id=int(row["id"]),
        platform=str(row["platform"]),
        guild_id=str(row["guild_id"]),
        channel_id=str(row["channel_id"]),
        local_time=str(row["local_time"]),
        timezone=str(row["timezone"]),
        active=bool(row["active"]),
        admin_id=None if row["admin_id"] is None else str(row["admin_id"]),
        channel_name=str(row["channel_name"]),
        refused_posts=int(row["refused_posts"]),
    )
