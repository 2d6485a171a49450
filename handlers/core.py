"""/start (with deep links), /help, /lingua, /annulla and /cancel."""

from __future__ import annotations

import re

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler

from bot.callbacks import Buttons, Tap
from bot.context import CommandSpec, Ctx, DeepLinkHandler
from bot.i18n import LANGUAGE_NAMES, LANGUAGES, escape
from handlers.menu import group_hello, main_menu

BUTTONS = Buttons("lang")
_PAYLOAD = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


async def start(update: Update, context: Ctx) -> None:
    message = update.effective_message
    if message is None:
        return
    if not is_private(update):
        await group_hello(update, context)
        return
    payload = context.args[0] if context.args else ""
    if payload and _PAYLOAD.match(payload):
        handler = _deep_link_handler(context, payload)
        if handler is not None:
            prefix, callback = handler
            # A poster's QR code, a shared link: their first hello (unless the link's own answer
            # is the welcome, as a coordinator's invitation is).
            if context.first_contact and not getattr(callback, "own_welcome", False):
                await hello(update, context, offer=not getattr(callback, "shows_offer", False))
            await callback(update, context, payload[len(prefix) :])
            return
    await welcome(update, context)


def _deep_link_handler(context: Ctx, payload: str) -> tuple[str, DeepLinkHandler] | None:
    # The longest registered prefix wins: "lab_" before "l".
    for prefix in sorted(context.data.deep_links, key=len, reverse=True):
        if payload.startswith(prefix):
            return prefix, context.data.deep_links[prefix]
    return None


async def welcome(update: Update, context: Ctx) -> None:
    user = update.effective_user
    name = user.first_name if user else ""
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        context.t("start.welcome", name=name), reply_markup=main_menu(context)
    )
    if context.first_contact:  # notifications are opt-in: offered once, all off
        for offer in context.data.first_offers:
            await offer(update, context)


async def hello(update: Update, context: Ctx, *, offer: bool) -> None:
    """Someone new arriving through a deep link: one short welcome and the notifications offer
    (unless the link shows the notifications), before what the link is for."""
    user = update.effective_user
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        context.t("start.hello", name=user.first_name if user else "")
    )
    if offer:
        for first_offer in context.data.first_offers:
            await first_offer(update, context)


async def help_command(update: Update, context: Ctx) -> None:
    assert update.effective_message is not None
    if not is_private(update):
        await group_hello(update, context)
        return
    text = context.t("help.text", email=context.contact_email)
    if context.is_staff_user:
        text += "\n\n" + staff_tools(context)
    await update.effective_message.reply_text(text, reply_markup=main_menu(context))


def staff_tools(context: Ctx) -> str:
    """The staff's commands, from the same list as their Telegram menu: never out of step."""
    specs = sorted((s for s in context.data.commands if s.staff), key=lambda s: s.order)
    lines = [f"/{spec.name} — {escape(context.label(spec.text_key))}" for spec in specs]
    return "\n".join([context.t("help.staff"), *lines])


async def help_link(update: Update, context: Ctx, _rest: str) -> None:
    await help_command(update, context)


async def cancel(update: Update, context: Ctx) -> None:
    """Reached only when no conversation is active: those handle /annulla themselves."""
    assert update.effective_message is not None
    if not is_private(update):
        return
    await update.effective_message.reply_text(
        context.t("cancel.nothing") + "\n" + context.t("menu.title"),
        reply_markup=main_menu(context),
    )


async def language(update: Update, context: Ctx) -> None:
    assert update.effective_message is not None
    if not is_private(update):
        return
    markup = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    ("✅ " if lang == context.lang else "") + LANGUAGE_NAMES[lang],
                    callback_data=BUTTONS.data("set", lang),
                )
                for lang in LANGUAGES
            ]
        ]
    )
    await update.effective_message.reply_text(context.t("lang.choose"), reply_markup=markup)


@BUTTONS.on("set", args=1)
async def on_language(update: Update, context: Ctx, tap: Tap) -> None:
    chosen = tap.args[0]
    if chosen not in LANGUAGES:
        await tap.stale(context)
        return
    await context.people.choose_language(tap.user_id, chosen)
    context.lang = chosen
    await tap.answer()
    await tap.query.edit_message_text(
        context.t("lang.changed") + "\n\n" + context.t("menu.title"),
        reply_markup=main_menu(context),
    )


def register_first(app: Application) -> None:
    """/start, first in group 0: no conversation or other handler takes it (an open staff flow
    was left in group -7), so it need not be matched against all of them first."""
    app.add_handler(CommandHandler("start", start))


def register(app: Application) -> None:
    data = app.bot_data
    data.deep_links["aiuto"] = help_link
    data.deep_links["help"] = help_link
    data.commands.extend(
        [
            CommandSpec("start", "cmd.start", order=0),
            CommandSpec("help", "cmd.help", order=80),
            CommandSpec("lingua", "cmd.lingua", order=85),
            CommandSpec("annulla", "cmd.annulla", order=90),
        ]
    )
    app.add_handler(CommandHandler(["help", "aiuto"], help_command))
    app.add_handler(CommandHandler(["lingua", "language"], language))
    app.add_handler(CommandHandler(["annulla", "cancel"], cancel))
    app.add_handler(BUTTONS.handler())
