"""The one error handler: log with the traceback, tell the user kindly, alert the staff chat.

Network hiccups are warnings (PTB retries polling by itself); a user who blocked the bot is
recorded as such (only on Telegram's "blocked by the user": `bot.refusals`). Nothing personal is
logged: the update id and kind, never its text.

One update, one report: after a handler fails, PTB still runs the handlers of the later groups
for the same update, and one of them may fail in turn because of the first (a button answered
twice: "query is too old"). Such a further error is logged, never a second message to the
person or a second alert to the staff.
"""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import Application

from bot.budget import NotSent
from bot.context import Ctx
from bot.refusals import blocked_by_user

log = logging.getLogger(__name__)


_KINDS = ("message", "edited_message", "callback_query", "inline_query", "my_chat_member")


def describe(update: object) -> str:
    if isinstance(update, Update):
        kinds = [k for k in _KINDS if getattr(update, k, None)]
        return f"{update.update_id} ({kinds[0] if kinds else 'other'})"
    return type(update).__name__


async def on_error(update: object, context: Ctx) -> None:
    error = context.error
    where = describe(update)
    if isinstance(error, NotSent):  # the bot stopped before its turn: counted, logged at stop
        log.debug("update %s: a reply given up at stop", where)
        return
    if isinstance(error, Forbidden) and isinstance(update, Update) and update.effective_user:
        log.warning("update %s: Telegram refused a send (%s)", where, error)
        private = update.effective_chat and update.effective_chat.type == ChatType.PRIVATE
        if private and blocked_by_user(error):  # not a deleted account: that is no block
            await context.people.set_blocked(update.effective_user.id, True, context.now())
        return
    if isinstance(error, (TimedOut, RetryAfter)) or (
        isinstance(error, NetworkError) and not isinstance(error, BadRequest)
    ):
        log.warning("update %s: network problem talking to Telegram: %s", where, error)
        return
    if isinstance(update, Update):
        if update.update_id in context.data.errors_reported:
            log.warning("update %s: a further error, after the one reported", where, exc_info=error)
            return
        context.data.errors_reported.append(update.update_id)
    log.error("update %s: unhandled error", where, exc_info=error)
    context.data.last_error = f"{context.now():%Y-%m-%d %H:%M} UTC {type(error).__name__}"
    context.guess_language(update)
    if isinstance(update, Update):
        await _tell_user(update, context)
    await _alert_staff(context, where, error)


def _answered_already(error: BadRequest) -> bool:
    """Telegram's refusal of a second answer to a button (or of one past its time)."""
    message = error.message.lower()
    return "query is too old" in message or "query id is invalid" in message


async def _tell_user(update: Update, context: Ctx) -> None:
    text = context.t("error.generic", email=context.config.network.contact_email)
    try:
        if update.callback_query:
            try:
                await update.callback_query.answer()
            except BadRequest as exc:  # the failed handler had answered it: that is fine
                if not _answered_already(exc):
                    raise
        chat = update.effective_chat
        if chat is not None and chat.type == ChatType.PRIVATE:
            await context.bot.send_message(chat.id, text)
    except Exception:  # the error report must not fail in turn
        log.warning("could not tell the user about the error", exc_info=True)


async def _alert_staff(context: Ctx, where: str, error: BaseException | None) -> None:
    chat_id = context.config.telegram.staff_chat_id
    if not chat_id:
        return
    name = type(error).__name__ if error else "?"
    try:
        await context.bot.send_message(
            chat_id,
            context.bot_data.texts.text("it", "staff.error_alert", error=name, update=where),
        )
    except Exception:
        log.warning("could not alert the staff chat", exc_info=True)


def register(app: Application) -> None:
    app.add_error_handler(on_error)
