"""The small toolkit every feature's buttons and every staff flow share. Not a form engine: the
states of a flow stay explicit in its feature module; this holds only what was written again and
again around them.

- `Buttons(feature)`: builds a feature's buttons and handler patterns from the one protocol
  version (`bot.callbacks`), and `pressed()` parses a tap, answering a stale or forged button by
  itself ("questo pulsante non è più attivo").
- `Flow(feature, Draft, ...)`: the same, plus a typed draft (a dataclass, kept per person in
  `user_data`) and `conversation()`, which builds the `ConversationHandler` with `/annulla` and
  `/cancel`, a fallback for the flow's buttons pressed at the wrong step, and a time-out that
  tells the person the flow was closed and drops the draft.
- `edit_or_send`: edit the message a button sits on, or send a new one when that is impossible.
"""

from __future__ import annotations

import logging
import re
import warnings
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Generic, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
)
from telegram.warnings import PTBUserWarning

from bot import callbacks
from bot.callbacks import Callback
from bot.context import Ctx

log = logging.getLogger(__name__)

D = TypeVar("D")
Step = Callable[[Update, Ctx], Awaitable[Any]]
CANCEL_COMMANDS = ("annulla", "cancel")


class Buttons:
    """A feature's buttons: `feature:v1:action[:arg...]`, built and parsed in one place."""

    def __init__(self, feature: str):
        self.feature = feature

    def data(self, action: str, *args: object) -> str:
        return callbacks.pack(self.feature, action, *args)

    def button(self, label: str, action: str, *args: object) -> InlineKeyboardButton:
        return InlineKeyboardButton(label, callback_data=self.data(action, *args))

    def pattern(self, *actions: str) -> str:
        """A CallbackQueryHandler pattern for this feature's current buttons (only `actions`,
        when given)."""
        head = rf"^{re.escape(self.feature)}:{callbacks.VERSION}:"
        if not actions:
            return head
        return head + "(?:" + "|".join(re.escape(a) for a in actions) + ")(?::|$)"

    @property
    def any_version(self) -> str:
        """A pattern for every button of this feature, old versions included: stale ones reach
        the feature, which answers them."""
        return callbacks.pattern(self.feature)

    async def pressed(self, update: Update, context: Ctx, *actions: str) -> Callback | None:
        """The button tapped, if it is one of this feature's current buttons (one of `actions`,
        when given). Otherwise the tap is answered as stale and None is returned: the caller
        just returns."""
        query = update.callback_query
        assert query is not None
        parsed = callbacks.parse(query.data, self.feature)
        if parsed is None or (actions and parsed.action not in actions):
            await stale(update, context)
            return None
        return parsed


async def stale(update: Update, context: Ctx) -> None:
    """Answer a button that no longer does anything (an old message, a double tap, a forgery)."""
    query = update.callback_query
    if query is not None:
        await query.answer(context.label("button.stale"), show_alert=True)


