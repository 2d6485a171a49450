"""The whole bot against two bare python-telegram-bot baselines, per kind of update, in one run.

Run as `python -m bench.foundation KIND MODE`, one bot per process:
- KIND `labbot` is the bot (`bot.app.build_application`); `echo` is a bare PTB echo (a short
  plain-text reply, `answer()` to a button); `menu` is an echo that answers every message with the
  bot's own welcome-sized HTML text and main-menu keyboard (6 buttons, same callback data), and a
  button by answering it and editing the message to the menu, with the bot's `Defaults`; to
  someone it has not met it also sends the bot's notifications offer (3 buttons), as the bot
  does, so "/start by someone new" compares two messages with two. The two baselines import
  nothing of the bot (`bot`, `handlers`, `storage`, `domain`).
- All three use the same request layer, `bench.minimal_api.MinimalApi`: no message log, no
  validation (the sandbox's `FakeTelegram` renders and checks the HTML of every message and keeps
  it; `request` measures what that costs per call).
- MODE `latency`: per kind of update, N updates built as Telegram sends them, each turned into an
  `Update` and processed one at a time through `Application.process_update`, the kinds taking
  turns in `BLOCKS` blocks; p50/p99. The
  known people started the bot a moment (`SETTLE_S`) before; between two updates the event loop
  gets one turn, as it does between two updates from the network, so timers (the bot's
  write-behind) run when due.
- MODE `process`, in a fresh interpreter: import time of what the bot needs (telegram.ext, plus
  the bot's modules for labbot), start → first getUpdates (database opened and migrated, command
  menus published), RSS after start, then RSS with 10,000 users known (seeded with one
  executemany and the bot started again, so it reads them as it does at every start; 1,000 of
  them send /start) — for the baselines, after 1,000 people send /start.
- MODE `request` (KIND ignored): one sendMessage of the menu through PTB, FakeTelegram against
  MinimalApi, µs per call.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

LATENCY_N = 1000
BLOCKS = 10
WARMUP = 50
KNOWN_USERS = 500
SETTLE_S = 1.5  # longer than the bot's write-behind (`bot.people.FLUSH_S`)
SEEDED_USERS = 10_000
ACTIVE_USERS = 1_000
# What few updates need (a calendar file, a phone number or an e-mail address checked, an e-mail
# sent, a number with thousands, a chart, a poster): loaded on first use, not at start.
ON_FIRST_USE = (
    "icalendar",
    "phonenumbers",
    "email_validator",
    "aiosmtplib",
    "babel.numbers",
    "matplotlib",
    "segno",
)
KINDS = ("start_known", "start_new", "button", "location", "unknown", "question")

# The bot's main menu, copied as literals (handlers/menu.py `main_menu`, Italian labels).
MENU_KEYBOARD = {
    "inline_keyboard": [
        [{"text": "🔎 Trova un laboratorio", "callback_data": "menu:v1:labs"}],
        [
            {"text": "🎓 Scuola dei Laboratori", "callback_data": "menu:v1:scuola"},
            {"text": "📅 Prossimi incontri", "callback_data": "menu:v1:events"},
        ],
        [
            {"text": "🔔 Notifiche", "callback_data": "menu:v1:notify"},
            {"text": "❓ Aiuto", "callback_data": "menu:v1:help"},
        ],
        [{"text": "🌐 English", "callback_data": "menu:v1:lang"}],
    ]
}
# As long as the bot's welcome (517 characters), with the same markup in it.
WELCOME = (
    "Ciao Anna! 👋\nSono un bot di prova per i <b>Laboratori Sociali</b> di Pavia: questo testo "
    "ha la stessa lunghezza del benvenuto del bot e lo stesso tipo di formattazione, così il "
    "confronto riguarda solo il lavoro del bot.\n\nQui puoi:\n• trovare un laboratorio\n"
    "• iscriverti alla <b>Scuola dei Laboratori Sociali</b>\n• conoscere le date dell'"
    "<b>Assemblea di Rete</b> e degli altri incontri\n• ricevere avvisi, solo se li chiedi tu\n\n"
    "Scegli un pulsante qui sotto oppure scrivimi, per esempio: <i>c'è un laboratorio vicino?</i>"
)
MENU_TITLE = "Cosa ti serve? Scegli qui sotto 👇"
# The bot's notifications offer to someone new (handlers/notifications.py `offer`), copied too:
# a bare bot that greets a newcomer with the same two messages keeps who it has met in memory.
OFFER = (
    "🔔 Vuoi che ti avvisi io? Scegli cosa ti interessa (puoi cambiare idea quando vuoi con "
    "/notifiche). Se non scegli nulla, non ti scriverò per primo."
)
OFFER_KEYBOARD = {
    "inline_keyboard": [
        [{"text": "⬜ Assemblea di Rete", "callback_data": "notify:v1:toggle:assemblea"}],
        [{"text": "⬜ Scuola dei Laboratori Sociali", "callback_data": "notify:v1:toggle:scuola"}],
        [{"text": "⬜ Annunci della rete", "callback_data": "notify:v1:toggle:annunci"}],
    ]
}


def rss_mb() -> float:
    """The resident set size now (not the peak)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def compile_bytecode() -> None:
    """The bot's modules compiled, as a deployed bot's are after its first start (here
    PYTHONDONTWRITEBYTECODE may be set: each import would compile the source again; the
    baselines' libraries were compiled when pip installed them)."""
    import compileall

    root = Path(__file__).resolve().parent.parent
    for package in ("bot", "handlers", "storage", "domain", "bench"):
        compileall.compile_dir(root / package, quiet=1)


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


