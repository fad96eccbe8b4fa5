"""Short teaching topics (``content/locales/<lang>/education.yaml``)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from bot.content.models import Id, Model, NonEmptyStr, text


class Topic(Model):
    """One education topic. ``body`` fits one Discord message with room for a title."""

    id: Id
    title: NonEmptyStr
    aliases: list[NonEmptyStr]
    short: Annotated[str, text(400)]
    body: Annotated[str, text(1799)]
    source: NonEmptyStr


class EducationFile(Model):
    topics: list[Topic] = Field(min_length=1)
