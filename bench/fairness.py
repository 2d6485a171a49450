"""One person floods, another asks for /help: how long the /help waits.

Run as `python -m bench.fairness chat-first|slot-first`. 400 taps from one person arrive
together, then someone else's /help; every Telegram call takes 50 ms, as over a real network.
`chat-first` is the bot as it is (a chat's turn, then one of the 64 slots); `slot-first` is the
same bot with PTB's own order (a slot, then the chat's turn), the baseline: there the flood holds
every slot while it waits for its own turn, and /help waits for the whole flood.
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from unittest import mock

from telegram import Update
from telegram.ext import BaseUpdateProcessor

import bot.app
from bot.app import build_application
from bot.config import Config, StorageConfig, TelegramConfig
from bot.processor import PerChatUpdateProcessor
from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.users import Sandbox

TAPS = 400
LATENCY_S = 0.05


class SlotFirst(PerChatUpdateProcessor):
    """The baseline, PTB's order: a slot of the base class's semaphore, bounded again here, then
    the chat's turn."""

    def __init__(self, max_concurrent_updates: int = 64):
        super().__init__(max_concurrent_updates)
        BaseUpdateProcessor.__init__(self, max_concurrent_updates)


async def run(mode: str) -> dict[str, float]:
    if mode == "slot-first":  # the baseline, in this process only
        with mock.patch.object(bot.app, "PerChatUpdateProcessor", SlotFirst):
            return await measure()
    return await measure()


async def measure() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(
            telegram=TelegramConfig(rate_limit=False),
            storage=StorageConfig(path=Path(tmp) / "bench.sqlite3"),
        )
        api = FakeTelegram()
        app = build_application(config, request=api)
        sandbox = Sandbox(app, api)
        await app.initialize()
        await app.start()
        try:
            flooder, neighbour = sandbox.user(), sandbox.user()
            await flooder.send("/laboratori")
            await neighbour.send("/start")
            api.latency_s = LATENCY_S
            helped = asyncio.Event()
            api.listeners.append(lambda m: helped.set() if m.chat_id == neighbour.id else None)
            t0 = time.perf_counter()
            for _ in range(TAPS):
                update = Update.de_json(flooder.tap_update("lab:v0:list"), app.bot)
                app.update_queue.put_nowait(update)
            app.update_queue.put_nowait(Update.de_json(neighbour.message_update("/help"), app.bot))
            await helped.wait()
            help_s = time.perf_counter() - t0
            await app.update_queue.join()
            drained_s = time.perf_counter() - t0
        finally:
            await app.stop()
            await app.shutdown()
    return {"taps": TAPS, "latency_ms": LATENCY_S * 1000, "help_s": help_s, "drain_s": drained_s}


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run(sys.argv[1]))))
