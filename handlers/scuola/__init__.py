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

from telegram import InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, CallbackQueryHandler, CommandHandler, TypeHandler

from bot.context import BotData, CommandSpec, Ctx
from bot.flows import edit_or_send, stale
from domain.scuola import Draft
from handlers.scuola import editions, form, signups, staff

# --- buttons outside the form --------------------------------------------------------------------


async def on_button(update: Update, context: Ctx) -> None:
    query = update.callback_query
    assert query is not None and query.from_user is not None
    parsed = await editions.BUTTONS.pressed(update, context)
    if parsed is None or parsed.action == "f":  # a form button, and no form open: stale
        if parsed is not None:
            await stale(update, context)
        return
    action, args = parsed.action, parsed.args
    if action == "join" and args:
        edition = await context.repo.editions.get(args[0])
        if edition is None or not edition.accepts(context.now()):
            await query.answer(context.label("scuola.edition_closed_alert"), show_alert=True)
            return
        await query.answer()
        await form.start_form(update, context, edition)
    elif action == "notify" and args:
        on = args[0] == "on"
        await context.repo.subscriptions.set(query.from_user.id, "scuola", on, context.now())
        await query.answer(context.label("scuola.notify_set" if on else "scuola.notify_unset"))
        await context.bot.send_message(
            query.from_user.id, context.t("scuola.notify_set" if on else "scuola.notify_unset")
        )
    elif action == "mine":
        await query.answer()
        await signups.mine(update, context)
    elif action == "cancel" and args:
        await query.answer()
        rows = [[editions.button(context.label("scuola.cancel_yes"), "cancelok", args[0])],
                [editions.button(context.label("scuola.cancel_no"), "keep")]]  # fmt: skip
        await context.bot.send_message(
            query.from_user.id,
            context.t("scuola.cancel_sure"),
            reply_markup=InlineKeyboardMarkup(rows),
        )
    elif action == "cancelok" and args and args[0].isdigit():
        await query.answer()
        await signups.do_cancel(update, context, int(args[0]))
    elif action == "update" and args and args[0].isdigit():
        signup = await context.repo.signups.get(int(args[0]))
        if signup is None or signup.user_id != query.from_user.id or signup.status == "cancelled":
            await stale(update, context)
            return
        await query.answer()
        data = {**form.answers(signup), "edition": signup.edition_id, "_update": signup.id,
                "consent_at": signup.consent_at.isoformat()}  # fmt: skip
        draft = Draft(query.from_user.id, "summary", data)
        await form.save(context, draft)
        await form.ask(update, context, draft)
    elif action == "ics" and args and args[0].isdigit():
        signup = await context.repo.signups.get(int(args[0]))
        edition = await context.repo.editions.get(signup.edition_id) if signup else None
        if signup is None or signup.user_id != query.from_user.id or edition is None:
            await stale(update, context)
            return
        if signup.status != "confirmed" or not edition.sessions:
            await stale(update, context)
            return
        await query.answer()
        await signups.send_calendar(context, query.from_user.id, edition, code=signup.code)
    elif action == "keep":
        await query.answer()
        await edit_or_send(update, context, context.t("scuola.kept"), None)
    else:
        await stale(update, context)


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
    app.add_handler(CallbackQueryHandler(on_button, pattern=editions.BUTTONS.any_version))


def register_staff(app: Application) -> None:
    """/edizioni and /iscrizioni (with the other staff conversations, in `register_all`)."""
    staff.register(app)
