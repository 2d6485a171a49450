"""A sign-up's lifecycle: stored (or on the waiting list), changed, cancelled, promoted from the
waiting list; each change e-mails the organisers through the outbox, in the change's own
transaction (`mail_for`), and the person gets the sessions as a calendar file.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime

from telegram import InlineKeyboardMarkup, Update
from telegram.error import TelegramError

from bot.context import Ctx
from bot.mail import message_id_domain
from bot.mail import sender as mail_sender
from bot.staffchat import tell_staff
from domain.calendar import calendar_file
from domain.dates import say_span
from domain.mail import Attachment, Section, compose, new_message_id, thread_id
from domain.scuola import EDITABLE, Draft, Edition, Session, thresholds_crossed
from handlers.scuola.editions import (
    edition_lines,
    session_lines,
    session_position,
    session_where,
    signup_rows,
    status_text,
)
from storage.outbox import NewMail
from storage.scuola import ComposeMail, Signup, SignupFacts

log = logging.getLogger(__name__)


def organisers_mail(
    context: Ctx,
    kind: str,
    signup: Signup,
    edition: Edition,
    now: datetime,
    facts: SignupFacts,
) -> NewMail:
    """The e-mail to the organisers, in Italian (their language), whatever the applicant's; it
    says the applicant's language and the places left, what changed (an update, field by field),
    the sessions, and carries the calendar file the person got with a confirmed place. It
    answers the sign-up's first e-mail so that mail apps keep one conversation per sign-up."""
    data = context.data
    texts = data.texts
    tz = context.config.scheduler.tz
    status = texts.plain("it", f"status.{signup.status}")
    if facts.position:
        status += " " + texts.plain("it", "mail.position", position=facts.position)
    left = edition.places_left(facts.confirmed)
    places = (
        texts.plain("it", "mail.places_unlimited", confirmed=facts.confirmed)
        if left is None
        else texts.plain(
            "it", "mail.places", left=left, capacity=edition.capacity, waiting=facts.waiting
        )
    )
    answers = _mail_answers(context, signup)
    fields = [
        (texts.plain("it", "mail.code"), signup.code),
        (texts.plain("it", "mail.edition"), edition.title),
        (texts.plain("it", "mail.status"), status),
        (texts.plain("it", "mail.places_label"), places),
        (texts.plain("it", "mail.language"), texts.plain("it", f"mail.language.{facts.language}")),
        *answers,
        (
            texts.plain("it", "mail.consent"),
            texts.plain(
                "it", "mail.consent_at", when=f"{signup.consent_at.astimezone(tz):%d/%m/%Y %H:%M}"
            ),
        ),
    ]
    before: list[Section] = []
    if kind == "update" and facts.before is not None:
        empty = "—"
        changes = [
            (label, f"{old or empty} → {new or empty}")
            for (label, old), (_, new) in zip(
                _mail_answers(context, facts.before), answers, strict=True
            )
            if old != new
        ]
        title = texts.plain("it", "mail.changes" if changes else "mail.no_changes")
        before.append(Section(title, changes))
    after: list[Section] = []
    if edition.sessions:
        rows = [
            (
                str(n),
                f"{say_span(s.starts_at, s.ends_at, tz, 'it')} — {session_where(context, s, 'it')}",
            )
            for n, s in enumerate(edition.sessions, start=1)
        ]
        after.append(Section(texts.plain("it", "mail.sessions"), rows))
    attachments: list[Attachment] = []
    if kind in ("signup", "promotion") and signup.status == "confirmed" and edition.sessions:
        lang = context.people.language(signup.user_id)
        ics = calendar_for(context, edition, lang=lang, code=signup.code, now=now)
        attachments.append(Attachment(calendar_name(edition), ics, "text", "calendar"))
    subject = texts.plain("it", f"mail.subject.{kind}", title=edition.title, name=signup.full_name)
    domain = message_id_domain(data.config.smtp)
    first = thread_id(signup.code, domain)
    message_id = first if kind == "signup" else new_message_id(kind, signup.code, domain)
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
        in_reply_to=None if kind == "signup" else first,
        before=before,
        after=after,
        attachments=attachments,
    )
    return NewMail(message_id, kind, raw)


