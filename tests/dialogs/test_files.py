"""Files a person is sent: /summary (a one-page PDF for a clinician, with a preview picture)
and /export (one JSON document); neither ever goes to a shared channel."""

from __future__ import annotations

import io
import json
from datetime import timedelta
from typing import Any

import pytest
from PIL import Image

from bot.domain.clock import FakeClock
from bot.domain.events import Document
from bot.engine.coach import Coach
from tests.support.client import CoachClient, enrol
from tests.support.pdf import pdf_text

# The conversations run on both stores (tests/conftest.py).
pytestmark = pytest.mark.both_backends


async def checkins(client: CoachClient, clock: FakeClock, pains: list[int]) -> None:
    for pain in pains:
        clock.advance(timedelta(days=1))
        await client.send("/checkin")
        await client.press(str(pain))
        await client.press("No")  # worse this morning
        await client.press("No")  # swelling
        await client.press("No")  # a run yesterday
        if client.keys[-1] == "weekly.ask.rating":
            await client.press("A little better")


def document_of(client: CoachClient) -> Document:
    (reply,) = client.last
    assert isinstance(reply.attachment, Document), client.keys
    return reply.attachment


# --------------------------------------------------------------------------- /summary


async def test_summary_is_a_one_page_pdf_with_the_outcome_and_the_latest_pain(
    client: CoachClient, clock: FakeClock
) -> None:
    await enrol(client, story="It aches behind my kneecap going down stairs.")
    await checkins(client, clock, [6, 5, 5, 4, 3])
    await client.send("/summary")

    assert client.keys == ["summary.pdf"]
    document = document_of(client)
    assert document.mime == "application/pdf"
    assert document.filename == "kneecoach-summary-2026-03-07.pdf"
    assert document.data.startswith(b"%PDF-")
    text = pdf_text(document.data)
    assert "Fits the pattern of runner's knee" in text  # the triage outcome
    assert "Latest check-in: 3/10 (7 Mar 2026)" in text  # the latest pain
    assert "First check-in: 6/10 (3 Mar 2026)" in text
    assert "Trend: about the same, around 4/10" in text
    assert "Worse down stairs: Yes" in text and "Which knee: Left" in text
    assert "It aches behind my kneecap going down stairs." in text
    assert "This is not a diagnosis" in text
    # who, without any platform id
    assert client.user_id not in text and client.ref.chat_id not in text
    preview = document.preview
    assert preview is not None and preview.png.startswith(b"\x89PNG")
    assert Image.open(io.BytesIO(preview.png)).size == (preview.width, preview.height)
    assert (preview.width, preview.height) == (827, 1169)
    assert "Latest worst pain: 3/10" in preview.alt


NOT_RECORDED = ("Function checks (stairs, squatting, running, sitting): not recorded yet",
                "Exercise levels: not recorded yet",
                "Weekly running distance: not recorded yet")


async def test_summary_says_not_recorded_yet_only_where_there_is_no_record(
    client: CoachClient, clock: FakeClock
) -> None:
    await client.send("/summary")
    before = pdf_text(document_of(client).data)
    assert all(missing in before for missing in NOT_RECORDED)

    await enrol(client)  # the function check at the start, the first session
    await client.send("/summary")
    text = pdf_text(document_of(client).data)
    assert "At the start: 10/20" in text  # five answers of "Some difficulty" (2 of 4)
    assert "Not a validated scale; a gain of 3 points or more counts as clear." in text
    assert "Squat ladder: Sit-to-stand (level 1 of 4)" in text  # the first session's moves
    assert "Side hip ladder: Clamshell (level 1 of 4)" in text
    assert "Equipment beyond a chair, a wall and the floor: nothing extra" in text
    assert "Time for strength work: about 20 minutes a strength day" in text
    assert NOT_RECORDED[0] not in text and NOT_RECORDED[1] not in text
    assert NOT_RECORDED[2] in text  # no run logged yet
    assert "Red flags reported None reported." in text
    assert "Weekly distance at intake: 25 km a week" in text


async def test_summary_lists_red_flags_what_followed_and_recommendations(
    client: CoachClient, clock: FakeClock
) -> None:
    await enrol(client, race="Yes, within 8 weeks")
    clock.advance(timedelta(days=1))
    await client.type("my knee gave way on the stairs today")
    clock.advance(timedelta(days=2))
    await client.send("/today")
    await client.press("A clinician has checked it")
    await client.send("/summary")
    text = pdf_text(document_of(client).data)
    assert "3 Mar 2026: Please get your knee checked first" in text
    assert "Typed in the chat." in text
    assert "A clinician check was reported on 5 Mar 2026; the programme resumed." in text
    assert "See a clinician early (a race within 8 weeks)" in text


async def test_summary_before_the_intake_is_still_a_page(client: CoachClient) -> None:
    await client.send("/summary")
    text = pdf_text(document_of(client).data)
    assert "Programme started: not started" in text and "None yet." in text


# --------------------------------------------------------------------------- /export


async def rows_about(coach: Coach, user_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table, by table (what /forget may delete is the difference)."""
    db = coach.stores.db
    out: dict[str, list[dict[str, Any]]] = {}
    for table in await db.tables():
        out[table] = [dict(zip(r.keys(), tuple(r), strict=True))
                      for r in await db.fetchall(f"SELECT * FROM {table}")]
    return out


def decoded(row: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, str) and value[:1] in "{[":
            value = json.loads(value)
        out[key] = value
    return out


async def test_export_is_one_json_document_holding_everything_forget_deletes(
    client: CoachClient, clock: FakeClock
) -> None:
    someone = CoachClient(client.coach, user_id="someone-else")
    await enrol(someone)
    await enrol(client, story="Aches on the stairs.")
    await checkins(client, clock, [5, 4, 4, 3, 3, 2, 2, 2])
    await client.type("it is swollen today")
    await client.send("/export")

    assert client.keys == ["export.data"]
    document = document_of(client)
    assert (document.mime, document.filename) == ("application/json",
                                                  "kneecoach-export-2026-03-10.json")
    exported = json.loads(document.data)  # one valid JSON document
    assert "one JSON file" in client.last[0].text

    user = await client.coach.users.find("console", client.user_id)
    assert user is not None
    before = await rows_about(client.coach, user.id)
    await client.send("/forget")
    await client.press("Yes, delete everything")
    after = await rows_about(client.coach, user.id)
    deleted = {table: [r for r in rows if r not in after[table]]
               for table, rows in before.items()}
    assert sum(len(rows) for rows in deleted.values()) >= 15
    for table, rows in deleted.items():
        for row in rows:
            if table == "dialog_state":
                continue  # the conversation's own state moved on after the export
            assert decoded(row) in exported[table], f"{table} row missing from the export"
    assert exported["checkins"][-1]["worst_pain"] == 2
    assert {r["level"] for r in exported["safety_events"]} == {"see_clinician"}


# --------------------------------------------------------------------------- privacy


async def test_no_file_with_health_data_in_a_shared_channel(coach: Coach) -> None:
    private = CoachClient(coach)
    await enrol(private)
    group = CoachClient(coach, shared=True)
    for command in ("/summary", "/export", "/progress", "/exercise clamshell"):
        replies = await group.send(command)
        assert [r.key for r in replies] == ["group.private_only"], command
        assert all(r.attachment is None for r in replies)
