"""Staff complete the lab directory from the chat.

    card "✏️ Modifica" ──> CHOOSE ──field──> VALUE ──text/location──> CONFIRM ──save──> CHOOSE
    list "➕ Nuovo" ──> NEW_NAME ──name──> CONFIRM ──save──> CHOOSE (the new lab)
    CHOOSE ──hide/show/district──> CONFIRM;  CHOOSE ──done──> end (the updated card)
    /annulla at any step ends without saving the pending change.

Every saved change is a row of `lab_edits` (who, what, when), applied on top of data/labs.toml
and visible to citizens at once. Callback data `labedit:v1:<action>[:<arg>]`. Every step checks
the staff role itself: a forged button from a citizen changes nothing.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

from telegram import (
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.ext import (
    Application,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import directory, labview, protocols
from bot.callbacks import Tap
from bot.context import Ctx
from bot.flows import Flow, edit_or_send, stale
from bot.guards import coordinator_of_tapped_lab, staff_only, staff_or
from bot.i18n import escape
from domain.activities import Activity, from_value
from domain.dates import WEEKDAYS, DateProblem
from domain.directory import (
    EDITABLE,
    Lab,
    apply_edit,
    check_name,
    check_position,
    check_text,
    unique_slug,
)
from domain.hours import (
    SHORT_DAYS,
    Hours,
    HoursProblem,
    Range,
    compact,
    parse_closure,
    parse_weekday,
    say_ranges,
)
from domain.hours import from_value as hours_from_value
from domain.text import one_line
from storage.labs import EditRecord

log = logging.getLogger(__name__)

CHOOSE, VALUE, CONFIRM, NEW_NAME, HOURS, DAY, CLOSURE = range(7)
# What a lab's coordinator may change; staff change everything (and create and hide labs).
COORDINATOR_FIELDS = frozenset(
    {"area", "address", "position", "activities", "schedule", "hours", "contacts", "organisation"}
)
MAX_ACTIVITIES = 15
MAX_ACTIVITY = 200
MULTILINE = ("hours", "contacts")  # "lunedì 9-12" and "mercoledì 15-18" may be two lines
_COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:[.,]\d+)?)\s*[,;\s]\s*(-?\d{1,3}(?:[.,]\d+)?)\s*$")


@dataclass
class Draft:
    lab: str | None = None  # the lab being edited; None for a new one not created yet
    field: str | None = None  # the field whose new value is awaited
    pending: tuple[str, Any] | None = None  # (field, value) shown for confirmation, not saved
    day: int | None = None  # the weekday whose hours are awaited (0 = Monday)


def _editor_of_draft(update: Update, context: Ctx) -> bool:
    """A coordinator, on the lab of their open edit (checked again at every step: a role taken
    away takes effect at once)."""
    return context.coordinates(FLOW.draft(context).lab)


editor = staff_or(_editor_of_draft)


def _may_change(context: Ctx, field: str) -> bool:
    return context.is_staff_user or field in COORDINATOR_FIELDS


FLOW = Flow(
    protocols.LAB_EDIT.feature,
    Draft,
    name="flow.name.labedit",
    cancelled="labedit.cancelled",
    timeout_s=30 * 60,
    may_stay=lambda data, user_id, draft: (
        user_id in data.staff_ids or data.coordinates(draft.lab, user_id)
    ),
)
FEATURE = FLOW.feature


def _lab(context: Ctx) -> Lab | None:
    lab_id = FLOW.draft(context).lab
    return context.data.labs.current.any_lab(lab_id) if lab_id else None


def _field_label(context: Ctx, field: str) -> str:
    return context.label(f"labedit.field.{field}")


def _current_value(lab: Lab, field: str) -> Any:
    if field == "position":
        return None if lab.lat is None or lab.lon is None else [lab.lat, lab.lon]
    if field == "activities":
        return [activity.as_value() for activity in lab.activities]
    if field == "schedule":
        return lab.schedule.as_value() if lab.schedule is not None else None
    return getattr(lab, field)


def _activity_details(context: Ctx, activity: Activity) -> list[str]:
    details = [context.label(f"audience.{a}") for a in activity.audiences]
    if activity.until is not None:
        details.append(context.label("activity.until", date=f"{activity.until:%d/%m/%Y}"))
    elif activity.year is not None:
        details.append(str(activity.year))
    details.extend(f"#{k}" for k in activity.keywords)  # the words it is found by
    return labview.unsaid(activity.what, details)


def _show(context: Ctx, field: str, value: Any) -> str:
    if value in (None, "", []):
        return context.label("labedit.empty")
    if field == "position":
        return f"{value[0]:.5f}, {value[1]:.5f}"
    if field == "activities":  # one per line, with what was read from the words
        shown = [from_value(a) for a in value]
        return "\n".join(
            "• "
            + labview.shown(context, a.what)
            + (f" ({', '.join(details)})" if (details := _activity_details(context, a)) else "")
            for a in shown
        )
    if field == "district":
        return context.label(f"labs.group_{value}")
    if field == "hidden":
        return context.label("labedit.hidden_yes" if value else "labedit.hidden_no")
    if field == "schedule":
        hours = hours_from_value(value)
        week = compact(hours, context.lang) or context.label("labedit.hours_unset")
        days = [
            (f"{c.start:%d/%m}" if c.start == c.end else f"{c.start:%d/%m}–{c.end:%d/%m}")
            + ("" if c.closed else f" {say_ranges(c.ranges)}")
            for c in hours.closures
        ]
        return f"{week}; " + ", ".join(days) if days else week
    return labview.shown(context, str(value))  # "(inferred)" is "(da confermare)" to staff too


async def _menu(update: Update, context: Ctx, lab: Lab, *, edit: bool) -> int:
    history = await context.repo.lab_edits.history(lab.id)
    lines = [context.t("labedit.menu", name=lab.name)]
    if history:
        last = history[-1].changed_at.astimezone(context.config.scheduler.tz)
        lines.append(
            context.t("labedit.history", count=len(history), when=f"{last:%d/%m/%Y %H:%M}")
        )
    fields = [
        FLOW.button(_field_label(context, f), "field", f)
        for f in EDITABLE
        if _may_change(context, f)
    ]
    rows = [fields[i : i + 2] for i in range(0, len(fields), 2)]
    if context.is_staff_user:
        other = "distretto" if lab.district == "pavia" else "pavia"
        rows.append([FLOW.button(context.label(f"labedit.move_{other}"), "district")])
        label = "labedit.show" if lab.hidden else "labedit.hide"
        rows.append([FLOW.button(context.label(label), "hidden")])
        if history:
            rows.append([FLOW.button(context.label("labedit.history_show"), "history")])
    rows.append([FLOW.button(context.label("labedit.done"), "done")])
    markup = InlineKeyboardMarkup(rows)
    text = "\n".join(lines)
    await edit_or_send(update, context, text, markup, edit=edit)
    return CHOOSE


# --- entry points -------------------------------------------------------------------------------


@FLOW.on("menu", args=1)
@staff_or(coordinator_of_tapped_lab(FLOW))
async def start_edit(update: Update, context: Ctx, tap: Tap) -> int:
    if not context.in_private:
        await tap.answer(context.label("labedit.private_only"), alert=True)
        return ConversationHandler.END
    lab = context.data.labs.current.any_lab(tap.args[0])
    if lab is None:
        await tap.answer(context.label("labs.gone_alert"), alert=True)
        return ConversationHandler.END
    await tap.answer()
    FLOW.begin(context, Draft(lab=lab.id))
    return await _menu(update, context, lab, edit=True)


@FLOW.on("new")
@staff_only
async def start_new(update: Update, context: Ctx, tap: Tap) -> int:
    if not context.in_private:
        await tap.answer(context.label("labedit.private_only"), alert=True)
        return ConversationHandler.END
    await tap.answer()
    FLOW.begin(context)
    await context.bot.send_message(tap.user_id, context.t("labedit.new_name"))
    return NEW_NAME


# --- choosing ----------------------------------------------------------------------------------


async def _chosen(context: Ctx, tap: Tap, wanted: str) -> Lab | int:
    """The lab being edited, if the person may change `wanted` in it; else the tap answered
    and the state to return (END: no lab in the making; CHOOSE: a staff-only change)."""
    lab = _lab(context)
    if lab is None:
        await tap.stale(context)
        return ConversationHandler.END
    if not _may_change(context, wanted):
        await tap.answer(context.label("staff.only"), alert=True)
        return CHOOSE
    return lab


@FLOW.on("done")
@editor
async def done(update: Update, context: Ctx, tap: Tap) -> int:
    lab = _lab(context)
    if lab is None:
        await tap.stale(context)
        return ConversationHandler.END
    await tap.answer()
    FLOW.drop(context)
    await labview.send_card(update, context, lab)
    return ConversationHandler.END


@FLOW.on("history")
@editor
async def history(update: Update, context: Ctx, tap: Tap) -> int:
    lab = await _chosen(context, tap, "history")
    if isinstance(lab, int):
        return lab
    await tap.answer()
    return await _history(update, context, lab)


@FLOW.on("back_menu")
@editor
async def back_to_menu(update: Update, context: Ctx, tap: Tap) -> int:
    lab = await _chosen(context, tap, "back_menu")
    if isinstance(lab, int):
        return lab
    await tap.answer()
    return await _menu(update, context, lab, edit=True)


@FLOW.on("district")
@editor
async def move_district(update: Update, context: Ctx, tap: Tap) -> int:
    lab = await _chosen(context, tap, "district")
    if isinstance(lab, int):
        return lab
    await tap.answer()
    other = "distretto" if lab.district == "pavia" else "pavia"
    return await _confirm(update, context, lab, "district", other)


@FLOW.on("hidden")
@editor
async def hide_or_show(update: Update, context: Ctx, tap: Tap) -> int:
    lab = await _chosen(context, tap, "hidden")
    if isinstance(lab, int):
        return lab
    await tap.answer()
    return await _confirm(update, context, lab, "hidden", not lab.hidden)


@FLOW.on("field", args=1)
@editor
async def ask_value(update: Update, context: Ctx, tap: Tap) -> int:
    """A field to change: its current value and what to type (or the week's hours)."""
    field = tap.args[0]
    lab = await _chosen(context, tap, field)
    if isinstance(lab, int):
        return lab
    await tap.answer()
    if field not in EDITABLE:
        return CHOOSE
    if field == "schedule":
        return await _hours_menu(update, context, lab, edit=True)
    FLOW.draft(context).field = field
    current = _show(context, field, _current_value(lab, field))
    prompt = context.t(
        f"labedit.prompt.{field}" if field in ("position", "activities") else "labedit.prompt",
        field=_field_label(context, field),
        name=lab.name,
        current=current,
    )
    rows = [[FLOW.button(context.label("labedit.back"), "back")]]
    if field != "name":
        rows[0].insert(0, FLOW.button(context.label("labedit.clear"), "clear"))
    await edit_or_send(update, context, prompt, InlineKeyboardMarkup(rows))
    if field == "position":  # at the lab with a phone: one tap
        keyboard = ReplyKeyboardMarkup(
            [[KeyboardButton(context.label("labedit.here"), request_location=True)]],
            resize_keyboard=True,
            one_time_keyboard=True,
        )
        await context.bot.send_message(
            tap.user_id, context.t("labedit.here_hint"), reply_markup=keyboard
        )
    return VALUE


# --- values -------------------------------------------------------------------------------------


@editor
async def got_text(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    lab = _lab(context)
    field = FLOW.draft(context).field
    if lab is None or field is None:
        return ConversationHandler.END
    text = message.text.strip()
    value: Any
    problem: str | None = None
    if field == "position":
        match = _COORDINATES.match(text)
        if not match:
            await message.reply_text(context.t("labedit.error.coordinates"))
            return VALUE
        lat, lon = (float(g.replace(",", ".")) for g in match.groups())
        problem = check_position(lat, lon)
        value = [lat, lon]
    elif field == "activities":
        lines = text.splitlines()
        if len(lines) == 1 and ";" in text:  # "a; b": what a one-line client can send
            lines = text.split(";")
        value = [line.strip(" •-*\t") for line in lines if line.strip(" •-*\t")]
        if len(value) > MAX_ACTIVITIES or any(len(a) > MAX_ACTIVITY for a in value):
            problem = "too_long"
    elif field in MULTILINE:
        problem = check_text(text)
        value = text
    else:  # one line: a name is a button label, an address a map venue's
        value = one_line(text)
        problem = check_name(value) if field == "name" else check_text(value)
    if problem:
        await message.reply_text(context.t(f"labedit.error.{problem}"))
        return VALUE
    return await _confirm(update, context, lab, field, value)


@editor
async def got_location(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None
    lab = _lab(context)
    if lab is None:
        return ConversationHandler.END
    if FLOW.draft(context).field != "position":
        await message.reply_text(context.t("labedit.error.expected_text"))
        return VALUE
    location = message.venue.location if message.venue else message.location
    assert location is not None
    if check_position(location.latitude, location.longitude):
        await message.reply_text(context.t("labedit.error.outside"))
        return VALUE
    await message.reply_text(
        context.t("labedit.position_received"), reply_markup=ReplyKeyboardRemove()
    )
    return await _confirm(update, context, lab, "position", [location.latitude, location.longitude])


@FLOW.on("clear")
@editor
async def clear_value(update: Update, context: Ctx, tap: Tap) -> int:
    lab = _lab(context)
    field = FLOW.draft(context).field
    if lab is None or field is None or field == "name":
        await tap.stale(context)
        return ConversationHandler.END
    await tap.answer()
    empty: Any = [] if field == "activities" else None if field == "position" else ""
    return await _confirm(update, context, lab, field, empty)


@FLOW.on("back")
@editor
async def back(update: Update, context: Ctx, tap: Tap) -> int:
    """Back to the menu, from a value asked or from the week's hours."""
    lab = _lab(context)
    if lab is None:
        await tap.stale(context)
        return ConversationHandler.END
    await tap.answer()
    FLOW.draft(context).field = None
    return await _menu(update, context, lab, edit=True)


@editor
async def waiting_for_value(update: Update, context: Ctx) -> int:
    assert update.effective_message is not None
    field = FLOW.draft(context).field
    key = (
        "labedit.error.expected_location" if field == "position" else "labedit.error.expected_text"
    )
    await update.effective_message.reply_text(context.t(key))
    return VALUE


@editor
async def waiting_for_buttons(update: Update, context: Ctx) -> int | None:
    """A message where a button is expected: said so, and the editor stays as it was."""
    assert update.effective_message is not None
    await update.effective_message.reply_text(context.t("labedit.use_buttons"))
    return None


# --- confirming and saving ----------------------------------------------------------------------


async def _confirm(update: Update, context: Ctx, lab: Lab, field: str, value: Any) -> int:
    if field not in ("created", "district", "hidden") and value == _current_value(lab, field):
        assert update.effective_chat is not None  # the same value typed again: nothing to save
        await context.bot.send_message(update.effective_chat.id, context.t("labedit.unchanged"))
        return await _menu(update, context, lab, edit=False)
    FLOW.draft(context).pending = (field, value)
    if field == "created":
        text = context.t("labedit.confirm_new", name=value)
    elif field == "hidden":
        text = context.t("labedit.confirm_hide" if value else "labedit.confirm_show", name=lab.name)
    else:
        before = _show(
            context, field, _current_value(lab, field) if field != "district" else lab.district
        )
        text = context.t(
            "labedit.confirm",
            name=lab.name,
            field=_field_label(context, field),
            before=before,
            after=_show(context, field, value),
        )
    markup = InlineKeyboardMarkup(
        [
            [
                FLOW.button(context.label("labedit.save"), "save"),
                FLOW.button(context.label("labedit.discard"), "discard"),
            ]
        ]
    )
    assert update.effective_chat is not None
    await context.bot.send_message(update.effective_chat.id, text, reply_markup=markup)
    return CONFIRM


@FLOW.on("save")
@editor
async def save(update: Update, context: Ctx, tap: Tap) -> int:
    draft = FLOW.draft(context)
    pending, draft.pending = draft.pending, None
    if pending is None:
        await tap.stale(context)
        return ConversationHandler.END
    field, value = pending
    if not _may_change(context, field):
        await tap.stale(context)
        return ConversationHandler.END
    repo = context.repo.lab_edits
    staff_id = tap.user_id
    if field == "created":
        lab_id = _unique_id(context, str(value))
        await repo.add_many(lab_id, [("created", value)], staff_id, context.now())
        draft.lab = lab_id
    elif draft.lab is None:
        await tap.stale(context)
        return ConversationHandler.END
    else:
        lab_id = draft.lab
        await repo.add(lab_id, field, value, staff_id, context.now())
    await directory.reapply_edits(context.data)
    log.info("field %s of lab %s changed in the chat", field, lab_id)
    await tap.answer(context.label("labedit.saved_alert"))
    await edit_or_send(update, context, context.t("labedit.saved"), None)
    draft.field = None
    lab = _lab(context)
    assert lab is not None
    return await _menu(update, context, lab, edit=False)


@FLOW.on("discard")
@editor
async def discard(update: Update, context: Ctx, tap: Tap) -> int:
    await tap.answer()
    FLOW.draft(context).pending = None
    lab = _lab(context)
    await edit_or_send(update, context, context.t("labedit.discarded"), None)
    if lab is None:  # a new lab that was not created
        return ConversationHandler.END
    return await _menu(update, context, lab, edit=False)


# --- history and undo (staff) ------------------------------------------------------------------

HISTORY_SHOWN = 10
HISTORY_VALUE = 150  # characters of each change's value shown


async def _history(update: Update, context: Ctx, lab: Lab) -> int:
    """The latest changes of the lab: who, when, what it became; each can be undone (the undo is
    one more change: the history is never rewritten)."""
    records = [
        r for r in await context.repo.lab_edits.history(lab.id) if r.edit.field in _UNDOABLE
    ][-HISTORY_SHOWN:]
    names = {c.user_id: c.name for c in await context.repo.coordinators.of_lab(lab.id)}
    tz = context.config.scheduler.tz
    lines = [context.t("labedit.history_title", name=lab.name)]
    rows = []
    for record in reversed(records):
        who = names.get(record.staff_id) or (
            context.label("labedit.by_staff")
            if context.is_staff(record.staff_id)
            else context.label("labedit.by_someone")
        )
        when = f"{record.changed_at.astimezone(tz):%d/%m/%Y %H:%M}"
        value = _show(context, record.edit.field, record.edit.value)
        if len(value) > HISTORY_VALUE:  # ten changes must fit one message
            value = value[: HISTORY_VALUE - 1] + "…"
        field = _field_label(context, record.edit.field)
        lines.append(f"#{record.id} · {when} · {escape(who)} · {escape(field)}: {escape(value)}")
        rows.append([FLOW.button(context.label("labedit.undo", id=record.id), "undo", record.id)])
    rows.append([FLOW.button(context.label("labedit.back"), "back_menu")])
    await edit_or_send(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))
    return CHOOSE


_UNDOABLE = frozenset(EDITABLE) | {"schedule", "district", "hidden"}


async def _before(context: Ctx, lab: Lab, edit_id: str) -> tuple[EditRecord, Any, list[int]] | None:
    """The change `edit_id`, the field's value before it, and the later changes of that field
    (an undo puts the whole field back, so they go too); None if there is no such change."""
    records = await context.repo.lab_edits.history(lab.id)
    target = next((r for r in records if str(r.id) == edit_id), None)
    if target is None or target.edit.field not in _UNDOABLE:
        return None
    before = context.data.labs.base.any_lab(lab.id) or Lab(id=lab.id, name=lab.name)
    for record in records:
        if record.id >= target.id:
            break
        before = apply_edit(before, record.edit.field, record.edit.value)
    field = target.edit.field
    value = before.district if field == "district" else _current_value(before, field)
    later = [r.id for r in records if r.id > target.id and r.edit.field == field]
    return target, value, later


async def _undo_target(
    context: Ctx, tap: Tap, action: str
) -> tuple[Lab, tuple[EditRecord, Any, list[int]]] | int:
    """The lab and the change a tap on an undo button names, the tap answered; or the state to
    stay in (the tap answered as stale)."""
    lab = await _chosen(context, tap, action)
    if isinstance(lab, int):
        return lab
    found = await _before(context, lab, tap.args[0])
    if found is None:
        await tap.stale(context)
        return CHOOSE
    await tap.answer()
    return lab, found


@FLOW.on("undo", args=1)
@editor
async def ask_undo(update: Update, context: Ctx, tap: Tap) -> int:
    """What the undo would do, before doing it: the value the field goes back to, and the later
    changes of the same field that it takes away too."""
    chosen = await _undo_target(context, tap, "undo")
    if isinstance(chosen, int):
        return chosen
    _, (target, value, later) = chosen
    field = target.edit.field
    lines = [
        context.t(
            "labedit.undo_ask",
            id=target.id,
            field=_field_label(context, field),
            value=_show(context, field, value),
        )
    ]
    if later:
        lines.append(context.t("labedit.undo_later", ids=", ".join(f"#{n}" for n in later)))
    rows = [
        [FLOW.button(context.label("labedit.undo_yes"), "undoyes", target.id)],
        [FLOW.button(context.label("labedit.back"), "history")],
    ]
    await edit_or_send(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))
    return CHOOSE


@FLOW.on("undoyes", args=1)
@editor
async def undo(update: Update, context: Ctx, tap: Tap) -> int:
    """Puts the field back as it was before the change the button names, as a new change by
    this person."""
    chosen = await _undo_target(context, tap, "undoyes")
    if isinstance(chosen, int):
        return chosen
    lab, (target, value, _later) = chosen
    field = target.edit.field
    await _store(update, context, lab, field, value)
    await context.bot.send_message(
        update.effective_chat.id if update.effective_chat else 0,
        context.t("labedit.undone", id=target.id, field=_field_label(context, field)),
    )
    current = _lab(context) or lab
    return await _menu(update, context, current, edit=False)


# --- the week's hours -------------------------------------------------------------------------


def _schedule(lab: Lab) -> Hours:
    return lab.schedule if lab.schedule is not None else Hours()


async def _hours_menu(update: Update, context: Ctx, lab: Lab, *, edit: bool) -> int:
    """The week, a button per day to type its hours, the closures to come, and a way to add
    one: each change is saved as it is typed (the lab's history keeps every one)."""
    hours = _schedule(lab)
    names = WEEKDAYS[context.lang]
    lines = [context.t("labedit.hours_title", name=lab.name)]
    for day, ranges in enumerate(hours.week):
        lines.append(f"{names[day]}: {_day_shown(context, ranges)}")
    closures = hours.upcoming_closures(labview.today(context))
    lines.extend(labview.closure_lines(context, hours))
    lines.append(context.t("labedit.hours_hint"))
    short = SHORT_DAYS[context.lang]
    days = [FLOW.button(short[d].capitalize(), "day", d) for d in range(7)]
    rows = [days[:4], days[4:]]
    if not hours.empty and not hours.complete:  # Monday given: one tap says the rest closed
        rows.append([FLOW.button(context.label("labedit.rest_closed"), "restclosed")])
    rows.append([FLOW.button(context.label("labedit.closure_add"), "closure")])
    for closure in closures[:5]:
        span = (
            f"{closure.start:%d/%m}"
            if closure.start == closure.end
            else f"{closure.start:%d/%m}–{closure.end:%d/%m}"
        )
        label = context.label("labedit.closure_remove", days=span)
        position = hours.closures.index(closure)
        rows.append([FLOW.button(label, "rmclosure", position)])
    rows.append([FLOW.button(context.label("labedit.back"), "back")])
    text, markup = "\n".join(lines), InlineKeyboardMarkup(rows)
    await edit_or_send(update, context, text, markup, edit=edit)
    return HOURS


async def _hours_lab(context: Ctx, tap: Tap) -> Lab | None:
    lab = _lab(context)
    if lab is None:
        await tap.stale(context)
    return lab


@FLOW.on("day", args=1)
@editor
async def ask_day(update: Update, context: Ctx, tap: Tap) -> int:
    """A day of the week: its hours, typed next."""
    if (lab := await _hours_lab(context, tap)) is None:
        return ConversationHandler.END
    if tap.args[0] not in ("0", "1", "2", "3", "4", "5", "6"):
        await tap.stale(context)
        return HOURS
    await tap.answer()
    draft = FLOW.draft(context)
    draft.day = int(tap.args[0])
    now = _day_shown(context, _schedule(lab).week[draft.day])
    day = WEEKDAYS[context.lang][draft.day]
    await context.bot.send_message(tap.user_id, context.t("labedit.day_prompt", day=day, now=now))
    return DAY


@FLOW.on("closure")
@editor
async def ask_closure(update: Update, context: Ctx, tap: Tap) -> int:
    if await _hours_lab(context, tap) is None:
        return ConversationHandler.END
    await tap.answer()
    await context.bot.send_message(tap.user_id, context.t("labedit.closure_prompt"))
    return CLOSURE


@FLOW.on("restclosed")
@editor
async def rest_closed(update: Update, context: Ctx, tap: Tap) -> int:
    """The days not given are closed."""
    if (lab := await _hours_lab(context, tap)) is None:
        return ConversationHandler.END
    await tap.answer()
    await _store(update, context, lab, "schedule", _schedule(lab).with_unknown_closed().as_value())
    return await _hours_menu(update, context, _lab(context) or lab, edit=True)


@FLOW.on("rmclosure", args=1)
@editor
async def remove_closure(update: Update, context: Ctx, tap: Tap) -> int:
    if (lab := await _hours_lab(context, tap)) is None:
        return ConversationHandler.END
    if not tap.args[0].isdigit():
        await tap.stale(context)
        return HOURS
    await tap.answer()
    index = int(tap.args[0])
    hours = _schedule(lab)
    if index < len(hours.closures):
        await _store(update, context, lab, "schedule", hours.without_closure(index).as_value())
        lab = _lab(context) or lab
    return await _hours_menu(update, context, lab, edit=True)


@editor
async def got_day(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    lab, day = _lab(context), FLOW.draft(context).day
    if lab is None or day is None:
        return ConversationHandler.END
    try:
        ranges = parse_weekday(message.text)
    except HoursProblem as problem:
        await message.reply_text(context.t(f"labedit.hours_error.{problem.code}"))
        return DAY
    value = _schedule(lab).with_day(day, ranges).as_value()
    changed = await _store(update, context, lab, "schedule", value)
    await message.reply_text(context.t("labedit.hours_saved" if changed else "labedit.unchanged"))
    return await _hours_menu(update, context, _lab(context) or lab, edit=False)


@editor
async def got_closure(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    lab = _lab(context)
    if lab is None:
        return ConversationHandler.END
    try:
        closure = parse_closure(message.text, labview.today(context))
    except DateProblem as problem:
        await message.reply_text(
            context.t(f"dates.{problem.code}") + "\n" + context.t("labedit.closure_prompt")
        )
        return CLOSURE
    except HoursProblem as problem:
        await message.reply_text(context.t(f"labedit.hours_error.{problem.code}"))
        return CLOSURE
    value = _schedule(lab).with_closure(closure).as_value()
    changed = await _store(update, context, lab, "schedule", value)
    await message.reply_text(context.t("labedit.hours_saved" if changed else "labedit.unchanged"))
    return await _hours_menu(update, context, _lab(context) or lab, edit=False)


async def _store(update: Update, context: Ctx, lab: Lab, field: str, value: Any) -> bool:
    """Saves one change at once, as its own row of the lab's history; the same value typed
    again is no change (False), so the history holds no identical entries."""
    user = update.effective_user
    assert user is not None
    if value == _current_value(lab, field):
        return False
    await context.repo.lab_edits.add(lab.id, field, value, user.id, context.now())
    await directory.reapply_edits(context.data)
    log.info("field %s of lab %s changed in the chat", field, lab.id)
    return True


def _day_shown(context: Ctx, ranges: tuple[Range, ...] | None) -> str:
    if ranges is None:
        return context.label("labedit.hours_unset")
    return say_ranges(ranges) if ranges else context.label("labedit.hours_closed")


def _unique_id(context: Ctx, name: str) -> str:
    return unique_slug(name, {lab.id for lab in context.data.labs.current.labs}, "lab")


@staff_only
async def got_new_name(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    name = one_line(message.text)
    problem = check_name(name)
    if problem:
        await message.reply_text(context.t(f"labedit.error.{problem}"))
        return NEW_NAME
    placeholder = Lab(id="new", name=name)
    return await _confirm(update, context, placeholder, "created", name)


# The buttons each step of the editor takes.
CHOOSING = ("field", "district", "hidden", "done", "history", "undo", "undoyes", "back_menu")
HOURS_ACTIONS = ("day", "closure", "rmclosure", "restclosed", "back")


def register(app: Application) -> None:
    text = filters.TEXT & ~filters.COMMAND
    location = filters.LOCATION | filters.VENUE
    app.add_handler(
        FLOW.conversation(
            app,
            entry_points=[FLOW.handler("menu", "new")],
            states={
                CHOOSE: [
                    MessageHandler(~filters.COMMAND, waiting_for_buttons),
                    FLOW.handler(*CHOOSING),
                ],
                VALUE: [
                    MessageHandler(text, got_text),
                    MessageHandler(location, got_location),
                    FLOW.handler("clear", "back"),
                    MessageHandler(~filters.COMMAND, waiting_for_value),
                ],
                CONFIRM: [FLOW.handler("save", "discard")],
                NEW_NAME: [MessageHandler(text, got_new_name)],
                HOURS: [
                    FLOW.handler(*HOURS_ACTIONS),
                    MessageHandler(~filters.COMMAND, waiting_for_buttons),
                ],
                DAY: [
                    MessageHandler(text, got_day),
                    FLOW.handler(*HOURS_ACTIONS),
                    MessageHandler(~filters.COMMAND, waiting_for_value),
                ],
                CLOSURE: [
                    MessageHandler(text, got_closure),
                    FLOW.handler(*HOURS_ACTIONS),
                    MessageHandler(~filters.COMMAND, waiting_for_value),
                ],
            },
        )
    )
    app.add_handler(FLOW.outside(staff_or(lambda _u, c: bool(c.coordinated_labs()))(stale)))
