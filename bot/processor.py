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
from collections.abc import Awaitable
from typing import Any

from telegram import Update
from telegram.ext import BaseUpdateProcessor


class PerChatUpdateProcessor(BaseUpdateProcessor):
    def __init__(self, max_concurrent_updates: int = 64):
        super().__init__(max_concurrent_updates)
        self._locks: dict[object, asyncio.Lock] = {}
        self._waiting: dict[object, int] = {}
        self._slots = asyncio.BoundedSemaphore(max_concurrent_updates)
        self._busy = 0

    @property
    def current_concurrent_updates(self) -> int:
        return self._busy

    async def process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """The chat's turn first, then a slot (see the module's docstring)."""
        await self.do_process_update(update, coroutine)

    @staticmethod
    def _key(update: object) -> object:
        if isinstance(update, Update):
            if update.effective_chat:
                return ("chat", update.effective_chat.id)
            if update.effective_user:
                return ("user", update.effective_user.id)
        return ("other", id(update))

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
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
