"""/staff: administrators add and remove staff from the chat.

Staff and administrators named in config.toml stay as they are (they are changed only there);
people added here are kept in the `staff` table and get the staff menu at once. Every staff
handler checks the role itself (`handlers.guards`), so adding or removing someone takes effect on
their very next update, whatever menu their Telegram app still shows.

    /staff -> list with "➕ Aggiungi" and "➖ Togli <id>" buttons
    ➕ -> ADDING: a "choose the person" button (Telegram's user picker) or their numeric id typed
    ➖ -> "Sì, togli" / "No" -> list

Callback data `staff:v1:<action>[:<user id>]`.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    KeyboardButtonRequestUsers,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import Tap
from bot.context import BotData, CommandSpec, Ctx
from bot.flows import Flow, close_if_role_lost, edit_or_send, role_lost_text
from bot.guards import admin_only
from bot.i18n import Html
from bot.profile import publish_staff_menu, withdraw_staff_menu

log = logging.getLogger(__name__)

ADDING = 0
REQUEST_ID = 1
_ID = re.compile(r"^\s*(\d{4,15})\s*$")


@dataclass
class Draft:
    """Nothing to keep between steps: the person is chosen in one."""


FLOW = Flow(
    "staff",
    Draft,
    name="flow.name.staff",
    cancelled="roles.cancelled",
    timeout_s=15 * 60,
    may_stay=lambda data, user_id, _draft: user_id in data.admin_ids,
)
FEATURE = FLOW.feature
_button = FLOW.button


def _person(user_id: int) -> str:
    """A link that Telegram shows as the person's name; the bot itself stores no name."""
    return f'<a href="tg://user?id={user_id}">{user_id}</a>'


def _id_html(user_id: int) -> Html:
    return Html(_person(user_id))


async def refresh(data: BotData) -> None:
    data.chat_staff = await data.repo.staff.ids()


async def _list_view(context: Ctx) -> tuple[str, InlineKeyboardMarkup]:
    data = context.data
    lines = [context.t("roles.title"), "", context.t("roles.from_config")]
    for user_id in sorted(data.config_staff):
        role = context.label("roles.admin") if user_id in data.admin_ids else ""
        lines.append(f"• {_person(user_id)} {role}".rstrip())
    if not data.config_staff:
        lines.append(context.t("roles.nobody"))
    lines += ["", context.t("roles.from_chat")]
    members = [m for m in await context.repo.staff.all() if m.user_id not in data.config_staff]
    rows = [[_button(context.label("roles.add"), "add")]]
    for member in members:
        lines.append(f"• {_person(member.user_id)}")
        rows.append(
            [_button(context.label("roles.remove", id=member.user_id), "rm", member.user_id)]
        )
    if not members:
        lines.append(context.t("roles.nobody"))
    # The lines above are built from texts already escaped and numeric ids.
    return "\n".join(lines), InlineKeyboardMarkup(rows)


@FLOW.on("list")
@admin_only
async def show(update: Update, context: Ctx, tap: Tap | None = None) -> int:
    """/staff, or back to the list from its buttons (`tap`)."""
    if tap is not None:
        await tap.answer()
    text, markup = await _list_view(context)
    await edit_or_send(update, context, text, markup)
    return ConversationHandler.END


@FLOW.on("add")
@admin_only
async def ask_person(update: Update, context: Ctx, tap: Tap) -> int:
    await tap.answer()
    FLOW.begin(context)
    assert update.effective_chat is not None
    picker = KeyboardButton(
        context.label("roles.pick"),
        request_users=KeyboardButtonRequestUsers(REQUEST_ID, user_is_bot=False, max_quantity=1),
    )
    markup = ReplyKeyboardMarkup(
        [[picker], [context.label("roles.cancel")]], resize_keyboard=True, one_time_keyboard=True
    )
    await context.bot.send_message(
        update.effective_chat.id, context.t("roles.ask_person"), reply_markup=markup
    )
    return ADDING


