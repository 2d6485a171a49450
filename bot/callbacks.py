"""Callback data: a tiny versioned protocol, `"<feature>:v1:<action>[:<arg>...]"`.

Each feature builds and parses its buttons here, so a button from an older version of the bot (or a
forged one) is recognised as stale instead of being misread. Telegram allows 1 to 64 bytes.

`Buttons(feature)` is a feature's protocol: it builds the buttons and routes a tap by a table
(`@BUTTONS.on("open", args=1)`): the tap is parsed, a stale, unknown or forged one is answered
once ("questo pulsante non è più attivo") and never reaches a handler, the handler gets the
parsed arguments in a `Tap`, and a tap the handler did not answer is answered when it returns.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from telegram import CallbackQuery, InlineKeyboardButton, Update
from telegram.ext import CallbackQueryHandler

if TYPE_CHECKING:  # the context is built on top of this module
    from bot.context import Ctx

VERSION = "v1"
MAX_BYTES = 64
_PART = re.compile(r"^[A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Callback:
    feature: str
    action: str
    args: tuple[str, ...]


def pack(feature: str, action: str, *args: object) -> str:
    parts = [feature, VERSION, action, *(str(a) for a in args)]
    for part in parts:
        if not _PART.match(part):
            raise ValueError(f"callback part {part!r} has characters outside [A-Za-z0-9_.-]")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data!r}")
    return data


def parse(data: str | None, feature: str) -> Callback | None:
    """The callback if it belongs to `feature` in the current version, else None (stale)."""
    if not data:
        return None
    parts = data.split(":")
    if len(parts) < 3 or parts[0] != feature or parts[1] != VERSION:
        return None
    return Callback(feature=parts[0], action=parts[2], args=tuple(parts[3:]))


def pattern(feature: str) -> str:
    """Regex for a CallbackQueryHandler: any version, so stale ones reach the feature too."""
    return rf"^{re.escape(feature)}:"


class Tap:
    """A tap on a feature's button: its action and arguments, and its query, answered once."""

    def __init__(self, query: CallbackQuery, parsed: Callback):
        self.query = query
        self.action = parsed.action
        self.args = parsed.args
        self.answered = False

    @property
    def user_id(self) -> int:
        return self.query.from_user.id

    async def answer(self, text: str | None = None, *, alert: bool = False) -> None:
        """Answer the tap (a pop-up `text`, an `alert` to close with OK); only the first call
        reaches Telegram, which refuses a second answer."""
        if self.answered:
            return
        self.answered = True
        await self.query.answer(text, show_alert=alert)

    async def stale(self, context: Ctx) -> None:
        """Answer the tap as a button that no longer does anything (its lab or event is gone,
        its argument is not one the feature knows)."""
        await self.answer(context.label("button.stale"), alert=True)


R = TypeVar("R")
Route = Callable[["Update", "Ctx", Tap], Awaitable[Any]]


@dataclass(frozen=True)
class _Entry:
    handler: Route
    args: int  # how many arguments the action takes (at least, with `more`)
    more: bool


async def stale(update: Update, context: Ctx) -> None:
    """Answer a button that no longer does anything (an old message, a double tap, a forgery)."""
    query = update.callback_query
    if query is not None:
        await query.answer(context.label("button.stale"), show_alert=True)


class Buttons:
    """A feature's buttons: `feature:v1:action[:arg...]`, built, parsed and routed in one place."""

    def __init__(self, feature: str):
        self.feature = feature
        self.routes: dict[str, _Entry] = {}

    def data(self, action: str, *args: object) -> str:
        return pack(self.feature, action, *args)

    def button(self, label: str, action: str, *args: object) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=self.data(action, *args))

    def pattern(self, *actions: str) -> str:
        """A CallbackQueryHandler pattern for this feature's current buttons (only `actions`,
        when given)."""
        head = rf"^{re.escape(self.feature)}:{VERSION}:"
        if not actions:
            return head
        return head + "(?:" + "|".join(re.escape(a) for a in actions) + ")(?::|$)"

    @property
    def any_version(self) -> str:
        """A pattern for every button of this feature, old versions included: stale ones reach
        the feature, which answers them."""
        return pattern(self.feature)

    # --- the route table ------------------------------------------------------------------------

    def on(self, *actions: str, args: int = 0, more: bool = False) -> Callable[[R], R]:
        """Route taps on `actions` to the decorated handler, `handler(update, context, tap)`;
        a tap with other than `args` arguments (at least `args`, with `more`) is stale."""

        def register(handler: R) -> R:
            for action in actions:
                if action in self.routes:
                    raise ValueError(f"{self.feature}: two routes for {action!r}")
                self.routes[action] = _Entry(handler, args, more)  # type: ignore[arg-type]
            return handler

        return register

    def parse(self, update: Update, *actions: str) -> Tap | None:
        """The tap, if it is one of this feature's current buttons with a route (one of
        `actions`, when given) and the arguments its route takes; else None."""
        query = update.callback_query
        parsed = parse(query.data if query else None, self.feature)
        if query is None or parsed is None or (actions and parsed.action not in actions):
            return None
        entry = self.routes.get(parsed.action)
        if entry is None:
            return None
        count = len(parsed.args)
        if count < entry.args or (count > entry.args and not entry.more):
            return None
        return Tap(query, parsed)

    async def dispatch(self, update: Update, context: Ctx, *actions: str) -> Any:
        """Route one tap by the table; returns what the handler returns (a conversation's next
        state). A tap with no route is answered as stale and returns None (a conversation
        stays at its step)."""
        tap = self.parse(update, *actions)
        if tap is None:
            await stale(update, context)
            return None
        try:
            return await self.routes[tap.action].handler(update, context, tap)
        finally:
            if not tap.answered:
                await tap.answer()

    def handler(self, *actions: str) -> CallbackQueryHandler:
        """The handler that routes this feature's taps (only `actions`, e.g. one step of a
        conversation; every version of every button otherwise, so stale ones are answered)."""

        async def route(update: Update, context: Ctx) -> Any:
            return await self.dispatch(update, context, *actions)

        # The roles the routed handlers' guards check (bot.guards), for the role test.
        routed = [e.handler for a, e in self.routes.items() if not actions or a in actions]
        roles = sorted({role for h in routed if (role := getattr(h, "role", None))})
        if roles:
            route.role = ",".join(roles)  # type: ignore[attr-defined]
        pattern = self.pattern(*actions) if actions else self.any_version
        return CallbackQueryHandler(route, pattern=pattern)
