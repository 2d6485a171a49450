"""The smallest Bot API that python-telegram-bot accepts, for the foundation bench.

It imports nothing of the bot (`bot.sandbox.telegram` included), so the two baselines can use it
without loading the bot, and the bot's worker uses it too: all three bots then pay the same
request layer. It keeps no chats and no message log (only counts what it was sent), validates
nothing, and answers every method with `{"ok": true, ...}`: a message for the sending and editing
methods, `[]` for getUpdates (after a short pause, as a long poll with nothing new), `true` for the
rest.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from typing import Any

from telegram.request import BaseRequest, RequestData

BOT_ID = 7_000_000_001
ME = {
    "id": BOT_ID,
    "is_bot": True,
    "first_name": "Bench",
    "username": "BenchBot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
_CONSTANT = {
    "getMe": ME,
    "getMyCommands": [],
    "getMyDescription": {"description": ""},
    "getMyShortDescription": {"short_description": ""},
    "getMyName": {"name": "Bench"},
    "getWebhookInfo": {"url": "", "has_custom_certificate": False, "pending_update_count": 0},
}


class MinimalApi(BaseRequest):
    def __init__(self) -> None:
        self.sent = 0  # messages sent or edited: a count, not a log
        self.calls = 0
        self.first_poll_at: float | None = None  # time.perf_counter() of the first getUpdates
        self.polled = asyncio.Event()
        self._message_ids = itertools.count(1_000)

    @property
    def read_timeout(self) -> float | None:
        return None

    async def initialize(self) -> None:
        return None

    async def shutdown(self) -> None:
        return None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        name = url.rsplit("/", 1)[-1]
        self.calls += 1
        if name == "getUpdates":
            if self.first_poll_at is None:
                self.first_poll_at = time.perf_counter()
                self.polled.set()
            await asyncio.sleep(0.01)
            result: Any = []
        elif name.startswith(("send", "edit")) and name != "sendChatAction":
            self.sent += 1
            result = self._message(name, request_data.parameters if request_data else {})
        else:
            result = _CONSTANT.get(name, True)
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _message(self, name: str, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params.get("chat_id", 1)
        message: dict[str, Any] = {
            "message_id": params.get("message_id") or next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Anna"},
            "from": ME,
        }
        if "text" in params:
            message["text"] = params["text"]
        if name.startswith("edit"):
            message["edit_date"] = message["date"]
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message
