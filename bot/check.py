"""`kneecoach check`: validates content/ and dialogs/ and names file, entry and field."""

from __future__ import annotations

from pathlib import Path

from bot.content import ContentError, check_content, load_content
from bot.engine.coach import ACTION_NAMES
from bot.engine.dialogs import DialogError, check_dialog, load_dialog_file
from bot.engine.messages import Messages
from bot.engine.texts import TextBook


def run_check(content_root: Path, dialogs_root: Path) -> list[str]:
    problems = list(check_content(content_root))
    if problems:
        return problems
    try:
        content = load_content(content_root)
    except ContentError as exc:
        return [str(exc)]
    messages_path = content_root / "messages.yaml"
    try:
        messages = Messages.load(messages_path)
    except (ValueError, OSError) as exc:
        return [f"content/messages.yaml: {exc}"]
    for key in messages.keys():
        if len(messages.get(key)) > 2000:
            problems.append(
                f"content/messages.yaml: entry '{key}': field 'text': over 2000 characters"
            )
    book = TextBook(content, messages)
    for path in sorted(dialogs_root.glob("*.yaml")):
        try:
            dialog = load_dialog_file(path)
        except DialogError as exc:
            problems.append(str(exc))
            continue
        problems.extend(
            check_dialog(path, dialog, set(content.exercises), book.resolve, set(ACTION_NAMES))
        )
    return problems
