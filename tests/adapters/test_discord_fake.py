"""The fake Discord itself: it must speak and validate like Discord, or the adapter tests lie."""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest

from tests.adapters.discord_conftest import dc_fake
from tests.fakes.discord_api import (
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    MAX_ATTACHMENTS,
    MAX_FILE_BYTES,
    FakeDiscord,
)

__all__ = ["dc_fake"]  # fixture


@pytest.fixture
async def http(dc_fake: FakeDiscord) -> AsyncIterator[aiohttp.ClientSession]:
    headers = {"Authorization": f"Bot {dc_fake.token}"}
    async with aiohttp.ClientSession(base_url=dc_fake.api_base + "/", headers=headers) as session:
        yield session


def button(custom_id: str, label: str = "B") -> dict[str, Any]:
    return {"type": 2, "style": 2, "label": label, "custom_id": custom_id}


def row(*buttons: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(buttons)}


async def post_message(
    http: aiohttp.ClientSession, channel_id: str, payload: dict[str, Any]
) -> tuple[int, dict[str, Any]]:
    async with http.post(f"channels/{channel_id}/messages", json=payload) as response:
        assert response.headers["Content-Type"] == "application/json"
        return response.status, await response.json()


async def test_identity_and_exact_json_content_type(
    dc_fake: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    async with http.get("users/@me") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == "application/json"
        assert (await response.json())["bot"] is True
    async with http.get("gateway/bot") as response:
        assert (await response.json())["url"] == dc_fake.gateway_url
    async with aiohttp.ClientSession() as anonymous:
        async with anonymous.get(dc_fake.api_base + "/users/@me") as response:
            assert response.status == 401
            assert (await response.json())["message"] == "401: Unauthorized"


async def test_dm_channel_is_the_same_every_time(
    dc_fake: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    alice = dc_fake.add_user("alice")
    ids = []
    for _ in range(2):
        async with http.post("users/@me/channels", json={"recipient_id": alice.id}) as response:
            data = await response.json()
            assert data["type"] == 1 and data["recipients"][0]["id"] == alice.id
            ids.append(data["id"])
    assert ids[0] == ids[1] == dc_fake.dm_channel(alice).id


def rows(*rows_: dict[str, Any]) -> dict[str, Any]:
    return {"content": "x", "components": list(rows_)}


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"content": "x" * 2001}, "content"),
        ({"content": "x", "nonce": "n" * 26}, "nonce"),
        (rows(row(*(button(f"b{i}") for i in range(6)))), "components.0.components"),
        (rows(*(row(button(f"r{i}")) for i in range(6))), "components"),
        (rows(row(button("c" * 101))), "components.0.components.0.custom_id"),
        (rows(row(button(""))), "components.0.components.0.custom_id"),
        (rows(row(button("a", "L" * 81))), "components.0.components.0.label"),
        (rows(row(button("a"), button("a"))), "components.0.components.1.custom_id"),
        (rows(button("a")), "components.0.type"),
    ],
)
async def test_invalid_messages_get_discord_errors(
    dc_fake: FakeDiscord, http: aiohttp.ClientSession, payload: dict[str, Any], path: str
) -> None:
    channel = dc_fake.dm_channel(dc_fake.add_user("alice"))
    status, body = await post_message(http, channel.id, payload)
    assert status == 400
    assert body["code"] == 50035 and body["message"] == "Invalid Form Body"
    node = body["errors"]
    for key in path.split("."):
        node = node[key]
    assert node["_errors"][0]["code"]
    assert dc_fake.messages_in(channel) == []


