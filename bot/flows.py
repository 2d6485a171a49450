"""The small toolkit every feature's buttons and every staff flow share. Not a form engine: the
states of a flow stay explicit in its feature module; this holds only what was written again and
again around them.

- `Buttons(feature)` (`bot.callbacks`): builds a feature's buttons and routes its taps by a
  table, answering a stale or forged button by itself ("questo pulsante non è più attivo").
- `Flow(feature, Draft, ...)`: the same, plus a typed draft (a dataclass, kept per person in
  `user_data`) and `conversation()`, which builds the `ConversationHandler` with `/annulla` and
  `/cancel`, a fallback for the flow's buttons pressed at the wrong step, and a time-out that
  tells the person the flow was closed and drops the draft.
- `edit_or_send`: edit the message a button sits on, or send a new one when that is impossible.

One flow at a time per person: starting a flow makes it the person's open one, and any other
command leaves it (`leave_on_command`, in a handler group ahead of the features). A flow needs a
role (`may_stay`: staff by default; a lab's coordinator for that lab's tools): whoever loses it
has the flow closed with a word (`close_if_role_lost`, at once where the role is taken away, and
ahead of the features on their next update, whatever took it), so their next message is
answered as anyone's. The typed
steps of a flow take messages only while it is the person's open flow, so a title typed for
/evento never lands in a lab edit left open, and a question asked after /start is a question.
"""

from __future__ import annotations

import logging
import warnings
from collections.abc import Callable, Coroutine, Iterable
from typing import Any, Generic, TypeVar

from telegram import InlineKeyboardMarkup, ReplyKeyboardRemove, Update
from telegram.error import BadRequest, TelegramError
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.warnings import PTBUserWarning

from bot.callbacks import Buttons, stale
from bot.context import BotData, Ctx

log = logging.getLogger(__name__)

