"""The people the bot has talked to."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.times import from_db, to_db


@dataclass(frozen=True)
class User:
    id: int
    language: str
    language_explicit: bool
    first_seen: datetime
    last_seen: datetime
    blocked: bool


@dataclass(slots=True)
class Seen:
    """What updates since the last write said about one person (written behind)."""

    id: int
    at: datetime  # the latest update
    count: int  # how many updates
    language: str  # the language Telegram suggested in the latest one
    since: datetime | None = None  # someone new, not in the table yet: their first update


def _user(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        language=row["language"],
        language_explicit=bool(row["language_explicit"]),
        first_seen=from_db(row["first_seen"]),
        last_seen=from_db(row["last_seen"]),
        blocked=bool(row["blocked"]),
    )


class UsersRepo:
    def __init__(self, db: Database):
        self._db = db

    async def seen_many(self, seen: list[Seen]) -> set[int]:
        """Record the interactions of many people in one statement (one transaction); returns
        the ids written. New people (`since` set) are inserted; the others are only updated,
        so someone erased in the meanwhile stays erased. A block recorded at or after a
        person's latest update (a refused message, their own block) stands; one recorded before
        it is lifted: writing to the bot means no longer blocking it. A language chosen with
        /lingua stays."""
        if not seen:
            return set()
        # A write with RETURNING: it has committed once its rows are read, in one round trip.
        rows = await self._db.fetch_all(
            """
            INSERT INTO users (id, language, first_seen, last_seen, interactions)
            SELECT p.id, p.suggested, coalesce(p.since, p.at), p.at, p.n FROM (
                SELECT json_extract(value, '$[0]') AS id, json_extract(value, '$[1]') AS at,
                       json_extract(value, '$[2]') AS n, json_extract(value, '$[3]') AS suggested,
                       json_extract(value, '$[4]') AS since
                FROM json_each(?)
            ) AS p
            WHERE p.since IS NOT NULL OR p.id IN (SELECT id FROM users)
            ON CONFLICT (id) DO UPDATE SET
                last_seen = max(users.last_seen, excluded.last_seen),
                interactions = users.interactions + excluded.interactions,
                language = CASE WHEN users.language_explicit THEN users.language
                                ELSE excluded.language END,
                blocked = CASE WHEN users.blocked_at >= excluded.last_seen THEN users.blocked
                               ELSE 0 END,
                blocked_at = CASE WHEN users.blocked_at >= excluded.last_seen THEN users.blocked_at
                             END
            RETURNING id
            """,
            (
                json.dumps(
                    [
                        [s.id, to_db(s.at), s.count, s.language, s.since and to_db(s.since)]
                        for s in seen
                    ]
                ),
            ),
        )
        return {row[0] for row in rows}

    async def languages(self) -> list[tuple[int, str, bool]]:
        """Everyone, with the language replies use and whether they chose it."""
        rows = await self._db.fetch_all("SELECT id, language, language_explicit FROM users")
        return [(row[0], row[1], bool(row[2])) for row in rows]

    async def get(self, user_id: int) -> User | None:
        row = await self._db.fetch_one("SELECT * FROM users WHERE id = ?", (user_id,))
        return None if row is None else _user(row)

    async def set_language(self, user_id: int, language: str) -> None:
        await self._db.execute(
            "UPDATE users SET language = ?, language_explicit = 1 WHERE id = ?",
            (language, user_id),
        )

    async def set_blocked(self, user_id: int, blocked: bool, now: datetime) -> None:
        await self._db.execute(
            "UPDATE users SET blocked = ?, blocked_at = ? WHERE id = ?",
            (int(blocked), to_db(now) if blocked else None, user_id),
        )

    async def blocked_among(self, user_ids: set[int]) -> set[int]:
        """Which of these people blocked the bot (one query, however many they are)."""
        if not user_ids:
            return set()
        rows = await self._db.fetch_all(
            "SELECT value AS id FROM json_each(?) JOIN users u ON u.id = value WHERE u.blocked = 1",
            (json.dumps(sorted(user_ids)),),
        )
        return {r["id"] for r in rows}

    async def everyone(self) -> list[User]:
        """Everyone the bot knows (the sandbox tells its stand-in for Telegram at start)."""
        return [_user(r) for r in await self._db.fetch_all("SELECT * FROM users ORDER BY id")]

    async def count(self) -> int:
        return int(await self._db.scalar("SELECT count(*) FROM users"))
