"""A reviewed or translated copy of content/ named by KNEECOACH_CONTENT (in the environment
or in .env) drives every loader: messages, dialogs' text refs, time-zone buttons."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from bot.content import default_content_root

SCRIPT = "/start\nI agree\n18 or over\nskip\n" + "\n".join(
    ["1", "left", "3 weeks", "y", "y", "y", "n", "n", "n", "n", "n", "n", "25", "none",
     "Yes, let's start", "07:30"]
) + "\n"


def run_chat(tmp_path: Path, env: dict[str, str]) -> list[dict[str, object]]:
    script = tmp_path / "script.txt"
    script.write_text(SCRIPT, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "chat", "--script", str(script), "--json",
         "--db", str(tmp_path / "k.db"), "--clock", "2026-03-02T06:00:00Z"],
        capture_output=True, text=True, check=True, cwd=tmp_path,
        env={**os.environ, **env},
    )
    return [json.loads(line) for line in result.stdout.splitlines()]


def test_a_content_copy_drives_the_bot(tmp_path: Path) -> None:
    copy = tmp_path / "reviewed"
    shutil.copytree(default_content_root(), copy)
    messages = copy / "locales" / "en" / "messages.yaml"
    messages.write_text(
        messages.read_text(encoding="utf-8").replace(
            "Hi, I'm **Kneecoach**", "Hello from the reviewed copy. I'm **Kneecoach**"
        ),
        encoding="utf-8",
    )
    zones = copy / "timezones.yaml"
    zones.write_text(
        zones.read_text(encoding="utf-8").replace('label: "London"', 'label: "Londres"'),
        encoding="utf-8",
    )
    (tmp_path / ".env").write_text(f"KNEECOACH_CONTENT={copy}\n", encoding="utf-8")
    records = run_chat(tmp_path, {})
    assert "reviewed copy" in str(records[0]["text"])
    zone_question = next(r for r in records if r["key"] == "intake.ask.timezone")
    assert "Londres" in zone_question["buttons"]  # type: ignore[operator]
