"""Lab coordinators: the people who run a lab keep its card current and write to its followers.

    card (staff) "👥 Coordinatori" -> who coordinates it, "➕ Invita", "➖ Togli <name>"
    "➕ Invita" -> a one-time link t.me/<bot>?start=coord_<secret>, valid 7 days, and its QR code
    the link opened -> coordinator of that lab; the staff member who invited is told
    "➖ Togli <name>" -> "✅ Sì, togli" -> no longer a coordinator, and told so
    /coordina -> the labs one coordinates, each with its card (where "✏️ Modifica" and
                 "📣 Scrivi a chi lo segue" are)
    every month, once: "La scheda di Spazio Q è ancora giusta?" -> "✅ Tutto giusto" confirms
                 every fact in one tap | "✏️ Aggiorna" opens the editor

What a coordinator may do is checked in every handler, on the server: `Ctx.may_edit_lab`. A
coordinator's name is shown to staff only. Callback data `coord:v1:<action>:<lab>[:<user>]`.
"""

from __future__ import annotations

import io
import logging
import secrets
from datetime import datetime, time, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import Application, CommandHandler, ExtBot

from bot import directory, flows, labview, protocols
from bot.callbacks import Tap
from bot.context import BotData, CommandSpec, Ctx
from bot.flows import edit_or_send
from bot.guards import coordinator_of_tapped_lab, staff_only, staff_or
from bot.i18n import escape
from domain.directory import Lab
from handlers.menu import main_menu

log = logging.getLogger(__name__)

BUTTONS = protocols.COORD
FEATURE = BUTTONS.feature
INVITATION_DAYS = 7
CHECK_AT = time(10, 0)  # the monthly check goes out from 10:00, Italian time
PREFIX = "coord_"


async def refresh(data: BotData) -> None:
    """The roles in memory, from the database (at start and after every change)."""
    found: dict[str, set[int]] = {}
    for coordinator in await data.repo.coordinators.all():
        found.setdefault(coordinator.lab_id, set()).add(coordinator.user_id)
    data.coordinators = {lab: frozenset(people) for lab, people in found.items()}


# --- staff: who coordinates a lab -------------------------------------------------------------


async def show_list(update: Update, context: Ctx, lab: Lab, *, edit: bool) -> None:
    lab_id = lab.id
    people = await context.repo.coordinators.of_lab(lab_id)
    lines = [context.t("coord.list_title", name=lab.name)]
    if people:
        lines += [f"• {escape(p.name)} ({p.added_at:%d/%m/%Y})" for p in people]
    else:
        lines.append(context.t("coord.list_empty"))
    waiting = await context.repo.coordinators.open_invitations(lab_id, context.now())
    rows = [[BUTTONS.button(context.label("coord.invite"), "invite", lab_id)]]
    if waiting:
        lines.append(context.count("coord.waiting", waiting))
        rows.append([BUTTONS.button(context.label("coord.withdraw"), "withdraw", lab_id)])
    rows += [
        [BUTTONS.button(context.label("coord.remove", name=p.name), "rm", lab_id, p.user_id)]
        for p in people
    ]
    rows.append([labview.button(context.label("coord.back_to_card"), "card", lab_id)])
    text, markup = "\n".join(lines), InlineKeyboardMarkup(rows)
    await edit_or_send(update, context, text, markup, edit=edit)


async def _staff_lab(context: Ctx, tap: Tap) -> Lab | None:
    """The lab a staff button names, in a private chat; None, the tap answered, otherwise."""
    if not context.in_private:
        await tap.answer(context.label("labedit.private_only"), alert=True)
        return None
    lab = context.data.labs.current.any_lab(tap.args[0])
    if lab is None:
        await tap.stale(context)
    return lab


@BUTTONS.on("list", args=1)
@staff_only
async def list_tapped(update: Update, context: Ctx, tap: Tap) -> None:
    if (lab := await _staff_lab(context, tap)) is not None:
        await tap.answer()
        await show_list(update, context, lab, edit=False)


