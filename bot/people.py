"""What the bot knows about the people it talks to: kept in memory, written behind.

Every update tells the user tracker who wrote, when, and which language their Telegram suggests.
Writing that down on every update would put a database write on the path of every reply, so:

- A person's first update in this process is written at once: one upsert, which also says
  whether they are new (`context.first_contact`: the welcome, the notifications offer, the staff
  menu). A new person's row exists before anything can refer to them; this happens once per
  person and start.
- Later updates change only memory. What they changed (last seen, the number of interactions,
  the language Telegram suggests, "writing again means not blocking the bot") is written behind
  for everyone at once, in one statement and so one transaction, every `FLUSH_S` on the job
  queue and at stop, before the database closes (`BotData.write_behind`, with `bot.asked`). A
  SIGKILL loses at most that last second of "last seen" and interactions; nothing a person
  decided.
- What a person decides is written at once, before the reply says it was done: the language
  chosen with the button goes through `choose_language`; opt-ins, sign-ups, consents and
  erasures are written by their features as before.
- Written behind means updated, never inserted: a person erased meanwhile (/cancellami, the
  retention) does not come back with a flush, and is forgotten here too.

Readers that must see the last second (the data export, the statistics, the retention) write
behind first (`BotData.write_behind`).
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime

from storage.users import Seen, UsersRepo

log = logging.getLogger(__name__)

FLUSH_S = 1.0  # how often what is pending is written (`LabApplication`'s write-behind job)


@dataclass(slots=True)
class _Known:
    language: str  # the one replies use: chosen with /lingua, or the latest suggested
    explicit: bool  # chosen: Telegram's suggestion no longer changes it


class People:
    def __init__(self, users: UsersRepo):
        self._users = users
        self._known: dict[int, _Known] = {}
        self._pending: dict[int, Seen] = {}
        self._flushing = asyncio.Lock()  # the stop's flush waits for the job's, never overlaps

    async def seen(self, user_id: int, suggested: str, now: datetime) -> tuple[str, bool]:
        """An update from the person: their language for the reply, and whether this is the
        very first time they write to the bot."""
        known = self._known.get(user_id)
        if known is None:
            user, first = await self._users.seen(user_id, suggested, now)
            self._known[user_id] = _Known(user.language, user.language_explicit)
            return user.language, first
        if not known.explicit:
            known.language = suggested
        pending = self._pending.get(user_id)
        if pending is None:
            self._pending[user_id] = Seen(user_id, now, 1, suggested)
        else:
            pending.at = max(pending.at, now)
            pending.count += 1
            pending.language = suggested
        return known.language, False

    async def known(self, user_id: int) -> bool:
        """Whether the bot has a record of the person (without making one)."""
        if user_id in self._known:
            return True
        user = await self._users.get(user_id)
        if user is not None:
            self._known[user_id] = _Known(user.language, user.language_explicit)
        return user is not None

    async def choose_language(self, user_id: int, language: str) -> None:
        """The person chose their language: written now, used from their next reply on."""
        await self._users.set_language(user_id, language)
        self._known[user_id] = _Known(language, True)

    def forget(self, user_id: int) -> None:
        """The person's data was erased: nothing of them is kept or written behind; their next
        update, if any, is a first one."""
        self._known.pop(user_id, None)
        self._pending.pop(user_id, None)

    def forget_everyone(self) -> None:
        """Rows were deleted in bulk (the retention): each person is looked up again."""
        self._known.clear()

    @property
    def pending(self) -> int:
        """How many people have something not written yet."""
        return len(self._pending)

    async def flush(self) -> int:
        """Write what is pending, in one statement; returns how many people it updated."""
        async with self._flushing:
            if not self._pending:
                return 0
            batch, self._pending = self._pending, {}
            try:
                found = await self._users.seen_many(list(batch.values()))
            except Exception:
                self._take_back(batch)  # written with the next flush
                raise
            for user_id in batch.keys() - found:  # no longer in the database: erased
                self._known.pop(user_id, None)
            return len(found)

    def _take_back(self, batch: dict[int, Seen]) -> None:
        for user_id, older in batch.items():
            newer = self._pending.get(user_id)
            if newer is None:
                self._pending[user_id] = older
            else:  # what came meanwhile is newer: its time and language stay
                newer.count += older.count
                newer.at = max(newer.at, older.at)
