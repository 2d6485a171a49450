"""Find-a-lab benchmarks: the question matcher and location search, alone and through the bot.

Run as `python -m bench.labs`; prints one JSON line. Questions are the dev set plus the same
sentences reworded, so the matcher is not only timed on the cases it was tuned on; the
directory is the real one, with the gazetteer (the world's cities included) and the thesaurus.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import tempfile
import time
import tomllib
from pathlib import Path

from bot.app import build_application
from bot.config import Config, StorageConfig, TelegramConfig
from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.users import Sandbox
from domain import directory, lexicon
from domain.geo import nearest
from domain.understanding import Matcher

ROOT = Path(__file__).resolve().parent.parent
EXTRA = [
    "ci sono laboratori a carbonara?", "abito in via Roma a zinasco", "sto a mezzana",
    "vivo al borgo ticino", "quando apre spazio q?", "telefono di crosione",
    "chi gestisce in pelizza?", "cosa sono i laboratori sociali?", "come posso fare volontariato?",
    "prossimi eventi", "grazie mille", "I live in San Genesio", "list of labs", "pizza margherita",
    "vorrei aggiustare la bici", "c'è un corso di ceramica?", "my grandson is 12, anything?",
    "I live in Manchester", "dov'è l'ufficio postale?",
    "c'è un laboratorio vicino a me?", "laboratorio in centro", "il lab di san pietro",
]  # fmt: skip
ROUNDS_ALONE = 200
ROUNDS_STACK = 30
LOCATIONS = 2000


def questions() -> list[str]:
    cases = tomllib.loads((ROOT / "tests" / "data" / "dev-questions.toml").read_text("utf-8"))
    return [c["text"] for c in cases["case"] if "text" in c] + EXTRA


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn, items) -> tuple[float, float]:
    latencies = []
    t0 = time.perf_counter()
    for item in items:
        t = time.perf_counter()
        fn(item)
        latencies.append(time.perf_counter() - t)
    return len(latencies) / (time.perf_counter() - t0), percentile(latencies, 99) * 1000


def random_points(n: int) -> list[tuple[float, float]]:
    rng = random.Random(7)
    return [(rng.uniform(45.05, 45.30), rng.uniform(8.95, 9.30)) for _ in range(n)]


async def through_the_bot(texts: list[str], points: list[tuple[float, float]]) -> dict[str, float]:
    api = FakeTelegram()
    config = Config(
        telegram=TelegramConfig(rate_limit=False),
        storage=StorageConfig(path=Path(tempfile.mkdtemp()) / "bench.sqlite3"),
    )
    app = build_application(config, request=api)
    sandbox = Sandbox(app, api)
    await app.initialize()
    # As many people as in a busy hour: each writes a few times a minute, as a person does, so
    # the flood guard ([abuse]) runs on every update, as in production, without stopping anyone.
    users = [sandbox.user(400_000 + i) for i in range(1000)]
    results: dict[str, float] = {}
    try:
        await _play(users, texts, points, results)
    finally:
        await app.shutdown()
    return results


async def _play(users, texts, points, results: dict[str, float]) -> None:
    for label, items, send in (
        ("stack_questions", texts * ROUNDS_STACK, lambda u, x: u.send(x)),
        ("stack_locations", points[:500], lambda u, x: u.share_location(*x)),
    ):
        latencies = []
        t0 = time.perf_counter()
        for i, item in enumerate(items):
            t = time.perf_counter()
            replies = await send(users[i % len(users)], item)
            latencies.append(time.perf_counter() - t)
            assert replies
        results[f"{label}_per_s"] = len(items) / (time.perf_counter() - t0)
        results[f"{label}_p99_ms"] = percentile(latencies, 99) * 1000
        results[f"{label}_p50_ms"] = statistics.median(latencies) * 1000


def main() -> dict[str, float]:
    t0 = time.perf_counter()
    lexicon.warm()  # once per process, at start: not part of a rebuild after a staff edit
    lexicon_ms = (time.perf_counter() - t0) * 1000
    labs = directory.load()
    t0 = time.perf_counter()
    matcher = Matcher(labs)
    build_ms = (time.perf_counter() - t0) * 1000
    texts = questions()
    per_s, p99 = timed(matcher.understand, texts * ROUNDS_ALONE)
    points = random_points(LOCATIONS)
    loc_per_s, loc_p99 = timed(lambda p: nearest(p[0], p[1], labs.visible), points * 10)
    results = {
        "matcher_build_ms": build_ms,
        "lexicon_load_ms": lexicon_ms,
        "places": len(labs.places),
        "questions": len(texts),
        "matcher_per_s": per_s,
        "matcher_p99_ms": p99,
        "nearest_per_s": loc_per_s,
        "nearest_p99_ms": loc_p99,
    }
    results.update(asyncio.run(through_the_bot(texts, points)))
    return results


if __name__ == "__main__":
    print(json.dumps(main()))
