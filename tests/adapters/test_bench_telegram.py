"""bench.telegram_updates' workload works (functional tests, nothing timed): a scripted
runner enrols with the real coach over the fake Bot API, one update per getUpdates, up to
the start of its programme; the bare echo bots answer the same updates with real Bot API
calls that the fake accepts."""

from __future__ import annotations

import pytest

from bench import telegram_bots
from bench.cpu_share import CpuShares
from bench.enrolment import Enrolling, Press, Replay, Say, Step
from bench.telegram_updates import Sent, closed_loop, latencies
from tests.fakes.telegram_api import Call, FakeTelegram

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")


async def test_scripted_runners_enrol_with_the_real_coach_and_start_the_programme(
    tg_server: FakeTelegram,
) -> None:
    tg_server.updates_per_poll(1)
    answered = telegram_bots.Answered()
    async with telegram_bots.start("kneecoach", tg_server, answered, 8) as stores:
        assert stores is not None
        runners = [Enrolling(tg_server, chat_id) for chat_id in (501, 502)]
        run = await closed_loop(tg_server, answered, runners, CpuShares())
        for runner in runners:
            assert runner.done and runner.started, runner.answered
            # It answered the triage questions, accepted the programme and did the
            # function check (the first session came after it).
            assert {"hot_red", "race", "offer", "minutes", "function"} <= set(runner.answered)
            assert runner.steps[0] == Say("/start")
            assert any(isinstance(step, Press) for step in runner.steps)
            user = await stores.users.find("telegram", str(runner.chat_id))
            assert user is not None
            assert await stores.programme.plan(user.id) is not None
            reminder = await stores.programme.reminder(user.id)
            assert reminder is not None  # the typed time and zone were understood
            assert (reminder.local_time, reminder.timezone) == ("07:30", "Europe/London")
    assert run.updates == sum(len(r.steps) for r in runners)
    assert run.polls >= run.updates  # one update per getUpdates: at least one call each
    assert answered.count == run.updates
    assert not tg_server.rejections


SCRIPT: tuple[Step, ...] = (Say("/start"), Press(0, "d:intake:consent:1:yes"), Say("34"),
                            Press(0, "d:intake:side:5:left"))


@pytest.mark.parametrize("row", ["ptb-httpx", "ptb-aio-conc", "aiogram", "echo"])
async def test_echo_bots_answer_the_replayed_updates_with_valid_calls(
    tg_server: FakeTelegram, row: str
) -> None:
    tg_server.updates_per_poll(1)
    answered = telegram_bots.Answered()
    async with telegram_bots.start(row, tg_server, answered, 4):
        runners = [Replay(tg_server, chat_id, SCRIPT) for chat_id in (601, 602)]
        run = await closed_loop(tg_server, answered, runners, CpuShares())
    assert run.updates == 2 * len(SCRIPT)
    assert not tg_server.rejections
    # Text: one sendMessage; a press: answerCallbackQuery and one sendMessage.
    assert len(tg_server.calls_to("sendMessage")) == 2 * len(SCRIPT)
    assert len(tg_server.calls_to("answerCallbackQuery")) == 2 * 2
    for chat_id in (601, 602):
        echoed = [m.text for m in tg_server.bot_messages(chat_id)]
        assert echoed == ["/start", "d:intake:consent:1:yes", "34", "d:intake:side:5:left"]


def test_latency_runs_to_the_last_call_accepted_for_each_update() -> None:
    server = FakeTelegram()
    first = Sent(1, at=1.0, query_id=None)
    press = Sent(2, at=1.5, query_id="7")
    second = Sent(1, at=2.0, query_id=None)
    server.calls.extend([
        Call("getUpdates", {}, at=1.05),
        Call("sendMessage", {"chat_id": "1", "text": "a"}, at=1.1),
        Call("sendMessage", {"chat_id": 1, "text": "b"}, at=1.3),  # the last for `first`
        Call("editMessageText", {"chat_id": 2, "message_id": 4, "text": "c"}, at=1.6),
        Call("answerCallbackQuery", {"callback_query_id": "7"}, at=1.9),  # `press`'s last
        Call("sendMessage", {"chat_id": 1, "text": "d"}, at=2.2),
        Call("sendMessage", {"chat_id": 99, "text": "nobody's"}, at=2.3),
    ])
    assert latencies(server, 0, [first, press, second]) == pytest.approx([0.3, 0.4, 0.2])
