"""Times are stored as UTC ISO-8601 text and always come back timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime


def to_db(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware one (the clock gives UTC)")
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
