"""Typed queries about people: identity, dialog state, answers, triage, export, erasure."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from bot.domain.events import ConversationRef
from bot.domain.records import DialogState, SafetyEvent, TriageRecord, User
from bot.domain.timefmt import from_db, to_db
from bot.store.database import Database


class UserStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def find(self, platform: str, platform_user_id: str) -> User | None:
        row = await self.db.fetchone(
            "SELECT * FROM users WHERE platform=? AND platform_user_id=?",
            (platform, platform_user_id),
        )
        return _user(row) if row else None

    async def get(self, user_id: int) -> User | None:
        row = await self.db.fetchone("SELECT * FROM users WHERE id=?", (user_id,))
        return _user(row) if row else None

    async def get_or_create(self, ref: ConversationRef, now: datetime) -> User:
        """The person behind ``ref``; a private chat id is remembered for proactive messages."""
        known = await self.find(ref.platform, ref.user_id)
        if known is not None and _in_this_chat(ref, known.chat_id):
            return known  # the usual case: one read, no transaction
        return await self._create_or_move(ref, now)

    async def _create_or_move(self, ref: ConversationRef, now: datetime) -> User:
        """The person behind ``ref``, created (at the start of their dialog) if new, their
        private chat id noted if it changed."""
        async with self.db.transaction() as tx:
            row = await tx.fetchone(
                "SELECT * FROM users WHERE platform=? AND platform_user_id=?",
                (ref.platform, ref.user_id),
            )
            if row is None:
                created = await tx.fetchone(
                    "INSERT INTO users (platform, platform_user_id, chat_id, created_at)"
                    " VALUES (?, ?, ?, ?) RETURNING id",
                    (ref.platform, ref.user_id, ref.chat_id, to_db(now)),
                )
                assert created is not None
                user_id = int(created[0])
                await tx.write(
                    "INSERT INTO dialog_state (user_id, updated_at) VALUES (?, ?)",
                    (user_id, to_db(now)),
                )
                row = await tx.fetchone("SELECT * FROM users WHERE id=?", (user_id,))
            elif not ref.shared and row["chat_id"] != ref.chat_id:
                await tx.write(
                    "UPDATE users SET chat_id=? WHERE id=?", (ref.chat_id, row["id"])
                )
                row = await tx.fetchone("SELECT * FROM users WHERE id=?", (row["id"],))
        assert row is not None
        return _user(row)

    async def set_consent(self, user_id: int, at: datetime | None) -> None:
        await self.db.write(
            "UPDATE users SET consent_at=? WHERE id=?", (to_db(at) if at else None, user_id)
        )

    async def withdraw_consent(self, user_id: int) -> None:
        """Consent taken back before anything was built on it: the person is as new. The
        consent time and age band are cleared and every row kept about them under that
        consent (answers, triage results, red flags, and any other table keyed by the
        person) is deleted; only who they are and where their conversation stands remain."""
        kept = {"users", "dialog_state"}
        tables = [t for t in sorted(await self.db.tables())
                  if t not in kept and "user_id" in await self.db.columns(t)]
        async with self.db.transaction() as tx:
            for table in tables:
                await tx.write(f"DELETE FROM {table} WHERE user_id=?", (user_id,))
            await tx.write(
                "UPDATE users SET consent_at=NULL, age_band=NULL WHERE id=?", (user_id,)
            )

    async def set_age_band(self, user_id: int, band: str | None) -> None:
        await self.db.write("UPDATE users SET age_band=? WHERE id=?", (band, user_id))

    async def set_active(self, user_id: int, active: bool) -> None:
        await self.db.write("UPDATE users SET active=? WHERE id=?", (int(active), user_id))

    async def dialog_state(self, user_id: int) -> DialogState:
        row = await self.db.fetchone("SELECT * FROM dialog_state WHERE user_id=?", (user_id,))
        return _state(row)

    async def person(self, ref: ConversationRef, now: datetime) -> tuple[User, DialogState]:
        """``get_or_create`` and the person's ``dialog_state``: for someone known, in the
        same chat, one read of both."""
        row = await self.db.fetchone(
            "SELECT u.*, d.dialog, d.step, d.seq, d.data FROM users u"
            " LEFT JOIN dialog_state d ON d.user_id=u.id"
            " WHERE u.platform=? AND u.platform_user_id=?",
            (ref.platform, ref.user_id),
        )
        if row is not None and _in_this_chat(ref, row["chat_id"]):
            return _user(row), _state(row if row["seq"] is not None else None)
        user = await self._create_or_move(ref, now)
        return user, await self.dialog_state(user.id)

    async def save_dialog_state(self, user_id: int, state: DialogState, now: datetime) -> None:
        await self.db.write(
            "INSERT INTO dialog_state (user_id, dialog, step, seq, data, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET dialog=excluded.dialog, step=excluded.step,"
            " seq=excluded.seq, data=excluded.data, updated_at=excluded.updated_at",
            (user_id, state.dialog, state.step, state.seq, json.dumps(state.data), to_db(now)),
        )

    async def answers(self, user_id: int) -> dict[str, Any]:
        row = await self.db.fetchone("SELECT answers FROM profiles WHERE user_id=?", (user_id,))
        return dict(json.loads(row["answers"])) if row else {}

    async def save_answers(self, user_id: int, answers: dict[str, Any], now: datetime) -> None:
        await self.db.write(
            "INSERT INTO profiles (user_id, answers, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET answers=excluded.answers,"
            " updated_at=excluded.updated_at",
            (user_id, json.dumps(answers, sort_keys=True), to_db(now)),
        )

    async def add_triage(
        self, user_id: int, outcome: str, signals: list[str], now: datetime
    ) -> None:
        await self.db.write(
            "INSERT INTO triage_results (user_id, at, outcome, signals) VALUES (?, ?, ?, ?)",
            (user_id, to_db(now), outcome, json.dumps(signals)),
        )

    async def latest_triage(self, user_id: int) -> tuple[str, list[str]] | None:
        row = await self.db.fetchone(
            "SELECT outcome, signals FROM triage_results WHERE user_id=? ORDER BY id DESC LIMIT 1",
            (user_id,),
        )
        return (str(row["outcome"]), list(json.loads(row["signals"]))) if row else None

    async def triage_history(self, user_id: int) -> list[TriageRecord]:
        """Every triage outcome, oldest first."""
        rows = await self.db.fetchall(
            "SELECT at, outcome, signals FROM triage_results WHERE user_id=? ORDER BY id",
            (user_id,),
        )
        return [TriageRecord(from_db(r["at"]), str(r["outcome"]), list(json.loads(r["signals"])))
                for r in rows]

    async def safety_events(self, user_id: int) -> list[SafetyEvent]:
        """Every red flag and every 'a clinician has seen it', oldest first."""
        rows = await self.db.fetchall(
            "SELECT at, level, signals, context FROM safety_events WHERE user_id=? ORDER BY id",
            (user_id,),
        )
        return [SafetyEvent(from_db(r["at"]), str(r["level"]), list(json.loads(r["signals"])),
                            str(r["context"])) for r in rows]

    async def add_safety_event(
        self, user_id: int, level: str, signals: list[str], context: str, now: datetime
    ) -> None:
        await self.db.write(
            "INSERT INTO safety_events (user_id, at, level, signals, context)"
            " VALUES (?, ?, ?, ?, ?)",
            (user_id, to_db(now), level, json.dumps(signals), context),
        )

    async def on_clinician_hold(self, user_id: int) -> bool:
        """True while the latest red flag (typed, or a triage outcome that sends the person to
        a clinician) is newer than the latest 'a clinician has seen it'."""
        row = await self.db.fetchone(
            "SELECT max(at) FROM ("
            " SELECT at FROM safety_events WHERE user_id=? AND level IN ('urgent','see_clinician')"
            " UNION ALL SELECT at FROM triage_results WHERE user_id=?"
            "  AND outcome IN ('urgent','see_clinician')) AS alarms",
            (user_id, user_id),
        )
        flagged = row[0] if row else None
        if flagged is None:
            return False
        row = await self.db.fetchone(
            "SELECT max(at) FROM safety_events WHERE user_id=? AND level='cleared'", (user_id,)
        )
        cleared = row[0] if row else None
        return cleared is None or cleared < flagged

    async def clear_hold(self, user_id: int, now: datetime) -> None:
        await self.add_safety_event(user_id, "cleared", [], "clinician_seen", now)

    async def export(self, user_id: int) -> dict[str, Any]:
        """Every row about this person, table by table (the right of access)."""
        result: dict[str, Any] = {}
        for table in sorted(await self.db.tables()):
            columns = await self.db.columns(table)
            if table == "users":
                rows = await self.db.fetchall("SELECT * FROM users WHERE id=?", (user_id,))
            elif "user_id" in columns:
                rows = await self.db.fetchall(
                    f"SELECT * FROM {table} WHERE user_id=?", (user_id,)
                )
            elif "member_id" in columns and "club_id" in columns:
                rows = await self.db.fetchall(
                    f"SELECT * FROM {table} WHERE member_id=? AND club_id IN"
                    " (SELECT id FROM clubs WHERE platform=?)",
                    (*(await self._identity(user_id)),),
                )
            else:
                continue
            result[table] = [_decode_row(dict(r)) for r in rows]
        return result

    async def forget(self, user_id: int) -> None:
        """Erase the person: every table cascades from users (the right to erasure), and
        their club ticks and leaderboard name go too."""
        member_id, platform = await self._identity(user_id)
        async with self.db.transaction() as tx:
            for table in ("club_done", "club_leaderboard"):
                await tx.write(
                    f"DELETE FROM {table} WHERE member_id=? AND club_id IN"
                    " (SELECT id FROM clubs WHERE platform=?)",
                    (member_id, platform),
                )
            await tx.write("DELETE FROM users WHERE id=?", (user_id,))

    async def _identity(self, user_id: int) -> tuple[str, str]:
        row = await self.db.fetchone(
            "SELECT platform_user_id, platform FROM users WHERE id=?", (user_id,)
        )
        return (str(row[0]), str(row[1])) if row else ("", "")


def _in_this_chat(ref: ConversationRef, chat_id: str) -> bool:
    """Whether the stored chat id is still the one ``ref`` comes from (a shared chat is
    never a person's private chat: nothing to note)."""
    return ref.shared or chat_id == ref.chat_id


def _state(row: Any) -> DialogState:
    """A person's place in their dialog (a ``dialog_state`` row, or none: at the start)."""
    if row is None:
        return DialogState()
    data = json.loads(row["data"]) if row["data"] else {}
    return DialogState(row["dialog"], row["step"], int(row["seq"]), data)


def _user(row: Any) -> User:
    return User(
        id=int(row["id"]),
        platform=str(row["platform"]),
        platform_user_id=str(row["platform_user_id"]),
        chat_id=str(row["chat_id"]),
        consent_at=row["consent_at"],
        age_band=row["age_band"],
        active=bool(row["active"]),
        locale=str(row["locale"]),
    )


def _decode_row(row: dict[str, Any]) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, str) and value[:1] in "{[":
            try:
                decoded[key] = json.loads(value)
                continue
            except ValueError:
                pass
        decoded[key] = value
    return decoded
