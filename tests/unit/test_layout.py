"""Button rows: never over the narrowest door's limit, spread evenly."""

from __future__ import annotations

from bot.assembly import layout
from bot.engine.layout import Layout

FIVE = Layout(row_limit=5)


def test_rows_are_even_and_never_over_the_limit() -> None:
    assert [len(r) for r in FIVE.rows(list(range(11)))] == [4, 4, 3]
    assert [len(r) for r in FIVE.rows(list(range(4)))] == [4]
    assert [len(r) for r in FIVE.rows(list(range(8)), per_row=2)] == [2, 2, 2, 2]
    assert [len(r) for r in FIVE.rows(list(range(3)), per_row=1)] == [1, 1, 1]
    assert [len(r) for r in FIVE.rows(list(range(9)), per_row=8)] == [5, 4]
    assert FIVE.rows([]) == ()
    for n in range(1, 40):
        laid = FIVE.rows(list(range(n)))
        assert [x for r in laid for x in r] == list(range(n))
        assert all(1 <= len(r) <= 5 for r in laid)


def test_the_limit_is_the_narrowest_platforms() -> None:
    assert layout().row_limit == 5  # Discord: five buttons an action row (Telegram takes 8)
