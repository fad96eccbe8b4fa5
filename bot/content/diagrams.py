"""``kneecoach diagrams``: a Mermaid diagram beside each dialog, in the default language, so
a clinician can review a dialog from its diagram alone."""

from __future__ import annotations

from pathlib import Path

from bot.content.bundle import Bundle
from bot.content.dialogs import mermaid


def diagram_markdown(bundle: Bundle, dialog_id: str) -> str:
    content = bundle.content()
    dialog = content.dialogs[dialog_id]
    return (f"# Dialog `{dialog.id}`: {dialog.title}\n\n```mermaid\n"
            f"{mermaid(dialog, content.resolve)}```\n")


def write_diagrams(bundle: Bundle, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for dialog_id in bundle.content().dialogs:
        target = out / f"{dialog_id}.md"
        target.write_text(diagram_markdown(bundle, dialog_id), encoding="utf-8")
        written.append(target)
    return written
