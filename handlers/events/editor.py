"""Staff plan events in the chat: create, edit, cancel, always with a preview.

    /evento, or "➕ Nuovo evento" under /eventi -> kind -> title -> when -> where -> description
        -> MENU (the card as people will see it; change any field; publish)
    "✏️ Modifica" on an event card (staff) -> MENU (change fields; save; cancel the event)

When a saved event moves (time or place) or is cancelled, its reminders follow at once
(`reminders.replan`) and everyone concerned (who said "Ci sarò", the Assemblea's subscribers)
gets one notice through the broadcaster, in their language. Events declared in
data/events.toml are shown read-only. Callback data `evedit:v1:<action>[:<arg>]`.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field, replace
from datetime import datetime

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import labview, protocols
from bot.callbacks import Tap
from bot.context import CommandSpec, Ctx
from bot.flows import Flow, edit_or_send, stale
from bot.guards import coordinator_of_tapped_lab, staff_only, staff_or
from bot.reminders import recipients, replan
from domain.dates import DateProblem, parse_span
from domain.directory import unique_slug
from domain.events import MAX_DESCRIPTION, MAX_TITLE, Event, event_ref, timeline
from domain.text import one_line
from domain.understanding import lab_named
from handlers.events import listing

log = logging.getLogger(__name__)

MENU, VALUE = range(2)
MAX_PLACE = 200
FIELDS = ("title", "when", "where", "description")


@dataclass
class Draft:
    """The event as it will be published; `id` is empty until a new one is saved."""

    id: str = ""
    kind: str = ""  # assemblea or altro; empty until chosen
    title: str = ""
    start: datetime | None = None
    end: datetime | None = None
    lab_id: str = ""
    place: str = ""
    online_url: str = ""
    description: str = ""
    new: bool = False  # made with "➕ Nuovo": the fields are asked one after the other
    steps: list[str] = field(default_factory=list)  # the fields still to ask, when new
    awaiting: str | None = None  # the field whose value is awaited
    fixed_lab: str = ""  # a coordinator's event: always at their lab, never an Assemblea
    for_lab: str = ""  # made for this lab from its card (`Event.for_lab`)

    @classmethod
    def of(cls, event: Event) -> Draft:
        return cls(
            id=event.id, kind=event.kind, title=event.title, start=event.starts_at,
            end=event.ends_at, lab_id=event.lab_id, place=event.place,
            online_url=event.online_url, description=event.description, for_lab=event.for_lab,
        )  # fmt: skip

    def event(self) -> Event:
        assert self.start is not None and self.end is not None
        return Event(
            id=self.id or "draft", kind=self.kind, title=self.title, starts_at=self.start,
            ends_at=self.end, lab_id=self.lab_id, place=self.place, online_url=self.online_url,
            description=self.description,
            # moved by staff away from the lab it was made for: no longer that lab's event
            for_lab=self.for_lab if self.for_lab == self.lab_id else "",
        )  # fmt: skip


FLOW = Flow(
    protocols.EVENT_EDIT.feature,
    Draft,
    name="flow.name.evedit",
    cancelled="evedit.closed",
    timeout_s=30 * 60,
    may_stay=lambda data, user_id, draft: (
        user_id in data.staff_ids
        or bool(draft.fixed_lab and data.coordinates(draft.fixed_lab, user_id))
    ),
)
FEATURE = FLOW.feature
button = FLOW.button


def _coordinator_of_draft(update: Update, context: Ctx) -> bool:
    lab = FLOW.draft(context).fixed_lab
    return bool(lab) and context.coordinates(lab)


planner = staff_or(_coordinator_of_draft)
# The buttons of an event in the making (its kind, preview and menu): the entry points aside.
PLANNING = ("kind", "field", "empty", "close", "save", "drop", "dropyes", "keep")
any_coordinator = staff_or(lambda _update, context: bool(context.coordinated_labs()))


# --- entry points ---------------------------------------------------------------------------------


@FLOW.on("lab", args=1)
@staff_or(coordinator_of_tapped_lab(FLOW))
async def new_at_lab(update: Update, context: Ctx, tap: Tap) -> int:
    """From a lab's card: an event of that lab (staff, or the lab's coordinator)."""
    query = tap.query
    lab = await labview.tool_lab(update, context, tap)
    if lab is None:
        return ConversationHandler.END
    FLOW.begin(
        context,
        Draft(
            new=True, kind="altro", lab_id=lab.id, fixed_lab=lab.id, for_lab=lab.id,
            steps=["title", "when", "description"],
        ),
    )  # fmt: skip
    await context.bot.send_message(query.from_user.id, context.t("evedit.at_lab", name=lab.name))
    return await next_step(update, context)


@FLOW.on("new")
@staff_only
async def new(update: Update, context: Ctx, tap: Tap | None = None) -> int:
    """/evento, or its button (`tap`, under the events listing): a new event."""
    if tap is not None:
        await tap.answer()
    FLOW.begin(context, Draft(new=True, steps=list(FIELDS)))
    rows = [
        [button(context.label("evedit.kind.assemblea"), "kind", "assemblea")],
        [button(context.label("evedit.kind.altro"), "kind", "altro")],
    ]
    assert update.effective_user is not None
    await context.bot.send_message(
        update.effective_user.id,
        context.t("evedit.ask_kind"),
        reply_markup=InlineKeyboardMarkup(rows),
    )
    return MENU


@FLOW.on("edit", args=0, more=True)
@any_coordinator
async def edit(update: Update, context: Ctx, tap: Tap) -> int:
    """Staff edit any event; a coordinator, the events at their labs (checked below)."""
    event = await context.repo.events.get(tap.args[0] if tap.args else "")
    if event is None or event.cancelled or event.ends_at <= context.now():
        await tap.answer(context.label("events.gone"), alert=True)
        return ConversationHandler.END
    if not context.may_edit_event(event):
        await tap.answer(context.label("staff.only"), alert=True)
        return ConversationHandler.END
    if event.origin == "file":
        await tap.answer(context.label("evedit.from_file"), alert=True)
        return ConversationHandler.END
    await tap.answer()
    draft = Draft.of(event)
    if not context.is_staff_user:  # a coordinator: her lab's event stays at her lab
        draft.fixed_lab = event.for_lab
    FLOW.begin(context, draft)
    return await show(update, context)


# --- the preview and its menu ---------------------------------------------------------------------


async def show(update: Update, context: Ctx) -> int:
    draft = FLOW.draft(context)
    occurrence = timeline([draft.event()], [], context.data.labs.current, "")[0]
    lines = [context.t("evedit.preview"), "", listing.describe(context, occurrence)]
    existing = bool(draft.id)
    second = [button(context.label("evedit.field.description"), "field", "description")]
    if not draft.fixed_lab:  # a coordinator's event is at their lab
        second.insert(0, button(context.label("evedit.field.where"), "field", "where"))
    rows = [
        [button(context.label("evedit.field.title"), "field", "title"),
         button(context.label("evedit.field.when"), "field", "when")],
        second,
        [button(context.label("evedit.save" if existing else "evedit.publish"), "save")],
    ]  # fmt: skip
    if existing:
        rows.append([button(context.label("evedit.cancel_event"), "drop")])
    rows.append([button(context.label("evedit.close"), "close")])
    assert update.effective_user is not None
    await context.bot.send_message(
        update.effective_user.id, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows)
    )
    return MENU


async def ask(update: Update, context: Ctx, field: str) -> int:
    FLOW.draft(context).awaiting = field
    rows = []
    if field in ("where", "description"):
        rows = [[button(context.label(f"evedit.no_{field}"), "empty", field)]]
    assert update.effective_user is not None
    await context.bot.send_message(
        update.effective_user.id,
        context.t(f"evedit.ask.{field}"),
        reply_markup=InlineKeyboardMarkup(rows) if rows else None,
    )
    return VALUE


async def next_step(update: Update, context: Ctx) -> int:
    """While creating: the next unanswered field; then the preview."""
    steps = FLOW.draft(context).steps
    if steps:
        return await ask(update, context, steps.pop(0))
    return await show(update, context)


async def _refused(context: Ctx, tap: Tap) -> int | None:
    """The state to return, the tap answered as stale, when the person has no event in the
    making (END), or a coordinator's tap would change its place or kind (MENU: they stay her
    lab's); None when the tap goes on."""
    draft = FLOW.draft(context)
    if tap.action != "kind" and not draft.kind:
        await tap.stale(context)
        return ConversationHandler.END
    if draft.fixed_lab and (tap.action == "kind" or tap.args[:1] == ("where",)):
        await tap.stale(context)
        return MENU
    return None


