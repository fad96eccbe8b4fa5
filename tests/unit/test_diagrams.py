"""The Mermaid diagram beside each dialog is generated from its YAML and kept current."""

from __future__ import annotations

from bot.engine.coach import default_dialogs_root
from bot.engine.dialogs import load_dialogs, mermaid

DOCS = default_dialogs_root()


def test_every_dialog_has_a_current_diagram() -> None:
    for dialog in load_dialogs(default_dialogs_root()).values():
        page = (DOCS / f"{dialog.id}.md").read_text(encoding="utf-8")
        assert mermaid(dialog) in page, f"run `kneecoach diagrams`: {dialog.id} is stale"


def test_diagram_shows_every_step_and_branch() -> None:
    intake = load_dialogs(default_dialogs_root())["intake"]
    chart = mermaid(intake)
    for step in intake.steps:
        assert f"    {step}" in chart
    assert 'consent -- "consent=no" --> declined' in chart