@BUTTONS.on("invite", args=1)
@staff_only
async def invite_tapped(update: Update, context: Ctx, tap: Tap) -> None:
    if (lab := await _staff_lab(context, tap)) is not None:
        await tap.answer()
        await invite(update, context, lab.id)


@BUTTONS.on("withdraw", args=1)
@staff_only
async def withdraw(update: Update, context: Ctx, tap: Tap) -> None:
    if (lab := await _staff_lab(context, tap)) is None:
        return
    withdrawn = await context.repo.coordinators.revoke_invitations(lab.id)
    log.info("staff withdrew %d invitations of lab %s", withdrawn, lab.id)
    await tap.answer(context.label("coord.withdrawn"))
    await show_list(update, context, lab, edit=True)


async def _coordinator(context: Ctx, tap: Tap) -> tuple[Lab, int] | None:
    """The lab and the coordinator a remove button names; None, the tap answered, when the
    person no longer coordinates it."""
    if (lab := await _staff_lab(context, tap)) is None:
        return None
    user_id = int(tap.args[1]) if tap.args[1].isdigit() else 0
    if not context.coordinates(lab.id, user_id):
        await tap.answer(context.label("coord.already_removed"), alert=True)
        return None
    return lab, user_id


@BUTTONS.on("rm", args=2)
@staff_only
async def ask_remove(update: Update, context: Ctx, tap: Tap) -> None:
    if (found := await _coordinator(context, tap)) is None:
        return
    lab, user_id = found
    await tap.answer()
    rows = [
        [BUTTONS.button(context.label("coord.remove_yes"), "rmyes", lab.id, user_id)],
        [BUTTONS.button(context.label("coord.remove_no"), "list", lab.id)],
    ]
    await edit_or_send(
        update, context, context.t("coord.remove_ask", name=lab.name), InlineKeyboardMarkup(rows)
    )


@BUTTONS.on("rmyes", args=2)
@staff_only
async def remove(update: Update, context: Ctx, tap: Tap) -> None:
    if (found := await _coordinator(context, tap)) is None:
        return
    lab, user_id = found
    await context.repo.coordinators.remove(lab.id, user_id)
    await refresh(context.data)
    log.info("a coordinator of lab %s was removed by staff", lab.id)
    await tap.answer(context.label("coord.removed"))
    closed = flows.close_if_role_lost(context.application, user_id)  # her open editor
    await _tell(context, user_id, "coord.you_were_removed", closed=closed, name=lab.name)
    await show_list(update, context, lab, edit=True)


async def invite(update: Update, context: Ctx, lab_id: str) -> None:
    lab = context.data.labs.current.any_lab(lab_id)
    user = update.effective_user
    assert lab is not None and user is not None
    token = secrets.token_urlsafe(16)  # 22 characters of A-Za-z0-9_-: a /start payload
    now = context.now()
    expires = now + timedelta(days=INVITATION_DAYS)
    await context.repo.coordinators.invite(token, lab_id, user.id, now, expires)
    link = f"https://t.me/{context.bot.username}?start={PREFIX}{token}"
    tz = context.config.scheduler.tz
    text = context.t(
        "coord.invitation",
        name=lab.name,
        link=link,
        days=context.count("coord.days", INVITATION_DAYS),
        expires=f"{expires.astimezone(tz):%d/%m/%Y %H:%M}",
    )
    await context.bot.send_message(user.id, text)
    import segno  # first use: only staff make QR codes

    image = io.BytesIO()
    segno.make(link, error="m").save(image, kind="png", scale=10, border=4)
    await context.bot.send_photo(
        user.id,
        image.getvalue(),
        filename=f"invito-{lab_id}.png",
        caption=context.label("coord.invitation_qr", name=lab.name),
    )
    log.info("staff created an invitation for lab %s", lab_id)


# --- the invitation opened --------------------------------------------------------------------


