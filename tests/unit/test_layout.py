"""Button rows: at most five a row, spread evenly."""

from __future__ import annotations

from bot.engine.layout import rows


def test_rows_are_even_and_never_over_five() -> None:
    assert [len(r) for r in rows(list(range(11)))] == [4, 4, 3]
    assert [len(r) for r in rows(list(range(4)))] == [4]
    assert [len(r) for r in rows(list(range(8)), per_row=2)] == [2, 2, 2, 2]
    assert [len(r) for r in rows(list(range(3)), per_row=1)] == [1, 1, 1]
    assert rows([]) == ()
    for n in range(1, 40):
        laid = rows(list(range(n)))
        assert [x for r in laid for x in r] == list(range(n))
        assert all(1 <= len(r) <= 5 for r in laid)
