"""One send budget for everything the bot says, under Telegram's limits.

Telegram allows a bot about 30 messages a second in total, about one a second to one chat (after
a short burst) and 20 a minute to one group; past that it answers 429 with `retry_after`.
Replies, announcements and reminders share those limits, so they share this budget: PTB hands
every request to it (it is the application's rate limiter).

- Each message takes a slot in time from two schedules (GCRA, the token bucket's equivalent): the
  whole bot's and its chat's (a group's is slower). A slot is a moment, so waiting is one sleep on
  the bot's clock, in order of arrival, with no polling.
- Replies come first. A reply reserves its slot at once and may use the burst; bulk sends
  (announcements, reminders: `rate_limit_args=BULK`) take a slot only when no reply is waiting
  and a few messages of burst are left over for replies, so a chat with the bot never waits
  behind an announcement to thousands.
- A chat waits on its own schedule before it takes a place in the bot's: a busy group holds
  no place in everybody's.
- A 429 holds that chat for `retry_after` (and the rest of the bot a moment); the message is
  then sent again. A reply is never dropped for being throttled; bulk senders are told nothing
  either (their next slot is simply later).
- When the bot stops (`close`), what has its turn within STOP_SENDS_S still goes, at the same
  pace (all at once, Telegram would refuse it: 429); what would wait longer (the replies queued
  for a chat that flooded the bot, a 429's long wait) is given up at once with `NotSent`, and
  the shutdown logs how many.

Only messages count (`send*`, `copyMessage`, `forwardMessage`): edits, button answers and the
rest go straight through, as Telegram does not count them against these limits.
"""

from __future__ import annotations

import asyncio
import logging
import warnings
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from telegram.error import RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter
from telegram.warnings import PTBDeprecationWarning

from bot.clock import Clock

log = logging.getLogger(__name__)

BULK = "bulk"  # rate_limit_args of announcements and reminders
MAX_RETRIES = 30  # 429s in a row before a message is given up (each waits what Telegram asks)
RESOLUTION_S = 1e-6  # clocks count microseconds: closer than this is now
GLOBAL_HOLD_S = 1.0  # how long one chat's 429 pauses the rest of the bot
STOP_SENDS_S = 2.5  # at stop: messages whose turn comes within this still go (the stop: 5 s)


class NotSent(TelegramError):
    """The bot stopped before this message's turn came: it never reached Telegram."""

    def __init__(self) -> None:
        super().__init__("not sent: the bot stopped before its turn")


@dataclass(frozen=True)
class Limits:
    """Telegram's limits, with a margin on each rate: Telegram's own counting is not published
    exactly, and it counts when a message arrives, a little after the bot's slot.

    A chat's burst is Telegram's own (3), not less: a newcomer's /start is answered with two
    messages, and their question typed right after must not wait for a third slot that Telegram
    would grant (a burst of 2 held it 0.93 s). The margin is on the pace after the burst
    instead (0.9 a second): a person chatting stays far below it, and it absorbs the network's
    jitter between two messages.

    A schedule with a burst b and a rate r lets b + 60·r messages through in a minute: a group's
    3 + 16 = 19 keeps under Telegram's 20 with one to spare (18 a minute after a burst of 3 let 21
    through, and a busy group was refused)."""

    per_second: float = 28.0  # the whole bot (Telegram: about 30 in any one second)
    burst: int = 2  # with 28 a second, at most 30 in any second, however many chats at once
    chat_per_second: float = 0.9  # one private chat (Telegram: about 1, after a burst of 3)
    chat_burst: int = 3
    group_per_minute: float = 16.0  # one group: with its burst, 19 a minute (Telegram: 20)
    group_burst: int = 3
    replies_reserve: int = 4  # messages of burst bulk sends leave for replies


class _Schedule:
    """GCRA: the theoretical arrival time of the next message, at `rate` with `burst`."""

    __slots__ = ("interval", "tat", "tolerance")

    def __init__(self, rate: float, burst: int):
        self.interval = 1.0 / rate
        self.tolerance = (burst - 1) * self.interval
        self.tat = float("-inf")

    def earliest(self, now: float, tolerance: float | None = None) -> float:
        slack = self.tolerance if tolerance is None else tolerance
        return max(now, self.tat - slack)

    def take(self, at: float) -> None:
        self.tat = max(self.tat, at) + self.interval


