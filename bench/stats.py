"""/statistiche over a database the size of a few busy years: 50,000 people, 40,000 questions,
3,000 sign-ups in 6 editions, 30,000 subscriptions. Times the whole command through the bot
(figures, then the chart), cold (matplotlib's first import) and warm, and the counting alone.
Run as `python -m bench.stats`; prints one JSON line."""

from __future__ import annotations

import asyncio
import json
import random
import resource
import shutil
import tempfile
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path

from bot.app import build_application
from bot.config import Config, StorageConfig, TelegramConfig
from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.users import Sandbox
from domain.directory import DATA_DIR
from storage.times import to_db

PEOPLE = 50_000
QUESTIONS = 40_000
SIGNUPS = 3_000
EDITIONS = 6
STAFF = 777_000
RUNS = 5


async def seed(repo, now, places: list[str]) -> None:
    rng = random.Random(7)
    days = 3 * 365

    def ago() -> str:
        return to_db(now - timedelta(days=rng.uniform(0, days)))

    intents = ["place", "lab", "topic", "fallback", "greeting"]
    async with repo.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO users (id, language, first_seen, last_seen, blocked) "
            "VALUES (?, 'it', ?, ?, ?)",
            [(i, ago(), ago(), int(rng.random() < 0.05)) for i in range(1, PEOPLE + 1)],
        )
        await conn.executemany(
            "INSERT INTO subscriptions (user_id, topic, created_at) VALUES (?, ?, ?)",
            [(i, topic, ago()) for topic in ("assemblea", "scuola", "annunci")
             for i in rng.sample(range(1, PEOPLE + 1), 10_000)],
        )  # fmt: skip
        await conn.executemany(
            "INSERT INTO questions (asked_at, intent, subject, text) VALUES (?, ?, ?, NULL)",
            [(ago(), intent, rng.choice(places) if intent == "place" else None)
             for intent in (rng.choice(intents) for _ in range(QUESTIONS))],
        )  # fmt: skip
        await conn.executemany(
            "INSERT INTO editions (id, title, year, created_at) VALUES (?, ?, ?, ?)",
            [(f"ed-{n}", f"Edizione {n}", 2024 + n // 2, ago()) for n in range(EDITIONS)],
        )
        await conn.executemany(
            "INSERT INTO signups (code, year, seq, edition_id, user_id, first_name, last_name, "
            "email, role, status, consent_at, created_at, updated_at) "
            "VALUES (?, 2026, ?, ?, ?, 'A', 'B', 'a@b.it', 'attivista', ?, ?, ?, ?)",
            [(f"SLS-{n}", n, f"ed-{n % EDITIONS}", n + 1,
              rng.choice(["confirmed", "waiting", "cancelled"]), ago(), ago(), ago())
             for n in range(SIGNUPS)],
        )  # fmt: skip


async def main() -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="labbot-bench-"))
    shutil.copytree(DATA_DIR, folder / "data")
    config = Config(
        telegram=TelegramConfig(staff_ids=(STAFF,), rate_limit=False),
        storage=StorageConfig(path=folder / "bench.sqlite3", data_dir=folder / "data"),
    )
    api = FakeTelegram()
    app = build_application(config, request=api)
    sandbox = Sandbox(app, api)
    api.ensure_private_chat({"id": STAFF, "is_bot": False, "first_name": "Staff"})
    await app.initialize()
    data = app.bot_data
    places = [place.key for place in data.labs.current.places]
    await seed(data.repo, data.clock.now(), places)
    staff = sandbox.user(STAFF)

    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    replies = await staff.send("/statistiche")
    cold = time.perf_counter() - t0
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert replies[-1].kind == "photo", replies.text
    warm = []
    for _ in range(RUNS):
        t0 = time.perf_counter()
        await staff.send("/statistiche")
        warm.append(time.perf_counter() - t0)
    tracemalloc.start()
    t0 = time.perf_counter()
    await data.repo.stats.gather(data.clock.now(), config.scheduler.tz)
    gather = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    await app.shutdown()
    shutil.rmtree(folder, ignore_errors=True)
    return {
        "people": PEOPLE,
        "questions": QUESTIONS,
        "signups": SIGNUPS,
        "cold_ms": cold * 1000,
        "warm_ms": sorted(warm)[len(warm) // 2] * 1000,
        "gather_ms": gather * 1000,
        "gather_peak_mb": peak / 1e6,
        "chart_rss_growth_mb": (rss_after - rss_before) / 1024,
        "png_kb": replies[-1].payload["file"]["file_size"] / 1000,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
