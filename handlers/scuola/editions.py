"""The Scuola as people see it: what it is, its open editions, "notify me" when none is open.

`/scuola`, the menu item, questions about the Scuola and `?start=scuola` all land on `show`.
The editions come from data/scuola.toml (the file wins for them) and from staff in the chat.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from bot import protocols
from bot.context import Apply, BotData, Ctx
from bot.scuola_mail import session_where
from domain.dates import say_date, say_span
from domain.directory import DataError, lab_ids
from domain.scuola import Edition, load_editions
from storage.scuola import Counts, Signup

BUTTONS = protocols.SCUOLA  # scuola:v1:<action>[:<arg>...]; the form's are scuola:v1:f:...
FEATURE = BUTTONS.feature
button = BUTTONS.button
_ONE_DAY = timedelta(days=1)


async def open_editions(context: Ctx) -> list[Edition]:
    now = context.now()
    return [e for e in await context.repo.editions.all() if e.accepts(now)]


def session_lines(context: Ctx, edition: Edition, indent: str = "") -> list[str]:
    tz = context.config.scheduler.tz
    return [
        indent
        + context.t(
            "scuola.session_line",
            when=say_span(s.starts_at, s.ends_at, tz, context.lang),
            where=session_where(context, s, context.lang),
        )
        for s in edition.sessions
    ]


def edition_lines(
    context: Ctx, edition: Edition, counts: Counts | None = None, *, capacity: bool = True
) -> list[str]:
    """The edition as people read it; with `counts`, the places left or the waiting list;
    without `capacity`, no word on places (a participant's confirmation)."""
    tz = context.config.scheduler.tz
    lines = [f"<b>{context.t('scuola.edition_title', title=edition.title)}</b>"]
    lines += session_lines(context, edition)
    if not capacity:  # a participant's own messages: places are the organisers' figure
        pass
    elif edition.capacity and counts is not None:
        left = edition.places_left(counts.confirmed) or 0
        if left:
            lines.append(context.t("scuola.places_left", count=left, capacity=edition.capacity))
        else:
            lines.append(context.t("scuola.full", count=counts.waiting))
    elif edition.capacity:
        lines.append(context.t("scuola.capacity", capacity=edition.capacity))
    if edition.deadline:
        last_day = edition.deadline.astimezone(tz).replace(hour=0) - _ONE_DAY
        lines.append(context.t("scuola.deadline", date=say_date(last_day, tz, context.lang)))
    return lines


def join_button(context: Ctx, edition: Edition, counts: Counts) -> InlineKeyboardButton:
    """A button that says what it does: a place, or a place on the waiting list."""
    full = edition.places_left(counts.confirmed) == 0
    key = "scuola.join_waiting" if full else "scuola.join"
    return button(context.label(key, title=edition.title), "join", edition.id)


async def status_text(context: Ctx, signup: Signup) -> str:
    """ "✅ confermata", "⏳ in lista d'attesa (posizione 2)", in the person's language."""
    status = context.label(f"status.{signup.status}")
    if signup.status == "waiting":
        position = await context.repo.signups.waiting_position(signup)
        status += " " + context.label("mail.position", position=position)
    return status


def signup_rows(context: Ctx, signup: Signup, edition: Edition) -> list[list[InlineKeyboardButton]]:
    """What a person can do with their sign-up: its calendar (with a place), change it, cancel."""
    row = []
    if signup.status == "confirmed" and edition.sessions:
        row.append(button(context.label("scuola.mine_ics", code=signup.code), "ics", signup.id))
    row.append(button(context.label("scuola.mine_update", code=signup.code), "update", signup.id))
    cancel = button(context.label("scuola.cancel_one", code=signup.code), "cancel", signup.id)
    return [row, [cancel]]


async def show(update: Update, context: Ctx) -> None:
    """/scuola, the menu item, questions about the Scuola, and ?start=scuola."""
    assert update.effective_chat is not None
    user = update.effective_user
    editions = await open_editions(context)
    lines = [context.t("scuola.about")]
    rows: list[list[InlineKeyboardButton]] = []
    if editions:
        for edition in editions:
            counts = await context.repo.signups.counts(edition.id)
            lines.append("")
            lines.extend(edition_lines(context, edition, counts))
            mine = await context.repo.signups.active(edition.id, user.id) if user else None
            if mine is None:
                rows.append([join_button(context, edition, counts)])
                continue
            # Signed up already: where they stand and what they can do, not a way in again.
            status = await status_text(context, mine)
            lines.append(context.t("scuola.you_are", code=mine.code, status=status))
            rows += signup_rows(context, mine, edition)
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


async def scuola_link(update: Update, context: Ctx, rest: str) -> None:
    await show(update, context)


async def prepare_editions(data: BotData) -> Apply:
    """Read and check data/scuola.toml (raises DataError); the returned step writes its editions
    into the database, where the file wins for them. Editions made in the chat are left alone."""
    path = data.config.storage.data_dir / "scuola.toml"
    editions = load_editions(path, data.config.scheduler.tz, data.clock.now())
    known = lab_ids(data.config.storage.data_dir)  # the labs may not be in service yet
    unknown = [
        f"{path.name}: edition '{e.title}': session {n}: lab: no lab with id {s.lab_id!r} "
        "in data/labs.toml"
        for e in editions
        for n, s in enumerate(e.sessions, start=1)
        if s.lab_id and s.lab_id not in known
    ]
    if unknown:
        raise DataError(unknown)

    async def apply() -> None:
        for edition in editions:
            await data.repo.editions.save(edition, data.clock.now())

    return apply
