"""Group -10: before any feature sees an update, know the user and their language.

Runs on every update that has a user, records the interaction through `context.people` (a
person's first update is written at once, the later ones behind: `bot.people`), and sets
`context.lang` and `context.first_contact`. It also follows `my_chat_member`, Telegram's notice
that a user blocked or unblocked the bot.
"""

from __future__ import annotations

import logging

from telegram import ChatMember, Update
from telegram.ext import Application, ChatMemberHandler, TypeHandler

from bot.context import Ctx
from bot.i18n import language_for
from bot.profile import publish_staff_menu

log = logging.getLogger(__name__)

GROUP = -10


async def track(update: Update, context: Ctx) -> None:
    user = update.effective_user
    if user is None or user.is_bot:
        return
    people, suggested = context.people, language_for(user.language_code)
    if not people.knows(user.id) and (
        update.my_chat_member is not None or any(quiet(update) for quiet in context.data.quiet)
    ):  # asking what is stored or to be forgotten, a block by someone erased: nothing stored
        context.lang = suggested
        return
    context.lang, context.first_contact = people.seen(user.id, suggested, context.now())
    if people.unwritten(user.id) and not (context.first_contact and only_answered(update)):
        await people.write(user.id)  # they do more than say hello: their row first
    if context.first_contact:
        log.info("a new person")  # how many in all: /stato (a count here cost a query each)
        if context.is_staff(user.id):
            await publish_staff_menu(context.application, user.id)


def only_answered(update: Update) -> bool:
    """A first update that only gets an answer (a greeting, a question, a location): the new
    person's row can be written behind. A deep link, a command, a button may store something of
    theirs, so their row is written first."""
    message = update.message
    if message is None:
        return False
    if message.location is not None:
        return True
    text = message.text or ""
    words = text.split()
    return not text.startswith("/") or (len(words) == 1 and words[0].split("@")[0] == "/start")


async def membership(update: Update, context: Ctx) -> None:
    change = update.my_chat_member
    if change is None or change.chat.type != "private":
        return
    status = change.new_chat_member.status
    blocked = status in (ChatMember.BANNED, ChatMember.LEFT)
    await context.people.set_blocked(change.from_user.id, blocked, context.now())
    log.info("a user %s the bot", "blocked" if blocked else "unblocked")


def register(app: Application) -> None:
    app.add_handler(TypeHandler(Update, track), group=GROUP)
    app.add_handler(
        ChatMemberHandler(membership, ChatMemberHandler.MY_CHAT_MEMBER), group=GROUP + 1
    )
