"""Privacy: the notice (/privacy), a copy of one's data (/miei_dati), erasure (/cancellami), and
the retention periods of `[privacy]` applied every night.

Asking what is stored, or to be forgotten, does not itself store anything: these commands and
their buttons are not recorded for someone the bot does not know (`quiet` in the user tracker).
They work only in a private chat; in a group the bot offers a link to one.

Callback data `privacy:v1:<action>`: export, erase (asks), eraseyes, eraseno.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, time, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler

from bot.callbacks import Buttons, Tap
from bot.context import BotData, CommandSpec, Ctx
from bot.flows import edit_or_send
from bot.mail import ERASURE, forget_files, message_id_domain
from bot.mail import sender as mail_sender
from bot.scuola_mail import mail_for
from domain.mail import compose, new_message_id, thread_id
from domain.scuola import Edition
from storage.outbox import NewMail
from storage.scuola import Signup

log = logging.getLogger(__name__)

FEATURE = "privacy"
COMMANDS = ("privacy", "miei_dati", "my_data", "cancellami", "delete_me")
JOB = "privacy:retention"
RUN_AT = time(3, 30)  # every night, Italian time


BUTTONS = Buttons(FEATURE)
_button = BUTTONS.button


async def _private(update: Update, context: Ctx, tap: Tap | None = None) -> bool:
    """In a group: never personal data there; a link to the private chat instead."""
    chat = update.effective_chat
    if chat is not None and chat.type == "private":
        return True
    link = f"https://t.me/{context.bot.username}?start=privacy"
    markup = InlineKeyboardMarkup(
        [[InlineKeyboardButton(context.label("privacy.open_private"), url=link)]]
    )
    if tap is not None:
        await tap.answer(context.label("privacy.private_only"), alert=True)
    elif update.effective_message is not None:
        await update.effective_message.reply_text(
            context.t("privacy.private_only"), reply_markup=markup
        )
    return False


def notice(context: Ctx) -> tuple[str, InlineKeyboardMarkup]:
    settings = context.config.privacy
    text = context.t(
        "privacy.notice",
        controller=settings.controller,
        contact=settings.contact,
        signups_months=context.count("n.months", settings.signups_months),
        questions_days=context.count("n.days", settings.questions_days),
        messages_days=context.count("n.days", settings.messages_days),
        inactive_months=context.count("n.months", settings.inactive_months),
    )
    markup = InlineKeyboardMarkup(
        [
            [_button(context.label("privacy.export_button"), "export")],
            [_button(context.label("privacy.erase_button"), "erase")],
        ]
    )
    return text, markup


async def show_notice(update: Update, context: Ctx) -> None:
    text, markup = notice(context)
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


async def privacy_command(update: Update, context: Ctx) -> None:
    if await _private(update, context):
        await show_notice(update, context)


async def privacy_link(update: Update, context: Ctx, _payload: str) -> None:
    await show_notice(update, context)


# --- a copy of one's data -------------------------------------------------------------------------


@BUTTONS.on("export")
async def export(update: Update, context: Ctx, tap: Tap | None = None) -> None:
    """/miei_dati, or its button (`tap`): a copy of what the bot holds of the person."""
    if not await _private(update, context, tap):
        return
    user = update.effective_user
    assert user is not None
    if tap is not None:
        await tap.answer()
    await context.data.write_behind()  # the last second of "last seen" too
    stored = await context.repo.privacy.export(user.id)
    document = {
        "about": context.label("privacy.export_about", contact=context.config.privacy.contact),
        "generated_at": context.now().isoformat(),
        "telegram_user_id": user.id if stored["user"] else None,
        **stored,
    }
    empty = stored["user"] is None and not any(v for k, v in stored.items() if k != "user")
    payload = json.dumps(document, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    await context.bot.send_document(
        user.id,
        document=payload,
        filename="miei-dati-laboratori-sociali.json",
        caption=context.t("privacy.export_empty" if empty else "privacy.export_caption"),
    )
    log.info("a person downloaded their data")


# --- erasure --------------------------------------------------------------------------------------


@BUTTONS.on("erase")
async def ask_erase(update: Update, context: Ctx, tap: Tap | None = None) -> None:
    """/cancellami, or its button (`tap`): what erasing means, to confirm."""
    if not await _private(update, context, tap):
        return
    if tap is not None:
        await tap.answer()
    user = update.effective_user
    assert user is not None
    signups = [s for s in await context.repo.signups.of_user(user.id) if s.status != "cancelled"]
    markup = InlineKeyboardMarkup(
        [
            [_button(context.label("privacy.erase_yes"), "eraseyes")],
            [_button(context.label("privacy.erase_no"), "eraseno")],
        ]
    )
    text = context.t("privacy.erase_ask")
    if signups:
        text += "\n\n" + context.t("privacy.erase_signups", count=len(signups))
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)


def _ended(edition: Edition, now: datetime) -> bool:
    return bool(edition.sessions) and edition.sessions[-1].ends_at <= now


def erasure_mail(data: BotData, withdrawn: list[tuple[Signup, Edition]], now: datetime) -> NewMail:
    """To the organisers: which sign-ups were withdrawn. Codes only: after the erasure the bot
    keeps nothing else, and the organisers find the person in their own earlier e-mails."""
    texts, tz = data.texts, data.config.scheduler.tz
    fields = [(texts.plain("it", "mail.code"), s.code) for s, _ in withdrawn]
    fields += [(texts.plain("it", "mail.edition"), e.title) for _, e in withdrawn[:1]]
    domain = message_id_domain(data.config.smtp)
    message_id = new_message_id(ERASURE, withdrawn[0][0].code, domain)
    threads = [thread_id(s.code, domain) for s, _ in withdrawn]  # in each sign-up's conversation
    raw = compose(
        subject=texts.plain("it", "mail.subject.erasure", count=len(withdrawn)),
        intro=texts.plain("it", "mail.intro.erasure"),
        fields=fields,
        outro=texts.plain("it", "mail.outro_no_reply", when=f"{now.astimezone(tz):%d/%m/%Y %H:%M}"),
        sender=mail_sender(data.config.smtp),
        to=data.config.smtp.recipient,
        reply_to=None,
        message_id=message_id,
        date=now,
        in_reply_to=threads[0],
        references=threads[1:],
    )
    return NewMail(message_id, ERASURE, raw)


@BUTTONS.on("eraseyes")
async def erase(update: Update, context: Ctx, tap: Tap) -> None:
    if not await _private(update, context, tap):
        return
    user = update.effective_user
    assert user is not None
    repo, now = context.repo, context.now()
    editions = {e.id: e for e in await repo.editions.all()}
    ended = {e.id for e in editions.values() if _ended(e, now)}
    withdrawn: list[tuple[Signup, Edition]] = []
    promoted: list[tuple[Signup, Edition]] = []
    for signup in await repo.signups.of_user(user.id):
        edition = editions.get(signup.edition_id)
        if edition is None or signup.status == "cancelled" or edition.id in ended:
            continue
        # The freed place goes to the first on the waiting list; the organisers hear of the
        # withdrawal once, below, by code only.
        promotion = mail_for(context, "promotion", edition, now)
        result = await repo.signups.cancel(signup.id, now, None, promotion)
        if result is not None:
            withdrawn.append((result[0], edition))
            if result[1] is not None:
                promoted.append((result[1], edition))

    notice = erasure_mail(context.data, withdrawn, now) if withdrawn else None
    await context.people.erase(user.id)  # nothing of them is written behind after it
    erased = await repo.privacy.erase(user.id, ended, now, notice)
    await forget_files(context.config.smtp, erased.mails, erased.codes)
    context.data.drafts.pop(user.id, None)
    context.application.drop_user_data(user.id)
    context.application.drop_chat_data(user.id)
    context.data.chat_staff = await repo.staff.ids()
    context.data.coordinators = {  # the role goes with the person, at once
        lab: people - {user.id} for lab, people in context.data.coordinators.items()
    }
    for hook in context.data.after_erasure:
        await hook(context.data, user.id)
    log.info("a person erased their data (%d rows)", erased.rows)
    if withdrawn:
        context.outbox.kick()
    await tap.answer()
    key = "privacy.erased_withdrawn" if withdrawn else "privacy.erased"
    await edit_or_send(update, context, context.t(key, count=len(withdrawn)), None)
    tell_promoted = context.data.promoted_notice  # the Scuola's: it owns the words and the file
    for person, edition in promoted:
        if tell_promoted is not None:
            await tell_promoted(context, person, edition)


@BUTTONS.on("eraseno")
async def keep(update: Update, context: Ctx, tap: Tap) -> None:
    await tap.answer()
    await edit_or_send(update, context, context.t("privacy.erase_kept"), None)


# --- retention ------------------------------------------------------------------------------------


def _months_ago(now: datetime, months: int) -> datetime:
    return now - timedelta(days=round(months * 30.44))


async def apply_retention(data: BotData) -> dict[str, int]:
    settings, now = data.config.privacy, data.clock.now()
    editions = await data.repo.editions.all()
    horizon = _months_ago(now, settings.signups_months)
    events_horizon = now - timedelta(days=settings.messages_days)
    await data.write_behind()  # someone who wrote in the last second is not inactive
    done = await data.repo.privacy.trim(
        ended_editions={e.id for e in editions if _ended(e, horizon)},
        questions_before=now - timedelta(days=settings.questions_days),
        messages_before=now - timedelta(days=settings.messages_days),
        users_before=_months_ago(now, settings.inactive_months),
        events_ended={e.id for e in await data.repo.events.all() if e.ends_at <= events_horizon},
    )
    if done.get("users"):
        await data.people.reload()
    touched = {k: v for k, v in done.items() if v}
    if touched:
        log.info("retention applied: %s", ", ".join(f"{k} {v}" for k, v in sorted(touched.items())))
    return done


async def _retention_job(context: Ctx) -> None:
    await apply_retention(context.bot_data)


def is_quiet(update: object) -> bool:
    """Privacy requests: not a reason to start storing someone."""
    if not isinstance(update, Update):
        return False
    if update.callback_query is not None:
        return (update.callback_query.data or "").startswith(f"{FEATURE}:")
    message = update.message
    text = (message.text or "") if message else ""
    if not text.startswith("/"):
        return False
    command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
    return command in COMMANDS or text.strip() == "/start privacy"


def register(app: Application) -> None:
    data: BotData = app.bot_data
    data.commands += [
        CommandSpec("privacy", "cmd.privacy", order=86),
        CommandSpec("miei_dati", "cmd.miei_dati", order=87),
        CommandSpec("cancellami", "cmd.cancellami", order=88),
    ]
    data.quiet.append(is_quiet)
    data.deep_links["privacy"] = privacy_link
    app.add_handler(CommandHandler("privacy", privacy_command))
    app.add_handler(CommandHandler(["miei_dati", "my_data"], export))
    app.add_handler(CommandHandler(["cancellami", "delete_me"], ask_erase))
    app.add_handler(BUTTONS.handler())

    async def start(data: BotData) -> None:
        await apply_retention(data)
        if app.job_queue is not None:
            app.job_queue.run_daily(
                _retention_job, RUN_AT.replace(tzinfo=data.config.scheduler.tz), name=JOB
            )

    data.startup.append(start)