# --- updates, as Telegram sends them ------------------------------------------------------------

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


def _user(uid: int) -> dict[str, Any]:
    return {"id": uid, "is_bot": False, "first_name": "Anna", "language_code": "it"}


def _message(uid: int, **body: Any) -> dict[str, Any]:
    return {
        "update_id": next(_update_ids),
        "message": {
            "message_id": next(_message_ids),
            "date": int(time.time()),
            "chat": {"id": uid, "type": "private", "first_name": "Anna"},
            "from": _user(uid),
            **body,
        },
    }


def text_update(uid: int, text: str) -> dict[str, Any]:
    if text.startswith("/"):
        command = text.split()[0]
        entities = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return _message(uid, text=text, entities=entities)
    return _message(uid, text=text)


def location_update(uid: int) -> dict[str, Any]:
    return _message(uid, location={"latitude": 45.1900, "longitude": 9.1600})


def button_update(uid: int, data: str) -> dict[str, Any]:
    return {
        "update_id": next(_update_ids),
        "callback_query": {
            "id": str(next(_update_ids)),
            "from": _user(uid),
            "chat_instance": f"ci-{uid}",
            "data": data,
            "message": {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": uid, "type": "private", "first_name": "Anna"},
                "from": {"id": 7_000_000_001, "is_bot": True, "first_name": "Bench"},
                "text": MENU_TITLE,
                "reply_markup": MENU_KEYBOARD,
            },
        },
    }


_new_users = itertools.count(5_000_000)


def update_of(kind: str, i: int) -> dict[str, Any]:
    uid = 200_000 + i % KNOWN_USERS
    if kind == "start_known":
        return text_update(uid, "/start")
    if kind == "start_new":
        return text_update(next(_new_users), "/start")
    if kind == "button":
        return button_update(uid, "menu:v1:home")
    if kind == "location":
        return location_update(uid)
    if kind == "unknown":
        return text_update(uid, "qualcosa di incomprensibile")
    if kind == "question":
        return text_update(uid, "orari di spazio q")
    raise ValueError(kind)


# --- the three bots -----------------------------------------------------------------------------


def import_kind(kind: str) -> float:
    """Import what `kind` needs; returns the milliseconds it took (nothing of it loaded before)."""
    for name in ("telegram", "bot", "handlers", "storage", "domain"):
        assert name not in sys.modules, f"{name} imported before the measurement"
    t = time.perf_counter()
    if kind == "labbot":
        gc.disable()  # as `python -m bot` does (bot/__main__.py); building the bot resumes it
        import bot.app
        import bot.config  # noqa: F401
    else:
        import zoneinfo  # noqa: F401

        import telegram.ext  # noqa: F401
    return (time.perf_counter() - t) * 1000


