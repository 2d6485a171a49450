"""A chat with the bot in the terminal: `make run` without a token.

The real Application runs against the in-process `FakeTelegram`; each line typed is a message
from the current user, and what the bot sends is printed as it is sent (reminders and other jobs
included; what goes to another chat says where). The people the sandbox's database knows have
their chats from the start, as Telegram keeps them across a restart. Lines starting with `:` and
`#` drive the sandbox itself; `:help` lists them. Without a terminal (`printf '/start\\n' | make
run`) it echoes each input line, prints the replies and exits with status 0 at the end of the
input.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
import threading
from pathlib import Path
from typing import Any, TextIO

from bot import tghtml
from bot.app import build_application, sandbox_config
from bot.config import Config
from bot.i18n import language_for
from bot.sandbox.telegram import FakeTelegram, Msg
from bot.sandbox.users import NoSuchButton, Sandbox, SandboxUser

CITIZEN_ID = 10_001
STAFF_ID = 90_001
FILES_DIR = Path("var/sandbox/files")

BANNER = (
    "Local sandbox: no BOT_TOKEN is set, so you are chatting with the bot here. To connect to "
    "Telegram, set BOT_TOKEN (see README) and run `make run` again. Type :help for sandbox "
    "commands."
)

HELP = {
    "en": """Sandbox commands:
  text or /command      send it as the current user
  #N                    press button [N] (inline) or {N} (keyboard) of the latest message
  :loc LAT LON          share a location (e.g. :loc 45.1850 9.1550)
  :contact [PHONE]      share your contact
  :photo :sticker :voice :video :document   send that kind of media
  :edit TEXT            edit your last message
  :group TEXT           say TEXT in a group chat where the bot is a member
  :staff                become the sandbox's staff member (id 90001, also an administrator)
  :citizen              back to the citizen (Anna, id 10001)
  :user ID [LANG]       become another user (LANG it or en); each person keeps their buttons
  :quit                 leave (or Ctrl-D)""",
    "it": """Comandi della sandbox:
  testo o /comando      lo invii come la persona di adesso
  #N                    premi il pulsante [N] (nel messaggio) o {N} (tastiera) dell'ultimo
  :loc LAT LON          condividi una posizione (es. :loc 45.1850 9.1550)
  :contact [TELEFONO]   condividi il tuo contatto
  :photo :sticker :voice :video :document   invia quel tipo di file
  :edit TESTO           modifica il tuo ultimo messaggio
  :group TESTO          scrivi TESTO in un gruppo di cui il bot fa parte
  :staff                diventa lo staff della sandbox (id 90001, anche amministratore)
  :citizen              torna alla cittadina (Anna, id 10001)
  :user ID [LINGUA]     diventa un'altra persona (LINGUA it o en); ognuno tiene i suoi pulsanti
  :quit                 esci (o Ctrl-D)""",
}

# The sandbox's own words, in the language of the person being played.
LABELS = {
    "en": {
        "edited": "(edited)",
        "keyboard": "(keyboard)",
        "to": "→ to {name} (id {id})",
        "group": "→ in the group {title} (id {id})",
        "popup": "💬 (pop-up) {text}",
        "alert": "💬 (alert, to close with OK) {text}",
        "now": "(you are now user {id}, language {lang})",
        "buttons": "(your buttons, from your last message with buttons:)",
        "no_button": "no such button: look for [N] next to the buttons",
        "unknown": "unknown sandbox command :{command} (type :help)",
        "usage_loc": "usage: :loc LAT LON   (for example :loc 45.1850 9.1550)",
        "usage_edit": "usage: :edit NEW TEXT (edits your last message)",
        "usage_group": "usage: :group TEXT",
        "usage_user": "usage: :user ID [it|en]",
        "share_location": "this button shares your location: type :loc LAT LON",
        "share_contact": "this button shares your contact: type :contact [PHONE]",
        "link": "(link: {url})",
        "inline": "(this button shares in another chat; inline mode is not in the terminal)",
        "nothing": "this button does nothing in the sandbox",
        "not_saved": "(not saved)",
    },
    "it": {
        "edited": "(modificato)",
        "keyboard": "(tastiera)",
        "to": "→ a {name} (id {id})",
        "group": "→ nel gruppo {title} (id {id})",
        "popup": "💬 (avviso) {text}",
        "alert": "💬 (finestra da chiudere con OK) {text}",
        "now": "(ora sei la persona {id}, lingua {lang})",
        "buttons": "(i tuoi pulsanti, dal tuo ultimo messaggio con pulsanti:)",
        "no_button": "nessun pulsante con quel numero: guarda i [N] accanto ai pulsanti",
        "unknown": "comando della sandbox sconosciuto :{command} (scrivi :help)",
        "usage_loc": "si usa così: :loc LAT LON   (per esempio :loc 45.1850 9.1550)",
        "usage_edit": "si usa così: :edit NUOVO TESTO (modifica il tuo ultimo messaggio)",
        "usage_group": "si usa così: :group TESTO",
        "usage_user": "si usa così: :user ID [it|en]",
        "share_location": "questo pulsante condivide la tua posizione: scrivi :loc LAT LON",
        "share_contact": "questo pulsante condivide il tuo contatto: scrivi :contact [TELEFONO]",
        "link": "(link: {url})",
        "inline": "(questo pulsante condivide in un'altra chat; la modalità inline non c'è qui)",
        "nothing": "questo pulsante qui non fa nulla",
        "not_saved": "(non salvato)",
    },
}

MEDIA = {"photo", "sticker", "voice", "video", "document", "audio", "animation"}
Numbered = list[tuple[Msg | None, dict[str, Any]]]


class Printer:
    """Renders what the bot sends, numbering buttons so `#N` can press them. Each person keeps
    the buttons of their own latest message with buttons: a message to another chat than the
    current person's (a notice to someone else, a reply in the group) says where it went, its
    buttons shown as `[·]`, and `:user ID` becomes that person, with those buttons numbered.
    Pop-up answers to a tap are shown too. The sandbox's own words follow the language of the
    person being played."""

    def __init__(self, out: TextIO, api: FakeTelegram):
        self.out = out
        self.api = api
        self.buttons_of: dict[int, Numbered] = {}
        self.current_chat: int | None = None
        self.lang = "it"
        api.answer_listeners.append(self.on_answer)

    def word(self, key: str, **values: Any) -> str:
        return LABELS[self.lang][key].format(**values)

    @property
    def buttons(self) -> Numbered:
        return self.buttons_of.get(self.current_chat or 0, [])

    def on_message(self, msg: Msg) -> None:
        prefix = f"🤖 {self.word('edited')} " if msg.edits else "🤖 "
        lines = self._body(msg).splitlines() or [""]
        here = msg.chat_id == self.current_chat
        if here:
            print(prefix + lines[0], file=self.out)
        else:
            print(prefix + self._recipient(msg.chat_id) + ":", file=self.out)
            print("   " + lines[0], file=self.out)
        for line in lines[1:]:
            print("   " + line, file=self.out)
        numbered = self._print_buttons(msg, here)
        if numbered:
            self.buttons_of[msg.chat_id] = numbered
        self.out.flush()

    def _print_buttons(self, msg: Msg, here: bool) -> Numbered:
        numbered: Numbered = []
        rows = (msg.reply_markup or {}).get("inline_keyboard") or []
        for row in rows:
            cells = []
            for button in row:
                numbered.append((msg, button))
                cells.append(f"[{len(numbered) if here else '·'}] {button['text']}")
            print("   " + "   ".join(cells), file=self.out)
        keyboard = (msg.reply_markup or {}).get("keyboard") or []
        for row in keyboard:
            cells = []
            for button in row:
                button = button if isinstance(button, dict) else {"text": button}
                numbered.append((None, button))
                cells.append(f"{{{len(numbered) if here else '·'}}} {button['text']}")
            print("   " + "   ".join(cells) + "   " + self.word("keyboard"), file=self.out)
        return numbered

    def show_buttons(self) -> None:
        """The current person's numbered buttons, after becoming them again."""
        if not self.buttons:
            return
        print(self.word("buttons"), file=self.out)
        cells = [
            f"[{n}] {button['text']}" if msg is not None else f"{{{n}}} {button['text']}"
            for n, (msg, button) in enumerate(self.buttons, start=1)
        ]
        print("   " + "   ".join(cells), file=self.out)
        self.out.flush()

    def on_answer(self, params: dict[str, Any]) -> None:
        text = params.get("text")
        if text:
            key = "alert" if params.get("show_alert") in (True, "true", "True") else "popup"
            print(self.word(key, text=text), file=self.out)
            self.out.flush()

    def _recipient(self, chat_id: int) -> str:
        chat = self.api.chats.get(chat_id)
        if chat is None or chat.type != "private":
            title = chat.title if chat else "?"
            return self.word("group", title=title, id=chat_id)
        name = (chat.user or {}).get("first_name") or "?"
        return self.word("to", name=name, id=chat_id)

    def _body(self, msg: Msg) -> str:
        if msg.kind == "venue":
            venue = msg.payload["venue"]
            loc = venue["location"]
            where = f"({loc['latitude']}, {loc['longitude']})"
            return f"📍 {venue['title']} — {venue['address']} {where}"
        if msg.kind in ("document", "photo"):
            info = msg.payload.get("file", {})
            where = info.get("saved_to", self.word("not_saved"))
            text = f"📎 {info.get('file_name', msg.kind)} → {where}"
            return text + (f"\n{tghtml.plain(msg.text)}" if msg.text else "")
        return msg.plain


