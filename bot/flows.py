"""Conversation handlers, built one way."""

from __future__ import annotations

import warnings
from typing import Any

from telegram import InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import ConversationHandler
from telegram.warnings import PTBUserWarning

from bot.context import Ctx


def conversation(**kwargs: Any) -> ConversationHandler:
    """A ConversationHandler per chat and user, mixing typed messages and buttons.

    PTB warns that with `per_message=False` a CallbackQueryHandler is not tracked per message:
    that is the intended design here (a button only advances the flow of the person who
    pressed it, in their chat), so that one warning is silenced and every other stays on.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message=r"If 'per_message=False'", category=PTBUserWarning
        )
        return ConversationHandler(per_chat=True, per_user=True, per_message=False, **kwargs)


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