def build(kind: str, api: Any, folder: Path) -> Any:
    if kind == "labbot":
        from bot.app import build_application
        from bot.config import Config, StorageConfig, TelegramConfig

        config = Config(
            telegram=TelegramConfig(staff_ids=(1,), rate_limit=False),
            storage=StorageConfig(path=folder / "bench.sqlite3"),
        )
        return build_application(config, request=api)

    from zoneinfo import ZoneInfo

    from telegram import InlineKeyboardMarkup, LinkPreviewOptions
    from telegram.constants import ParseMode
    from telegram.ext import (
        ApplicationBuilder,
        CallbackQueryHandler,
        CommandHandler,
        Defaults,
        MessageHandler,
        filters,
    )

    builder = ApplicationBuilder().token("1:bench").request(api).get_updates_request(api)
    if kind == "echo":
        app = builder.concurrent_updates(64).build()

        async def hi(update: Any, context: Any) -> None:
            await update.effective_message.reply_text("Hi!")

        async def echo(update: Any, context: Any) -> None:
            message = update.effective_message
            await message.reply_text(message.text or "📍")

        async def tap(update: Any, context: Any) -> None:
            await update.callback_query.answer()

        app.add_handler(CommandHandler("start", hi))
        app.add_handler(MessageHandler(filters.TEXT | filters.LOCATION, echo))
        app.add_handler(CallbackQueryHandler(tap))
        return app

    defaults = Defaults(
        parse_mode=ParseMode.HTML,
        tzinfo=ZoneInfo("Europe/Rome"),
        link_preview_options=LinkPreviewOptions(is_disabled=True),
    )
    app = builder.defaults(defaults).concurrent_updates(64).build()

    def menu() -> InlineKeyboardMarkup:  # built per reply, as a bare bot would
        return InlineKeyboardMarkup.de_json(MENU_KEYBOARD, None)

    met: set[int] = set()

    async def welcome(update: Any, context: Any) -> None:
        await update.effective_message.reply_text(WELCOME, reply_markup=menu())
        user = update.effective_user
        if user is not None and user.id not in met:  # someone new: the offer too, as the bot
            met.add(user.id)
            offer = InlineKeyboardMarkup.de_json(OFFER_KEYBOARD, None)
            await context.bot.send_message(user.id, OFFER, reply_markup=offer)

    async def tap(update: Any, context: Any) -> None:
        await update.callback_query.answer()
        await update.callback_query.edit_message_text(MENU_TITLE, reply_markup=menu())

    app.add_handler(MessageHandler(filters.ALL, welcome))
    app.add_handler(CallbackQueryHandler(tap))
    return app


async def started(kind: str, folder: Path) -> tuple[Any, Any, float]:
    """Build, initialize, start polling: the app, its API, and ms from build to first getUpdates."""
    from bench.minimal_api import MinimalApi

    api = MinimalApi()
    t_build = time.perf_counter()
    app = build(kind, api, folder)
    await app.initialize()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()
    await api.polled.wait()
    assert api.first_poll_at is not None
    startup_ms = (api.first_poll_at - t_build) * 1000
    await app.updater.stop()
    return app, api, startup_ms


async def deliver(app: Any, body: dict[str, Any]) -> None:
    from telegram import Update

    await app.process_update(Update.de_json(body, app.bot))


