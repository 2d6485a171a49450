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
from bot.scuola_mail import calendar_for, calendar_name, mail_for, session_where
from bot.staffchat import tell_staff
from domain.dates import say_span
from domain.scuola import Draft, Edition, Session, thresholds_crossed
from handlers.scuola.editions import (
    edition_lines,
    session_lines,
    signup_rows,
    status_text,
)
from storage.scuola import Signup

log = logging.getLogger(__name__)


async def confirm(update: Update, context: Ctx, draft: Draft) -> bool:
    """Store the form's answers as a sign-up (or as changes to one); False when its edition
    closed meanwhile (the person is told; the form is the caller's to drop)."""
    data = draft.answers.as_dict()
    edition = await context.repo.editions.get(draft.answers.edition)
    now = context.now()
    update_of = draft.update_of
    if edition is None or (update_of is None and not edition.accepts(now)):
        await context.bot.send_message(draft.user_id, context.t("scuola.edition_closed"))
        return False

    # Stored, e-mail queued and the form's row dropped in one transaction.
    if update_of is not None:
        mail = mail_for(context, "update", edition, now)
        signup = await context.repo.signups.update(update_of, data, now, mail)
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


async def send_calendar(
    context: Ctx,
    chat_id: int,
    edition: Edition,
    removed: Sequence[Session] = (),
    code: str = "",
    now: datetime | None = None,
    lang: str | None = None,
) -> None:
    """The calendar file (`calendar_for`) to a person, in `lang` (by default the context's: the
    person who is writing)."""
    lang = lang or context.lang
    data = calendar_for(context, edition, lang=lang, code=code, removed=removed, now=now)
    await context.bot.send_document(
        chat_id,
        document=data,
        filename=calendar_name(edition),
        caption=context.data.texts.text(lang, "scuola.ics_caption"),
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
        try:
            await context.bot.send_message(
                signup.user_id, texts.text(lang, key, title=edition.title, when=when, where=where)
            )
            await send_calendar(
                context, signup.user_id, edition, removed=[removed] if removed else [],
                code=signup.code, lang=lang,
            )  # fmt: skip
            told += 1
        except TelegramError as exc:  # blocked or gone: the others are still told
            log.warning("a participant was not told of a session change: %s", exc)
    return told


async def tell_promoted(context: Ctx, promoted: Signup, edition: Edition) -> None:
    lang = context.people.language(promoted.user_id)
    texts = context.data.texts
    text = texts.text(lang, "scuola.promoted", code=promoted.code, title=edition.title)
    try:
        await context.bot.send_message(promoted.user_id, text)
        if edition.sessions:
            await send_calendar(context, promoted.user_id, edition, code=promoted.code, lang=lang)
    except Exception:  # a blocked user must not undo the promotion; the e-mail still goes out
        log.warning("could not tell a promoted person", exc_info=True)
