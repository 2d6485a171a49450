"""Throughput, latency, memory and start-up of the whole bot, against a bare PTB echo bot.

Run as `python -m bench.foundation labbot|echo`: one bot per process, so peak memory is its own.
Both bots are driven the same way through the in-process sandbox (no network):
- latency: N updates, one at a time through `Application.process_update`, for `/start` and for a
  text nobody understands;
- throughput: M updates from U users queued at the fake Bot API, fetched by the real Updater
  (getUpdates), processed concurrently across chats, until every reply is sent;
- start-up: from building the application to the first getUpdates call (database open and
  migrated, command menus published), Python imports excluded and reported apart.
"""

from __future__ import annotations

import time

_T_PROCESS = time.perf_counter()

import asyncio  # noqa: E402
import json  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402

from telegram import Update  # noqa: E402
from telegram.ext import Application, ApplicationBuilder, CommandHandler, MessageHandler, filters  # noqa: E402

from bot.app import build_application  # noqa: E402
from bot.config import Config, StorageConfig, TelegramConfig  # noqa: E402
from bot.fake_telegram import FakeTelegram  # noqa: E402
from bot.processor import PerChatUpdateProcessor  # noqa: E402
from bot.sandbox import Sandbox  # noqa: E402

_T_IMPORTED = time.perf_counter()

LATENCY_N = 1000
THROUGHPUT_N = 5000
THROUGHPUT_USERS = 500


def echo_bot(api: FakeTelegram) -> Application:
    """The reference: python-telegram-bot with nothing of ours, same concurrency model."""

    async def start(update: Update, context) -> None:
        await update.effective_message.reply_text("Hi!")

    async def echo(update: Update, context) -> None:
        await update.effective_message.reply_text(update.effective_message.text)

    app = (
        ApplicationBuilder()
        .token("1:echo")
        .request(api)
        .get_updates_request(api)
        .concurrent_updates(PerChatUpdateProcessor(64))
        .build()
    )
    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    return app


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def measure(kind: str) -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="labbot-bench-"))
    api = FakeTelegram()
    t_build = time.perf_counter()
    if kind == "labbot":
        config = Config(
            telegram=TelegramConfig(staff_ids=(1,), rate_limit=False),
            storage=StorageConfig(path=folder / "bench.sqlite3"),
        )
        app = build_application(config, request=api)
    else:
        app = echo_bot(api)
    sandbox = Sandbox(app, api)
    api.ensure_private_chat({"id": 1, "is_bot": False, "first_name": "Staff"})  # wrote before
    await app.initialize()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    await api.polled.wait()
    assert api.first_poll_at is not None
    startup = api.first_poll_at - asyncio.get_running_loop().time() + time.perf_counter() - t_build
    await app.updater.stop()

    results: dict[str, float] = {
        "import_ms": (_T_IMPORTED - _T_PROCESS) * 1000,
        "startup_ms": startup * 1000,
    }
    users = [sandbox.user(200_000 + i, first_name=f"U{i}") for i in range(THROUGHPUT_USERS)]
    for label, text in (("start", "/start"), ("unknown", "qualcosa di incomprensibile")):
        latencies: list[float] = []
        t0 = time.perf_counter()
        for i in range(LATENCY_N):
            user = users[i % len(users)]
            t = time.perf_counter()
            replies = await user.send(text)
            latencies.append(time.perf_counter() - t)
            assert replies, f"{kind} did not answer {text!r}"
        elapsed = time.perf_counter() - t0
        results[f"{label}_ups"] = LATENCY_N / elapsed
        results[f"{label}_p50_ms"] = statistics.median(latencies) * 1000
        results[f"{label}_p99_ms"] = percentile(latencies, 99) * 1000

    # Throughput through polling: queue everything, let the Updater fetch and process.
    before = len(api.sent)
    done = asyncio.Event()

    def count(_msg: object) -> None:
        if len(api.sent) - before >= THROUGHPUT_N:
            done.set()

    api.listeners.append(count)
    for i in range(THROUGHPUT_N):
        user = users[i % len(users)]
        text = "/start" if i % 2 else "ciao"
        _, body = user._message("text", text)
        api.queue_update(sandbox.update(message=body))
    t0 = time.perf_counter()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await done.wait()
    results["polling_ups"] = THROUGHPUT_N / (time.perf_counter() - t0)
    await app.updater.stop()
    await app.stop()
    await app.shutdown()
    results["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return results


if __name__ == "__main__":
    print(json.dumps(asyncio.run(measure(sys.argv[1]))))
