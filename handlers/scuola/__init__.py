"""The Scuola dei Laboratori Sociali, one module per seam:

- `editions`: what the Scuola is and its open editions, as people see them (/scuola);
- `form`: the sign-up form, a state machine kept in the database (handler group -1);
- `signups`: a sign-up's lifecycle (stored, changed, cancelled, promoted from the waiting list)
  with the organisers' e-mails and the calendar file;
- `staff`: the staff's tools (/edizioni, /iscrizioni with the CSV for Excel).

This module routes the buttons outside the form (`scuola:v1:<action>[:<arg>...]`) and
registers the whole feature.
"""

from __future__ import annotations

import contextlib

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, TypeHandler

from bot.callbacks import Tap
from bot.context import BotData, CommandSpec, Ctx
from bot.flows import edit_or_send
from domain.scuola import Draft
from handlers.scuola import editions, form, signups, staff
from storage.scuola import Signup

# --- buttons outside the form --------------------------------------------------------------------


BUTTONS = editions.BUTTONS  # the form's own (`f:<step>:<value>`) are routed in `form`


@BUTTONS.on("join", args=1)
async def join(update: Update, context: Ctx, tap: Tap) -> None:
    edition = await context.repo.editions.get(tap.args[0])
    if edition is None or not edition.accepts(context.now()):
        await tap.answer(context.label("scuola.edition_closed_alert"), alert=True)
        return
    await tap.answer()
    await form.start_form(update, context, edition)


@BUTTONS.on("notify", args=1)
async def notify(update: Update, context: Ctx, tap: Tap) -> None:
    """Told when an edition opens (`on`), or no longer."""
    on = tap.args[0] == "on"
    await context.repo.subscriptions.set(tap.user_id, "scuola", on, context.now())
    key = "scuola.notify_set" if on else "scuola.notify_unset"
    await tap.answer(context.label(key))
    await context.bot.send_message(tap.user_id, context.t(key))


@BUTTONS.on("mine")
async def mine(update: Update, context: Ctx, tap: Tap) -> None:
    await tap.answer()
    await signups.mine(update, context)


@BUTTONS.on("cancel", args=1)
async def ask_cancel(update: Update, context: Ctx, tap: Tap) -> None:
    await tap.answer()
    rows = [[editions.button(context.label("scuola.cancel_yes"), "cancelok", tap.args[0])],
            [editions.button(context.label("scuola.cancel_no"), "keep", tap.args[0])]]  # fmt: skip
    await context.bot.send_message(
        tap.user_id, context.t("scuola.cancel_sure"), reply_markup=InlineKeyboardMarkup(rows)
    )


@BUTTONS.on("cancelok", args=1)
async def cancel(update: Update, context: Ctx, tap: Tap) -> None:
    if not tap.args[0].isdigit():
        await tap.stale(context)
        return
    await tap.answer()
    message = tap.query.message
    if message is not None and getattr(message, "reply_markup", None) is not None:
        with contextlib.suppress(TelegramError):  # the question is answered: its buttons go
            await tap.query.edit_message_reply_markup(None)
    await signups.do_cancel(update, context, int(tap.args[0]))


@BUTTONS.on("keep", more=True)
async def keep(update: Update, context: Ctx, tap: Tap) -> None:
    """ "No, keep it": true only while the sign-up the button names is still there."""
    await tap.answer()
    signup = (
        await context.repo.signups.get(int(tap.args[0]))
        if tap.args and tap.args[0].isdigit()
        else None
    )
    if signup is not None and signup.user_id == tap.user_id and signup.status == "cancelled":
        text = context.t("scuola.already_cancelled", code=signup.code)
    else:
        text = context.t("scuola.kept")
    await edit_or_send(update, context, text, None)


async def _own_signup(context: Ctx, tap: Tap) -> Signup | None:
    """The person's own sign-up a button names, not cancelled; None, the tap answered as
    stale, otherwise."""
    signup = await context.repo.signups.get(int(tap.args[0])) if tap.args[0].isdigit() else None
    if signup is None or signup.user_id != tap.user_id or signup.status == "cancelled":
        await tap.stale(context)
        return None
    return signup


@BUTTONS.on("update", args=1)
async def change(update: Update, context: Ctx, tap: Tap) -> None:
    """Change a sign-up: the form again, at its summary, with the answers given."""
    signup = await _own_signup(context, tap)
    if signup is None:
        return
    await tap.answer()
    draft = Draft(tap.user_id, "summary", form.answers(signup), update_of=signup.id)
    await form.save(context, draft)
    await form.ask(update, context, draft)


@BUTTONS.on("ics", args=1)
async def calendar_file(update: Update, context: Ctx, tap: Tap) -> None:
    """The calendar file of a confirmed sign-up's sessions."""
    signup = await _own_signup(context, tap)
    if signup is None:
        return
    edition = await context.repo.editions.get(signup.edition_id)
    if edition is None or signup.status != "confirmed" or not edition.sessions:
        await tap.stale(context)
        return
    await tap.answer()
    await signups.send_calendar(context, tap.user_id, edition, code=signup.code)


async def scuola_command(update: Update, context: Ctx) -> None:
    await editions.show(update, context)


async def mine_command(update: Update, context: Ctx) -> None:
    if update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE:
        return
    await signups.mine(update, context)


async def startup(data: BotData) -> None:
    await (await editions.prepare_editions(data))()
    await form.load_drafts(data)


def register(app: Application) -> None:
    """Editions, the form, sign-ups: for everyone."""
    data: BotData = app.bot_data
    data.startup.append(startup)
    data.reloaders.append(editions.prepare_editions)
    data.menu_actions["scuola"] = editions.show
    data.promoted_notice = signups.tell_promoted
    data.deep_links["scuola"] = editions.scuola_link
    data.commands.extend(
        [
            CommandSpec("scuola", "cmd.scuola", order=20),
            CommandSpec("mie_iscrizioni", "cmd.mie_iscrizioni", order=21),
        ]
    )
    app.add_handler(TypeHandler(Update, form.form), group=form.GROUP)
    app.add_handler(CommandHandler(["scuola", "school"], scuola_command))
    app.add_handler(CommandHandler(["mie_iscrizioni", "iscrizioni_mie"], mine_command))
    app.add_handler(BUTTONS.handler())


def register_staff(app: Application) -> None:
    """/edizioni and /iscrizioni (with the other staff conversations, in `register_all`)."""
    staff.register(app)
