"""The Scuola dei Laboratori Sociali: what it is, its editions, and signing up.

The sign-up form is a state machine kept in the database (`signup_drafts`), one row per person,
written at every step and mirrored in memory: a form in progress survives any restart, even a
killed process. It runs in handler group -1, ahead of every feature, and only for people with a
form open; what it handles stops there (ApplicationHandlerStop), what it does not (menus, /help,
/lingua) goes on to the features as usual.

    edition? -> first_name -> last_name -> email (-> "did you mean?") -> phone? -> role
      -> organisation? -> note? -> consent -> summary --confirm--> stored, e-mailed, .ics
                                                      --edit----> one field -> summary
    (? = skippable or skipped; /annulla at every step; /start pauses and offers to go on)

Callback data `scuola:v1:<action>[:<arg>...]`; form buttons are `scuola:v1:f:<step>:<value>`,
valid only at that step (an old summary's "Conferma" after confirming is stale).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

import aiosqlite
from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatType
from telegram.ext import (
    Application,
    ApplicationHandlerStop,
    CallbackQueryHandler,
    CommandHandler,
    TypeHandler,
)

from bot import callbacks
from bot.context import BotData, CommandSpec, Ctx
from bot.mail import message_id_domain
from bot.mail import sender as mail_sender
from bot.staffchat import tell_staff
from domain.calendar import calendar_file
from domain.contacts import ContactProblem, check_email, check_phone
from domain.dates import say_date, say_span
from domain.mail import compose, new_message_id
from domain.scuola import (
    EDITABLE,
    MAX_NOTE,
    MAX_ORGANISATION,
    OPTIONAL,
    ROLES,
    STEPS,
    Draft,
    Edition,
    FormProblem,
    check_free_text,
    check_name,
    load_editions,
    next_step,
    thresholds_crossed,
)
from storage.outbox import OutboxRepo
from storage.scuola import InTransaction, Signup, waiting_position_in

log = logging.getLogger(__name__)

FEATURE = "scuola"
GROUP = -1
_ONE_DAY = timedelta(days=1)
PASS_THROUGH = {"help", "aiuto", "lingua", "language"}
FORM_STEPS = [s for s in STEPS if s not in ("edition", "summary")]


def button(label: str, action: str, *args: object) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callbacks.pack(FEATURE, action, *args))


def form_button(label: str, step: str, value: object = "x") -> InlineKeyboardButton:
    return button(label, "f", step, value)


# --- editions ------------------------------------------------------------------------------------


async def open_editions(context: Ctx) -> list[Edition]:
    now = context.now()
    return [e for e in await context.repo.editions.all() if e.accepts(now)]


def edition_lines(context: Ctx, edition: Edition) -> list[str]:
    tz = context.config.scheduler.tz
    lines = [f"<b>{context.t('scuola.edition_title', title=edition.title)}</b>"]
    for session in edition.sessions:
        where = session.place or context.label("scuola.online")
        when = say_span(session.starts_at, session.ends_at, tz, context.lang)
        lines.append(context.t("scuola.session_line", when=when, where=where))
    if edition.capacity:
        lines.append(context.t("scuola.capacity", capacity=edition.capacity))
    if edition.deadline:
        last_day = edition.deadline.astimezone(tz).replace(hour=0) - _ONE_DAY
        lines.append(context.t("scuola.deadline", date=say_date(last_day, tz, context.lang)))
    return lines


async def show(update: Update, context: Ctx) -> None:
    """/scuola, the menu item, questions about the Scuola, and ?start=scuola."""
    assert update.effective_chat is not None
    user = update.effective_user
    editions = await open_editions(context)
    lines = [context.t("scuola.about")]
    rows: list[list[InlineKeyboardButton]] = []
    if editions:
        for edition in editions:
            lines.append("")
            lines.extend(edition_lines(context, edition))
            rows.append(
                [button(context.label("scuola.join", title=edition.title), "join", edition.id)]
            )
    else:
        lines.append("")
        lines.append(context.t("scuola.none_open", email=context.contact_email))
        subscribed = user is not None and "scuola" in await context.repo.subscriptions.topics(
            user.id
        )
        rows.append(
            [
                button(context.label("scuola.notify_off"), "notify", "off")
                if subscribed
                else button(context.label("scuola.notify_on"), "notify", "on")
            ]
        )
    if user is not None and await context.repo.signups.of_user(user.id):
        rows.append([button(context.label("scuola.mine"), "mine")])
    if update.effective_chat.type != ChatType.PRIVATE:
        link = f"https://t.me/{context.bot.username}?start=scuola"
        rows = [[InlineKeyboardButton(context.label("group.open_private"), url=link)]]
    await context.bot.send_message(
        update.effective_chat.id, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows)
    )


# --- the form ------------------------------------------------------------------------------------


def _draft(context: Ctx, user_id: int) -> Draft | None:
    return context.data.drafts.get(user_id)


async def _save(context: Ctx, draft: Draft) -> None:
    context.data.drafts[draft.user_id] = draft
    await context.repo.drafts.save(draft, context.now())


async def _drop(context: Ctx, user_id: int) -> None:
    context.data.drafts.pop(user_id, None)
    await context.repo.drafts.delete(user_id)


async def start_form(update: Update, context: Ctx, edition: Edition | None) -> None:
    user = update.effective_user
    assert user is not None
    editions = await open_editions(context)
    if edition is None and len(editions) == 1:
        edition = editions[0]
    data: dict[str, Any] = {}
    if edition is not None:
        existing = await context.repo.signups.active(edition.id, user.id)
        if existing is not None:
            await _show_existing(update, context, existing, edition)
            return
        data["edition"] = edition.id
    step = "edition" if edition is None else "first_name"
    draft = Draft(user.id, step, data)
    await _save(context, draft)
    await context.bot.send_message(user.id, context.t("scuola.form_intro"))
    await ask(update, context, draft)


async def _show_existing(update: Update, context: Ctx, signup: Signup, edition: Edition) -> None:
    assert update.effective_user is not None
    rows = [
        [button(context.label("scuola.update"), "update", signup.id)],
        [button(context.label("scuola.keep"), "keep")],
    ]
    await context.bot.send_message(
        update.effective_user.id,
        context.t("scuola.already", code=signup.code, title=edition.title)
        + "\n\n"
        + await summary_text(context, _answers(signup), edition),
        reply_markup=InlineKeyboardMarkup(rows),
    )


def _answers(signup: Signup) -> dict[str, Any]:
    return {
        "first_name": signup.first_name,
        "last_name": signup.last_name,
        "email": signup.email,
        "phone": signup.phone,
        "role": signup.role,
        "organisation": signup.organisation,
        "note": signup.note,
    }


def _progress(draft: Draft) -> tuple[int, int]:
    steps = FORM_STEPS
    position = steps.index(draft.step) + 1 if draft.step in steps else len(steps)
    return position, len(steps)


async def ask(update: Update, context: Ctx, draft: Draft) -> None:
    """Send the question of the draft's current step."""
    chat_id = draft.user_id
    step = draft.step
    number, total = _progress(draft)
    prefix = context.t("scuola.step", n=number, total=total) + "\n" if step in FORM_STEPS else ""
    rows: list[list[InlineKeyboardButton]] = []
    markup: Any = None
    if step == "edition":
        editions = await open_editions(context)
        rows = [[form_button(e.title, "edition", e.id)] for e in editions]
        text = context.t("scuola.ask.edition")
    elif step == "phone":
        text = prefix + context.t("scuola.ask.phone")
        markup = ReplyKeyboardMarkup(
            [
                [KeyboardButton(context.label("scuola.share_phone"), request_contact=True)],
                [KeyboardButton(context.label("scuola.skip"))],
            ],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
    elif step == "role":
        rows = [[form_button(context.label(f"role.{r}"), "role", r)] for r in ROLES]
        text = prefix + context.t("scuola.ask.role")
    elif step == "consent":
        rows = [[form_button(context.label("scuola.consent_yes"), "consent", "yes")],
                [form_button(context.label("scuola.consent_no"), "consent", "no")]]  # fmt: skip
        text = prefix + context.t("scuola.ask.consent", email=context.contact_email)
    elif step == "summary":
        edition = await context.repo.editions.get(draft.data.get("edition", ""))
        text = (
            context.t("scuola.summary_title")
            + "\n\n"
            + await summary_text(context, draft.data, edition)
        )
        rows = [
            [form_button(context.label("scuola.confirm"), "summary", "confirm")],
            [form_button(context.label("scuola.edit"), "summary", "edit")],
            [form_button(context.label("scuola.abort"), "summary", "abort")],
        ]
    else:
        current = draft.data.get(step)
        text = prefix + context.t(f"scuola.ask.{step}")
        if draft.returning and current:
            text += "\n" + context.t("scuola.current", value=current)
    if step in OPTIONAL and step != "phone":
        rows.append([form_button(context.label("scuola.skip"), step, "skip")])
    if rows:
        markup = InlineKeyboardMarkup(rows)
    await context.bot.send_message(chat_id, text, reply_markup=markup)


async def summary_text(context: Ctx, data: dict[str, Any], edition: Edition | None) -> str:
    empty = context.label("scuola.empty")
    role = data.get("role")
    lines = [
        context.t("scuola.field.edition", value=edition.title if edition else empty),
        context.t("scuola.field.first_name", value=data.get("first_name") or empty),
        context.t("scuola.field.last_name", value=data.get("last_name") or empty),
        context.t("scuola.field.email", value=data.get("email") or empty),
        context.t("scuola.field.phone", value=data.get("phone") or empty),
        context.t("scuola.field.role", value=context.label(f"role.{role}") if role else empty),
        context.t("scuola.field.organisation", value=data.get("organisation") or empty),
        context.t("scuola.field.note", value=data.get("note") or empty),
    ]
    return "\n".join(lines)


async def advance(update: Update, context: Ctx, draft: Draft) -> None:
    single = len(await open_editions(context)) <= 1
    draft.step = next_step(draft, skip_edition=single)
    if draft.step == "summary":
        draft.data.pop("_return", None)
    await _save(context, draft)
    await ask(update, context, draft)


async def form(update: Update, context: Ctx) -> None:
    """Group -1: everything from a person with a form open."""
    user = update.effective_user
    if user is None or update.effective_chat is None:
        return
    if update.effective_chat.type != ChatType.PRIVATE:
        return
    draft = _draft(context, user.id)
    if draft is None:
        return
    query = update.callback_query
    if query is not None:
        parsed = callbacks.parse(query.data, FEATURE)
        if parsed is None or parsed.action != "f":
            return  # menus, lab cards...: the features answer, the form waits
        await form_button_pressed(update, context, draft, parsed.args)
        raise ApplicationHandlerStop
    message = update.message
    if message is None:
        return  # edits and the like: not answers to the form
    if message.text and message.text.startswith("/"):
        command = message.text[1:].split()[0].split("@")[0].lower() if len(message.text) > 1 else ""
        if command in PASS_THROUGH:
            return
        if command in ("annulla", "cancel"):
            await _drop(context, user.id)
            await message.reply_text(
                context.t("scuola.aborted"), reply_markup=ReplyKeyboardRemove()
            )
        else:
            number, total = _progress(draft)
            rows = [[form_button(context.label("scuola.continue"), "pause", "go")],
                    [form_button(context.label("scuola.abort"), "pause", "abort")]]  # fmt: skip
            await message.reply_text(
                context.t("scuola.paused", n=number, total=total),
                reply_markup=InlineKeyboardMarkup(rows),
            )
        raise ApplicationHandlerStop
    await form_message(update, context, draft)
    raise ApplicationHandlerStop


async def form_message(update: Update, context: Ctx, draft: Draft) -> None:
    message = update.message
    assert message is not None
    step = draft.step
    text = (message.text or "").strip()
    if step == "phone" and message.contact is not None:
        contact = message.contact
        if contact.user_id is not None and contact.user_id != draft.user_id:
            await message.reply_text(context.t("scuola.error.other_contact"))
            return
        text = contact.phone_number
    if step in ("edition", "role", "consent", "summary") or not text:
        key = "scuola.error.use_buttons" if message.text else "scuola.error.need_text"
        await message.reply_text(context.t(key))
        await ask(update, context, draft)
        return
    try:
        if step in ("first_name", "last_name"):
            draft.data[step] = check_name(text)
        elif step == "email":
            address, suggestion = check_email(text)
            if suggestion and suggestion != address:
                draft.data["_email_typed"] = address
                draft.data["_email_suggested"] = suggestion
                await _save(context, draft)
                rows = [
                    [
                        form_button(
                            context.label("scuola.email_use", email=suggestion), "email", "fix"
                        )
                    ],
                    [
                        form_button(
                            context.label("scuola.email_keep", email=address), "email", "keep"
                        )
                    ],
                ]
                await message.reply_text(
                    context.t("scuola.email_typo", suggestion=suggestion),
                    reply_markup=InlineKeyboardMarkup(rows),
                )
                return
            draft.data["email"] = address
        elif step == "phone":
            if text == context.label("scuola.skip"):
                draft.data["phone"] = ""
            else:
                draft.data["phone"] = check_phone(text)
            phone = draft.data["phone"]
            ack = context.t("scuola.phone_ok", phone=phone) if phone else None
            await message.reply_text(
                ack or context.t("scuola.phone_skipped"), reply_markup=ReplyKeyboardRemove()
            )
        elif step == "organisation":
            draft.data["organisation"] = check_free_text(text, MAX_ORGANISATION)
        elif step == "note":
            draft.data["note"] = check_free_text(text, MAX_NOTE)
    except FormProblem as problem:
        await message.reply_text(context.t(f"scuola.error.{problem.code}"))
        return
    except ContactProblem as problem:
        key = f"scuola.error.{problem.code}"
        if problem.suggestion:
            await message.reply_text(context.t(key + "_suggest", suggestion=problem.suggestion))
        else:
            await message.reply_text(context.t(key))
        return
    await advance(update, context, draft)


async def form_button_pressed(
    update: Update, context: Ctx, draft: Draft, args: tuple[str, ...]
) -> None:
    query = update.callback_query
    assert query is not None
    step, value = ((*args, "", ""))[:2]
    if step == "pause":
        await query.answer()
        if value == "abort":
            await _drop(context, draft.user_id)
            await context.bot.send_message(
                draft.user_id, context.t("scuola.aborted"), reply_markup=ReplyKeyboardRemove()
            )
        else:
            await ask(update, context, draft)
        return
    if step != draft.step and not (step == "editfield" and draft.step == "summary"):
        await query.answer(context.label("button.stale"), show_alert=True)
        return
    await query.answer()
    if step == "edition":
        edition = await context.repo.editions.get(value)
        if edition is None or not edition.accepts(context.now()):
            await context.bot.send_message(draft.user_id, context.t("scuola.edition_closed"))
            await ask(update, context, draft)
            return
        existing = await context.repo.signups.active(edition.id, draft.user_id)
        if existing is not None:
            await _drop(context, draft.user_id)
            await _show_existing(update, context, existing, edition)
            return
        draft.data["edition"] = edition.id
        draft.step = "first_name"
        await _save(context, draft)
        await ask(update, context, draft)
    elif step == "email":
        draft.data["email"] = draft.data.pop(
            "_email_suggested" if value == "fix" else "_email_typed", ""
        )
        draft.data.pop("_email_suggested", None)
        draft.data.pop("_email_typed", None)
        await advance(update, context, draft)
    elif step in OPTIONAL and value == "skip":
        draft.data[step] = ""
        await advance(update, context, draft)
    elif step == "role" and value in ROLES:
        draft.data["role"] = value
        await advance(update, context, draft)
    elif step == "consent":
        if value != "yes":
            await context.bot.send_message(draft.user_id, context.t("scuola.consent_needed"))
            await ask(update, context, draft)
            return
        draft.data["consent_at"] = context.now().isoformat()
        await advance(update, context, draft)
    elif step == "summary":
        if value == "confirm":
            await confirm(update, context, draft)
        elif value == "abort":
            await _drop(context, draft.user_id)
            await context.bot.send_message(draft.user_id, context.t("scuola.aborted"))
        else:
            rows = [
                [form_button(context.label(f"scuola.fieldname.{f}"), "editfield", f)]
                for f in EDITABLE
            ]
            await context.bot.send_message(
                draft.user_id,
                context.t("scuola.edit_which"),
                reply_markup=InlineKeyboardMarkup(rows),
            )
    elif step == "editfield" and value in EDITABLE:
        draft.step = value
        draft.data["_return"] = True
        await _save(context, draft)
        await ask(update, context, draft)
    else:
        await ask(update, context, draft)


# --- confirming ----------------------------------------------------------------------------------


def organisers_mail(
    context: Ctx,
    kind: str,
    signup: Signup,
    edition: Edition,
    now: datetime,
    position: int | None = None,
) -> tuple[str, bytes]:
    """The e-mail to the organisers, in Italian (their language), whatever the applicant's."""
    data = context.data
    texts = data.texts
    tz = context.config.scheduler.tz
    status = texts.plain("it", f"status.{signup.status}")
    if position:
        status += " " + texts.plain("it", "mail.position", position=position)
    role = texts.plain("it", f"role.{signup.role}") if signup.role else ""
    fields = [
        (texts.plain("it", "mail.code"), signup.code),
        (texts.plain("it", "mail.edition"), edition.title),
        (texts.plain("it", "mail.status"), status),
        (texts.plain("it", "scuola.fieldname.first_name"), signup.first_name),
        (texts.plain("it", "scuola.fieldname.last_name"), signup.last_name),
        (texts.plain("it", "scuola.fieldname.email"), signup.email),
        (texts.plain("it", "scuola.fieldname.phone"), signup.phone),
        (texts.plain("it", "scuola.fieldname.role"), role),
        (texts.plain("it", "scuola.fieldname.organisation"), signup.organisation),
        (texts.plain("it", "scuola.fieldname.note"), signup.note),
        (
            texts.plain("it", "mail.consent"),
            texts.plain(
                "it", "mail.consent_at", when=f"{signup.consent_at.astimezone(tz):%d/%m/%Y %H:%M}"
            ),
        ),
    ]
    subject = texts.plain("it", f"mail.subject.{kind}", title=edition.title, name=signup.full_name)
    message_id = new_message_id(kind, signup.code, message_id_domain(data.config.smtp))
    raw = compose(
        subject=subject,
        intro=texts.plain("it", f"mail.intro.{kind}"),
        fields=fields,
        outro=texts.plain("it", "mail.outro", when=f"{now.astimezone(tz):%d/%m/%Y %H:%M}"),
        sender=mail_sender(data.config.smtp),
        to=context.config.smtp.recipient,
        reply_to=signup.email,
        message_id=message_id,
        date=now,
    )
    return message_id, raw


async def confirm(update: Update, context: Ctx, draft: Draft) -> None:
    data = draft.data
    edition = await context.repo.editions.get(data.get("edition", ""))
    if edition is None:
        await _drop(context, draft.user_id)
        await context.bot.send_message(draft.user_id, context.t("scuola.edition_closed"))
        return
    now = context.now()
    update_of = data.get("_update")
    if update_of is None and not edition.accepts(now):
        await _drop(context, draft.user_id)
        await context.bot.send_message(draft.user_id, context.t("scuola.edition_closed"))
        return

    if update_of is not None:
        mail = mail_in_transaction(context, "update", edition, now)
        signup = await context.repo.signups.update(int(update_of), data, now, mail)
        confirmed_before = None
    else:
        mail = mail_in_transaction(context, "signup", edition, now)
        signup, confirmed_before = await context.repo.signups.create(
            edition, draft.user_id, data, now, mail
        )
    await _drop(context, draft.user_id)
    log.info("sign-up %s stored (%s)", signup.code, signup.status)
    context.outbox.kick()

    if signup.status == "waiting":
        position = await context.repo.signups.waiting_position(signup)
        text = context.t("scuola.waiting", code=signup.code, title=edition.title, position=position)
    else:
        key = "scuola.updated" if update_of is not None else "scuola.confirmed"
        text = context.t(key, code=signup.code, title=edition.title)
    lines = [text, "", *edition_lines(context, edition)]
    await context.bot.send_message(draft.user_id, "\n".join(lines))
    if edition.sessions and signup.status == "confirmed":
        await send_calendar(context, draft.user_id, edition)
    if confirmed_before is not None and signup.status == "confirmed":
        for share in thresholds_crossed(confirmed_before, confirmed_before + 1, edition.capacity):
            await tell_staff(
                context.bot, context.data, "scuola.capacity_alert", title=edition.title,
                percent=int(share * 100), count=confirmed_before + 1, capacity=edition.capacity,
            )  # fmt: skip


def mail_in_transaction(context: Ctx, kind: str, edition: Edition, now: datetime) -> InTransaction:
    """The step every change of a sign-up runs inside its transaction: the organisers' e-mail
    goes into the outbox if and only if the change is stored."""

    async def queue(conn: aiosqlite.Connection, signup: Signup) -> None:
        position = await waiting_position_in(conn, signup) if signup.status == "waiting" else None
        message_id, raw = organisers_mail(context, kind, signup, edition, now, position)
        await OutboxRepo.add_in(
            conn, message_id=message_id, kind=kind, signup_id=signup.id, raw=raw, now=now
        )

    return queue


async def send_calendar(context: Ctx, chat_id: int, edition: Edition) -> None:
    tz = context.config.scheduler.tz  # local times with their zone: calendars show them right
    entries = [
        {
            "uid": f"scuola-{edition.id}-{n}",
            "title": context.label("scuola.ics_title", title=edition.title, n=n),
            "start": s.starts_at.astimezone(tz),
            "end": s.ends_at.astimezone(tz),
            "place": s.place,
            "url": s.online_url,
        }
        for n, s in enumerate(edition.sessions, start=1)
    ]
    data = calendar_file(entries, name=context.label("scuola.ics_name"), now=context.now())
    await context.bot.send_document(
        chat_id,
        document=data,
        filename=f"scuola-{edition.id}.ics",
        caption=context.t("scuola.ics_caption"),
    )


# --- my sign-ups, cancelling ---------------------------------------------------------------------


async def mine(update: Update, context: Ctx) -> None:
    user = update.effective_user
    assert user is not None
    signups = await context.repo.signups.of_user(user.id)
    if not signups:
        await context.bot.send_message(user.id, context.t("scuola.mine_none"))
        return
    editions = {e.id: e for e in await context.repo.editions.all()}
    lines = [context.t("scuola.mine_title")]
    rows = []
    for signup in signups:
        edition = editions.get(signup.edition_id)
        title = edition.title if edition else signup.edition_id
        status = context.label(f"status.{signup.status}")
        if signup.status == "waiting":
            position = await context.repo.signups.waiting_position(signup)
            status += " " + context.label("mail.position", position=position)
        lines.append(context.t("scuola.mine_line", code=signup.code, title=title, status=status))
        if signup.status != "cancelled":
            rows.append(
                [button(context.label("scuola.cancel_one", code=signup.code), "cancel", signup.id)]
            )
    await context.bot.send_message(
        user.id, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows) if rows else None
    )


