"""The shape of a declarative dialog file in dialogs/ (validated with pydantic)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

StepKind = Literal[
    "choice", "yesno", "number", "text", "time", "timezone", "days", "say", "action", "end"
]
INPUT_KINDS = frozenset({"choice", "yesno", "number", "text", "time", "timezone", "days"})


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Option(_Strict):
    id: str = Field(min_length=1, max_length=24, pattern=r"^[a-z0-9_+-]+$")
    label: str = Field(min_length=1, max_length=40)
    match: tuple[str, ...] = ()

    @field_validator("id", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: object) -> object:
        # YAML 1.1 reads a bare yes/no/on/off as a boolean; ids are always text.
        if isinstance(value, bool):
            return "yes" if value else "no"
        return value

    @field_validator("match", mode="before")
    @classmethod
    def _yaml_boolean_words(cls, value: object) -> object:
        if isinstance(value, list):
            return [("yes" if v else "no") if isinstance(v, bool) else str(v) for v in value]
        return value


class Branch(_Strict):
    when: dict[str, str | list[str]] = Field(default_factory=dict, alias="if")
    goto: str

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("when", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: object) -> object:
        if isinstance(value, dict):
            return {
                k: ("yes" if v is True else "no" if v is False else v) for k, v in value.items()
            }
        return value


class Step(_Strict):
    kind: StepKind
    text: str | None = None
    text_ref: str | None = None
    options: tuple[Option, ...] = ()
    save: str | None = None
    min: int | None = None
    max: int | None = None
    max_len: int | None = None
    action: str | None = None
    exercise: str | None = None
    prefill: str | None = None
    hint: str | None = None
    next: str | tuple[Branch, ...] | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Step:
        if self.kind == "choice" and len(self.options) < 2:
            raise ValueError("a choice step needs at least two options")
        if self.kind == "action" and not self.action:
            raise ValueError("an action step needs 'action'")
        if self.kind in INPUT_KINDS | {"say"} and not (self.text or self.text_ref):
            raise ValueError("a step that speaks needs 'text' or 'text_ref'")
        if self.kind != "end" and self.next is None:
            raise ValueError("every step but 'end' needs 'next'")
        if self.kind == "number" and (self.min is None or self.max is None):
            raise ValueError("a number step needs 'min' and 'max'")
        return self

    def targets(self) -> list[str]:
        if self.next is None:
            return []
        if isinstance(self.next, str):
            return [self.next]
        return [branch.goto for branch in self.next]


class Dialog(_Strict):
    id: str = Field(pattern=r"^[a-z_]+$")
    title: str
    start: str
    steps: dict[str, Step]

    @model_validator(mode="after")
    def _wired(self) -> Dialog:
        if self.start not in self.steps:
            raise ValueError(f"start step {self.start!r} is not a step")
        return self