async def redeem(update: Update, context: Ctx, token: str) -> None:
    message = update.effective_message
    user = update.effective_user
    assert message is not None and user is not None
    now = context.now()
    result = await context.repo.coordinators.redeem(token, user.id, user.full_name, now)
    lab = context.data.labs.current.any_lab(result.lab_id) if result.lab_id else None
    if result.outcome in ("ok", "already") and lab is None:  # the lab is gone since
        await context.repo.coordinators.remove(result.lab_id or "", user.id)
        result = type(result)("unknown")
    if result.outcome not in ("ok", "already"):  # with the menu: never a dead end
        await message.reply_text(
            context.t(f"coord.link_{result.outcome}", email=context.contact_email),
            reply_markup=main_menu(context),
        )
        log.info("an invitation was refused: %s", result.outcome)
        return
    assert lab is not None
    await refresh(context.data)
    rows = [[labview.button(context.label("coord.open_card", name=lab.name), "card", lab.id)]]
    key = "coord.welcome" if result.outcome == "ok" else "coord.already"
    await message.reply_text(context.t(key, name=lab.name), reply_markup=InlineKeyboardMarkup(rows))
    if result.outcome == "ok" and result.created_by:
        await _tell(
            context, result.created_by, "coord.staff_told", who=user.full_name, name=lab.name
        )
        log.info("a new coordinator for lab %s", lab.id)


redeem.own_welcome = True  # type: ignore[attr-defined]  # no generic hello before it (core)


async def _tell(
    context: Ctx, user_id: int, key: str, *, closed: str | None = None, **values: object
) -> None:
    """A message to someone else, in their language (with the flow of theirs that was `closed`,
    if any); a failure is logged, not raised."""
    lang = context.people.language(user_id)
    text = context.data.texts.text(lang, key, **values)
    if closed is not None:
        text += "\n\n" + flows.role_lost_text(context.data, lang, closed)
    try:
        await context.bot.send_message(user_id, text)
    except TelegramError as exc:
        log.info("could not tell a user about a coordinator change: %s", type(exc).__name__)


# --- the coordinator's own ---------------------------------------------------------------------


async def my_labs(update: Update, context: Ctx) -> None:
    message = update.effective_message
    assert message is not None
    current = context.data.labs.current
    mine = [lab for lab_id in context.coordinated_labs() if (lab := current.any_lab(lab_id))]
    if not mine or not context.in_private:
        await message.reply_text(context.t("coord.none", email=context.contact_email))
        return
    rows = [[labview.button(lab.name, "card", lab.id)] for lab in mine]
    await message.reply_text(context.t("coord.mine"), reply_markup=InlineKeyboardMarkup(rows))


@BUTTONS.on("ok", args=1)
@staff_or(coordinator_of_tapped_lab(BUTTONS))
async def on_confirm(update: Update, context: Ctx, tap: Tap) -> None:
    """ "✅ Tutto giusto": every fact of the card confirmed now, by this person."""
    lab = context.data.labs.current.any_lab(tap.args[0])
    if lab is None:
        await tap.stale(context)
        return
    await context.repo.lab_edits.add(lab.id, "confirmed", None, tap.user_id, context.now())
    await directory.reapply_edits(context.data)
    await tap.answer(context.label("coord.confirmed_alert"))
    await edit_or_send(update, context, context.t("coord.confirmed", name=lab.name), None)


# --- staff: how complete and fresh the data is --------------------------------------------------

STALE_AFTER = timedelta(days=183)  # about six months
MESSAGE_LIMIT = 3500  # below Telegram's 4,096, counting the HTML markup generously


