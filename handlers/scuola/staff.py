"""Staff tools for the Scuola: editions (/edizioni) and sign-ups (/iscrizioni, CSV for Excel).

    /edizioni -> list --edition--> MENU --title/capacity/deadline--> VALUE --> MENU
                     --new-------> VALUE(title) --> MENU (a closed new edition)
                                   MENU --add session--> WHEN --> WHERE --> MENU
                                   MENU --remove session / open / close / done

Editions declared in data/scuola.toml are shown read-only (the file wins for them). Opening an
edition tells everyone who asked to be notified; adding places promotes from the waiting list.
Callback data `edizioni:v1:<action>[:<arg>]` and `iscrizioni:v1:csv[:<edition>]`.
"""

from __future__ import annotations

import csv
import io
import logging
import unicodedata
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta, tzinfo

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import Tap
from bot.context import CommandSpec, Ctx
from bot.flows import Buttons, Flow, edit_or_send, stale
from bot.guards import staff_only
from bot.refusals import blocked_by_user
from bot.reminders import replan
from bot.scuola_mail import mail_for, session_where
from domain.contacts import dialled_from_italy
from domain.dates import DateProblem, parse_deadline, parse_span, say_date, say_span
from domain.directory import unique_slug
from domain.scuola import MAX_PLACE, MAX_TITLE, Edition, Session
from domain.text import one_line
from domain.understanding import lab_named
from handlers.scuola.editions import button as scuola_button
from handlers.scuola.editions import edition_lines
from handlers.scuola.signups import tell_promoted, tell_sessions_changed
from storage.scuola import Signup

log = logging.getLogger(__name__)

MENU, VALUE, WHEN, WHERE = range(4)


@dataclass
class Draft:
    edition: str | None = None  # the edition on screen
    awaiting: str | None = None  # the value typed next: new (a title), title, capacity, deadline
    span: tuple[datetime, datetime] | None = None  # a new session's time, before its place
    adding: Session | None = None  # a new session, waiting for "yes, add it"


FLOW = Flow(
    "edizioni", Draft, name="flow.name.edizioni", cancelled="edizioni.bye", timeout_s=30 * 60
)
FEATURE = FLOW.feature
CSV = Buttons("iscrizioni")
_button = FLOW.button


async def _edition(context: Ctx) -> Edition | None:
    edition_id = FLOW.draft(context).edition
    return await context.repo.editions.get(edition_id) if edition_id else None


# --- the list and the menu -----------------------------------------------------------------------


@staff_only
async def list_editions(update: Update, context: Ctx) -> int:
    editions = await context.repo.editions.all()
    lines = [context.t("edizioni.title")]
    rows = []
    for edition in editions:
        counts = await context.repo.signups.counts(edition.id)
        state = context.label("edizioni.open" if edition.open else "edizioni.closed")
        lines.append(
            context.t(
                "edizioni.line",
                title=edition.title,
                state=state,
                confirmed=counts.confirmed,
                waiting=counts.waiting,
                capacity=edition.capacity or "∞",
            )
        )
        rows.append([_button(edition.title, "pick", edition.id)])
    if not editions:
        lines.append(context.t("edizioni.none"))
    rows.append([_button(context.label("edizioni.new"), "new")])
    FLOW.begin(context)
    assert update.effective_chat is not None
    await context.bot.send_message(
        update.effective_chat.id, "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows)
    )
    return MENU


async def confirm_removal(
    update: Update, context: Ctx, edition: Edition, n: int, session: Session
) -> int:
    tz = context.config.scheduler.tz
    counts = await context.repo.signups.counts(edition.id)
    when = say_span(session.starts_at, session.ends_at, tz, context.lang)
    lines = [context.t("edizioni.remove_sure", n=n, when=when)]
    if counts.confirmed:
        lines.append(context.t("edizioni.remove_told", count=counts.confirmed))
    else:
        lines.append(context.t("edizioni.remove_nobody"))
    rows = [
        [_button(context.label("edizioni.remove_yes"), "dropyes", session.id)],
        [_button(context.label("edizioni.remove_keep"), "back")],
    ]
    await edit_or_send(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))
    return MENU