def retry_seconds(exc: RetryAfter) -> float:
    """How long Telegram asked to wait (PTB 22 warns that the type will become a timedelta:
    both are understood here)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


class SendBudget(BaseRateLimiter[str]):
    def __init__(self, clock: Clock, limits: Limits = Limits()):
        self._clock = clock
        self.limits = limits
        self._total = _Schedule(limits.per_second, limits.burst)
        self._chats: dict[int, _Schedule] = {}
        self._replies_until = float("-inf")  # the last slot a reply has reserved
        self.throttled = 0  # 429s Telegram answered despite the budget (should stay 0)
        self.reply_waits = 0  # replies that waited for their turn (a person chatting: none)
        self.given_up = 0  # messages whose turn came after the stop's STOP_SENDS_S
        self._closed = asyncio.Event()
        self._deadline = float("inf")  # at stop: the last moment a message may still go

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        if self.given_up:
            log.warning(
                "at stop: %d message(s) not sent, their turn came more than %.1f s later",
                self.given_up, STOP_SENDS_S,
            )  # fmt: skip

    def _now(self) -> float:
        return self._clock.now().timestamp()

    def _chat(self, chat_id: int) -> _Schedule:
        found = self._chats.get(chat_id)
        if found is None:
            limits = self.limits
            found = (
                _Schedule(limits.group_per_minute / 60, limits.group_burst)
                if chat_id < 0
                else _Schedule(limits.chat_per_second, limits.chat_burst)
            )
            if len(self._chats) > 50_000:  # forget chats whose schedule is in the past
                now = self._now()
                self._chats = {c: s for c, s in self._chats.items() if s.tat > now}
            self._chats[chat_id] = found
        return found

    async def _reply_slot(self, chat_id: int | None) -> None:
        """The chat's turn first, then the whole bot's: a chat that must wait (a busy group)
        waits on its own schedule and holds no place in everybody's."""
        waited = False
        if chat_id is not None:
            chat = self._chat(chat_id)
            now = self._now()
            at = chat.earliest(now)
            chat.take(at)
            waited = await self._wait_until(at)
        now = self._now()
        at = self._total.earliest(now)
        self._total.take(at)
        self._replies_until = max(self._replies_until, at)
        if await self._wait_until(at) or waited:
            self.reply_waits += 1

    async def _bulk_slot(self, chat_id: int | None) -> None:
        reserve = self.limits.replies_reserve * self._total.interval
        tolerance = max(0.0, self._total.tolerance - reserve)
        chat = self._chat(chat_id) if chat_id is not None else None
        while True:
            now = self._now()
            at = max(self._total.earliest(now, tolerance), self._replies_until)
            if chat is not None:
                at = max(at, chat.earliest(now))
            if at <= now + RESOLUTION_S:  # nothing reserved before it meanwhile: taken now
                self._total.take(now)
                if chat is not None:
                    chat.take(now)
                return
            await self._wait_until(at)  # then look again: a reply may have come

    def _hold(self, seconds: float, chat_id: int | None) -> None:
        """Telegram said to slow down: nothing goes to that chat for `seconds`. The rest of the
        bot pauses a moment too (the limit may be the bot's), not for the whole wait: one
        chat's 429 must not hold everybody's replies."""
        now = self._now()
        whole = seconds if chat_id is None else min(seconds, GLOBAL_HOLD_S)
        self._total.tat = max(self._total.tat, now + whole + self._total.tolerance)
        if chat_id is not None:
            chat = self._chat(chat_id)
            chat.tat = max(chat.tat, now + seconds + chat.tolerance)

    def close(self, seconds: float = STOP_SENDS_S) -> None:
        """The bot is stopping: a message whose turn comes within `seconds` still waits for it
        and goes; one whose turn comes later (a flood's queued replies, a 429's wait) is given
        up at once, so no send holds the stop."""
        if not self._closed.is_set():
            self._deadline = self._now() + seconds
            self._closed.set()

    async def _wait_until(self, at: float) -> bool:
        """Until the slot at `at` (the bot's clock); NotSent if it comes after the stop's limit.
        True if it had to wait."""
        now = self._now()
        if at <= now + RESOLUTION_S:
            return False
        if not self._closed.is_set():
            sleeper = asyncio.ensure_future(self._clock.sleep(at - now))
            closer = asyncio.ensure_future(self._closed.wait())
            try:
                await asyncio.wait({sleeper, closer}, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (sleeper, closer):
                    task.cancel()
            if not self._closed.is_set():
                return True
        if at > self._deadline + RESOLUTION_S:
            self.given_up += 1
            raise NotSent
        now = self._now()
        if at > now + RESOLUTION_S:
            await self._clock.sleep(at - now)
        return True

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        if not _counts(endpoint):
            return await callback(*args, **kwargs)
        chat_id = _chat_id(data.get("chat_id"))
        bulk = rate_limit_args == BULK
        for attempt in range(1, MAX_RETRIES + 1):
            await (self._bulk_slot(chat_id) if bulk else self._reply_slot(chat_id))
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self.throttled += 1
                wait = retry_seconds(exc)
                log.warning("Telegram asked to wait %.0f s (attempt %d)", wait, attempt)
                self._hold(wait, chat_id)
                if attempt == MAX_RETRIES:
                    raise
        raise AssertionError("unreachable")


def _counts(endpoint: str) -> bool:
    return (endpoint.startswith("send") and endpoint != "sendChatAction") or endpoint in (
        "copyMessage",
        "copyMessages",
        "forwardMessage",
        "forwardMessages",
    )


def _chat_id(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None  # a @channel username: counted in the total only
