"""What Telegram shows about the bot: command menus per language and role, descriptions."""

from __future__ import annotations

import logging

from telegram import BotCommand, BotCommandScope, BotCommandScopeChat, BotCommandScopeDefault
from telegram.error import TelegramError
from telegram.ext import Application

from bot.context import BotData
from bot.i18n import DEFAULT_LANGUAGE, LANGUAGES

log = logging.getLogger(__name__)


def _menu(data: BotData, lang: str, staff: bool) -> list[BotCommand]:
    return [
        BotCommand(spec.name, data.texts.plain(lang, spec.text_key))
        for spec in sorted(data.commands, key=lambda s: (s.staff, s.order))
        if staff or not spec.staff
    ]


async def _set_commands(
    app: Application, commands: list[BotCommand], scope: BotCommandScope, lang: str
) -> None:
    code = None if lang == DEFAULT_LANGUAGE else lang
    if list(await app.bot.get_my_commands(scope=scope, language_code=code)) != commands:
        await app.bot.set_my_commands(commands, scope=scope, language_code=code)


async def publish_profile(app: Application) -> None:
    """Command menus per language (a longer one for staff), descriptions per language.

    Each is set only when it differs from what Telegram has, because these methods are
    rate-limited and a bot that restarts often would otherwise hit the limit. A failure is logged
    and never stops the bot.
    """
    data: BotData = app.bot_data
    texts = data.texts
    bot = app.bot
    try:
        for lang in LANGUAGES:
            await _set_commands(app, _menu(data, lang, staff=False), BotCommandScopeDefault(), lang)
            code = None if lang == DEFAULT_LANGUAGE else lang
            description = texts.plain(lang, "bot.description")
            if (await bot.get_my_description(code)).description != description:
                await bot.set_my_description(description, code)
            short = texts.plain(lang, "bot.short_description")
            if (await bot.get_my_short_description(code)).short_description != short:
                await bot.set_my_short_description(short, code)
    except TelegramError as exc:
        log.warning("could not publish the bot's menu and descriptions: %s", exc)
    for staff_id in sorted(data.staff_ids):
        await publish_staff_menu(app, staff_id)


async def publish_staff_menu(app: Application, staff_id: int) -> None:
    """The longer menu in one staff member's chat. Telegram knows a chat only after the person
    has written to the bot, so this also runs on a staff member's first message."""
    data: BotData = app.bot_data
    try:
        for lang in LANGUAGES:
            await _set_commands(
                app, _menu(data, lang, staff=True), BotCommandScopeChat(staff_id), lang
            )
    except TelegramError as exc:
        log.warning("no staff menu yet for one staff member: %s", exc)


async def withdraw_staff_menu(app: Application, user_id: int) -> None:
    """Back to the citizens' menu in the chat of someone who is no longer staff."""
    try:
        for lang in LANGUAGES:
            code = None if lang == DEFAULT_LANGUAGE else lang
            await app.bot.delete_my_commands(scope=BotCommandScopeChat(user_id), language_code=code)
    except TelegramError as exc:
        log.warning("could not withdraw a staff menu: %s", exc)
