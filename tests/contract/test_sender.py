"""The ``Sender`` guarantees, written once and run against every implementation (as
botbuilder runs one storage suite against every backend): the console, Telegram against the
fake Bot API and Discord against the fake Discord (tests/contract/harnesses.py).

1. ``Sent`` carries one message id per rendered message, and the conversation shows them.
2. A recipient who blocked the bot gives ``Blocked`` and sees nothing.
3. A rate limit gives ``RetryAfter(seconds)``, never an exception; the retry with the same
   key delivers everything once.
4. The same idempotency key sent twice shows the messages once (Telegram: in this process;
   Discord: by nonce; the console: by key).
5. A private reply addressed to a shared conversation is never shown there; the public ones
   beside it are, and a send of nothing but private replies is ``Failed``.
6. A file (a document: the export, the summary) arrives once, as a file with its name; a
   private file addressed to a shared conversation never arrives there.
7. A shared conversation the bot may no longer post in gives ``NotPermitted`` (not
   ``Blocked``: an admin can give the rights back) and shows nothing.
8. A private ref without a chat id reaches the person's private chat (a club admin's note).
9. With a ``Progress``, each message is recorded as it is delivered, the last one marked
   as the last (its record may end the delivery's row), and the messages it already has
   are not sent again (a restart resends only what was not recorded).

A platform that cannot do what a case needs declares it in its harness (``CANNOT``); the
case is then marked not applicable for that platform, with the declared reason.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import pytest

from bot.domain.events import ConversationRef, Document, Reply
from bot.domain.results import Blocked, Failed, NotPermitted, RetryAfter, Sent
from bot.engine.ports import MemoryProgress
from tests.contract.harnesses import (
    BLOCK,
    HARNESSES,
    IDEMPOTENCY,
    NOT_PERMITTED,
    RATE_LIMIT,
    SHARED,
    Harness,
)

# PTB 22 warns from inside its own RetryAfter constructor unless PTB_TIMEDELTA is set.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")

REMINDER = Reply("reminder.daily", "Time for your knee session")
LONG = Reply(
    "weekly.summary",
    "\n\n".join(f"Paragraph {n}: " + "knee " * 190 for n in range(5)),  # ~4800 characters
)

EXPORT = Reply(
    "export.data",
    "Everything I store about you, as one file.",
    attachment=Document(b'{"users": [{"id": 1}]}', "kneecoach-export-2026-03-02.json",
                        "application/json", "Your data as JSON"),
)


def senders(*needs: str) -> list[Any]:
    """Every harness; those whose platform cannot do one of ``needs`` marked skipped."""
    params = []
    for name, harness in HARNESSES.items():
        missing = [harness.CANNOT[need] for need in needs if need in harness.CANNOT]
        reason = f"not applicable: {'; '.join(missing)}"
        marks = [pytest.mark.skip(reason=reason)] if missing else []
        params.append(pytest.param(name, id=name, marks=marks))
    return params


@pytest.fixture
async def harness(request: pytest.FixtureRequest) -> AsyncIterator[Harness]:
    async with HARNESSES[request.param].open() as opened:
        yield opened


def shown(harness: Harness, ref: ConversationRef, word: str) -> int:
    return sum(word in text for text in harness.seen(ref))


@pytest.mark.parametrize("harness", senders(), indirect=True)
async def test_sent_has_one_message_id_per_rendered_message(harness: Harness) -> None:
    ref = harness.private()
    replies = [LONG, REMINDER]

    result = await harness.sender.send(ref, replies, "outbox:1")

    assert isinstance(result, Sent)
    rendered = harness.rendered(replies)
    assert rendered >= len(replies)
    assert len(result.message_ids) == rendered
    assert len(set(result.message_ids)) == rendered
    assert len(harness.seen(ref)) == rendered
    assert shown(harness, ref, "Paragraph 4") == 1
    assert shown(harness, ref, "knee session") == 1


@pytest.mark.parametrize("harness", senders(BLOCK), indirect=True)
async def test_a_recipient_who_blocked_the_bot_gives_blocked(harness: Harness) -> None:
    ref = harness.private()
    harness.block(ref)

    result = await harness.sender.send(ref, [REMINDER], "outbox:2")

    assert isinstance(result, Blocked)
    assert harness.seen(ref) == []


@pytest.mark.parametrize("harness", senders(RATE_LIMIT), indirect=True)
async def test_a_rate_limit_gives_retry_after_and_the_retry_delivers_once(
    harness: Harness,
) -> None:
    ref = harness.private()
    harness.rate_limit_next(120)

    result = await harness.sender.send(ref, [REMINDER], "outbox:3")

    assert isinstance(result, RetryAfter)
    assert result.seconds == pytest.approx(120)
    assert harness.seen(ref) == []
    again = await harness.sender.send(ref, [REMINDER], "outbox:3")
    assert isinstance(again, Sent) and len(again.message_ids) == 1
    assert shown(harness, ref, "knee session") == 1


@pytest.mark.parametrize("harness", senders(IDEMPOTENCY), indirect=True)
async def test_the_same_key_twice_shows_the_messages_once(harness: Harness) -> None:
    ref = harness.private()
    replies = [LONG, REMINDER]

    first = await harness.sender.send(ref, replies, "outbox:4")
    second = await harness.sender.send(ref, replies, "outbox:4")
    other = await harness.sender.send(ref, [REMINDER], "outbox:5")

    assert isinstance(first, Sent) and isinstance(second, Sent) and isinstance(other, Sent)
    assert second.message_ids == first.message_ids
    assert not set(other.message_ids) & set(first.message_ids)
    assert len(harness.seen(ref)) == harness.rendered(replies) + 1
    assert shown(harness, ref, "Paragraph 4") == 1
    assert shown(harness, ref, "knee session") == 2  # once per key


@pytest.mark.parametrize("harness", senders(SHARED), indirect=True)
async def test_a_private_reply_is_never_shown_in_a_shared_conversation(
    harness: Harness,
) -> None:
    ref = harness.shared()
    secret = Reply("checkin.summary", "SECRET your pain was 6 of 10 yesterday")  # private
    public = Reply("club.daily", "The club session is up", private=False)

    mixed = await harness.sender.send(ref, [secret, public], "outbox:6")
    only_private = await harness.sender.send(ref, [secret], "outbox:7")

    assert isinstance(mixed, Sent) and len(mixed.message_ids) == harness.rendered([public])
    assert isinstance(only_private, Failed)
    assert shown(harness, ref, "club session") == 1
    assert shown(harness, ref, "SECRET") == 0


@pytest.mark.parametrize("harness", senders(), indirect=True)
async def test_a_file_arrives_once_as_a_file_with_its_name(harness: Harness) -> None:
    ref = harness.private()

    first = await harness.sender.send(ref, [EXPORT], "outbox:8")
    again = await harness.sender.send(ref, [EXPORT], "outbox:8")

    assert isinstance(first, Sent) and len(first.message_ids) == harness.rendered([EXPORT])
    assert again == first
    assert harness.files(ref) == ["kneecoach-export-2026-03-02.json"]


@pytest.mark.parametrize("harness", senders(SHARED), indirect=True)
async def test_a_private_file_never_arrives_in_a_shared_conversation(harness: Harness) -> None:
    ref = harness.shared()

    result = await harness.sender.send(ref, [EXPORT], "outbox:9")

    assert isinstance(result, Failed)
    assert harness.files(ref) == []
    assert shown(harness, ref, "store about you") == 0


@pytest.mark.parametrize("harness", senders(SHARED, NOT_PERMITTED), indirect=True)
async def test_a_conversation_the_bot_may_not_post_in_gives_not_permitted(
    harness: Harness,
) -> None:
    ref = harness.shared()
    harness.forbid(ref)
    public = Reply("club.daily", "The club session is up", private=False)

    result = await harness.sender.send(ref, [public], "outbox:10")

    assert isinstance(result, NotPermitted)
    assert shown(harness, ref, "club session") == 0


@pytest.mark.parametrize("harness", senders(), indirect=True)
async def test_a_private_ref_without_a_chat_id_reaches_the_private_chat(
    harness: Harness,
) -> None:
    ref = harness.private()

    result = await harness.sender.send(replace(ref, chat_id=""), [REMINDER], "outbox:11")

    assert isinstance(result, Sent) and len(result.message_ids) == 1
    assert shown(harness, ref, "knee session") == 1


@pytest.mark.parametrize("harness", senders(), indirect=True)
async def test_progress_is_recorded_and_a_resumed_send_skips_what_was_delivered(
    harness: Harness,
) -> None:
    ref = harness.private()
    replies = [LONG, REMINDER]
    rendered = harness.rendered(replies)
    lasts: list[bool] = []

    class Noting(MemoryProgress):
        async def record(self, message_id: str, *, last: bool = False) -> None:
            lasts.append(last)
            await super().record(message_id, last=last)

    progress = Noting()
    first = await harness.sender.send(ref, replies, "outbox:8", progress=progress)

    assert isinstance(first, Sent)
    assert list(progress.sent) == list(first.message_ids)
    assert len(progress.sent) == rendered
    assert lasts == [False] * (rendered - 1) + [True]  # only the last one is the last
    # Another process picks the delivery up with only its first message recorded.
    resumed = MemoryProgress(list(first.message_ids[:1]))
    again = await harness.sender.send(ref, replies, "outbox:9", progress=resumed)
    assert isinstance(again, Sent) and len(again.message_ids) == rendered
    assert again.message_ids[0] == first.message_ids[0]
    assert len(harness.seen(ref)) == rendered + rendered - 1
    assert shown(harness, ref, "knee session") == 2  # the last message: sent again once
    done = MemoryProgress(list(first.message_ids))
    assert await harness.sender.send(ref, replies, "outbox:10", progress=done) == Sent(
        first.message_ids
    )
    assert len(harness.seen(ref)) == rendered + rendered - 1  # nothing more
