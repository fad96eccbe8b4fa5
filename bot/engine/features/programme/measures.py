"""What counts as change (pure): pain compared with the first check-ins, the function score
compared with the start, and when a function check is due.

- Pain: the median worst pain of the first three check-ins against the median of the last
  week's (at most three); a drop of 2 points counts (Crossley 2004: about 2 on a 10 cm VAS;
  Piva 2009: about 1.2 on an 11-point scale).
- Function: Kneecoach's own five questions, 0-20 (not a validated scale); a gain of
  ``clear_gain`` points over the start counts (the Kujala scale's MCID is about 10 of 100,
  and ours asks for a little more, 15% of the scale).
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from datetime import date

from bot.content.locale import Content
from bot.domain.records import Checkin, Plan

BASELINE = 0  # the week a function check at the start is recorded under


def pain_change(checkins: Sequence[Checkin], today: date) -> tuple[float, float] | None:
    """(first, recent) median worst pain; None with fewer than three check-ins."""
    if len(checkins) < 3:
        return None
    baseline = statistics.median(c.worst_pain for c in checkins[:3])
    window = [c for c in checkins if (today - c.local_date).days < 7]
    recent = statistics.median(c.worst_pain for c in (window or list(checkins[-3:]))[-3:])
    return baseline, recent


def function_gain(totals: Mapping[int, int]) -> int | None:
    """The latest function total minus the one at the start (None without both)."""
    later = [week for week in totals if week != BASELINE]
    if BASELINE not in totals or not later:
        return None
    return totals[max(later)] - totals[BASELINE]


def function_week_due(plan: Plan, today: date, weeks: Sequence[int],
                      totals: Mapping[int, int]) -> int | None:
    """The function check due now: the latest of ``weeks`` reached, if not yet answered;
    the start's, when there is none yet and no later one is due."""
    elapsed = (today - plan.started_on).days
    reached = [w for w in weeks if elapsed >= 7 * w]
    if reached:
        latest = max(reached)
        return latest if latest not in totals else None
    return BASELINE if BASELINE not in totals else None


def function_scale(content: Content) -> tuple[list[str], int]:
    """The function check's questions (the answers they are saved under, from
    dialogs/function.yaml) and the highest total (20)."""
    steps = [s for s in content.dialogs["function"].steps.values()
             if s.kind == "choice" and s.save]
    return ([str(s.save) for s in steps],
            sum(max(int(o.id) for o in s.options) for s in steps))
