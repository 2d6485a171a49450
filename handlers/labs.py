"""Find a lab: the list, the lab cards, nearest labs by location or place, inline mode, deep links,
QR codes and posters, and the lab directory in service (loaded at start; /ricarica reads it again).

Callback data `lab:v1:<action>[:<arg>]`:
    list            edit the message into the list of labs
    open:<id>       edit the message into that lab's card, with "back" (browsing)
    card:<id>       send the card as a new message, then its venue (from search results)
    map:<id>        send the venue
    near:<place>    send the nearest labs to a place (answer to "did you mean")
    loc             ask for the location (reply keyboard)
    qr:<id>         staff, and the lab's coordinators: the QR code of the lab's deep link and
                    its printable poster
    qr-scuola       staff: the same for the Scuola (?start=scuola)
    qr-rete         staff: the same for the network (the bot's plain link)
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    CommandHandler,
    InlineQueryHandler,
    MessageHandler,
    filters,
)

from bot import callbacks, directory, flows, poster
from bot.context import BotData, CommandSpec, Ctx
from bot.flows import Buttons, edit_or_send, stale
from bot.guards import staff_or
from bot.i18n import escape
from domain import dates
from domain.activities import Activity
from domain.dates import DateProblem, WeekdayMismatch, check_window, parse_day
from domain.directory import Lab, Place
from domain.geo import FAR_AWAY_M, format_distance, nearest, valid_coordinates
from domain.hours import Hours, compact, say, say_ranges
from domain.text import normalize

log = logging.getLogger(__name__)

BUTTONS = Buttons("lab")
FEATURE = BUTTONS.feature
NEAREST = 3
# A card is one message (4,096 characters): at most this many activities on it.
CARD_ACTIVITIES, CARD_PAST = 10, 3
VERY_FAR_M = 100_000  # from this far, no list of labs: a kind word and the network's address
HOME_PROVINCE = "PV"
_INFERRED = re.compile(r"\s*\(inferred\)", re.IGNORECASE)


# --- rendering ----------------------------------------------------------------------------------


def shown(context: Ctx, value: str) -> str:
    """A data value as people read it: "(inferred)" becomes "(da confermare)"."""
    return _INFERRED.sub(f" ({context.label('card.to_confirm')})", value).strip()


def today(context: Ctx) -> date:
    """Today in Italy (the scheduler's time zone): when an activity is over is a local date."""
    return context.now().astimezone(context.config.scheduler.tz).date()


def split_activities(
    context: Ctx, activities: Iterable[Activity]
) -> tuple[list[Activity], list[Activity]]:
    """Current activities, and past ones (their year or end date has gone by)."""
    day = today(context)
    items = list(activities)
    return [a for a in items if not a.is_past(day)], [a for a in items if a.is_past(day)]


def activity_text(context: Ctx, activity: Activity) -> str:
    """One activity as HTML: what, for whom, when; a past one says when it ran ("nel 2018")."""
    what = activity.what_in(context.lang)
    details = [context.label(f"audience.{a}") for a in activity.audiences]
    if _INFERRED.search(what):
        what = _INFERRED.sub("", what).strip()
        details.insert(0, context.label("card.to_confirm"))
    text = escape(what)
    if activity.is_past(today(context)):
        if activity.until is not None:
            details.append(
                context.label("activity.ended", date=activity.until.strftime("%d/%m/%Y"))
            )
        elif activity.year is not None:
            details.append(context.label("activity.in_year", year=activity.year))
    elif activity.period:
        details.append(activity.period)
    elif activity.until is not None:
        details.append(context.label("activity.until", date=activity.until.strftime("%d/%m/%Y")))
    details = unsaid(what, details)
    return f"{text} ({escape(', '.join(details))})" if details else text


def unsaid(what: str, details: list[str]) -> list[str]:
    """The details an activity's own words do not already say: "Gruppo di lettura per adulti,
    nel 2018" needs no "(per adulti, nel 2018)" after it."""
    words = set(normalize(what).split())
    return [d for d in details if not set(normalize(d).split()) - {"nel", "in"} <= words]


def say_day(context: Ctx, day: date) -> str:
    return dates.say_day(day, context.lang)


def say_clock(context: Ctx, moment: time) -> str:
    """ "alle 15" in Italian; "at 15:00" in English, where a bare "15" reads oddly."""
    return f"{moment.hour}:{moment.minute:02d}" if context.lang == "en" else say(moment)


def open_now_text(context: Ctx, hours: Hours) -> str:
    """ "Adesso: aperto fino alle 12" or "Adesso: chiuso; riapre giovedì 11 marzo alle 15";
    when today's hours, or those of a day before the next known opening, were never given, it
    says so instead of claiming closed (`hours_unknown_now`)."""
    tz = context.config.scheduler.tz
    status = hours.status(context.now(), tz)
    if status.open_now:
        assert status.until is not None
        return context.t("hours.open_until", until=say_clock(context, status.until))
    if not status.known_today:
        return context.t("hours.today_unknown")
    if status.unknown_from is not None:
        return context.t("hours.closed_unknown_next", day=_when(context, status.unknown_from))
    if status.next_open is None:
        return context.t("hours.closed_no_next")
    nxt = status.next_open
    return context.t(
        "hours.closed_next", when=_when(context, nxt.date()), at=say_clock(context, nxt.time())
    )


def hours_unknown_now(context: Ctx, hours: Hours) -> bool:
    status = hours.status(context.now(), context.config.scheduler.tz)
    return not status.open_now and (not status.known_today or status.unknown_from is not None)


def name_with_status(context: Ctx, lab: Lab) -> str:
    """A lab's name for a button, with 🟢 open now or 🔴 closed now when its hours say so."""
    if lab.schedule is None or lab.schedule.empty:
        return lab.name
    status = lab.schedule.status(context.now(), context.config.scheduler.tz)
    if status.open_now:
        return f"🟢 {lab.name}"
    if hours_unknown_now(context, lab.schedule) and not status.known_today:
        return lab.name
    return f"🔴 {lab.name}"


def _when(context: Ctx, day: date) -> str:
    if day == today(context):
        return context.label("hours.today")
    if day == today(context) + timedelta(days=1):
        return context.label("hours.tomorrow")
    return say_day(context, day)


def ask_hours_text(context: Ctx, lab: Lab) -> str:
    """How to learn hours the bot was not given: the lab's own contacts, else the network."""
    if lab.contacts:
        return context.t("hours.ask_lab", contacts=lab.contacts, email=context.contact_email)
    return context.t("hours.ask_network", email=context.contact_email)


def hours_text(
    context: Ctx, lab: Lab, hours: Hours, when: str | None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """Open now or not, and the next opening; or, asked about a day ("aperto sabato 19?"), that
    day's hours (closures and special hours included); then the week. A day whose hours were
    never given is said to be unknown, with whom to ask. A weekday that does not match the
    number is asked back, with a button for each reading (the keyboard returned)."""
    day = None
    lines: list[str] = []
    if when is not None and when.startswith("date:"):
        try:
            day = check_window(
                parse_day(when.removeprefix("date:"), today(context)), today(context)
            )
        except WeekdayMismatch as mismatch:
            return _asked_back(context, lab, mismatch), _asked_back_keyboard(context, lab, mismatch)
        except DateProblem as problem:  # "il 31 febbraio": said, then the hours as for today
            lines.append(context.t(f"dates.{problem.code}"))
    unknown = False
    if day is not None:
        lines.extend(day_hours_lines(context, lab, hours, day))
        unknown = hours.on(day) is None
    else:
        lines += [context.t("hours.title", name=lab.name), open_now_text(context, hours)]
        ranges = hours.on(today(context))
        if ranges:
            lines.append(context.t("hours.today_are", hours=say_ranges(ranges)))
        unknown = hours_unknown_now(context, hours)
    if unknown:
        lines.append(ask_hours_text(context, lab))
    lines.append(context.t("hours.week", week=compact(hours, context.lang)))
    lines.extend(closure_lines(context, hours))
    if lab.hours:
        lines.append(f"ℹ️ {escape(lab.hours)}")
    return "\n".join(lines), None


def day_hours_lines(context: Ctx, lab: Lab, hours: Hours, day: date) -> list[str]:
    ranges, named = hours.on(day), say_day(context, day)
    if ranges is None:
        return [context.t("hours.day_unknown", name=lab.name, day=named)]
    if ranges:
        return [context.t("hours.day_open", name=lab.name, day=named, hours=say_ranges(ranges))]
    return [context.t("hours.day_closed", name=lab.name, day=named)]


def _asked_back(context: Ctx, lab: Lab, mismatch: WeekdayMismatch) -> str:
    found = mismatch.found
    return context.t(
        "hours.weekday_mismatch",
        date=f"{found.day} {dates.MONTHS[context.lang][found.month - 1]}",
        actual=dates.WEEKDAYS[context.lang][found.weekday()],
        named=dates.WEEKDAYS[context.lang][mismatch.named.weekday()],
    )


def _asked_back_keyboard(context: Ctx, lab: Lab, mismatch: WeekdayMismatch) -> InlineKeyboardMarkup:
    rows = [
        [button(say_day(context, day).capitalize(), "hours", lab.id, f"{day:%Y%m%d}")]
        for day in sorted({mismatch.found, mismatch.named})
    ]
    return InlineKeyboardMarkup(rows)


def closure_lines(context: Ctx, hours: Hours) -> list[str]:
    """The closures and exceptional hours to come (the next three)."""
    lines = []
    for closure in hours.upcoming_closures(today(context))[:3]:
        start, end = say_day(context, closure.start), say_day(context, closure.end)
        one_day = closure.start == closure.end
        if closure.closed:
            key = "hours.closure_day" if one_day else "hours.closure_span"
            lines.append(context.t(key, day=start, start=start, end=end))
        else:
            key = "hours.special_day" if one_day else "hours.special_span"
            shown = say_ranges(closure.ranges)
            lines.append(context.t(key, day=start, start=start, end=end, hours=shown))
    return lines


def card_text(context: Ctx, lab: Lab) -> str:
    mail = context.contact_email
    lines = [context.t("card.title", name=lab.name)]
    if lab.hidden:
        lines.append(context.t("card.hidden"))
    if lab.area:
        lines.append(context.t("card.area", area=shown(context, lab.area_in(context.lang))))
    if lab.address:
        lines.append(context.t("card.address", address=shown(context, lab.address)))
    else:
        lines.append(context.t("card.address_unknown"))
    current, past = split_activities(context, lab.activities)
    if current:
        lines.append(context.t("card.activities"))
        lines.extend(f"  • {activity_text(context, a)}" for a in current[:CARD_ACTIVITIES])
    else:
        lines.append(context.t("card.activities_unknown", email=mail))
    if past:
        lines.append(context.t("card.activities_past"))
        lines.extend(f"  • {activity_text(context, a)}" for a in past[:CARD_PAST])
    hidden = max(0, len(current) - CARD_ACTIVITIES) + max(0, len(past) - CARD_PAST)
    if hidden:  # a card is one message: the rest is one question away
        lines.append(context.count("card.activities_more", hidden))
    if lab.schedule is not None and not lab.schedule.empty:
        lines.append(context.t("card.hours", hours=compact(lab.schedule, context.lang)))
        lines.append(open_now_text(context, lab.schedule))
        if hours_unknown_now(context, lab.schedule):
            lines.append(ask_hours_text(context, lab))
        lines.extend(closure_lines(context, lab.schedule))
    elif lab.hours:
        lines.append(context.t("card.hours", hours=lab.hours))
    else:
        lines.append(context.t("card.hours_unknown", email=mail))
    if lab.organisation:
        lines.append(context.t("card.organisation", organisation=shown(context, lab.organisation)))
    else:
        lines.append(context.t("card.organisation_unknown"))
    if lab.contacts:
        lines.append(context.t("card.contacts", contacts=lab.contacts))
    else:
        lines.append(context.t("card.contacts_unknown", email=mail))
    if not lab.located:
        lines.append(context.t("card.position_unknown"))
    elif lab.position == "approx":
        lines.append(context.t("card.position_approx"))
    updated = context.data.labs.updated(lab.id)
    if updated is not None:
        day = updated.astimezone(context.config.scheduler.tz).date()
        lines.append(context.t("card.updated", date=f"{day:%d/%m/%Y}"))
    return "\n".join(lines)


def card_keyboard(
    context: Ctx, lab: Lab, *, browsing: bool, following: bool = False
) -> InlineKeyboardMarkup:
    rows: list[list[InlineKeyboardButton]] = []
    first: list[InlineKeyboardButton] = []
    if lab.located:
        first.append(button(context.label("labs.map"), "map", lab.id))
    if not lab.hidden:
        first.append(
            InlineKeyboardButton(context.label("labs.share"), switch_inline_query=lab.name)
        )
    if first:
        rows.append(first)
    if not lab.hidden:
        key = "labs.unfollow" if following else "labs.follow"
        rows.append([button(context.label(key), "follow", lab.id)])
    rows += editor_buttons(context, lab.id)
    if browsing:
        rows.append([button(context.label("labs.back"), "list")])
    else:
        rows.append([button(context.label("labs.all"), "list")])
    return InlineKeyboardMarkup(rows)


button = BUTTONS.button


def editor_buttons(context: Ctx, lab_id: str) -> list[list[InlineKeyboardButton]]:
    """What a card offers staff, and the lab's own coordinators: editing it, writing to the
    people who follow it, and (staff) who coordinates it. Private chats only: staff tools never
    show in a group. Each handler checks the role again."""
    if not context.in_private or not context.may_edit_lab(lab_id):
        return []

    def tool(label: str, feature: str, action: str) -> list[InlineKeyboardButton]:
        data = callbacks.pack(feature, action, lab_id)
        return [InlineKeyboardButton(context.label(label), callback_data=data)]

    rows = [
        tool("labs.edit", "labedit", "menu"),
        tool("coord.new_event", "evedit", "lab"),
        tool("coord.write_followers", "annuncio", "lab"),
        tool("coord.poster", "lab", "qr"),
    ]
    if context.is_staff_user:
        rows.append(tool("coord.manage", "coord", "list"))
    return rows


def list_view(context: Ctx) -> tuple[str, InlineKeyboardMarkup]:
    staff = context.is_staff_user and context.in_private  # staff tools never in a group
    current = context.data.labs.current
    labs = current.visible
    lines = [context.t("labs.list_title", count=len(labs))]
    buttons: list[InlineKeyboardButton] = []
    for district, key in (("pavia", "labs.group_pavia"), ("distretto", "labs.group_distretto")):
        group = [lab for lab in labs if lab.district == district]
        if not group:
            continue
        lines.append("")
        lines.append(f"<b>{context.t(key)}</b>")
        for lab in group:
            area = f" — {escape(shown(context, lab.area_in(context.lang)))}" if lab.area else ""
            lines.append(f"• {escape(lab.name)}{area}")
            buttons.append(button(lab.name, "open", lab.id))
    hidden = [lab for lab in current.labs if lab.hidden]
    if staff and hidden:
        lines.append("")
        lines.append(context.t("labs.list_hidden", names=", ".join(lab.name for lab in hidden)))
        buttons.extend(button(f"🙈 {lab.name}", "open", lab.id) for lab in hidden)
    lines.append("")
    lines.append(context.t("labs.list_hint"))
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    if staff:
        rows.append(
            [
                InlineKeyboardButton(
                    context.label("labs.new"), callback_data=callbacks.pack("labedit", "new")
                )
            ]
        )
    return "\n".join(lines), InlineKeyboardMarkup(rows)


def venue_address(context: Ctx, lab: Lab) -> str:
    # On the map, an unconfirmed address is as indicative as the position itself.
    address = _INFERRED.sub("", lab.address or lab.area_in(context.lang) or "Pavia").strip()
    if lab.position == "approx":
        return context.label("venue.approx", address=address)
    return address


def location_keyboard(context: Ctx) -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        [
            [KeyboardButton(context.label("labs.button_location"), request_location=True)],
            [KeyboardButton(context.label("labs.button_list"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder="Mirabello, Cava Manara…",
    )


def deep_link(context: Ctx, lab: Lab) -> str:
    return f"https://t.me/{context.bot.username}?start=lab_{lab.id}"


# --- sending ------------------------------------------------------------------------------------


def _chat_id(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


def _is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


async def _follows(update: Update, context: Ctx, lab: Lab) -> bool:
    """Whether the person follows the lab, for the card's toggle: in a private chat only (in a
    group the button is everyone's, and says what it does for whoever taps it)."""
    user = update.effective_user
    if user is None or not _is_private(update):
        return False
    return f"lab:{lab.id}" in await context.repo.subscriptions.topics(user.id)


async def send_card(update: Update, context: Ctx, lab: Lab, *, intro: str = "") -> None:
    """The card as a new message, then the venue so the phone can navigate there."""
    text = (intro + "\n\n" if intro else "") + card_text(context, lab)
    following = await _follows(update, context, lab)
    markup = card_keyboard(context, lab, browsing=False, following=following)
    await context.bot.send_message(_chat_id(update), text, reply_markup=markup)
    await send_venue(update, context, lab)


async def send_venue(update: Update, context: Ctx, lab: Lab) -> None:
    if lab.lat is None or lab.lon is None:
        return
    await context.bot.send_venue(
        _chat_id(update),
        latitude=lab.lat,
        longitude=lab.lon,
        title=lab.name,
        address=venue_address(context, lab),
    )


async def send_list(update: Update, context: Ctx) -> None:
    text, markup = list_view(context)
    await context.bot.send_message(_chat_id(update), text, reply_markup=markup)


async def ask_location(update: Update, context: Ctx) -> None:
    if not _is_private(update):  # location buttons work only in private chats
        await send_list(update, context)
        return
    await context.bot.send_message(
        _chat_id(update), context.t("labs.ask_location"), reply_markup=location_keyboard(context)
    )


async def send_nearest(
    update: Update, context: Ctx, lat: float, lon: float, place: Place | None
) -> None:
    """The nearest labs to a shared position (`place` None) or to a place named. A town outside
    the Distretto sociale pavese is said to be outside it, with the network's address; a far city
    (Rome) gets a kind word and no list of labs hundreds of kilometres away."""
    labs = context.data.labs.current.visible
    ranked = nearest(lat, lon, labs, limit=NEAREST)
    if not ranked:
        await send_list(update, context)
        return
    closest = format_distance(ranked[0][1], context.lang)
    mail = context.contact_email
    named = place.name_in(context.lang) if place is not None else ""
    if place is not None and ranked[0][1] > VERY_FAR_M:
        await context.bot.send_message(
            _chat_id(update),
            context.t("labs.place_very_far", place=named, distance=closest, email=mail),
            reply_markup=InlineKeyboardMarkup([[button(context.label("labs.all"), "list")]]),
        )
        return
    lines: list[str] = []
    if place is not None and not place.in_district:
        key = "labs.place_far" if ranked[0][1] > FAR_AWAY_M else "labs.outside_district"
        if key == "labs.outside_district" and place.province == HOME_PROVINCE:
            key = "labs.outside_district_home"
        lines.append(context.t(key, place=named, distance=closest))
    elif ranked[0][1] > FAR_AWAY_M:
        lines.append(context.t("labs.far_away", distance=closest))
    elif place is not None:
        lines.append(context.t("labs.nearest_to_place", place=named))
    else:
        lines.append(context.t("labs.nearest_to_you"))
    buttons = []
    for n, (lab, metres) in enumerate(ranked, start=1):
        distance = format_distance(metres, context.lang)
        lines.append(context.t("labs.nearest_line", n=n, name=lab.name, distance=distance))
        buttons.append([button(f"{lab.name} · {distance}", "card", lab.id)])
    unlocated = [lab.name for lab in labs if not lab.located]
    lines.append("")
    if unlocated and (place is None or place.in_district):  # noise for a town further away
        lines.append(context.t("labs.unlocated", email=mail, names=", ".join(unlocated)))
    lines.append(context.t("labs.distance_note"))
    if place is not None and not place.in_district:
        lines.append(context.t("labs.outside_hint", email=mail))
    lines.append(context.t("labs.pick_hint"))
    buttons.append([button(context.label("labs.all"), "list")])
    await context.bot.send_message(
        _chat_id(update), "\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons)
    )


# --- handlers -----------------------------------------------------------------------------------


async def list_command(update: Update, context: Ctx) -> None:
    await send_list(update, context)


async def near_command(update: Update, context: Ctx) -> None:
    await ask_location(update, context)


SHARED_POSITION = (
    filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & (filters.LOCATION | filters.VENUE)
)


def register_first(app: Application) -> None:
    """A position shared by someone with no staff flow open is a search for the nearest labs,
    whatever else group 0 holds: only a lab editor's conversation takes a position (its step
    needs the flow open). Checked first, it skips matching against every command and
    conversation (about 15 µs)."""
    app.add_handler(MessageHandler(SHARED_POSITION & flows.NO_OPEN_FLOW, on_location))


async def on_location(update: Update, context: Ctx) -> None:
    message = update.effective_message
    assert message is not None
    location = message.venue.location if message.venue else message.location
    if location is None or not valid_coordinates(location.latitude, location.longitude):
        await message.reply_text(context.t("labs.invalid_location"))
        return
    # The position is used for this answer only and never stored.
    await send_nearest(update, context, location.latitude, location.longitude, None)


async def on_button(update: Update, context: Ctx) -> None:
    query = update.callback_query
    assert query is not None
    parsed = await BUTTONS.pressed(update, context)
    if parsed is None:
        return
    action, args = parsed.action, parsed.args
    labs = context.data.labs.current
    if action == "list":
        await query.answer()
        text, markup = list_view(context)
        await edit_or_send(update, context, text, markup)
    elif action in QR_ACTIONS:
        await qr_button(update, context)
    elif action in ("open", "card", "map") and args:
        staff = context.is_staff(query.from_user.id) and context.in_private
        lab = labs.any_lab(args[0]) if staff else labs.lab(args[0])
        if lab is None:
            await query.answer(context.label("labs.gone_alert"), show_alert=True)
            await send_list(update, context)
            return
        await query.answer()
        if action == "open":
            following = await _follows(update, context, lab)
            markup = card_keyboard(context, lab, browsing=True, following=following)
            await edit_or_send(update, context, card_text(context, lab), markup)
        elif action == "card":
            await send_card(update, context, lab)
        elif lab.located:
            await send_venue(update, context, lab)
        else:
            await context.bot.send_message(
                _chat_id(update),
                context.t("labs.no_position", name=lab.name, email=context.contact_email),
            )
    elif action == "near" and args and (place := labs.place(args[0])) is not None:
        await query.answer()
        if place.lat is not None and place.lon is not None:
            await send_nearest(update, context, place.lat, place.lon, place)
        else:
            await send_list(update, context)
    elif action == "follow" and args and (lab := labs.lab(args[0])) is not None:
        await follow(update, context, lab)
    elif action == "hours" and len(args) == 2 and (lab := labs.lab(args[0])) is not None:
        await _hours_on_day(update, context, lab, args[1])
    elif action == "loc":
        await query.answer()
        await ask_location(update, context)
    else:
        await stale(update, context)


async def _hours_on_day(update: Update, context: Ctx, lab: Lab, day_text: str) -> None:
    """The day chosen after a weekday that did not match its number: that day's hours."""
    query = update.callback_query
    assert query is not None
    try:
        day = datetime.strptime(day_text, "%Y%m%d").date()
    except ValueError:
        await stale(update, context)
        return
    await query.answer()
    schedule = lab.schedule or Hours()
    lines = day_hours_lines(context, lab, schedule, day)
    if schedule.on(day) is None:
        lines.append(ask_hours_text(context, lab))
    rows = [[button(context.label("labs.full_card", name=lab.name), "card", lab.id)]]
    await edit_or_send(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))


async def follow(update: Update, context: Ctx, lab: Lab) -> None:
    """News of one lab (announcements staff send to the people following it): a toggle."""
    query = update.callback_query
    assert query is not None
    topic = f"lab:{lab.id}"
    on = topic not in await context.repo.subscriptions.topics(query.from_user.id)
    await context.repo.subscriptions.set(query.from_user.id, topic, on, context.now())
    key = "labs.followed" if on else "labs.unfollowed"
    await query.answer(context.label(key, name=lab.name[:80]), show_alert=True)
    message = query.message
    markup = getattr(message, "reply_markup", None)
    if _is_private(update) and markup is not None:  # the toggle now says what it will do
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
        await send_list(update, context)
        return
    await send_card(update, context, lab)


async def list_link(update: Update, context: Ctx, _rest: str) -> None:
    await send_list(update, context)


async def near_link(update: Update, context: Ctx, _rest: str) -> None:
    await ask_location(update, context)


async def inline_query(update: Update, context: Ctx) -> None:
    query = update.inline_query
    assert query is not None
    current = context.data.labs.current
    text = query.query.strip()
    if text:
        mentioned = context.data.labs.matcher.mentions(text)
        ids = [m.key for m in mentioned if m.kind == "lab"]
        places = [current.place(m.key) for m in mentioned if m.kind == "place"]
        for place in places:
            if place is not None and place.lat is not None and place.lon is not None:
                ids += [lab.id for lab, _ in nearest(place.lat, place.lon, current.visible)]
        needle = text.lower()
        ids += [lab.id for lab in current.visible if needle in lab.name.lower()]
        labs = [lab for lab_id in dict.fromkeys(ids) if (lab := current.lab(lab_id))]
    else:
        labs = list(current.visible)
    results = [
        InlineQueryResultArticle(
            id=lab.id,
            title=lab.name,
            description=shown(context, lab.area_in(context.lang)) or None,
            input_message_content=InputTextMessageContent(card_text(context, lab)),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            context.label("labs.open_in_bot"), url=deep_link(context, lab)
                        )
                    ]
                ]
            ),
        )
        for lab in labs[:50]
    ]
    empty_button = None
    if not results:
        empty_button = InlineQueryResultsButton(
            text=context.label("inline.empty"), start_parameter="laboratori"
        )
    await query.answer(results, cache_time=60, is_personal=False, button=empty_button)


# --- QR codes and posters (staff) ---------------------------------------------------------------

QR_ACTIONS = ("qr", "qr-scuola", "qr-rete")
SCUOLA_WORDS = frozenset({"scuola", "school"})
NETWORK_WORDS = frozenset({"rete", "network"})
# Posters hang in Pavia: their line in Italian, and in English in smaller type (the bot speaks
# both). Names stay as they are.
POSTER_LANGUAGES = ("it", "en")


@dataclass(frozen=True)
class QrTarget:
    """What a QR code opens: a lab's card, the Scuola, or the bot itself (the network)."""

    slug: str  # in the file names: poster-<slug>-a4.pdf
    title: str
    link: str
    line: str  # catalog key of what scanning gives
    kicker: str  # catalog key of the small line above the title


def lab_target(context: Ctx, lab: Lab) -> QrTarget:
    return QrTarget(lab.id, lab.name, deep_link(context, lab), "poster.lab_line", "poster.kicker")


def scuola_target(context: Ctx) -> QrTarget:
    title = context.data.texts.plain(POSTER_LANGUAGES[0], "poster.scuola_title")
    link = f"https://t.me/{context.bot.username}?start=scuola"
    return QrTarget("scuola", title, link, "poster.scuola_line", "poster.kicker")


def network_target(context: Ctx) -> QrTarget:
    """The bot's plain link: the shortest to type and the smallest code, and it opens the
    welcome with the whole menu (labs, Scuola, events)."""
    title = context.data.texts.plain(POSTER_LANGUAGES[0], "poster.network_title")
    link = f"https://t.me/{context.bot.username}"
    return QrTarget("rete", title, link, "poster.network_line", "poster.network_kicker")


def make_poster(context: Ctx, target: QrTarget) -> poster.Poster:
    texts = context.data.texts
    first, second = (texts.plain(lang, target.line) for lang in POSTER_LANGUAGES)
    kicker = texts.plain(POSTER_LANGUAGES[0], target.kicker)
    return poster.Poster(target.title, target.link, first, second, kicker)


@staff_or(lambda _update, context: bool(context.coordinated_labs()))
async def qr_command(update: Update, context: Ctx) -> None:
    """Staff: any lab's poster, the Scuola's, the network's. A lab's coordinator: her labs' (as
    the card's "🖨️ Manifesto con QR"), and no other."""
    message = update.effective_message
    assert message is not None
    current = context.data.labs.current
    staff = context.is_staff_user
    wanted = " ".join(context.args or []).strip()
    target = None
    if wanted.lower() in SCUOLA_WORDS | NETWORK_WORDS and not staff:
        await message.reply_text(context.t("staff.only"))
        return
    if wanted.lower() in SCUOLA_WORDS:
        target = scuola_target(context)
    elif wanted.lower() in NETWORK_WORDS:
        target = network_target(context)
    elif wanted:
        lab = current.any_lab(wanted)
        if lab is None:
            found = [m for m in context.data.labs.matcher.mentions(wanted) if m.kind == "lab"]
            lab = current.any_lab(found[0].key) if found else None
        if lab is not None and not context.may_edit_lab(lab.id):
            await message.reply_text(context.t("staff.only"))
            return
        target = lab_target(context, lab) if lab else None
    if target is None:
        if staff:
            rows = [[button(lab.name, "qr", lab.id)] for lab in current.visible]
            rows.append([button(context.label("qr.scuola_button"), "qr-scuola")])
            rows.append([button(context.label("qr.network_button"), "qr-rete")])
        else:
            mine = [
                lab for lab_id in context.coordinated_labs() if (lab := current.any_lab(lab_id))
            ]
            rows = [[button(lab.name, "qr", lab.id)] for lab in mine]
        await message.reply_text(
            context.t("qr.pick" if staff else "qr.pick_own"),
            reply_markup=InlineKeyboardMarkup(rows),
        )
        return
    await send_posters(update, context, target)


@staff_or(BUTTONS.lab_of_button)  # a lab's coordinator: that lab's poster
async def qr_button(update: Update, context: Ctx) -> None:
    query = update.callback_query
    assert query is not None
    if not context.in_private:  # a staff tool, whatever chat the button got into
        await query.answer(context.label("qr.private_only"), show_alert=True)
        return
    parsed = await BUTTONS.pressed(update, context, *QR_ACTIONS)
    if parsed is None:
        return
    if parsed.action == "qr-scuola":
        target = scuola_target(context)
    elif parsed.action == "qr-rete":
        target = network_target(context)
    else:
        lab = context.data.labs.current.any_lab(parsed.args[0]) if parsed.args else None
        if lab is None:
            await query.answer(context.label("labs.gone_alert"), show_alert=True)
            return
        target = lab_target(context, lab)
    await query.answer()
    await send_posters(update, context, target)


async def send_posters(update: Update, context: Ctx, target: QrTarget) -> None:
    """The QR code alone (for flyers, slides, posts), then the A4 poster as a PDF to print and
    as a 300 dpi PNG. The code goes first: it is instant, and stays if a drawing fails."""
    chat_id = _chat_id(update)
    image = io.BytesIO()
    import segno  # first use: only staff make QR codes

    segno.make(target.link, error="m").save(image, kind="png", scale=10, border=4)
    await context.bot.send_photo(
        chat_id,
        photo=image.getvalue(),
        filename=f"qr-{target.slug}.png",
        caption=context.t("qr.caption", name=target.title, link=target.link),
    )
    page = make_poster(context, target)
    await context.bot.send_chat_action(chat_id, ChatAction.UPLOAD_DOCUMENT)
    pdf = await asyncio.to_thread(poster.pdf, page)  # drawing blocks: the bot keeps answering
    await context.bot.send_document(
        chat_id, pdf, filename=f"poster-{target.slug}-a4.pdf", caption=context.t("qr.poster_pdf")
    )
    png = await asyncio.to_thread(poster.png, page)
    await context.bot.send_document(
        chat_id, png, filename=f"poster-{target.slug}-a4.png", caption=context.t("qr.poster_png")
    )


def register(app: Application) -> None:
    data: BotData = app.bot_data
    data.startup.append(directory.load_directory)
    data.reloaders.append(directory.prepare_directory)
    data.menu_actions["labs"] = ask_location
    data.deep_links["lab_"] = lab_link
    data.deep_links["laboratori"] = list_link
    data.deep_links["vicino"] = near_link
    data.commands.extend(
        [
            CommandSpec("laboratori", "cmd.laboratori", order=10),
            CommandSpec("vicino", "cmd.vicino", order=11),
            CommandSpec("qr", "cmd.qr", staff=True, coordinators=True),
        ]
    )
    app.add_handler(CommandHandler(["laboratori", "labs"], list_command))
    app.add_handler(CommandHandler(["vicino", "near"], near_command))
    app.add_handler(CommandHandler("qr", qr_command))
    app.add_handler(MessageHandler(SHARED_POSITION, on_location))
    app.add_handler(CallbackQueryHandler(on_button, pattern=BUTTONS.any_version))
    app.add_handler(InlineQueryHandler(inline_query))
