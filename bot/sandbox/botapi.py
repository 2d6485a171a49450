"""A small Bot API over real HTTP on 127.0.0.1, for running the bot as a separate process.

It answers what the bot calls at start and while chatting, keeps what it was sent, and serves
queued updates to getUpdates. The in-process sandbox covers behaviour; this covers the wiring:
base_url, the token in the path, polling, webhooks, signals.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from bot.sandbox.telegram import Limits

BOT_USER = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "Laboratori Sociali Pavia",
    "username": "LabSocialiPaviaBot",
}


class BotApiServer:
    def __init__(self, token: str, port: int = 0, limits: Limits | None = None):
        self.token = token
        # `limits`: Telegram's flood limits, counted on arrival; past them a message is refused
        # with 429 and `retry_after`, as Telegram does (`throttled` counts them).
        self.limits = limits
        self.throttled = 0
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.updates: list[dict[str, Any]] = []
        self._next_update = 1
        self._next_message = 1
        self._lock = threading.Lock()
        # `hold(method, params)` -> True: that request is never answered (as if Telegram never
        # got it); the bot is killed while it waits. Held calls are kept apart from `calls`.
        self.hold: Any = None
        self.held: list[tuple[str, dict[str, Any]]] = []
        self._never = threading.Event()
        # `delay(method, params)` -> seconds: that request is answered that much later (a slow
        # Telegram); `started` lists every request as it arrives, answered or not.
        self.delay: Any = None
        self.started: list[tuple[str, dict[str, Any]]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:  # keep test output clean
                return

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                self._answer(body)

            def do_GET(self) -> None:
                self._answer(self.path.partition("?")[2])

            def _answer(self, body: str) -> None:
                path = self.path.partition("?")[0]
                prefix = f"/bot{server.token}/"
                if not path.startswith(prefix):
                    return self._send(
                        401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
                    )
                method = path[len(prefix) :]
                params = server.decode(body, self.headers.get("Content-Type", ""))
                with server._lock:
                    server.started.append((method, params))
                if server.delay is not None:
                    time.sleep(server.delay(method, params))
                if server.hold is not None and server.hold(method, params):
                    with server._lock:
                        server.held.append((method, params))
                    server._never.wait()
                    return None
                retry_after = server.flood_check(method, params)
                if retry_after:
                    return self._send(
                        429,
                        {"ok": False, "error_code": 429,
                         "description": f"Too Many Requests: retry after {retry_after}",
                         "parameters": {"retry_after": retry_after}},
                    )  # fmt: skip
                with server._lock:
                    server.calls.append((method, params))
                result = server.handle(method, params)
                return self._send(200, {"ok": True, "result": result})

            def _send(self, code: int, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                # The bot process may have been killed while it waited: that is the test.
                with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                    self.end_headers()
                    self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/bot"
        self._thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self) -> BotApiServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._never.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def flood_check(self, method: str, params: dict[str, Any]) -> int:
        """0 if Telegram would take this message now, else the seconds it would ask to wait."""
        counted = method.startswith("send") and method != "sendChatAction"
        if self.limits is None or not counted or "chat_id" not in params:
            return 0
        with self._lock:
            wait = self.limits.take(int(params["chat_id"]), time.monotonic())
            if not wait:
                return 0
            self.throttled += 1
        return max(1, round(wait + 0.499))  # Telegram says whole seconds

    @staticmethod
    def decode(body: str, content_type: str) -> dict[str, Any]:
        if "json" in content_type:
            return json.loads(body or "{}")
        params: dict[str, Any] = {}
        for key, values in parse_qs(body, keep_blank_values=True).items():
            value = values[-1]
            try:
                params[key] = json.loads(value)
            except ValueError:
                params[key] = value
        return params

    def _next_id(self) -> int:
        update_id = self._next_update
        self._next_update += 1
        return update_id

    def queue_message(self, user_id: int, text: str, language_code: str = "it") -> None:
        with self._lock:
            update_id = self._next_id()
            user = _person(user_id, language_code)
            message = {
                "message_id": update_id,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": "Anna"},
                "from": user,
                "text": text,
            }
            if text.startswith("/"):
                length = len(text.split()[0])
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
            self.updates.append({"update_id": update_id, "message": message})

    def queue_button(self, user_id: int, data: str, language_code: str = "it") -> None:
        """A tap on a button with `data` under a message the bot sent to the person."""
        with self._lock:
            update_id = self._next_id()
            user = _person(user_id, language_code)
            message = {
                "message_id": 1,
                "date": int(time.time()),
                "chat": {"id": user_id, "type": "private", "first_name": "Anna"},
                "from": BOT_USER,
                "text": "...",
            }
            query = {
                "id": str(update_id),
                "from": user,
                "chat_instance": f"ci-{user_id}",
                "data": data,
                "message": message,
            }
            self.updates.append({"update_id": update_id, "callback_query": query})

    def handle(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method == "getUpdates":
            offset = int(params.get("offset") or 0)
            deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
            while True:
                with self._lock:
                    self.updates = [u for u in self.updates if u["update_id"] >= offset]
                    pending = list(self.updates)
                if pending or time.monotonic() >= deadline:
                    return pending
                time.sleep(0.02)
        if method in ("sendMessage", "editMessageText"):
            with self._lock:
                message_id = self._next_message
                self._next_message += 1
            chat_id = int(params["chat_id"])
            return {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER,
                "text": params.get("text", ""),
            }
        if method == "getMyCommands":
            return []
        if method == "getMyDescription":
            return {"description": ""}
        if method == "getMyShortDescription":
            return {"short_description": ""}
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        with self._lock:
            return [params for name, params in self.calls if name == method]

    def wait_for(self, predicate: Callable[[], object], timeout: float = 30.0) -> bool:
        """Wait for the other process to do something; a timeout, not a performance check."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if predicate():
                return True
            time.sleep(0.05)
        return False


def _person(user_id: int, language_code: str) -> dict[str, Any]:
    """The Telegram user who writes or taps, as updates carry them."""
    return {"id": user_id, "is_bot": False, "first_name": "Anna", "language_code": language_code}
