"""Webhook mode (TELEGRAM_WEBHOOK_URL set) and settings."""

from __future__ import annotations

import pytest

from bot.adapters.telegram import TelegramAdapter, TelegramSettings
from bot.domain.events import ConversationRef, Text
from tests.fakes.telegram_api import FakeTelegram, ScriptedCoach, StartAdapter, free_port
from tests.support.inbox import open_inbox

USER = 6060
SECRET = "kc_webhook-Secret_123"


async def start_webhook(
    server: FakeTelegram, start: StartAdapter, coach: ScriptedCoach, secret: str | None
) -> TelegramAdapter:
    port = free_port()
    return await start(
        coach,
        webhook_url=f"http://127.0.0.1:{port}/telegram/hook",
        webhook_listen="127.0.0.1",
        webhook_port=port,
        webhook_secret=secret,
    )


async def test_webhook_is_registered_with_the_secret(
    tg_server: FakeTelegram, tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach
) -> None:
    adapter = await start_webhook(tg_server, tg_start_adapter, tg_coach, SECRET)

    (call,) = tg_server.calls_to("setWebhook")
    assert call["url"] == adapter.settings.webhook_url
    assert call["secret_token"] == SECRET
    assert tg_server.webhook_secret == SECRET
    assert tg_server.calls_to("getUpdates") == []
    assert tg_server.calls_to("setMyCommands")


async def test_right_secret_is_accepted_and_reaches_the_coach(
    tg_server: FakeTelegram, tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach
) -> None:
    await start_webhook(tg_server, tg_start_adapter, tg_coach, SECRET)
    update = tg_server.make_message(chat_id=USER, user_id=USER, text="hello hook")

    status = await tg_server.post_webhook(update)

    assert status == 200
    (call,) = await tg_server.wait_for_calls("sendMessage")
    assert call["text"] == "You said: hello hook"
    assert tg_coach.seen == [
        (ConversationRef("telegram", str(USER), str(USER)), Text("hello hook"))
    ]


@pytest.mark.parametrize("wrong", ["not-the-secret", None])
async def test_wrong_or_missing_secret_is_refused(
    tg_server: FakeTelegram,
    tg_start_adapter: StartAdapter,
    tg_coach: ScriptedCoach,
    wrong: str | None,
) -> None:
    await start_webhook(tg_server, tg_start_adapter, tg_coach, SECRET)
    update = tg_server.make_message(chat_id=USER, user_id=USER, text="forged")

    if wrong is None:
        status = await tg_server.post_webhook(update, use_secret=False)
    else:
        status = await tg_server.post_webhook(update, secret=wrong)

    assert status == 403
    # A genuine update afterwards is the first thing the coach sees.
    genuine = tg_server.make_message(chat_id=USER, user_id=USER, text="genuine")
    assert await tg_server.post_webhook(genuine) == 200
    await tg_server.wait_for_calls("sendMessage")
    assert [inbound for _, inbound in tg_coach.seen] == [Text("genuine")]


async def test_a_secret_is_generated_when_none_is_configured(
    tg_server: FakeTelegram, tg_start_adapter: StartAdapter, tg_coach: ScriptedCoach
) -> None:
    adapter = await start_webhook(tg_server, tg_start_adapter, tg_coach, None)
    assert adapter.webhook_secret
    assert tg_server.webhook_secret == adapter.webhook_secret
    update = tg_server.make_message(chat_id=USER, user_id=USER, text="hi")
    assert await tg_server.post_webhook(update) == 200
    assert await tg_server.post_webhook(update, use_secret=False) == 403


async def test_wrong_token_fails_start(tg_server: FakeTelegram, tg_coach: ScriptedCoach) -> None:
    from telegram.error import InvalidToken

    settings = TelegramSettings(token="1:wrong", api_base_url=tg_server.base_url)
    async with open_inbox(tg_coach) as inbox:
        adapter = TelegramAdapter(settings, tg_coach, inbox=inbox)
        with pytest.raises(InvalidToken) as raised:
            await adapter.start()
        assert "wrong" not in str(raised.value)  # PTB's own message quotes the token
        assert not adapter.running
        await adapter.stop()


def test_settings_hide_secrets_and_validate() -> None:
    settings = TelegramSettings(token="123:SECRET", webhook_secret="abc_DEF-1")
    assert "SECRET" not in repr(settings)
    assert "abc_DEF" not in repr(settings)
    with pytest.raises(ValueError):
        TelegramSettings(token="123:x", webhook_secret="has spaces")
    with pytest.raises(ValueError):
        TelegramSettings(token=" ")
    with pytest.raises(ValueError):
        TelegramSettings(token="1:x", webhook_port=0)
    with pytest.raises(ValueError):
        TelegramSettings(token="1:x", webhook_url="ftp://example.org/hook")


@pytest.mark.parametrize(
    ("configured", "expected"),
    [
        (None, None),
        ("http://localhost:8081", ("http://localhost:8081/bot", "http://localhost:8081/file/bot")),
        ("http://localhost:8081/", ("http://localhost:8081/bot", "http://localhost:8081/file/bot")),
        ("http://h:1/bot", ("http://h:1/bot", "http://h:1/file/bot")),
        (
            "https://api.telegram.org/bot{token}/test",
            (
                "https://api.telegram.org/bot{token}/test",
                "https://api.telegram.org/file/bot{token}/test",
            ),
        ),
    ],
)
def test_api_base_url_forms(configured: str | None, expected: tuple[str, str] | None) -> None:
    assert TelegramSettings(token="1:x", api_base_url=configured).api_urls() == expected
