"""Announcements to many people, and the per-person deliveries that make them resumable."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.times import from_db, to_db


@dataclass(frozen=True)
class Announcement:
    id: int
    token: str
    author_id: int
    kind: str  # text, photo, notice
    body: str
    photo: str
    audience: str
    status: str  # scheduled, sending, done, stopped, cancelled
    send_at: datetime
    created_at: datetime
    finished_at: datetime | None
    status_chat: int | None
    status_message: int | None
    lang: str

    @property
    def job(self) -> str:
        return job_name(self.id)


def job_name(announcement_id: int) -> str:
    return f"announcement:{announcement_id}"


def _announcement(r: sqlite3.Row) -> Announcement:
    return Announcement(
        id=r["id"], token=r["token"], author_id=r["author_id"], kind=r["kind"], body=r["body"],
        photo=r["photo"], audience=r["audience"], status=r["status"],
        send_at=from_db(r["send_at"]), created_at=from_db(r["created_at"]),
        finished_at=from_db(r["finished_at"]) if r["finished_at"] else None,
        status_chat=r["status_chat"], status_message=r["status_message"], lang=r["lang"],
    )  # fmt: skip


_ENQUEUE = "INSERT OR IGNORE INTO deliveries (job, user_id, updated_at) VALUES (?, ?, ?)"


class AnnouncementsRepo:
    def __init__(self, db: Database):
        self._db = db

    async def create(
        self,
        *,
        token: str,
        author_id: int,
        kind: str,
        body: str,
        photo: str,
        audience: str,
        send_at: datetime,
        now: datetime,
        lang: str,
        recipients: Iterable[int] | None,
    ) -> tuple[Announcement, bool]:
        """Store an announcement once per `token` (a second "Invia ora" finds the first).
        With `recipients` it starts sending: its deliveries are queued in the same transaction;
        without, it waits for `send_at`. Returns the announcement and whether it is new."""
        status = "scheduled" if recipients is None else "sending"
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                """
                INSERT OR IGNORE INTO announcements (token, author_id, kind, body, photo,
                    audience, status, send_at, created_at, lang)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (token, author_id, kind, body, photo, audience, status, to_db(send_at),
                 to_db(now), lang),
            )  # fmt: skip
            created = cursor.rowcount == 1
            async with conn.execute(
                "SELECT * FROM announcements WHERE token = ?", (token,)
            ) as rows:
                row = await rows.fetchone()
            assert row is not None
            if created and recipients is not None:
                stamp = to_db(now)
                await conn.executemany(
                    _ENQUEUE, [(job_name(row["id"]), uid, stamp) for uid in recipients]
                )
        return _announcement(row), created

    async def start(self, announcement_id: int, recipients: Iterable[int], now: datetime) -> bool:
        """A scheduled announcement falls due: queue its deliveries and mark it sending, once."""
        stamp = to_db(now)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE announcements SET status = 'sending' WHERE id = ? AND status = 'scheduled'",
                (announcement_id,),
            )
            if cursor.rowcount != 1:
                return False
            await conn.executemany(
                _ENQUEUE, [(job_name(announcement_id), uid, stamp) for uid in recipients]
            )
        return True

    async def get(self, announcement_id: int) -> Announcement | None:
        row = await self._db.fetch_one(
            "SELECT * FROM announcements WHERE id = ?", (announcement_id,)
        )
        return _announcement(row) if row else None

    async def by_token(self, token: str) -> Announcement | None:
        """The announcement made from the draft `token`, if it was sent or scheduled."""
        row = await self._db.fetch_one("SELECT * FROM announcements WHERE token = ?", (token,))
        return _announcement(row) if row else None

    async def with_status(self, *statuses: str) -> list[Announcement]:
        marks = ",".join("?" * len(statuses))
        rows = await self._db.fetch_all(
            f"SELECT * FROM announcements WHERE status IN ({marks}) ORDER BY send_at, id", statuses
        )
        return [_announcement(r) for r in rows]

    async def due(self, now: datetime) -> list[Announcement]:
        rows = await self._db.fetch_all(
            "SELECT * FROM announcements WHERE status = 'scheduled' AND send_at <= ? "
            "ORDER BY send_at, id",
            (to_db(now),),
        )
        return [_announcement(r) for r in rows]

    async def finish(self, announcement_id: int, now: datetime) -> bool:
        return bool(
            await self._db.execute(
                "UPDATE announcements SET status = 'done', finished_at = ? "
                "WHERE id = ? AND status = 'sending'",
                (to_db(now), announcement_id),
            )
        )

    async def stop(self, announcement_id: int, now: datetime) -> bool:
        """Stop sending (or cancel a scheduled one): the people not reached yet are left out."""
        stamp = to_db(now)
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                """
                UPDATE announcements SET finished_at = ?,
                    status = CASE status WHEN 'scheduled' THEN 'cancelled' ELSE 'stopped' END
                WHERE id = ? AND status IN ('scheduled', 'sending')
                """,
                (stamp, announcement_id),
            )
            if cursor.rowcount != 1:
                return False
            await conn.execute(
                "UPDATE deliveries SET status = 'stopped', updated_at = ? "
                "WHERE job = ? AND status = 'pending'",
                (stamp, job_name(announcement_id)),
            )
        return True

    async def set_status_message(self, announcement_id: int, chat_id: int, message_id: int) -> None:
        await self._db.execute(
            "UPDATE announcements SET status_chat = ?, status_message = ? WHERE id = ?",
            (chat_id, message_id, announcement_id),
        )
