"""Helpers the test modules share: people filling the Scuola form, staff opening the editors, a
coordinator invited, the bot as a real process, the probes of what the database holds. One
place, so that no test module imports another."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.sandbox.botapi import BotApiServer
from bot.sandbox.smtp import SmtpServer
from domain.directory import DATA_DIR
from tests.conftest import STAFF_ID

# --- used to live in tests/test_announcements.py -----------------------------
HEADER = "📣 Rete dei Laboratori Sociali"


async def subscribers(bot, n: int, topic_label: str = "⬜ Annunci della rete") -> list:
    people = []
    for _ in range(n):
        person = bot.user()
        await person.send("/notifiche")
        await person.press(topic_label)
        people.append(person)
    return people


def received(bot, person) -> list:
    return [m for m in bot.api.sent if m.chat_id == person.id and HEADER in m.plain]


async def write(staff, text: str, audience: str = "Chi ha chiesto gli annunci"):
    await staff.send("/annuncio")
    await staff.send(text)
    return await staff.press(audience)


# --- used to live in tests/test_reminders.py ---------------------------------
ROME = ZoneInfo("Europe/Rome")


EVENTS = """
[[event]]
id = "assemblea-marzo"
kind = "assemblea"
title = "Assemblea di Rete"
when = "28/03/2027 10:00-12:00"
lab = "spazio-q"

[[event]]
id = "assemblea-ottobre"
kind = "assemblea"
title = "Assemblea d'autunno"
when = "31/10/2027 10:00-12:00"
place = "Spazio Q, Pavia"
"""


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ROME)


async def subscribe(bot, user) -> None:
    await user.send("/notifiche")
    await user.press("⬜ Assemblea di Rete")


def reminders_for(bot, user) -> list[str]:
    return [m.plain for m in bot.api.sent if m.chat_id == user.id and "Promemoria" in m.plain]


# --- used to live in tests/test_scuola_staff.py ------------------------------
async def create_edition(staff, title="Primavera 2027") -> None:
    await staff.send("/edizioni")
    await staff.press("➕ Nuova edizione")
    menu = await staff.send(title)
    assert "Nessun incontro in calendario" in menu.text


# --- used to live in tests/test_scuola.py ------------------------------------
EDITION = """
[[edition]]
id = "autunno-2026"
title = "Autunno 2026"
capacity = {capacity}
deadline = "15/12/2026"

[[edition.sessions]]
when = "03/12/2026 17:30-19:30"
place = "Spazio Q, Piazzale Torino 40, Pavia"

[[edition.sessions]]
when = "10/12/2026 17:30-19:30"
online_url = "https://meet.example.org/scuola"
"""


def scuola_config(config, tmp_path: Path, smtp: SmtpServer | None, capacity: int = 30):
    data = tmp_path / "data"
    if not data.exists():
        shutil.copytree(DATA_DIR, data)
    (data / "scuola.toml").write_text(EDITION.format(capacity=capacity), encoding="utf-8")
    smtp_config = replace(
        config.smtp,
        host="127.0.0.1" if smtp else "",
        port=smtp.port if smtp else 25,
        security="none",
        sender="Laboratori Sociali Pavia <bot@laboratorisociali.example>",
        timeout=5,
        max_attempts=4,
        outbox_dir=tmp_path / "outbox",
    )
    telegram = replace(config.telegram, staff_chat_id=STAFF_ID)
    return replace(
        config,
        telegram=telegram,
        smtp=smtp_config,
        storage=replace(config.storage, data_dir=data),
    )


async def fill(
    user,
    *,
    first="Anna",
    last="Rossi",
    email="anna.rossi@example.org",
    phone=None,
    edition="Autunno 2026",
):
    """The whole form up to the summary; returns the summary replies."""
    await user.send("/scuola")
    join, wait = f"✍️ Iscriviti: {edition}", f"⏳ Mettiti in lista d'attesa: {edition}"
    replies = await user.press(join if join in user.visible_buttons() else wait)
    assert "Come ti chiami?" in replies.text
    await user.send(first)
    await user.send(last)
    await user.send(email)
    if phone is None:
        await user.press("⏭️ Salta")
    else:
        await user.send(phone)
    await user.press("Operatore/operatrice del privato sociale")
    await user.press("⏭️ Salta")
    await user.press("⏭️ Salta")
    return await user.press("✅ Acconsento")


async def deliver_all(bot) -> None:
    while (report := await bot.app.bot_data.outbox.deliver_due()).sent or report.retried:
        if report.retried and not report.sent:
            break


# --- used to live in tests/test_labedit.py -----------------------------------
async def open_editor(staff, lab_name: str):
    await staff.send("/laboratori")
    await staff.press(lab_name)
    return await staff.press("✏️ Modifica")


# --- used to live in tests/test_processes.py ---------------------------------
ROOT = Path(__file__).resolve().parent.parent


TOKEN = "123456789:TEST-token-that-must-never-be-logged"


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("LABBOT_") and k != "BOT_TOKEN"}
    return {**base, "PYTHONPATH": str(ROOT), **extra}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- used to live in tests/test_scuola_mail.py -------------------------------
AT_A_LAB = """
[[edition]]
id = "autunno-2026"
title = "Autunno 2026"
capacity = {capacity}

[[edition.sessions]]
when = "03/12/2026 17:30-19:30"
lab = "spazio-q"

