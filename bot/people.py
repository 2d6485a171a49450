"""What the bot knows about the people it talks to: kept in memory, written behind.

Every update tells the user tracker who wrote, when, and which language their Telegram suggests.
Writing that down on every update would put a database write on the path of every reply, so:

- At start everyone in the database is read into memory: their id and the language replies use
  (about 90 bytes a person: 10,000 people are under 1 MB). Whether someone is new, and which
  language to answer in, is then known without asking the database; the bot is the only writer
  of the `users` table.
- A person's updates change only memory. What they changed (a new person's row, last seen, the
  number of interactions, the language Telegram suggests, "writing again means not blocking the
  bot") is written behind for everyone at once, in one statement and so one transaction, every
  `FLUSH_S` on the job queue and at stop, before the database closes (`BotData.write_behind`,
  with `bot.asked`). A SIGKILL loses at most that last second.
- A new person's row waits only while all they did was their first update (a greeting, a
  question): anything else of theirs (a second update, a button, a deep link, a block, a
  language chosen) writes it first (`write`), so nothing they decide is ever stored for someone
  the database does not know.
- What a person decides is written at once, before the reply says it was done: the language
  chosen with the button goes through `choose_language`; opt-ins, sign-ups, consents and
  erasures are written by their features.
- Written behind never brings back someone erased meanwhile: an erasure starts with `erase`,
  which lets a flush in flight end first and drops what was waiting; the retention's deletions are
  followed by `reload`. A flush updates existing rows and inserts only the new people it holds.

Readers that must see the last second (the data export, the statistics, the retention) write
behind first (`BotData.write_behind`).
"""

from __future__ import annotations

import asyncio
import logging
import sys
from datetime import datetime

from storage.users import Seen, UsersRepo

log = logging.getLogger(__name__)

FLUSH_S = 1.0  # how often what is pending is written (`LabApplication`'s write-behind job)
DEFAULT_LANGUAGE = "it"  # for someone the bot does not know


class People:
    def __init__(self, users: UsersRepo):
        self._users = users
        self._language: dict[int, str] = {}  # everyone known: the language replies use
        self._chosen: set[int] = set()  # chose theirs: Telegram's suggestion no longer counts
        self._pending: dict[int, Seen] = {}
        self._unwritten: set[int] = set()  # new people whose row is only in `_pending`
        self._flushing = asyncio.Lock()  # flushes and erasures never overlap

    async def load(self) -> int:
        """At start: everyone the database knows. Returns how many."""
        for user_id, language, chosen in await self._users.languages():
            self._language[user_id] = sys.intern(language)
            if chosen:
                self._chosen.add(user_id)
        return len(self._language)

    def __len__(self) -> int:
        return len(self._language)

    def seen(self, user_id: int, suggested: str, now: datetime) -> tuple[str, bool]:
        """An update from the person: their language for the reply, and whether this is the
        very first time they write to the bot."""
        language = self._language.get(user_id)
        if language is None:
            self._language[user_id] = suggested
            self._pending[user_id] = Seen(user_id, now, 1, suggested, since=now)
            self._unwritten.add(user_id)
            return suggested, True
        if user_id not in self._chosen:
            self._language[user_id] = language = suggested
        pending = self._pending.get(user_id)
        if pending is None:
            self._pending[user_id] = Seen(user_id, now, 1, suggested)
        else:
            pending.at = max(pending.at, now)
            pending.count += 1
            pending.language = suggested
        return language, False

    def knows(self, user_id: int) -> bool:
        """Whether the bot has a record of the person (written or about to be)."""
        return user_id in self._language

    def language(self, user_id: int) -> str:
        """The language to write to the person in (someone unknown: Italian)."""
        return self._language.get(user_id, DEFAULT_LANGUAGE)

    def unwritten(self, user_id: int) -> bool:
        """Someone new whose row is not in the database yet."""
        return user_id in self._unwritten

    async def write(self, user_id: int) -> None:
        """Someone new: their row is written now (a no-op for everyone else)."""
        if user_id not in self._unwritten:
            return
        async with self._flushing:  # a flush in flight may be writing it: wait for it
            seen = self._pending.pop(user_id, None) if user_id in self._unwritten else None
            if seen is None:
                return
            try:
                await self._users.seen_many([seen])
            except Exception:
                self._take_back({user_id: seen})
                raise
            self._unwritten.discard(user_id)

    async def choose_language(self, user_id: int, language: str) -> None:
        """The person chose their language: written now, used from their next reply on."""
        await self.write(user_id)
        await self._users.set_language(user_id, language)
        self._language[user_id] = language
        self._chosen.add(user_id)

    async def set_blocked(self, user_id: int, blocked: bool, now: datetime) -> None:
        """Telegram says the person blocked the bot (a refused message, their own block), or
        unblocked it."""
        await self.write(user_id)
        await self._users.set_blocked(user_id, blocked, now)

    def forget(self, user_id: int) -> None:
        """The person's data is erased: nothing of them is kept or written behind; their next
        update, if any, is a first one."""
        self._language.pop(user_id, None)
        self._chosen.discard(user_id)
        self._pending.pop(user_id, None)
        self._unwritten.discard(user_id)

    async def erase(self, user_id: int) -> None:
        """Before the erasure of the person's rows: a flush in flight with something of theirs
        ends first, and nothing of theirs waits to be written. (The erasure itself does not
        hold flushes back: what they send while it runs is a new first contact.)"""
        async with self._flushing:
            self.forget(user_id)

    async def reload(self) -> None:
        """Rows were deleted in bulk (the retention): whoever is no longer in the database is
        forgotten (the new people waiting to be written stay)."""
        async with self._flushing:
            present = {user_id for user_id, _, _ in await self._users.languages()}
            for user_id in [u for u in self._language if u not in present]:
                if user_id not in self._unwritten:
                    self.forget(user_id)

    @property
    def pending(self) -> int:
        """How many people have something not written yet."""
        return len(self._pending)

    async def flush(self) -> int:
        """Write what is pending, in one statement; returns how many people it wrote."""
        async with self._flushing:
            if not self._pending:
                return 0
            batch, self._pending = self._pending, {}
            try:
                found = await self._users.seen_many(list(batch.values()))
            except Exception:
                self._take_back(batch)  # written with the next flush
                raise
            self._unwritten -= batch.keys()
            for user_id in batch.keys() - found:  # no longer in the database: erased
                self.forget(user_id)
            return len(found)

    def _take_back(self, batch: dict[int, Seen]) -> None:
        for user_id, older in batch.items():
            newer = self._pending.get(user_id)
            if newer is None:
                self._pending[user_id] = older
            else:  # what came meanwhile is newer: its time and language stay
                newer.count += older.count
                newer.at = max(newer.at, older.at)
                newer.since = older.since or newer.since