@FLOW.on("kind", args=1)
@planner
async def chose_kind(update: Update, context: Ctx, tap: Tap) -> int:
    if (refused := await _refused(context, tap)) is not None:
        return refused
    draft = FLOW.draft(context)
    kind = tap.args[0]
    if kind not in ("assemblea", "altro") or not draft.new:
        await tap.stale(context)
        return MENU
    await tap.answer()
    draft.kind = kind
    await edit_or_send(update, context, context.label(f"evedit.kind.{kind}"), None)
    return await next_step(update, context)


@FLOW.on("field", args=1)
@planner
async def change_field(update: Update, context: Ctx, tap: Tap) -> int:
    if (refused := await _refused(context, tap)) is not None:
        return refused
    field = tap.args[0]
    if field not in FIELDS or FLOW.draft(context).start is None:
        await tap.stale(context)
        return MENU
    await tap.answer()
    return await ask(update, context, field)


@FLOW.on("empty", args=1)
@planner
async def empty_field(update: Update, context: Ctx, tap: Tap) -> int:
    """No place (nor online link), or no description."""
    if (refused := await _refused(context, tap)) is not None:
        return refused
    field = tap.args[0]
    if field not in ("where", "description"):
        await tap.stale(context)
        return MENU
    await tap.answer()
    draft = FLOW.draft(context)
    if field == "where":
        draft.lab_id = draft.place = draft.online_url = ""
    else:
        draft.description = ""
    draft.awaiting = None
    return await next_step(update, context)