class Session:
    def __init__(self, sandbox: Sandbox, printer: Printer, out: TextIO):
        self.sandbox = sandbox
        self.printer = printer
        self.out = out
        self.user = sandbox.user(CITIZEN_ID, first_name="Anna", language_code="it")
        self.staff = sandbox.user(STAFF_ID, first_name="Staff (sandbox)", language_code="it")
        self.group = sandbox.group()
        printer.current_chat = self.user.chat.id
        printer.lang = language_for(self.user.data.get("language_code"))

    def say(self, text: str) -> None:
        print(text, file=self.out)
        self.out.flush()

    def word(self, key: str, **values: Any) -> str:
        return self.printer.word(key, **values)

    def switch(self, user: SandboxUser) -> None:
        """Becomes `user`, who finds their own buttons where they left them."""
        self.user = user
        self.printer.current_chat = user.chat.id
        self.printer.lang = language_for(user.data.get("language_code"))
        self.say(self.word("now", id=user.id, lang=user.data.get("language_code", "-")))
        self.printer.show_buttons()

    async def handle(self, line: str) -> bool:
        """Act on one input line; False means quit."""
        line = line.rstrip("\n")
        if not line.strip():
            return True
        if line.startswith("#") and line[1:].strip().isdigit():
            await self.press(int(line[1:].strip()))
            return True
        if not line.startswith(":"):
            await self.user.send(line)
            return True
        command, _, rest = line[1:].partition(" ")
        command = command.lower()
        args = rest.split()
        if command in ("quit", "exit", "q"):
            return False
        if command in ("help", "aiuto", "h"):
            self.say(HELP[self.printer.lang])
        elif command in ("loc", "posizione", "location"):
            try:
                lat, lon = float(args[0].rstrip(",")), float(args[1])
            except (IndexError, ValueError):
                self.say(self.word("usage_loc"))
                return True
            await self.user.share_location(lat, lon)
        elif command in ("contact", "contatto"):
            await self.user.share_contact(args[0] if args else "+39 333 123 4567")
        elif command in MEDIA:
            await self.user.send_media(command, rest)
        elif command == "edit":
            mine = [m for m in self.user.chat.messages.values() if not m.from_bot]
            if not mine or not rest:
                self.say(self.word("usage_edit"))
                return True
            await self.user.edit(mine[-1].message_id, rest)
        elif command == "group":
            if not rest:
                self.say(self.word("usage_group"))
                return True
            await self.user.send(rest, chat=self.group)
        elif command == "staff":
            self.switch(self.staff)
        elif command in ("citizen", "cittadino"):
            self.switch(self.sandbox.user(CITIZEN_ID, first_name="Anna", language_code="it"))
        elif command == "user":
            if not args or not args[0].isdigit():
                self.say(self.word("usage_user"))
                return True
            lang = args[1] if len(args) > 1 else "it"
            self.switch(self.sandbox.user(int(args[0]), first_name="Utente", language_code=lang))
        else:
            self.say(self.word("unknown", command=command))
        return True

    async def press(self, number: int) -> None:
        if not 1 <= number <= len(self.printer.buttons):
            self.say(self.word("no_button"))
            return
        msg, button = self.printer.buttons[number - 1]
        if msg is None:
            if button.get("request_location"):
                self.say(self.word("share_location"))
            elif button.get("request_contact"):
                self.say(self.word("share_contact"))
            else:
                await self.user.send(button["text"])
            return
        if "callback_data" in button:
            await self.user.press_data(button["callback_data"], msg)
        elif "url" in button:
            self.say(self.word("link", url=button["url"]))
        elif "switch_inline_query" in button:
            self.say(self.word("inline"))
        else:
            self.say(self.word("nothing"))