async def test_empty_message_is_refused(dc_fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    channel = dc_fake.dm_channel(dc_fake.add_user("alice"))
    status, body = await post_message(http, channel.id, {"components": [row(button("a"))]})
    assert (status, body["code"]) == (400, 50006)


async def test_valid_limits_are_accepted(dc_fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    channel = dc_fake.dm_channel(dc_fake.add_user("alice"))
    rows = [row(*(button(f"kc|{r}.{c}", "L" * 80) for c in range(5))) for r in range(5)]
    status, body = await post_message(http, channel.id, {"content": "x" * 2000, "components": rows})
    assert status == 200, body
    (message,) = dc_fake.messages_in(channel)
    assert len(message.custom_ids) == 25 and not message.ephemeral


async def test_nonce_with_enforce_returns_the_first_message(
    dc_fake: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    channel = dc_fake.dm_channel(dc_fake.add_user("alice"))
    payload = {"content": "hi", "nonce": "abc", "enforce_nonce": True}
    _, first = await post_message(http, channel.id, payload)
    _, again = await post_message(http, channel.id, payload)
    _, loose = await post_message(http, channel.id, {"content": "hi", "nonce": "abc"})
    assert first["id"] == again["id"] != loose["id"]
    assert len(dc_fake.messages_in(channel)) == 2


async def test_rate_limit_and_closed_dms(dc_fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    alice, bob = dc_fake.add_user("alice"), dc_fake.add_user("bob")
    channel = dc_fake.dm_channel(alice)
    dc_fake.rate_limit_once(2.5)
    async with http.post(f"channels/{channel.id}/messages", json={"content": "x"}) as response:
        assert response.status == 429
        assert response.headers["Retry-After"] == "3"
        assert response.headers["X-RateLimit-Remaining"] == "0"
        assert response.headers["Via"]  # discord.py treats a 429 without Via as a ban
        assert await response.json() == {
            "message": "You are being rate limited.",
            "retry_after": 2.5,
            "global": False,
        }
    assert (await post_message(http, channel.id, {"content": "x"}))[0] == 200
    dc_fake.close_dms(bob)
    status, body = await post_message(http, dc_fake.dm_channel(bob).id, {"content": "x"})
    assert (status, body["code"]) == (403, 50007)


async def test_multipart_upload(dc_fake: FakeDiscord, http: aiohttp.ClientSession) -> None:
    channel = dc_fake.dm_channel(dc_fake.add_user("alice"))
    form = aiohttp.FormData(quote_fields=False)
    payload = {"content": "chart", "attachments": [{"id": 0, "description": "alt"}]}
    form.add_field("payload_json", json.dumps(payload))
    form.add_field("files[0]", b"PNGDATA", filename="c.png", content_type="image/png")
    async with http.post(f"channels/{channel.id}/messages", data=form) as response:
        body = await response.json()
        assert response.status == 200, body
    (message,) = dc_fake.messages_in(channel)
    (attachment,) = message.attachments
    assert (attachment.data, attachment.filename, attachment.description) == (
        b"PNGDATA",
        "c.png",
        "alt",
    )
    assert body["attachments"][0]["filename"] == "c.png"


async def test_uploads_over_discords_limits_are_refused(
    dc_fake: FakeDiscord, http: aiohttp.ClientSession
) -> None:
    channel = dc_fake.dm_channel(dc_fake.add_user("alice"))

    async def upload(sizes: list[int]) -> tuple[int, dict[str, Any]]:
        form = aiohttp.FormData(quote_fields=False)
        form.add_field("payload_json", json.dumps({"content": "files"}))
        for index, size in enumerate(sizes):
            form.add_field(f"files[{index}]", b"x" * size, filename=f"f{index}.bin")
        async with http.post(f"channels/{channel.id}/messages", data=form) as response:
            return response.status, await response.json()

    assert (await upload([10] * MAX_ATTACHMENTS))[0] == 200
    status, body = await upload([10] * (MAX_ATTACHMENTS + 1))
    assert (status, body["code"]) == (400, 50035)
    assert (await upload([MAX_FILE_BYTES]))[0] == 200
    status, body = await upload([MAX_FILE_BYTES + 1])
    assert (status, body["code"]) == (413, 40005)


async def test_gateway_zlib_stream_hello_identify_ready(dc_fake: FakeDiscord) -> None:
    guild = dc_fake.add_guild("G")
    inflate = zlib.decompressobj()
    buffer = bytearray()

    async def receive(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
        nonlocal buffer
        while True:
            message = await ws.receive(timeout=5)
            assert message.type == aiohttp.WSMsgType.BINARY
            buffer.extend(message.data)
            if bytes(buffer[-4:]) == b"\x00\x00\xff\xff":
                data = inflate.decompress(bytes(buffer))
                buffer = bytearray()
                result: dict[str, Any] = json.loads(data)
                return result

    url = dc_fake.gateway_url + "/?v=10&encoding=json&compress=zlib-stream"
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        hello = await receive(ws)
        assert hello["op"] == 10 and hello["d"]["heartbeat_interval"] == 41250
        await ws.send_json({"op": 1, "d": None})
        assert (await receive(ws))["op"] == 11
        identify = {"token": dc_fake.token, "intents": INTENT_GUILDS | INTENT_DIRECT_MESSAGES}
        await ws.send_json({"op": 2, "d": identify})
        ready = await receive(ws)
        assert (ready["t"], ready["s"]) == ("READY", 1)
        assert ready["d"]["application"]["id"] == dc_fake.application_id
        assert ready["d"]["guilds"] == [{"id": guild.id, "unavailable": True}]
        created = await receive(ws)
        assert (created["t"], created["d"]["id"]) == ("GUILD_CREATE", guild.id)


async def test_gateway_refuses_a_bad_token_and_privileged_intents(dc_fake: FakeDiscord) -> None:
    url = dc_fake.gateway_url + "/?v=10&encoding=json"
    async with aiohttp.ClientSession() as session:
        for identify, code in (
            ({"token": "wrong", "intents": 0}, 4004),
            ({"token": dc_fake.token, "intents": INTENT_MESSAGE_CONTENT}, 4014),
        ):
            async with session.ws_connect(url) as ws:
                assert (await ws.receive_json(timeout=5))["op"] == 10
                await ws.send_json({"op": 2, "d": identify})
                message = await ws.receive(timeout=5)
                assert message.type == aiohttp.WSMsgType.CLOSE
                assert ws.close_code == code


async def test_real_discord_py_client_with_a_privileged_intent_is_refused(
    dc_fake: FakeDiscord,
) -> None:
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    saved = Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    Route.BASE = dc_fake.api_base
    DiscordWebSocket.DEFAULT_GATEWAY = __import__("yarl").URL(dc_fake.gateway_url)
    try:
        intents = discord.Intents.none()
        intents.message_content = True
        client = discord.Client(intents=intents)
        with pytest.raises(discord.PrivilegedIntentsRequired):
            await client.start(dc_fake.token)
        await client.close()
    finally:
        Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