@FLOW.on("close")
@planner
async def close(update: Update, context: Ctx, tap: Tap) -> int:
    if (refused := await _refused(context, tap)) is not None:
        return refused
    await tap.answer()
    FLOW.drop(context)
    await edit_or_send(update, context, context.t("evedit.closed"), None)
    return ConversationHandler.END


@FLOW.on("drop")
@planner
async def ask_drop(update: Update, context: Ctx, tap: Tap) -> int:
    """Cancelling an event: asked first."""
    if (refused := await _refused(context, tap)) is not None:
        return refused
    draft = FLOW.draft(context)
    if not draft.id:
        await tap.stale(context)
        return MENU
    await tap.answer()
    rows = [[button(context.label("evedit.confirm_cancel"), "dropyes", draft.id)],
            [button(context.label("evedit.keep"), "keep")]]  # fmt: skip
    await context.bot.send_message(
        tap.user_id, context.t("evedit.sure_cancel", title=draft.title),
        reply_markup=InlineKeyboardMarkup(rows),
    )  # fmt: skip
    return MENU


@FLOW.on("keep")
@planner
async def keep(update: Update, context: Ctx, tap: Tap) -> int:
    if (refused := await _refused(context, tap)) is not None:
        return refused
    await tap.answer()
    return await show(update, context)


# --- typed values ---------------------------------------------------------------------------------


