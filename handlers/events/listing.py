"""/eventi: what is coming up (events and Scuola sessions), each with a calendar file, the map,
and "Ci sarò" for events that are not Scuola sessions. Staff see how many are coming and, for
the Assemblea, the names of those who agreed to share them.

Callback data `ev:v1:<action>:<ref>` with ref `e.<event id>` or `s.<edition>.<session id>`.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.constants import ChatType
from telegram.ext import Application, CommandHandler

from bot import protocols
from bot.callbacks import Tap
from bot.context import Apply, BotData, CommandSpec, Ctx
from domain.calendar import calendar_file, file_name
from domain.dates import say_span
from domain.events import Occurrence, load_events, timeline

MAX_LISTED = 10


BUTTONS = protocols.EVENT
FEATURE = BUTTONS.feature
_button = BUTTONS.button


async def upcoming(context: Ctx) -> list[Occurrence]:
    now = context.now()
    occurrences = timeline(
        await context.repo.events.all(),
        await context.repo.editions.all(),
        context.data.labs.current,
        context.data.texts.plain(context.lang, "scuola.ics_name"),
    )
    return [o for o in occurrences if o.ends_at > now]


async def link_allowed(context: Ctx, o: Occurrence, user_id: int | None) -> bool:
    """A Scuola session's online link is for its confirmed participants only: shown to
    everyone, it would undo the edition's place limit."""
    if o.kind != "scuola" or not o.online_url:
        return True
    if user_id is None:
        return False
    signup = await context.repo.signups.active(o.edition_id, user_id)
    return signup is not None and signup.status == "confirmed"


def describe(context: Ctx, o: Occurrence, *, link: bool = True) -> str:
    tz = context.config.scheduler.tz
    lines = [
        context.t(f"events.kind.{o.kind}") + f" <b>{context.t('events.title', title=o.title)}</b>",
        "📅 " + context.t("events.when", when=say_span(o.starts_at, o.ends_at, tz, context.lang)),
    ]
    if o.place:
        lines.append("📍 " + context.t("events.where", where=o.place))
    if o.online_url and link:
        lines.append("💻 " + context.t("events.online", url=o.online_url))
    elif o.online_url:
        lines.append("💻 " + context.t("events.online_for_participants"))
    if o.description:
        lines.append(context.t("events.description", text=o.description))
    return "\n".join(lines)


async def card(update: Update, context: Ctx, o: Occurrence) -> None:
    assert update.effective_chat is not None
    user = update.effective_user
    # Never in a group, whoever taps the card there.
    link = _private(update) and await link_allowed(context, o, user.id if user else None)
    lines = [describe(context, o, link=link)]
    rows = [[_button(context.label("events.calendar"), "ics", o.ref)]]
    if o.kind == "scuola" and user is not None:
        rows += await _scuola_rows(context, o, user.id)
    if o.located:
        rows[0].append(_button(context.label("labs.map"), "map", o.ref))
    if o.kind != "scuola" and user is not None:
        event_id = o.ref.removeprefix("e.")
        coming = await context.repo.attendances.attending(event_id, user.id)
        action, key = ("leave", "events.not_coming") if coming else ("join", "events.coming")
        rows.append([_button(context.label(key), action, o.ref)])
        # Who is coming (and the names shared "with staff") only in a staff member's private
        # chat: never in a group, whoever taps the card there.
        event = await context.repo.events.get(event_id) if _private(update) else None
        if event is not None and context.may_edit_event(event):
            rows.append([InlineKeyboardButton(
                context.label("events.edit"),
                callback_data=protocols.EVENT_EDIT.data("edit", event_id),
            )])  # fmt: skip
        if context.is_staff(user.id) and _private(update):
            people = await context.repo.attendances.of_event(event_id)
            lines.append(context.t("events.count", count=len(people)))
            names = [p.name for p in people if p.share_name and p.name]
            if o.kind == "assemblea" and names:
                lines.append(context.t("events.names", names=", ".join(names)))
    await context.bot.send_message(
        update.effective_chat.id, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows)
    )


