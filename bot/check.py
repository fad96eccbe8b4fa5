"""`kneecoach check`: build the content bundle, the safety rules and the coach with its
features exactly as `kneecoach run` does, and report every problem naming file, entry and
field (a broken rules file stops the bot; it never switches the safety net off)."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from bot.content import Bundle, ContentError, TextLimits, load_bundle
from bot.engine.feature import Registry
from bot.engine.screener import Screener, TriageDataError
from bot.engine.triage import Triage


def text_limits() -> TextLimits:
    """The longest message every platform takes, and the platform that sets it."""
    from bot.platforms import all_capabilities

    caps = all_capabilities()
    smallest = min(caps, key=lambda c: c.max_text)
    caption = min(caps, key=lambda c: c.max_caption)
    return TextLimits(smallest.max_text, smallest.platform.capitalize(), caption.max_caption,
                      caption.platform.capitalize())


def check_buttons(bundle: Bundle) -> list[str]:
    """Every dialog option fits every platform's button: its label and its data."""
    from bot.content.dialogs import button_data_for
    from bot.platforms import all_capabilities

    caps = all_capabilities()
    data_cap = min(caps, key=lambda c: c.max_button_data)
    label_cap = min(caps, key=lambda c: c.max_button_label)
    problems: list[str] = []
    for code, content in bundle.locales.items():
        for dialog in content.dialogs.values():
            for step_id, step in dialog.steps.items():
                where = f"dialogs/{dialog.id}.yaml: step '{step_id}'"
                for option in step.options:
                    data = button_data_for(dialog.id, step_id, option.id).encode()
                    if len(data) > data_cap.max_button_data:
                        problems.append(
                            f"{where}: field 'options': button data for '{option.id}' would be "
                            f"{len(data)} bytes, over {data_cap.platform.capitalize()}'s "
                            f"{data_cap.max_button_data}")
                    if len(option.label) > label_cap.max_button_label:
                        problems.append(
                            f"{bundle.root.name}/locales/{code}/dialogs/{dialog.id}.yaml: step "
                            f"'{step_id}': field 'options.{option.id}.label': over "
                            f"{label_cap.platform.capitalize()}'s {label_cap.max_button_label}"
                            " characters")
    label = f"{bundle.root.name}/timezones.yaml"
    buttons = bundle.timezones.buttons
    for i, button in enumerate(buttons):
        if len(button.label) > label_cap.max_button_label:
            problems.append(f"{label}: button #{i + 1}: field 'label': over "
                            f"{label_cap.platform.capitalize()}'s {label_cap.max_button_label}"
                            " characters")
    most = min(c.buttons_per_row * c.button_rows for c in caps)
    if len(buttons) > most:
        problems.append(f"{label}: top level: field 'buttons': at most {most} fit one message")
    return problems


def compile_rules(bundle: Bundle) -> tuple[Screener | None, list[str]]:
    """The screener, compiled once from the bundle's rules (every language's triage words
    checked against it), or the problems building it."""
    try:
        screener = Screener(bundle.rules)
    except TriageDataError as exc:
        return None, [f"{bundle.root.name}/triage.yaml: {exc}"]
    for code, content in bundle.locales.items():
        try:
            Triage(bundle.rules, content.triage, screener)
        except TriageDataError as exc:
            return None, [f"{bundle.root.name}/triage.yaml: {exc}"
                          + ("" if code == bundle.default_locale else f" (with the {code} words)")]
    return screener, []


def check_registry(registry: Registry, bundle: Bundle) -> list[str]:
    """The features' wiring against the content: every dialog action is registered, every
    text key the code uses exists in every language with no placeholder the code does not
    fill in."""
    problems: list[str] = []
    for dialog in bundle.content().dialogs.values():
        for step_id, step in dialog.steps.items():
            if step.action and step.action not in registry.actions:
                problems.append(f"dialogs/{dialog.id}.yaml: step '{step_id}': field 'action': "
                                f"unknown action '{step.action}'")
    for code, content in bundle.locales.items():
        label = f"{bundle.root.name}/locales/{code}/messages.yaml"
        for key, given in sorted(registry.text_keys.items()):
            if key not in content.texts:
                problems.append(f"{label}: entry '{key}': missing (the code uses it)")
                continue
            unknown = content.texts.placeholders(key) - given
            if unknown:
                problems.append(
                    f"{label}: entry '{key}': unknown placeholder(s) "
                    f"{', '.join('{' + u + '}' for u in sorted(unknown))}; the code fills in "
                    f"{', '.join('{' + g + '}' for g in sorted(given)) or 'none'}"
                )
    return problems


@dataclass(frozen=True, slots=True)
class Checked:
    """Content that passed every check, and the rules compiled from it (compiling them is
    most of a start-up: done once, then handed to the coach)."""

    bundle: Bundle
    screener: Screener


async def build_checked(content_root: Path, dialogs_root: Path) -> Checked:
    """The checked bundle and its compiled rules, or ``ContentError`` with every problem
    (content, rules, wiring)."""
    from bot.assembly import open_coach

    bundle = load_bundle(content_root, dialogs_root, text_limits())
    screener, problems = compile_rules(bundle)
    problems += check_buttons(bundle)
    if problems or screener is None:
        raise ContentError(problems)
    coach = await open_coach(":memory:", bundle=bundle, screener=screener)
    try:
        problems = check_registry(coach.registry, bundle)
    finally:
        await coach.close()
    if problems:
        raise ContentError(problems)
    return Checked(bundle, screener)


def run_check(content_root: Path, dialogs_root: Path) -> list[str]:
    try:
        asyncio.run(build_checked(content_root, dialogs_root))
    except ContentError as exc:
        return exc.problems
    return []


__all__ = ["Checked", "build_checked", "check_buttons", "check_registry", "compile_rules",
           "run_check", "text_limits"]
