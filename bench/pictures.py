"""Benchmark: drawing an exercise's pictures, the progress chart and the clinician's summary.

  python -m bench.pictures                 (about a minute; prints a Markdown table)
  python -m bench.pictures --sheet DIR     (also writes every still, a contact sheet and the
                                            summary's PDF and PNG into DIR, to look at)

Each measurement runs in a fresh child process, so its time includes loading Pillow, numpy
or matplotlib on first use and its memory is its own (VmRSS before the first draw, after
it, and after the warm repeats). "warm" is the median of further draws in the same process.
The process starts as ``kneecoach run`` leaves it: the content bundle loaded, the coach's
modules imported.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

WARM_REPEATS = 5
EXERCISE = "clamshell"


def rss_mib() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _timed(fn: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def child(kind: str) -> dict[str, Any]:
    """One measurement in this (fresh) process."""
    import bot.engine.coach  # noqa: F401  (what a running bot has imported)
    from bot.content import load_bundle

    bundle = load_bundle()
    if kind == "exercise":
        from bot.pictures.library import draw

        pose_set = bundle.poses[EXERCISE]

        def once() -> Any:
            return draw(pose_set)
    elif kind == "all_exercises":
        from bot.pictures.library import draw

        def once() -> Any:
            return [draw(p) for p in bundle.poses.values()]
    elif kind == "chart":
        from bot.progress.points import DayPoint, WeekPoint

        start = date(2026, 3, 2)
        days = [DayPoint(start + timedelta(days=d), 6 - d // 8) for d in range(43)]
        weeks = [WeekPoint(w, 6) for w in range(1, 8)]

        def once() -> Any:
            from bot.progress.chart import ChartData, render_progress_png  # loads matplotlib

            return render_progress_png(ChartData(days, weeks, 43, 7, 6), bundle.content().chart)
    elif kind == "summary":
        data, words = asyncio.run(summary_inputs(bundle))

        def once() -> Any:
            from bot.progress.summary import render_summary  # loads matplotlib

            return render_summary(data, words)
    else:
        raise SystemExit(f"unknown measurement {kind!r}")
    before = rss_mib()  # the inputs are ready; nothing drawn and nothing heavy loaded yet
    first, result = _timed(once)
    after_first = rss_mib()
    warm = [_timed(once)[0] for _ in range(WARM_REPEATS if kind != "all_exercises" else 1)]
    size: dict[str, int] = {}
    if kind == "exercise":
        size = {"png": len(result.still), "gif": len(result.animation)}
    elif kind == "summary":
        size = {"pdf": len(result.pdf), "png": len(result.png)}
    elif kind == "chart":
        size = {"png": len(result)}
    return {"kind": kind, "first_s": first, "warm_s": statistics.median(warm),
            "rss_before": before, "rss_after_first": after_first, "rss_after": rss_mib(),
            "bytes": size}


async def summary_inputs(bundle: Any) -> Any:
    """A runner six weeks in, through the real coach: the summary's data and words."""
    from bot.assembly import open_coach
    from bot.domain.clock import FakeClock

    clock = FakeClock(datetime(2026, 3, 2, 6, 0, tzinfo=UTC))
    coach = await open_coach(":memory:", clock=clock, bundle=bundle)
    try:
        from tests.support.client import CoachClient, enrol

        client = CoachClient(coach)
        await enrol(client, story="It aches behind my kneecap on stairs and downhill runs.",
                    race="Yes, within 8 weeks")
        user = await coach.users.find("console", client.user_id)
        assert user is not None
        for day in range(42):
            clock.advance(timedelta(days=1))
            if 10 <= day <= 12:
                continue  # on hold: swelling, until a clinician has seen it
            if day == 13:
                await client.send("/today")
                await client.press("A clinician has checked it")
            if day % 6:
                await client.send("/today")  # the day's workout, from the runner's ladders
                today = (clock.now() + timedelta(hours=1)).date()
                await coach.stores.programme.record_session(user.id, today, "done", clock.now())
            await client.send("/checkin")
            await client.press(str(max(1, 6 - day // 7)))
            await client.press("No")
            await client.press("Yes" if day == 9 else "No")  # swelling on day 9
            if client.keys[-1] == "checkin.ask.ran":  # a 5 km run every other day
                await client.press("Yes" if day % 2 else "No")
                if day % 2:
                    await client.send("5")
            if client.keys[-1] == "weekly.ask.rating":
                await client.press("Better")
            while client.keys[-1].startswith("function.ask."):  # weeks 3 and 6
                await client.press("Slight difficulty")
        summary = next(f for f in coach.features if f.name == "summary")
        session = coach.session(user, await coach.users.dialog_state(user.id))
        data = await summary.assemble(session)  # type: ignore[attr-defined]
        return data, summary.words(session, data)  # type: ignore[attr-defined]
    finally:
        await coach.close()


def measure(kind: str) -> dict[str, Any]:
    out = subprocess.run([sys.executable, "-m", "bench.pictures", "--child", kind],
                         check=True, capture_output=True, text=True)
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def sheet(folder: Path) -> None:
    """Every exercise's still, a contact sheet of them and the summary, to look at."""
    import io

    from PIL import Image

    from bot.content import load_bundle
    from bot.pictures.library import draw

    folder.mkdir(parents=True, exist_ok=True)
    bundle = load_bundle()
    stills = []
    for ex_id, pose_set in sorted(bundle.poses.items()):
        pictures = draw(pose_set)
        (folder / f"{ex_id}.png").write_bytes(pictures.still)
        (folder / f"{ex_id}.gif").write_bytes(pictures.animation)
        stills.append(Image.open(io.BytesIO(pictures.still)).convert("RGB"))
    w, h, cols = 320, 240, 4
    contact = Image.new("RGB", (w * cols, h * -(-len(stills) // cols)), "white")
    for i, still in enumerate(stills):
        contact.paste(still.resize((w - 4, h - 4)), ((i % cols) * w + 2, (i // cols) * h + 2))
    contact.save(folder / "contact-sheet.png")
    from bot.progress.summary import render_summary

    data, words = asyncio.run(summary_inputs(bundle))
    files = render_summary(data, words)
    (folder / "summary.pdf").write_bytes(files.pdf)
    (folder / "summary.png").write_bytes(files.png)
    print(f"wrote {len(stills)} stills and animations, contact-sheet.png and the summary "
          f"to {folder}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--sheet", type=Path, help="write the pictures into this folder")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child)))
        return 0
    if args.sheet:
        sheet(args.sheet)
    rows = [measure(kind) for kind in ("exercise", "chart", "summary", "all_exercises")]
    names = {"exercise": f"one exercise ({EXERCISE}): still PNG + 24-frame GIF",
             "chart": "progress chart (43 days, 7 weeks)",
             "summary": "clinician's summary: PDF + PNG preview",
             "all_exercises": "all 26 exercises' pictures, one after another"}
    print(f"Python {sys.version.split()[0]}; each row a fresh process.\n")
    print("| what | first draw (s, includes imports) | warm (s, median) | RSS before (MiB) "
          "| after first (MiB) | after warm (MiB) | output |")
    print("|---|---:|---:|---:|---:|---:|---|")
    for row in rows:
        output = ", ".join(f"{k} {v / 1024:.0f} KiB" for k, v in row["bytes"].items())
        print(f"| {names[row['kind']]} | {row['first_s']:.2f} | {row['warm_s']:.2f} | "
              f"{row['rss_before']:.1f} | {row['rss_after_first']:.1f} | "
              f"{row['rss_after']:.1f} | {output} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
