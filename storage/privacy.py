"""Everything the bot stores about one person: exported on request, erased on request, and
trimmed on a schedule (retention).

The list of tables that hold a person's data is written once, here; `tests/test_privacy.py`
checks every table of the schema, so a new table that stores a user id cannot be forgotten.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from domain.mail import readable
from domain.scuola import Draft
from storage.db import Database
from storage.outbox import NewMail, queue_in
from storage.times import to_db

# Signup fields that identify the person; the edition, the role and the dates stay for counts.
_PERSONAL = ("first_name", "last_name", "email", "phone", "organisation", "note")
# What anonymising a sign-up means, in erasure and in retention alike.
_ANONYMISE = (
    "UPDATE signups SET "
    + ", ".join(f"{f} = ''" for f in _PERSONAL)
    + ", user_id = -id, code = 'ANON-' || id"
)


@dataclass(frozen=True)
class Erased:
    rows: int  # rows deleted or anonymised, in every table
    anonymised_signups: int
    mails: tuple[tuple[int, str], ...] = ()  # (id, Message-ID) of the e-mails deleted
    codes: tuple[str, ...] = ()  # the codes their sign-ups had


class PrivacyRepo:
    def __init__(self, db: Database):
        self._db = db

    async def export(self, user_id: int) -> dict[str, Any]:
        """Every row about the person, table by table (internal ids left out)."""

        async def rows(sql: str, flags: tuple[str, ...] = ()) -> list[dict[str, Any]]:
            found = [dict(r) for r in await self._db.fetch_all(sql, (user_id,))]
            for row in found:  # stored as 0/1: said as true/false
                row.update({flag: bool(row[flag]) for flag in flags})
            return found

        users = await rows(
            "SELECT language, language_explicit, first_seen, last_seen, interactions, blocked, "
            "blocked_at FROM users WHERE id = ?",
            ("language_explicit", "blocked"),
        )
        drafts = await rows("SELECT step, data, updated_at FROM signup_drafts WHERE user_id = ?")
        for draft in drafts:  # the answers given so far, as the person typed them
            answers = Draft.from_value(user_id, draft["step"], json.loads(draft["data"])).answers
            draft["data"] = {k: v for k, v in answers.as_dict().items() if v}
        mails = await rows(
            "SELECT o.kind, o.status, o.created_at AS queued_at, o.sent_at, o.raw FROM outbox o "
            "JOIN signups s ON s.id = o.signup_id WHERE s.user_id = ? ORDER BY o.id"
        )
        for mail in mails:
            mail.update(readable(mail.pop("raw")))
        return {
            "user": users[0] if users else None,
            "staff": await rows("SELECT added_at FROM staff WHERE user_id = ?"),
            "lab_coordinator": await rows(
                "SELECT lab_id, name, added_at FROM coordinators WHERE user_id = ? ORDER BY lab_id"
            ),
            "notifications": await rows(
                "SELECT topic, created_at FROM subscriptions WHERE user_id = ? ORDER BY topic"
            ),
            "turned_off": await rows(
                "SELECT scope, created_at FROM optouts WHERE user_id = ? ORDER BY scope"
            ),
            "scuola_signups": await rows(
                "SELECT code, edition_id, first_name, last_name, email, phone, role, "
                "organisation, note, status, consent_at, created_at, updated_at, cancelled_at "
                "FROM signups WHERE user_id = ? ORDER BY id"
            ),
            "scuola_form_in_progress": drafts,
            # The organisers' e-mails about the person's sign-ups, as they read them.
            "emails_to_organisers": mails,
            "events_attending": await rows(
                "SELECT event_id, share_name, name, created_at FROM attendances "
                "WHERE user_id = ? ORDER BY event_id",
                ("share_name",),
            ),
            "messages_sent_to_you": await rows(
                "SELECT job, status, updated_at FROM deliveries WHERE user_id = ? ORDER BY id"
            ),
            "proposals": await rows(
                "SELECT id, lab_id, title, body, place, lat, lon, author_name AS name_shown, "
                "status, reason, state, created_at FROM proposals WHERE author_id = ? ORDER BY id"
            ),
            "proposal_in_progress": await rows(
                "SELECT data, updated_at FROM proposal_drafts WHERE user_id = ?"
            ),
            "proposals_supported": await rows(
                "SELECT s.proposal_id, p.title, s.created_at FROM proposal_supports s "
                "JOIN proposals p ON p.id = s.proposal_id WHERE s.user_id = ? ORDER BY s.created_at"
            ),
            "proposals_followed": await rows(
                "SELECT f.proposal_id, p.title, f.created_at FROM proposal_follows f "
                "JOIN proposals p ON p.id = f.proposal_id WHERE f.user_id = ? ORDER BY f.created_at"
            ),
            "proposals_reported": await rows(
                "SELECT proposal_id, created_at FROM proposal_reports WHERE user_id = ? "
                "ORDER BY created_at"
            ),
            "offers_of_help": await rows(
                "SELECT lab_id, text, contact, status, created_at FROM offers WHERE user_id = ? "
                "ORDER BY id"
            ),
        }

    async def erase(
        self,
        user_id: int,
        past_editions: set[str],
        now: datetime,
        notice: NewMail | None = None,
    ) -> Erased:
        """Delete everything about the person in one transaction. Sign-ups to editions that are
        over are kept for counts, anonymised; every e-mail about their sign-ups leaves the
        outbox, and `notice` (the organisers' e-mail about the erasure) enters it."""
        async with self._db.transaction() as conn:
            total = 0

            async def run(sql: str, params: tuple[object, ...] = (user_id,)) -> int:
                nonlocal total
                cursor = await conn.execute(sql, params)
                total += max(cursor.rowcount, 0)
                return cursor.rowcount

            async with conn.execute(
                "SELECT id, message_id FROM outbox "
                "WHERE signup_id IN (SELECT id FROM signups WHERE user_id = ?) ORDER BY id",
                (user_id,),
            ) as cursor:
                mails = tuple((row[0], row[1]) for row in await cursor.fetchall())
            async with conn.execute(
                "SELECT code FROM signups WHERE user_id = ? ORDER BY id", (user_id,)
            ) as cursor:
                codes = tuple(row[0] for row in await cursor.fetchall())
            await run(
                "DELETE FROM outbox WHERE signup_id IN (SELECT id FROM signups WHERE user_id = ?)"
            )
            marks = ",".join("?" * len(past_editions))
            anonymised = 0
            if past_editions:
                anonymised = await run(
                    f"{_ANONYMISE}, updated_at = ? WHERE user_id = ? AND edition_id IN ({marks})",
                    (to_db(now), user_id, *sorted(past_editions)),
                )
            await run("DELETE FROM signups WHERE user_id = ?")
            for table in (
                "signup_drafts", "subscriptions", "optouts", "attendances", "staff",
                "coordinators", "freshness_checks",
            ):  # fmt: skip
                await run(f"DELETE FROM {table} WHERE user_id = ?")
            # Who invited a coordinator, and who opened an invitation, go with the person.
            await run("UPDATE coordinators SET added_by = 0 WHERE added_by = ?")
            await run("UPDATE invitations SET created_by = 0 WHERE created_by = ?")
            await run("UPDATE invitations SET used_by = 0 WHERE used_by = ?")
            await run("DELETE FROM deliveries WHERE user_id = ?")
            # Proposals: their supports, follows, offers and notices go; a proposal nobody else
            # supports goes (its answers with it); the others stay, with no link to the author
            # and no name shown. What the person did as a moderator stays, without them.
            for table in (
                "proposal_supports", "proposal_follows", "proposal_notices", "offers",
                "proposal_drafts", "proposal_reports",
            ):  # fmt: skip
                await run(f"DELETE FROM {table} WHERE user_id = ?")
            await run(
                "DELETE FROM proposals WHERE author_id = ? "
                "AND id NOT IN (SELECT proposal_id FROM proposal_supports)"
            )
            await run("UPDATE proposals SET author_id = NULL, author_name = '' WHERE author_id = ?")
            await run("UPDATE proposals SET moderated_by = 0 WHERE moderated_by = ?")
            await run("UPDATE proposal_answers SET by_id = 0 WHERE by_id = ?")
            await run("UPDATE offers SET answered_by = 0 WHERE answered_by = ?")
            # Staff work stays (who changed a lab, who sent an announcement), without the person.
            await run("UPDATE lab_edits SET staff_id = 0 WHERE staff_id = ?")
            await run(
                "UPDATE announcements SET author_id = 0, status_chat = NULL, status_message = NULL "
                "WHERE author_id = ?"
            )
            await run("DELETE FROM users WHERE id = ?")
            if notice is not None:
                await queue_in(conn, notice, now)
        await self._db.checkpoint()  # the WAL still holds the erased rows' earlier versions
        return Erased(total, anonymised, mails, codes)

    # --- retention ----------------------------------------------------------------------------

    async def trim(
        self,
        *,
        ended_editions: set[str],
        questions_before: datetime,
        messages_before: datetime,
        users_before: datetime,
        events_ended: set[str],
    ) -> dict[str, int]:
        """Apply the retention periods; returns how many rows each step touched."""
        done: dict[str, int] = {}
        async with self._db.transaction() as conn:

            async def run(name: str, sql: str, params: tuple[object, ...]) -> None:
                cursor = await conn.execute(sql, params)
                done[name] = done.get(name, 0) + max(cursor.rowcount, 0)

            if ended_editions:
                marks = ",".join("?" * len(ended_editions))
                editions = tuple(sorted(ended_editions))
                await run(
                    "outbox",
                    "DELETE FROM outbox WHERE signup_id IN "
                    f"(SELECT id FROM signups WHERE user_id > 0 AND edition_id IN ({marks}))",
                    editions,
                )
                await run(
                    "signups",
                    f"{_ANONYMISE} WHERE user_id > 0 AND edition_id IN ({marks})",
                    editions,
                )
            await run(
                "questions",
                "UPDATE questions SET text = NULL WHERE text IS NOT NULL AND asked_at < ?",
                (to_db(questions_before),),
            )
            cutoff = (to_db(messages_before),)
            await run(
                "outbox",
                "DELETE FROM outbox WHERE status != 'pending' AND created_at < ?",
                cutoff,
            )
            await run(
                "deliveries",
                "DELETE FROM deliveries WHERE status NOT IN ('pending', 'sending') "
                "AND updated_at < ?",
                cutoff,
            )
            await run("signup_drafts", "DELETE FROM signup_drafts WHERE updated_at < ?", cutoff)
            if events_ended:
                marks = ",".join("?" * len(events_ended))
                await run(
                    "attendances",
                    f"DELETE FROM attendances WHERE event_id IN ({marks})",
                    tuple(sorted(events_ended)),
                )
            await run(
                "users",
                "DELETE FROM users WHERE last_seen < ? "
                "AND id NOT IN (SELECT user_id FROM subscriptions) "
                "AND id NOT IN (SELECT user_id FROM signups) "
                "AND id NOT IN (SELECT user_id FROM attendances) "
                "AND id NOT IN (SELECT user_id FROM staff)",
                (to_db(users_before),),
            )
            await run(
                "optouts", "DELETE FROM optouts WHERE user_id NOT IN (SELECT id FROM users)", ()
            )
        await self._db.checkpoint()  # the WAL still holds the trimmed rows' earlier versions
        return done
