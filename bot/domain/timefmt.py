"""How instants are written in the database: UTC, second precision, sortable as text."""

from __future__ import annotations

from datetime import UTC, datetime

_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def to_db(instant: datetime) -> str:
    if instant.tzinfo is None:
        raise ValueError("naive datetimes are not stored")
    return instant.astimezone(UTC).strftime(_FORMAT)


def from_db(text: str) -> datetime:
    return datetime.strptime(text, _FORMAT).replace(tzinfo=UTC)
