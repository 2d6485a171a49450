"""Scuola benchmarks: whole sign-up conversations through the bot, and the outbox into a real
SMTP server on 127.0.0.1. Run as `python -m bench.scuola`; prints one JSON line."""

from __future__ import annotations

import asyncio
import json
import shutil
import tempfile
import time
from pathlib import Path

from bot.app import build_application
from bot.config import Config, SmtpConfig, StorageConfig, TelegramConfig
from bot.sandbox.smtp import SmtpServer
from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.users import Sandbox
from domain.directory import DATA_DIR
from storage.outbox import NewMail

USERS = 300
MAILS = 1000
EDITION = """
[[edition]]
id = "bench"
title = "Bench"
capacity = 1000  # a place for everyone: this measures conversations, not the waiting list

[[edition.sessions]]
when = "03/12/2030 17:30-19:30"
place = "Spazio Q"
"""


async def sign_up(user, n: int) -> None:
    await user.send("/scuola")
    await user.press("✍️ Iscriviti: Bench")
    await user.send("Anna")
    await user.send("Rossi")
    await user.send(f"persona{n}@example.org")
    await user.press("⏭️ Salta")
    await user.press("Attivista")
    await user.press("⏭️ Salta")
    await user.press("⏭️ Salta")
    await user.press("✅ Acconsento")
    replies = await user.press("✅ Conferma l'iscrizione")
    assert "SLS-" in replies.text


async def main() -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="labbot-bench-"))
    shutil.copytree(DATA_DIR, folder / "data")
    (folder / "data" / "scuola.toml").write_text(EDITION, encoding="utf-8")
    smtp = SmtpServer().start()
    config = Config(
        telegram=TelegramConfig(rate_limit=False),
        storage=StorageConfig(path=folder / "bench.sqlite3", data_dir=folder / "data"),
        smtp=SmtpConfig(host="127.0.0.1", port=smtp.port, security="none",
                        sender="Bench <bench@example.org>", outbox_dir=folder / "outbox"),
    )  # fmt: skip
    api = FakeTelegram()
    app = build_application(config, request=api)
    sandbox = Sandbox(app, api)
    await app.initialize()
    users = [sandbox.user(900_000 + i) for i in range(USERS)]
    sent_before = len(api.sent)
    t0 = time.perf_counter()
    await asyncio.gather(*(sign_up(u, n) for n, u in enumerate(users)))
    elapsed = time.perf_counter() - t0
    results = {
        "signup_users": USERS,
        "signups_per_s": USERS / elapsed,
        "signup_updates_per_s": USERS * 11 / elapsed,
        "signup_messages": (len(api.sent) - sent_before) / USERS,
    }
    outbox = app.bot_data.outbox
    repo = app.bot_data.repo
    raw = (await repo.outbox.all())[0].raw
    now = app.bot_data.clock.now()
    for i in range(MAILS - USERS):
        copy = raw.replace(b"Message-ID: <", f"Message-ID: <bench{i}.".encode(), 1)
        await repo.outbox.add(NewMail(f"<bench{i}@example.org>", "bench", copy), now)
    t0 = time.perf_counter()
    delivered = 0
    while (report := await outbox.deliver_due()).sent:
        delivered += report.sent
    elapsed = time.perf_counter() - t0
    assert delivered == MAILS and len(smtp.received) == MAILS, (delivered, len(smtp.received))
    results["mails"] = MAILS
    results["mails_per_s"] = MAILS / elapsed
    await app.shutdown()
    smtp.stop()

    return results


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