async def show_menu(update: Update, context: Ctx, edition: Edition, *, edit: bool = False) -> int:
    tz = context.config.scheduler.tz
    lines = edition_lines(context, edition, await context.repo.signups.counts(edition.id))
    if not edition.sessions:
        lines.append(context.t("edizioni.no_sessions"))
    lines.append(context.label("edizioni.open" if edition.open else "edizioni.closed"))
    rows: list[list[InlineKeyboardButton]] = []
    if edition.origin == "file":
        lines.append(context.t("edizioni.from_file"))
    else:
        rows = [
            [_button(context.label("edizioni.field.title"), "field", "title"),
             _button(context.label("edizioni.field.capacity"), "field", "capacity")],
            [_button(context.label("edizioni.field.deadline"), "field", "deadline"),
             _button(context.label("edizioni.add_session"), "session")],
        ]  # fmt: skip
        for n, session in enumerate(edition.sessions, start=1):
            label = context.label(
                "edizioni.remove_session",
                n=n,
                when=f"{session.starts_at.astimezone(tz):%d/%m %H:%M}",
            )
            rows.append([_button(label, "drop", session.id)])
        rows.append(
            [
                _button(
                    context.label("edizioni.close" if edition.open else "edizioni.open_it"),
                    "toggle",
                )
            ]
        )
    rows.append([_button(context.label("edizioni.done"), "done")])
    text = "\n".join(lines)
    markup = InlineKeyboardMarkup(rows)
    await edit_or_send(update, context, text, markup, edit=edit)
    return MENU


@FLOW.on("pick", args=1)
@staff_only
async def pick(update: Update, context: Ctx, tap: Tap) -> int:
    edition = await context.repo.editions.get(tap.args[0])
    if edition is None:
        await tap.stale(context)
        return MENU
    await tap.answer()
    FLOW.draft(context).edition = edition.id
    return await show_menu(update, context, edition, edit=True)


@FLOW.on("new")
@staff_only
async def new(update: Update, context: Ctx, tap: Tap) -> int:
    await tap.answer()
    FLOW.begin(context, Draft(awaiting="new"))
    await context.bot.send_message(tap.user_id, context.t("edizioni.ask.title"))
    return VALUE


@FLOW.on("done")
@staff_only
async def done(update: Update, context: Ctx, tap: Tap) -> int:
    if await _edition(context) is None:
        await tap.stale(context)
        return ConversationHandler.END
    await tap.answer()
    FLOW.drop(context)
    await edit_or_send(update, context, context.t("edizioni.bye"), None)
    return ConversationHandler.END


async def _editable(context: Ctx, tap: Tap) -> Edition | int:
    """The edition on screen, which staff may change in the chat, the tap answered; else the
    tap answered and the state to return: END with no edition on screen, MENU for one the
    file declares."""
    edition = await _edition(context)
    if edition is None:
        await tap.stale(context)
        return ConversationHandler.END
    if edition.origin == "file":
        await tap.answer(context.label("edizioni.from_file_alert"), alert=True)
        return MENU
    await tap.answer()
    return edition


@FLOW.on("field", args=1)
@staff_only
async def ask_field(update: Update, context: Ctx, tap: Tap) -> int:
    edition = await _editable(context, tap)
    field = tap.args[0]
    if isinstance(edition, int) or field not in ("title", "capacity", "deadline"):
        return edition if isinstance(edition, int) else MENU
    FLOW.draft(context).awaiting = field
    rows = []
    if field in ("capacity", "deadline"):
        rows = [[_button(context.label(f"edizioni.no_{field}"), "clear", field)]]
    await context.bot.send_message(
        tap.user_id,
        context.t(f"edizioni.ask.{field}"),
        reply_markup=InlineKeyboardMarkup(rows) if rows else None,
    )
    return VALUE


@FLOW.on("clear", args=1)
@staff_only
async def clear(update: Update, context: Ctx, tap: Tap) -> int:
    """No limit of places, or no deadline."""
    edition = await _editable(context, tap)
    if isinstance(edition, int):
        return edition
    if tap.args[0] == "capacity":
        await _save(update, context, replace(edition, capacity=None))
    else:
        await _save(update, context, replace(edition, deadline=None))
    return await show_menu(update, context, await _edition(context) or edition)


