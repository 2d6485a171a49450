"""Guards that run before every feature.

Group -20, the flood guard (`bot.flood`): one person sending more than `[abuse] flood_updates`
updates in `flood_seconds` gets one polite message, and what they send for `pause_seconds` more
is dropped before it reaches the database or any feature. Others are not affected. It runs first
so that a flood costs no database write.

Group -15, the group guard: in groups and supergroups only the commands that show public
information run (the lab list, events, help, privacy pointer); every other command for this bot
gets a link to the private chat, so nothing personal (sign-ups, notifications, staff tools,
exports) is ever shown to a group, whatever the feature does.
"""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.constants import ChatType, MessageEntityType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CommandHandler,
    ConversationHandler,
    TypeHandler,
)

from bot.context import Ctx
from handlers.menu import group_hello

log = logging.getLogger(__name__)

FLOOD_GROUP = -20
GROUP_GUARD = -15
# Commands that show only public information and behave in a group.
PUBLIC_IN_GROUPS = frozenset({"start", "help", "aiuto", "laboratori", "eventi", "privacy"})


async def flood(update: Update, context: Ctx) -> None:
    user = update.effective_user
    if user is None or user.is_bot:
        return
    verdict = context.flood_guard.check(user.id)
    if verdict == "ok":
        return
    if verdict == "warn":
        log.info("a user is sending too fast: paused for a while")
        context.guess_language(update)
        text = context.label("flood.slow_down", count=context.flood_guard.pause_seconds)
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(text, show_alert=True)
            elif update.effective_chat is not None:
                await context.bot.send_message(update.effective_chat.id, text)
        except TelegramError as exc:
            log.warning("could not tell a user to slow down: %s", exc)
    elif update.callback_query is not None:
        with contextlib.suppress(TelegramError):  # stop the button's spinner, say nothing
            await update.callback_query.answer()
    raise ApplicationHandlerStop


def _command(update: Update, username: str) -> str | None:
    """The command of a message addressed to this bot (None when not a command, or for
    another bot)."""
    # A new message or an edited one: both reach the CommandHandlers, so both pass here.
    message = update.message or update.edited_message
    if message is None or not message.text or not message.entities:
        return None
    first = message.entities[0]
    if first.type != MessageEntityType.BOT_COMMAND or first.offset != 0:
        return None
    name, _, target = message.text[1 : first.length].partition("@")
    if target and target.lower() != username.lower():
        return None
    return name.lower()


def _known_commands(app: Application) -> frozenset[str]:
    """Every command some handler of this bot answers (conversations opened up)."""
    found: set[str] = set()
    pending = [h for group in app.handlers.values() for h in group]
    while pending:
        handler = pending.pop()
        if isinstance(handler, CommandHandler):
            found |= handler.commands
        elif isinstance(handler, ConversationHandler):
            pending += [*handler.entry_points, *handler.fallbacks]
            for state in handler.states.values():
                pending += state
    return frozenset(found)


async def group_guard(update: Update, context: Ctx) -> None:
    chat = update.effective_chat
    if chat is None or chat.type not in (ChatType.GROUP, ChatType.SUPERGROUP):
        return
    command = _command(update, context.bot.username)
    if command is None or command in PUBLIC_IN_GROUPS:
        return
    data = context.data
    if data.known_commands is None:
        data.known_commands = _known_commands(context.application)
    if command not in data.known_commands:  # perhaps for another bot in the group
        return
    await group_hello(update, context)
    raise ApplicationHandlerStop


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, flood), group=FLOOD_GROUP)
    app.add_handler(TypeHandler(Update, group_guard), group=GROUP_GUARD)