def _mail_answers(context: Ctx, signup: Signup) -> list[tuple[str, str]]:
    """The person's answers as the organisers read them, in the form's order."""
    texts = context.data.texts
    role = texts.plain("it", f"role.{signup.role}") if signup.role else ""
    values = {**{f: getattr(signup, f) for f in EDITABLE}, "role": role}
    return [(texts.plain("it", f"scuola.fieldname.{f}"), values[f]) for f in EDITABLE]


def mail_for(context: Ctx, kind: str, edition: Edition, now: datetime) -> ComposeMail:
    """What the storage calls, inside the change's transaction, to compose the organisers'
    e-mail about one sign-up (synchronous: nothing is awaited while the database is locked)."""

    def compose_mail(signup: Signup, facts: SignupFacts) -> NewMail:
        return organisers_mail(context, kind, signup, edition, now, facts)

    return compose_mail


async def confirm(update: Update, context: Ctx, draft: Draft) -> bool:
    """Store the form's answers as a sign-up (or as changes to one); False when its edition
    closed meanwhile (the person is told; the form is the caller's to drop)."""
    data = draft.data
    edition = await context.repo.editions.get(data.get("edition", ""))
    now = context.now()
    update_of = data.get("_update")
    if edition is None or (update_of is None and not edition.accepts(now)):
        await context.bot.send_message(draft.user_id, context.t("scuola.edition_closed"))
        return False

    # Stored, e-mail queued and the form's row dropped in one transaction.
    if update_of is not None:
        mail = mail_for(context, "update", edition, now)
        signup = await context.repo.signups.update(int(update_of), data, now, mail)
        confirmed_before = None
    else:
        mail = mail_for(context, "signup", edition, now)
        signup, confirmed_before = await context.repo.signups.create(
            edition, draft.user_id, data, now, mail
        )
    context.data.drafts.pop(draft.user_id, None)
    log.info("sign-up %d stored (%s)", signup.id, signup.status)  # its id: the code is the person's
    context.outbox.kick()

    if signup.status == "waiting":
        position = await context.repo.signups.waiting_position(signup)
        text = context.t("scuola.waiting", code=signup.code, title=edition.title, position=position)
    else:
        key = "scuola.updated" if update_of is not None else "scuola.confirmed"
        text = context.t(key, code=signup.code, title=edition.title)
    lines = [text, "", *edition_lines(context, edition, capacity=False)]
    await context.bot.send_message(draft.user_id, "\n".join(lines))
    if edition.sessions and signup.status == "confirmed":
        await send_calendar(context, draft.user_id, edition, code=signup.code, now=now)
    if confirmed_before is not None and signup.status == "confirmed":
        for share in thresholds_crossed(confirmed_before, confirmed_before + 1, edition.capacity):
            await tell_staff(
                context.bot, context.data, "scuola.capacity_alert", title=edition.title,
                percent=int(share * 100), count=confirmed_before + 1, capacity=edition.capacity,
            )  # fmt: skip
    return True


def session_uid(edition: Edition, session: Session) -> str:
    """Stable for as long as the session keeps its time (a moved session is a new one)."""
    return f"scuola-{edition.id}-{session.starts_at:%Y%m%dT%H%M}"


def calendar_name(edition: Edition) -> str:
    return f"scuola-{edition.id}.ics"  # "scuola-autunno-2026.ics"


