"""Every metric of /metrics moves as it should in one end-to-end run against the fake Bot
API (scraped before and after), and neither a scrape nor the JSON log of a whole intake
holds the token or any word the runner typed."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from bot.domain.events import Text
from bot.logging_policy import quiet_noisy_loggers
from bot.service.log_format import JsonFormatter
from tests.adapters.test_telegram_e2e import INTAKE, PROMPT_AT, World, enrol
from tests.fakes.telegram_api import DEFAULT_TOKEN
from tests.service.svc_world import SvcWorld, metric, svc_world

ALICE, BOB = 7001, 7002
URGENT = "my knee made a loud pop and swelled up straight away and I cannot put weight on it"


def as_world(w: SvcWorld) -> World:
    return World(w.server, w.coach, w.port, w.clock, w.adapter, w.worker, w.ticker)  # type: ignore[arg-type]


async def scrape(w: SvcWorld) -> str:
    status, text = await w.get("/metrics")
    assert status == 200
    return text


async def test_every_metric_moves(tmp_path: Path) -> None:
    async with svc_world(tmp_path) as w:
        world = as_world(w)
        before = await scrape(w)
        for name in ("kneecoach_updates_total", "kneecoach_replies_sent_total",
                     "kneecoach_blocked_total", "kneecoach_rate_limited_total"):
            assert f"{name}{{" in before  # every series is there from the start, at 0
        assert metric(before, "kneecoach_updates_total", platform="telegram") == 0

        alice = await enrol(world, ALICE)
        bob = await enrol(world, BOB)
        await bob.say(URGENT)
        after_intake = await scrape(w)
        turns = len(w.port.calls)
        assert metric(after_intake, "kneecoach_updates_total", platform="telegram") == turns
        assert metric(after_intake, "kneecoach_turn_seconds_count", platform="telegram") == turns
        assert metric(after_intake, "kneecoach_turn_seconds_sum", platform="telegram") > 0
        replies = sum(len(c.replies) for c in w.port.calls)
        assert metric(after_intake, "kneecoach_replies_sent_total", platform="telegram",
                      via="turn") == replies
        typed = [c for c in w.port.calls
                 if isinstance(c.inbound, Text) and not c.inbound.text.startswith("/")]
        assert len(typed) == 17  # each: the story, 4 answers, time, zone, minutes; bob's alarm
        assert metric(after_intake, "kneecoach_screened_total", level="none") == 16
        assert metric(after_intake, "kneecoach_screened_total", level="urgent") == 1

        # The 07:30 prompt: Telegram says 429 first (retry after 7 s), so it waits.
        w.server.fail_next("sendMessage", retry_after=7)
        await world.advance_to(PROMPT_AT)
        waiting = await scrape(w)
        assert metric(waiting, "kneecoach_reminders_due_total") == 1  # bob is held
        assert metric(waiting, "kneecoach_rate_limited_total", platform="telegram") == 1
        assert metric(waiting, "kneecoach_retry_after_seconds_sum", platform="telegram") == 7
        assert metric(waiting, "kneecoach_reminders_total", outcome="retried") == 1
        assert metric(waiting, "kneecoach_outbox_pending") == 1
        w.clock.advance(timedelta(seconds=5))
        assert metric(await scrape(w), "kneecoach_outbox_oldest_pending_seconds") == 5

        await world.advance(timedelta(seconds=10))  # the retry goes out
        sent = await scrape(w)
        assert metric(sent, "kneecoach_reminders_total", outcome="sent") == 1
        assert metric(sent, "kneecoach_replies_sent_total", platform="telegram",
                      via="outbox") == 1  # the session card asks how it went
        assert metric(sent, "kneecoach_outbox_pending") == 0
        assert metric(sent, "kneecoach_outbox_oldest_pending_seconds") == 0
        assert metric(sent, "kneecoach_reminder_late_seconds_count") == 1
        late = metric(sent, "kneecoach_reminder_late_seconds_sum")
        assert 7 <= late <= 15
        assert metric(sent, "kneecoach_reminder_late_seconds_bucket", le="5.0") == 0
        assert metric(sent, "kneecoach_reminder_late_seconds_bucket", le="15.0") == 1
        assert metric(sent, "kneecoach_last_tick_timestamp_seconds") == (
            w.clock.now().timestamp())

        # Tuesday: the bot was down all morning; the prompt is past the late limit.
        w.clock.set(PROMPT_AT + timedelta(days=1, hours=4))
        await w.ticker.tick()
        missed = await scrape(w)
        assert metric(missed, "kneecoach_reminders_due_total") >= 2
        assert metric(missed, "kneecoach_reminders_total", outcome="missed") >= 1

        # Wednesday: Telegram refuses the message (400): a failed send, an error.
        w.server.fail_next("sendMessage", error_code=400,
                           description="Bad Request: message is too long")
        await world.advance_to(PROMPT_AT + timedelta(days=2))
        failed = await scrape(w)
        assert metric(failed, "kneecoach_reminders_total", outcome="failed") == 1
        assert metric(failed, "kneecoach_errors_total", kind="send_failed") == 1

        # Thursday: alice has blocked the bot.
        w.server.blocked_chats.add(ALICE)
        await world.advance_to(PROMPT_AT + timedelta(days=3))
        blocked = await scrape(w)
        assert metric(blocked, "kneecoach_blocked_total", platform="telegram") == 1
        assert metric(blocked, "kneecoach_reminders_total", outcome="blocked") == 1
        await w.ready()  # a readiness check sets the connection gauge
        assert metric(await scrape(w), "kneecoach_platform_connected", platform="telegram") == 1
        assert alice.user_id == ALICE


def typed_words(texts: list[str]) -> set[str]:
    return {word.lower() for text in texts for word in re.findall(r"[A-Za-z]{4,}", text)}


@pytest.fixture
def json_log() -> Iterator[io.StringIO]:
    """Everything logged, at DEBUG, as the JSON lines an operator would ship."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet_noisy_loggers()  # as `kneecoach run` does
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


