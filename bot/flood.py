"""The flood guard: one person sending more than `[abuse] flood_updates` updates in
`flood_seconds` is paused for `pause_seconds`; everyone else is unaffected.

A service built by the composition root; the handler that applies it to every update, before
anything reaches the database, is `handlers.abuse`.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from bot.clock import Clock
from bot.config import AbuseConfig

Verdict = Literal["ok", "warn", "drop"]
FORGET_AFTER = 50_000  # people tracked before the quiet ones are forgotten


@dataclass
class _Tally:
    times: deque[float] = field(default_factory=deque)
    paused_until: float = 0.0


class FloodGuard:
    def __init__(self, settings: AbuseConfig, clock: Clock):
        self._settings = settings
        self._clock = clock
        self._people: dict[int, _Tally] = {}

    @property
    def pause_seconds(self) -> int:
        return self._settings.pause_seconds

    def check(self, user_id: int) -> Verdict:
        """'ok', 'warn' (the first update over the limit) or 'drop'."""
        settings = self._settings
        if settings.flood_updates <= 0:
            return "ok"
        now = self._clock.now().timestamp()
        tally = self._people.setdefault(user_id, _Tally())
        if now < tally.paused_until:
            return "drop"
        tally.times.append(now)
        while tally.times and tally.times[0] <= now - settings.flood_seconds:
            tally.times.popleft()
        if len(tally.times) > settings.flood_updates:
            tally.paused_until = now + settings.pause_seconds
            tally.times.clear()
            return "warn"
        if len(self._people) > FORGET_AFTER:  # forget people who have been quiet for a while
            horizon = now - settings.flood_seconds
            self._people = {
                uid: t
                for uid, t in self._people.items()
                if t.paused_until > now or (t.times and t.times[-1] > horizon)
            }
        return "ok"
