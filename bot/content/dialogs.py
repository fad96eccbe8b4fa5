"""Declarative dialogs: the wiring (``dialogs/<id>.yaml``: steps, kinds, where answers go,
transitions) and each language's words (``content/locales/<lang>/dialogs/<id>.yaml``:
question texts, option labels and the words that match them, hints), merged into one
``Dialog`` per language; their checks and their diagrams."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

StepKind = Literal[
    "choice", "yesno", "number", "text", "time", "timezone", "days", "say", "action", "end"
]
INPUT_KINDS = frozenset({"choice", "yesno", "number", "text", "time", "timezone", "days"})
SPEAKING_KINDS = INPUT_KINDS | {"say"}
# The longest seq a button may carry (a user would need a billion questions to exceed it).
MAX_SEQ_DIGITS = 9
_SHAPES = {"end": ("([", "])"), "action": ("{{", "}}")}


def _yaml_bool(value: object) -> object:
    # YAML 1.1 reads a bare yes/no/on/off as a boolean; ids and words are always text.
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


OptionId = str


class Branch(_Strict):
    when: dict[str, str | list[str]] = Field(default_factory=dict, alias="if")
    goto: str

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @field_validator("when", mode="before")
    @classmethod
    def _yaml_booleans(cls, value: object) -> object:
        if isinstance(value, dict):
            return {k: _yaml_bool(v) for k, v in value.items()}
        return value


# ----------------------------------------------------------------- wiring (dialogs/)


class StepWiring(_Strict):
    kind: StepKind
    text_ref: str | None = None  # show another text (safety.<name> / messages.<key>)
    options: tuple[str, ...] = ()
    # A choice whose first options are made when it is asked (by an earlier action, in the
    # dialog's data under this name: the moves of today's session), before ``options``.
    options_from: str | None = Field(default=None, pattern=r"^[a-z_]+$")
    save: str | None = None
    min: int | None = None
    max: int | None = None
    max_len: int | None = None
    action: str | None = None
    exercise: str | None = None
    prefill: str | None = None
    next: str | tuple[Branch, ...] | None = None
    # Dialogs an action step may begin once this dialog has ended (for the diagrams).
    then: tuple[str, ...] = ()
    # A choice whose options are ranges of a quantity: a typed number means its value
    # ("28" to the age question is 28 years, "5 weeks" is 2-6 weeks), never a position.
    # option id -> [low, high): low included, high not.
    bands: dict[str, tuple[float, float]] = Field(default_factory=dict)
    unit: Literal["years", "weeks", "km", "minutes"] | None = None

    @field_validator("options", mode="before")
    @classmethod
    def _option_ids(cls, value: object) -> object:
        if isinstance(value, list):
            return [_yaml_bool(v) if isinstance(v, bool) else str(v) for v in value]
        return value

    @field_validator("options")
    @classmethod
    def _option_id_shape(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        for option in value:
            if not re.fullmatch(r"[a-z0-9_+-]{1,24}", option):
                raise ValueError(f"option id {option!r} must be 1-24 of a-z 0-9 _ + -")
        if len(set(value)) != len(value):
            raise ValueError("an option id is listed twice")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> StepWiring:
        if self.kind == "choice" and len(self.options) < 2 and not self.options_from:
            raise ValueError("a choice step needs at least two options")
        if self.options_from and self.kind != "choice":
            raise ValueError("only a choice step may take options from the dialog's data")
        if self.kind == "action" and not self.action:
            raise ValueError("an action step needs 'action'")
        if self.kind != "end" and self.next is None:
            raise ValueError("every step but 'end' needs 'next'")
        if self.kind == "number" and (self.min is None or self.max is None):
            raise ValueError("a number step needs 'min' and 'max'")
        if self.then and self.kind != "action":
            raise ValueError("only an action step may begin another dialog ('then')")
        if self.bands:
            if self.kind != "choice" or self.unit is None:
                raise ValueError("'bands' belong to a choice step with a 'unit'")
            for option, (low, high) in self.bands.items():
                if option not in self.options:
                    raise ValueError(f"bands: {option!r} is not one of the options")
                if not low < high:
                    raise ValueError(f"bands: {option!r} needs low < high")
        return self


class DialogWiring(_Strict):
    id: str = Field(pattern=r"^[a-z_]+$")
    start: str
    steps: dict[str, StepWiring]

    @model_validator(mode="after")
    def _wired(self) -> DialogWiring:
        if self.start not in self.steps:
            raise ValueError(f"start step {self.start!r} is not a step")
        return self


# ----------------------------------------------------------------- words (content/locales)


class OptionWords(_Strict):
    label: str = Field(min_length=1, max_length=40)
    match: tuple[str, ...] = ()

    @field_validator("match", mode="before")
    @classmethod
    def _yaml_boolean_words(cls, value: object) -> object:
        if isinstance(value, list):
            return [_yaml_bool(v) if isinstance(v, bool) else str(v) for v in value]
        return value


class StepWords(_Strict):
    text: str | None = Field(default=None, min_length=1)
    hint: str | None = Field(default=None, min_length=1)
    options: dict[str, OptionWords] = Field(default_factory=dict)

    @field_validator("options", mode="before")
    @classmethod
    def _option_keys(cls, value: object) -> object:
        if isinstance(value, dict):
            return {str(_yaml_bool(k)): v for k, v in value.items()}
        return value


class DialogWords(_Strict):
    title: str = Field(min_length=1)
    steps: dict[str, StepWords] = Field(default_factory=dict)


# ----------------------------------------------------------------- merged, per language


class Option(_Strict):
    id: str
    label: str
    match: tuple[str, ...] = ()


class Step(_Strict):
    kind: StepKind
    text: str | None = None
    text_ref: str | None = None
    options: tuple[Option, ...] = ()
    options_from: str | None = None
    save: str | None = None
    min: int | None = None
    max: int | None = None
    max_len: int | None = None
    action: str | None = None
    exercise: str | None = None
    prefill: str | None = None
    hint: str | None = None
    next: str | tuple[Branch, ...] | None = None
    then: tuple[str, ...] = ()
    bands: dict[str, tuple[float, float]] = Field(default_factory=dict)
    unit: Literal["years", "weeks", "km", "minutes"] | None = None

    @property
    def numeric(self) -> bool:
        """A typed number is this question's value, not a button's position: a number, a
        choice in bands, or a choice whose options are numbers (a 0-4 scale)."""
        return (self.kind == "number" or bool(self.bands)
                or (self.kind == "choice" and bool(self.options)
                    and all(o.id.isdigit() for o in self.options)))

    def targets(self) -> list[str]:
        if self.next is None:
            return []
        if isinstance(self.next, str):
            return [self.next]
        return [branch.goto for branch in self.next]


class Dialog(_Strict):
    id: str
    title: str
    start: str
    steps: dict[str, Step]


def merge_dialog(
    wiring: DialogWiring, words: DialogWords, where: str, problems: list[str]
) -> Dialog | None:
    """Wiring and one language's words together; each missing or stray word is a problem
    naming the words file (``where``), the step and the field."""
    start = len(problems)
    steps: dict[str, Step] = {}
    for step_id in words.steps:
        if step_id not in wiring.steps:
            problems.append(f"{where}: step '{step_id}': no such step in dialogs/{wiring.id}.yaml")
    for step_id, wire in wiring.steps.items():
        said = words.steps.get(step_id, StepWords())
        at = f"{where}: step '{step_id}'"
        if wire.kind in SPEAKING_KINDS and not (said.text or wire.text_ref):
            problems.append(f"{at}: field 'text': Field required")
        if wire.text_ref and said.text:
            problems.append(f"{at}: field 'text': the step shows {wire.text_ref!r} instead")
        options: list[Option] = []
        for option_id in wire.options:
            option = said.options.get(option_id)
            if option is None:
                problems.append(f"{at}: field 'options.{option_id}': Field required")
                continue
            options.append(Option(id=option_id, label=option.label, match=option.match))
        for option_id in said.options:
            if option_id not in wire.options:
                problems.append(f"{at}: field 'options.{option_id}': no such option")
        steps[step_id] = Step(
            kind=wire.kind, text=said.text.strip() if said.text else None,
            text_ref=wire.text_ref, options=tuple(options), options_from=wire.options_from,
            save=wire.save, min=wire.min,
            max=wire.max, max_len=wire.max_len, action=wire.action, exercise=wire.exercise,
            prefill=wire.prefill, hint=said.hint, next=wire.next, then=wire.then,
            bands=wire.bands, unit=wire.unit,
        )
    if len(problems) > start:
        return None
    return Dialog(id=wiring.id, title=words.title, start=wiring.start, steps=steps)


# ----------------------------------------------------------------- checks


def check_wiring(
    name: str,
    dialog: Dialog,
    known_exercises: Iterable[str],
    resolve_ref: Callable[[str], str | None],
    known_dialogs: Iterable[str],
) -> list[str]:
    """Wiring problems in one dialog, each naming the file, the step and the field (actions
    are checked against the registered features by ``kneecoach check``)."""
    exercises, dialogs = set(known_exercises), set(known_dialogs)
    problems: list[str] = []
    for step_id, step in dialog.steps.items():
        where = f"{name}: step '{step_id}'"
        for target in step.targets():
            if target not in dialog.steps:
                problems.append(f"{where}: field 'next': points to unknown step '{target}'")
        if step.exercise and step.exercise not in exercises:
            problems.append(f"{where}: field 'exercise': unknown exercise id '{step.exercise}'")
        if step.text_ref and resolve_ref(step.text_ref) is None:
            problems.append(f"{where}: field 'text_ref': '{step.text_ref}' is not in content/")
        for other in step.then:
            if other not in dialogs:
                problems.append(f"{where}: field 'then': unknown dialog '{other}'")
        if step.kind in INPUT_KINDS - {"text", "choice"} and not step.save:
            problems.append(f"{where}: field 'save': a question must say where its answer goes")
    problems.extend(_never_ending(name, dialog))
    return problems


def button_data_for(dialog_id: str, step_id: str, option_id: str) -> str:
    """The longest button data a dialog option can carry (``d:<dialog>:<step>:<seq>:<id>``)."""
    return f"d:{dialog_id}:{step_id}:{'9' * MAX_SEQ_DIGITS}:{option_id}"


def _never_ending(name: str, dialog: Dialog) -> list[str]:
    """Steps reachable from the start from which no path reaches an 'end' step."""
    reachable: set[str] = set()
    todo = [dialog.start]
    while todo:
        current = todo.pop()
        if current in reachable or current not in dialog.steps:
            continue
        reachable.add(current)
        todo.extend(dialog.steps[current].targets())
    can_end = {sid for sid, step in dialog.steps.items() if step.kind == "end"}
    changed = True
    while changed:
        changed = False
        for sid, step in dialog.steps.items():
            if sid not in can_end and any(t in can_end for t in step.targets()):
                can_end.add(sid)
                changed = True
    problems = [
        f"{name}: step '{sid}': field 'next': no path from here ever reaches an 'end' step"
        for sid in sorted(reachable - can_end)
    ]
    problems.extend(
        f"{name}: step '{sid}': field 'next': no step leads here (unreachable)"
        for sid in sorted(set(dialog.steps) - reachable)
    )
    return problems


def choose_next(step: Step, answers: Mapping[str, Any]) -> str | None:
    if step.next is None or isinstance(step.next, str):
        return step.next
    for branch in step.next:
        if all(_matches(answers.get(key), want) for key, want in branch.when.items()):
            return branch.goto
    return None


def _matches(value: Any, want: str | list[str]) -> bool:
    if isinstance(want, list):
        return str(value) in want
    if want == "*":
        return value is not None
    return str(value) == want


# ----------------------------------------------------------------- diagrams


def _label(text: str, limit: int = 1500) -> str:
    """A text for a Mermaid label: whole (up to ``limit``), one line, no quotes or markup
    (Mermaid wraps it)."""
    plain = " ".join(text.replace("**", "").split())
    plain = plain if len(plain) <= limit else plain[: limit - 1].rstrip() + "…"
    return plain.replace("&", "&amp;").replace('"', "#quot;").replace("<", "&lt;").replace(
        ">", "&gt;")


def mermaid(dialog: Dialog, resolve_ref: Callable[[str], str | None]) -> str:
    """A Mermaid flowchart of the dialog: each step with its question and options, the
    branches, and the dialogs an action may begin next (dotted arrows)."""
    lines = [
        f"%% generated from dialogs/{dialog.id}.yaml and its English words by"
        " `kneecoach diagrams`",
        "flowchart TD",
    ]
    others: set[str] = set()
    for sid, step in dialog.steps.items():
        shape = _SHAPES.get(step.kind, ("[", "]"))
        parts = [f"<b>{sid}</b> <i>{step.kind}</i>"]
        text = step.text or (resolve_ref(step.text_ref) if step.text_ref else None)
        if text:
            parts.append(_label(text))
        if step.action:
            parts.append(f"action: {step.action}")
        if step.options_from:
            parts.append(f"▸ <i>({step.options_from})</i>")
        if step.options:
            parts.append("<br/>".join(f"▸ {_label(o.label, 40)}" for o in step.options))
        elif step.kind == "yesno":
            parts.append("▸ yes<br/>▸ no")
        elif step.kind == "number":
            parts.append(f"{step.min} to {step.max}")
        lines.append(f'    {sid}{shape[0]}"{"<br/>".join(parts)}"{shape[1]}')
    for sid, step in dialog.steps.items():
        if isinstance(step.next, str):
            lines.append(f"    {sid} --> {step.next}")
        elif step.next:
            for branch in step.next:
                cond = ", ".join(
                    f"{k}={'/'.join(v) if isinstance(v, list) else v}"
                    for k, v in branch.when.items()
                )
                arrow = f' -- "{cond or "otherwise"}" --> ' if len(step.next) > 1 else " --> "
                lines.append(f"    {sid}{arrow}{branch.goto}")
        for other in step.then:
            others.add(other)
            lines.append(f'    {sid} -. "then" .-> dialog_{other}')
    for other in sorted(others):
        lines.append(f'    dialog_{other}[["dialog: {other}"]]')
    return "\n".join(lines) + "\n"
