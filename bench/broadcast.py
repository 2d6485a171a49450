"""Broadcast and reminder benchmarks. Run as `python -m bench.broadcast`; prints one JSON line.

1. An announcement to 5,000 people, written and sent by a staff member through the real flow,
   into the sandbox set to enforce Telegram's limits (30 messages a second in total, one a second
   per chat after a burst of 3, a 429 with retry_after beyond). Time is scaled: the bot and the
   sandbox share a `ScaledClock` running SCALE times faster than the wall clock, so 200 seconds
   of sending take about 200 / SCALE. Rates are reported in the clock's (Telegram's) seconds.
   Then the same announcement again, and once it is under way 300 people send /start within
   2 seconds (a QR code shown at an event): 429s, replies lost, and the replies' latency in the
   clock's seconds (every message, reply or announcement, shares one budget of about 30/s).
2. Reminder planning: 1,000 events planned (3 offsets each), then one due reminder of an event
   followed by 10,000 subscribers turned into per-person deliveries.
"""

from __future__ import annotations

import asyncio
import json
import resource
import shutil
import tempfile
import time
import tracemalloc
from collections import Counter
from datetime import timedelta
from pathlib import Path

from bot.app import build_application
from bot.clock import ScaledClock
from bot.config import Config, StorageConfig, TelegramConfig
from bot.sandbox.telegram import FakeTelegram, Limits
from bot.sandbox.users import Sandbox
from domain.directory import DATA_DIR
from domain.events import Event

RECIPIENTS = 5000
SCALE = 4.0
CROWD = 300
CROWD_SECONDS = 2.0
STAFF = 777_000
HEADER = "📣 Rete dei Laboratori Sociali"
EVENTS = 1000
SUBSCRIBERS = 10_000


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def seed_subscribers(repo, first_id: int, n: int, topic: str, now) -> list[int]:
    ids = list(range(first_id, first_id + n))
    stamp = now.isoformat()
    async with repo.db.transaction() as conn:
        await conn.executemany(
            "INSERT INTO users (id, language, first_seen, last_seen) VALUES (?, 'it', ?, ?)",
            [(i, stamp, stamp) for i in ids],
        )
        await conn.executemany(
            "INSERT INTO subscriptions (user_id, topic, created_at) VALUES (?, ?, ?)",
            [(i, topic, stamp) for i in ids],
        )
    return ids


async def crowd_during_announcement(sandbox, api, clock, staff) -> dict[str, float]:
    """2. The same announcement again; once it is under way, CROWD people send /start within
    CROWD_SECONDS (a QR code shown at an event). Every reply must arrive, with no 429."""
    data = sandbox.app.bot_data
    await staff.send("/annuncio")
    await staff.send("Seconda festa: vi aspettiamo ancora!")
    await staff.press("Chi ha chiesto gli annunci")
    sent_before = sum(1 for m in api.sent if HEADER in m.plain)
    await staff.press(f"📤 Invia ora a {RECIPIENTS}")
    while sum(1 for m in api.sent if HEADER in m.plain) < sent_before + 100:
        await clock.sleep(0.2)  # under way
    throttled_before = api.throttled
    latencies: list[float] = []
    answered: list[int] = []
    first_id = 2_000_000

    async def citizen(n: int) -> None:
        await clock.sleep(CROWD_SECONDS * n / CROWD)
        user = sandbox.user(first_id + n)
        t0 = clock.now().timestamp()
        replies = await user.send("/start")
        latencies.append(clock.now().timestamp() - t0)
        if "Ciao" in replies.text:
            answered.append(n)

    during: list[float] = []
    api.listeners.append(
        lambda m: during.append(clock.now().timestamp()) if HEADER in m.plain else None
    )
    t0 = clock.now().timestamp()
    await asyncio.gather(*(citizen(n) for n in range(CROWD)))
    crowd_span = clock.now().timestamp() - t0
    stopping = await data.repo.announcements.with_status("sending")
    for found in stopping:
        await data.repo.announcements.stop(found.id, clock.now())
    await data.broadcaster.idle()
    return {
        "crowd": CROWD,
        "crowd_seconds": CROWD_SECONDS,
        "crowd_throttled_429": api.throttled - throttled_before,
        "crowd_lost": CROWD - len(answered),
        "crowd_p50_s": percentile(latencies, 50),
        "crowd_p99_s": percentile(latencies, 99),
        "crowd_announcement_per_s": len(during) / crowd_span if crowd_span else 0.0,
    }


