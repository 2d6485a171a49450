"""Editions, sign-ups, forms in progress, and subscriptions to notifications."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from domain.scuola import Draft, Edition, Session, signup_code, status_for_new
from storage.db import Database
from storage.outbox import NewMail, queue_in
from storage.times import from_db, to_db


@dataclass(frozen=True)
class Signup:
    id: int
    code: str
    edition_id: str
    user_id: int
    first_name: str
    last_name: str
    email: str
    phone: str
    role: str
    organisation: str
    note: str
    status: str
    consent_at: datetime
    created_at: datetime
    updated_at: datetime
    cancelled_at: datetime | None

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def _signup(row: sqlite3.Row) -> Signup:
    return Signup(
        id=row["id"],
        code=row["code"],
        edition_id=row["edition_id"],
        user_id=row["user_id"],
        first_name=row["first_name"],
        last_name=row["last_name"],
        email=row["email"],
        phone=row["phone"],
        role=row["role"],
        organisation=row["organisation"],
        note=row["note"],
        status=row["status"],
        consent_at=from_db(row["consent_at"]),
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
        cancelled_at=from_db(row["cancelled_at"]) if row["cancelled_at"] else None,
    )


SIGNUP_FIELDS = ("first_name", "last_name", "email", "phone", "role", "organisation", "note")

# The one seam between a change of a sign-up and the organisers' e-mail about it: a plain,
# synchronous function of the stored sign-up (and its place on the waiting list, when it waits)
# that composes the e-mail. It runs inside the change's transaction, so the e-mail is queued if
# and only if the change is stored; being synchronous, it cannot await Telegram or SMTP while
# the database is locked.
ComposeMail = Callable[[Signup, "SignupFacts"], NewMail]


@dataclass(frozen=True)
class SignupFacts:
    """What the organisers' e-mail says beside the sign-up itself, read in its transaction."""

    position: int | None  # on the waiting list, when waiting
    language: str  # the person's, as the bot knows it ("it", "en")
    confirmed: int  # confirmed in the edition, this change included
    waiting: int
    before: Signup | None = None  # for a change of answers: the sign-up as it was


@dataclass(frozen=True)
class Counts:
    confirmed: int
    waiting: int
    cancelled: int


class EditionsRepo:
    def __init__(self, db: Database):
        self._db = db

    async def all(self) -> list[Edition]:
        rows = await self._db.fetch_all("SELECT * FROM editions ORDER BY year, created_at, id")
        sessions = await self._db.fetch_all("SELECT * FROM edition_sessions ORDER BY starts_at")
        by_edition: dict[str, list[Session]] = {}
        for s in sessions:
            by_edition.setdefault(s["edition_id"], []).append(
                Session(
                    starts_at=from_db(s["starts_at"]),
                    ends_at=from_db(s["ends_at"]),
                    place=s["place"],
                    online_url=s["online_url"],
                    id=s["id"],
                    lab_id=s["lab_id"],
                )
            )
        return [
            Edition(
                id=r["id"],
                title=r["title"],
                year=r["year"],
                sessions=tuple(by_edition.get(r["id"], [])),
                capacity=r["capacity"],
                deadline=from_db(r["deadline"]) if r["deadline"] else None,
                open=bool(r["open"]),
                origin=r["origin"],
            )
            for r in rows
        ]

    async def get(self, edition_id: str) -> Edition | None:
        return next((e for e in await self.all() if e.id == edition_id), None)

    async def save(self, edition: Edition, now: datetime) -> None:
        """Insert or replace an edition and its sessions, in one transaction."""
        async with self._db.transaction() as conn:
            await conn.execute(
                """
                INSERT INTO editions (id, title, year, capacity, deadline, open, origin, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (id) DO UPDATE SET title = excluded.title, year = excluded.year,
                    capacity = excluded.capacity, deadline = excluded.deadline,
                    open = excluded.open, origin = excluded.origin
                """,
                (
                    edition.id,
                    edition.title,
                    edition.year,
                    edition.capacity,
                    to_db(edition.deadline) if edition.deadline else None,
                    int(edition.open),
                    edition.origin,
                    to_db(now),
                ),
            )
            await conn.execute("DELETE FROM edition_sessions WHERE edition_id = ?", (edition.id,))
            for s in edition.sessions:
                await conn.execute(
                    "INSERT INTO edition_sessions "
                    "(edition_id, starts_at, ends_at, place, online_url, lab_id) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (
                        edition.id,
                        to_db(s.starts_at),
                        to_db(s.ends_at),
                        s.place,
                        s.online_url,
                        s.lab_id,
                    ),
                )


