"""Logging, configured once in `main`: the bot token and other secrets never reach a log line."""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import TextIO

REDACTED = "[REDACTED]"


class RedactingFormatter(logging.Formatter):
    """Replaces every secret in the fully formatted line, tracebacks included."""

    def __init__(self, fmt: str, secrets: Iterable[str]):
        super().__init__(fmt)
        self._secrets = [s for s in secrets if s]

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self._secrets)


class QuietExpected(logging.Filter):
    """Drops the traceback of errors that have a clear one-line explanation of their own (a
    refused token is explained by `python -m bot` itself; Telegram unreachable is a network
    problem, said in one line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        from telegram.error import InvalidToken, NetworkError

        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, InvalidToken):
            record.exc_info = None
            record.exc_text = None
        elif isinstance(error, NetworkError) and record.name.startswith("telegram.ext"):
            # Telegram unreachable (an outage, a stop during one): PTB says so and carries on;
            # the line is enough, its 40-line traceback says nothing more.
            record.msg = f"{record.getMessage()} ({error.message})"
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, REDACTED)
    return text


def setup(
    secrets: Iterable[str],
    level: int = logging.INFO,
    stream: TextIO | None = None,
    *,
    file: Path | None = None,
    keep_days: int = 60,
) -> None:
    """The log on `stream` (standard error by default), or in `file`: a new file each midnight,
    the last `keep_days` kept (the retention of the records of messages sent, `[privacy]
    messages_days`: the log names no person, but says when messages and e-mails went)."""
    handler: logging.Handler
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.TimedRotatingFileHandler(
            file, when="midnight", backupCount=max(keep_days, 1), encoding="utf-8"
        )
    else:
        handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    handler.addFilter(QuietExpected())
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    # httpx logs every request URL at INFO, and the URL contains the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
