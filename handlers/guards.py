"""Access checks done in the handler, whatever a menu shows: hiding a command is not security."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import Update

from bot.context import Ctx

log = logging.getLogger(__name__)

Callback = Callable[[Update, Ctx], Awaitable[Any]]


def staff_only(callback: Callback) -> Callback:
    """Run `callback` only for staff; everyone else gets a polite refusal and nothing changes."""

    @functools.wraps(callback)
    async def guarded(update: Update, context: Ctx) -> Any:
        user = update.effective_user
        if context.is_staff(user.id if user else None):
            return await callback(update, context)
        log.info("refused %s to a non-staff user", callback.__name__)
        if update.callback_query:
            await update.callback_query.answer(context.label("staff.only"), show_alert=True)
        elif (
            update.effective_message
            and update.effective_chat
            and update.effective_chat.type == "private"
        ):
            await update.effective_message.reply_text(context.t("staff.only"))
        return None

    return guarded
