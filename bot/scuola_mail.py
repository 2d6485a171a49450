"""What the Scuola sends beyond the chat, as a service: the organisers' e-mail about a sign-up
(composed inside the change's transaction: `mail_for`) and the calendar file of an edition's
sessions that the person gets and the e-mail carries. The Scuola's flows and a person's erasure
(which withdraws their sign-ups and promotes whoever waited) both compose them."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.context import Ctx
from bot.mail import message_id_domain
from bot.mail import sender as mail_sender
from domain.calendar import CalendarEntry, calendar_file
from domain.dates import say_span
from domain.events import session_place
from domain.mail import Attachment, Section, compose, new_message_id, thread_id
from domain.scuola import EDITABLE, Edition, Session
from storage.outbox import NewMail
from storage.scuola import ComposeMail, Signup, SignupFacts


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
    entries: list[CalendarEntry] = [
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


def session_where(context: Ctx, session: Session, lang: str, *, online: bool = True) -> str:
    """Where a session is held, in words: at a lab, its name and full address (as an event at
    a lab); else the place as typed; else, with `online`, "online"."""
    place, _, _ = session_place(session, context.data.labs.current)
    if place or not online:
        return place
    return context.data.texts.plain(lang, "scuola.online")


def session_position(context: Ctx, session: Session) -> tuple[float, float] | None:
    """The position of the lab where a session is held, if it is at one."""
    _, lat, lon = session_place(session, context.data.labs.current)
    return (lat, lon) if lat is not None and lon is not None else None
