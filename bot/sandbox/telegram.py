"""A Telegram Bot API that lives in the process, for the sandbox.

`FakeTelegram` is a `telegram.request.BaseRequest`: python-telegram-bot sends it the same Bot API
calls it would send over HTTPS, and it answers like Telegram does, keeping chats, messages, edits,
keyboards, callback answers and files, and refusing what Telegram refuses with Telegram's own
error descriptions (too long, empty, bad callback_data, malformed HTML, edits of missing or
unchanged messages). A chat it never saw is 400 "Bad Request: chat not found", a user who blocked
the bot 403 "Forbidden: bot was blocked by the user", a deleted account 403 "Forbidden: user is
deactivated", as Telegram answers them. With `limits` it also enforces Telegram's flood limits
(about 30 messages a second in total, about one a second per chat after a short burst) and
answers 429 with `retry_after`, timed by its clock (a `ScaledClock` speeds that up for the
benchmark).
The users who write to the bot are played by `bot.sandbox`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from telegram.request import BaseRequest, RequestData

from bot import tghtml
from bot.clock import Clock, SystemClock

BOT_ID = 7_000_000_001
BOT_USERNAME = "LabSocialiPaviaBot"
BOT_NAME = "Laboratori Sociali Pavia"

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA = 64
MAX_CALLBACK_ANSWER = 200
MAX_COMMANDS = 100
_COMMAND_RE = re.compile(r"^[a-z0-9_]{1,32}$")


@dataclass
class Limits:
    """Telegram's flood limits as token buckets: `per_second` in total (bursts up to that many),
    `per_chat` a second in one chat after a burst of `chat_burst`; and in a group (a negative
    chat id) at most `group_per_minute` in any sixty seconds."""

    per_second: float = 30.0
    per_chat: float = 1.0
    chat_burst: int = 3
    group_per_minute: int = 20
    _total: tuple[float, float] | None = None  # (tokens, at)
    _chats: dict[int, tuple[float, float]] = field(default_factory=dict)
    _groups: dict[int, deque[float]] = field(default_factory=dict)

    def take(self, chat_id: int, now: float) -> float:
        """0 if a message may go now (and count it), else the seconds to wait."""
        total = _refill(self._total, self.per_second, self.per_second, now)
        chat = _refill(self._chats.get(chat_id), self.per_chat, self.chat_burst, now)
        waits = []
        if total < 1 or chat < 1:
            waits.append(max((1 - total) / self.per_second, (1 - chat) / self.per_chat))
        sent = self._groups.setdefault(chat_id, deque()) if chat_id < 0 else None
        if sent is not None:
            while sent and sent[0] <= now - 60:
                sent.popleft()
            if len(sent) >= self.group_per_minute:
                waits.append(sent[0] + 60 - now)
        if waits:
            return max(*waits, 0.001)
        self._total = (total - 1, now)
        self._chats[chat_id] = (chat - 1, now)
        if sent is not None:
            sent.append(now)
        return 0.0


def _refill(bucket: tuple[float, float] | None, rate: float, capacity: float, now: float) -> float:
    if bucket is None:
        return capacity
    tokens, at = bucket
    return min(capacity, tokens + (now - at) * rate)


class ApiError(Exception):
    def __init__(self, code: int, description: str, parameters: dict[str, Any] | None = None):
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


def bad_request(description: str) -> ApiError:
    return ApiError(400, f"Bad Request: {description}")


@dataclass
class Msg:
    """A message in a sandbox chat, sent by the bot or by a user."""

    chat_id: int
    message_id: int
    from_bot: bool
    date: int
    kind: str = "text"  # text, photo, document, venue, location, contact, sticker, ...
    text: str = ""  # as sent: HTML source for bot messages with parse_mode=HTML
    plain: str = ""  # what the user reads
    reply_markup: dict[str, Any] | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    edits: int = 0
    deleted: bool = False

    @property
    def inline_buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    @property
    def keyboard_buttons(self) -> list[dict[str, Any]]:
        rows = (self.reply_markup or {}).get("keyboard") or []
        return [b if isinstance(b, dict) else {"text": b} for row in rows for b in row]

    @property
    def buttons(self) -> list[str]:
        return [b["text"] for b in self.inline_buttons + self.keyboard_buttons]


@dataclass
class ChatState:
    id: int
    type: str  # private, group, supergroup, channel
    title: str = ""
    user: dict[str, Any] | None = None  # for private chats
    messages: dict[int, Msg] = field(default_factory=dict)
    next_message_id: int = 1
    reply_keyboard: dict[str, Any] | None = None
    blocked: bool = False  # the user blocked the bot
    deactivated: bool = False  # the user deleted their account

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": self.type}
        if self.type == "private" and self.user:
            data["first_name"] = self.user.get("first_name", "")
            if self.user.get("username"):
                data["username"] = self.user["username"]
        else:
            data["title"] = self.title
        return data


class FakeTelegram(BaseRequest):
    """A Bot API that lives in memory. See the module docstring."""

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        files_dir: Path | None = None,
        username: str = BOT_USERNAME,
        limits: Limits | None = None,
        latency_s: float = 0.0,
    ):
        self.clock = clock or SystemClock()
        self.limits = limits
        self.latency_s = latency_s  # each call takes this long, as over a network (benchmarks)
        self.throttled = 0  # 429 answers given
        self.files_dir = files_dir
        self.me = {
            "id": BOT_ID,
            "is_bot": True,
            "first_name": BOT_NAME,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
        }
        self.chats: dict[int, ChatState] = {}
        self.sent: list[Msg] = []  # every message the bot sent, in order
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.errors: list[tuple[str, ApiError]] = []  # every request refused
        self.callback_queries: dict[str, dict[str, Any]] = {}  # id -> answer (or {} pending)
        self.inline_answers: dict[str, dict[str, Any]] = {}
        self.commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self.descriptions: dict[str, str] = {}
        self.short_descriptions: dict[str, str] = {}
        self.listeners: list[Callable[[Msg], None]] = []
        self.answer_listeners: list[Callable[[dict[str, Any]], None]] = []  # callback answers
        self._pending_updates: list[dict[str, Any]] = []
        self._updates_event = asyncio.Event()
        self._update_ids = itertools.count(1)
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self.first_poll_at: float | None = None
        self.polled = asyncio.Event()  # set by the first getUpdates

    # --- BaseRequest ----------------------------------------------------------------------

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
        api_method = url.rsplit("/", 1)[-1]
        # A request over a network always lets other work run meanwhile: at least one turn of
        # the event loop (sleep(0)), as long as `latency_s` when that is set.
        await asyncio.sleep(self.latency_s)
        params = dict(request_data.parameters) if request_data else {}
        files = request_data.multipart_data if request_data and request_data.contains_files else {}
        self.calls.append((api_method, params))
        handler = getattr(self, f"api_{api_method}", None)
        try:
            if handler is None:
                raise ApiError(404, "Not Found: method not found")
            counted = api_method.startswith("send") and api_method != "sendChatAction"
            if self.limits is not None and counted and "chat_id" in params:
                self._check_flood(params["chat_id"])
            result = await handler(params, files)
        except ApiError as exc:
            self.errors.append((api_method, exc))
            body: dict[str, Any] = {
                "ok": False,
                "error_code": exc.code,
                "description": exc.description,
            }
            if exc.parameters:
                body["parameters"] = exc.parameters
            return exc.code, json.dumps(body).encode()
        return 200, json.dumps({"ok": True, "result": result}).encode()

    def _check_flood(self, chat_id: Any) -> None:
        assert self.limits is not None
        wait = self.limits.take(int(chat_id), self.clock.now().timestamp())
        if wait:
            self.throttled += 1
            retry_after = max(1, round(wait + 0.499))  # Telegram says whole seconds
            raise ApiError(
                429,
                f"Too Many Requests: retry after {retry_after}",
                {"retry_after": retry_after},
            )

    # --- state helpers --------------------------------------------------------------------

    def now(self) -> int:
        return int(self.clock.now().timestamp())

    def chat(self, chat_id: int) -> ChatState:
        try:
            return self.chats[int(chat_id)]
        except (KeyError, ValueError, TypeError):
            raise bad_request("chat not found") from None

    def ensure_private_chat(self, user: dict[str, Any]) -> ChatState:
        chat = self.chats.get(user["id"])
        if chat is None:
            chat = ChatState(id=user["id"], type="private", user=user)
            self.chats[user["id"]] = chat
        return chat

    def ensure_group(self, chat_id: int, title: str, kind: str = "supergroup") -> ChatState:
        chat = self.chats.get(chat_id)
        if chat is None:
            chat = ChatState(id=chat_id, type=kind, title=title)
            self.chats[chat_id] = chat
        return chat

    def _add(self, chat: ChatState, msg: Msg) -> Msg:
        chat.messages[msg.message_id] = msg
        if msg.from_bot:
            self.sent.append(msg)
            for listener in self.listeners:
                listener(msg)
        return msg

    def new_message_id(self, chat: ChatState) -> int:
        message_id = chat.next_message_id
        chat.next_message_id += 1
        return message_id

    def message_dict(self, msg: Msg) -> dict[str, Any]:
        chat = self.chats[msg.chat_id]
        data: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": chat.as_dict(),
        }
        data["from"] = self.me if msg.from_bot else (msg.payload.get("from") or chat.user)
        if msg.kind == "text":
            data["text"] = msg.plain
        elif msg.plain:
            data["caption"] = msg.plain
        for key in ("venue", "location", "document", "photo", "contact", "sticker"):
            if key in msg.payload:
                data[key] = msg.payload[key]
        if msg.reply_markup and "inline_keyboard" in msg.reply_markup:
            data["reply_markup"] = msg.reply_markup
        if msg.edits:
            data["edit_date"] = self.now()
        return data

    def _target(self, params: dict[str, Any]) -> ChatState:
        chat = self.chat(params.get("chat_id"))  # type: ignore[arg-type]
        if chat.deactivated:
            raise ApiError(403, "Forbidden: user is deactivated")
        if chat.blocked:
            raise ApiError(403, "Forbidden: bot was blocked by the user")
        return chat

    # --- validation, as the Bot API does it ------------------------------------------------

    @staticmethod
    def _render(text: Any, parse_mode: Any, *, caption: bool = False) -> str:
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        if parse_mode == "HTML":
            try:
                shown = tghtml.parse(text)
            except tghtml.HtmlError as exc:
                raise bad_request(str(exc)) from None
        elif parse_mode in (None, ""):
            shown = text
        else:
            raise bad_request(f"unsupported parse_mode {parse_mode!r} in the sandbox")
        limit = MAX_CAPTION if caption else MAX_TEXT
        if tghtml.utf16_len(shown) > limit:
            raise bad_request("message caption is too long" if caption else "message is too long")
        if not caption and not shown.strip():
            raise bad_request("message text is empty")
        return shown

    def _markup(self, chat: ChatState | None, markup: Any) -> dict[str, Any] | None:
        if markup is None:
            return None
        if isinstance(markup, str):
            markup = json.loads(markup)
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            count = 0
            for row in rows:
                for button in row:
                    count += 1
                    self._check_inline_button(button)
            if count > 100:
                raise bad_request("reply markup is too long")
        elif "keyboard" in markup:
            for row in markup["keyboard"]:
                for button in row:
                    text = button if isinstance(button, str) else button.get("text", "")
                    if not text:
                        raise bad_request("keyboard button text is empty")
                    if (
                        isinstance(button, dict)
                        and any(
                            button.get(k)
                            for k in ("request_location", "request_contact", "request_users")
                        )
                        and chat is not None
                        and chat.type != "private"
                    ):
                        raise bad_request(
                            "request_location and request_contact buttons work only in "
                            "private chats"
                        )
        return markup

    @staticmethod
    def _check_inline_button(button: dict[str, Any]) -> None:
        if not button.get("text"):
            raise bad_request("BUTTON_TEXT_INVALID")
        actions = [
            k
            for k in (
                "callback_data",
                "url",
                "switch_inline_query",
                "switch_inline_query_current_chat",
                "switch_inline_query_chosen_chat",
                "login_url",
                "web_app",
                "pay",
                "copy_text",
                "callback_game",
            )
            if k in button
        ]
        if len(actions) != 1:
            raise bad_request(
                "can't parse inline keyboard button: Text buttons are unallowed in the inline "
                "keyboard"
            )
        if "callback_data" in button:
            size = len(str(button["callback_data"]).encode("utf-8"))
            if not 1 <= size <= MAX_CALLBACK_DATA:
                raise bad_request("BUTTON_DATA_INVALID")
        if "url" in button and not re.match(r"^(https?|tg)://\S+$", str(button["url"])):
            raise bad_request(f"inline keyboard button URL '{button['url']}' is invalid")

    def _apply_reply_keyboard(self, chat: ChatState, markup: dict[str, Any] | None) -> None:
        if markup is None:
            return
        if "keyboard" in markup:
            chat.reply_keyboard = markup
        elif markup.get("remove_keyboard"):
            chat.reply_keyboard = None

    def _send(
        self, chat: ChatState, kind: str, text: str, plain: str, markup: Any, payload: dict
    ) -> dict[str, Any]:
        checked = self._markup(chat, markup)
        msg = Msg(
            chat_id=chat.id,
            message_id=self.new_message_id(chat),
            from_bot=True,
            date=self.now(),
            kind=kind,
            text=text,
            plain=plain,
            reply_markup=checked,
            payload=payload,
        )
        self._apply_reply_keyboard(chat, checked)
        self._add(chat, msg)
        return self.message_dict(msg)

    # --- Bot API methods ------------------------------------------------------------------

    async def api_getMe(self, params: dict, files: dict) -> dict[str, Any]:
        return self.me

    async def api_deleteWebhook(self, params: dict, files: dict) -> bool:
        return True

    async def api_getUpdates(self, params: dict, files: dict) -> list[dict[str, Any]]:
        if self.first_poll_at is None:
            self.first_poll_at = asyncio.get_running_loop().time()
            self.polled.set()
        offset = int(params.get("offset") or 0)
        self._pending_updates = [u for u in self._pending_updates if u["update_id"] >= offset]
        if not self._pending_updates:
            timeout = float(params.get("timeout") or 0)
            self._updates_event.clear()
            if timeout > 0:
                try:
                    await asyncio.wait_for(self._updates_event.wait(), timeout)
                except TimeoutError:
                    return []
        limit = int(params.get("limit") or 100)
        return self._pending_updates[:limit]

    def queue_update(self, update: dict[str, Any]) -> None:
        """Make an update available to getUpdates (the polling path)."""
        self._pending_updates.append(update)
        self._updates_event.set()

    def next_update_id(self) -> int:
        return next(self._update_ids)

    async def api_sendMessage(self, params: dict, files: dict) -> dict[str, Any]:
        chat = self._target(params)
        text = params.get("text", "")
        plain = self._render(text, params.get("parse_mode"))
        return self._send(chat, "text", text, plain, params.get("reply_markup"), {})

    async def api_editMessageText(self, params: dict, files: dict) -> dict[str, Any]:
        msg = self._editable(params)
        text = params.get("text", "")
        plain = self._render(text, params.get("parse_mode"))
        markup = self._markup(self.chats[msg.chat_id], params.get("reply_markup"))
        if msg.kind != "text":
            raise bad_request("there is no text in the message to edit")
        if plain == msg.plain and markup == msg.reply_markup:
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a content and reply markup of the current message"
            )
        msg.text, msg.plain, msg.reply_markup = text, plain, markup
        msg.edits += 1
        self._notify_edit(msg)
        return self.message_dict(msg)

    async def api_editMessageReplyMarkup(self, params: dict, files: dict) -> dict[str, Any]:
        msg = self._editable(params)
        markup = self._markup(self.chats[msg.chat_id], params.get("reply_markup"))
        if markup == msg.reply_markup or (not markup and not msg.reply_markup):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a content and reply markup of the current message"
            )
        msg.reply_markup = markup
        msg.edits += 1
        self._notify_edit(msg)
        return self.message_dict(msg)

    async def api_editMessageCaption(self, params: dict, files: dict) -> dict[str, Any]:
        msg = self._editable(params)
        plain = self._render(params.get("caption", ""), params.get("parse_mode"), caption=True)
        markup = self._markup(self.chats[msg.chat_id], params.get("reply_markup"))
        if plain == msg.plain and markup == msg.reply_markup:
            raise bad_request("message is not modified")
        msg.text, msg.plain, msg.reply_markup = params.get("caption", ""), plain, markup
        msg.edits += 1
        self._notify_edit(msg)
        return self.message_dict(msg)

    def _editable(self, params: dict) -> Msg:
        if "inline_message_id" in params:
            raise bad_request("message to edit not found")
        chat = self._target(params)
        msg = chat.messages.get(int(params.get("message_id") or 0))
        if msg is None or msg.deleted:
            raise bad_request("message to edit not found")
        if not msg.from_bot:
            raise bad_request("message can't be edited")
        return msg

    def _notify_edit(self, msg: Msg) -> None:
        for listener in self.listeners:
            listener(msg)

    async def api_deleteMessage(self, params: dict, files: dict) -> bool:
        chat = self._target(params)
        msg = chat.messages.get(int(params.get("message_id") or 0))
        if msg is None or msg.deleted:
            raise bad_request("message to delete not found")
        msg.deleted = True
        return True

    async def api_answerCallbackQuery(self, params: dict, files: dict) -> bool:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self.callback_queries or self.callback_queries[query_id]:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        text = params.get("text") or ""
        if len(text) > MAX_CALLBACK_ANSWER:
            raise bad_request("MESSAGE_TOO_LONG")
        self.callback_queries[query_id] = {"answered": True, **params}
        for listener in self.answer_listeners:
            listener(params)
        return True

    async def api_answerInlineQuery(self, params: dict, files: dict) -> bool:
        query_id = str(params.get("inline_query_id"))
        results = params.get("results") or []
        if isinstance(results, str):
            results = json.loads(results)
        if len(results) > 50:
            raise bad_request("RESULTS_TOO_MUCH")
        ids = [r.get("id") for r in results]
        if len(set(ids)) != len(ids) or any(not i or len(str(i)) > 64 for i in ids):
            raise bad_request("RESULT_ID_INVALID")
        for result in results:
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                self._render(content["message_text"], content.get("parse_mode"))
            self._markup(None, result.get("reply_markup"))
        self.inline_answers[query_id] = {**params, "results": results}
        return True

    async def api_sendChatAction(self, params: dict, files: dict) -> bool:
        self._target(params)
        return True

    async def api_sendVenue(self, params: dict, files: dict) -> dict[str, Any]:
        chat = self._target(params)
        lat, lon = _coordinates(params)
        title, address = params.get("title") or "", params.get("address") or ""
        if not title or not address:
            raise bad_request("venue title and address must be non-empty")
        venue = {"location": {"latitude": lat, "longitude": lon}, "title": title}
        venue["address"] = address
        return self._send(
            chat,
            "venue",
            "",
            f"📍 {title} — {address}",
            params.get("reply_markup"),
            {"venue": venue, "location": venue["location"]},
        )

    async def api_sendLocation(self, params: dict, files: dict) -> dict[str, Any]:
        chat = self._target(params)
        lat, lon = _coordinates(params)
        location = {"latitude": lat, "longitude": lon}
        return self._send(
            chat,
            "location",
            "",
            f"📍 {lat}, {lon}",
            params.get("reply_markup"),
            {"location": location},
        )

    async def api_sendDocument(self, params: dict, files: dict) -> dict[str, Any]:
        return await self._send_file("document", params, files)

    async def api_sendPhoto(self, params: dict, files: dict) -> dict[str, Any]:
        return await self._send_file("photo", params, files)

    async def _send_file(self, kind: str, params: dict, files: dict) -> dict[str, Any]:
        chat = self._target(params)
        caption = params.get("caption") or ""
        plain = self._render(caption, params.get("parse_mode"), caption=True) if caption else ""
        ref = params.get(kind)
        if not ref and kind in files:
            ref = f"attach://{kind}"  # an upload: the file is the multipart part named `kind`
        if not ref:
            raise bad_request(f"there is no {kind} in the request")
        file_id = f"sandbox-file-{next(self._file_ids)}"
        info: dict[str, Any] = {"file_id": file_id, "file_unique_id": file_id}
        if isinstance(ref, str) and ref.startswith("attach://"):
            part = files.get(ref.removeprefix("attach://"))
            if part is None:
                raise bad_request("wrong file identifier/HTTP URL specified")
            filename, content = part[0], part[1]
            data = content if isinstance(content, bytes) else content.read()
            info["file_name"] = with_extension(filename or file_id, data)
            info["file_size"] = len(data)
            info["data"] = data
            if self.files_dir is not None:
                self.files_dir.mkdir(parents=True, exist_ok=True)
                path = self.files_dir / f"{chat.id}-{file_id}-{Path(info['file_name']).name}"
                path.write_bytes(data)
                info["saved_to"] = str(path)
        payload_info = {k: v for k, v in info.items() if k not in {"data", "saved_to"}}
        if kind == "photo":
            payload_info.update(width=512, height=512)
        payload: dict[str, Any] = {
            kind: [payload_info] if kind == "photo" else payload_info,
            "file": info,
        }
        return self._send(chat, kind, caption, plain, params.get("reply_markup"), payload)

    async def api_setMyCommands(self, params: dict, files: dict) -> bool:
        commands = params.get("commands") or []
        if isinstance(commands, str):
            commands = json.loads(commands)
        if len(commands) > MAX_COMMANDS:
            raise bad_request("too many commands")
        for command in commands:
            if not _COMMAND_RE.match(command.get("command", "")):
                raise bad_request("BOT_COMMAND_INVALID")
            if not 1 <= len(command.get("description", "")) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self.commands[self._scope(params)] = commands
        return True

    async def api_getMyCommands(self, params: dict, files: dict) -> list[dict[str, str]]:
        return self.commands.get(self._scope(params), [])

    async def api_deleteMyCommands(self, params: dict, files: dict) -> bool:
        self.commands.pop(self._scope(params), None)
        return True

    def _scope(self, params: dict[str, Any]) -> tuple[str, str]:
        key = _scope_key(params)
        if ":" in key[0]:
            self.chat(int(key[0].split(":", 1)[1]))  # Telegram knows only chats it has seen
        return key

    async def api_setMyDescription(self, params: dict, files: dict) -> bool:
        text = params.get("description") or ""
        if len(text) > 512:
            raise bad_request("description is too long")
        self.descriptions[params.get("language_code") or ""] = text
        return True

    async def api_getMyDescription(self, params: dict, files: dict) -> dict[str, str]:
        return {"description": self.descriptions.get(params.get("language_code") or "", "")}

    async def api_setMyShortDescription(self, params: dict, files: dict) -> bool:
        text = params.get("short_description") or ""
        if len(text) > 120:
            raise bad_request("short description is too long")
        self.short_descriptions[params.get("language_code") or ""] = text
        return True

    async def api_getMyShortDescription(self, params: dict, files: dict) -> dict[str, str]:
        lang = params.get("language_code") or ""
        return {"short_description": self.short_descriptions.get(lang, "")}

    # --- what a user does ------------------------------------------------------------------

    def user_message(
        self, chat: ChatState, sender: dict[str, Any], kind: str, text: str, payload: dict
    ) -> Msg:
        msg = Msg(
            chat_id=chat.id,
            message_id=self.new_message_id(chat),
            from_bot=False,
            date=self.now(),
            kind=kind,
            text=text,
            plain=text,
            payload={"from": sender, **payload},
        )
        return self._add(chat, msg)

    def new_callback_id(self) -> str:
        query_id = f"cbq-{next(self._callback_ids)}"
        self.callback_queries[query_id] = {}
        return query_id


_MAGIC = ((b"\x89PNG\r\n\x1a\n", ".png"), (b"\xff\xd8\xff", ".jpg"), (b"%PDF-", ".pdf"),
          (b"BEGIN:VCALENDAR", ".ics"), (b"GIF8", ".gif"))  # fmt: skip


def with_extension(name: str, data: bytes) -> str:
    """A file's name with the extension its content has: an upload without a name reaches the
    Bot API as "application.octet-stream" (PTB's name for unknown bytes), and a PNG saved so
    opens nowhere."""
    suffix = Path(name).suffix.lower()
    if suffix in {".png", ".jpg", ".jpeg", ".pdf", ".ics", ".gif", ".csv", ".json", ".txt"}:
        return name
    found = next((ext for magic, ext in _MAGIC if data.startswith(magic)), ".bin")
    stem = name if not name.startswith("application.") else "file"
    return f"{stem}{found}"


def _coordinates(params: dict[str, Any]) -> tuple[float, float]:
    try:
        lat, lon = float(params["latitude"]), float(params["longitude"])
    except (KeyError, TypeError, ValueError):
        raise bad_request("wrong latitude or longitude") from None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise bad_request("wrong latitude or longitude")
    return lat, lon


def _scope_key(params: dict[str, Any]) -> tuple[str, str]:
    scope = params.get("scope") or {"type": "default"}
    if isinstance(scope, str):
        scope = json.loads(scope)
    key = scope.get("type", "default")
    if "chat_id" in scope:
        key += f":{scope['chat_id']}"
    return key, params.get("language_code") or ""
