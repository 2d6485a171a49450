"""The one SQLite connection of the process, and the schema migrations.

One long-lived aiosqlite connection in autocommit mode; an asyncio lock makes every write and every
transaction exclusive, so two coroutines never interleave statements inside one transaction.
Migrations are an append-only list: step N brings the schema from `user_version` N-1 to N, in one
transaction. Never edit or reorder a step that has shipped; add a new one.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000

MIGRATIONS: list[tuple[str, ...]] = [
    # 1: the people the bot knows. Times are UTC ISO-8601 strings.
    (
        """
        CREATE TABLE users (
            id                INTEGER PRIMARY KEY,        -- Telegram user id
            language          TEXT    NOT NULL DEFAULT 'it',
            language_explicit INTEGER NOT NULL DEFAULT 0, -- chosen with /lingua
            first_seen        TEXT    NOT NULL,
            last_seen         TEXT    NOT NULL,
            blocked           INTEGER NOT NULL DEFAULT 0, -- the user blocked the bot
            blocked_at        TEXT,
            interactions      INTEGER NOT NULL DEFAULT 1
        ) STRICT
        """,
    ),
    # 2: staff edits of the lab directory (applied on top of data/labs.toml, in id order; the
    # table is also the history of who changed what and when), and what people asked.
    (
        """
        CREATE TABLE lab_edits (
            id         INTEGER PRIMARY KEY,
            lab_id     TEXT    NOT NULL,
            field      TEXT    NOT NULL,
            value      TEXT    NOT NULL,  -- JSON
            staff_id   INTEGER NOT NULL,
            changed_at TEXT    NOT NULL
        ) STRICT
        """,
        "CREATE INDEX lab_edits_by_lab ON lab_edits (lab_id, id)",
        """
        CREATE TABLE questions (
            id       INTEGER PRIMARY KEY,
            asked_at TEXT    NOT NULL,
            intent   TEXT    NOT NULL,  -- what the bot understood (fallback = not understood)
            subject  TEXT,              -- the lab id, place key or topic it was about
            text     TEXT               -- kept only when not understood; never a user id
        ) STRICT
        """,
        "CREATE INDEX questions_by_time ON questions (asked_at)",
    ),
    # 3: the Scuola: editions and their sessions, sign-ups, forms in progress, the e-mail outbox
    # (each message stored fully rendered, so a retry sends the very same bytes), and the topics
    # people asked to be notified about.
    (
        """
        CREATE TABLE editions (
            id         TEXT    PRIMARY KEY,              -- e.g. autunno-2026
            title      TEXT    NOT NULL,
            year       INTEGER NOT NULL,
            capacity   INTEGER,                          -- NULL: no limit
            deadline   TEXT,                             -- sign-ups close at this moment (UTC)
            open       INTEGER NOT NULL DEFAULT 1,
            origin     TEXT    NOT NULL DEFAULT 'chat',  -- 'file' (data/scuola.toml) or 'chat'
            created_at TEXT    NOT NULL
        ) STRICT
        """,
        """
        CREATE TABLE edition_sessions (
            id         INTEGER PRIMARY KEY,
            edition_id TEXT    NOT NULL REFERENCES editions (id) ON DELETE CASCADE,
            starts_at  TEXT    NOT NULL,
            ends_at    TEXT    NOT NULL,
            place      TEXT    NOT NULL DEFAULT '',
            online_url TEXT    NOT NULL DEFAULT ''
        ) STRICT
        """,
        "CREATE INDEX sessions_by_edition ON edition_sessions (edition_id, starts_at)",
        """
        CREATE TABLE signups (
            id           INTEGER PRIMARY KEY,
            code         TEXT    NOT NULL UNIQUE,        -- SLS-2026-0042
            year         INTEGER NOT NULL,
            seq          INTEGER NOT NULL,
            edition_id   TEXT    NOT NULL REFERENCES editions (id),
            user_id      INTEGER NOT NULL,
            first_name   TEXT    NOT NULL,
            last_name    TEXT    NOT NULL,
            email        TEXT    NOT NULL,
            phone        TEXT    NOT NULL DEFAULT '',
            role         TEXT    NOT NULL,
            organisation TEXT    NOT NULL DEFAULT '',
            note         TEXT    NOT NULL DEFAULT '',
            status       TEXT    NOT NULL CHECK (status IN ('confirmed', 'waiting', 'cancelled')),
            consent_at   TEXT    NOT NULL,
            created_at   TEXT    NOT NULL,
            updated_at   TEXT    NOT NULL,
            cancelled_at TEXT,
            UNIQUE (year, seq)
        ) STRICT
        """,
        """
        CREATE UNIQUE INDEX signups_one_active_per_person
            ON signups (edition_id, user_id) WHERE status != 'cancelled'
        """,
        """
        CREATE TABLE signup_drafts (
            user_id    INTEGER PRIMARY KEY,
            step       TEXT    NOT NULL,
            data       TEXT    NOT NULL,  -- JSON: the answers so far
            updated_at TEXT    NOT NULL
        ) STRICT
        """,
        """
        CREATE TABLE outbox (
            id              INTEGER PRIMARY KEY,
            message_id      TEXT    NOT NULL UNIQUE,
            kind            TEXT    NOT NULL,  -- signup, update, cancellation, promotion
            signup_id       INTEGER REFERENCES signups (id) ON DELETE SET NULL,
            raw             BLOB    NOT NULL,  -- the whole RFC 5322 message
            status          TEXT    NOT NULL DEFAULT 'pending'
                                    CHECK (status IN ('pending', 'sent', 'failed')),
            attempts        INTEGER NOT NULL DEFAULT 0,
            next_attempt_at TEXT    NOT NULL,
            last_error      TEXT,
            created_at      TEXT    NOT NULL,
            sent_at         TEXT
        ) STRICT
        """,
        "CREATE INDEX outbox_due ON outbox (status, next_attempt_at)",
        """
        CREATE TABLE subscriptions (
            user_id    INTEGER NOT NULL,
            topic      TEXT    NOT NULL,  -- assemblea, scuola, annunci
            created_at TEXT    NOT NULL,
            PRIMARY KEY (user_id, topic)
        ) STRICT
        """,
    ),
    # 4: events and who said they will come; what people turned off; reminders (one row per
    # event and offset, the plan) and deliveries (one row per message and person: a reminder or
    # an announcement is sent to each person at most once, and resumes after a crash).
    (
        """
        CREATE TABLE events (
            id          TEXT    PRIMARY KEY,
            kind        TEXT    NOT NULL CHECK (kind IN ('assemblea', 'altro')),
            title       TEXT    NOT NULL,
            starts_at   TEXT    NOT NULL,
            ends_at     TEXT    NOT NULL,
            lab_id      TEXT    NOT NULL DEFAULT '',
            place       TEXT    NOT NULL DEFAULT '',
            lat         REAL,
            lon         REAL,
            online_url  TEXT    NOT NULL DEFAULT '',
            description TEXT    NOT NULL DEFAULT '',
            cancelled   INTEGER NOT NULL DEFAULT 0,
            origin      TEXT    NOT NULL DEFAULT 'chat',
            updated_at  TEXT    NOT NULL
        ) STRICT
        """,
        """
        CREATE TABLE attendances (
            event_id   TEXT    NOT NULL REFERENCES events (id) ON DELETE CASCADE,
            user_id    INTEGER NOT NULL,
            share_name INTEGER NOT NULL DEFAULT 0,  -- agreed to show their name to staff
            name       TEXT    NOT NULL DEFAULT '',
            created_at TEXT    NOT NULL,
            PRIMARY KEY (event_id, user_id)
        ) STRICT
        """,
        """
        CREATE TABLE optouts (
            user_id    INTEGER NOT NULL,
            scope      TEXT    NOT NULL,  -- topic:scuola, topic:annunci, event:<ref>
            created_at TEXT    NOT NULL,
            PRIMARY KEY (user_id, scope)
        ) STRICT
        """,
        """
        CREATE TABLE reminders (
            key       TEXT PRIMARY KEY,  -- <event ref>|<offset>
            ref       TEXT NOT NULL,
            offset    TEXT NOT NULL,
            due_at    TEXT NOT NULL,
            status    TEXT NOT NULL DEFAULT 'pending'
                           CHECK (status IN ('pending', 'done', 'skipped', 'cancelled'))
        ) STRICT
        """,
        "CREATE INDEX reminders_due ON reminders (status, due_at)",
        """
        CREATE TABLE deliveries (
            id         INTEGER PRIMARY KEY,
            job        TEXT    NOT NULL,  -- reminder:<key> or announcement:<id>
            user_id    INTEGER NOT NULL,
            status     TEXT    NOT NULL DEFAULT 'pending'
                               CHECK (status IN ('pending', 'sent', 'blocked', 'failed')),
            attempts   INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT    NOT NULL,
            UNIQUE (job, user_id)
        ) STRICT
        """,
        "CREATE INDEX deliveries_pending ON deliveries (job, status, id)",
    ),
    (  # 5: announcements; deliveries learn 'sending' (in flight) and 'stopped'
        """
        CREATE TABLE announcements (
            id             INTEGER PRIMARY KEY,
            token          TEXT    NOT NULL UNIQUE,  -- the draft it came from: sent once
            author_id      INTEGER NOT NULL,
            kind           TEXT    NOT NULL CHECK (kind IN ('text', 'photo', 'notice')),
            body           TEXT    NOT NULL,  -- Telegram HTML, or the notice as JSON
            photo          TEXT    NOT NULL DEFAULT '',  -- Telegram file_id
            audience       TEXT    NOT NULL,  -- all, topic:<t>, lab:<id>, area:<name>, ...
            status         TEXT    NOT NULL CHECK (status IN
                               ('scheduled', 'sending', 'done', 'stopped', 'cancelled')),
            send_at        TEXT    NOT NULL,
            created_at     TEXT    NOT NULL,
            finished_at    TEXT,
            status_chat    INTEGER,
            status_message INTEGER,
            lang           TEXT    NOT NULL DEFAULT 'it'  -- the sender's, for the report
        ) STRICT
        """,
        "CREATE INDEX announcements_status ON announcements (status, send_at)",
        """
        CREATE TABLE deliveries_new (
            id         INTEGER PRIMARY KEY,
            job        TEXT    NOT NULL,  -- reminder:<key> or announcement:<id>
            user_id    INTEGER NOT NULL,
            status     TEXT    NOT NULL DEFAULT 'pending'
                               CHECK (status IN ('pending', 'sending', 'sent', 'blocked',
                                                 'failed', 'stopped')),
            attempts   INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT    NOT NULL,
            UNIQUE (job, user_id)
        ) STRICT
        """,
        "INSERT INTO deliveries_new SELECT * FROM deliveries",
        "DROP TABLE deliveries",
        "ALTER TABLE deliveries_new RENAME TO deliveries",
        "CREATE INDEX deliveries_pending ON deliveries (job, status, id)",
    ),
    # 6: staff added from the chat by an administrator (those of config.toml are not here).
    (
        """
        CREATE TABLE staff (
            user_id  INTEGER PRIMARY KEY,
            added_by INTEGER NOT NULL,
            added_at TEXT    NOT NULL
        ) STRICT
        """,
    ),
]

SCHEMA_VERSION = len(MIGRATIONS)


class DatabaseError(Exception):
    """A problem with the database file that an operator must fix; the message says how."""


class Database:
    def __init__(self, conn: aiosqlite.Connection, path: Path):
        self._conn = conn
        self.path = path
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: Path) -> Database:
        _check_path(path)  # once, at start: blocking file-system calls are fine here
        try:
            conn = await aiosqlite.connect(path, isolation_level=None)
        except sqlite3.Error as exc:
            raise DatabaseError(f"{path}: cannot open the database: {exc}") from None
        conn.row_factory = sqlite3.Row
        db = cls(conn, path)
        try:
            await db._prepare()
        except sqlite3.DatabaseError as exc:
            await conn.close()
            raise DatabaseError(_explain(path, exc)) from None
        except DatabaseError:
            await conn.close()
            raise
        return db

    async def _prepare(self) -> None:
        await self._conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        version = await self.user_version()
        if version > SCHEMA_VERSION:
            raise DatabaseError(
                f"{self.path}: this database was written by a newer version of the bot "
                f"(schema {version}; this version knows up to {SCHEMA_VERSION}). "
                "Upgrade the bot, or restore a backup made with this version."
            )
        mode = await self._scalar("PRAGMA journal_mode = WAL")
        if str(mode).lower() != "wal":
            log.warning("SQLite WAL mode not available (journal_mode=%s)", mode)
        await self._conn.execute("PRAGMA foreign_keys = ON")
        await self._conn.execute("PRAGMA synchronous = NORMAL")
        for number in range(version + 1, SCHEMA_VERSION + 1):
            await self._migrate(number, MIGRATIONS[number - 1])

    async def _migrate(self, number: int, statements: Iterable[str]) -> None:
        await self._conn.execute("BEGIN IMMEDIATE")
        try:
            for statement in statements:
                await self._conn.execute(statement)
            await self._conn.execute(f"PRAGMA user_version = {number}")
        except BaseException:
            await self._conn.execute("ROLLBACK")
            raise
        await self._conn.execute("COMMIT")
        log.info("database migrated to schema %d", number)

    def files(self) -> list[Path]:
        """The database file and its WAL companions."""
        return [self.path, Path(f"{self.path}-wal"), Path(f"{self.path}-shm")]

    async def user_version(self) -> int:
        return int(await self._scalar("PRAGMA user_version"))

    async def close(self) -> None:
        async with self._lock:
            try:
                await self._conn.execute("PRAGMA optimize")
            finally:
                await self._conn.close()

    async def _scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self._conn.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return None if row is None else row[0]

    # --- the interface the repositories use --------------------------------------------------

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[aiosqlite.Connection]:
        """An exclusive write transaction. Never await Telegram or SMTP inside it."""
        async with self._lock:
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield self._conn
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")

    async def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        """One write statement; returns the number of rows changed."""
        async with self._lock, self._conn.execute(sql, params) as cursor:
            return cursor.rowcount

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        async with self._lock, self._conn.execute(sql, params) as cursor:
            return await cursor.fetchone()

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock, self._conn.execute(sql, params) as cursor:
            return list(await cursor.fetchall())

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        async with self._lock:
            return await self._scalar(sql, params)


def backup(source: Path, target: Path) -> int:
    """A consistent copy of the live database with SQLite's online backup API (safe while the
    bot runs and writes), checked before it is put in place. Returns the copy's schema version.
    The copy is written beside `target` and renamed, so a failed backup leaves no half file."""
    if not source.is_file():
        raise DatabaseError(f"{source}: no database there (is [storage] path right?)")
    if target.is_dir():
        raise DatabaseError(f"{target}: is a folder; give the backup's file name")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(source, timeout=BUSY_TIMEOUT_MS / 1000)
    try:
        dst = sqlite3.connect(partial)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
            check = dst.execute("PRAGMA integrity_check").fetchone()[0]
            version = int(dst.execute("PRAGMA user_version").fetchone()[0])
        finally:
            dst.close()
    except sqlite3.Error as exc:
        partial.unlink(missing_ok=True)
        raise DatabaseError(_explain(source, exc)) from None
    finally:
        src.close()
    if check != "ok":
        partial.unlink(missing_ok=True)
        raise DatabaseError(f"{source}: the copy failed its integrity check: {check}")
    partial.replace(target)
    return version


def _check_path(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            f"{path}: cannot create the folder {path.parent}: {exc.strerror}"
        ) from None
    if path.is_dir():
        raise DatabaseError(f"{path}: is a folder; [storage] path must name a database file")


def _explain(path: Path, exc: sqlite3.DatabaseError) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return (
            f"{path}: this file is not a SQLite database of the bot (or it is damaged). "
            "Point [storage] path at another file, or restore a backup."
        )
    if "readonly" in text or "unable to open" in text or "disk I/O" in text:
        return f"{path}: the database cannot be written ({text}). Check the file's permissions."
    return f"{path}: database error: {text}"
