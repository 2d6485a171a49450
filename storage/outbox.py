"""The e-mail outbox: every message waits here until a mail server accepts it."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from storage.db import Database
from storage.times import from_db, to_db


@dataclass(frozen=True)
class NewMail:
    """An e-mail composed for the outbox: stored whole, so a retry sends the very same bytes."""

    message_id: str
    kind: str
    raw: bytes


async def queue_in(
    conn: aiosqlite.Connection, mail: NewMail, now: datetime, signup_id: int | None = None
) -> None:
    """Queue `mail` inside the caller's transaction: it exists if and only if the change it
    reports is stored."""
    await conn.execute(
        "INSERT INTO outbox (message_id, kind, signup_id, raw, next_attempt_at, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (mail.message_id, mail.kind, signup_id, mail.raw, to_db(now), to_db(now)),
    )


@dataclass(frozen=True)
class OutgoingMail:
    id: int
    message_id: str
    kind: str
    signup_id: int | None
    raw: bytes
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None


def _mail(row: sqlite3.Row) -> OutgoingMail:
    return OutgoingMail(
        id=row["id"],
        message_id=row["message_id"],
        kind=row["kind"],
        signup_id=row["signup_id"],
        raw=row["raw"],
        status=row["status"],
        attempts=row["attempts"],
        next_attempt_at=from_db(row["next_attempt_at"]),
        last_error=row["last_error"],
    )


class OutboxRepo:
    def __init__(self, db: Database):
        self._db = db

    async def add(self, mail: NewMail, now: datetime) -> None:
        async with self._db.transaction() as conn:
            await queue_in(conn, mail, now)

    async def due(self, now: datetime, limit: int = 50) -> list[OutgoingMail]:
        rows = await self._db.fetch_all(
            "SELECT * FROM outbox WHERE status = 'pending' AND next_attempt_at <= ? "
            "ORDER BY next_attempt_at, id LIMIT ?",
            (to_db(now), limit),
        )
        return [_mail(r) for r in rows]

    async def sent(self, mail_id: int, now: datetime) -> bool:
        """Mark it sent; False if the row is gone (its person was erased meanwhile)."""
        return (
            await self._db.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
                "last_error = NULL WHERE id = ?",
                (to_db(now), mail_id),
            )
            > 0
        )

    async def failed_attempt(self, mail_id: int, error: str, retry_at: datetime | None) -> None:
        """Record a failure: try again at `retry_at`, or give up when it is None."""
        if retry_at is None:
            await self._db.execute(
                "UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ? "
                "WHERE id = ?",
                (error, mail_id),
            )
        else:
            await self._db.execute(
                "UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                "WHERE id = ?",
                (error, to_db(retry_at), mail_id),
            )

    async def by_status(self) -> dict[str, int]:
        rows = await self._db.fetch_all("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        return {r["status"]: r["n"] for r in rows}

    async def all(self) -> list[OutgoingMail]:
        return [_mail(r) for r in await self._db.fetch_all("SELECT * FROM outbox ORDER BY id")]