class SignupsRepo:
    def __init__(self, db: Database):
        self._db = db

    async def create(
        self,
        edition: Edition,
        user_id: int,
        answers: dict[str, Any],
        now: datetime,
        mail: ComposeMail,
    ) -> tuple[Signup, int]:
        """Store a sign-up (confirmed, or on the waiting list when the edition is full) with its
        reference code, queue the organisers' e-mail and drop the person's form in progress, in
        one transaction; returns the sign-up and the number confirmed before it."""
        async with self._db.transaction() as conn:
            confirmed = await _scalar(
                conn,
                "SELECT count(*) FROM signups WHERE edition_id = ? AND status = 'confirmed'",
                (edition.id,),
            )
            status = status_for_new(confirmed, edition.capacity)
            year = edition.code_year
            seq = await _next_seq(conn, year)
            stamp = to_db(now)
            cursor = await conn.execute(
                """
                INSERT INTO signups (code, year, seq, edition_id, user_id, first_name, last_name,
                    email, phone, role, organisation, note, status, consent_at, created_at,
                    updated_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
                (
                    signup_code(year, seq),
                    year,
                    seq,
                    edition.id,
                    user_id,
                    *(str(answers.get(f, "")) for f in SIGNUP_FIELDS),
                    status,
                    to_db(datetime.fromisoformat(answers["consent_at"])),
                    stamp,
                    stamp,
                ),
            )
            signup = await _get(conn, int(cursor.lastrowid or 0))
            await _queue_mail(conn, signup, mail, now)
            await conn.execute("DELETE FROM signup_drafts WHERE user_id = ?", (user_id,))
        return signup, confirmed

    async def update(
        self, signup_id: int, answers: dict[str, Any], now: datetime, mail: ComposeMail
    ) -> Signup:
        """Change a person's answers, queue the organisers' e-mail and drop the form that
        changed them, in one transaction."""
        async with self._db.transaction() as conn:
            before = await _get(conn, signup_id)
            assignments = ", ".join(f"{f} = ?" for f in SIGNUP_FIELDS)
            await conn.execute(
                f"UPDATE signups SET {assignments}, updated_at = ? WHERE id = ?",
                (*(str(answers.get(f, "")) for f in SIGNUP_FIELDS), to_db(now), signup_id),
            )
            signup = await _get(conn, signup_id)
            await _queue_mail(conn, signup, mail, now, before)
            await conn.execute("DELETE FROM signup_drafts WHERE user_id = ?", (signup.user_id,))
        return signup

    async def cancel(
        self,
        signup_id: int,
        now: datetime,
        mail: ComposeMail | None,
        promotion_mail: ComposeMail,
    ) -> tuple[Signup, Signup | None] | None:
        """Cancel; if a confirmed place was freed, promote the first on the waiting list. The
        organisers' e-mails (`mail` about the cancellation, when given, and `promotion_mail`)
        are queued in the same transaction. Returns (cancelled, promoted or None), or None when
        it was already cancelled."""
        async with self._db.transaction() as conn:
            signup = await _get(conn, signup_id)
            if signup.status == "cancelled":
                return None
            stamp = to_db(now)
            await conn.execute(
                "UPDATE signups SET status = 'cancelled', cancelled_at = ?, updated_at = ? "
                "WHERE id = ?",
                (stamp, stamp, signup_id),
            )
            promoted = None
            if signup.status == "confirmed":
                async with conn.execute(
                    "SELECT id FROM signups WHERE edition_id = ? AND status = 'waiting' "
                    "ORDER BY id LIMIT 1",
                    (signup.edition_id,),
                ) as cursor:
                    row = await cursor.fetchone()
                if row is not None:
                    await conn.execute(
                        "UPDATE signups SET status = 'confirmed', updated_at = ? WHERE id = ?",
                        (stamp, row[0]),
                    )
                    promoted = await _get(conn, row[0])
            cancelled = await _get(conn, signup_id)
            if mail is not None:
                await _queue_mail(conn, cancelled, mail, now)
            if promoted is not None:
                await _queue_mail(conn, promoted, promotion_mail, now)
        return cancelled, promoted

    async def promote(self, signup_id: int, now: datetime, mail: ComposeMail) -> Signup | None:
        """Move one person from the waiting list to confirmed (None if no longer waiting)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE signups SET status = 'confirmed', updated_at = ? "
                "WHERE id = ? AND status = 'waiting'",
                (to_db(now), signup_id),
            )
            if cursor.rowcount == 0:
                return None
            signup = await _get(conn, signup_id)
            await _queue_mail(conn, signup, mail, now)
        return signup

    async def get(self, signup_id: int) -> Signup | None:
        row = await self._db.fetch_one("SELECT * FROM signups WHERE id = ?", (signup_id,))
        return _signup(row) if row else None

    async def active(self, edition_id: str, user_id: int) -> Signup | None:
        row = await self._db.fetch_one(
            "SELECT * FROM signups WHERE edition_id = ? AND user_id = ? AND status != 'cancelled'",
            (edition_id, user_id),
        )
        return _signup(row) if row else None

    async def of_user(self, user_id: int) -> list[Signup]:
        rows = await self._db.fetch_all(
            "SELECT * FROM signups WHERE user_id = ? ORDER BY id DESC", (user_id,)
        )
        return [_signup(r) for r in rows]

    async def of_edition(self, edition_id: str | None = None) -> list[Signup]:
        if edition_id is None:
            rows = await self._db.fetch_all("SELECT * FROM signups ORDER BY id")
        else:
            rows = await self._db.fetch_all(
                "SELECT * FROM signups WHERE edition_id = ? ORDER BY id", (edition_id,)
            )
        return [_signup(r) for r in rows]

    async def waiting_position(self, signup: Signup) -> int:
        return int(await self._db.scalar(_WAITING_POSITION, (signup.edition_id, signup.id)))

    async def counts(self, edition_id: str) -> Counts:
        rows = await self._db.fetch_all(
            "SELECT status, count(*) AS n FROM signups WHERE edition_id = ? GROUP BY status",
            (edition_id,),
        )
        found = {r["status"]: r["n"] for r in rows}
        return Counts(found.get("confirmed", 0), found.get("waiting", 0), found.get("cancelled", 0))


