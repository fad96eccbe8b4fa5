"""The JSON log format: one object a line with the fields an operator ships, the platform
of the turn, and the opaque person hash at DEBUG only."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.service.log_format import (
    JsonFormatter,
    configure_logging,
    formatter,
    person_hash,
    turn_context,
)


def test_one_json_object_per_line_with_the_turn_context() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    log = logging.getLogger("tests.json")
    log.addHandler(handler)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    try:
        log.info("outside a turn")
        with turn_context("discord", "12345"):
            log.info("in a turn")
            log.debug("in a turn, in detail")
        try:
            raise ValueError("boom")
        except ValueError:
            log.error("it failed", exc_info=True)
    finally:
        log.removeHandler(handler)
    outside, info, debug, error = (json.loads(line) for line in stream.getvalue().splitlines())
    assert outside.keys() == {"time", "level", "logger", "event"}
    assert outside["event"] == "outside a turn" and outside["time"].endswith("Z")
    assert info["platform"] == "discord" and "person" not in info
    assert debug["person"] == person_hash("discord", "12345") != person_hash("discord", "1")
    assert "12345" not in json.dumps(debug)
    assert error["level"] == "ERROR" and "ValueError: boom" in error["exception"]


def test_the_format_is_chosen_by_name() -> None:
    assert isinstance(formatter("json"), JsonFormatter)
    assert not isinstance(formatter("human"), JsonFormatter)
    with pytest.raises(ValueError, match="KNEECOACH_LOG_FORMAT"):
        formatter("xml")


def test_configure_logging_replaces_only_its_own_handler() -> None:
    root = logging.getLogger("tests.configure")
    first = configure_logging("INFO", "json", io.StringIO(), root)
    second = configure_logging("DEBUG", "human", io.StringIO(), root)
    assert first is not None and second is not None
    assert root.handlers == [second] and root.level == logging.DEBUG
    root.removeHandler(second)
    foreign = logging.StreamHandler(io.StringIO())
    root.addHandler(foreign)  # someone else's (a test runner's): left alone
    assert configure_logging("WARNING", "json", io.StringIO(), root) is None
    assert root.handlers == [foreign] and root.level == logging.WARNING
    root.removeHandler(foreign)
