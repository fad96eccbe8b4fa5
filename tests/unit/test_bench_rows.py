"""The benchmarks' ``--rows``: the rows chosen, in order; none or an unknown one refused."""

from __future__ import annotations

import pytest

from bench import several_processes, telegram_updates


def test_the_rows_chosen_are_kept_in_order() -> None:
    assert several_processes.parse_args(["--rows", "pg3, sqlite"]).rows == ["pg3", "sqlite"]
    assert telegram_updates.parse_args(["--rows", "kneecoach,ptb-aio"]).rows == [
        "kneecoach", "ptb-aio"]


@pytest.mark.parametrize("rows", ["pg1,nope", " , ", ""])
def test_an_unknown_row_or_none_is_refused_naming_the_choices(
    rows: str, capsys: pytest.CaptureFixture[str],
) -> None:
    with pytest.raises(SystemExit) as stopped:
        several_processes.parse_args(["--rows", rows])
    assert stopped.value.code == 2
    assert "choose from sqlite, pg1, pg3" in capsys.readouterr().err
