"""Citizens' proposals: the form being written, the proposals with their moderation, who
supports and who follows each."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from sqlite3 import Row

from domain.proposals import NETWORK, PENDING, PUBLISHED, REJECTED, ProposalDraft
from storage.db import Database
from storage.times import from_db, to_db


@dataclass(frozen=True)
class Proposal:
    id: int
    lab_id: str  # NETWORK ('') for the whole network
    author_id: int | None  # None once the author erased their data
    author_name: str  # shown publicly; '' unless the author said it may be
    title: str
    body: str
    place: str
    lat: float | None
    lon: float | None
    photo: str
    status: str  # pending, published, rejected
    reason: str
    state: str  # the latest answer's, '' before any
    hidden: bool
    created_at: datetime
    moderated_at: datetime | None
    supports: int = 0

    @property
    def for_network(self) -> bool:
        return self.lab_id == NETWORK

    @property
    def visible(self) -> bool:
        """Shown to everyone: published and not hidden by reports."""
        return self.status == PUBLISHED and not self.hidden


_SELECT = (
    "SELECT p.*, (SELECT count(*) FROM proposal_supports s WHERE s.proposal_id = p.id) "
    "AS supports FROM proposals p"
)


def _proposal(row: Row) -> Proposal:
    return Proposal(
        id=row["id"], lab_id=row["lab_id"], author_id=row["author_id"],
        author_name=row["author_name"], title=row["title"], body=row["body"],
        place=row["place"], lat=row["lat"], lon=row["lon"], photo=row["photo"],
        status=row["status"], reason=row["reason"], state=row["state"],
        hidden=bool(row["hidden"]), created_at=from_db(row["created_at"]),
        moderated_at=from_db(row["moderated_at"]) if row["moderated_at"] else None,
        supports=row["supports"],
    )  # fmt: skip


class ProposalsRepo:
    def __init__(self, db: Database):
        self._db = db

    # --- the form being written ---------------------------------------------------------------

    async def drafts(self) -> list[ProposalDraft]:
        rows = await self._db.fetch_all("SELECT * FROM proposal_drafts ORDER BY user_id")
        return [
            ProposalDraft.from_data(r["user_id"], json.loads(r["data"]), from_db(r["updated_at"]))
            for r in rows
        ]

    async def save_draft(self, draft: ProposalDraft, now: datetime) -> None:
        draft.updated_at = now.isoformat()
        await self._db.execute(
            """
            INSERT INTO proposal_drafts (user_id, data, updated_at) VALUES (?, ?, ?)
            ON CONFLICT (user_id) DO UPDATE SET data = excluded.data,
                updated_at = excluded.updated_at
            """,
            (draft.user_id, json.dumps(draft.to_data(), ensure_ascii=False), to_db(now)),
        )

    async def drop_draft(self, user_id: int) -> None:
        await self._db.execute("DELETE FROM proposal_drafts WHERE user_id = ?", (user_id,))

    # --- proposals ----------------------------------------------------------------------------

    async def sent_since(self, author_id: int, since: datetime) -> int:
        return int(
            await self._db.scalar(
                "SELECT count(*) FROM proposals WHERE author_id = ? AND created_at >= ?",
                (author_id, to_db(since)),
            )
        )

    async def create(self, draft: ProposalDraft, author_name: str, now: datetime) -> Proposal:
        """The proposal, waiting for moderation, and the form's removal: one transaction."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO proposals (lab_id, author_id, author_name, title, body, place, lat, "
                "lon, photo, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    draft.lab or NETWORK, draft.user_id, author_name if draft.show_name else "",
                    draft.title, draft.body, draft.place, draft.lat, draft.lon, draft.photo,
                    to_db(now),
                ),
            )  # fmt: skip
            new_id = cursor.lastrowid
            await conn.execute("DELETE FROM proposal_drafts WHERE user_id = ?", (draft.user_id,))
        found = await self.get(int(new_id or 0))
        assert found is not None
        return found

    async def get(self, proposal_id: int) -> Proposal | None:
        row = await self._db.fetch_one(f"{_SELECT} WHERE p.id = ?", (proposal_id,))
        return _proposal(row) if row else None

    async def pending(self) -> list[Proposal]:
        """Waiting for moderation, oldest first."""
        rows = await self._db.fetch_all(
            f"{_SELECT} WHERE p.status = ? ORDER BY p.created_at, p.id", (PENDING,)
        )
        return [_proposal(r) for r in rows]

    async def publish(self, proposal_id: int, by: int, now: datetime) -> bool:
        """Published (and out of hiding, its reports forgotten) by a moderator; False if it
        was not waiting (already decided)."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE proposals SET status = ?, hidden = 0, moderated_at = ?, moderated_by = ? "
                "WHERE id = ? AND status = ?",
                (PUBLISHED, to_db(now), by, proposal_id, PENDING),
            )
            if cursor.rowcount != 1:
                return False
            await conn.execute("DELETE FROM proposal_reports WHERE proposal_id = ?", (proposal_id,))
            return True

    async def report(self, proposal_id: int, user_id: int, now: datetime, hide_at: int) -> bool:
        """The person reports a published proposal (once each); at `hide_at` reports from
        different people it is hidden and waits for a moderator again. True if this report
        hid it."""
        async with self._db.transaction() as conn:
            await conn.execute(
                "INSERT OR IGNORE INTO proposal_reports (proposal_id, user_id, created_at) "
                "VALUES (?, ?, ?)",
                (proposal_id, user_id, to_db(now)),
            )
            cursor = await conn.execute(
                "UPDATE proposals SET hidden = 1, status = ? WHERE id = ? AND status = ? "
                "AND (SELECT count(*) FROM proposal_reports WHERE proposal_id = ?) >= ?",
                (PENDING, proposal_id, PUBLISHED, proposal_id, hide_at),
            )
            return cursor.rowcount == 1

    async def reject(self, proposal_id: int, by: int, reason: str, now: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE proposals SET status = ?, reason = ?, moderated_at = ?, moderated_by = ? "
            "WHERE id = ? AND status = ?",
            (REJECTED, reason, to_db(now), by, proposal_id, PENDING),
        )
        return changed == 1

    async def retitle(self, proposal_id: int, title: str) -> bool:
        changed = await self._db.execute(
            "UPDATE proposals SET title = ? WHERE id = ? AND status != ?",
            (title, proposal_id, REJECTED),
        )
        return changed == 1

    async def waiting_since(self, before: datetime) -> list[Proposal]:
        """Waiting since before `before` and not reminded of yet."""
        rows = await self._db.fetch_all(
            f"{_SELECT} WHERE p.status = ? AND p.created_at < ? AND p.reminded_at IS NULL "
            "ORDER BY p.created_at, p.id",
            (PENDING, to_db(before)),
        )
        return [_proposal(r) for r in rows]

    async def mark_reminded(self, ids: list[int], now: datetime) -> None:
        async with self._db.transaction() as conn:
            for proposal_id in ids:
                await conn.execute(
                    "UPDATE proposals SET reminded_at = ? WHERE id = ?", (to_db(now), proposal_id)
                )

    async def published(self, lab_id: str | None = None) -> list[Proposal]:
        """Published and not hidden (of one lab, or NETWORK's, when given), most supported
        first, then the newest."""
        where = "p.status = ? AND p.hidden = 0"
        params: tuple[object, ...] = (PUBLISHED,)
        if lab_id is not None:
            where += " AND p.lab_id = ?"
            params += (lab_id,)
        rows = await self._db.fetch_all(
            f"{_SELECT} WHERE {where} ORDER BY supports DESC, p.moderated_at DESC, p.id DESC",
            params,
        )
        return [_proposal(r) for r in rows]

    async def counts_by_lab(self) -> dict[str, int]:
        """Published proposals in sight, per lab (NETWORK included)."""
        rows = await self._db.fetch_all(
            "SELECT lab_id, count(*) AS n FROM proposals WHERE status = ? AND hidden = 0 "
            "GROUP BY lab_id",
            (PUBLISHED,),
        )
        return {r["lab_id"]: r["n"] for r in rows}

    # --- supports and follows -----------------------------------------------------------------

    async def toggle(self, table: str, proposal_id: int, user_id: int, now: datetime) -> bool:
        """Supports or follows (`table`) the proposal now, or no more: True if now on."""
        assert table in ("proposal_supports", "proposal_follows")
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                f"DELETE FROM {table} WHERE proposal_id = ? AND user_id = ?", (proposal_id, user_id)
            )
            if cursor.rowcount:
                return False
            await conn.execute(
                f"INSERT INTO {table} (proposal_id, user_id, created_at) VALUES (?, ?, ?)",
                (proposal_id, user_id, to_db(now)),
            )
            return True

    async def marks(self, proposal_id: int, user_id: int) -> tuple[bool, bool]:
        """Whether the person supports, and follows, the proposal."""
        row = await self._db.fetch_one(
            "SELECT EXISTS (SELECT 1 FROM proposal_supports WHERE proposal_id = ? AND user_id = ?)"
            " AS s, EXISTS (SELECT 1 FROM proposal_follows WHERE proposal_id = ? AND user_id = ?)"
            " AS f",
            (proposal_id, user_id, proposal_id, user_id),
        )
        return (bool(row["s"]), bool(row["f"])) if row else (False, False)


@dataclass(frozen=True)
class Answer:
    id: int
    proposal_id: int
    state: str
    text: str
    done_on: str  # ISO date, for "done"; '' otherwise
    created_at: datetime


@dataclass(frozen=True)
class Notice:
    answer_id: int
    proposal_id: int
    user_id: int


class AnswersRepo:
    """The answers a proposal had (its history), and who is told of each, once."""

    def __init__(self, db: Database):
        self._db = db

    async def answer(
        self, proposal_id: int, state: str, text: str, done_on: str, by: int, now: datetime
    ) -> tuple[Answer, int]:
        """The answer, the proposal's new state and one notice per person to tell (its author,
        its supporters, its followers: each once), in one transaction. Returns the answer and
        how many people will be told."""
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO proposal_answers (proposal_id, state, text, done_on, by_id, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (proposal_id, state, text, done_on, by, to_db(now)),
            )
            answer_id = int(cursor.lastrowid or 0)
            await conn.execute("UPDATE proposals SET state = ? WHERE id = ?", (state, proposal_id))
            cursor = await conn.execute(
                """
                INSERT OR IGNORE INTO proposal_notices (answer_id, user_id, updated_at)
                SELECT ?, who, ? FROM (
                    SELECT author_id AS who FROM proposals WHERE id = ? AND author_id IS NOT NULL
                    UNION SELECT user_id FROM proposal_supports WHERE proposal_id = ?
                    UNION SELECT user_id FROM proposal_follows WHERE proposal_id = ?
                ) WHERE who NOT IN (SELECT id FROM users WHERE blocked = 1)
                """,
                (answer_id, to_db(now), proposal_id, proposal_id, proposal_id),
            )
            told = max(cursor.rowcount, 0)
        return Answer(answer_id, proposal_id, state, text, done_on, now), told

    async def history(self, proposal_id: int) -> list[Answer]:
        rows = await self._db.fetch_all(
            "SELECT * FROM proposal_answers WHERE proposal_id = ? ORDER BY id", (proposal_id,)
        )
        return [
            Answer(r["id"], r["proposal_id"], r["state"], r["text"], r["done_on"],
                   from_db(r["created_at"]))
            for r in rows
        ]  # fmt: skip

    async def pending_notices(self) -> list[Notice]:
        rows = await self._db.fetch_all(
            "SELECT n.answer_id, a.proposal_id, n.user_id FROM proposal_notices n "
            "JOIN proposal_answers a ON a.id = n.answer_id WHERE n.status = 'pending' "
            "ORDER BY n.answer_id, n.user_id"
        )
        return [Notice(r["answer_id"], r["proposal_id"], r["user_id"]) for r in rows]

    async def claim(self, notice: Notice, now: datetime) -> bool:
        """Marked as being sent, before its message goes out; False if another delivery took
        it first. A crash between this and `done` leaves it unsent rather than sent twice."""
        return await self._set(notice, "sending", "pending", now)

    async def done(self, notice: Notice, sent: bool, now: datetime) -> None:
        await self._set(notice, "sent" if sent else "failed", "sending", now)

    async def _set(self, notice: Notice, status: str, was: str, now: datetime) -> bool:
        changed = await self._db.execute(
            "UPDATE proposal_notices SET status = ?, updated_at = ? "
            "WHERE answer_id = ? AND user_id = ? AND status = ?",
            (status, to_db(now), notice.answer_id, notice.user_id, was),
        )
        return changed == 1


@dataclass(frozen=True)
class Offer:
    id: int
    lab_id: str
    user_id: int
    text: str
    contact: str
    status: str  # new, contact, declined
    created_at: datetime


class OffersRepo:
    """Offers of a hand to a lab."""

    def __init__(self, db: Database):
        self._db = db

    async def create(
        self, lab_id: str, user_id: int, text: str, contact: str, now: datetime
    ) -> Offer:
        async with self._db.transaction() as conn:
            cursor = await conn.execute(
                "INSERT INTO offers (lab_id, user_id, text, contact, created_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (lab_id, user_id, text, contact, to_db(now)),
            )
            offer_id = int(cursor.lastrowid or 0)
        return Offer(offer_id, lab_id, user_id, text, contact, "new", now)

    async def get(self, offer_id: int) -> Offer | None:
        row = await self._db.fetch_one("SELECT * FROM offers WHERE id = ?", (offer_id,))
        if row is None:
            return None
        return Offer(
            row["id"], row["lab_id"], row["user_id"], row["text"], row["contact"],
            row["status"], from_db(row["created_at"]),
        )  # fmt: skip

    async def last_to(self, user_id: int, lab_id: str) -> datetime | None:
        """When the person last offered a hand to the lab."""
        found = await self._db.scalar(
            "SELECT max(created_at) FROM offers WHERE user_id = ? AND lab_id = ?",
            (user_id, lab_id),
        )
        return from_db(found) if found else None

    async def reply(self, offer_id: int, status: str, by: int, now: datetime) -> bool:
        """The lab's one-tap reply; False if someone replied first."""
        changed = await self._db.execute(
            "UPDATE offers SET status = ?, answered_by = ?, answered_at = ? "
            "WHERE id = ? AND status = 'new'",
            (status, by, to_db(now), offer_id),
        )
        return changed == 1
