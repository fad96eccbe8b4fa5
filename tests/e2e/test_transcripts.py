"""Golden transcripts: scripted terminal conversations through `kneecoach chat --script`.

Each script's JSON-lines output must match its golden file exactly. After a deliberate
change to content or dialogs, regenerate with:  UPDATE_GOLDEN=1 make test
"""

from __future__ import annotations

import io
import json
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import run_chat

HERE = Path(__file__).parent
START = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)  # a Monday, 06:00 in London


async def transcript(
    tmp_path: Path, script: str, start: datetime = START
) -> list[dict[str, object]]:
    path = tmp_path / "script.txt"
    path.write_text(script, encoding="utf-8")
    out = io.StringIO()
    code = await run_chat(tmp_path / "k.db", "runner", str(path), True, start, out=out)
    assert code == 0
    # Saved files are named by where the test ran: the golden files say <tmp>.
    text = out.getvalue().replace(json.dumps(str(tmp_path))[1:-1], "<tmp>")
    return [json.loads(line) for line in text.splitlines()]


def check_golden(name: str, records: list[dict[str, object]]) -> None:
    golden = HERE / "golden" / f"{name}.jsonl"
    text = "".join(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n" for r in records)
    if os.environ.get("UPDATE_GOLDEN") == "1" or not golden.exists():
        if os.environ.get("CI") and not golden.exists():
            pytest.fail(f"golden file {golden} is missing")
        golden.write_text(text, encoding="utf-8")
    assert text == golden.read_text(encoding="utf-8"), (
        f"{name} differs from its golden transcript (UPDATE_GOLDEN=1 to accept a change)"
    )


def said(record: dict[str, object]) -> list[str]:
    """The keys of one message: those folded into it (``parts``), then its own."""
    parts = record.get("parts", [])
    assert isinstance(parts, list)
    return [*(str(p) for p in parts), str(record["key"])]


def keys(records: list[dict[str, object]]) -> list[str]:
    return [key for r in records for key in said(r)]


@pytest.mark.parametrize(
    "outcome", ["pfp_program", "urgent", "see_clinician", "other_likely", "unclear"]
)
async def test_intake_reaches_each_triage_outcome(tmp_path: Path, outcome: str) -> None:
    script = (HERE / "scripts" / f"intake_{outcome}.txt").read_text(encoding="utf-8")
    records = await transcript(tmp_path, script)
    assert f"safety.{outcome}" in keys(records)
    answer = next(r for r in records if f"safety.{outcome}" in said(r))
    assert "not a diagnosis" in str(answer["text"]).lower()
    if outcome == "pfp_program":
        assert keys(records)[-1] == "intake.ask.offer"
    else:
        assert "intake.ask.offer" not in keys(records)
    if outcome == "urgent":
        # the safety net wins at once, before the remaining questions
        assert "intake.ask.location" not in keys(records)
        # and /today offers no exercises until a clinician has seen the knee
        assert keys(records)[-1] == "safety.hold"
    check_golden(f"intake_{outcome}", records)
