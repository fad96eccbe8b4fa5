"""The end-to-end tests' shared fixtures: real `kneecoach run` processes forked warm."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import Zygote, zygote


@pytest.fixture(scope="module")
def warm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Zygote]:
    """One zygote for the module: the bot imported and its content checked once."""
    with zygote(tmp_path_factory.mktemp("lives")) as z:
        yield z


@pytest.fixture
def z(warm: Zygote, tmp_path: Path) -> Iterator[Zygote]:
    """The zygote with this test's log folder; every process it started is killed after."""
    warm.logs = tmp_path / "logs"
    warm.logs.mkdir()
    try:
        yield warm
    finally:
        warm.kill_all()  # a test that failed half-way leaves no process behind
