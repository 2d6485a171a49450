"""/annuncio: staff write an announcement, choose who receives it, see it exactly as they will,
then send it now or at a chosen time. The sending itself is `bot.broadcast`.

    /annuncio -> BODY (text, or a photo with caption) -> AUDIENCE (buttons) -> CONFIRM
    CONFIRM --send--> sending (once per draft: a second press finds the first)
            --later-> WHEN (dd/mm/yyyy hh:mm) -> scheduled
            --audience-> AUDIENCE      --cancel-> end

Callback data `annuncio:v1:<action>[:<arg>...]` inside the flow; `ann:v1:stop:<id>` (staff) and
`ann:v1:optout` (anyone: "Non ricevere più") outside it.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import broadcast, labview, protocols
from bot.callbacks import Tap
from bot.context import BotData, CommandSpec, Ctx
from bot.flows import Flow, edit_or_send, stale
from bot.guards import coordinator_of_tapped_lab, staff_only, staff_or
from domain.dates import DateProblem, parse_moment, say_date, say_time
from storage.announcements import Announcement

log = logging.getLogger(__name__)

BODY, AUDIENCE, CONFIRM, WHEN = range(4)
MAX_TEXT = 4096
MAX_CAPTION = 1024
TOPICS = ("annunci", "assemblea", "scuola")


@dataclass
class Draft:
    token: str = ""  # names this draft: "Invia ora" pressed twice sends it once
    kind: str = ""  # text or photo; empty until the body is written
    body: str = ""  # Telegram HTML
    photo: str = ""  # Telegram file_id
    audience: str = ""  # see bot.broadcast.audience
    lab: str = ""  # a coordinator writing to their lab's followers: the audience is fixed


FLOW = Flow(
    protocols.ANNOUNCE.feature,
    Draft,
    name="flow.name.annuncio",
    cancelled="annuncio.cancelled",
    timeout_s=60 * 60,
    may_stay=lambda data, user_id, draft: (
        user_id in data.staff_ids or bool(draft.lab and data.coordinates(draft.lab, user_id))
    ),
)
FEATURE = FLOW.feature
SENDING = protocols.SENDING  # stop and opt out, on the messages the broadcaster sends
_button = FLOW.button


def telegram_length(text: str) -> int:
    """Telegram counts UTF-16 code units: an emoji may count twice."""
    return len(text.encode("utf-16-le")) // 2


def _preview(context: Ctx, draft: Draft) -> Announcement:
    now = context.now()
    return Announcement(
        id=0, token=draft.token, author_id=0, kind=draft.kind, body=draft.body,
        photo=draft.photo, audience=draft.audience, status="draft",
        send_at=now, created_at=now, finished_at=None, status_chat=None, status_message=None,
        lang=context.lang,
    )  # fmt: skip


def _coordinator_of_draft(update: Update, context: Ctx) -> bool:
    """A lab's coordinator, in a draft to that lab's followers (checked at every step)."""
    lab = FLOW.draft(context).lab
    return bool(lab) and context.coordinates(lab)


author = staff_or(_coordinator_of_draft)


# --- writing --------------------------------------------------------------------------------------


@FLOW.on("lab", args=1)
@staff_or(coordinator_of_tapped_lab(FLOW))
async def start_for_lab(update: Update, context: Ctx, tap: Tap) -> int:
    """From a lab's card: news to the people who follow that lab, and only to them."""
    query = tap.query
    lab = await labview.tool_lab(update, context, tap)
    if lab is None:
        return ConversationHandler.END
    followers = await broadcast.audience(context.data, f"lab:{lab.id}")
    if not followers:  # said before anything is written
        await context.bot.send_message(
            query.from_user.id, context.t("annuncio.no_followers_yet", name=lab.name)
        )
        return ConversationHandler.END
    FLOW.begin(context, Draft(token=secrets.token_urlsafe(9), audience=f"lab:{lab.id}", lab=lab.id))
    await context.bot.send_message(
        query.from_user.id,
        context.t(
            "annuncio.ask_body_lab",
            name=lab.name,
            people=context.count("annuncio.followers", len(followers)),
        ),
    )
    return BODY