@admin_only
async def got_person(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None and update.effective_user is not None
    if message.users_shared and message.users_shared.users:
        user_id = message.users_shared.users[0].user_id
    elif message.text and (match := _ID.match(message.text)):
        user_id = int(match.group(1))
    elif message.text == context.label("roles.cancel"):
        return await FLOW.cancel(update, context)
    else:
        await message.reply_text(context.t("roles.not_an_id"))
        return ADDING
    done = ReplyKeyboardRemove()
    if user_id in context.data.staff_ids:
        await message.reply_text(
            context.t("roles.already", person=_id_html(user_id)), reply_markup=done
        )
        return ConversationHandler.END
    await context.repo.staff.add(user_id, update.effective_user.id, context.now())
    await refresh(context.data)
    log.info("an administrator added a staff member")
    await publish_staff_menu(context.application, user_id)
    try:
        lang = context.people.language(user_id)
        await context.bot.send_message(user_id, context.data.texts.text(lang, "roles.welcome"))
        told = context.t("roles.added", person=_id_html(user_id))
    except TelegramError:
        told = context.t("roles.added_not_told", person=_id_html(user_id))
    await message.reply_text(told, reply_markup=done)
    text, markup = await _list_view(context)
    await message.reply_text(text, reply_markup=markup)
    return ConversationHandler.END


async def _close_lost_flow(context: Ctx, user_id: int) -> None:
    """A staff tool the person had open closes now, and they are told (in their language)."""
    closed = close_if_role_lost(context.application, user_id)
    if closed is None:
        return
    lang = context.people.language(user_id)
    try:
        await context.bot.send_message(
            user_id,
            role_lost_text(context.data, lang, closed),
            reply_markup=ReplyKeyboardRemove(),
        )
    except TelegramError as exc:
        log.info("could not tell a former staff member their tool was closed: %s", exc)


async def _member(context: Ctx, tap: Tap) -> int | None:
    """The staff member a remove button names; None (the tap answered) when there is none to
    remove from the chat: a forged id, or someone named in config.toml."""
    try:
        user_id = int(tap.args[0])
    except ValueError:
        await tap.stale(context)
        return None
    if user_id in context.data.config_staff:
        await tap.answer(context.label("roles.in_config"), alert=True)
        return None
    return user_id


@FLOW.on("rm", args=1)
@admin_only
async def ask_remove(update: Update, context: Ctx, tap: Tap) -> int:
    user_id = await _member(context, tap)
    if user_id is None:
        return ConversationHandler.END
    await tap.answer()
    markup = InlineKeyboardMarkup(
        [
            [_button(context.label("roles.remove_yes"), "rmyes", user_id)],
            [_button(context.label("roles.remove_no"), "list")],
        ]
    )
    await edit_or_send(
        update, context, context.t("roles.remove_ask", person=_id_html(user_id)), markup
    )
    return ConversationHandler.END


@FLOW.on("rmyes", args=1)
@admin_only
async def remove(update: Update, context: Ctx, tap: Tap) -> int:
    user_id = await _member(context, tap)
    if user_id is None:
        return ConversationHandler.END
    removed = await context.repo.staff.remove(user_id)
    await refresh(context.data)
    await tap.answer(context.label("roles.removed" if removed else "roles.not_staff"))
    if removed:
        log.info("an administrator removed a staff member")
        await withdraw_staff_menu(context.application, user_id)
        await _close_lost_flow(context, user_id)
    return await show(update, context)


def register(app: Application) -> None:
    data: BotData = app.bot_data
    data.commands.append(CommandSpec("staff", "cmd.staff", staff=True, order=90))
    data.startup.append(refresh)
    private = filters.ChatType.PRIVATE
    app.add_handler(
        FLOW.conversation(
            app,
            entry_points=[FLOW.handler("add")],
            states={
                ADDING: [
                    MessageHandler(private & filters.StatusUpdate.USERS_SHARED, got_person),
                    MessageHandler(private & filters.TEXT & ~filters.COMMAND, got_person),
                ],
            },
            on_cancel=admin_only(FLOW.cancel),
            on_stale=FLOW.dispatch,  # the list's buttons still work while a person is being chosen
        )
    )
    app.add_handler(CommandHandler("staff", show))
    app.add_handler(FLOW.handler())
