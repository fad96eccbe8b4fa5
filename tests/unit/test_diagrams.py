"""The Mermaid diagram beside each dialog is generated from its wiring and its English words,
and kept current: a clinician can review a dialog from its diagram alone."""

from __future__ import annotations

from bot.content.diagrams import diagram_markdown
from bot.content.dialogs import mermaid
from tests.support.content import shipped_bundle


def test_every_dialog_has_a_current_diagram() -> None:
    bundle = shipped_bundle()
    for dialog_id in bundle.content().dialogs:
        page = (bundle.dialogs_root / f"{dialog_id}.md").read_text(encoding="utf-8")
        assert page == diagram_markdown(bundle, dialog_id), (
            f"run `kneecoach diagrams`: {dialog_id} is stale"
        )


def test_diagram_shows_every_step_branch_question_and_option() -> None:
    content = shipped_bundle().content()
    intake = content.dialogs["intake"]
    chart = mermaid(intake, content.resolve)
    for step in intake.steps:
        assert f"    {step}" in chart
    assert 'consent -- "consent=no" --> decline_consent' in chart
    assert 'decline_consent -- "otherwise" --> declined' in chart
    assert "Which knee is it?" in chart
    assert "▸ Left<br/>▸ Right<br/>▸ Both" in chart
    assert "▸ I agree<br/>▸ No thanks" in chart
    assert 'consent -- "otherwise" --> record_consent' in chart


def test_diagram_shows_the_jumps_between_dialogs() -> None:
    content = shipped_bundle().content()
    chart = mermaid(content.dialogs["daily"], content.resolve)
    assert 'record -. "then" .-> dialog_checkin' in chart
    assert 'dialog_checkin[["dialog: checkin"]]' in chart
