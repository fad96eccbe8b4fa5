"""Prometheus metrics (``prometheus-client``), in a registry of their own per process.

Counts only. Labels are chosen from small fixed sets: a platform name, a screening level, a
reminder outcome, an error kind. Never a user or chat id, a name, a message text, a
reason text from a platform, or anything else that could tell who someone is.
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from bot.domain.results import Blocked, Failed, NotPermitted, RetryAfter, SendResult, Sent

# Turn latency: from a few milliseconds (a button) to the seconds a chart or the summary
# page takes to draw.
TURN_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
# Seconds after due a reminder went out: on time (one tick), late (a restart, a retry), up
# to the three-hour late limit.
LATE_BUCKETS = (1.0, 5.0, 15.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 10800.0)
RETRY_BUCKETS = (1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 300.0, 600.0)
LEVELS = ("urgent", "see_clinician", "other_likely", "none")
OUTCOMES = ("sent", "retried", "missed", "blocked", "refused", "failed", "skipped")
ERROR_KINDS = ("turn", "send_failed", "send_exception", "tick", "platform_start", "logged")
# The reasons adapters give a ``RetryAfter`` that the platform's rate limit caused (a 429):
# Telegram's "flood control", Discord's "rate limited by Discord" and "...'s edge". Every
# other ``RetryAfter`` is the platform not answering (network, 5xx, not running).
RATE_LIMIT_REASONS = ("flood control", "rate limited")


def is_rate_limit(result: SendResult) -> bool:
    return isinstance(result, RetryAfter) and result.reason.startswith(RATE_LIMIT_REASONS)


class Metrics:
    """Every metric Kneecoach exports, and how each is recorded."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.updates = Counter(
            "kneecoach_updates", "Updates (messages, presses, commands) handled, by platform",
            ["platform"], registry=r)
        self.replies = Counter(
            "kneecoach_replies_sent",
            "Replies handed to a platform: answers to updates (via=turn) and outbox "
            "deliveries the platform accepted (via=outbox)", ["platform", "via"], registry=r)
        self.turn_seconds = Histogram(
            "kneecoach_turn_seconds", "Time the coach took to answer one update",
            ["platform"], buckets=TURN_BUCKETS, registry=r)
        self.reminders_due = Counter(
            "kneecoach_reminders_due", "Reminders and club posts that fell due (outbox rows "
            "written by the sweep)", registry=r)
        self.reminders = Counter(
            "kneecoach_reminders", "Outbox rows by what became of them (sent, retried, "
            "missed: past the late limit, blocked, refused, failed, skipped)", ["outcome"],
            registry=r)
        self.reminder_late = Histogram(
            "kneecoach_reminder_late_seconds", "Seconds after its due time a reminder was "
            "sent", buckets=LATE_BUCKETS, registry=r)
        self.outbox_pending = Gauge(
            "kneecoach_outbox_pending", "Outbox rows waiting to be sent", registry=r)
        self.outbox_oldest = Gauge(
            "kneecoach_outbox_oldest_pending_seconds", "Seconds the oldest waiting outbox "
            "row is past its due time", registry=r)
        self.rate_limited = Counter(
            "kneecoach_rate_limited", "Sends a platform refused for its rate limit (429)",
            ["platform"], registry=r)
        self.retry_after = Histogram(
            "kneecoach_retry_after_seconds", "The wait a platform asked for after a 429",
            ["platform"], buckets=RETRY_BUCKETS, registry=r)
        self.blocked = Counter(
            "kneecoach_blocked", "Deliveries refused because the person blocked the bot (or "
            "a channel is gone)", ["platform"], registry=r)
        self.screened = Counter(
            "kneecoach_screened", "Typed messages screened, by the most serious level found",
            ["level"], registry=r)
        self.errors = Counter(
            "kneecoach_errors", "Errors by kind: a turn that failed, a send the platform "
            "refused or that raised, a failed tick, a platform that did not start, an "
            "error logged", ["kind"], registry=r)
        self.platform_up = Gauge(
            "kneecoach_platform_connected", "1 while the platform answers, else 0",
            ["platform"], registry=r)
        self.busiest_minute = Gauge(
            "kneecoach_busiest_minute_reminders", "Reminders due in the busiest minute of the "
            "next quarter of an hour the sweep has looked at, by platform", ["platform"],
            registry=r)
        self.expected_backlog = Gauge(
            "kneecoach_expected_backlog_seconds", "How late the last reminder of the worst of "
            "those minutes is expected to go out at the platform's rate (over 60: a minute "
            "holds more than can be sent on time)", ["platform"], registry=r)
        self.last_tick = Gauge(
            "kneecoach_last_tick_timestamp_seconds", "When the scheduler last ticked (Unix "
            "time)", registry=r)
        for level in LEVELS:
            self.screened.labels(level)
        for outcome in OUTCOMES:
            self.reminders.labels(outcome)
        for kind in ERROR_KINDS:
            self.errors.labels(kind)

    def platform(self, name: str) -> None:
        """Show a platform's series from the start (at 0), before anything happened."""
        self.updates.labels(name)
        self.replies.labels(name, "turn")
        self.replies.labels(name, "outbox")
        self.rate_limited.labels(name)
        self.blocked.labels(name)
        self.busiest_minute.labels(name)
        self.expected_backlog.labels(name)

    # -- recording -------------------------------------------------------------------------

    def turn(self, platform: str, seconds: float, replies: int, failed: bool) -> None:
        self.updates.labels(platform).inc()
        self.turn_seconds.labels(platform).observe(seconds)
        self.replies.labels(platform, "turn").inc(replies)
        if failed:
            self.errors.labels("turn").inc()

    def screen(self, level: str | None) -> None:
        self.screened.labels(level if level in LEVELS else "none").inc()

    def sent(self, platform: str, replies: Sequence[object], result: SendResult) -> None:
        """What a platform answered to an outbox delivery."""
        if isinstance(result, Sent):
            self.replies.labels(platform, "outbox").inc(len(replies))
        elif is_rate_limit(result):
            assert isinstance(result, RetryAfter)
            self.rate_limited.labels(platform).inc()
            self.retry_after.labels(platform).observe(result.seconds)
        elif isinstance(result, Blocked):
            self.blocked.labels(platform).inc()
        elif isinstance(result, NotPermitted | Failed):
            self.errors.labels("send_failed").inc()

    def tick(self, due: int, outcomes: dict[str, int], late: Sequence[float],
             at: float) -> None:
        self.reminders_due.inc(due)
        for outcome, count in outcomes.items():
            if count:
                self.reminders.labels(outcome).inc(count)
        for seconds in late:
            self.reminder_late.observe(seconds)
        self.last_tick.set(at)

    def error(self, kind: str) -> None:
        self.errors.labels(kind if kind in ERROR_KINDS else "logged").inc()

    def backlog(self, pending: int, oldest_seconds: float) -> None:
        self.outbox_pending.set(pending)
        self.outbox_oldest.set(oldest_seconds)

    def busy(self, platform: str, busiest: int, late_seconds: float) -> None:
        """The upcoming minutes on one platform (``bot.schedule.spread``)."""
        self.busiest_minute.labels(platform).set(busiest)
        self.expected_backlog.labels(platform).set(late_seconds)

    def connected(self, platform: str, up: bool) -> None:
        self.platform_up.labels(platform).set(1 if up else 0)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)