@staff_only
async def data_report(update: Update, context: Ctx) -> None:
    """/dati: for every lab, the facts missing, those not confirmed in the last six months (or
    never confirmed in the chat: the data file's come from 2018-2020 sources), and who
    coordinates it."""
    message = update.effective_message
    assert message is not None
    now = context.now()
    people: dict[str, list[str]] = {}
    for coordinator in await context.repo.coordinators.all():
        people.setdefault(coordinator.lab_id, []).append(coordinator.name)
    blocks = [context.t("dati.title")]
    for lab in context.data.labs.current.labs:
        facts = directory.facts_of(lab)
        confirmed = context.data.labs.confirmed.get(lab.id, {})
        missing = [f for f, present in facts.items() if not present]
        old = [
            f
            for f, present in facts.items()
            if present and (f not in confirmed or now - confirmed[f] > STALE_AFTER)
        ]
        label = lambda fs: ", ".join(context.label(f"dati.fact.{f}") for f in fs)  # noqa: E731
        lines = [f"<b>{escape(lab.name)}</b>" + (" 🙈" if lab.hidden else "")]
        names = people.get(lab.id, [])
        lines.append(
            context.t("dati.coordinators", names=", ".join(names))
            if names
            else context.t("dati.no_coordinator")
        )
        lines.append(context.t("dati.missing", facts=label(missing)) if missing else "")
        lines.append(context.t("dati.old", facts=label(old)) if old else "")
        if not missing and not old:
            lines.append(context.t("dati.all_fresh"))
        blocks.append("\n".join(line for line in lines if line))
    # Many labs make a long table: sent in as many messages as Telegram's 4,096 characters need.
    chunk: list[str] = []
    for block in blocks:
        if chunk and len("\n\n".join([*chunk, block])) > MESSAGE_LIMIT:
            await message.reply_text("\n\n".join(chunk))
            chunk = []
        chunk.append(block)
    await message.reply_text("\n\n".join(chunk))


# --- the monthly check --------------------------------------------------------------------------


async def send_checks(data: BotData, bot: ExtBot[str], now: datetime) -> int:
    """Once a month, to each coordinator of each lab: is the card still right? Recorded before
    it is sent, so a restart or a second run in the same month sends nothing again."""
    tz = data.config.scheduler.tz
    month = f"{now.astimezone(tz):%Y-%m}"
    sent = 0
    for coordinator in await data.repo.coordinators.all():
        lab = data.labs.current.any_lab(coordinator.lab_id)
        if lab is None:
            continue
        if not await data.repo.coordinators.check_due(lab.id, coordinator.user_id, month, now):
            continue
        lang = data.people.language(coordinator.user_id)
        rows = [
            [BUTTONS.button(data.texts.plain(lang, "coord.all_right"), "ok", lab.id)],
            [
                InlineKeyboardButton(
                    data.texts.plain(lang, "coord.update"),
                    callback_data=protocols.LAB_EDIT.data("menu", lab.id),
                )
            ],
        ]
        updated = data.labs.updated(lab.id)
        text = data.texts.text(lang, "coord.check", name=lab.name)
        if updated is not None:
            day = updated.astimezone(tz).date()
            text += "\n" + data.texts.text(lang, "card.updated", date=f"{day:%d/%m/%Y}")
        try:
            await bot.send_message(
                coordinator.user_id, text, reply_markup=InlineKeyboardMarkup(rows)
            )
            sent += 1
        except TelegramError as exc:
            log.info("the monthly check could not be sent: %s", type(exc).__name__)
    if sent:
        log.info("monthly checks sent: %d", sent)
    return sent


async def _check_job(context: Ctx) -> None:
    await send_checks(context.data, context.bot, context.now())


def register(app: Application) -> None:
    data: BotData = app.bot_data

    async def start(data: BotData) -> None:
        await refresh(data)
        if app.job_queue is not None:
            at = CHECK_AT.replace(tzinfo=data.config.scheduler.tz)
            app.job_queue.run_daily(_check_job, at, name="coord-check")

    data.startup.append(start)
    data.deep_links[PREFIX] = redeem
    data.commands.append(CommandSpec("dati", "cmd.dati", staff=True, order=60))
    app.add_handler(CommandHandler(["dati", "data"], data_report))
    app.add_handler(CommandHandler(["coordina", "coordinate"], my_labs))
    app.add_handler(BUTTONS.handler())