def _reader(loop: asyncio.AbstractEventLoop, stream: TextIO, queue: asyncio.Queue) -> None:
    """A daemon thread: a blocked read must never keep the process alive at exit."""
    for line in stream:
        loop.call_soon_threadsafe(queue.put_nowait, line)
    loop.call_soon_threadsafe(queue.put_nowait, None)


async def chat(config: Config, stdin: TextIO, stdout: TextIO, stderr: TextIO) -> int:
    api = FakeTelegram(files_dir=FILES_DIR)
    app = build_application(sandbox_config(config, STAFF_ID), request=api)
    sandbox = Sandbox(app, api)
    printer = Printer(stdout, api)
    api.listeners.append(printer.on_message)
    session = Session(sandbox, printer, stdout)

    async def remember(_data: object) -> None:  # before anything is sent: a startup hook
        await sandbox.remember()

    app.bot_data.startup.insert(0, remember)
    interactive = stdin.isatty()
    print(BANNER, file=stderr, flush=True)

    loop = asyncio.get_running_loop()
    lines: asyncio.Queue[str | None] = asyncio.Queue()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    threading.Thread(target=_reader, args=(loop, stdin, lines), daemon=True).start()

    async with app:
        await app.start()
        try:
            while not stop.is_set():
                if interactive:
                    print("> ", end="", file=stdout, flush=True)
                getter = asyncio.ensure_future(lines.get())
                stopper = asyncio.ensure_future(stop.wait())
                await asyncio.wait({getter, stopper}, return_when=asyncio.FIRST_COMPLETED)
                stopper.cancel()
                if not getter.done():
                    getter.cancel()
                    break
                line = getter.result()
                if line is None:
                    break
                if not interactive:
                    print(f"> {line.rstrip()}", file=stdout, flush=True)
                try:
                    if not await session.handle(line):
                        break
                except NoSuchButton as exc:
                    session.say(str(exc))
        finally:
            await app.stop()
    return 0


def run(config: Config) -> int:
    return asyncio.run(chat(config, sys.stdin, sys.stdout, sys.stderr))
