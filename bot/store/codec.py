"""Events and replies as JSON text, for the rows that keep them until they are handled and
sent (the inbox, the outbox's composed deliveries). Attachments (pictures, animations,
documents) travel as base64."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

from bot.domain.events import (
    Animation,
    Attachment,
    Button,
    ClubCommand,
    Command,
    ConversationRef,
    Document,
    Envelope,
    Inbound,
    Picture,
    Press,
    Reply,
    Text,
)


def ref_data(ref: ConversationRef) -> dict[str, Any]:
    return {"platform": ref.platform, "user": ref.user_id, "chat": ref.chat_id,
            "shared": ref.shared}


def ref_of(data: dict[str, Any]) -> ConversationRef:
    return ConversationRef(str(data["platform"]), str(data["user"]), str(data["chat"]),
                           bool(data["shared"]))


def inbound_data(inbound: Inbound) -> dict[str, Any]:
    if isinstance(inbound, Text):
        return {"kind": "text", "text": inbound.text}
    if isinstance(inbound, Press):
        return {"kind": "press", "data": inbound.data}
    if isinstance(inbound, Command):
        return {"kind": "command", "name": inbound.name, "args": inbound.args}
    return {
        "kind": "club", "action": inbound.action, "guild": inbound.guild_id,
        "channel": inbound.channel_id, "channel_name": inbound.channel_name,
        "time": inbound.time, "timezone": inbound.timezone, "join": inbound.join,
        "display_name": inbound.display_name,
    }


def inbound_of(data: dict[str, Any]) -> Inbound:
    kind = data["kind"]
    if kind == "text":
        return Text(str(data["text"]))
    if kind == "press":
        return Press(str(data["data"]))
    if kind == "command":
        return Command(str(data["name"]), str(data["args"]))
    if kind == "club":
        return ClubCommand(
            action=data["action"], guild_id=str(data["guild"]), channel_id=str(data["channel"]),
            channel_name=str(data["channel_name"]), time=str(data["time"]),
            timezone=str(data["timezone"]), join=bool(data["join"]),
            display_name=str(data["display_name"]),
        )
    raise ValueError(f"unknown inbound kind {kind!r}")


def envelope_text(envelope: Envelope) -> str:
    return json.dumps(
        {"ref": ref_data(envelope.ref), "inbound": inbound_data(envelope.inbound),
         "origin": envelope.origin, "note": envelope.note},
        ensure_ascii=False, separators=(",", ":"),
    )


def envelope_of(platform: str, event_id: str, text: str) -> Envelope:
    data = json.loads(text)
    return Envelope(platform, event_id, ref_of(data["ref"]), inbound_of(data["inbound"]),
                    str(data.get("origin", "")), str(data.get("note", "")))


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def picture_data(picture: Picture) -> dict[str, Any]:
    return {"png": _b64(picture.png), "alt": picture.alt, "filename": picture.filename,
            "width": picture.width, "height": picture.height, "mime": picture.mime}


def picture_of(data: dict[str, Any]) -> Picture:
    return Picture(base64.b64decode(data["png"]), str(data["alt"]), str(data["filename"]),
                   int(data.get("width", 0)), int(data.get("height", 0)),
                   str(data.get("mime", "image/png")))


def attachment_data(attachment: Attachment) -> dict[str, Any]:
    if isinstance(attachment, Picture):
        return {"kind": "picture", **picture_data(attachment)}
    if isinstance(attachment, Animation):
        return {"kind": "animation", "gif": _b64(attachment.gif),
                "still": picture_data(attachment.still), "filename": attachment.filename,
                "width": attachment.width, "height": attachment.height,
                "mime": attachment.mime}
    return {"kind": "document", "data": _b64(attachment.data), "filename": attachment.filename,
            "mime": attachment.mime, "description": attachment.description,
            "preview": picture_data(attachment.preview) if attachment.preview else None}


def attachment_of(data: dict[str, Any]) -> Attachment:
    kind = data["kind"]
    if kind == "picture":
        return picture_of(data)
    if kind == "animation":
        return Animation(base64.b64decode(data["gif"]), picture_of(data["still"]),
                         str(data["filename"]), int(data["width"]), int(data["height"]),
                         str(data["mime"]))
    if kind == "document":
        preview = data.get("preview")
        return Document(base64.b64decode(data["data"]), str(data["filename"]),
                        str(data["mime"]), str(data["description"]),
                        picture_of(preview) if preview else None)
    raise ValueError(f"unknown attachment kind {kind!r}")


def reply_data(reply: Reply) -> dict[str, Any]:
    data: dict[str, Any] = {"key": reply.key, "text": reply.text}
    if reply.buttons:
        data["buttons"] = [[[b.label, b.data] for b in row] for row in reply.buttons]
    if reply.attachment is not None:
        data["attachment"] = attachment_data(reply.attachment)
    if not reply.private:
        data["private"] = False
    if reply.chosen is not None:
        data["chosen"] = reply.chosen
    if reply.replaces_pressed:
        data["replaces_pressed"] = True
    if reply.ephemeral:
        data["ephemeral"] = True
    if reply.asks is not None:
        data["asks"] = reply.asks
    if reply.typed_answer is not None:
        data["typed_answer"] = reply.typed_answer
    if reply.parts:
        data["parts"] = list(reply.parts)
    if reply.joins_pressed:
        data["joins_pressed"] = True
    if reply.alone:
        data["alone"] = True
    return data


def reply_of(data: dict[str, Any]) -> Reply:
    attachment = data.get("attachment")
    asks = data.get("asks")
    return Reply(
        key=str(data["key"]),
        text=str(data["text"]),
        buttons=tuple(tuple(Button(str(label), str(value)) for label, value in row)
                      for row in data.get("buttons", ())),
        attachment=attachment_of(attachment) if attachment else None,
        private=bool(data.get("private", True)),
        chosen=data.get("chosen"),
        replaces_pressed=bool(data.get("replaces_pressed", False)),
        ephemeral=bool(data.get("ephemeral", False)),
        asks=asks if asks in ("choice", "value", "text") else None,
        typed_answer=data.get("typed_answer"),
        parts=tuple(str(k) for k in data.get("parts", ())),
        joins_pressed=bool(data.get("joins_pressed", False)),
        alone=bool(data.get("alone", False)),
    )


def replies_text(replies: Sequence[Reply]) -> str:
    return json.dumps([reply_data(r) for r in replies], ensure_ascii=False,
                      separators=(",", ":"))


def replies_of(text: str) -> list[Reply]:
    return [reply_of(item) for item in json.loads(text)]


def delivery_text(ref: ConversationRef, replies: Sequence[Reply]) -> str:
    return json.dumps({"ref": ref_data(ref), "replies": [reply_data(r) for r in replies]},
                      ensure_ascii=False, separators=(",", ":"))


def delivery_of(text: str) -> tuple[ConversationRef, list[Reply]]:
    data = json.loads(text)
    return ref_of(data["ref"]), [reply_of(item) for item in data["replies"]]


def ids_text(ids: Sequence[str]) -> str:
    return json.dumps(list(ids))


def ids_of(text: str | None) -> list[str]:
    return [str(i) for i in json.loads(text)] if text else []
