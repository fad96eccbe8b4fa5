"""How pain has moved, in one word: the trend the progress caption and the clinician's summary
put into words.

The first three check-ins (the baseline) are compared with the three most recent ones, by
their medians. A change of at least 2 points on the 0-10 scale counts (about the smallest
change that matters to a person: Crossley 2004; the escalation rule uses the same 2 points);
anything less is "about the same".
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

MEANINGFUL_CHANGE = 2
WINDOW = 3

Direction = Literal["down", "up", "flat", "few"]


@dataclass(frozen=True, slots=True)
class PainTrend:
    direction: Direction  # "few": not enough check-ins to say
    before: float  # median of the first check-ins
    now: float  # median of the latest ones


def pain_trend(worst_pain: Sequence[int]) -> PainTrend:
    """The trend of daily worst pain, oldest first (at least four check-ins to say)."""
    if len(worst_pain) < WINDOW + 1:
        latest = float(worst_pain[-1]) if worst_pain else 0.0
        first = float(worst_pain[0]) if worst_pain else 0.0
        return PainTrend("few", first, latest)
    before = float(statistics.median(worst_pain[:WINDOW]))
    now = float(statistics.median(worst_pain[-WINDOW:]))
    if before - now >= MEANINGFUL_CHANGE:
        return PainTrend("down", before, now)
    if now - before >= MEANINGFUL_CHANGE:
        return PainTrend("up", before, now)
    return PainTrend("flat", before, now)


def number(value: float) -> str:
    """3.0 -> "3", 3.5 -> "3.5"."""
    return f"{value:g}"