@planner
async def got_value(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = FLOW.draft(context)
    field, text = draft.awaiting, message.text.strip()
    if field != "description":  # a title, a time, a place: one line each
        text = one_line(text)
    if field == "title":
        if not any(c.isalnum() for c in text) or len(text) > MAX_TITLE:
            await message.reply_text(context.t("evedit.error.title", limit=MAX_TITLE))
            return VALUE
        draft.title = text
    elif field == "when":
        try:
            start, end = parse_span(text, context.config.scheduler.tz, context.now())
        except DateProblem as problem:
            await message.reply_text(
                context.t(f"dates.{problem.code}") + "\n" + context.t("evedit.ask.when")
            )
            return VALUE
        draft.start, draft.end = start, end
    elif field == "where":
        if len(text) > MAX_PLACE or not any(c.isalnum() for c in text):
            await message.reply_text(context.t("evedit.error.where", limit=MAX_PLACE))
            return VALUE
        draft.lab_id, draft.place, draft.online_url = where(context, text)
    elif field == "description":
        if len(text) > MAX_DESCRIPTION:
            await message.reply_text(context.t("evedit.error.description", limit=MAX_DESCRIPTION))
            return VALUE
        draft.description = text
    else:
        return ConversationHandler.END
    draft.awaiting = None
    return await next_step(update, context)


def where(context: Ctx, text: str) -> tuple[str, str, str]:
    """(lab id, place, online link): a lab of the directory by its name, an online link, or an
    address as typed."""
    if text.startswith("https://"):
        return "", "", text
    lab_id = lab_named(text, context.data.labs.current, context.data.labs.matcher)
    return (lab_id, "", "") if lab_id else ("", text, "")


@planner
async def waiting_for_text(update: Update, context: Ctx) -> int | None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(context.t("evedit.error.text"))
    return None


# --- saving and telling people --------------------------------------------------------------------


@FLOW.on("save")
@planner
async def save(update: Update, context: Ctx, tap: Tap) -> int:
    """Publish a new event (people who asked are told), or save a changed one (people coming
    are told when its time or place moved)."""
    if (refused := await _refused(context, tap)) is not None:
        return refused
    draft = FLOW.draft(context)
    if draft.start is None:
        await tap.stale(context)
        return MENU
    now = context.now()
    if draft.start <= now:
        await tap.answer(context.label("evedit.now_past"), alert=True)
        return await ask(update, context, "when")
    old = await context.repo.events.get(draft.id) if draft.id else None
    if draft.id and (old is None or old.cancelled):
        await tap.answer(context.label("events.gone"), alert=True)
        FLOW.drop(context)
        return ConversationHandler.END
    await tap.answer()
    if old is None:
        taken = {e.id for e in await context.repo.events.all()}
        event = replace(draft.event(), id=unique_slug(draft.title, taken, "evento")[:32])
    else:
        event = replace(draft.event(), id=old.id)
    concerned = await _concerned(context, old) if old else []
    await context.repo.events.save(event, now)
    await replan(context.data, context.application)
    log.info("%s %s the event %s", _who(context), "changed" if old else "created", event.id)
    FLOW.drop(context)
    told = 0
    if old is not None and concerned and _moved(context, old, event):
        told = await _notify(context, tap.user_id, old, event, concerned, "changed")
    if old is None:  # new: the people who asked to hear of such events are told, once
        people = await _interested(context, event)
        told = await _notify(context, tap.user_id, event, event, people, "published")
        key = "evedit.published_told" if told else "evedit.published"
    else:
        key = "evedit.saved_told" if told else "evedit.saved"
    await edit_or_send(update, context, context.t(key, title=event.title, count=told), None)
    return ConversationHandler.END


@FLOW.on("dropyes", args=1)
@planner
async def cancel_event(update: Update, context: Ctx, tap: Tap) -> int:
    if (refused := await _refused(context, tap)) is not None:
        return refused
    draft = FLOW.draft(context)
    if draft.id != tap.args[0]:
        await tap.stale(context)
        return MENU
    old = await context.repo.events.get(draft.id)
    FLOW.drop(context)
    if old is None or old.cancelled:
        await tap.answer(context.label("events.gone"), alert=True)
        return ConversationHandler.END
    await tap.answer()
    concerned = await _concerned(context, old)
    await context.repo.events.save(replace(old, cancelled=True), context.now())
    await replan(context.data, context.application)  # its reminders are cancelled
    log.info("%s cancelled the event %s", _who(context), old.id)
    told = await _notify(context, tap.user_id, old, old, concerned, "cancelled")
    await edit_or_send(
        update, context, context.t("evedit.cancelled", title=old.title, count=told), None
    )
    return ConversationHandler.END


def _who(context: Ctx) -> str:
    """Who did it, for the log: the role, never the person."""
    return "a staff member" if context.is_staff_user else "a coordinator"


async def _concerned(context: Ctx, event: Event) -> list[int]:
    found = timeline([event], [], context.data.labs.current, "")
    return await recipients(context.data, found[0]) if found else []


def _place(context: Ctx, event: Event) -> str:
    found = timeline([replace(event, cancelled=False)], [], context.data.labs.current, "")
    return (found[0].place or found[0].online_url) if found else ""


def _moved(context: Ctx, old: Event, new: Event) -> bool:
    return (old.starts_at, old.ends_at) != (new.starts_at, new.ends_at) or _place(
        context, old
    ) != _place(context, new)


async def _interested(context: Ctx, event: Event) -> list[int]:
    """Who asked to hear of a new event like this: the Assemblea's subscribers for an
    Assemblea, the followers of the lab where it takes place; less those who turned it off and
    those who blocked the bot."""
    repo = context.repo
    people: set[int] = set()
    scopes = [f"event:{event_ref(event.id)}"]
    if event.kind == "assemblea":
        people |= set(await repo.subscriptions.subscribers("assemblea"))
        scopes.append("topic:assemblea")
    if event.lab_id:
        people |= set(await repo.subscriptions.subscribers(f"lab:{event.lab_id}"))
    people -= await repo.optouts.users(scopes)
    return sorted(people - await repo.users.blocked_among(people))


async def _notify(
    context: Ctx, author: int, old: Event, new: Event, people: list[int], change: str
) -> int:
    """One notice to each person concerned, through the broadcaster (paced, resumable)."""
    if not people:
        return 0
    now = context.now()
    notice = {
        "ref": event_ref(old.id), "change": change, "title": new.title,
        "old_start": old.starts_at.isoformat(), "old_end": old.ends_at.isoformat(),
        "new_start": new.starts_at.isoformat(), "new_end": new.ends_at.isoformat(),
        "old_place": _place(context, old), "new_place": _place(context, new),
        "description": new.description if change == "published" else "",
    }  # fmt: skip
    token = f"{change}:{old.id}:{now.isoformat()}"
    _announcement, created = await context.repo.announcements.create(
        token=token, author_id=author, kind="notice", body=json.dumps(notice),
        photo="", audience=f"event:{event_ref(old.id)}", send_at=now, now=now,
        lang=context.lang, recipients=people,
    )  # fmt: skip
    if created:
        context.broadcaster.kick()
    return len(people)


def register(app: Application) -> None:
    app.bot_data.commands.append(CommandSpec("evento", "cmd.evento", staff=True))
    text = filters.TEXT & ~filters.COMMAND
    app.add_handler(
        FLOW.conversation(
            app,
            entry_points=[
                CommandHandler(["evento", "event"], new),
                FLOW.handler("new", "edit", "lab"),
            ],
            states={
                MENU: [FLOW.handler(*PLANNING)],
                VALUE: [
                    MessageHandler(text, got_value),
                    FLOW.handler(*PLANNING),
                    MessageHandler(~filters.COMMAND, waiting_for_text),
                ],
            },
        )
    )
    app.add_handler(FLOW.outside(any_coordinator(stale)))
