"""A lab as people see it, as a service: its card (text and buttons), its hours in words (open
now, a day asked about, the week, closures), the list of labs, the nearest labs to a position or
a place, and the venue on the map. The labs feature shows them, and so do the questions, the
editors (after a change) and the coordinators' tools: this is what they share. The buttons are
the labs feature's protocol (`bot.protocols.LAB`), handled by it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import date, time, timedelta

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatType

from bot import protocols
from bot.callbacks import Buttons, Tap
from bot.context import Ctx
from bot.i18n import escape
from domain import dates
from domain.activities import Activity
from domain.dates import DateProblem, WeekdayMismatch, check_window, parse_day
from domain.directory import Lab, Place
from domain.geo import FAR_AWAY_M, format_distance, nearest
from domain.hours import Hours, compact, say, say_ranges
from domain.text import normalize

log = logging.getLogger(__name__)

BUTTONS = protocols.LAB
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
        lines = [context.t("hours.day_open", name=lab.name, day=named, hours=say_ranges(ranges))]
    else:
        lines = [context.t("hours.day_closed", name=lab.name, day=named)]
    festive = dates.holiday(day)
    if festive is not None and not any(c.covers(day) for c in hours.closures):
        # The week's hours, on a public holiday the lab said nothing about: said as such.
        lines.append(context.t("hours.holiday", holiday=context.label(f"holiday.{festive}")))
    return lines


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


async def tool_lab(update: Update, context: Ctx, tap: Tap) -> Lab | None:
    """The lab a card's tool (its first argument) was tapped for, in a private chat, the tap
    answered; None (the tap answered as stale or private-only) otherwise."""
    lab = context.data.labs.current.lab(tap.args[0]) if tap.args else None
    if lab is None:
        await tap.stale(context)
        return None
    if not context.in_private:
        await tap.answer(context.label("labedit.private_only"), alert=True)
        return None
    await tap.answer()
    return lab


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
        rows += proposal_buttons(context, lab.id)
    rows += editor_buttons(context, lab.id)
    if browsing:
        rows.append([button(context.label("labs.back"), "list")])
    else:
        rows.append([button(context.label("labs.all"), "list")])
    return InlineKeyboardMarkup(rows)


button = BUTTONS.button


def proposal_buttons(context: Ctx, lab_id: str) -> list[list[InlineKeyboardButton]]:
    """Citizens take part from a lab's card (handlers/proposals): proposing an idea and
    offering a hand (in a private chat, where the forms run) and, when there are any, the
    lab's proposals."""
    rows: list[list[InlineKeyboardButton]] = []
    proposals = protocols.PROPOSALS
    if context.in_private:
        rows.append([proposals.button(context.label("proposals.propose_button"), "new", lab_id)])
        rows.append([protocols.OFFERS.button(context.label("offers.button"), "new", lab_id)])
    count = context.data.proposal_counts.get(lab_id, 0)
    if count:
        label = context.label("proposals.lab_button", count=count)
        rows.append([proposals.button(label, "lab", lab_id)])
    return rows


def editor_buttons(context: Ctx, lab_id: str) -> list[list[InlineKeyboardButton]]:
    """What a card offers staff, and the lab's own coordinators: editing it, writing to the
    people who follow it, and (staff) who coordinates it. Private chats only: staff tools never
    show in a group. Each handler checks the role again."""
    if not context.in_private or not context.may_edit_lab(lab_id):
        return []

    def tool(label: str, feature: Buttons, action: str) -> list[InlineKeyboardButton]:
        return [feature.button(context.label(label), action, lab_id)]

    rows = [
        tool("labs.edit", protocols.LAB_EDIT, "menu"),
        tool("coord.new_event", protocols.EVENT_EDIT, "lab"),
        tool("coord.write_followers", protocols.ANNOUNCE, "lab"),
        tool("coord.poster", protocols.LAB, "qr"),
    ]
    if context.is_staff_user:
        rows.append(tool("coord.manage", protocols.COORD, "list"))
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
        rows.append([protocols.LAB_EDIT.button(context.label("labs.new"), "new")])
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


def chat_of(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


def is_private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


async def follows(update: Update, context: Ctx, lab: Lab) -> bool:
    """Whether the person follows the lab, for the card's toggle: in a private chat only (in a
    group the button is everyone's, and says what it does for whoever taps it)."""
    user = update.effective_user
    if user is None or not is_private(update):
        return False
    return f"lab:{lab.id}" in await context.repo.subscriptions.topics(user.id)


async def send_card(update: Update, context: Ctx, lab: Lab, *, intro: str = "") -> None:
    """The card as a new message, then the venue so the phone can navigate there."""
    text = (intro + "\n\n" if intro else "") + card_text(context, lab)
    following = await follows(update, context, lab)
    markup = card_keyboard(context, lab, browsing=False, following=following)
    await context.bot.send_message(chat_of(update), text, reply_markup=markup)
    await send_venue(update, context, lab)


async def send_venue(update: Update, context: Ctx, lab: Lab) -> None:
    if lab.lat is None or lab.lon is None:
        return
    await context.bot.send_venue(
        chat_of(update),
        latitude=lab.lat,
        longitude=lab.lon,
        title=lab.name,
        address=venue_address(context, lab),
    )


async def send_list(update: Update, context: Ctx) -> None:
    text, markup = list_view(context)
    await context.bot.send_message(chat_of(update), text, reply_markup=markup)


async def ask_location(update: Update, context: Ctx) -> None:
    if not is_private(update):  # location buttons work only in private chats
        await send_list(update, context)
        return
    await context.bot.send_message(
        chat_of(update), context.t("labs.ask_location"), reply_markup=location_keyboard(context)
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
            chat_of(update),
            context.t("labs.place_very_far", place=named, distance=closest, email=mail),
            reply_markup=InlineKeyboardMarkup(  # what it can do: for someone who moves here
                [
                    [button(context.label("menu.labs"), "loc")],
                    [button(context.label("labs.all"), "list")],
                ]
            ),
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
        chat_of(update), "\n".join(lines), reply_markup=InlineKeyboardMarkup(buttons)
    )
