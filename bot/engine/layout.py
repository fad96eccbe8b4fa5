"""How buttons are laid out in rows: never more a row than the narrowest platform allows
(``Layout.row_limit``, from the platforms' ``Capabilities``), spread evenly so the last row is
never a lonely leftover (11 buttons at five a row: 4, 4, 3). It also carries the other limits
of one message the engine must keep to without knowing the platform: the fewest characters
(``max_text``) and rows of buttons (``max_rows``) any platform takes in one message."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Layout:
    row_limit: int  # the fewest buttons a row any platform takes
    max_text: int = 2**31 - 1  # the fewest characters one message may hold on any platform
    max_rows: int = 2**31 - 1  # the fewest rows of buttons one message may hold

    def rows(self, items: Sequence[_T], per_row: int | None = None) -> tuple[tuple[_T, ...], ...]:
        """``items`` in rows of at most ``per_row`` (and never over the limit)."""
        if not items:
            return ()
        width = max(1, min(per_row or self.row_limit, self.row_limit))
        count = math.ceil(len(items) / width)
        size = math.ceil(len(items) / count)
        return tuple(tuple(items[i : i + size]) for i in range(0, len(items), size))
