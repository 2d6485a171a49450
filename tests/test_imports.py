"""What most updates never need is imported on first use, not at start: a fresh interpreter
runs the bot through common updates and reports which heavy libraries got loaded."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAZY = ("icalendar", "phonenumbers", "email_validator", "aiosmtplib", "babel.numbers", "segno",
        "matplotlib")  # fmt: skip
SCRIPT = """
import asyncio, json, sys, tempfile
from pathlib import Path
from bot.app import build_application
from bot.config import AbuseConfig, Config, StorageConfig, TelegramConfig
from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.users import Sandbox

async def main():
    with tempfile.TemporaryDirectory() as tmp:
        config = Config(telegram=TelegramConfig(rate_limit=False),
                        storage=StorageConfig(path=Path(tmp) / "b.sqlite3"),
                        abuse=AbuseConfig(flood_updates=0))
        api = FakeTelegram()
        app = build_application(config, request=api)
        await app.initialize()
        await app.start()
        anna = Sandbox(app, api).user()
        await anna.send("/start")
        await anna.send("orari di spazio q")
        await anna.send("c'è un laboratorio vicino a Cava Manara?")
        await anna.share_location(45.19, 9.16)
        await anna.send("/laboratori")
        await anna.press("Spazio Q")
        await anna.send("/eventi")
        await anna.send("/scuola")
        await app.stop()
        await app.shutdown()
    print(json.dumps(sorted(name for name in LAZY if name in sys.modules)))

LAZY = %r
asyncio.run(main())
"""


def run_fresh(script: str) -> object:
    """Run `script` in a fresh interpreter; what it printed last, as JSON."""
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_common_updates_do_not_load_what_they_do_not_need():
    assert run_fresh(SCRIPT % (LAZY,)) == []


GC_SCRIPT = """
import gc, json, sys, tempfile
from pathlib import Path
import bot.__main__  # imported, not run: collections go on as usual
imported = gc.isenabled()
gc.disable()  # as `python -m bot` does before its imports
from bot.app import build_application
from bot.config import Config, StorageConfig, TelegramConfig
with tempfile.TemporaryDirectory() as tmp:
    config = Config(telegram=TelegramConfig(rate_limit=False),
                    storage=StorageConfig(path=Path(tmp) / "b.sqlite3"))
    build_application(config)
    built = (gc.isenabled(), gc.get_freeze_count())
    build_application(config)  # a second bot: collections were on, nothing more is frozen
    print(json.dumps([imported, *built, gc.get_freeze_count() <= built[1]]))
"""


def test_collections_held_back_while_importing_resume_once_the_bot_is_built():
    imported, enabled, frozen, unchanged = run_fresh(GC_SCRIPT)  # type: ignore[misc]
    assert imported and enabled and unchanged
    assert frozen > 10_000  # the libraries and the bot's own objects, out of later collections
