"""Updates of different chats run concurrently; updates of one chat run in order.

PTB's default is strictly one update at a time; its `SimpleUpdateProcessor` runs everything
concurrently, which would let a double tap race a conversation. This keeps a lock per chat (or
per user for updates without a chat, such as inline queries), created on demand and dropped when
nobody waits on it.

The chat's lock is taken *before* one of the `max_concurrent_updates` slots: a chat holds at
most one slot, so one person's burst (400 taps, all dropped by the flood guard) waits behind its
own lock and never takes the slots everybody else needs. (PTB's base class takes the slot
first; with it, one chat could hold all of them.)
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """PTB's `process_update` (final) takes a slot of the base class's semaphore and only then
    calls `do_process_update`, which waits for the chat's turn. So the base class is built with
    no bound (`_limit` is still the class's while its `__init__` reads `max_concurrent_updates`):
    its semaphore never makes an update wait, and the real slots are `_slots`, taken in
    `do_process_update` after the chat's turn."""

    _limit = sys.maxsize

    def __init__(self, max_concurrent_updates: int = 64):
        if max_concurrent_updates < 1:
            raise ValueError("`max_concurrent_updates` must be a positive integer!")
        super().__init__(self._limit)
        self._limit = max_concurrent_updates
        self._locks: dict[object, asyncio.Lock] = {}
        self._waiting: dict[object, int] = {}
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._busy = 0

    @property
    def max_concurrent_updates(self) -> int:
        return self._limit

    @property
    def current_concurrent_updates(self) -> int:
        return self._busy

    @staticmethod
    def _key(update: object) -> object:
        if isinstance(update, Update):
            if update.effective_chat:
                return ("chat", update.effective_chat.id)
            if update.effective_user:
                return ("user", update.effective_user.id)
        return ("other", id(update))

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """The chat's turn first, then a slot (see the module's docstring)."""
        key = self._key(update)
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock, self._slots:
                self._busy += 1
                try:
                    await coroutine
                finally:
                    self._busy -= 1
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key]
                del self._locks[key]

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None