class DraftsRepo:
    def __init__(self, db: Database):
        self._db = db

    async def all(self) -> list[Draft]:
        rows = await self._db.fetch_all("SELECT * FROM signup_drafts")
        return [Draft.from_value(r["user_id"], r["step"], json.loads(r["data"])) for r in rows]

    async def save(self, draft: Draft, now: datetime) -> None:
        await self._db.execute(
            """
            INSERT INTO signup_drafts (user_id, step, data, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET step = excluded.step, data = excluded.data,
                updated_at = excluded.updated_at
            """,
            (
                draft.user_id,
                draft.step,
                json.dumps(draft.as_value(), ensure_ascii=False),
                to_db(now),
            ),
        )

    async def delete(self, user_id: int) -> None:
        await self._db.execute("DELETE FROM signup_drafts WHERE user_id = ?", (user_id,))


class SubscriptionsRepo:
    def __init__(self, db: Database):
        self._db = db

    async def topics(self, user_id: int) -> set[str]:
        rows = await self._db.fetch_all(
            "SELECT topic FROM subscriptions WHERE user_id = ?", (user_id,)
        )
        return {r["topic"] for r in rows}

    async def set(self, user_id: int, topic: str, on: bool, now: datetime) -> None:
        if on:
            await self._db.execute(
                "INSERT OR IGNORE INTO subscriptions (user_id, topic, created_at) VALUES (?, ?, ?)",
                (user_id, topic, to_db(now)),
            )
        else:
            await self._db.execute(
                "DELETE FROM subscriptions WHERE user_id = ? AND topic = ?", (user_id, topic)
            )

    async def anyone(self) -> list[int]:
        """Everyone who asked for something: a topic, or the news of a lab they follow (those
        who blocked the bot left out)."""
        rows = await self._db.fetch_all(
            "SELECT DISTINCT s.user_id FROM subscriptions s LEFT JOIN users u ON u.id = s.user_id "
            "WHERE coalesce(u.blocked, 0) = 0 ORDER BY s.user_id"
        )
        return [r["user_id"] for r in rows]

    async def subscribers(self, topic: str) -> list[int]:
        rows = await self._db.fetch_all(
            "SELECT s.user_id FROM subscriptions s LEFT JOIN users u ON u.id = s.user_id "
            "WHERE s.topic = ? AND coalesce(u.blocked, 0) = 0 ORDER BY s.user_id",
            (topic,),
        )
        return [r["user_id"] for r in rows]


