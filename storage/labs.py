"""Staff edits of the lab directory, and the questions people asked."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.directory import LabEdit
from domain.personal import without_contacts
from storage.db import Database
from storage.times import from_db, to_db

MAX_QUESTION = 500


@dataclass(frozen=True)
class EditRecord:
    id: int
    edit: LabEdit
    staff_id: int
    changed_at: datetime


class LabEditsRepo:
    def __init__(self, db: Database):
        self._db = db

    async def add(self, lab_id: str, field: str, value: Any, staff_id: int, now: datetime) -> int:
        rows = await self.add_many(lab_id, [(field, value)], staff_id, now)
        return rows[0]

    async def add_many(
        self, lab_id: str, changes: list[tuple[str, Any]], staff_id: int, now: datetime
    ) -> list[int]:
        """Several fields of one lab in one transaction (a new lab and its name, say)."""
        ids = []
        async with self._db.transaction() as conn:
            for field, value in changes:
                cursor = await conn.execute(
                    "INSERT INTO lab_edits (lab_id, field, value, staff_id, changed_at) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (lab_id, field, json.dumps(value, ensure_ascii=False), staff_id, to_db(now)),
                )
                ids.append(int(cursor.lastrowid or 0))
        return ids

    async def all(self) -> list[EditRecord]:
        rows = await self._db.fetch_all("SELECT * FROM lab_edits ORDER BY id")
        return [
            EditRecord(
                id=row["id"],
                edit=LabEdit(row["lab_id"], row["field"], json.loads(row["value"])),
                staff_id=row["staff_id"],
                changed_at=from_db(row["changed_at"]),
            )
            for row in rows
        ]

    async def history(self, lab_id: str) -> list[EditRecord]:
        return [record for record in await self.all() if record.edit.lab_id == lab_id]


@dataclass(frozen=True)
class Question:
    asked_at: datetime
    intent: str
    subject: str | None
    text: str | None


@dataclass(frozen=True)
class NewQuestion:
    asked_at: datetime
    intent: str
    subject: str | None
    text: str | None  # kept only when not understood


class QuestionsRepo:
    def __init__(self, db: Database):
        self._db = db

    async def record_many(self, questions: list[NewQuestion]) -> None:
        """Questions, in their order, in one statement (one transaction); each without who
        asked, its text (when kept) without the contacts in it."""
        rows = [
            [to_db(q.asked_at), q.intent, q.subject,
             without_contacts(q.text)[:MAX_QUESTION] if q.text else None]
            for q in questions
        ]  # fmt: skip
        await self._db.execute(
            "INSERT INTO questions (asked_at, intent, subject, text) "
            "SELECT json_extract(value, '$[0]'), json_extract(value, '$[1]'), "
            "json_extract(value, '$[2]'), json_extract(value, '$[3]') FROM json_each(?)",
            (json.dumps(rows),),
        )

    async def record(
        self, intent: str, subject: str | None, text: str | None, now: datetime
    ) -> None:
        """A question, without who asked; its text (when kept) without the contacts in it."""
        kept = without_contacts(text)[:MAX_QUESTION] if text else None
        await self._db.execute(
            "INSERT INTO questions (asked_at, intent, subject, text) VALUES (?, ?, ?, ?)",
            (to_db(now), intent, subject, kept),
        )

    async def not_understood(self, limit: int = 50) -> list[Question]:
        rows = await self._db.fetch_all(
            "SELECT * FROM questions WHERE intent = 'fallback' AND text IS NOT NULL "
            "ORDER BY id DESC LIMIT ?",
            (limit,),
        )
        return [
            Question(from_db(r["asked_at"]), r["intent"], r["subject"], r["text"]) for r in rows
        ]

    async def count(self) -> int:
        return int(await self._db.scalar("SELECT count(*) FROM questions"))
