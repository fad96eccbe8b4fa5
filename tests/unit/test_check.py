"""`kneecoach check` passes on the shipped content and names file, entry and field."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from bot.check import run_check
from bot.content import default_content_root, default_dialogs_root


def _copy(tmp_path: Path) -> tuple[Path, Path]:
    content = tmp_path / "content"
    dialogs = tmp_path / "dialogs"
    shutil.copytree(default_content_root(), content)
    shutil.copytree(default_dialogs_root(), dialogs)
    return content, dialogs


def test_shipped_content_passes() -> None:
    assert run_check(default_content_root(), default_dialogs_root()) == []


def test_cli_exit_codes(tmp_path: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "bot.cli", "check"], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0, ok.stderr


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_next_pointing_nowhere(tmp_path: Path) -> None:
    content, dialogs = _copy(tmp_path)
    _edit(dialogs / "intake.yaml", "    next: side\n", "    next: sidee\n")
    problems = run_check(content, dialogs)
    assert any(
        "dialogs/intake.yaml" in p and "step 'location'" in p and "'next'" in p and "sidee" in p
        for p in problems
    ), problems


def test_path_that_never_ends(tmp_path: Path) -> None:
    content, dialogs = _copy(tmp_path)
    _edit(dialogs / "weekly.yaml", "    next: done\n", "    next: rating\n")
    problems = run_check(content, dialogs)
    assert any("dialogs/weekly.yaml" in p and "ever reaches an 'end'" in p for p in problems), (
        problems
    )


def test_unknown_exercise_in_a_dialog(tmp_path: Path) -> None:
    content, dialogs = _copy(tmp_path)
    _edit(
        dialogs / "daily.yaml",
        "    action: show_session\n",
        "    action: show_session\n    exercise: moonwalk\n",
    )
    problems = run_check(content, dialogs)
    assert any(
        "dialogs/daily.yaml" in p and "step 'show'" in p and "'exercise'" in p and "moonwalk" in p
        for p in problems
    ), problems


def test_missing_field(tmp_path: Path) -> None:
    content, dialogs = _copy(tmp_path)
    _edit(dialogs / "checkin.yaml", "    min: 0\n", "")
    problems = run_check(content, dialogs)
    assert any("dialogs/checkin.yaml" in p and "step 'pain'" in p for p in problems), problems


def test_text_too_long_for_discord(tmp_path: Path) -> None:
    content, dialogs = _copy(tmp_path)
    words = content / "locales" / "en" / "dialogs" / "weekly.yaml"
    _edit(words, "      Once a week I ask", "      " + "very " * 450 + "Once")
    problems = run_check(content, dialogs)
    assert any(
        "dialogs/weekly.yaml" in p and "step 'rating'" in p and "2000" in p for p in problems
    ), problems


def test_broken_content_file_is_named(tmp_path: Path) -> None:
    content, dialogs = _copy(tmp_path)
    _edit(content / "programme.yaml", "daily: [hamstring_stretch,", "daily: [ham_sandwich,")
    problems = run_check(content, dialogs)
    assert any("programme.yaml" in p and "ham_sandwich" in p for p in problems), problems


def test_unknown_action(tmp_path: Path) -> None:
    content, dialogs = _copy(tmp_path)
    _edit(dialogs / "forget.yaml", "    action: forget\n", "    action: forgett\n")
    problems = run_check(content, dialogs)
    assert any("dialogs/forget.yaml" in p and "'action'" in p for p in problems), problems