_WAITING_POSITION = (
    "SELECT count(*) FROM signups WHERE edition_id = ? AND status = 'waiting' AND id <= ?"
)


async def _queue_mail(
    conn: aiosqlite.Connection,
    signup: Signup,
    mail: ComposeMail,
    now: datetime,
    before: Signup | None = None,
) -> None:
    position = None
    if signup.status == "waiting":
        position = await _scalar(conn, _WAITING_POSITION, (signup.edition_id, signup.id))
    async with conn.execute("SELECT language FROM users WHERE id = ?", (signup.user_id,)) as c:
        row = await c.fetchone()
    counts = "SELECT count(*) FROM signups WHERE edition_id = ? AND status = ?"
    facts = SignupFacts(
        position=position,
        language=row[0] if row else "it",
        confirmed=await _scalar(conn, counts, (signup.edition_id, "confirmed")),
        waiting=await _scalar(conn, counts, (signup.edition_id, "waiting")),
        before=before,
    )
    await queue_in(conn, mail(signup, facts), now, signup.id)


async def _next_seq(conn: aiosqlite.Connection, year: int) -> int:
    """The next number of the year's sign-up codes: one more than both the last handed out and
    the highest stored, so a code is never given twice, whatever was deleted since."""
    return await _scalar(
        conn,
        """
        INSERT INTO counters (name, value)
            VALUES (:name, (SELECT coalesce(max(seq), 0) + 1 FROM signups WHERE year = :year))
        ON CONFLICT (name) DO UPDATE SET value = max(
            value + 1, (SELECT coalesce(max(seq), 0) + 1 FROM signups WHERE year = :year))
        RETURNING value
        """,
        {"name": f"signup-seq:{year}", "year": year},
    )


async def _scalar(
    conn: aiosqlite.Connection, sql: str, params: tuple[object, ...] | dict[str, object]
) -> int:
    async with conn.execute(sql, params) as cursor:
        row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def _get(conn: aiosqlite.Connection, signup_id: int) -> Signup:
    async with conn.execute("SELECT * FROM signups WHERE id = ?", (signup_id,)) as cursor:
        row = await cursor.fetchone()
    assert row is not None
    return _signup(row)
