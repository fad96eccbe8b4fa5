"""Field types shared by the content models."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints

NonEmptyStr = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Id = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=40)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


def text(max_length: int) -> Any:
    """A non-empty, stripped string of at most ``max_length`` characters."""
    return StringConstraints(strip_whitespace=True, min_length=1, max_length=max_length)


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)