async def test_json_log_and_metrics_hold_no_token_and_nothing_typed(
    tmp_path: Path, json_log: io.StringIO
) -> None:
    story = ("Dull ache behind my kneecap since the Brackenwood parkrun, worse on "
             "Saturdays walking down Quillon stairs")
    async with svc_world(tmp_path) as w:
        world = as_world(w)
        from tests.adapters import test_telegram_e2e as e2e

        runner = e2e.Runner(world, ALICE)
        await runner.say("/start")
        await runner.press("I agree")
        await runner.press("18 or over")
        await runner.say(story)
        # The intake goes on from the location question (a prefilled answer may be offered).
        for kind, value in INTAKE:
            if kind == "press":
                await runner.press(value)
            else:
                await runner.say(value)
        await runner.press("Yes, let's start")
        await runner.say("07:30")
        await runner.say("Reykjavik")
        scraped = await scrape(w)

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert lines, "the run logged nothing"
    for entry in lines:
        assert {"time", "level", "logger", "event"} <= entry.keys()
        if "person" in entry:
            assert entry["level"] == "DEBUG" and re.fullmatch(r"[0-9a-f]{16}", entry["person"])
    text = json_log.getvalue()
    typed = [story, "Reykjavik"] + [v for k, v in INTAKE if k == "type"]
    leaked = {word for word in typed_words(typed) if word in text.lower()}
    assert leaked == set()
    assert DEFAULT_TOKEN not in text and DEFAULT_TOKEN.split(":")[1] not in text
    # Above DEBUG no line names the person (the Telegram door's DEBUG lines name the chat).
    assert not [e for e in lines if e["level"] != "DEBUG" and str(ALICE) in json.dumps(e)]
    assert DEFAULT_TOKEN not in scraped
    assert {word for word in typed_words(typed) if word in scraped.lower()} == set()
    # The id as a value of its own, not digits inside a timing ("0.0647880870019435").
    assert re.search(rf"(?<![\d.]){ALICE}(?!\d)", scraped) is None
