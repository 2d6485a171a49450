"""The main menu: the buttons every conversation comes back to.

Callback data `menu:v1:<item>`. Pressing an item edits the menu message in place; "Menu" edits it
back. Features that exist take over their item (`menu_actions`); until then the item explains what
is coming and how to reach the network.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application

from bot import protocols
from bot.callbacks import Tap
from bot.context import Ctx
from bot.flows import edit_or_send
from bot.i18n import LANGUAGES

BUTTONS = protocols.MENU
FEATURE = BUTTONS.feature
_PLACEHOLDERS = {
    "labs": "placeholder.labs",
    "propose": "help.text",  # handlers/proposals owns it
    "scuola": "placeholder.scuola",
    "events": "placeholder.events",
    "notify": "placeholder.notifications",
    "help": "help.text",
}


async def group_hello(update: Update, context: Ctx) -> None:
    """In a group: a word that the bot talks in private, and the button to go there."""
    assert update.effective_message is not None
    link = f"https://t.me/{context.bot.username}?start=gruppo"
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(context.label("group.open_private"), url=link)]]
    )
    await update.effective_message.reply_text(context.t("group.start"), reply_markup=markup)


def main_menu(context: Ctx) -> InlineKeyboardMarkup:
    def button(item: str, key: str) -> InlineKeyboardButton:
        return BUTTONS.button(context.label(key), item)

    return context.keyboard(
        "menu",
        lambda: InlineKeyboardMarkup(
            [
                [button("labs", "menu.labs")],
                [button("propose", "menu.propose")],
                [button("scuola", "menu.scuola"), button("events", "menu.events")],
                [button("notify", "menu.notifications"), button("help", "menu.help")],
                [button("lang", "menu.language")],
            ]
        ),
    )


def back_to_menu(context: Ctx) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[BUTTONS.button("⬅️ Menu", "home")]])


@BUTTONS.on(*_PLACEHOLDERS)
async def on_item(update: Update, context: Ctx, tap: Tap) -> None:
    """The feature that owns the item answers; until there is one, the item explains."""
    await tap.answer()
    action = context.data.menu_actions.get(tap.action)
    if action is not None:
        await action(update, context)
        return
    text = context.t(_PLACEHOLDERS[tap.action], email=context.contact_email)
    await edit_or_send(update, context, text, back_to_menu(context))


@BUTTONS.on("lang")
async def on_language(update: Update, context: Ctx, tap: Tap) -> None:
    """The other language, at once: the menu comes back in it."""
    await tap.answer()
    other = next(lang for lang in LANGUAGES if lang != context.lang)
    await context.people.choose_language(tap.user_id, other)
    context.lang = other
    text = context.t("lang.changed") + "\n\n" + context.t("menu.title")
    await edit_or_send(update, context, text, main_menu(context))


@BUTTONS.on("home")
async def on_home(update: Update, context: Ctx, tap: Tap) -> None:
    await tap.answer()
    await edit_or_send(update, context, context.t("menu.title"), main_menu(context))


def register(app: Application) -> None:
    """The menu's buttons are registered first in group 0 (`handlers/__init__.py`): no other
    handler takes `menu:` buttons, so they need not be matched against all the others."""
    app.add_handler(BUTTONS.handler())