@FLOW.on("session")
@staff_only
async def ask_session(update: Update, context: Ctx, tap: Tap) -> int:
    edition = await _editable(context, tap)
    if isinstance(edition, int):
        return edition
    await context.bot.send_message(tap.user_id, context.t("edizioni.ask.when"))
    return WHEN


async def _session(context: Ctx, tap: Tap) -> tuple[Edition, int, Session] | int:
    """The edition on screen and the session a button names (with its number), or the state to
    return (the tap answered)."""
    edition = await _editable(context, tap)
    if isinstance(edition, int):
        return edition
    found = [(n, s) for n, s in enumerate(edition.sessions, 1) if str(s.id) == tap.args[0]]
    if not found:  # removed meanwhile (session ids change at every save)
        await tap.stale(context)
        return MENU
    return edition, *found[0]


@FLOW.on("drop", args=1)
@staff_only
async def ask_drop(update: Update, context: Ctx, tap: Tap) -> int:
    """Ask first: the people confirmed hold the session in their calendars."""
    found = await _session(context, tap)
    if isinstance(found, int):
        return found
    return await confirm_removal(update, context, *found)


@FLOW.on("dropyes", args=1)
@staff_only
async def drop_session(update: Update, context: Ctx, tap: Tap) -> int:
    found = await _session(context, tap)
    if isinstance(found, int):
        return found
    edition, _n, session = found
    sessions = tuple(s for s in edition.sessions if s is not session)
    changed = replace(edition, sessions=sessions)
    deadline = _deadline_within(changed, context.config.scheduler.tz)
    if deadline != changed.deadline:  # it was after the new last session: brought back
        changed = replace(changed, deadline=deadline)
        await context.bot.send_message(tap.user_id, context.t("edizioni.deadline_moved"))
    await _save(update, context, changed)
    changed = await _edition(context) or edition
    told = await tell_sessions_changed(context, changed, removed=session)
    key = "edizioni.session_removed" if told else "edizioni.session_removed_nobody"
    await edit_or_send(update, context, context.t(key, count=told), None)
    return await show_menu(update, context, changed)


@FLOW.on("addyes")
@staff_only
async def add_tapped(update: Update, context: Ctx, tap: Tap) -> int:
    edition = await _editable(context, tap)
    if isinstance(edition, int):
        return edition
    return await add_session(update, context, edition)


@FLOW.on("back")
@staff_only
async def back(update: Update, context: Ctx, tap: Tap) -> int:
    edition = await _editable(context, tap)
    if isinstance(edition, int):
        return edition
    FLOW.draft(context).adding = None
    return await show_menu(update, context, edition, edit=True)


@FLOW.on("toggle")
@staff_only
async def toggle(update: Update, context: Ctx, tap: Tap) -> int:
    """Open the edition (everyone who asked is told) or close it."""
    edition = await _editable(context, tap)
    if isinstance(edition, int):
        return edition
    if not edition.open and not edition.sessions:
        await context.bot.send_message(tap.user_id, context.t("edizioni.need_session"))
        return MENU
    opened = replace(edition, open=not edition.open)
    await _save(update, context, opened)
    if opened.open:
        await announce_opening(context, opened)
    return await show_menu(update, context, opened)


# --- values --------------------------------------------------------------------------------------


