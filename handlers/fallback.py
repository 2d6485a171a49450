"""The last word: whatever no feature handled gets a short, kind answer (private chats only).

In groups the bot speaks only when addressed (a command for it, a mention, a reply to it); channel
posts and service messages are ignored.
"""

from __future__ import annotations

from telegram import Message, Update
from telegram.ext import Application, CallbackQueryHandler, MessageHandler, filters

from bot.context import Ctx
from handlers.menu import group_hello, main_menu

_MEDIA_KINDS = (
    "photo",
    "sticker",
    "animation",
    "voice",
    "audio",
    "video",
    "video_note",
    "document",
    "contact",
    "location",
    "poll",
)


def media_kind(message: Message) -> str:
    for kind in _MEDIA_KINDS:
        if getattr(message, kind, None):
            return {"video_note": "video"}.get(kind, kind)
    return "other"


async def unknown_command(update: Update, context: Ctx) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    command = message.text.split()[0].split("@")[0]
    await message.reply_text(
        context.t("fallback.command", command=command[:40]), reply_markup=main_menu(context)
    )


async def not_understood(update: Update, context: Ctx) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        context.t("fallback.text"), reply_markup=main_menu(context)
    )


async def media(update: Update, context: Ctx) -> None:
    message = update.effective_message
    assert message is not None
    kind = context.label(f"media.{media_kind(message)}")
    await message.reply_text(
        context.t("fallback.media", kind=kind), reply_markup=main_menu(context)
    )


async def edited(update: Update, context: Ctx) -> None:
    assert update.edited_message is not None
    await update.edited_message.reply_text(context.t("fallback.edited"))


async def addressed_in_group(update: Update, context: Ctx) -> None:
    await group_hello(update, context)


async def stale_button(update: Update, context: Ctx) -> None:
    assert update.callback_query is not None
    await update.callback_query.answer(context.label("button.stale"), show_alert=True)


class _AddressedToBot(filters.MessageFilter):
    """A group message that mentions the bot or replies to one of its messages."""

    def filter(self, message: Message) -> bool:
        bot = message.get_bot()
        reply = message.reply_to_message
        if reply and reply.from_user and reply.from_user.id == bot.id:
            return True
        text = message.text or message.caption or ""
        return f"@{bot.username}".lower() in text.lower()


def register(app: Application) -> None:
    private = filters.ChatType.PRIVATE
    groups = filters.ChatType.GROUPS
    new_message = filters.UpdateType.MESSAGE
    app.add_handler(MessageHandler(private & new_message & filters.COMMAND, unknown_command))
    app.add_handler(MessageHandler(private & new_message & filters.TEXT, not_understood))
    # A live location is a stream of edits: those are not edits to complain about.
    app.add_handler(
        MessageHandler(private & filters.UpdateType.EDITED_MESSAGE & ~filters.LOCATION, edited)
    )
    app.add_handler(MessageHandler(private & new_message & ~filters.StatusUpdate.ALL, media))
    # Known commands in a group are answered by their own handlers (they check the chat type);
    # an unknown command for this bot, a mention or a reply gets a pointer to the private chat.
    app.add_handler(MessageHandler(groups & new_message & _AddressedToBot(), addressed_in_group))
    app.add_handler(CallbackQueryHandler(stale_button))