async def do_cancel(update: Update, context: Ctx, signup_id: int) -> None:
    user = update.effective_user
    assert user is not None
    signup = await context.repo.signups.get(signup_id)
    if signup is None or signup.user_id != user.id:
        await context.bot.send_message(user.id, context.t("scuola.cancel_unknown"))
        return
    edition = await context.repo.editions.get(signup.edition_id)
    assert edition is not None
    now = context.now()

    cancellation = mail_in_transaction(context, "cancellation", edition, now)
    promotion = mail_in_transaction(context, "promotion", edition, now)

    async def in_transaction(conn, cancelled: Signup, promoted: Signup | None) -> None:
        await cancellation(conn, cancelled)
        if promoted is not None:
            await promotion(conn, promoted)

    result = await context.repo.signups.cancel(signup_id, now, in_transaction)
    if result is None:
        await context.bot.send_message(
            user.id, context.t("scuola.cancel_already", code=signup.code)
        )
        return
    cancelled, promoted = result
    log.info("sign-up %s cancelled by its owner", cancelled.code)
    context.outbox.kick()
    await context.bot.send_message(
        user.id, context.t("scuola.cancelled", code=cancelled.code, title=edition.title)
    )
    if promoted is not None:
        await tell_promoted(context, promoted, edition)


async def tell_promoted(context: Ctx, promoted: Signup, edition: Edition) -> None:
    user = await context.repo.users.get(promoted.user_id)
    lang = user.language if user else "it"
    texts = context.data.texts
    text = texts.text(lang, "scuola.promoted", code=promoted.code, title=edition.title)
    try:
        await context.bot.send_message(promoted.user_id, text)
        if edition.sessions:
            saved = context.lang
            context.lang = lang
            try:
                await send_calendar(context, promoted.user_id, edition)
            finally:
                context.lang = saved
    except Exception:  # a blocked user must not undo the promotion; the e-mail still goes out
        log.warning("could not tell a promoted person", exc_info=True)