class Flow(Buttons, Generic[D]):
    """A staff flow: its buttons, its typed draft, and its ConversationHandler.

    `draft_type` is a dataclass whose fields all have defaults; `name` is a catalog key naming
    the flow to the person ("la modifica del laboratorio"), `cancelled` the key of the answer to
    /annulla.
    """

    def __init__(
        self,
        feature: str,
        draft_type: type[D],
        *,
        name: str,
        cancelled: str,
        timeout_s: int,
    ):
        super().__init__(feature)
        self.draft_type = draft_type
        self.name = name
        self.cancelled = cancelled
        self.timeout_s = timeout_s

    # --- the draft ------------------------------------------------------------------------------

    def draft(self, context: Ctx) -> D:
        """The person's draft in this flow (a new, empty one if there is none)."""
        assert context.user_data is not None
        found = context.user_data.get(self.feature)
        if not isinstance(found, self.draft_type):
            found = context.user_data[self.feature] = self.draft_type()
        return found

    def begin(self, context: Ctx, draft: D | None = None) -> D:
        """Start over with `draft` (or an empty one), whatever was there before."""
        assert context.user_data is not None
        context.user_data[self.feature] = fresh = draft if draft is not None else self.draft_type()
        return fresh

    def drop(self, context: Ctx) -> None:
        if context.user_data is not None:
            context.user_data.pop(self.feature, None)

    # --- the conversation -------------------------------------------------------------------------

    def conversation(
        self,
        *,
        entry_points: list[BaseHandler],
        states: dict[object, list[BaseHandler]],
        on_cancel: Step | None = None,
        on_stale: Step | None = None,
        cancel_commands: Iterable[str] = CANCEL_COMMANDS,
    ) -> ConversationHandler:
        """The flow's ConversationHandler, per chat and per person.

        Fallbacks: /annulla and /cancel (`on_cancel`, by default: drop the draft and say so);
        the flow's own buttons pressed at a step that does not take them (`on_stale`, by
        default the stale answer; the flow stays at its step). After `timeout_s` without an
        answer the flow ends: the person is told and the draft dropped.
        """
        fallbacks: list[BaseHandler] = [
            CommandHandler(list(cancel_commands), on_cancel or self.cancel),
            CallbackQueryHandler(_stay(on_stale or stale), pattern=self.any_version),
        ]
        states = {**states, ConversationHandler.TIMEOUT: [TypeHandler(Update, self._timed_out)]}
        # PTB warns that with `per_message=False` a CallbackQueryHandler is not tracked per
        # message: the intended design here (a button only advances the flow of the person who
        # pressed it, in their chat), so that one warning is silenced and every other stays on.
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message=r"If 'per_message=False'", category=PTBUserWarning
            )
            return ConversationHandler(
                entry_points=entry_points,
                states=states,
                fallbacks=fallbacks,
                allow_reentry=True,
                conversation_timeout=self.timeout_s,
                name=self.feature,
                per_chat=True,
                per_user=True,
                per_message=False,
            )

    def outside(self, on_stale: Step | None = None) -> CallbackQueryHandler:
        """For the flow's buttons tapped when no flow is open (registered after the flow)."""
        return CallbackQueryHandler(on_stale or stale, pattern=self.any_version)

    async def cancel(self, update: Update, context: Ctx) -> int:
        """/annulla: the draft goes, nothing pending is saved."""
        self.drop(context)
        if update.effective_chat is not None:
            await context.bot.send_message(
                update.effective_chat.id,
                context.t(self.cancelled),
                reply_markup=ReplyKeyboardRemove(),
            )
        return ConversationHandler.END

    async def _timed_out(self, update: Update, context: Ctx) -> None:
        self.drop(context)
        user = update.effective_user
        if user is None:
            return
        log.info("a %s flow timed out", self.feature)
        try:
            await context.bot.send_message(
                user.id,
                context.t(
                    "flow.timeout",
                    name=context.label(self.name),
                    count=self.timeout_s // 60,
                ),
                reply_markup=ReplyKeyboardRemove(),
            )
        except TelegramError as exc:  # blocked meanwhile: the draft is gone all the same
            log.warning("could not say that a %s flow timed out: %s", self.feature, exc)


def _stay(step: Step) -> Step:
    """Run `step` and keep the conversation where it is."""

    async def stay(update: Update, context: Ctx) -> None:
        await step(update, context)

    return stay


async def edit_or_send(
    update: Update, context: Ctx, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit the message the button sits on; if that is impossible, send a new one."""
    query = update.callback_query
    if query and query.message and query.message.is_accessible:
        try:
            await query.edit_message_text(text, reply_markup=markup)
            return
        except BadRequest as exc:
            if "not modified" in str(exc):
                return
            if "not found" not in str(exc) and "can't be edited" not in str(exc):
                raise
    chat = update.effective_chat
    if chat is not None:
        await context.bot.send_message(chat.id, text, reply_markup=markup)
