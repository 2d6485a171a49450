"""The sandbox: the users of the real `Application`, played inside the process.

`Sandbox` builds updates as Telegram would deliver them and feeds them to the real `Application`,
wired to a `bot.sandbox.telegram.FakeTelegram` in place of Telegram; a `SandboxUser` sends messages,
media, locations and contacts, presses buttons and reads what the bot sent back (`Replies`).

The tests, the benchmarks and the terminal chat (`make run` without a token) all use it.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot import tghtml
from bot.sandbox.telegram import ChatState, FakeTelegram, Msg


class Replies(list[Msg]):
    """What the bot sent in answer to one update."""

    @property
    def text(self) -> str:
        return "\n".join(m.plain for m in self if m.plain)

    @property
    def buttons(self) -> list[str]:
        return [label for m in self for label in m.buttons]

    @property
    def kinds(self) -> list[str]:
        return [m.kind for m in self]


def command_entities(text: str) -> list[dict[str, Any]]:
    """The bot_command entity Telegram adds to a message starting with /command."""
    match = re.match(r"^/[A-Za-z0-9_]{1,32}(@[A-Za-z0-9_]{3,32})?", text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": tghtml.utf16_len(match.group(0))}]


class NoSuchButton(AssertionError):
    pass


class Sandbox:
    """Plays the users of a real `Application` wired to a `FakeTelegram`."""

    def __init__(self, app: Application, api: FakeTelegram):
        self.app = app
        self.api = api
        self._user_ids = itertools.count(100_001)

    def user(
        self,
        user_id: int | None = None,
        *,
        first_name: str = "Anna",
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "it",
    ) -> SandboxUser:
        data: dict[str, Any] = {
            "id": user_id or next(self._user_ids),
            "is_bot": False,
            "first_name": first_name,
        }
        if last_name:
            data["last_name"] = last_name
        if username:
            data["username"] = username
        if language_code:
            data["language_code"] = language_code
        chat = self.api.ensure_private_chat(data)
        return SandboxUser(self, data, chat)

    async def remember(self) -> int:
        """Telegram keeps a private chat with everyone who ever started the bot, across the
        bot's restarts; the in-memory stand-in starts empty. This gives it a chat with each
        person the bot's database knows, so a message to them after a restart arrives. Call it
        once the database is open (a startup hook); returns how many."""
        people = await self.app.bot_data.repo.users.everyone()
        for person in people:
            self.user(person.id, first_name="Utente", language_code=person.language)
        return len(people)

    def group(self, chat_id: int = -100_123, title: str = "Gruppo del quartiere") -> ChatState:
        return self.api.ensure_group(chat_id, title)

    async def deliver(self, update: dict[str, Any]) -> Replies:
        """Process one update through the Application and return what the bot sent."""
        before = len(self.api.sent)
        await self.app.process_update(Update.de_json(update, self.app.bot))
        return Replies(self.api.sent[before:])

    def update(self, **body: Any) -> dict[str, Any]:
        return {"update_id": self.api.next_update_id(), **body}


class SandboxUser:
    def __init__(self, sandbox: Sandbox, data: dict[str, Any], chat: ChatState):
        self.sandbox = sandbox
        self.api = sandbox.api
        self.data = data
        self.chat = chat

    @property
    def id(self) -> int:
        return int(self.data["id"])

    # -- messages ---------------------------------------------------------------------------

    def _message(
        self,
        kind: str,
        text: str = "",
        payload: dict[str, Any] | None = None,
        chat: ChatState | None = None,
    ) -> tuple[Msg, dict[str, Any]]:
        chat = chat or self.chat
        msg = self.api.user_message(chat, self.data, kind, text, payload or {})
        body: dict[str, Any] = {
            "message_id": msg.message_id,
            "date": msg.date,
            "chat": chat.as_dict(),
            "from": self.data,
        }
        if kind == "text":
            body["text"] = text
            entities = command_entities(text)
            if entities:
                body["entities"] = entities
        elif text:
            body["caption"] = text
        body.update(payload or {})
        return msg, body

    async def send(self, text: str, *, chat: ChatState | None = None) -> Replies:
        return await self.sandbox.deliver(self.message_update(text, chat=chat))

    def message_update(self, text: str, *, chat: ChatState | None = None) -> dict[str, Any]:
        """The update Telegram would send for this text, not delivered yet (to queue it)."""
        _, body = self._message("text", text, chat=chat)
        return self.sandbox.update(message=body)

    async def send_media(self, kind: str, caption: str = "") -> Replies:
        payloads: dict[str, dict[str, Any]] = {
            "photo": {"photo": [_file("photo", 90, 90), _file("photo", 800, 800)]},
            "sticker": {
                "sticker": {
                    **_file("sticker", 512, 512),
                    "type": "regular",
                    "is_animated": False,
                    "is_video": False,
                }
            },
            "voice": {"voice": {**_file("voice"), "duration": 3}},
            "audio": {"audio": {**_file("audio"), "duration": 30}},
            "video": {"video": {**_file("video", 640, 480), "duration": 5}},
            "animation": {"animation": {**_file("animation", 320, 240), "duration": 2}},
            "document": {"document": {**_file("document"), "file_name": "modulo.pdf"}},
            "video_note": {"video_note": {**_file("video_note"), "length": 240, "duration": 4}},
            "dice": {"dice": {"emoji": "🎲", "value": 3}},
            "poll": {
                "poll": {
                    "id": "poll-1",
                    "question": "?",
                    "options": [
                        {"text": "a", "voter_count": 0, "persistent_id": "o1"},
                        {"text": "b", "voter_count": 0, "persistent_id": "o2"},
                    ],
                    "total_voter_count": 0,
                    "is_closed": False,
                    "is_anonymous": True,
                    "type": "regular",
                    "allows_multiple_answers": False,
                    "allows_revoting": False,
                    "members_only": False,
                }
            },
        }
        _, body = self._message(kind, caption, payloads[kind])
        return await self.sandbox.deliver(self.sandbox.update(message=body))

    async def share_location(
        self, latitude: float, longitude: float, *, live_period: int | None = None
    ) -> Replies:
        location: dict[str, Any] = {"latitude": latitude, "longitude": longitude}
        if live_period:
            location["live_period"] = live_period
        _, body = self._message("location", "", {"location": location})
        return await self.sandbox.deliver(self.sandbox.update(message=body))

    async def share_venue(
        self, latitude: float, longitude: float, title: str, address: str
    ) -> Replies:
        location = {"latitude": latitude, "longitude": longitude}
        venue = {"location": location, "title": title, "address": address}
        _, body = self._message("venue", "", {"venue": venue, "location": location})
        return await self.sandbox.deliver(self.sandbox.update(message=body))

    async def share_contact(
        self, phone_number: str, *, first_name: str | None = None, user_id: int | None = None
    ) -> Replies:
        contact: dict[str, Any] = {
            "phone_number": phone_number,
            "first_name": first_name or self.data["first_name"],
        }
        contact["user_id"] = self.id if user_id is None else user_id
        _, body = self._message("contact", "", {"contact": contact})
        return await self.sandbox.deliver(self.sandbox.update(message=body))

    async def share_user(self, user_id: int, request_id: int = 1) -> Replies:
        """Pick a person with a `request_users` keyboard button."""
        shared = {"request_id": request_id, "users": [{"user_id": user_id}]}
        _, body = self._message("users_shared", "", {"users_shared": shared})
        return await self.sandbox.deliver(self.sandbox.update(message=body))

    async def edit(self, message_id: int, text: str, *, chat: ChatState | None = None) -> Replies:
        """Edit one of this person's messages; like Telegram, an edit that now reads as a
        command carries its command entity."""
        chat = chat or self.chat
        msg = chat.messages[message_id]
        msg.text = msg.plain = text
        body: dict[str, Any] = {
            "message_id": message_id,
            "date": msg.date,
            "edit_date": self.api.now(),
            "chat": chat.as_dict(),
            "from": self.data,
            "text": text,
        }
        entities = command_entities(text)
        if entities:
            body["entities"] = entities
        return await self.sandbox.deliver(self.sandbox.update(edited_message=body))

    def last_sent(self, chat: ChatState | None = None) -> Msg:
        """The newest message this person sent in `chat` (their private chat by default)."""
        chat = chat or self.chat
        return [m for m in chat.messages.values() if not m.from_bot][-1]

    # -- buttons ----------------------------------------------------------------------------

    def messages(self) -> list[Msg]:
        return [m for m in self.chat.messages.values() if m.from_bot and not m.deleted]

    def last(self) -> Msg:
        return self.messages()[-1]

    def find_button(self, label: str) -> tuple[Msg | None, dict[str, Any]]:
        """The newest inline button with this label, else a reply-keyboard button."""
        for msg in reversed(self.messages()):
            for button in msg.inline_buttons:
                if button["text"] == label:
                    return msg, button
        for button in _keyboard(self.chat.reply_keyboard):
            if button["text"] == label:
                return None, button
        raise NoSuchButton(f"no button {label!r}; visible: {self.visible_buttons()}")

    def visible_buttons(self) -> list[str]:
        labels: list[str] = []
        for msg in reversed(self.messages()):
            if msg.inline_buttons:
                labels = [b["text"] for b in msg.inline_buttons]
                break
        return labels + [b["text"] for b in _keyboard(self.chat.reply_keyboard)]

    async def press(self, label: str) -> Replies:
        msg, button = self.find_button(label)
        if msg is None:  # a reply-keyboard button: the client sends its text or a request
            if button.get("request_location"):
                raise NoSuchButton("this button shares a location: use share_location()")
            if button.get("request_contact"):
                raise NoSuchButton("this button shares a contact: use share_contact()")
            if button.get("request_users"):
                raise NoSuchButton("this button picks a person: use share_user()")
            return await self.send(button["text"])
        if "callback_data" not in button:
            raise NoSuchButton(f"button {label!r} is not a callback button: {button}")
        return await self.press_data(button["callback_data"], msg)

    async def press_data(self, data: str, msg: Msg | None = None) -> Replies:
        """Press a callback button, or forge one: `data` need not be on any button."""
        update = self.tap_update(data, msg)
        query_id = update["callback_query"]["id"]
        replies = await self.sandbox.deliver(update)
        if not self.api.callback_queries[query_id]:
            raise AssertionError(f"the bot did not answer the callback query {data!r}")
        return replies

    def tap_update(self, data: str, msg: Msg | None = None) -> dict[str, Any]:
        """The update of a tap on a button with `data`, not delivered yet (to queue it)."""
        msg = msg or self.last()
        query = {
            "id": self.api.new_callback_id(),
            "from": self.data,
            "chat_instance": f"ci-{self.chat.id}",
            "data": data,
            "message": self.api.message_dict(msg),
        }
        return self.sandbox.update(callback_query=query)

    def callback_answer(self) -> dict[str, Any]:
        """The answer to the newest callback query this user sent."""
        for answer in reversed(list(self.api.callback_queries.values())):
            if answer:
                return answer
        raise AssertionError("no callback query answered")


def _keyboard(markup: dict[str, Any] | None) -> Iterable[dict[str, Any]]:
    for row in (markup or {}).get("keyboard") or []:
        for button in row:
            yield button if isinstance(button, dict) else {"text": button}


_sample_files = itertools.count(1)


def _file(kind: str, width: int = 0, height: int = 0) -> dict[str, Any]:
    number = next(_sample_files)
    data: dict[str, Any] = {"file_id": f"{kind}-{number}", "file_unique_id": f"u-{kind}-{number}"}
    if width:
        data.update(width=width, height=height)
    return data