def calendar_for(
    context: Ctx,
    edition: Edition,
    *,
    lang: str,
    code: str = "",
    removed: Sequence[Session] = (),
    now: datetime | None = None,
) -> bytes:
    """The edition's sessions as a calendar file in `lang`; `removed` ones go in as cancelled,
    so that calendar apps that follow STATUS:CANCELLED mark them so. Each session says the
    sign-up's `code` and how to reach the bot. The person gets it, and the organisers' e-mail
    carries the very same file."""
    texts = context.data.texts
    tz = context.config.scheduler.tz  # local times with their zone: calendars show them right
    back = f"https://t.me/{context.bot.username}?start=scuola"
    about = "\n".join(
        line
        for line in (
            texts.plain(lang, "ics.code", code=code) if code else "",
            texts.plain(lang, "ics.back", link=back),
        )
        if line
    )
    entries = [
        {
            "uid": session_uid(edition, s),
            "title": texts.plain(lang, "scuola.ics_title", title=edition.title, n=n),
            "start": s.starts_at.astimezone(tz),
            "end": s.ends_at.astimezone(tz),
            "place": session_where(context, s, lang, online=False),
            "geo": session_position(context, s),
            "url": s.online_url,
            "description": about,
        }
        for n, s in enumerate(edition.sessions, start=1)
    ]
    entries += [
        {
            "uid": session_uid(edition, s),
            "title": texts.plain(lang, "scuola.ics_title_cancelled", title=edition.title),
            "start": s.starts_at.astimezone(tz),
            "end": s.ends_at.astimezone(tz),
            "cancelled": True,
        }
        for s in removed
    ]
    name = texts.plain(lang, "scuola.ics_name")
    return calendar_file(entries, name=name, now=now or context.now())


async def send_calendar(
    context: Ctx,
    chat_id: int,
    edition: Edition,
    removed: Sequence[Session] = (),
    code: str = "",
    now: datetime | None = None,
) -> None:
    """The calendar file (`calendar_for`) to a person, in the context's language."""
    data = calendar_for(context, edition, lang=context.lang, code=code, removed=removed, now=now)
    await context.bot.send_document(
        chat_id,
        document=data,
        filename=calendar_name(edition),
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
        status = await status_text(context, signup)
        lines.append(context.t("scuola.mine_line", code=signup.code, title=title, status=status))
        if signup.status == "cancelled" or edition is None:
            continue
        lines += session_lines(context, edition, "  ")  # when and where, at a glance
        rows += signup_rows(context, signup, edition)
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

    result = await context.repo.signups.cancel(
        signup_id,
        now,
        mail_for(context, "cancellation", edition, now),
        mail_for(context, "promotion", edition, now),
    )
    if result is None:
        await context.bot.send_message(
            user.id, context.t("scuola.cancel_already", code=signup.code)
        )
        return
    cancelled, promoted = result
    log.info("sign-up %d cancelled by its owner", cancelled.id)
    context.outbox.kick()
    await context.bot.send_message(
        user.id, context.t("scuola.cancelled", code=cancelled.code, title=edition.title)
    )
    if promoted is not None:
        await tell_promoted(context, promoted, edition)


async def tell_sessions_changed(
    context: Ctx, edition: Edition, *, added: Session | None = None, removed: Session | None = None
) -> int:
    """A session added or removed: each confirmed participant hears it once, in their language,
    with the updated calendar file. Returns how many were told."""
    texts, tz = context.data.texts, context.config.scheduler.tz
    told = 0
    for signup in await context.repo.signups.of_edition(edition.id):
        if signup.status != "confirmed":
            continue
        lang = context.people.language(signup.user_id)
        session = added or removed
        assert session is not None
        when = say_span(session.starts_at, session.ends_at, tz, lang)
        where = session_where(context, session, lang)
        key = "scuola.session_added" if added else "scuola.session_removed"
        saved = context.lang
        context.lang = lang
        try:
            await context.bot.send_message(
                signup.user_id, texts.text(lang, key, title=edition.title, when=when, where=where)
            )
            await send_calendar(
                context, signup.user_id, edition, removed=[removed] if removed else [],
                code=signup.code,
            )  # fmt: skip
            told += 1
        except TelegramError as exc:  # blocked or gone: the others are still told
            log.warning("a participant was not told of a session change: %s", exc)
        finally:
            context.lang = saved
    return told


async def tell_promoted(context: Ctx, promoted: Signup, edition: Edition) -> None:
    lang = context.people.language(promoted.user_id)
    texts = context.data.texts
    text = texts.text(lang, "scuola.promoted", code=promoted.code, title=edition.title)
    try:
        await context.bot.send_message(promoted.user_id, text)
        if edition.sessions:
            saved = context.lang
            context.lang = lang
            try:
                await send_calendar(context, promoted.user_id, edition, code=promoted.code)
            finally:
                context.lang = saved
    except Exception:  # a blocked user must not undo the promotion; the e-mail still goes out
        log.warning("could not tell a promoted person", exc_info=True)
