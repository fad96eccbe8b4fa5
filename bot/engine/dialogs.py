"""Loads the declarative dialogs in dialogs/, checks their wiring, draws their diagrams."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from bot.engine.dialog_model import INPUT_KINDS, Dialog, Step

# The longest seq a button may carry (a user would need a billion questions to exceed it).
_MAX_SEQ_DIGITS = 9
CALLBACK_LIMIT = 64
_SHAPES = {"end": ("([", "])"), "action": ("{{", "}}")}
TEXT_LIMIT = 2000


class DialogError(ValueError):
    pass


def load_dialog_file(path: Path) -> Dialog:
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DialogError(f"{_name(path)}: not valid YAML: {exc}") from exc
    try:
        return Dialog.model_validate(raw)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(part) for part in first["loc"]]
        entry, field = _entry_and_field(loc)
        raise DialogError(f"{_name(path)}: {entry}: field '{field}': {first['msg']}") from exc


def load_dialogs(root: Path) -> dict[str, Dialog]:
    dialogs: dict[str, Dialog] = {}
    for path in sorted(root.glob("*.yaml")):
        dialog = load_dialog_file(path)
        if dialog.id != path.stem:
            raise DialogError(f"{_name(path)}: dialog 'id' must be {path.stem!r}")
        dialogs[dialog.id] = dialog
    return dialogs


def check_dialog(
    path: Path,
    dialog: Dialog,
    known_exercises: set[str],
    resolve_ref: Callable[[str], str | None],
    known_actions: set[str],
) -> list[str]:
    """Every wiring problem in one dialog, each naming the file, the step and the field."""
    name = _name(path)
    problems: list[str] = []
    for step_id, step in dialog.steps.items():
        where = f"{name}: step '{step_id}'"
        for target in step.targets():
            if target not in dialog.steps:
                problems.append(f"{where}: field 'next': points to unknown step '{target}'")
        if step.exercise and step.exercise not in known_exercises:
            problems.append(f"{where}: field 'exercise': unknown exercise id '{step.exercise}'")
        if step.action and step.action not in known_actions:
            problems.append(f"{where}: field 'action': unknown action '{step.action}'")
        if step.text_ref and resolve_ref(step.text_ref) is None:
            problems.append(f"{where}: field 'text_ref': '{step.text_ref}' is not in content/")
        text = step.text or (resolve_ref(step.text_ref) if step.text_ref else None) or ""
        if len(text) > TEXT_LIMIT:
            problems.append(
                f"{where}: field 'text': {len(text)} characters, over the {TEXT_LIMIT} that fit "
                "one Discord message (Telegram allows 4096)"
            )
        for option in step.options:
            data = f"d:{dialog.id}:{step_id}:{'9' * _MAX_SEQ_DIGITS}:{option.id}"
            if len(data.encode()) > CALLBACK_LIMIT:
                problems.append(
                    f"{where}: field 'options': button data for '{option.id}' would be "
                    f"{len(data.encode())} bytes, over Telegram's {CALLBACK_LIMIT}"
                )
        if step.kind in INPUT_KINDS - {"text", "choice"} and not step.save:
            problems.append(f"{where}: field 'save': a question must say where its answer goes")
    problems.extend(_never_ending(name, dialog))
    return problems


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


def mermaid(dialog: Dialog) -> str:
    """A Mermaid flowchart of the dialog, generated from its YAML."""
    lines = [
        f"%% generated from dialogs/{dialog.id}.yaml by `kneecoach diagrams`",
        "flowchart TD",
    ]
    for sid, step in dialog.steps.items():
        shape = _SHAPES.get(step.kind, ("[", "]"))
        label = f"{sid}<br/><i>{step.kind}</i>"
        lines.append(f'    {sid}{shape[0]}"{label}"{shape[1]}')
    for sid, step in dialog.steps.items():
        if isinstance(step.next, str):
            lines.append(f"    {sid} --> {step.next}")
        elif step.next:
            for branch in step.next:
                cond = ", ".join(
                    f"{k}={'/'.join(v) if isinstance(v, list) else v}"
                    for k, v in branch.when.items()
                )
                arrow = f' -- "{cond}" --> ' if cond else " --> "
                lines.append(f"    {sid}{arrow}{branch.goto}")
    return "\n".join(lines) + "\n"


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


def _name(path: Path) -> str:
    parts = path.parts
    return "/".join(parts[-2:]) if len(parts) >= 2 else str(path)


def _entry_and_field(loc: list[str]) -> tuple[str, str]:
    if len(loc) >= 2 and loc[0] == "steps":
        return f"step '{loc[1]}'", ".".join(loc[2:]) or "steps"
    return "dialog", ".".join(loc) or "?"