[[edition.sessions]]
when = "10/12/2026 17:30-19:30"
place = "Biblioteca civica, via Ugo Foscolo 2, Pavia"
"""


def at_a_lab(config, tmp_path: Path, smtp, capacity: int = 30):
    configured = scuola_config(config, tmp_path, smtp, capacity)
    (tmp_path / "data" / "scuola.toml").write_text(
        AT_A_LAB.format(capacity=capacity), encoding="utf-8"
    )
    return configured


# --- used to live in tests/test_roles.py -------------------------------------
async def snapshot(bot) -> dict[str, list[tuple]]:
    """Every table but `users` (which records that the intruder wrote, and when)."""
    db = bot.repo.db
    names = [
        r["name"]
        for r in await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'")
        if r["name"] != "users"
    ]
    return {n: [tuple(r) for r in await db.fetch_all(f"SELECT * FROM {n}")] for n in names}


# --- used to live in tests/test_coordinators.py ------------------------------
# Tuesday 9 March 2027, 10:00 in Italy (winter time).
TUESDAY_10 = datetime(2027, 3, 9, 9, 0, tzinfo=UTC)


LINK = re.compile(r"start=(coord_[A-Za-z0-9_-]+)")


async def invite(bot, lab: str = "Spazio Q") -> str:
    staff = bot.user(STAFF_ID)
    await staff.send("/laboratori")
    await staff.press(lab)
    await staff.press("👥 Coordinatori")
    replies = await staff.press("➕ Invita un coordinatore")
    assert [m.kind for m in replies] == ["text", "photo"]  # the link, then its QR code
    assert "Vale una sola volta e per 7 giorni" in replies[0].plain
    match = LINK.search(replies[0].plain)
    assert match is not None and len(match.group(1)) <= 64
    return match.group(1)


async def coordinator(bot, clock, lab: str = "Spazio Q", name: str = "Maria"):
    clock.set(TUESDAY_10)
    payload = await invite(bot, lab)
    maria = bot.user(first_name=name)
    welcome = await maria.send(f"/start {payload}")
    assert f"Ora coordini {lab}" in welcome.text
    return maria


async def tool(maria, label: str):
    """The coordinator opens her lab's card from /coordina and taps one of its tools."""
    await maria.send("/coordina")
    await maria.press("Spazio Q")
    return await maria.press(label)


# --- used to live in tests/test_privacy.py -----------------------------------
async def every_value(bot) -> list[tuple[str, str, object]]:
    """(table, column, value) for every cell of every table of the database."""
    db = bot.repo.db
    found = []
    for table in await db.fetch_all("SELECT name FROM sqlite_master WHERE type = 'table'"):
        for row in await db.fetch_all(f"SELECT * FROM {table['name']}"):
            for column in row.keys():  # noqa: SIM118  (sqlite3.Row has keys(), no iteration)
                found.append((table["name"], column, row[column]))
    return found


def traces(cells, person_id: int, words: list[str]) -> list[tuple[str, str, object]]:
    """Cells that hold the person's id, or any of their words (name, e-mail, phone)."""
    hits = []
    for table, column, value in cells:
        if isinstance(value, int) and value == person_id:
            hits.append((table, column, value))
        elif isinstance(value, str | bytes):
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            if str(person_id) in text or any(w.lower() in text.lower() for w in words):
                hits.append((table, column, text[:80]))
    return hits


def exported(replies) -> dict:
    [doc] = [m for m in replies if m.kind == "document"]
    assert doc.payload["file"]["file_name"] == "miei-dati-laboratori-sociali.json"
    return json.loads(doc.payload["file"]["data"])


# --- used to live in tests/test_stop.py --------------------------------------
STOP_WITHIN_S = 5.0


class Process:
    """A started process whose stderr is read as it comes (the bot logs there)."""

    def __init__(self, argv: list[str], environ: dict[str, str], cwd: Path):
        self.popen = subprocess.Popen(
            argv,
            cwd=cwd,
            env=environ,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, as systemd or a terminal gives it
        )
        self.lines: list[str] = []
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.popen.stderr is not None
        with self.popen.stderr:
            for line in self.popen.stderr:
                self.lines.append(line)

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def wait_for_log(self, text: str, timeout: float = 30.0) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if text in self.log:
                return True
            time.sleep(0.05)
        return False

    def children(self) -> list[int]:
        path = Path(f"/proc/{self.popen.pid}/task/{self.popen.pid}/children")
        return [int(pid) for pid in path.read_text().split()] if path.exists() else []

    def stop_within(self, seconds: float) -> float:
        """Wait for the process to end; how long it took (fails past `seconds`, then kills)."""
        start = time.monotonic()
        try:
            self.popen.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()
            raise AssertionError(
                f"still running {seconds} s after the signal:\n{self.log}"
            ) from None
        self._reader.join(timeout=5)
        return time.monotonic() - start


def bot_env(api: BotApiServer, db_path: Path, **extra: str) -> dict[str, str]:
    return env(
        BOT_TOKEN=TOKEN,
        LABBOT_TELEGRAM_BASE_URL=api.base_url,
        LABBOT_STORAGE_PATH=str(db_path),
        **extra,
    )


def assert_clean(process: Process) -> None:
    log = process.log
    assert "database closed" in log, log
    assert "Traceback" not in log, log
    assert "never awaited" not in log, log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
