"""Secrets never reach a log record: in the message, its arguments, the exception text or
the stack, from any logger, whatever handler is listening."""

from __future__ import annotations

import logging

import pytest

from bot.logging_policy import MASK, redact_secrets

TOKEN = "987654321:AAH-not-a-real-token_kneecoach-logs"


def test_a_token_is_redacted_everywhere_in_a_record(caplog: pytest.LogCaptureFixture) -> None:
    redact_secrets([TOKEN, None, "short"])
    caplog.set_level(logging.DEBUG)
    log = logging.getLogger("some.library.deep.down")
    log.debug("GET https://api.telegram.org/bot%s/getUpdates", TOKEN)
    log.error("an error page: %r", f"<p>/bot{TOKEN}/sendMessage</p>")
    try:
        raise RuntimeError(f"request to /bot{TOKEN}/getMe failed")
    except RuntimeError:
        log.exception("failed")
    log.warning("the secret half alone: %s", TOKEN.split(":", 1)[1], stack_info=True)

    secret = TOKEN.split(":", 1)[1]
    assert len(caplog.records) == 4
    for record in caplog.records:
        formatted = caplog.handler.format(record)
        assert secret not in formatted and "987654321:AA" not in formatted
        assert MASK in formatted


def test_ordinary_records_are_left_alone(caplog: pytest.LogCaptureFixture) -> None:
    redact_secrets([TOKEN])
    caplog.set_level(logging.INFO)
    logging.getLogger("bot").info("tick: %d claimed, %d sent", 3, 2)
    (record,) = caplog.records
    assert record.getMessage() == "tick: 3 claimed, 2 sent"
