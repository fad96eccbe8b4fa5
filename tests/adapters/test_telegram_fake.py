"""Self-tests of the fake Bot API: it must refuse what Telegram refuses."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from tests.fakes.telegram_api import (
    MAX_FILE_BYTES,
    FakeTelegram,
    parse_html,
    sized_png,
    tiny_png,
)


class Api:
    """A bare HTTP client for the fake (no PTB in between)."""

    def __init__(self, server: FakeTelegram, session: aiohttp.ClientSession) -> None:
        self.server = server
        self.session = session

    async def call(
        self, method: str, token: str | None = None, *, as_json: bool = False, **params: Any
    ) -> tuple[int, dict[str, Any]]:
        url = f"{self.server.base_url}/bot{token or self.server.token}/{method}"
        if as_json:
            request = self.session.post(url, json=params)
        else:
            form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
            request = self.session.post(url, data=form)
        async with request as response:
            return response.status, await response.json()

    async def error(self, method: str, **params: Any) -> str:
        status, body = await self.call(method, **params)
        assert status == body["error_code"] != 200, body
        assert body["ok"] is False
        return str(body["description"])


@pytest.fixture
async def api(tg_server: FakeTelegram) -> AsyncIterator[Api]:
    async with aiohttp.ClientSession() as session:
        yield Api(tg_server, session)


async def test_get_me_and_send_message(api: Api, tg_server: FakeTelegram) -> None:
    status, body = await api.call("getMe")
    assert status == 200 and body["result"]["username"] == tg_server.bot_username
    status, body = await api.call(
        "sendMessage", chat_id=5, text="Hi <b>there</b>", parse_mode="HTML"
    )
    assert status == 200
    assert body["result"]["text"] == "Hi there"
    assert body["result"]["entities"] == [{"type": "bold", "offset": 3, "length": 5}]
    assert [c.method for c in tg_server.calls] == ["getMe", "sendMessage"]


async def test_json_bodies_are_accepted(api: Api) -> None:
    status, body = await api.call(
        "sendMessage",
        as_json=True,
        chat_id=5,
        text="x",
        reply_markup={"inline_keyboard": [[{"text": "a", "callback_data": "a"}]]},
    )
    assert status == 200, body
    assert body["result"]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "a"


async def test_wrong_token_and_unknown_method(api: Api, tg_server: FakeTelegram) -> None:
    status, body = await api.call("getMe", token="1:wrong")
    assert (status, body["description"]) == (401, "Unauthorized")
    status, body = await api.call("sendMessagee", chat_id=1, text="x")
    assert (status, body["description"]) == (404, "Not Found")
    assert tg_server.calls == []


async def test_missing_required_parameters(api: Api) -> None:
    assert await api.error("sendMessage", text="hello") == "Bad Request: chat_id is empty"
    assert await api.error("sendMessage", chat_id=1) == "Bad Request: message text is empty"
    assert "callback_query_id" in await api.error("answerCallbackQuery")
    assert "commands" in await api.error("setMyCommands")
    assert "url" in await api.error("setWebhook")
    assert "photo" in await api.error("sendPhoto", chat_id=1)


async def test_text_length_is_counted_after_parsing(api: Api) -> None:
    limit = 4096
    ok = [
        "a" * limit,
        "<b>" + "a" * limit + "</b>",
        "&amp;" * limit,
    ]
    for text in ok:
        status, body = await api.call("sendMessage", chat_id=1, text=text, parse_mode="HTML")
        assert status == 200, body
    too_long = await api.error("sendMessage", chat_id=1, text="a" * (limit + 1))
    assert too_long == "Bad Request: message is too long"
    assert "empty" in await api.error("sendMessage", chat_id=1, text="<b> </b>", parse_mode="HTML")


@pytest.mark.parametrize(
    "html",
    ["<b>unclosed", "<b><i>x</b></i>", "<script>x</script>", "a < b", "x</b>", "<span>s</span>"],
)
async def test_malformed_html_is_refused(api: Api, html: str) -> None:
    error = await api.error("sendMessage", chat_id=1, text=html, parse_mode="HTML")
    assert error.startswith("Bad Request: can't parse entities")


async def test_parse_mode_must_be_known(api: Api) -> None:
    error = await api.error("sendMessage", chat_id=1, text="x", parse_mode="BBCode")
    assert "parse_mode" in error
    status, _ = await api.call("sendMessage", chat_id=1, text="*x*", parse_mode="MarkdownV2")
    assert status == 200


async def test_keyboards_are_validated(api: Api) -> None:
    def markup(*buttons: dict[str, Any]) -> dict[str, Any]:
        return {"inline_keyboard": [list(buttons)]}

    good = markup({"text": "ok", "callback_data": "x" * 64}, {"text": "t", "url": "https://t.me/b"})
    status, body = await api.call("sendMessage", chat_id=1, text="k", reply_markup=good)
    assert status == 200, body

    def refused(*buttons: dict[str, Any]) -> Any:
        return api.error("sendMessage", chat_id=1, text="k", reply_markup=markup(*buttons))

    assert await refused({"text": "x", "callback_data": "x" * 65}) == (
        "Bad Request: BUTTON_DATA_INVALID"
    )
    assert await refused({"text": "x", "callback_data": "é" * 33}) == (
        "Bad Request: BUTTON_DATA_INVALID"
    )
    assert await refused({"text": "x", "callback_data": ""}) == "Bad Request: BUTTON_DATA_INVALID"
    assert "BUTTON_URL_INVALID" in await refused({"text": "x", "url": "javascript:alert(1)"})
    assert "exactly one" in await refused({"text": "x"})
    assert "BUTTON_TEXT_INVALID" in await refused({"text": "", "callback_data": "a"})
    nine = [{"text": str(n), "callback_data": str(n)} for n in range(9)]
    assert "too many buttons" in await refused(*nine)

    rows = [[{"text": str(n), "callback_data": str(n)}] for n in range(101)]
    error = await api.error(
        "sendMessage", chat_id=1, text="k", reply_markup={"inline_keyboard": rows}
    )
    assert error == "Bad Request: reply markup is too long"


async def test_photo_upload_and_caption_limit(api: Api, tg_server: FakeTelegram) -> None:
    url = f"{tg_server.base_url}/bot{tg_server.token}/sendPhoto"

    async def upload(caption: str, content: bytes) -> tuple[int, dict[str, Any]]:
        form = aiohttp.FormData()
        form.add_field("chat_id", "9")
        form.add_field("caption", caption)
        form.add_field("photo", content, filename="chart.png", content_type="image/png")
        async with api.session.post(url, data=form) as response:
            return response.status, await response.json()

    status, body = await upload("c" * 1024, tiny_png())
    assert status == 200, body
    assert body["result"]["caption"] == "c" * 1024
    assert tg_server.calls_to("sendPhoto")[0].files["photo"] == tiny_png()
    status, body = await upload("c" * 1025, tiny_png())
    assert (status, body["description"]) == (400, "Bad Request: message caption is too long")
    status, body = await upload("fine", b"not an image")
    assert (status, body["description"]) == (400, "Bad Request: IMAGE_PROCESS_FAILED")


async def upload(
    api: Api, method: str, field: str, content: bytes, filename: str | None = "f.bin",
    **params: str,
) -> tuple[int, dict[str, Any]]:
    form = aiohttp.FormData()
    form.add_field("chat_id", "9")
    for key, value in params.items():
        form.add_field(key, value)
    form.add_field(field, content, filename=filename)
    url = f"{api.server.base_url}/bot{api.server.token}/{method}"
    async with api.session.post(url, data=form) as response:
        return response.status, await response.json()


async def test_photo_dimensions_are_checked(api: Api) -> None:
    assert (await upload(api, "sendPhoto", "photo", sized_png(5000, 5000)))[0] == 200
    for width, height in ((5000, 5001), (2100, 100)):  # over 10000 in total; ratio over 20
        status, body = await upload(api, "sendPhoto", "photo", sized_png(width, height))
        assert (status, body["description"]) == (
            400, "Bad Request: PHOTO_INVALID_DIMENSIONS")


async def test_animation_and_document_uploads(api: Api, tg_server: FakeTelegram) -> None:
    status, body = await upload(api, "sendAnimation", "animation", b"GIF89a...", "a.gif",
                                caption="Squat")
    assert status == 200, body
    assert body["result"]["animation"]["file_name"] == "a.gif"
    status, body = await upload(api, "sendAnimation", "animation", tiny_png(), "a.png")
    assert status == 400 and "not a GIF" in body["description"]
    status, body = await upload(api, "sendDocument", "document", b"{}", "export.json",
                                caption="Your data")
    assert status == 200, body
    assert body["result"]["document"]["file_name"] == "export.json"
    assert tg_server.calls_to("sendDocument")[0].files["document"] == b"{}"
    assert (await upload(api, "sendDocument", "document", b"x" * MAX_FILE_BYTES))[0] == 200
    status, body = await upload(api, "sendDocument", "document", b"x" * (MAX_FILE_BYTES + 1))
    assert status == 413


async def test_edit_rules(api: Api, tg_server: FakeTelegram) -> None:
    _, sent = await api.call("sendMessage", chat_id=3, text="Pick")
    message_id = sent["result"]["message_id"]
    assert "not found" in await api.error("editMessageText", chat_id=3, message_id=999, text="x")
    assert "not modified" in await api.error(
        "editMessageText", chat_id=3, message_id=message_id, text="Pick"
    )
    status, _ = await api.call("editMessageText", chat_id=3, message_id=message_id, text="Done")
    assert status == 200
    assert tg_server.message(3, message_id).text == "Done"
    assert "not modified" in await api.error(
        "editMessageReplyMarkup", chat_id=3, message_id=message_id
    )


async def test_callback_query_is_answered_once(api: Api, tg_server: FakeTelegram) -> None:
    markup = {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}
    _, sent = await api.call("sendMessage", chat_id=3, text="Pick", reply_markup=markup)
    press = tg_server.make_press(chat_id=3, message_id=sent["result"]["message_id"], data="a")
    assert press["callback_query"]["message"]["reply_markup"] == markup
    query_id = press["callback_query"]["id"]
    status, _ = await api.call("answerCallbackQuery", callback_query_id=query_id)
    assert status == 200 and tg_server.answered(press)
    assert "query is too old" in await api.error("answerCallbackQuery", callback_query_id=query_id)


async def test_bot_commands_are_validated(api: Api, tg_server: FakeTelegram) -> None:
    good = [{"command": "start", "description": "Begin"}]
    status, _ = await api.call("setMyCommands", commands=good)
    assert status == 200
    _, mine = await api.call("getMyCommands")
    assert mine["result"] == good
    bad_name = [{"command": "Check-In", "description": "x"}]
    assert "BOT_COMMAND_INVALID" in await api.error("setMyCommands", commands=bad_name)
    no_description = [{"command": "help", "description": ""}]
    assert "DESCRIPTION" in await api.error("setMyCommands", commands=no_description)


async def test_long_poll_wakes_at_once_and_honours_offset(
    api: Api, tg_server: FakeTelegram
) -> None:
    poll = asyncio.create_task(api.call("getUpdates", timeout=30))
    await tg_server.wait_until(lambda: tg_server.waiting_polls == 1)
    update = tg_server.inject_private_text(11, "hi")
    async with asyncio.timeout(5):  # far below the 30 s poll timeout
        status, body = await poll
    assert status == 200 and [u["update_id"] for u in body["result"]] == [update["update_id"]]
    assert body["result"][0]["message"]["text"] == "hi"

    # Not confirmed yet: returned again; confirmed by offset: gone.
    _, again = await api.call("getUpdates", timeout=0)
    assert len(again["result"]) == 1
    _, after = await api.call("getUpdates", timeout=0, offset=update["update_id"] + 1)
    assert after["result"] == []


async def test_updates_per_poll_caps_each_get_updates_whatever_its_limit(
    api: Api, tg_server: FakeTelegram
) -> None:
    ids = [tg_server.inject_private_text(20 + n, f"hi {n}")["update_id"] for n in range(3)]
    tg_server.updates_per_poll(1)
    assert tg_server.per_poll == 1
    seen: list[int] = []
    for _ in ids:
        _, body = await api.call("getUpdates", timeout=0, limit=100,
                                 offset=seen[-1] + 1 if seen else 0)
        assert len(body["result"]) == 1
        seen.append(body["result"][0]["update_id"])
    assert seen == ids  # one at a time, in order, each confirmed by the next offset

    tg_server.updates_per_poll(2)
    more = [tg_server.inject_private_text(30 + n, "again")["update_id"] for n in range(3)]
    _, body = await api.call("getUpdates", timeout=0, offset=seen[-1] + 1)
    assert [u["update_id"] for u in body["result"]] == more[:2]
    _, body = await api.call("getUpdates", timeout=0, offset=seen[-1] + 1, limit=1)
    assert [u["update_id"] for u in body["result"]] == more[:1]  # the bot's limit still holds

    tg_server.updates_per_poll(None)
    _, body = await api.call("getUpdates", timeout=0, offset=seen[-1] + 1)
    assert [u["update_id"] for u in body["result"]] == more


@pytest.mark.parametrize("count", [0, -1, True, 1.5, "1"])
def test_updates_per_poll_refuses_anything_but_a_positive_int(count: Any) -> None:
    server = FakeTelegram()
    with pytest.raises(ValueError, match="updates_per_poll"):
        server.updates_per_poll(count)
    assert server.per_poll is None


async def test_get_updates_conflicts_with_a_webhook(api: Api) -> None:
    status, _ = await api.call("setWebhook", url="https://example.org/hook", secret_token="abc")
    assert status == 200
    status, body = await api.call("getUpdates")
    assert status == 409 and body["description"].startswith("Conflict")
    _, info = await api.call("getWebhookInfo")
    assert info["result"]["url"] == "https://example.org/hook"
    assert "Secret token" in await api.error("setWebhook", url="https://e.org", secret_token="a b")
    await api.call("deleteWebhook")
    status, _ = await api.call("getUpdates")
    assert status == 200


async def test_behaviours_blocked_one_shot_429_and_rate_window(
    api: Api, tg_server: FakeTelegram
) -> None:
    tg_server.blocked_chats.add(44)
    status, body = await api.call("sendMessage", chat_id=44, text="x")
    assert (status, body["description"]) == (403, "Forbidden: bot was blocked by the user")

    tg_server.fail_next("sendMessage", retry_after=9)
    status, body = await api.call("sendMessage", chat_id=1, text="x")
    assert (status, body["parameters"]) == (429, {"retry_after": 9})
    status, _ = await api.call("sendMessage", chat_id=1, text="x")
    assert status == 200

    tg_server.rate_limit(3)
    statuses = [(await api.call("sendMessage", chat_id=1, text="x"))[0] for _ in range(5)]
    assert statuses == [200, 200, 200, 429, 429]
    assert tg_server.rate_limited == 2


def test_html_parser_entities_use_utf16_offsets() -> None:
    plain, entities = parse_html('😀 <b>knee</b> <a href="https://x.org/?a=1&amp;b=2">link</a>')
    assert plain == "😀 knee link"
    assert entities == [
        {"type": "bold", "offset": 3, "length": 4},
        {"type": "text_link", "offset": 8, "length": 4, "url": "https://x.org/?a=1&b=2"},
    ]
