"""The people who run each lab (coordinators), their invitations, and the monthly check."""

from __future__ import annotations

import hmac
import sqlite3
from dataclasses import dataclass
from datetime import datetime

from storage.db import Database, sha256_hex
from storage.times import from_db, to_db


@dataclass(frozen=True)
class Coordinator:
    lab_id: str
    user_id: int
    name: str
    added_by: int
    added_at: datetime


@dataclass(frozen=True)
class Redeemed:
    """What opening an invitation did. `outcome`: ok, already (was a coordinator of that lab
    already: the invitation is still used up), used, expired, revoked, unknown."""

    outcome: str
    lab_id: str | None = None
    created_by: int | None = None


class CoordinatorsRepo:
    def __init__(self, db: Database):
        self._db = db

    async def all(self) -> list[Coordinator]:
        rows = await self._db.fetch_all("SELECT * FROM coordinators ORDER BY lab_id, added_at")
        return [_coordinator(row) for row in rows]

    async def of_lab(self, lab_id: str) -> list[Coordinator]:
        rows = await self._db.fetch_all(
            "SELECT * FROM coordinators WHERE lab_id = ? ORDER BY added_at", (lab_id,)
        )
        return [_coordinator(row) for row in rows]

    async def remove(self, lab_id: str, user_id: int) -> bool:
        changed = await self._db.execute(
            "DELETE FROM coordinators WHERE lab_id = ? AND user_id = ?", (lab_id, user_id)
        )
        return changed == 1

    async def invite(
        self, token: str, lab_id: str, created_by: int, now: datetime, expires_at: datetime
    ) -> None:
        """Keeps the invitation with only the SHA-256 of its secret `token`: the link is the
        one copy of the secret."""
        await self._db.execute(
            "INSERT INTO invitations (token_hash, lab_id, created_by, created_at, expires_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (sha256_hex(token), lab_id, created_by, to_db(now), to_db(expires_at)),
        )

    async def redeem(self, token: str, user_id: int, name: str, now: datetime) -> Redeemed:
        """Opens an invitation: checked and used up in one transaction, so two taps on the same
        link (or two people) make one coordinator. The secret is found by its hash, and
        compared in constant time."""
        digest = sha256_hex(token)
        async with self._db.transaction() as conn:
            async with conn.execute(
                "SELECT * FROM invitations WHERE token_hash = ?", (digest,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is None or not hmac.compare_digest(row["token_hash"], digest):
                return Redeemed("unknown")
            lab_id, created_by = row["lab_id"], row["created_by"]
            if row["revoked"]:
                return Redeemed("revoked", lab_id, created_by)
            if row["used_by"] is not None:
                return Redeemed("used", lab_id, created_by)
            if from_db(row["expires_at"]) <= now:
                return Redeemed("expired", lab_id, created_by)
            await conn.execute(
                "UPDATE invitations SET used_by = ?, used_at = ? WHERE token_hash = ?",
                (user_id, to_db(now), digest),
            )
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO coordinators (lab_id, user_id, name, added_by, added_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (lab_id, user_id, name, created_by, to_db(now)),
            )
            outcome = "ok" if cursor.rowcount == 1 else "already"
            return Redeemed(outcome, lab_id, created_by)

    async def open_invitations(self, lab_id: str, now: datetime) -> int:
        """Invitations of the lab that still work: not opened, withdrawn or expired."""
        return int(
            await self._db.scalar(
                "SELECT count(*) FROM invitations WHERE lab_id = ? AND used_by IS NULL "
                "AND revoked = 0 AND expires_at > ?",
                (lab_id, to_db(now)),
            )
        )

    async def revoke_invitations(self, lab_id: str) -> int:
        """Invitations of a lab not opened yet stop working (a link sent to the wrong person)."""
        return await self._db.execute(
            "UPDATE invitations SET revoked = 1 WHERE lab_id = ? AND used_by IS NULL "
            "AND revoked = 0",
            (lab_id,),
        )

    async def check_due(self, lab_id: str, user_id: int, month: str, now: datetime) -> bool:
        """Records the monthly check for this lab, person and month; False if it was already
        sent, so a restart or a second run sends it once."""
        changed = await self._db.execute(
            "INSERT OR IGNORE INTO freshness_checks (lab_id, user_id, month, sent_at) "
            "VALUES (?, ?, ?, ?)",
            (lab_id, user_id, month, to_db(now)),
        )
        return changed == 1


def _coordinator(row: sqlite3.Row) -> Coordinator:
    return Coordinator(
        row["lab_id"], row["user_id"], row["name"], row["added_by"], from_db(row["added_at"])
    )