# --- buttons outside the form --------------------------------------------------------------------


async def on_button(update: Update, context: Ctx) -> None:
    query = update.callback_query
    assert query is not None and query.from_user is not None
    parsed = callbacks.parse(query.data, FEATURE)
    if parsed is None or parsed.action == "f":
        await query.answer(context.label("button.stale"), show_alert=True)
        return
    action, args = parsed.action, parsed.args
    if action == "join" and args:
        edition = await context.repo.editions.get(args[0])
        if edition is None or not edition.accepts(context.now()):
            await query.answer(context.label("scuola.edition_closed_alert"), show_alert=True)
            return
        await query.answer()
        await start_form(update, context, edition)
    elif action == "notify" and args:
        on = args[0] == "on"
        await context.repo.subscriptions.set(query.from_user.id, "scuola", on, context.now())
        await query.answer(context.label("scuola.notify_set" if on else "scuola.notify_unset"))
        await context.bot.send_message(
            query.from_user.id, context.t("scuola.notify_set" if on else "scuola.notify_unset")
        )
    elif action == "mine":
        await query.answer()
        await mine(update, context)
    elif action == "cancel" and args:
        await query.answer()
        rows = [[button(context.label("scuola.cancel_yes"), "cancelok", args[0])],
                [button(context.label("scuola.cancel_no"), "keep")]]  # fmt: skip
        await context.bot.send_message(
            query.from_user.id,
            context.t("scuola.cancel_sure"),
            reply_markup=InlineKeyboardMarkup(rows),
        )
    elif action == "cancelok" and args and args[0].isdigit():
        await query.answer()
        await do_cancel(update, context, int(args[0]))
    elif action == "update" and args and args[0].isdigit():
        signup = await context.repo.signups.get(int(args[0]))
        if signup is None or signup.user_id != query.from_user.id or signup.status == "cancelled":
            await query.answer(context.label("button.stale"), show_alert=True)
            return
        await query.answer()
        data = {**_answers(signup), "edition": signup.edition_id, "_update": signup.id,
                "consent_at": signup.consent_at.isoformat()}  # fmt: skip
        draft = Draft(query.from_user.id, "summary", data)
        await _save(context, draft)
        await ask(update, context, draft)
    elif action == "keep":
        await query.answer(context.label("scuola.kept"))
    else:
        await query.answer(context.label("button.stale"), show_alert=True)