async def announcement(folder: Path) -> dict[str, float]:
    clock = ScaledClock(SCALE)
    api = FakeTelegram(clock=clock, limits=Limits())
    config = Config(
        telegram=TelegramConfig(staff_ids=(STAFF,), rate_limit=True),
        storage=StorageConfig(path=folder / "broadcast.sqlite3", data_dir=folder / "data"),
    )
    app = build_application(config, request=api, clock=clock)
    sandbox = Sandbox(app, api)
    api.ensure_private_chat({"id": STAFF, "is_bot": False, "first_name": "Staff"})
    await app.initialize()
    await app.start()  # as in production: the job queue runs (conversation time-outs)
    data = app.bot_data
    people = await seed_subscribers(data.repo, 1_000_000, RECIPIENTS, "annunci", clock.now())
    for person in people:  # they have written to the bot before: Telegram knows their chats
        api.ensure_private_chat({"id": person, "is_bot": False, "first_name": "Utente"})
    staff = sandbox.user(STAFF)
    await staff.send("/annuncio")
    await staff.send("Festa di fine anno in tutti i laboratori: vi aspettiamo!")
    await staff.press("Chi ha chiesto gli annunci")
    times: list[float] = []
    api.listeners.append(
        lambda m: times.append(clock.now().timestamp()) if HEADER in m.plain else None
    )
    throttled_before = api.throttled
    await staff.press(f"📤 Invia ora a {RECIPIENTS}")  # 1. nobody else chats meanwhile
    wall = time.perf_counter()
    await data.broadcaster.idle()
    wall = time.perf_counter() - wall
    received = Counter(m.chat_id for m in api.sent if HEADER in m.plain and m.chat_id != STAFF)
    span = times[-1] - times[0]
    per_second = Counter(int(t - times[0]) for t in times)
    result = {
        "recipients": RECIPIENTS,
        "scale": SCALE,
        "clock_seconds": span,
        "wall_seconds": wall,
        "rate_per_s": (len(times) - 1) / span,
        "rate_fraction_of_30": (len(times) - 1) / span / 30,
        "configured_per_s": config.broadcast.messages_per_second,
        "budget_per_s": app.bot.rate_limiter.limits.per_second,
        "busiest_second": max(per_second.values()),
        "throttled_429": api.throttled - throttled_before,
        "duplicates": sum(1 for n in received.values() if n > 1),
        "missed": sum(1 for p in people if received[p] == 0),
    }
    result.update(await crowd_during_announcement(sandbox, api, clock, staff))
    await app.stop()
    await app.shutdown()
    return result


async def planning(folder: Path) -> dict[str, float]:
    from bot.reminders import recipients, replan, tick  # noqa: F401  (the real code paths)

    config = Config(
        telegram=TelegramConfig(rate_limit=False),
        storage=StorageConfig(path=folder / "plan.sqlite3", data_dir=folder / "data"),
    )
    api = FakeTelegram()
    app = build_application(config, request=api)
    await app.initialize()
    data = app.bot_data
    now = data.clock.now()
    start = now + timedelta(days=1)  # one every 5 hours from tomorrow, for 7 months
    for n in range(EVENTS):
        moment = start + timedelta(hours=5 * n)
        await data.repo.events.save(
            Event(id=f"e{n}", kind="assemblea" if n == 0 else "altro", title=f"Evento {n}",
                  starts_at=moment, ends_at=moment + timedelta(hours=2)),
            now,
        )  # fmt: skip
    await seed_subscribers(data.repo, 5_000_000, SUBSCRIBERS, "assemblea", now)
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tracemalloc.start()
    t0 = time.perf_counter()
    await replan(data, app)
    plan_s = time.perf_counter() - t0
    _, plan_peak = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    rows = len(await data.repo.reminders.all())
    jobs = sum(1 for j in app.job_queue.jobs() if j.name.startswith("reminder:"))
    first = min((await data.repo.reminders.pending()), key=lambda r: r.due_at)
    # The Assemblea's first reminder falls due: 10,000 deliveries queued in one transaction.
    known = {o.ref: o for o in (await _occurrences(data))}
    t0 = time.perf_counter()
    people = await recipients(data, known[first.ref])
    await data.repo.deliveries.enqueue(f"reminder:{first.key}", people, now)
    enqueue_s = time.perf_counter() - t0
    _, enqueue_peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    await app.shutdown()
    return {
        "events": EVENTS,
        "reminder_rows": rows,
        "reminder_jobs": jobs,
        "plan_ms": plan_s * 1000,
        "plan_peak_mb": plan_peak / 2**20,
        "subscribers": len(people),
        "enqueue_ms": enqueue_s * 1000,
        "enqueue_peak_mb": enqueue_peak / 2**20,
        "rss_growth_mb": (rss_after - rss_before) / 1024,
    }


async def _occurrences(data):
    from bot.reminders import occurrences

    return list((await occurrences(data)).values())


async def main() -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="labbot-bench-"))
    shutil.copytree(DATA_DIR, folder / "data")
    try:
        results = await announcement(folder)
        results.update(await planning(folder))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return results


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
