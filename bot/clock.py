"""Time as a dependency: the bot asks a clock, so tests and the sandbox can set it."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""
        ...

    async def sleep(self, seconds: float) -> None:
        """Wait `seconds` of this clock's time (pacing a broadcast, honouring a 429)."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds))


class ManualClock:
    """A clock that moves only when told to."""

    def __init__(self, start: datetime):
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)

    def now(self) -> datetime:
        return self._now

    async def sleep(self, seconds: float) -> None:
        """Time passes at once: a paced broadcast runs instantly, its timing still visible."""
        if seconds > 0:
            self._now += timedelta(seconds=seconds)
        await asyncio.sleep(0)

    def advance(self, delta: timedelta) -> datetime:
        self._now += delta
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = moment.astimezone(UTC)


class ScaledClock:
    """Real time, sped up `factor` times: the benchmark runs minutes of broadcast in seconds.
    Everything that paces itself (the bot, the sandbox's rate limits) must share one."""

    def __init__(self, factor: float, start: datetime | None = None):
        self.factor = factor
        self._start = (start or datetime.now(UTC)).astimezone(UTC)
        self._t0 = time.perf_counter()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=(time.perf_counter() - self._t0) * self.factor)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(max(0.0, seconds) / self.factor)
