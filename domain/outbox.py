"""When to try an e-mail again, and when to give up."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

FIRST_RETRY_S = 60
MAX_RETRY_S = 3600
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(\.[\w-]+)+")


def next_attempt(attempts: int, now: datetime) -> datetime:
    """Exponential backoff: 1, 2, 4, 8 ... minutes after the n-th failure, at most an hour."""
    delay = min(MAX_RETRY_S, FIRST_RETRY_S * 2 ** max(0, attempts - 1))
    return now + timedelta(seconds=delay)


def is_permanent(code: int | None) -> bool:
    """An SMTP 5xx reply means the server will never accept this message as it is."""
    return code is not None and 500 <= code < 600


def safe_error(text: str) -> str:
    """An error as it may be logged and shown to staff: no e-mail addresses, short."""
    return _EMAIL.sub("<address>", text).replace("\n", " ")[:300]
