"""A newcomer's first exchange, through real HTTP: `/start`, then a question typed right after
the welcome arrives. The bot runs as `python -m bot run` (send budget on, as in production)
against the small Bot API of `bot.sandbox.botapi` on 127.0.0.1, polled as Telegram is.

`python -m bench.conversation [N]`: N newcomers one after another; for each, the time from the
question being offered to getUpdates to its answer arriving at the Bot API. Once with the send
budget on (production), once off (`LABBOT_TELEGRAM_RATE_LIMIT=false`): the difference is what
the budget makes a person wait. Prints one JSON line (ms).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from bench.foundation import percentile
from bot.sandbox.botapi import BotApiServer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "123456789:bench-token"
QUESTION = "orari di spazio q"


class TimedApi(BotApiServer):
    """The Bot API, noting when each message to a chat arrives."""

    def __init__(self, token: str) -> None:
        super().__init__(token)
        self.arrivals: dict[int, list[float]] = {}
        self._arrived = threading.Condition()

    def handle(self, method: str, params: dict[str, Any]) -> Any:
        if method == "sendMessage":
            with self._arrived:
                self.arrivals.setdefault(int(params["chat_id"]), []).append(time.perf_counter())
                self._arrived.notify_all()
        return super().handle(method, params)

    def wait_messages(self, chat_id: int, count: int, timeout: float = 30.0) -> float:
        """When the `count`-th message to `chat_id` arrived."""
        with self._arrived:
            ok = self._arrived.wait_for(
                lambda: len(self.arrivals.get(chat_id, ())) >= count, timeout
            )
            if not ok:
                raise SystemExit(f"chat {chat_id}: {count} messages never came")
            return self.arrivals[chat_id][count - 1]


def run(n: int, budget: bool) -> list[float]:
    with tempfile.TemporaryDirectory() as tmp, TimedApi(TOKEN) as api:
        environ = {
            **{k: v for k, v in os.environ.items() if not k.startswith("LABBOT_")},
            "PYTHONPATH": str(ROOT),
            "BOT_TOKEN": TOKEN,
            "LABBOT_TELEGRAM_BASE_URL": api.base_url,
            "LABBOT_STORAGE_PATH": str(Path(tmp) / "bench.sqlite3"),
            "LABBOT_TELEGRAM_RATE_LIMIT": "true" if budget else "false",
        }
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "run"],
            cwd=tmp,
            env=environ,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            waits = []
            for i in range(n + 1):  # the first one warms the bot up
                person = 10_000 + i
                api.queue_message(person, "/start")
                api.wait_messages(person, 2, timeout=60 if i == 0 else 30)
                asked = time.perf_counter()
                api.queue_message(person, QUESTION)
                answered = api.wait_messages(person, 3)
                if i:
                    waits.append((answered - asked) * 1000)
            return waits
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=30)


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 20
    result: dict[str, float] = {"newcomers": n}
    for name, budget in (("budget_on", True), ("budget_off", False)):
        waits = run(n, budget)
        result[f"{name}_p50_ms"] = percentile(waits, 50)
        result[f"{name}_p99_ms"] = percentile(waits, 99)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
