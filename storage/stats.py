"""What staff see in /statistiche: counts only, never who.

Every figure is an aggregate over the tables the features already keep; nothing is stored for
statistics' sake. Weeks are counted in the service's timezone, Monday to Sunday.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from storage.db import Database
from storage.times import from_db, to_db


@dataclass(frozen=True)
class EditionCount:
    edition_id: str
    title: str
    confirmed: int
    waiting: int
    cancelled: int


@dataclass(frozen=True)
class Week:
    monday: date
    signups: int
    new_people: int


@dataclass(frozen=True)
class Stats:
    people: int  # everyone the bot knows
    active: int  # wrote in the last `recent` days
    new: int  # first wrote in the last `recent` days
    blocked: int  # blocked the bot: unreachable
    subscribers: dict[str, int]  # topic -> people who can be reached
    editions: list[EditionCount]  # newest first
    questions: int  # in the last `recent` days
    understood: int  # of those, answered with something other than "I did not understand"
    places: list[tuple[str, int]]  # place key -> times asked, most asked first
    labs: list[tuple[str, int]]  # lab id -> times asked
    weeks: list[Week]  # oldest first, the current week last


class StatsRepo:
    def __init__(self, db: Database):
        self._db = db

    async def gather(
        self, now: datetime, tz: ZoneInfo, *, recent_days: int = 30, weeks: int = 12, top: int = 5
    ) -> Stats:
        since = to_db(now - timedelta(days=recent_days))
        people = await self._db.fetch_one(
            "SELECT count(*) AS people, coalesce(sum(last_seen >= ?1), 0) AS active, "
            "  coalesce(sum(first_seen >= ?1), 0) AS new, coalesce(sum(blocked), 0) AS blocked "
            "FROM users",
            (since,),
        )
        assert people is not None
        rows = await self._db.fetch_all(
            "SELECT s.topic, count(*) AS n FROM subscriptions s JOIN users u ON u.id = s.user_id "
            "WHERE u.blocked = 0 GROUP BY s.topic"
        )
        subscribers = {r["topic"]: int(r["n"]) for r in rows}
        rows = await self._db.fetch_all(
            "SELECT e.id, e.title, "
            "  sum(s.status = 'confirmed') AS confirmed, sum(s.status = 'waiting') AS waiting, "
            "  sum(s.status = 'cancelled') AS cancelled "
            "FROM editions e LEFT JOIN signups s ON s.edition_id = e.id "
            "GROUP BY e.id ORDER BY e.year DESC, e.created_at DESC, e.id DESC"
        )
        editions = [
            EditionCount(
                r["id"], r["title"], r["confirmed"] or 0, r["waiting"] or 0, r["cancelled"] or 0
            )
            for r in rows
        ]
        row = await self._db.fetch_one(
            "SELECT count(*) AS asked, coalesce(sum(intent != 'fallback'), 0) AS understood "
            "FROM questions WHERE asked_at >= ?",
            (since,),
        )
        assert row is not None
        return Stats(
            people=int(people["people"]),
            active=int(people["active"]),
            new=int(people["new"]),
            blocked=int(people["blocked"]),
            subscribers=subscribers,
            editions=editions,
            questions=int(row["asked"]),
            understood=int(row["understood"]),
            places=await self._most_asked("place", since, top),
            labs=await self._most_asked("lab", since, top),
            weeks=await self._weeks(now, tz, weeks),
        )

    async def _most_asked(self, intent: str, since: str, top: int) -> list[tuple[str, int]]:
        rows = await self._db.fetch_all(
            "SELECT subject, count(*) AS n FROM questions "
            "WHERE intent = ? AND subject IS NOT NULL AND asked_at >= ? "
            "GROUP BY subject ORDER BY n DESC, subject LIMIT ?",
            (intent, since, top),
        )
        return [(r["subject"], int(r["n"])) for r in rows]

    async def _weeks(self, now: datetime, tz: ZoneInfo, count: int) -> list[Week]:
        today = now.astimezone(tz).date()
        first = today - timedelta(days=today.weekday() + 7 * (count - 1))
        start = to_db(datetime.combine(first, datetime.min.time(), tz))

        async def per_week(sql: str) -> Counter[date]:
            counts: Counter[date] = Counter()
            for row in await self._db.fetch_all(sql, (start,)):
                day = from_db(row[0]).astimezone(tz).date()
                counts[day - timedelta(days=day.weekday())] += 1
            return counts

        # Every sign-up made counts in its week, even one withdrawn later.
        signups = await per_week("SELECT created_at FROM signups WHERE created_at >= ?")
        people = await per_week("SELECT first_seen FROM users WHERE first_seen >= ?")
        mondays = [first + timedelta(weeks=i) for i in range(count)]
        return [Week(m, signups[m], people[m]) for m in mondays]
