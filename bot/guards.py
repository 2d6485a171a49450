"""Access checks done in the handler, whatever a menu shows: hiding a command is not security."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update

from bot import callbacks
from bot.context import Ctx

log = logging.getLogger(__name__)

# PTB's handlers take a coroutine function (they may schedule what it returns as a task);
# a routed tap's handler takes the tap too: (update, context, tap).
Callback = Callable[..., Coroutine[Any, Any, Any]]


def _guard(
    callback: Callback, allowed: Callable[[Update, Ctx, int | None], bool], refusal: str
) -> Callback:
    @functools.wraps(callback)
    async def guarded(update: Update, context: Ctx, *args: Any) -> Any:
        user = update.effective_user
        if allowed(update, context, user.id if user else None):
            return await callback(update, context, *args)
        log.info("refused %s to a user without the role", callback.__name__)
        tap = next((a for a in args if isinstance(a, callbacks.Tap)), None)
        if tap is not None:  # a tap routed by a table: answered once, through it
            await tap.answer(context.label(refusal), alert=True)
        elif update.callback_query:
            await update.callback_query.answer(context.label(refusal), show_alert=True)
        elif (
            update.effective_message
            and update.effective_chat
            and update.effective_chat.type == "private"
        ):
            await update.effective_message.reply_text(context.t(refusal))
        return None

    guarded.role = refusal.removesuffix(".only")  # type: ignore[attr-defined]  # for the role test
    return guarded


def staff_only(callback: Callback) -> Callback:
    """Run `callback` only for staff; everyone else gets a polite refusal and nothing changes."""
    return _guard(callback, lambda _update, context, uid: context.is_staff(uid), "staff.only")


def admin_only(callback: Callback) -> Callback:
    """Run `callback` only for administrators (config.toml `admin_ids`)."""
    return _guard(callback, lambda _update, context, uid: context.is_admin(uid), "admin.only")


def staff_or(allowed: Callable[[Update, Ctx], bool]) -> Callable[[Callback], Callback]:
    """Run the callback for staff, and for whoever else `allowed` admits (a lab's coordinator,
    for that lab: `allowed` reads the lab from the update or the person's draft); everyone else
    gets the staff refusal and nothing changes."""

    def decorate(callback: Callback) -> Callback:
        return _guard(
            callback,
            lambda update, context, uid: context.is_staff(uid) or allowed(update, context),
            "staff.only",
        )

    return decorate


def coordinator_of_tapped_lab(buttons: callbacks.Buttons) -> Callable[[Update, Ctx], bool]:
    """For `staff_or`: whether the person coordinates the lab a tap on one of `buttons` names
    as its first argument (a tool opened from that lab's card)."""

    def allowed(update: Update, context: Ctx) -> bool:
        query = update.callback_query
        parsed = callbacks.parse(query.data if query else None, buttons.feature)
        return parsed is not None and bool(parsed.args) and context.coordinates(parsed.args[0])

    return allowed
