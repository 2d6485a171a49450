"""Browsing the labs: /laboratori and /vicino, a shared position, the card's buttons (open,
card, map, near, follow, a day's hours), and the deep links to a lab, the list and the nearest.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import datetime

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Update,
)
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    MessageHandler,
    filters,
)

from bot import flows, labview
from bot.callbacks import Tap
from bot.context import Ctx
from bot.flows import edit_or_send
from domain.directory import Lab
from domain.geo import valid_coordinates
from domain.hours import Hours

log = logging.getLogger(__name__)

# --- browsing -----------------------------------------------------------------------------------


async def list_command(update: Update, context: Ctx) -> None:
    await labview.send_list(update, context)


async def near_command(update: Update, context: Ctx) -> None:
    await labview.ask_location(update, context)


SHARED_POSITION = (
    filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & (filters.LOCATION | filters.VENUE)
)


def register_first(app: Application) -> None:
    """A position shared by someone with no staff flow open is a search for the nearest labs,
    whatever else group 0 holds: only a lab editor's conversation takes a position (its step
    needs the flow open). Checked first, it skips matching against every command and
    conversation (about 15 µs)."""
    app.add_handler(MessageHandler(SHARED_POSITION & flows.no_open_flow(app), on_location))


async def on_location(update: Update, context: Ctx) -> None:
    message = update.effective_message
    assert message is not None
    location = message.venue.location if message.venue else message.location
    if location is None or not valid_coordinates(location.latitude, location.longitude):
        await message.reply_text(context.t("labs.invalid_location"))
        return
    # The position is used for this answer only and never stored.
    await labview.send_nearest(update, context, location.latitude, location.longitude, None)


BUTTONS = labview.BUTTONS


@BUTTONS.on("list")
async def show_list(update: Update, context: Ctx, tap: Tap) -> None:
    await tap.answer()
    text, markup = labview.list_view(context)
    await edit_or_send(update, context, text, markup)


async def _shown_lab(update: Update, context: Ctx, tap: Tap) -> Lab | None:
    """The lab a card's button names (staff in private see hidden ones too), the tap answered;
    None, with the list, when it is gone."""
    labs = context.data.labs.current
    staff = context.is_staff(tap.user_id) and context.in_private
    lab = labs.any_lab(tap.args[0]) if staff else labs.lab(tap.args[0])
    if lab is None:
        await tap.answer(context.label("labs.gone_alert"), alert=True)
        await labview.send_list(update, context)
        return None
    await tap.answer()
    return lab


@BUTTONS.on("open", args=1)
async def open_card(update: Update, context: Ctx, tap: Tap) -> None:
    """A lab from the list: its card, in place of the list."""
    lab = await _shown_lab(update, context, tap)
    if lab is None:
        return
    following = await labview.follows(update, context, lab)
    markup = labview.card_keyboard(context, lab, browsing=True, following=following)
    await edit_or_send(update, context, labview.card_text(context, lab), markup)


@BUTTONS.on("card", args=1)
async def send_card(update: Update, context: Ctx, tap: Tap) -> None:
    lab = await _shown_lab(update, context, tap)
    if lab is not None:
        await labview.send_card(update, context, lab)


@BUTTONS.on("map", args=1)
async def send_map(update: Update, context: Ctx, tap: Tap) -> None:
    lab = await _shown_lab(update, context, tap)
    if lab is None:
        return
    if lab.located:
        await labview.send_venue(update, context, lab)
    else:
        await context.bot.send_message(
            labview.chat_of(update),
            context.t("labs.no_position", name=lab.name, email=context.contact_email),
        )


@BUTTONS.on("near", args=1)
async def near_place(update: Update, context: Ctx, tap: Tap) -> None:
    """The labs nearest to a place a card names (its neighbourhood)."""
    place = context.data.labs.current.place(tap.args[0])
    if place is None:
        await tap.stale(context)
        return
    await tap.answer()
    if place.lat is not None and place.lon is not None:
        await labview.send_nearest(update, context, place.lat, place.lon, place)
    else:
        await labview.send_list(update, context)


@BUTTONS.on("loc")
async def ask_location(update: Update, context: Ctx, tap: Tap) -> None:
    await tap.answer()
    await labview.ask_location(update, context)


@BUTTONS.on("hours", args=2)
async def hours_on_day(update: Update, context: Ctx, tap: Tap) -> None:
    """The day chosen after a weekday that did not match its number: that day's hours."""
    lab = context.data.labs.current.lab(tap.args[0])
    try:
        day = datetime.strptime(tap.args[1], "%Y%m%d").date()
    except ValueError:
        day = None
    if lab is None or day is None:
        await tap.stale(context)
        return
    await tap.answer()
    schedule = lab.schedule or Hours()
    lines = labview.day_hours_lines(context, lab, schedule, day)
    if schedule.on(day) is None:
        lines.append(labview.ask_hours_text(context, lab))
    rows = [[labview.button(context.label("labs.full_card", name=lab.name), "card", lab.id)]]
    await edit_or_send(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


@BUTTONS.on("follow", args=1)
async def follow(update: Update, context: Ctx, tap: Tap) -> None:
    """News of one lab (announcements staff send to the people following it): a toggle."""
    lab = context.data.labs.current.lab(tap.args[0])
    if lab is None:
        await tap.stale(context)
        return
    query = tap.query
    topic = f"lab:{lab.id}"
    on = topic not in await context.repo.subscriptions.topics(tap.user_id)
    await context.repo.subscriptions.set(tap.user_id, topic, on, context.now())
    key = "labs.followed" if on else "labs.unfollowed"
    await tap.answer(context.label(key, name=lab.name[:80]), alert=True)
    message = query.message
    markup = getattr(message, "reply_markup", None)
    if labview.is_private(update) and markup is not None:  # the toggle now says what it will do
        label = context.label("labs.unfollow" if on else "labs.follow")
        mine = BUTTONS.data("follow", lab.id)
        rows = [
            [InlineKeyboardButton(label, callback_data=mine) if b.callback_data == mine else b
             for b in row]
            for row in markup.inline_keyboard
        ]  # fmt: skip
        with contextlib.suppress(TelegramError):  # an old message: the answer said it all
            await query.edit_message_reply_markup(InlineKeyboardMarkup(rows))


async def lab_link(update: Update, context: Ctx, rest: str) -> None:
    lab = context.data.labs.current.lab(rest)
    if lab is None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(context.t("labs.gone"))
        await labview.send_list(update, context)
        return
    await labview.send_card(update, context, lab)


async def list_link(update: Update, context: Ctx, _rest: str) -> None:
    await labview.send_list(update, context)


async def near_link(update: Update, context: Ctx, _rest: str) -> None:
    await labview.ask_location(update, context)