async def latency(kind: str) -> dict[str, float]:
    import_kind(kind)
    folder = Path(tempfile.mkdtemp(prefix="labbot-bench-"))
    app, api, _ = await started(kind, folder)
    for i in range(KNOWN_USERS):  # they have all started the bot before
        await deliver(app, update_of("start_known", i))
    await asyncio.sleep(SETTLE_S)  # a moment later: what the bots keep to do later is done
    for kind_of_update in KINDS:
        for i in range(WARMUP):
            await deliver(app, update_of(kind_of_update, i))
    # The kinds take turns in blocks, so a slower moment of the machine falls on all of them.
    latencies: dict[str, list[float]] = {kind_of_update: [] for kind_of_update in KINDS}
    for block in range(BLOCKS):
        for kind_of_update in KINDS:
            for i in range(block * LATENCY_N // BLOCKS, (block + 1) * LATENCY_N // BLOCKS):
                body = update_of(kind_of_update, i)
                before = api.calls
                t = time.perf_counter()
                await deliver(app, body)
                latencies[kind_of_update].append(time.perf_counter() - t)
                assert api.calls > before, f"{kind} did not answer {kind_of_update}"
                await asyncio.sleep(0)  # as between two updates from the network: timers run
    results: dict[str, float] = {}
    for kind_of_update, values in latencies.items():
        results[f"{kind_of_update}_p50_ms"] = statistics.median(values) * 1000
        results[f"{kind_of_update}_p99_ms"] = percentile(values, 99) * 1000
    await app.stop()
    await app.shutdown()
    return results


async def seed_users(path: Path) -> None:
    """10,000 people in the database, in one executemany."""
    from storage.db import Database

    db = await Database.open(path)
    now = "2025-01-01T00:00:00.000000+00:00"
    try:
        async with db.transaction() as conn:
            await conn.executemany(
                "INSERT INTO users (id, language, first_seen, last_seen) VALUES (?, ?, ?, ?)",
                [(300_000 + i, "it", now, now) for i in range(SEEDED_USERS)],
            )
    finally:
        await db.close()


async def process(kind: str) -> dict[str, float]:
    import_ms = import_kind(kind)
    folder = Path(tempfile.mkdtemp(prefix="labbot-bench-"))
    app, _api, startup_ms = await started(kind, folder)
    gc.collect()
    rss_start = rss_mb()
    if kind == "labbot":  # 10,000 people the bot has met before, as after a restart
        await app.stop()
        await app.shutdown()
        await seed_users(folder / "bench.sqlite3")
        app, _api, _ = await started(kind, folder)
    for i in range(ACTIVE_USERS):
        await deliver(app, text_update(300_000 + i * (SEEDED_USERS // ACTIVE_USERS), "/start"))
    gc.collect()
    rss_loaded = rss_mb()
    lazy = [name for name in ON_FIRST_USE if name in sys.modules]
    await app.stop()
    await app.shutdown()
    return {
        "import_ms": import_ms,
        "startup_ms": startup_ms,
        "rss_start_mb": rss_start,
        "rss_loaded_mb": rss_loaded,
        "loaded_at_start": len(lazy),
        "loaded_names": lazy,
    }


async def request_cost() -> dict[str, float]:
    """µs per sendMessage of the welcome and menu through PTB, per request layer."""
    from telegram import Bot, InlineKeyboardMarkup

    from bench.minimal_api import MinimalApi
    from bot.sandbox.telegram import FakeTelegram

    fake = FakeTelegram()
    fake.ensure_private_chat({"id": 42, "is_bot": False, "first_name": "Anna"})
    markup = InlineKeyboardMarkup.de_json(MENU_KEYBOARD, None)
    results: dict[str, float] = {}
    for name, api in (("fake", fake), ("minimal", MinimalApi())):
        async with Bot("1:bench", request=api, get_updates_request=api) as bot:
            times: list[float] = []
            for _ in range(WARMUP + LATENCY_N):
                t = time.perf_counter()
                await bot.send_message(42, WELCOME, parse_mode="HTML", reply_markup=markup)
                times.append(time.perf_counter() - t)
            results[f"{name}_send_us"] = statistics.median(times[WARMUP:]) * 1e6
    return results


if __name__ == "__main__":
    kind, mode = sys.argv[1], sys.argv[2]
    if mode == "latency":
        result = asyncio.run(latency(kind))
    elif mode == "process":
        result = asyncio.run(process(kind))
    else:
        result = asyncio.run(request_cost())
    print(json.dumps(result))
