"""The bot as a separate process: the terminal sandbox, polling a real HTTP Bot API, webhooks,
and a clean stop on SIGTERM. These take a few seconds each: they start Python."""

from __future__ import annotations

import json
import signal
import sqlite3
import subprocess
import sys
import urllib.error
import urllib.request
from collections import Counter
from pathlib import Path

import pytest

from bot.sandbox.botapi import BotApiServer
from tests.helpers import TOKEN, env, free_port


def test_piped_sandbox_prints_the_welcome_and_exits_zero(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="/start\n/help\n#1\n:quit\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env(),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "no BOT_TOKEN is set" in result.stderr
    out = result.stdout
    assert "> /start" in out and "Ciao Anna!" in out
    assert "[1] 🔎 Trova un laboratorio" in out
    assert "Come funziona" in out
    assert "Traceback" not in result.stderr
    assert (tmp_path / "var" / "labbot.sandbox.sqlite3").exists()


def test_sandbox_handles_every_sandbox_command(tmp_path):
    script = "\n".join(
        [":help", ":loc 45.2 9.1", ":loc nowhere", ":contact", ":photo", ":sticker", "ciao",
         ":edit ciao!", ":group @LabSocialiPaviaBot ciao", ":staff", "/stato", ":citizen",
         ":user 777 en", "/start", "#99", ":nonsense", ""]
    )  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input=script,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env(),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Comandi della sandbox:" in out  # Anna's language
    assert "si usa così: :loc LAT LON" in out
    assert "le foto" in out and "gli sticker" in out
    assert "Hai modificato un messaggio" in out
    assert "scrivimi in privato" in out
    assert "Stato del bot" in out
    assert "Hi Utente!" in out
    assert "no such button" in out and "unknown sandbox command" in out
    assert "Traceback" not in result.stderr


def sandbox(tmp_path, *lines: str) -> str:
    """One run of the terminal sandbox in `tmp_path` (its database stays there): the transcript."""
    result = subprocess.run(
        [sys.executable, "-m", "bot"],
        input="\n".join(lines) + "\n",
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env(),
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    return result.stdout


def test_after_a_restart_the_sandbox_reaches_people_and_says_whom_it_writes_to(tmp_path):
    sandbox(tmp_path, ":user 7777 en", "/start")
    out = sandbox(tmp_path, ":staff", "/staff", "#1", "#2", "/staff", "#1", "7777")
    assert "{2} ✖️ Annulla" in out and "nessuna modifica allo staff" in out  # #2 pressed {2}
    # The administrator adds 7777, known from the first run: the welcome reaches them, and the
    # transcript says it went to them, not to the administrator.
    assert "🤖 → a Utente (id 7777):\n   👋 You are now on the staff" in out
    assert "🤖 ✅ 7777 è nello staff" in out and "Non ho potuto scrivergli" not in out
    log = (tmp_path / "var" / "sandbox.log").read_text()
    assert "not found" not in log.lower()


def test_each_person_in_the_sandbox_keeps_their_buttons_and_sees_pop_ups(tmp_path):
    out = sandbox(
        tmp_path,
        "/start", ":staff", "/laboratori", "#6", "#10",  # staff: Spazio Q, its coordinators
        ":citizen", "#1",  # Anna's own buttons, kept while she was away: Assemblea notices on
        ":staff", "#1",  # back to the staff's: "➕ Invita un coordinatore"
        ":user 555 en", "/start", ":nonsense",
    )  # fmt: skip
    # Becoming Anna again shows her buttons, numbered, and #1 presses hers (it was cleared).
    anna_again = out.split("> :citizen")[1].split("> #1")[0]
    assert "(ora sei la persona 10001, lingua it)" in anna_again
    assert "[1] ⬜ Assemblea di Rete" in anna_again
    # The pop-up answer to her tap is shown, in her language.
    assert "💬 (avviso) Attivato: Assemblea di Rete" in out
    # The staff member's editor buttons survived the detour: #1 made an invitation.
    assert "🔗 Invito a coordinare Spazio Q" in out
    # Its QR code is saved as the PNG it is (it was "…-application.octet-stream").
    saved = list((tmp_path / "var" / "sandbox" / "files").iterdir())
    assert [p.suffix for p in saved] == [".png"] and saved[0].read_bytes()[:4] == b"\x89PNG"
    # An English person's session speaks English.
    assert "(you are now user 555, language en)" in out
    assert "unknown sandbox command :nonsense" in out


def test_polling_a_bot_api_server_and_stopping_cleanly(tmp_path):
    db_path = tmp_path / "bot.sqlite3"
    with BotApiServer(TOKEN) as api:
        api.queue_message(42, "/start")
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env(
                BOT_TOKEN=TOKEN,
                LABBOT_TELEGRAM_BASE_URL=api.base_url,
                LABBOT_STORAGE_PATH=str(db_path),
                LABBOT_TELEGRAM_STAFF_IDS="42",
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            welcomed = api.wait_for(
                lambda: any("Ciao Anna!" in m.get("text", "") for m in api.sent())
            )
            assert welcomed, "the bot did not answer /start"
            api.queue_message(42, "/stato")
            assert api.wait_for(
                lambda: any("Stato del bot" in m.get("text", "") for m in api.sent())
            )
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
    polls = api.sent("getUpdates")
    assert "my_chat_member" in polls[0]["allowed_updates"]  # every update type
    assert "callback_query" in polls[0]["allowed_updates"]
    assert api.sent("setMyCommands")  # menus published at start
    staff_menus = [p for p in api.sent("setMyCommands") if p.get("scope", {}).get("type") == "chat"]
    assert staff_menus and any(c["command"] == "stato" for c in staff_menus[0]["commands"])
    assert "database closed" in err
    assert TOKEN not in err and TOKEN not in out
    assert TOKEN.split(":")[1] not in err
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(*) FROM users WHERE id = 42").fetchone()[0] == 1
    assert not Path(f"{db_path}-wal").exists() or Path(f"{db_path}-wal").stat().st_size == 0


def test_webhook_mode(tmp_path):
    port = free_port()
    secret = "webhook-secret-123"
    with BotApiServer(TOKEN) as api:
        process = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env(
                BOT_TOKEN=TOKEN,
                LABBOT_TELEGRAM_BASE_URL=api.base_url,
                LABBOT_STORAGE_PATH=str(tmp_path / "bot.sqlite3"),
                LABBOT_TELEGRAM_MODE="webhook",
                LABBOT_TELEGRAM_WEBHOOK_URL="https://bot.example.org/telegram",
                LABBOT_TELEGRAM_WEBHOOK_PORT=str(port),
                LABBOT_TELEGRAM_WEBHOOK_SECRET=secret,
            ),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert api.wait_for(lambda: api.sent("setWebhook")), "no setWebhook"
            webhook = api.sent("setWebhook")[0]
            assert webhook["url"] == "https://bot.example.org/telegram"
            assert webhook["secret_token"] == secret
            update = {
                "update_id": 1,
                "message": {
                    "message_id": 1,
                    "date": 1,
                    "chat": {"id": 42, "type": "private"},
                    "from": {"id": 42, "is_bot": False, "first_name": "Anna"},
                    "text": "/start",
                    "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
                },
            }

            def post(headers: dict[str, str]) -> int:
                request = urllib.request.Request(
                    f"http://127.0.0.1:{port}/telegram",
                    data=json.dumps(update).encode(),
                    headers={"Content-Type": "application/json", **headers},
                )
                try:
                    with urllib.request.urlopen(request, timeout=10) as response:
                        return response.status
                except urllib.error.HTTPError as exc:
                    return exc.code
                except (ConnectionError, urllib.error.URLError):
                    return 0

            assert api.wait_for(lambda: post({"X-Telegram-Bot-Api-Secret-Token": "wrong"}) == 403)
            assert post({"X-Telegram-Bot-Api-Secret-Token": secret}) == 200
            assert api.wait_for(lambda: any("Ciao Anna!" in m.get("text", "") for m in api.sent()))
        finally:
            process.send_signal(signal.SIGTERM)
            out, err = process.communicate(timeout=30)
        assert process.returncode == 0, err
        assert secret not in err + out and TOKEN not in err + out


@pytest.mark.parametrize("code", ["401"])
def test_a_token_telegram_refuses(tmp_path, code):
    with BotApiServer("999:the-right-one") as api:
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env(BOT_TOKEN=TOKEN, LABBOT_TELEGRAM_BASE_URL=api.base_url),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert "Telegram refused the bot token" in result.stderr
    assert TOKEN not in result.stderr and "Traceback" not in result.stderr


def _seed_announcement(db_path: Path, recipients: list[int]) -> None:
    """An announcement that staff just sent: queued, nothing delivered yet."""
    import asyncio
    from datetime import UTC, datetime

    from storage import Database, Repos

    async def seed() -> None:
        repo = Repos.over(await Database.open(db_path))
        now = datetime.now(UTC)
        try:
            await repo.announcements.create(
                token="kill-test", author_id=42, kind="text", body="Festa a Spazio Q",
                photo="", audience="all", send_at=now, now=now, lang="it",
                recipients=recipients,
            )  # fmt: skip
        finally:
            await repo.db.close()

    asyncio.run(seed())


def test_an_announcement_resumes_after_the_process_is_killed(tmp_path):
    db_path = tmp_path / "bot.sqlite3"
    people = list(range(1000, 1060))
    _seed_announcement(db_path, people)

    def announcements(api: BotApiServer) -> list[int]:
        return [int(m["chat_id"]) for m in api.sent() if "Rete dei Laboratori" in m.get("text", "")]

    def run(api: BotApiServer) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env(
                BOT_TOKEN=TOKEN,
                LABBOT_TELEGRAM_BASE_URL=api.base_url,
                LABBOT_STORAGE_PATH=str(db_path),
                LABBOT_TELEGRAM_STAFF_IDS="42",
                LABBOT_BROADCAST_MESSAGES_PER_SECOND="30",
            ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )

    with BotApiServer(TOKEN) as api:
        # 1. Killed while the 21st message is in flight (Telegram never answered it).
        api.hold = lambda method, params: (
            method == "sendMessage"
            and "Rete dei Laboratori" in params.get("text", "")
            and len(announcements(api)) >= 20
        )
        first = run(api)
        assert api.wait_for(lambda: api.held), "the first run did not get to the 21st message"
        first.kill()
        first.communicate(timeout=30)
        api.hold = None
        assert len(announcements(api)) == 20
        # 2. Killed again at an arbitrary moment, without warning.
        second = run(api)
        assert api.wait_for(lambda: len(announcements(api)) >= 40)
        second.send_signal(signal.SIGKILL)
        second.communicate(timeout=30)
        # 3. The last run finishes the job.
        third = run(api)
        try:
            assert api.wait_for(lambda: set(announcements(api)) == set(people), timeout=60)
            assert api.wait_for(
                lambda: any(
                    "Ricevuto: 60 su 60" in m.get("text", "") for m in api.sent("editMessageText")
                ),
                timeout=30,
            )
        finally:
            third.send_signal(signal.SIGTERM)
            _, err = third.communicate(timeout=30)
        assert third.returncode == 0, err
    sent = announcements(api)
    assert sorted(set(sent)) == people  # nobody skipped
    # Nobody twice, but for the one message that may have been in flight at the unannounced
    # kill: Telegram may have got it before the bot could mark it sent (by design, a repeat is
    # better than a silent gap). The first kill's message in flight was never answered, so it
    # counts as not delivered and goes out once.
    assert len([p for p, n in Counter(sent).items() if n > 1]) <= 1
    assert max(Counter(sent).values()) <= 2
    assert api.held[0][1]["chat_id"] in {str(p) for p in people} | set(people)
    with sqlite3.connect(db_path) as conn:
        statuses = dict(conn.execute("SELECT status, count(*) FROM deliveries GROUP BY status"))
        assert statuses == {"sent": 60}
        assert conn.execute("SELECT status FROM announcements").fetchone()[0] == "done"


def _seed_subscriber(db_path: Path, user_id: int) -> None:
    """Someone who asked to hear about the Assemblea di Rete."""
    import asyncio
    from datetime import UTC, datetime

    from storage import Database, Repos
    from storage.users import Seen

    async def seed() -> None:
        repo = Repos.over(await Database.open(db_path))
        now = datetime.now(UTC)
        try:
            await repo.users.seen_many([Seen(user_id, now, 1, "it", since=now)])
            await repo.subscriptions.set(user_id, "assemblea", True, now)
        finally:
            await repo.db.close()

    asyncio.run(seed())


def test_a_reminder_interrupted_by_a_crash_is_not_sent_twice(tmp_path):
    """At most once: a reminder in flight when the process died is not sent again."""
    import shutil
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    from domain.directory import DATA_DIR

    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    starts = datetime.now(ZoneInfo("Europe/Rome")) + timedelta(hours=23)  # the 1-day one is due
    ends = starts + timedelta(hours=2)
    (data / "events.toml").write_text(
        f'[[event]]\nid = "assemblea-prova"\nkind = "assemblea"\ntitle = "Assemblea di Rete"\n'
        f'when = "{starts:%d/%m/%Y %H:%M}-{ends:%H:%M}"\nlab = "spazio-q"\n',
        encoding="utf-8",
    )
    db_path = tmp_path / "bot.sqlite3"
    _seed_subscriber(db_path, 42)

    def reminders(api: BotApiServer) -> list[dict]:
        return [m for m in api.sent() if "Promemoria" in m.get("text", "")]

    def run(api: BotApiServer) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp_path,
            env=env(BOT_TOKEN=TOKEN, LABBOT_TELEGRAM_BASE_URL=api.base_url,
                    LABBOT_STORAGE_PATH=str(db_path), LABBOT_STORAGE_DATA_DIR=str(data)),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip

    def status() -> list[str]:
        with sqlite3.connect(db_path) as conn:
            return [r[0] for r in conn.execute("SELECT status FROM deliveries")]

    with BotApiServer(TOKEN) as api:
        # Killed while the reminder is in flight: Telegram got it, or perhaps not.
        api.hold = lambda method, params: "Promemoria" in params.get("text", "")
        first = run(api)
        assert api.wait_for(lambda: api.held), "the reminder was never sent"
        first.kill()
        first.communicate(timeout=30)
        api.hold = None
        assert status() == ["sending"]
        second = run(api)
        try:
            assert api.wait_for(lambda: status() and status()[0] != "sending")
            assert api.wait_for(lambda: any(m == "getUpdates" for m, _ in api.calls))
        finally:
            second.send_signal(signal.SIGTERM)
            _, err = second.communicate(timeout=30)
        assert second.returncode == 0, err
    assert reminders(api) == []  # not sent a second time
    assert status() == ["failed"]
    assert "1 reminder(s) not (at most once)" in err
