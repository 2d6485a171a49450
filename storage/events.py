"""Events, attendance, opt-outs, the reminder plan and per-person deliveries."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import aiosqlite

from domain.events import Event
from storage.db import Database
from storage.times import from_db, to_db


def _event(row: sqlite3.Row) -> Event:
    return Event(
        id=row["id"], kind=row["kind"], title=row["title"], starts_at=from_db(row["starts_at"]),
        ends_at=from_db(row["ends_at"]), lab_id=row["lab_id"], place=row["place"], lat=row["lat"],
        lon=row["lon"], online_url=row["online_url"], description=row["description"],
        cancelled=bool(row["cancelled"]), origin=row["origin"], for_lab=row["for_lab"],
    )  # fmt: skip


class EventsRepo:
    def __init__(self, db: Database):
        self._db = db

    async def all(self) -> list[Event]:
        return [
            _event(r) for r in await self._db.fetch_all("SELECT * FROM events ORDER BY starts_at")
        ]

    async def get(self, event_id: str) -> Event | None:
        row = await self._db.fetch_one("SELECT * FROM events WHERE id = ?", (event_id,))
        return _event(row) if row else None

    async def save(self, e: Event, now: datetime) -> None:
        await self._db.execute(
            """
            INSERT INTO events (id, kind, title, starts_at, ends_at, lab_id, place, lat, lon,
                online_url, description, cancelled, origin, for_lab, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, title = excluded.title,
                starts_at = excluded.starts_at, ends_at = excluded.ends_at,
                lab_id = excluded.lab_id, place = excluded.place, lat = excluded.lat,
                lon = excluded.lon, online_url = excluded.online_url,
                description = excluded.description, cancelled = excluded.cancelled,
                origin = excluded.origin, for_lab = excluded.for_lab,
                updated_at = excluded.updated_at
            """,
            (e.id, e.kind, e.title, to_db(e.starts_at), to_db(e.ends_at), e.lab_id, e.place,
             e.lat, e.lon, e.online_url, e.description, int(e.cancelled), e.origin, e.for_lab,
             to_db(now)),
        )  # fmt: skip


@dataclass(frozen=True)
class Attendance:
    user_id: int
    share_name: bool
    name: str


class AttendancesRepo:
    def __init__(self, db: Database):
        self._db = db

    async def set(
        self, event_id: str, user_id: int, share_name: bool, name: str, now: datetime
    ) -> None:
        await self._db.execute(
            """
            INSERT INTO attendances (event_id, user_id, share_name, name, created_at)
            VALUES (?, ?, ?, ?, ?)
            ON CONFLICT (event_id, user_id) DO UPDATE SET share_name = excluded.share_name,
                name = excluded.name
            """,
            (event_id, user_id, int(share_name), name if share_name else "", to_db(now)),
        )

    async def remove(self, event_id: str, user_id: int) -> bool:
        return bool(
            await self._db.execute(
                "DELETE FROM attendances WHERE event_id = ? AND user_id = ?", (event_id, user_id)
            )
        )

    async def of_event(self, event_id: str) -> list[Attendance]:
        rows = await self._db.fetch_all(
            "SELECT * FROM attendances WHERE event_id = ? ORDER BY created_at", (event_id,)
        )
        return [Attendance(r["user_id"], bool(r["share_name"]), r["name"]) for r in rows]

    async def attending(self, event_id: str, user_id: int) -> bool:
        row = await self._db.fetch_one(
            "SELECT 1 FROM attendances WHERE event_id = ? AND user_id = ?", (event_id, user_id)
        )
        return row is not None


class OptoutsRepo:
    def __init__(self, db: Database):
        self._db = db

    async def set_out(self, user_id: int, scope: str, out: bool, now: datetime) -> None:
        """Opt the person out of `scope` (`out`), or back in."""
        if out:
            await self._db.execute(
                "INSERT OR IGNORE INTO optouts (user_id, scope, created_at) VALUES (?, ?, ?)",
                (user_id, scope, to_db(now)),
            )
        else:
            await self._db.execute(
                "DELETE FROM optouts WHERE user_id = ? AND scope = ?", (user_id, scope)
            )

    async def users(self, scopes: Iterable[str]) -> set[int]:
        scopes = list(scopes)
        marks = ",".join("?" * len(scopes))
        rows = await self._db.fetch_all(
            f"SELECT DISTINCT user_id FROM optouts WHERE scope IN ({marks})", scopes
        )
        return {r["user_id"] for r in rows}

    async def of_user(self, user_id: int) -> set[str]:
        rows = await self._db.fetch_all("SELECT scope FROM optouts WHERE user_id = ?", (user_id,))
        return {r["scope"] for r in rows}


@dataclass(frozen=True)
class Reminder:
    key: str
    ref: str
    offset: str
    due_at: datetime
    status: str


def _reminder(r: sqlite3.Row) -> Reminder:
    return Reminder(r["key"], r["ref"], r["offset"], from_db(r["due_at"]), r["status"])


class RemindersRepo:
    def __init__(self, db: Database):
        self._db = db

    async def sync(self, plan: dict[str, tuple[str, str, datetime]]) -> list[str]:
        """Make the stored plan match `plan` (key -> (ref, offset, due)): pending reminders move
        with their event, new ones are added, those of events that are gone are cancelled.
        Sent and skipped ones stay as they are. Returns the keys whose time changed."""
        added: list[tuple[str, str, str, str]] = []
        moved: list[str] = []
        async with self._db.transaction() as conn:
            async with conn.execute("SELECT * FROM reminders") as cursor:
                stored = {r["key"]: _reminder(r) for r in await cursor.fetchall()}
            for key, (ref, offset, due) in plan.items():
                old = stored.get(key)
                if old is None:
                    added.append((key, ref, offset, to_db(due)))
                elif old.status in ("pending", "cancelled") and (
                    old.due_at != due or old.status != "pending"
                ):
                    moved.append(key)
            gone = [(k,) for k, old in stored.items() if k not in plan and old.status == "pending"]
            await conn.executemany(
                "INSERT INTO reminders (key, ref, offset, due_at) VALUES (?, ?, ?, ?)", added
            )
            await conn.executemany(
                "UPDATE reminders SET due_at = ?, status = 'pending' WHERE key = ?",
                [(to_db(plan[key][2]), key) for key in moved],
            )
            await conn.executemany("UPDATE reminders SET status = 'cancelled' WHERE key = ?", gone)
        return moved

    async def due(self, now: datetime) -> list[Reminder]:
        return await self.pending(until=now)

    async def pending(self, until: datetime | None = None) -> list[Reminder]:
        """Reminders not sent yet, soonest first; only those due by `until` when given."""
        if until is None:
            rows = await self._db.fetch_all(
                "SELECT * FROM reminders WHERE status = 'pending' ORDER BY due_at"
            )
        else:
            rows = await self._db.fetch_all(
                "SELECT * FROM reminders WHERE status = 'pending' AND due_at <= ? ORDER BY due_at",
                (to_db(until),),
            )
        return [_reminder(r) for r in rows]

    async def mark(self, key: str, status: str) -> None:
        await self._db.execute("UPDATE reminders SET status = ? WHERE key = ?", (status, key))

    async def fire(self, key: str, job: str, user_ids: Iterable[int], now: datetime) -> int:
        """A reminder falls due: one pending delivery per person (`job`), and the reminder
        marked done, in one transaction; returns how many deliveries were queued."""
        async with self._db.transaction() as conn:
            count = await _enqueue(conn, job, user_ids, now)
            await conn.execute("UPDATE reminders SET status = 'done' WHERE key = ?", (key,))
        return count

    async def all(self) -> list[Reminder]:
        return [_reminder(r) for r in await self._db.fetch_all("SELECT * FROM reminders")]


@dataclass(frozen=True)
class Delivery:
    id: int
    job: str
    user_id: int
    status: str
    attempts: int


class DeliveriesRepo:
    def __init__(self, db: Database):
        self._db = db

    async def enqueue(self, job: str, user_ids: Iterable[int], now: datetime) -> int:
        """Add one pending delivery per person (a person already there is not added twice), in
        one transaction; returns how many were added."""
        async with self._db.transaction() as conn:
            return await _enqueue(conn, job, user_ids, now)

    async def pending(self, job: str, limit: int = 200) -> list[Delivery]:
        rows = await self._db.fetch_all(
            "SELECT * FROM deliveries WHERE job = ? AND status = 'pending' ORDER BY id LIMIT ?",
            (job, limit),
        )
        return [Delivery(r["id"], r["job"], r["user_id"], r["status"], r["attempts"]) for r in rows]

    async def mark(self, delivery_id: int, status: str, now: datetime) -> None:
        await self._db.execute(
            "UPDATE deliveries SET status = ?, attempts = attempts + 1, updated_at = ? "
            "WHERE id = ?",
            (status, to_db(now), delivery_id),
        )

    async def claim(self, delivery_id: int, now: datetime) -> bool:
        """Mark a delivery in flight just before sending it; False if it is no longer pending
        (stopped meanwhile)."""
        return bool(
            await self._db.execute(
                "UPDATE deliveries SET status = 'sending', updated_at = ? "
                "WHERE id = ? AND status = 'pending'",
                (to_db(now), delivery_id),
            )
        )

    async def release(self, delivery_id: int, now: datetime) -> None:
        """A delivery marked in flight that certainly did not go (the bot stopped before its
        turn): pending again, for the next start."""
        await self._db.execute(
            "UPDATE deliveries SET status = 'pending', updated_at = ? "
            "WHERE id = ? AND status = 'sending'",
            (to_db(now), delivery_id),
        )

    async def settle_in_flight(self, now: datetime) -> tuple[int, int]:
        """After a crash, the messages that were in flight (Telegram cannot say whether they
        arrived): an announcement's goes out again (at most one per announcement, and a repeat
        is better than a silent gap); a reminder's does not, since a reminder is promised at most
        once: it is recorded as failed. Returns (requeued, given up)."""
        stamp = to_db(now)
        async with self._db.transaction() as conn:
            requeued = await conn.execute(
                "UPDATE deliveries SET status = 'pending', updated_at = ? "
                "WHERE status = 'sending' AND job LIKE 'announcement:%'",
                (stamp,),
            )
            given_up = await conn.execute(
                "UPDATE deliveries SET status = 'failed', attempts = attempts + 1, "
                "updated_at = ? WHERE status = 'sending'",
                (stamp,),
            )
            return requeued.rowcount, given_up.rowcount

    async def counts(self, job: str) -> dict[str, int]:
        rows = await self._db.fetch_all(
            "SELECT status, count(*) AS n FROM deliveries WHERE job = ? GROUP BY status", (job,)
        )
        return {r["status"]: r["n"] for r in rows}

    async def jobs_pending(self) -> list[str]:
        rows = await self._db.fetch_all(
            "SELECT DISTINCT job FROM deliveries WHERE status = 'pending' ORDER BY job"
        )
        return [r["job"] for r in rows]

    async def all(self, job: str) -> list[Delivery]:
        rows = await self._db.fetch_all(
            "SELECT * FROM deliveries WHERE job = ? ORDER BY id", (job,)
        )
        return [Delivery(r["id"], r["job"], r["user_id"], r["status"], r["attempts"]) for r in rows]


async def _enqueue(
    conn: aiosqlite.Connection, job: str, user_ids: Iterable[int], now: datetime
) -> int:
    stamp = to_db(now)
    before = conn.total_changes
    await conn.executemany(
        "INSERT OR IGNORE INTO deliveries (job, user_id, updated_at) VALUES (?, ?, ?)",
        [(job, user_id, stamp) for user_id in user_ids],
    )
    return conn.total_changes - before
