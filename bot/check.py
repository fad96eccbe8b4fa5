"""`kneecoach check`: build the content bundle and the safety rules exactly as `kneecoach run`
does, and report every problem naming file, entry and field."""

from __future__ import annotations

from pathlib import Path

from bot.content import Bundle, ContentError, TextLimits, load_bundle
from bot.engine.coach import ACTION_NAMES
from bot.engine.screener import TriageDataError
from bot.engine.triage import Triage

TRIAGE_RULES = "content/triage.yaml"


def text_limits() -> TextLimits:
    """The longest message every platform takes."""
    from bot.adapters.discord_render import MAX_CONTENT

    return TextLimits(MAX_CONTENT, "Discord")


def compile_rules(bundle: Bundle) -> list[str]:
    """Problems building the screener and triage rules from the bundle, per language."""
    problems: list[str] = []
    for code, content in bundle.locales.items():
        try:
            Triage(bundle.rules, content.triage)
        except TriageDataError as exc:
            problems.append(f"{bundle.root.name}/triage.yaml: {exc} (with the {code} words)")
            break
    return problems


def check_actions(bundle: Bundle) -> list[str]:
    problems: list[str] = []
    for dialog in bundle.content().dialogs.values():
        for step_id, step in dialog.steps.items():
            if step.action and step.action not in ACTION_NAMES:
                problems.append(f"dialogs/{dialog.id}.yaml: step '{step_id}': field 'action': "
                                f"unknown action '{step.action}'")
    return problems


def build_checked(content_root: Path, dialogs_root: Path) -> Bundle:
    """The bundle, or ``ContentError`` with every problem (content, rules, wiring)."""
    bundle = load_bundle(content_root, dialogs_root, text_limits())
    problems = compile_rules(bundle) + check_actions(bundle)
    if problems:
        raise ContentError(problems)
    return bundle


def run_check(content_root: Path, dialogs_root: Path) -> list[str]:
    try:
        build_checked(content_root, dialogs_root)
    except ContentError as exc:
        return exc.problems
    return []
