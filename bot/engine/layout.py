"""How buttons are laid out in rows: at most five a row (Discord's limit, fine on Telegram),
spread evenly so the last row is never a lonely leftover (11 buttons: 4, 4, 3)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

MAX_ROW = 5
_T = TypeVar("_T")


def rows(items: Sequence[_T], per_row: int = MAX_ROW) -> tuple[tuple[_T, ...], ...]:
    if not items:
        return ()
    per_row = max(1, min(per_row, MAX_ROW))
    count = math.ceil(len(items) / per_row)
    size = math.ceil(len(items) / count)
    return tuple(tuple(items[i : i + size]) for i in range(0, len(items), size))
