"""Staff added from the chat by an administrator. Those named in config.toml are not stored."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.db import Database
from storage.times import from_db, to_db


@dataclass(frozen=True)
class StaffMember:
    user_id: int
    added_by: int
    added_at: datetime


class StaffRepo:
    def __init__(self, db: Database):
        self._db = db

    async def all(self) -> list[StaffMember]:
        rows = await self._db.fetch_all("SELECT * FROM staff ORDER BY added_at, user_id")
        return [StaffMember(r["user_id"], r["added_by"], from_db(r["added_at"])) for r in rows]

    async def ids(self) -> frozenset[int]:
        return frozenset(m.user_id for m in await self.all())

    async def add(self, user_id: int, added_by: int, now: datetime) -> bool:
        """False when the person was staff already."""
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO staff (user_id, added_by, added_at) VALUES (?, ?, ?)",
            (user_id, added_by, to_db(now)),
        )
        return changed == 1

    async def remove(self, user_id: int) -> bool:
        return await self._db.execute("DELETE FROM staff WHERE user_id = ?", (user_id,)) == 1