async def show(update: Update, context: Ctx) -> None:
    assert update.effective_chat is not None
    found = (await upcoming(context))[:MAX_LISTED]
    if not found:
        await nothing_planned(update, context, "events.none")
        return
    tz = context.config.scheduler.tz
    lines = [context.t("events.list_title")]
    rows = []
    for o in found:
        when = say_span(o.starts_at, o.ends_at, tz, context.lang)
        lines.append(context.t("events.line", title=o.title, when=when))
        rows.append([_button(o.title[:60], "open", o.ref)])
    rows += _staff_rows(update, context)
    await context.bot.send_message(
        update.effective_chat.id, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows)
    )


async def show_assemblea(update: Update, context: Ctx) -> None:
    """The next Assemblea if one is planned; else that none is, with a way to be told."""
    nxt = next((o for o in await upcoming(context) if o.kind == "assemblea"), None)
    if nxt is not None:
        await card(update, context, nxt)
        return
    await nothing_planned(update, context, "topic.assemblea")


async def nothing_planned(update: Update, context: Ctx, key: str) -> None:
    """Nothing in the calendar: say so, and offer to be told when there is."""
    assert update.effective_chat is not None
    notify = protocols.MENU.data("notify")
    first = InlineKeyboardButton(context.label("menu.notifications"), callback_data=notify)
    markup = InlineKeyboardMarkup([[first], *_staff_rows(update, context)])
    await context.bot.send_message(
        update.effective_chat.id, context.t(key, email=context.contact_email), reply_markup=markup
    )


async def _scuola_rows(
    context: Ctx, o: Occurrence, user_id: int
) -> list[list[InlineKeyboardButton]]:
    """A session of an edition open to sign-ups: the way in, from the card itself."""
    edition = await context.repo.editions.get(o.edition_id)
    if edition is None or not edition.accepts(context.now()):
        return []
    if await context.repo.signups.active(edition.id, user_id) is not None:
        return [[InlineKeyboardButton(
            context.label("scuola.mine"), callback_data=protocols.SCUOLA.data("mine")
        )]]  # fmt: skip
    counts = await context.repo.signups.counts(edition.id)
    full = edition.places_left(counts.confirmed) == 0
    key = "scuola.join_waiting" if full else "scuola.join"
    join = protocols.SCUOLA.data("join", edition.id)
    return [[InlineKeyboardButton(context.label(key, title=edition.title), callback_data=join)]]


def _private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


def _staff_rows(update: Update, context: Ctx) -> list[list[InlineKeyboardButton]]:
    if not context.is_staff_user or not _private(update):
        return []
    new = protocols.EVENT_EDIT.data("new")
    return [[InlineKeyboardButton(context.label("events.new"), callback_data=new)]]


def _ref(tap: Tap) -> str:
    return ".".join(tap.args)


async def _upcoming(context: Ctx, tap: Tap) -> Occurrence | None:
    """The upcoming event or session a button names; None, the tap answered, when it is over
    or cancelled."""
    found = {o.ref: o for o in await upcoming(context)}.get(_ref(tap))
    if found is None:
        await tap.answer(context.label("events.gone"), alert=True)
    return found


async def _attendable(context: Ctx, tap: Tap) -> Occurrence | None:
    """An upcoming event one says "Ci sarò" to (a Scuola session is a sign-up's, not this); None,
    the tap answered, otherwise."""
    found = await _upcoming(context, tap)
    if found is not None and found.kind == "scuola":
        await tap.stale(context)
        return None
    return found


@BUTTONS.on("open", args=1, more=True)
async def open_card(update: Update, context: Ctx, tap: Tap) -> None:
    found = await _upcoming(context, tap)
    if found is None:
        return
    await tap.answer()
    await card(update, context, found)


@BUTTONS.on("ics", args=1, more=True)
async def send_calendar_file(update: Update, context: Ctx, tap: Tap) -> None:
    found = await _upcoming(context, tap)
    if found is None:
        return
    await tap.answer()
    user_id = tap.user_id
    url = found.online_url if await link_allowed(context, found, user_id) else ""
    tz = context.config.scheduler.tz
    back = f"https://t.me/{context.bot.username}"
    about = "\n\n".join(p for p in (found.description, context.label("ics.back", link=back)) if p)
    data = calendar_file(
        [{"uid": found.ref, "title": found.title, "start": found.starts_at.astimezone(tz),
          "end": found.ends_at.astimezone(tz), "place": found.place, "url": url,
          "geo": (found.lat, found.lon) if found.lat is not None and found.lon is not None
          else None, "description": about}],
        name=found.title, now=context.now(),
    )  # fmt: skip
    await context.bot.send_document(
        user_id, document=data, filename=file_name(found.title, found.starts_at.astimezone(tz)),
        caption=context.t("events.ics_caption"),
    )  # fmt: skip