@staff_only
async def got_value(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    draft = FLOW.draft(context)
    field = draft.awaiting
    text = one_line(message.text)  # a title, a number, a date: one line each
    now = context.now()
    tz = context.config.scheduler.tz
    if field in ("new", "title"):
        if not any(c.isalnum() for c in text) or len(text) > MAX_TITLE:
            await message.reply_text(context.t("edizioni.error.title"))
            return VALUE
        if field == "new":
            edition_id = unique_slug(
                text, {e.id for e in await context.repo.editions.all()}, "edizione"
            )
            created = Edition(id=edition_id, title=text, year=now.astimezone(tz).year, open=False)
            await context.repo.editions.save(created, now)
            draft.edition, draft.awaiting = edition_id, None
            log.info("staff created the Scuola edition %s", edition_id)
            return await show_menu(update, context, created)
        edition = await _edition(context)
        if edition is None:
            return ConversationHandler.END
        await _save(update, context, replace(edition, title=text))
    elif field == "capacity":
        edition = await _edition(context)
        if edition is None:
            return ConversationHandler.END
        if not text.isdigit() or not 1 <= int(text) <= 10_000:
            await message.reply_text(context.t("edizioni.error.capacity"))
            return VALUE
        await _save(update, context, replace(edition, capacity=int(text)))
        await promote_to_capacity(context, edition.id)
    elif field == "deadline":
        edition = await _edition(context)
        if edition is None:
            return ConversationHandler.END
        last = edition.sessions[-1].starts_at if edition.sessions else None
        try:
            deadline = parse_deadline(text, tz, now, last)
        except DateProblem as problem:
            when = say_date(last, tz, context.lang) if last else ""
            await message.reply_text(context.t(f"dates.{problem.code}", date=when))
            return VALUE
        await _save(update, context, replace(edition, deadline=deadline))
    else:
        return ConversationHandler.END
    draft.awaiting = None
    edition = await _edition(context)
    assert edition is not None
    return await show_menu(update, context, edition)


@staff_only
async def got_when(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    try:
        start, end = parse_span(message.text, context.config.scheduler.tz, context.now())
    except DateProblem as problem:
        await message.reply_text(context.t(f"dates.{problem.code}"))
        return WHEN
    FLOW.draft(context).span = (start, end)
    await message.reply_text(context.t("edizioni.ask.where"))
    return WHERE


@staff_only
async def got_where(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    text = one_line(message.text)  # a place or a link: one line
    edition = await _edition(context)
    draft = FLOW.draft(context)
    if edition is None or draft.span is None:
        return ConversationHandler.END
    if not text or len(text) > MAX_PLACE:
        await message.reply_text(context.t("edizioni.error.place"))
        return WHERE
    (start, end), draft.span = draft.span, None
    online = text.startswith("https://")
    labs = context.data.labs
    session = Session(
        start,
        end,
        place="" if online else text,
        online_url=text if online else "",
        lab_id="" if online else lab_named(text, labs.current, labs.matcher),
    )
    draft.adding = session
    return await confirm_addition(update, context, edition, session)


async def confirm_addition(update: Update, context: Ctx, edition: Edition, session: Session) -> int:
    """Ask before adding, as before removing: the people confirmed will be told at once."""
    tz = context.config.scheduler.tz
    counts = await context.repo.signups.counts(edition.id)
    when = say_span(session.starts_at, session.ends_at, tz, context.lang)
    where = session_where(context, session, context.lang)
    lines = [context.t("edizioni.add_sure", when=when, where=where)]
    if counts.confirmed:
        lines.append(context.t("edizioni.remove_told", count=counts.confirmed))
    else:
        lines.append(context.t("edizioni.remove_nobody"))
    rows = [
        [_button(context.label("edizioni.add_yes"), "addyes")],
        [_button(context.label("edizioni.add_no"), "back")],
    ]
    await edit_or_send(update, context, "\n".join(lines), InlineKeyboardMarkup(rows))
    return MENU


async def add_session(update: Update, context: Ctx, edition: Edition) -> int:
    draft = FLOW.draft(context)
    session, draft.adding = draft.adding, None
    if session is None:  # added already (a second tap): the menu as it is
        return await show_menu(update, context, edition, edit=True)
    sessions = tuple(sorted((*edition.sessions, session), key=lambda s: s.starts_at))
    await _save(update, context, replace(edition, sessions=sessions))
    changed = await _edition(context) or edition
    told = await tell_sessions_changed(context, changed, added=session)
    key = "edizioni.session_added_told" if told else "edizioni.session_added_nobody"
    await edit_or_send(update, context, context.t(key, count=told), None)
    return await show_menu(update, context, changed)


@staff_only
async def waiting_for_text(update: Update, context: Ctx) -> int | None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(context.t("edizioni.error.text"))
    return None


def _deadline_within(edition: Edition, tz: tzinfo) -> datetime | None:
    """The deadline, no later than the end of the last session's day (a later one would be a
    promise the bot does not keep: sign-ups close when the last session ends)."""
    if edition.deadline is None or not edition.sessions:
        return edition.deadline
    last_day = edition.sessions[-1].starts_at.astimezone(tz).date()
    latest = datetime.combine(last_day + timedelta(days=1), time(0, 0)).replace(tzinfo=tz)
    return min(edition.deadline, latest)


async def _save(update: Update, context: Ctx, edition: Edition) -> None:
    await context.repo.editions.save(edition, context.now())
    log.info("staff changed the Scuola edition %s", edition.id)
    await replan(context.data, context.application)  # its sessions' reminders follow at once


# --- what follows from a change ------------------------------------------------------------------


async def announce_opening(context: Ctx, edition: Edition) -> None:
    """Tell the people who asked to be notified (a handful: sent here, within Telegram's
    limits thanks to the rate limiter; blocked users are recorded and skipped next time)."""
    texts = context.data.texts
    for user_id in await context.repo.subscriptions.subscribers("scuola"):
        lang = context.people.language(user_id)
        markup = InlineKeyboardMarkup(
            [
                [
                    scuola_button(
                        texts.plain(lang, "scuola.join", title=edition.title), "join", edition.id
                    )
                ]
            ]
        )
        try:
            await context.bot.send_message(
                user_id, texts.text(lang, "scuola.opened", title=edition.title), reply_markup=markup
            )
        except TelegramError as exc:
            if blocked_by_user(exc):
                await context.people.set_blocked(user_id, True, context.now())
            else:  # a chat Telegram does not know, a deleted account: not a block
                log.warning("could not tell a subscriber about a new edition: %s", exc)


async def promote_to_capacity(context: Ctx, edition_id: str) -> None:
    """More places: the waiting list moves up, in order, each person told and e-mailed."""
    edition = await context.repo.editions.get(edition_id)
    if edition is None or edition.capacity is None:
        return
    while True:
        counts = await context.repo.signups.counts(edition_id)
        if counts.confirmed >= edition.capacity or counts.waiting == 0:
            return
        waiting = [
            s for s in await context.repo.signups.of_edition(edition_id) if s.status == "waiting"
        ]
        promoted = await context.repo.signups.promote(
            waiting[0].id,
            context.now(),
            mail_for(context, "promotion", edition, context.now()),
        )
        if promoted is not None:
            context.outbox.kick()
            await tell_promoted(context, promoted, edition)


# --- sign-ups: counts and CSV --------------------------------------------------------------------


@staff_only
async def signups_command(update: Update, context: Ctx) -> None:
    assert update.effective_message is not None
    editions = await context.repo.editions.all()
    lines = [context.t("iscrizioni.title")]
    rows = []
    for edition in editions:
        counts = await context.repo.signups.counts(edition.id)
        lines.append(
            context.t(
                "iscrizioni.line",
                title=edition.title,
                confirmed=counts.confirmed,
                waiting=counts.waiting,
                cancelled=counts.cancelled,
                capacity=edition.capacity or "∞",
            )
        )
        rows.append(
            [CSV.button(context.label("iscrizioni.csv", title=edition.title), "csv", edition.id)]
        )
    if not editions:
        lines.append(context.t("edizioni.none"))
    else:
        rows.append([CSV.button(context.label("iscrizioni.csv_all"), "csv")])
    await update.effective_message.reply_text(
        "\n".join(lines), reply_markup=InlineKeyboardMarkup(rows)
    )


@CSV.on("csv", args=0, more=True)
@staff_only
async def send_csv(update: Update, context: Ctx, tap: Tap) -> None:
    """The sign-ups of one edition (`csv:<edition>`), or of all (`csv`), for Excel."""
    edition_id = tap.args[0] if tap.args else None
    editions = {e.id: e for e in await context.repo.editions.all()}
    if edition_id is not None and edition_id not in editions:
        await tap.stale(context)
        return
    await tap.answer()
    signups = await context.repo.signups.of_edition(edition_id)
    data = await signups_csv(context, signups, editions)
    name = f"iscrizioni-{edition_id or 'tutte'}-{context.now():%Y%m%d}.csv"
    await context.bot.send_document(
        tap.user_id, document=data, filename=name,
        caption=context.t("iscrizioni.csv_caption", count=len(signups)),
    )  # fmt: skip
    log.info("staff exported %d sign-ups", len(signups))


# What makes Excel or LibreOffice read a cell as a formula (or a DDE link): its first character,
# also after spaces, also as a full-width or small form ("＝", "﹢"), or a tab or line break.
_FORMULA_START = frozenset("=+-@|\u2212")


def _cell(value: str) -> str:
    """Spreadsheets must show text, never run it. A cell that would start a formula gets a
    leading apostrophe, shown as it is (OWASP's advice; a tab or a space in front would be
    trimmed by some importers and the formula run after all). Only such cells get it: the
    phones, which all start with +, are written to start with a digit (`_phone`)."""
    if not value:
        return value
    first = unicodedata.normalize("NFKC", value.lstrip()[:1])
    if value[0] in "\t\r\n" or (first and first[0] in _FORMULA_START):
        return f"'{value}"
    return value


def _phone(phone: str) -> str:
    """A phone as text that needs no apostrophe: "+39 333 123 4567" opens in Excel as a formula
    (or an error), and "'+39 ..." shows its apostrophe in Excel and LibreOffice. So it is
    written as dialled from Italy: "333 123 4567", "0382 539012" (the leading zero kept),
    "00 44 20 7946 0958" (00 for the +). Starting with a digit and holding spaces, it is text
    for both (Italian spreadsheets group thousands with dots), shown exactly as written."""
    return dialled_from_italy(phone) if phone else ""


async def signups_csv(context: Ctx, signups: list[Signup], editions: dict[str, Edition]) -> bytes:
    """UTF-8 with BOM and semicolons: what Excel set to Italian opens correctly."""
    tz = context.config.scheduler.tz
    texts = context.data.texts

    def when(moment: datetime | None) -> str:
        return f"{moment.astimezone(tz):%d/%m/%Y %H:%M}" if moment else ""

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow([texts.plain("it", f"csv.{c}") for c in (
        "code", "edition", "status", "position", "first_name", "last_name", "email", "phone",
        "role", "organisation", "note", "consent", "created", "updated", "cancelled",
    )])  # fmt: skip
    for signup in signups:
        edition = editions.get(signup.edition_id)
        position = (
            str(await context.repo.signups.waiting_position(signup))
            if signup.status == "waiting"
            else ""
        )
        row = [
            signup.code,
            edition.title if edition else signup.edition_id,
            texts.plain("it", f"status.{signup.status}").split(" ", 1)[-1],
            position,
            signup.first_name,
            signup.last_name,
            signup.email,
            _phone(signup.phone),
            texts.plain("it", f"role.{signup.role}") if signup.role else "",
            signup.organisation,
            signup.note,
            when(signup.consent_at),
            when(signup.created_at),
            when(signup.updated_at),
            when(signup.cancelled_at),
        ]
        writer.writerow([_cell(v) for v in row])
    return out.getvalue().encode("utf-8-sig")


def register(app: Application) -> None:
    app.bot_data.commands.extend(
        [
            CommandSpec("edizioni", "cmd.edizioni", staff=True),
            CommandSpec("iscrizioni", "cmd.iscrizioni", staff=True),
        ]
    )
    text = filters.TEXT & ~filters.COMMAND
    app.add_handler(
        FLOW.conversation(
            app,
            entry_points=[CommandHandler("edizioni", list_editions)],
            states={
                MENU: [FLOW.handler()],
                VALUE: [
                    MessageHandler(text, got_value),
                    FLOW.handler(),
                    MessageHandler(~filters.COMMAND, waiting_for_text),
                ],
                WHEN: [
                    MessageHandler(text, got_when),
                    MessageHandler(~filters.COMMAND, waiting_for_text),
                ],
                WHERE: [
                    MessageHandler(text, got_where),
                    MessageHandler(~filters.COMMAND, waiting_for_text),
                ],
            },
        )
    )
    app.add_handler(FLOW.outside(staff_only(stale)))
    app.add_handler(CommandHandler("iscrizioni", signups_command))
    app.add_handler(CSV.handler())