D = TypeVar("D")
Step = Callable[[Update, Ctx], Coroutine[Any, Any, Any]]  # PTB's handlers take coroutines
# feature -> its flow: the definitions (module-level, like the flows), to find a person's open one
_FLOWS: dict[str, Flow] = {}
CANCEL_COMMANDS = ("annulla", "cancel")
LEAVE_GROUP = -7  # the handler group of leave_on_command (its own: it takes every update)


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
        may_stay: Callable[[BotData, int, D], bool] | None = None,
    ):
        super().__init__(feature)
        self.draft_type = draft_type
        self.name = name
        self.cancelled = cancelled
        self.timeout_s = timeout_s
        # Whether a person (id) still has the role this flow needs, for their draft.
        self.may_stay = may_stay or (lambda data, user_id, _draft: user_id in data.staff_ids)
        _FLOWS[feature] = self

    # --- the draft ------------------------------------------------------------------------------

    def draft(self, context: Ctx) -> D:
        """The person's draft in this flow (a new, empty one if there is none)."""
        assert context.user_data is not None
        found = context.user_data.get(self.feature)
        if not isinstance(found, self.draft_type):
            found = context.user_data[self.feature] = self.draft_type()
        return found

    def begin(self, context: Ctx, draft: D | None = None) -> D:
        """Start over with `draft` (or an empty one), whatever was there before; this flow is
        now the person's open one (another they left open stops taking their messages)."""
        assert context.user_data is not None
        if context.user_id is not None:
            other = context.data.open_flows.get(context.user_id)
            if other is not None and other != self.feature:
                context.user_data.pop(other, None)
            context.data.open_flows[context.user_id] = self.feature
        context.user_data[self.feature] = fresh = draft if draft is not None else self.draft_type()
        return fresh

    def drop(self, context: Ctx) -> None:
        if context.user_data is not None:
            context.user_data.pop(self.feature, None)
        open_flows = context.data.open_flows
        if context.user_id is not None and open_flows.get(context.user_id) == self.feature:
            del open_flows[context.user_id]

    def is_open(self, data: BotData, user_id: int | None) -> bool:
        return user_id is not None and data.open_flows.get(user_id) == self.feature

    def open_filter(self, app: Application) -> filters.UpdateFilter:
        """Only updates of people for whom this flow is the open one, in `app`."""
        return _OpenFlow(self, app.bot_data)

    # --- the conversation -------------------------------------------------------------------------

    def conversation(
        self,
        app: Application,
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
        open_filter = self.open_filter(app)
        for handlers in states.values():  # typed steps: new messages, while the flow is open
            for handler in handlers:  # (an edit of an old message is not an answer)
                if isinstance(handler, MessageHandler):
                    handler.filters = handler.filters & filters.UpdateType.MESSAGE
                    handler.filters = handler.filters & open_filter
        fallbacks: list[BaseHandler] = [
            CommandHandler(list(cancel_commands), on_cancel or self.cancel, open_filter),
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
        user = update.effective_user
        still_open = user is not None and self.is_open(context.data, user.id)
        self.drop(context)
        if user is None or not still_open:  # the person has moved on: nothing to say
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


class _OpenFlow(filters.UpdateFilter):
    def __init__(self, flow: Flow[Any], data: BotData):
        super().__init__(name=f"open flow {flow.feature}")
        self.flow = flow
        self.data = data

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        return self.flow.is_open(self.data, user.id if user else None)


class _NoOpenFlow(filters.UpdateFilter):
    """Updates of people with no staff flow open: no conversation takes their messages."""

    def __init__(self, data: BotData) -> None:
        super().__init__(name="no open flow")
        self.data = data

    def filter(self, update: Update) -> bool:
        user = update.effective_user
        return user is None or user.id not in self.data.open_flows


def no_open_flow(app: Application) -> filters.UpdateFilter:
    """A filter for `app`'s updates from people with no staff flow open."""
    return _NoOpenFlow(app.bot_data)


def close_if_role_lost(application: Any, user_id: int) -> str | None:
    """Close the person's open flow if they no longer have the role it needs (its draft goes,
    nothing pending is saved); the catalog key naming the flow closed, or None."""
    open_flows = application.bot_data.open_flows
    feature = open_flows.get(user_id)
    flow = _FLOWS.get(feature) if feature else None
    if feature is None or flow is None:
        return None
    user_data = application.user_data.get(user_id)
    draft = user_data.get(feature) if user_data is not None else None
    if not isinstance(draft, flow.draft_type):
        draft = flow.draft_type()
    if flow.may_stay(application.bot_data, user_id, draft):
        return None
    del open_flows[user_id]
    if user_data is not None:
        user_data.pop(feature, None)
    log.info("a %s flow closed: its user lost the role it needs", feature)
    return flow.name


def role_lost_text(data: BotData, lang: str, name: str) -> str:
    """The word said when `close_if_role_lost` closed the flow `name`."""
    return data.texts.text(lang, "flow.role_lost", name=data.texts.plain(lang, name))


async def leave_on_command(update: Update, context: Ctx) -> None:
    """A flow whose role the person lost is closed, with a word, whatever the update (the
    update then goes on, answered as anyone's). A command other than /annulla leaves the
    person's open flow (its draft goes, silently): /start, /help or another flow's command mean
    the person has moved on."""
    user = update.effective_user
    if user is None or user.id not in context.data.open_flows:
        return
    closed = close_if_role_lost(context.application, user.id)
    if closed is not None:
        try:
            await context.bot.send_message(
                user.id,
                role_lost_text(context.data, context.lang, closed),
                reply_markup=ReplyKeyboardRemove(),
            )
        except TelegramError as exc:
            log.warning("could not say that a flow was closed: %s", exc)
        return
    message = update.message or update.edited_message
    if message is None:
        return
    text = message.text or ""
    if not text.startswith("/"):
        return
    command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
    if command in CANCEL_COMMANDS:
        return
    feature = context.data.open_flows.pop(user.id)
    if context.user_data is not None:
        context.user_data.pop(feature, None)


def _stay(step: Step) -> Step:
    """Run `step` and keep the conversation where it is."""

    async def stay(update: Update, context: Ctx) -> None:
        await step(update, context)

    return stay


async def edit_or_send(
    update: Update,
    context: Ctx,
    text: str,
    markup: InlineKeyboardMarkup | None,
    *,
    edit: bool = True,
) -> None:
    """Edit the message the button sits on; if that is impossible (or `edit` is False: a menu
    shown after a typed answer, below it), send a new one."""
    query = update.callback_query
    if edit and query and query.message and query.message.is_accessible:
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