@BUTTONS.on("map", args=1, more=True)
async def send_map(update: Update, context: Ctx, tap: Tap) -> None:
    found = await _upcoming(context, tap)
    if found is None:
        return
    if found.lat is None or found.lon is None:
        await tap.stale(context)
        return
    await tap.answer()
    await context.bot.send_venue(
        tap.user_id, latitude=found.lat, longitude=found.lon, title=found.title[:100],
        address=found.place or "Pavia",
    )  # fmt: skip


@BUTTONS.on("join", "share", "noname", args=1, more=True)
async def join(update: Update, context: Ctx, tap: Tap) -> None:
    """ "Ci sarò" (not for Scuola sessions); for the Assemblea, first whether to share the name."""
    found = await _attendable(context, tap)
    if found is None:
        return
    user_id = tap.user_id
    if tap.action == "join" and found.kind == "assemblea":
        await tap.answer()
        rows = [[_button(context.label("events.share_name"), "share", found.ref)],
                [_button(context.label("events.just_count"), "noname", found.ref)]]  # fmt: skip
        await context.bot.send_message(
            user_id, context.t("events.ask_name"), reply_markup=InlineKeyboardMarkup(rows)
        )
        return
    share = tap.action == "share"
    name = tap.query.from_user.full_name if share else ""
    event_id = found.ref.removeprefix("e.")
    await context.repo.attendances.set(event_id, user_id, share, name, context.now())
    await tap.answer(context.label("events.see_you"))
    await context.bot.send_message(user_id, context.t("events.see_you_long", title=found.title))


@BUTTONS.on("leave", args=1, more=True)
async def leave(update: Update, context: Ctx, tap: Tap) -> None:
    found = await _attendable(context, tap)
    if found is None:
        return
    await context.repo.attendances.remove(found.ref.removeprefix("e."), tap.user_id)
    await tap.answer(context.label("events.left"))


@BUTTONS.on("stop", args=1, more=True)
async def stop(update: Update, context: Ctx, tap: Tap) -> None:
    """ "Non ricevere più" on a reminder or a notice: one tap, this kind stops (still one tap
    under the notice of an event that is over or cancelled)."""
    ref = _ref(tap)
    found = {o.ref: o for o in await upcoming(context)}.get(ref)
    now = context.now()
    await context.repo.optouts.set_out(tap.user_id, f"event:{ref}", True, now)
    if found is not None and found.kind in ("assemblea", "scuola"):
        await context.repo.subscriptions.set(tap.user_id, found.kind, False, now)
        await context.repo.optouts.set_out(tap.user_id, f"topic:{found.kind}", True, now)
    await tap.answer(context.label("reminder.stopped"), alert=True)


async def command(update: Update, context: Ctx) -> None:
    await show(update, context)


async def prepare_events(data: BotData) -> Apply:
    path = data.config.storage.data_dir / "events.toml"
    events = load_events(path, data.config.scheduler.tz, data.labs.current)

    async def apply() -> None:
        for event in events:
            await data.repo.events.save(event, data.clock.now())

    return apply


async def startup(data: BotData) -> None:
    await (await prepare_events(data))()


def register(app: Application) -> None:
    data: BotData = app.bot_data
    data.startup.append(startup)  # after the labs: events may name a lab
    data.reloaders.append(prepare_events)
    data.menu_actions["events"] = show
    data.menu_actions["assemblea"] = show_assemblea
    data.deep_links["eventi"] = lambda u, c, _r: show(u, c)
    data.commands.append(CommandSpec("eventi", "cmd.eventi", order=25))
    app.add_handler(CommandHandler(["eventi", "events"], command))
    app.add_handler(BUTTONS.handler())
