"""The one SQLite connection of the process.

One long-lived aiosqlite connection in autocommit mode; an asyncio lock makes every write and every
transaction exclusive, so two coroutines never interleave statements inside one transaction.
Opening a file brings its schema up to date with the steps of `storage.migrations` it lacks, each
in one transaction.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite

from storage.migrations import MIGRATIONS, SCHEMA_VERSION

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 5000


def sha256_hex(text: str) -> str:
    """The SHA-256 of a secret, as stored in place of the secret (hex)."""
    return hashlib.sha256(text.encode()).hexdigest()


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
        # What is deleted (an erasure, the retention) is overwritten with zeros, not left in
        # the file's free space; `checkpoint` empties the WAL, which holds earlier versions.
        await self._conn.execute("PRAGMA secure_delete = ON")
        # For the migrations that hash a secret kept in clear before (`storage.migrations`).
        await self._conn.create_function("sha256", 1, sha256_hex, deterministic=True)
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

    async def checkpoint(self) -> None:
        """Copy the WAL into the database file and empty it: after deleting personal data, so
        the rows' earlier versions, still in the WAL, are gone too. A reader elsewhere (a backup
        running) can keep it from finishing: that is logged, and the next one (at the latest the
        nightly retention's) does it."""
        async with self._lock, self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            row = await cursor.fetchone()
        if row is not None and row[0]:
            log.warning("the WAL could not be emptied now: a reader is busy")

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
        """One write statement; returns the number of rows changed. One round trip: a write
        has run to its end (and, outside a transaction, committed) when `execute` returns, so
        its cursor needs no second trip to be closed."""
        async with self._lock:
            cursor = await self._conn.execute(sql, params)
        return cursor.rowcount

    # Reads are one round trip to aiosqlite's thread (execute, fetch and close there at once):
    # a cursor driven from here costs three, and these are on the path of every reply.

    async def fetch_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        async with self._lock:
            rows = await self._conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    async def fetch_all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock:
            return list(await self._conn.execute_fetchall(sql, params))

    async def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        row = await self.fetch_one(sql, params)
        return None if row is None else row[0]


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


def _explain(path: Path, exc: sqlite3.Error) -> str:
    text = str(exc)
    if "not a database" in text or "malformed" in text:
        return (
            f"{path}: this file is not a SQLite database of the bot (or it is damaged). "
            "Point [storage] path at another file, or restore a backup."
        )
    if "readonly" in text or "unable to open" in text or "disk I/O" in text:
        return f"{path}: the database cannot be written ({text}). Check the file's permissions."
    return f"{path}: database error: {text}"
