"""The Scuola as people see it: what it is, its open editions, "notify me" when none is open.

`/scuola`, the menu item, questions about the Scuola and `?start=scuola` all land on `show`.
The editions come from data/scuola.toml (the file wins for them) and from staff in the chat.
"""

from __future__ import annotations

from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType

from bot.context import BotData, Ctx
from bot.flows import Buttons
from domain.dates import say_date, say_span
from domain.scuola import Edition, load_editions
from storage.scuola import Counts

BUTTONS = Buttons("scuola")  # scuola:v1:<action>[:<arg>...]; the form's are scuola:v1:f:...
FEATURE = BUTTONS.feature
button = BUTTONS.button
_ONE_DAY = timedelta(days=1)


async def open_editions(context: Ctx) -> list[Edition]:
    now = context.now()
    return [e for e in await context.repo.editions.all() if e.accepts(now)]


def edition_lines(context: Ctx, edition: Edition, counts: Counts | None = None) -> list[str]:
    """The edition as people read it; with `counts`, the places left or the waiting list."""
    tz = context.config.scheduler.tz
    lines = [f"<b>{context.t('scuola.edition_title', title=edition.title)}</b>"]
    for session in edition.sessions:
        where = session.place or context.label("scuola.online")
        when = say_span(session.starts_at, session.ends_at, tz, context.lang)
        lines.append(context.t("scuola.session_line", when=when, where=where))
    if edition.capacity and counts is not None:
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
            rows.append([join_button(context, edition, counts)])
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


async def prepare_editions(data: BotData):
    """Read and check data/scuola.toml (raises DataError); the returned step writes its editions
    into the database, where the file wins for them. Editions made in the chat are left alone."""
    path = data.config.storage.data_dir / "scuola.toml"
    editions = load_editions(path, data.config.scheduler.tz, data.clock.now())

    async def apply() -> None:
        for edition in editions:
            await data.repo.editions.save(edition, data.clock.now())

    return apply