@staff_only
async def start(update: Update, context: Ctx) -> int:
    assert update.effective_message is not None
    FLOW.begin(context, Draft(token=secrets.token_urlsafe(9)))
    await update.effective_message.reply_text(context.t("annuncio.ask_body"))
    return BODY


@author
async def got_body(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None
    draft = FLOW.draft(context)
    texts = context.data.texts
    lab = context.data.labs.current.any_lab(draft.lab) if draft.lab else None
    header = (
        texts.plain(context.lang, "broadcast.header_lab", name=lab.name)
        if lab is not None
        else texts.plain(context.lang, "broadcast.header")
    )
    if message.photo:
        caption = message.caption or ""
        limit = MAX_CAPTION - telegram_length(header) - 2
        if telegram_length(caption) > limit:
            await message.reply_text(
                context.t("annuncio.too_long_caption", limit=limit, length=len(caption))
            )
            return BODY
        draft.kind, draft.body = "photo", message.caption_html or ""
        draft.photo = message.photo[-1].file_id
    elif message.text:
        limit = MAX_TEXT - telegram_length(header) - 2
        if telegram_length(message.text) > limit:
            await message.reply_text(
                context.t("annuncio.too_long", limit=limit, length=len(message.text))
            )
            return BODY
        if not any(c.isalnum() for c in message.text):
            await message.reply_text(context.t("annuncio.ask_body"))
            return BODY
        draft.kind, draft.body, draft.photo = "text", message.text_html, ""
    else:
        await message.reply_text(context.t("annuncio.only_text_or_photo"))
        return BODY
    if draft.lab:
        people = await broadcast.audience(context.data, draft.audience)
        if not people:
            FLOW.drop(context)
            lab = context.data.labs.current.any_lab(draft.lab)
            name = lab.name if lab else draft.lab
            await message.reply_text(context.t("annuncio.no_followers", name=name))
            return ConversationHandler.END
        return await show_preview(update, context, len(people))
    return await ask_audience(update, context)


async def ask_audience(update: Update, context: Ctx, *, edit: bool = False) -> int:
    rows = [[_button(context.label(f"annuncio.aud.topic.{t}"), "aud", "topic", t)] for t in TOPICS]
    rows.append([_button(context.label("annuncio.aud.near"), "zones")])
    if await context.repo.editions.all():
        rows.append([_button(context.label("annuncio.aud.editions"), "editions")])
    rows.append([_button(context.label("annuncio.aud.all"), "aud", "all")])
    rows.append([_button(context.label("annuncio.cancel"), "cancel")])
    text, markup = context.t("annuncio.ask_audience"), InlineKeyboardMarkup(rows)
    await edit_or_send(update, context, text, markup, edit=edit)
    return AUDIENCE


def _zones(context: Ctx) -> dict[str, list]:
    zones: dict[str, list] = {}
    for lab in context.data.labs.current.visible:
        zones.setdefault(broadcast.area_key(lab.area or lab.name), []).append(lab)
    return zones


def audience_label(context: Ctx, name: str) -> str:
    kind, _, arg = name.partition(":")
    if kind == "topic":
        return context.label(f"annuncio.aud.topic.{arg}")
    if kind == "lab":
        lab = context.data.labs.current.lab(arg)
        return context.label("annuncio.aud.lab", name=lab.name if lab else arg)
    if kind == "area":
        labs = _zones(context).get(arg, [])
        return context.label("annuncio.aud.area", name=labs[0].area if labs else arg)
    if kind == "edition":
        return context.label("annuncio.aud.edition", title=arg)
    return context.label("annuncio.aud.all")


async def _choosing(context: Ctx, tap: Tap) -> bool:
    """Whether the person has a draft to choose an audience for; if not, the tap is stale."""
    if not FLOW.draft(context).kind:
        await tap.stale(context)
        return False
    await tap.answer()
    return True


async def _choose_from(update: Update, context: Ctx, key: str, rows: list) -> int:
    rows.append([_button(context.label("annuncio.back"), "back")])
    await edit_or_send(update, context, context.t(key), InlineKeyboardMarkup(rows))
    return AUDIENCE


@FLOW.on("zones")
@staff_only
async def choose_zone(update: Update, context: Ctx, tap: Tap) -> int:
    if not await _choosing(context, tap):
        return ConversationHandler.END
    rows = [
        [_button(labs[0].area or labs[0].name, "zone", key)]
        for key, labs in sorted(_zones(context).items())
    ]
    return await _choose_from(update, context, "annuncio.ask_zone", rows)


@FLOW.on("zone", args=1)
@staff_only
async def choose_in_zone(update: Update, context: Ctx, tap: Tap) -> int:
    """The whole zone, or one of its labs."""
    if not await _choosing(context, tap):
        return ConversationHandler.END
    zone = tap.args[0]
    rows = [[_button(context.label("annuncio.whole_zone"), "aud", "area", zone)]]
    rows += [
        [_button(lab.name[:60], "aud", "lab", lab.id)] for lab in _zones(context).get(zone, [])
    ]
    return await _choose_from(update, context, "annuncio.ask_lab", rows)


@FLOW.on("editions")
@staff_only
async def choose_edition(update: Update, context: Ctx, tap: Tap) -> int:
    if not await _choosing(context, tap):
        return ConversationHandler.END
    rows = [
        [_button(e.title[:60], "aud", "edition", e.id)] for e in await context.repo.editions.all()
    ]
    return await _choose_from(update, context, "annuncio.ask_edition", rows)


@FLOW.on("back")
@staff_only
async def back_to_audiences(update: Update, context: Ctx, tap: Tap) -> int:
    if not await _choosing(context, tap):
        return ConversationHandler.END
    return await ask_audience(update, context, edit=True)


@FLOW.on("aud", args=1, more=True)
@staff_only
async def chose_audience(update: Update, context: Ctx, tap: Tap) -> int:
    """An audience (`aud:<kind>[:<arg>]`): the preview, or a word that nobody is in it."""
    if not await _choosing(context, tap):
        return ConversationHandler.END
    name = ":".join(tap.args)
    people = await broadcast.audience(context.data, name)
    if not people:
        await context.bot.send_message(
            tap.user_id,
            context.t("annuncio.empty", audience=audience_label(context, name)),
        )
        return await ask_audience(update, context)
    FLOW.draft(context).audience = name
    return await show_preview(update, context, len(people))


async def show_preview(update: Update, context: Ctx, count: int) -> int:
    draft = FLOW.draft(context)
    chat_id = update.effective_user.id if update.effective_user else 0
    text, markup = broadcast.render(context.data, _preview(context, draft), context.lang)
    await context.bot.send_message(chat_id, context.t("annuncio.preview_intro"))
    if draft.kind == "photo":
        await context.bot.send_photo(chat_id, draft.photo, caption=text, reply_markup=markup)
    else:
        await context.bot.send_message(chat_id, text, reply_markup=markup)
    last = [_button(context.label("annuncio.cancel"), "cancel")]
    if not draft.lab:  # a lab's news go to its followers, and to them only
        last.insert(0, _button(context.label("annuncio.change_audience"), "audience"))
    rows = [
        [_button(context.label("annuncio.send_now", count=count), "send", draft.token)],
        [_button(context.label("annuncio.later"), "later", draft.token)],
        last,
    ]
    await context.bot.send_message(
        chat_id,
        context.t(
            "annuncio.confirm", count=count, audience=audience_label(context, draft.audience)
        ),
        reply_markup=InlineKeyboardMarkup(rows),
    )
    return CONFIRM


CONFIRMING = ("send", "later", "cancel", "audience")  # the buttons under the preview


@FLOW.on("cancel")
@author
async def cancel(update: Update, context: Ctx, tap: Tap) -> int:
    """The flow's "Annulla" button, choosing the audience or confirming: as /annulla."""
    if not FLOW.draft(context).kind:
        await tap.stale(context)
        return ConversationHandler.END
    await tap.answer()
    return await FLOW.cancel(update, context)


@FLOW.on("audience")
@author
async def change_audience(update: Update, context: Ctx, tap: Tap) -> int:
    if FLOW.draft(context).lab:  # a lab's news go to its followers only: no other audience
        await tap.stale(context)
        return CONFIRM
    await tap.answer()
    return await ask_audience(update, context)


@FLOW.on("later", args=1)
@author
async def later(update: Update, context: Ctx, tap: Tap) -> int:
    if tap.args[0] != FLOW.draft(context).token:
        await _answer_old(context, tap)
        return CONFIRM
    await tap.answer()
    await context.bot.send_message(tap.user_id, context.t("annuncio.ask_when"))
    return WHEN


@FLOW.on("send", args=1)
@author
async def send_now(update: Update, context: Ctx, tap: Tap) -> int:
    draft = FLOW.draft(context)
    if tap.args[0] != draft.token:
        await _answer_old(context, tap)
        return CONFIRM
    people = await broadcast.audience(context.data, draft.audience)
    if not people:
        await tap.answer(context.label("annuncio.empty_now"), alert=True)
        if draft.lab:
            FLOW.drop(context)
            return ConversationHandler.END
        return await ask_audience(update, context)
    announcement, created = await _create(context, tap.user_id, draft, context.now(), people)
    if not created:
        await tap.answer(context.label("annuncio.already"), alert=True)
        return ConversationHandler.END
    await tap.answer(context.label("annuncio.started"))
    await edit_or_send(update, context, context.t("annuncio.started_long", count=len(people)), None)
    log.info("announcement %d queued for %d recipients", announcement.id, len(people))
    FLOW.drop(context)
    context.broadcaster.kick()
    return ConversationHandler.END


async def _create(
    context: Ctx, author_id: int, draft: Draft, send_at: datetime, people: list[int] | None
) -> tuple[Announcement, bool]:
    return await context.repo.announcements.create(
        token=draft.token, author_id=author_id, kind=draft.kind,
        body=draft.body, photo=draft.photo, audience=draft.audience,
        send_at=send_at, now=context.now(), lang=context.lang, recipients=people,
    )  # fmt: skip


@author
async def got_when(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None and message.text is not None
    tz = context.config.scheduler.tz
    try:
        moment = parse_moment(message.text, tz, context.now())
    except DateProblem as problem:
        await message.reply_text(
            context.t(f"dates.{problem.code}") + "\n" + context.t("annuncio.ask_when")
        )
        return WHEN
    draft = FLOW.draft(context)
    announcement, created = await _create(context, message.chat_id, draft, moment, None)
    if not created:
        await message.reply_text(context.t("annuncio.already"))
        return ConversationHandler.END
    FLOW.drop(context)
    context.broadcaster.wake_at(moment, name=f"announcement:{announcement.id}:start")
    rows = [[SENDING.button(context.label("annuncio.unschedule"), "stop", announcement.id)]]
    await message.reply_text(
        context.t(
            "annuncio.scheduled", date=say_date(moment, tz, context.lang),
            time=say_time(moment, tz), audience=audience_label(context, announcement.audience),
        ),
        reply_markup=InlineKeyboardMarkup(rows),
    )  # fmt: skip
    log.info("announcement %d scheduled", announcement.id)
    return ConversationHandler.END


@author
async def waiting_for_text(update: Update, context: Ctx) -> int | None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(context.t("annuncio.use_buttons"))
    return None


# --- buttons outside the flow ---------------------------------------------------------------------


async def _answer_old(context: Ctx, tap: Tap) -> None:
    """ "Send" or "later" of a draft that is no longer the person's: already sent, or old."""
    if await context.repo.announcements.by_token(tap.args[0]) is not None:
        await tap.answer(context.label("annuncio.already"), alert=True)
    else:
        await tap.stale(context)


async def on_stale(update: Update, context: Ctx) -> None:
    """A flow button pressed at a step that does not take it, or after the flow ended."""
    tap = FLOW.parse(update, "send", "later")
    if tap is not None:
        await _answer_old(context, tap)
    else:
        await stale(update, context)


@SENDING.on("optout", more=True)
async def opt_out(update: Update, context: Ctx, tap: Tap) -> None:
    """ "Non ricevere più" under an announcement: a lab's news (`optout:lab:<id>`) stop
    following that lab, and only that; the network's stop its announcements."""
    if tap.args[:1] == ("lab",) and len(tap.args) > 1:
        lab_id = tap.args[1]
        await context.repo.subscriptions.set(tap.user_id, f"lab:{lab_id}", False, context.now())
        lab = context.data.labs.current.any_lab(lab_id)
        name = (lab.name if lab else lab_id)[:80]
        await tap.answer(context.label("labs.unfollowed", name=name), alert=True)
        return
    now = context.now()
    await context.repo.subscriptions.set(tap.user_id, "annunci", False, now)
    await context.repo.optouts.set_out(tap.user_id, "topic:annunci", True, now)
    await tap.answer(context.label("broadcast.opted_out"), alert=True)


@SENDING.on("stop", args=1, more=True)
@staff_or(lambda _update, context: bool(context.coordinated_labs()))
async def stop(update: Update, context: Ctx, tap: Tap) -> None:
    """Staff stop any announcement; a coordinator, only one they wrote (checked below)."""
    announcement_id = tap.args[0]
    found = (
        await context.repo.announcements.get(int(announcement_id))
        if announcement_id.isdigit()
        else None
    )
    if found is not None and not context.is_staff_user and found.author_id != tap.user_id:
        await tap.answer(context.label("staff.only"), alert=True)
        return
    if found is None or not await context.repo.announcements.stop(found.id, context.now()):
        await tap.answer(context.label("broadcast.already_over"), alert=True)
        return
    who = "a staff member" if context.is_staff_user else "its author, a coordinator"
    log.info("announcement %d stopped by %s", found.id, who)
    await tap.answer(context.label("broadcast.stopping"))
    if found.status == "scheduled":
        await edit_or_send(update, context, context.t("annuncio.unscheduled"), None)


def register(app: Application) -> None:
    data: BotData = app.bot_data
    data.commands.append(CommandSpec("annuncio", "cmd.annuncio", staff=True))
    app.add_handler(
        FLOW.conversation(
            app,
            entry_points=[
                CommandHandler(["annuncio", "announce"], start),
                FLOW.handler("lab"),
            ],
            states={
                BODY: [
                    MessageHandler((filters.TEXT | filters.PHOTO) & ~filters.COMMAND, got_body),
                    MessageHandler(~filters.COMMAND, got_body),
                ],
                AUDIENCE: [
                    FLOW.handler("cancel", "zones", "zone", "editions", "back", "aud"),
                    MessageHandler(~filters.COMMAND, waiting_for_text),
                ],
                CONFIRM: [
                    FLOW.handler(*CONFIRMING),
                    MessageHandler(~filters.COMMAND, waiting_for_text),
                ],
                WHEN: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, got_when),
                    FLOW.handler(*CONFIRMING),
                    MessageHandler(~filters.COMMAND, waiting_for_text),
                ],
            },
            on_stale=on_stale,
        )
    )
    app.add_handler(FLOW.outside(staff_only(on_stale)))
    app.add_handler(SENDING.handler())
