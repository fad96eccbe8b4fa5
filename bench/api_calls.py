"""API calls per enrolment (issue 12 item 3, "fewer calls per message"), before and after.

    python -m bench.api_calls [--before REV] [--platforms telegram,discord]

One runner with ordinary runner's knee, through the REAL adapters against the loopback fakes
(Telegram: the real ``TelegramAdapter`` long-polling the fake Bot API over HTTP,
tests/fakes/telegram_api.py; Discord: the real ``DiscordAdapter`` on the fake Discord's
gateway and REST, tests/fakes/discord_api.py), the real coach, inbox, delivery worker and
ticker on a ``FakeClock``: /start, consent, the intake answered by pressing buttons by label
with a few typed answers (the story, "y", "nope", "25"), the triage outcome, the programme
started with a reminder time (07:30, London, Mon/Wed/Fri, the equipment, the minutes, the
function check), then the first daily prompt at 07:30 and its answers: done, how it felt,
the check-in (a typed distance that does not fit first: hint and question again).

Every call the bot made to the platform is counted by method, from the fake's own record
(Telegram: ``FakeTelegram.calls``; Discord: ``FakeDiscord.requests``, by route); the
adapters' start-up calls are left out. getUpdates is shown but not counted in the total (it
is long polling, one per batch whatever was answered).

``--before REV`` runs the same script on the tree at REV (``git archive``: bot, tests,
content, dialogs) in its own process, and prints the two side by side.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import subprocess
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday, 06:00 in London
PROMPT_AT = datetime(2026, 3, 2, 7, 31, tzinfo=UTC)  # just after the 07:30 prompt
WITHIN = 20.0
RUNNER = 7001

# ("say", text) or ("press", label): what the runner does, in order.
ENROL: list[tuple[str, str]] = [
    ("say", "/start"),
    ("press", "I agree"),
    ("press", "18 or over"),
    ("say", "skip"),  # the story
    ("press", "Behind or around the kneecap"),
    ("press", "Left"),
    ("press", "2 to 6 weeks"),
    ("say", "y"),  # worse down stairs
    ("press", "Yes"),  # downhill
    ("press", "Yes"),  # squatting or sitting
    ("press", "No"),  # swelling
    ("say", "nope"),  # locking or giving way
    ("press", "No"),  # injury
    ("press", "No"),  # surgery
    ("press", "No"),  # night pain
    ("press", "No"),  # hot or red
    ("say", "25"),  # km a week
    ("press", "No race planned"),  # -> the triage outcome and the offer
    ("press", "Yes, let's start"),
    ("say", "07:30"),
    ("say", "London"),
    ("press", "Mon, Wed, Fri"),
    ("press", "Yes"),  # a band
    ("press", "No"),  # weights
    ("press", "No"),  # a step
    ("say", "25"),  # minutes -> the programme starts, the function check
    ("press", "Some difficulty"),
    ("press", "A lot of difficulty"),
    ("press", "Slight difficulty"),
    ("press", "Some difficulty"),
    ("press", "No difficulty"),  # -> the first session
]
DAILY: list[tuple[str, str]] = [
    ("press", "Done ✅"),
    ("press", "About right"),  # -> the check-in
    ("press", "3"),  # pain
    ("press", "No"),  # worse this morning
    ("press", "No"),  # swelling
    ("press", "Yes"),  # ran yesterday
    ("say", "quite far"),  # does not fit: a hint and the question again
    ("say", "6 km"),
]


# ----- Telegram -----------------------------------------------------------------------------


async def _telegram(tmp: Path) -> dict[str, Any]:
    from bot.domain.clock import FakeClock
    from bot.schedule.simulate import advance
    from bot.schedule.ticker import Ticker
    from bot.schedule.worker import DeliveryWorker
    from tests.fakes.telegram_api import FakeTelegram, running_adapter
    from tests.support.content import open_test_coach
    from tests.support.inbox import open_inbox
    from tests.support.recorder import Recorder

    clock = FakeClock(START)
    coach = await open_test_coach(tmp / "telegram.db", clock=clock)
    port = Recorder(coach)
    phases: dict[str, Counter[str]] = {}
    updates: dict[str, int] = {}
    try:
        async with (
            FakeTelegram() as server,
            open_inbox(port, stores=coach.stores, clock=clock) as inbox,
            running_adapter(server, port, rate_limits=None, inbox=inbox) as adapter,
        ):
            worker = DeliveryWorker(coach.stores, coach, {"telegram": adapter}, clock)
            ticker = Ticker(coach.stores.outbox, worker, clock, inbox)

            def newest(label: str) -> tuple[int, str]:
                for message in reversed(server.bot_messages(RUNNER)):
                    for row in (message.reply_markup or {}).get("inline_keyboard", []):
                        for button in row:
                            if button["text"] in (label, f"✓ {label}") \
                                    and "callback_data" in button:
                                return message.message_id, str(button["callback_data"])
                raise AssertionError(f"no button {label!r}")

            async def act(kind: str, value: str) -> None:
                index = len(port.calls)
                if kind == "say":
                    update = server.inject_private_text(RUNNER, value)
                else:
                    message_id, data = newest(value)
                    update = server.inject_press(RUNNER, message_id, data)
                await port.wait_call(index, RUNNER, WITHIN)
                await inbox.idle()
                if kind == "press":
                    await server.wait_until(lambda: server.answered(update), WITHIN)

            async def phase(name: str, steps: list[tuple[str, str]]) -> None:
                first = len(server.calls)
                for kind, value in steps:
                    await act(kind, value)
                phases[name] = Counter(c.method for c in server.calls[first:])
                updates[name] = len(steps)

            await phase("enrolment", ENROL)
            first = len(server.calls)
            await advance(ticker, clock, PROMPT_AT - clock.now())
            await server.wait_until(lambda: len(server.calls) > first, WITHIN)
            await inbox.idle()
            prompt = Counter(c.method for c in server.calls[first:])
            await phase("daily", DAILY)
            phases["daily"] += prompt
            rejected = len(server.rejections)
    finally:
        await coach.close()
    return {"phases": {k: dict(v) for k, v in phases.items()}, "updates": updates,
            "rejected": rejected}


# ----- Discord ------------------------------------------------------------------------------

_ROUTES = [
    (r"POST /channels/\d+/messages", "create message"),
    (r"PATCH /channels/\d+/messages/\d+", "edit message"),
    (r"POST /interactions/\d+/[^/]+/callback", "interaction callback (defer)"),
    (r"PATCH /webhooks/\d+/[^/]+/messages/@original", "edit original response"),
    (r"POST /webhooks/\d+/[^/]+", "follow-up"),
    (r"POST /users/@me/channels", "open DM"),
]


def _route(method: str, path: str) -> str:
    said = f"{method} {path}"
    for pattern, name in _ROUTES:
        if re.fullmatch(pattern, said.split("?")[0]):
            return name
    return re.sub(r"\d{5,}", "{id}", said)


async def _discord(tmp: Path) -> dict[str, Any]:
    from bot.adapters.discord import DiscordAdapter, DiscordSettings
    from bot.domain.clock import FakeClock
    from bot.schedule.inbox import Dispatcher
    from bot.schedule.simulate import advance
    from bot.schedule.ticker import Ticker
    from bot.schedule.worker import DeliveryWorker
    from bot.store.dm_channels import StoredDMChannels
    from tests.fakes.discord_api import FakeDiscord
    from tests.support.content import open_test_coach
    from tests.support.recorder import Recorder

    clock = FakeClock(START)
    coach = await open_test_coach(tmp / "discord.db", clock=clock)
    port = Recorder(coach)
    phases: dict[str, Counter[str]] = {}
    updates: dict[str, int] = {}
    try:
        async with FakeDiscord() as fake:
            user = fake.add_user("alice")
            fake.add_guild("Runners Club", channels=("general",))
            settings = DiscordSettings(token=fake.token, api_base=fake.api_base,
                                       guild_ready_timeout=0.05)
            inbox = Dispatcher(coach.stores, port, clock)
            adapter = DiscordAdapter(settings, port,
                                     dm_channel_store=StoredDMChannels(coach.stores.db),
                                     inbox=inbox)
            inbox.senders["discord"] = adapter
            worker = DeliveryWorker(coach.stores, coach, {"discord": adapter}, clock)
            ticker = Ticker(coach.stores.outbox, worker, clock, inbox)
            await adapter.start()
            try:
                await fake.wait_ready(within=WITHIN)
                channel = fake.dm_channel(user)

                def newest(label: str) -> tuple[str, str]:
                    for message in reversed(fake.dm_messages(user)):
                        for button in message.buttons:
                            if button.get("label") == label:
                                return message.id, str(button["custom_id"])
                    raise AssertionError(f"no button {label!r}")

                async def settled() -> None:
                    for _ in range(int(WITHIN / 0.01)):
                        await inbox.idle()
                        if not any(not t.done() for t in adapter.inbound.inflight):
                            return
                        await asyncio.sleep(0.01)

                async def act(kind: str, value: str) -> None:
                    index = len(port.calls)
                    if kind == "say":
                        await fake.dm(user, value)
                    else:
                        message_id, custom_id = newest(value)
                        await fake.press(user, channel, message_id, custom_id)
                    await port.wait_call(index, int(user.id), WITHIN)
                    await settled()

                async def phase(name: str, steps: list[tuple[str, str]]) -> None:
                    first = len(fake.requests)
                    for kind, value in steps:
                        await act(kind, value)
                    phases[name] = Counter(_route(m, p) for m, p, _ in fake.requests[first:])
                    updates[name] = len(steps)

                await phase("enrolment", ENROL)
                first = len(fake.requests)
                await advance(ticker, clock, PROMPT_AT - clock.now())
                await fake.wait_for(lambda: len(fake.requests) > first, within=WITHIN)
                await settled()
                prompt = Counter(_route(m, p) for m, p, _ in fake.requests[first:])
                await phase("daily", DAILY)
                phases["daily"] += prompt
            finally:
                await inbox.stop(2.0)
                await adapter.stop()
    finally:
        await coach.close()
    return {"phases": {k: dict(v) for k, v in phases.items()}, "updates": updates,
            "rejected": 0}


# ----- one side in this process; the sides side by side -------------------------------------


async def _side(platforms: list[str]) -> dict[str, Any]:
    import logging

    logging.basicConfig(level=logging.ERROR)
    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for platform in platforms:
            run = _telegram if platform == "telegram" else _discord
            out[platform] = await run(Path(tmp))
    return out


def _extract(ref: str, into: Path) -> None:
    archive = subprocess.run(
        ["git", "archive", ref, "bot", "tests", "content", "dialogs"],
        cwd=ROOT, check=True, capture_output=True,
    )
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)


def _child(tree: Path, platforms: list[str]) -> dict[str, Any]:
    """This script, run on ``tree``'s bot and tests in a process of its own."""
    proc = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child",
         "--platforms", ",".join(platforms)],
        cwd=tree, env={**os.environ, "PYTHONPATH": str(tree)},
        capture_output=True, text=True,
    )
    line = next((ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if line is None:
        raise SystemExit(f"{tree} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n"
                         f"{proc.stderr[-3000:]}")
    return dict(json.loads(line[len("RESULT "):]))


def _table(platform: str, sides: dict[str, dict[str, Any]]) -> str:
    names = list(sides)
    runs = {name: sides[name][platform] for name in names}
    methods: list[str] = []
    for run in runs.values():
        for counts in run["phases"].values():
            methods.extend(m for m in counts if m not in methods)
    polling = [m for m in methods if m == "getUpdates"]
    methods = sorted((m for m in methods if m not in polling),
                     key=lambda m: -sum(sum(r["phases"][p].get(m, 0) for p in r["phases"])
                                        for r in runs.values()))
    head = "| calls | " + " | ".join(names) + " |"
    lines = [f"**{platform}**", "", head, "|---|" + "---:|" * len(names)]

    def total(run: dict[str, Any], phase: str | None = None) -> int:
        phases = [phase] if phase else list(run["phases"])
        return sum(n for p in phases for m, n in run["phases"][p].items() if m not in polling)

    for method in methods:
        cells = [str(sum(r["phases"][p].get(method, 0) for p in r["phases"]))
                 for r in runs.values()]
        lines.append(f"| {method} | " + " | ".join(cells) + " |")
    for phase in ("enrolment", "daily"):
        lines.append(f"| total, {phase} ({runs[names[0]]['updates'][phase]} updates) | "
                     + " | ".join(str(total(r, phase)) for r in runs.values()) + " |")
    lines.append("| **total** | " + " | ".join(f"**{total(r)}**" for r in runs.values())
                 + " |")
    lines.append("| calls per update | " + " | ".join(
        f"{total(r) / sum(r['updates'].values()):.2f}" for r in runs.values()) + " |")
    for method in polling:
        lines.append(f"| ({method}, not counted) | " + " | ".join(
            str(sum(r["phases"][p].get(method, 0) for p in r["phases"]))
            for r in runs.values()) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.api_calls", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", help="a git revision to compare with (git archive)")
    parser.add_argument("--platforms", default="telegram,discord")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    platforms = [p for p in args.platforms.split(",") if p]
    if args.child:
        print("RESULT " + json.dumps(asyncio.run(_side(platforms))), flush=True)
        return 0
    sides: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        if args.before:
            _extract(args.before, Path(tmp))
            sides[f"before ({args.before})"] = _child(Path(tmp), platforms)
        sides["after"] = _child(ROOT, platforms)
    print("One enrolment (/start to the first session) and the first daily prompt answered"
          " (done, how it felt, the check-in), through the real adapters against the fakes.\n")
    for platform in platforms:
        print(_table(platform, sides))
        print()
    print("raw:", json.dumps(sides))
    return 0


if __name__ == "__main__":
    sys.exit(main())