async def scuola_command(update: Update, context: Ctx) -> None:
    await show(update, context)


async def mine_command(update: Update, context: Ctx) -> None:
    if update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE:
        return
    await mine(update, context)


async def scuola_link(update: Update, context: Ctx, rest: str) -> None:
    await show(update, context)


async def prepare_editions(data: BotData):
    """Read and check data/scuola.toml (raises DataError); the returned step writes its editions
    into the database, where the file wins for them. Editions made in the chat are left alone."""
    path = data.config.storage.data_dir / "scuola.toml"
    editions = load_editions(path, data.config.scheduler.tz, data.clock.now())

    async def apply() -> None:
        for edition in editions:
            await data.repo.editions.save(edition, data.clock.now())

    return apply


async def startup(data: BotData) -> None:
    await (await prepare_editions(data))()
    data.drafts = {d.user_id: d for d in await data.repo.drafts.all()}


def register(app: Application) -> None:
    data: BotData = app.bot_data
    data.startup.append(startup)
    data.reloaders.append(prepare_editions)
    data.menu_actions["scuola"] = show
    data.deep_links["scuola"] = scuola_link
    data.commands.extend(
        [
            CommandSpec("scuola", "cmd.scuola", order=20),
            CommandSpec("mie_iscrizioni", "cmd.mie_iscrizioni", order=21),
        ]
    )
    app.add_handler(TypeHandler(Update, form), group=GROUP)
    app.add_handler(CommandHandler(["scuola", "school"], scuola_command))
    app.add_handler(CommandHandler(["mie_iscrizioni", "iscrizioni_mie"], mine_command))
    app.add_handler(CallbackQueryHandler(on_button, pattern=callbacks.pattern(FEATURE)))
