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
    CallbackQueryHandler,
    CommandHandler,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import broadcast, callbacks, labview, protocols
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


@staff_only
async def on_audience(update: Update, context: Ctx) -> int:
    query = update.callback_query
    assert query is not None
    parsed = await FLOW.pressed(
        update, context, "cancel", "zones", "zone", "editions", "back", "aud"
    )
    draft = FLOW.draft(context)
    if parsed is None:
        return AUDIENCE
    if not draft.kind:
        await stale(update, context)
        return ConversationHandler.END
    await query.answer()
    if parsed.action == "cancel":
        return await _cancel(update, context)
    if parsed.action == "zones":
        rows = [
            [_button(labs[0].area or labs[0].name, "zone", key)]
            for key, labs in sorted(_zones(context).items())
        ]
        rows.append([_button(context.label("annuncio.back"), "back")])
        await edit_or_send(
            update, context, context.t("annuncio.ask_zone"), InlineKeyboardMarkup(rows)
        )
        return AUDIENCE
    if parsed.action == "zone" and parsed.args:
        labs = _zones(context).get(parsed.args[0], [])
        rows = [[_button(context.label("annuncio.whole_zone"), "aud", "area", parsed.args[0])]]
        rows += [[_button(lab.name[:60], "aud", "lab", lab.id)] for lab in labs]
        rows.append([_button(context.label("annuncio.back"), "back")])
        await edit_or_send(
            update, context, context.t("annuncio.ask_lab"), InlineKeyboardMarkup(rows)
        )
        return AUDIENCE
    if parsed.action == "editions":
        rows = [
            [_button(e.title[:60], "aud", "edition", e.id)]
            for e in await context.repo.editions.all()
        ]
        rows.append([_button(context.label("annuncio.back"), "back")])
        await edit_or_send(
            update, context, context.t("annuncio.ask_edition"), InlineKeyboardMarkup(rows)
        )
        return AUDIENCE
    if parsed.action == "back":
        return await ask_audience(update, context, edit=True)
    if parsed.action != "aud" or not parsed.args:
        return AUDIENCE
    name = ":".join(parsed.args)
    people = await broadcast.audience(context.data, name)
    if not people:
        await context.bot.send_message(
            query.from_user.id,
            context.t("annuncio.empty", audience=audience_label(context, name)),
        )
        return await ask_audience(update, context)
    draft.audience = name
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
        last.insert(0, _button(context.label("annuncio.change_audience"), "back"))
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


@author
async def on_confirm(update: Update, context: Ctx) -> int:
    query = update.callback_query
    assert query is not None
    parsed = await FLOW.pressed(update, context)
    draft = FLOW.draft(context)
    if parsed is None:
        return CONFIRM
    if parsed.action in ("send", "later") and parsed.args[:1] != (draft.token,):
        return await on_stale(update, context) or CONFIRM
    if parsed.action == "cancel":
        await query.answer()
        return await _cancel(update, context)
    if parsed.action == "back":
        if draft.lab:  # a lab's news go to its followers only: no other audience to pick
            await stale(update, context)
            return CONFIRM
        await query.answer()
        return await ask_audience(update, context)
    if parsed.action == "later":
        await query.answer()
        await context.bot.send_message(query.from_user.id, context.t("annuncio.ask_when"))
        return WHEN
    if parsed.action != "send":
        await stale(update, context)
        return CONFIRM
    people = await broadcast.audience(context.data, draft.audience)
    if not people:
        await query.answer(context.label("annuncio.empty_now"), show_alert=True)
        if draft.lab:
            FLOW.drop(context)
            return ConversationHandler.END
        return await ask_audience(update, context)
    announcement, created = await _create(context, query.from_user.id, draft, context.now(), people)
    if not created:
        await query.answer(context.label("annuncio.already"), show_alert=True)
        return ConversationHandler.END
    await query.answer(context.label("annuncio.started"))
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


async def _cancel(update: Update, context: Ctx) -> int:
    """The flow's "Annulla" button: the same as /annulla."""
    return await FLOW.cancel(update, context)


# --- buttons outside the flow ---------------------------------------------------------------------


async def on_stale(update: Update, context: Ctx) -> int | None:
    """A flow button pressed after the flow ended: already sent, or simply old."""
    query = update.callback_query
    assert query is not None
    parsed = callbacks.parse(query.data, FEATURE)
    sent = (
        parsed is not None
        and parsed.action in ("send", "later")
        and bool(parsed.args)
        and await context.repo.announcements.by_token(parsed.args[0]) is not None
    )
    if sent:
        await query.answer(context.label("annuncio.already"), show_alert=True)
        return None
    await stale(update, context)
    return None


async def on_broadcast_button(update: Update, context: Ctx) -> None:
    query = update.callback_query
    assert query is not None
    parsed = await SENDING.pressed(update, context, "optout", "stop")
    if parsed is None:
        return
    if parsed.action == "optout" and parsed.args[:1] == ("lab",) and len(parsed.args) > 1:
        lab_id = parsed.args[1]  # a lab's news: stop following that lab, and only that
        await context.repo.subscriptions.set(
            query.from_user.id, f"lab:{lab_id}", False, context.now()
        )
        lab = context.data.labs.current.any_lab(lab_id)
        name = (lab.name if lab else lab_id)[:80]
        await query.answer(context.label("labs.unfollowed", name=name), show_alert=True)
        return
    if parsed.action == "optout":
        now = context.now()
        await context.repo.subscriptions.set(query.from_user.id, "annunci", False, now)
        await context.repo.optouts.set_out(query.from_user.id, "topic:annunci", True, now)
        await query.answer(context.label("broadcast.opted_out"), show_alert=True)
        return
    if parsed.action == "stop" and parsed.args[:1]:
        await stop(update, context)
        return
    await stale(update, context)


@staff_or(lambda _update, context: bool(context.coordinated_labs()))
async def stop(update: Update, context: Ctx) -> None:
    """Staff stop any announcement; a coordinator, only one they wrote (checked below)."""
    query = update.callback_query
    assert query is not None
    parsed = callbacks.parse(query.data, SENDING.feature)
    announcement_id = parsed.args[0] if parsed and parsed.args else ""
    found = (
        await context.repo.announcements.get(int(announcement_id))
        if announcement_id.isdigit()
        else None
    )
    if found is not None and not context.is_staff_user and found.author_id != query.from_user.id:
        await query.answer(context.label("staff.only"), show_alert=True)
        return
    if found is None or not await context.repo.announcements.stop(found.id, context.now()):
        await query.answer(context.label("broadcast.already_over"), show_alert=True)
        return
    who = "a staff member" if context.is_staff_user else "its author, a coordinator"
    log.info("announcement %d stopped by %s", found.id, who)
    await query.answer(context.label("broadcast.stopping"))
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
                    CallbackQueryHandler(on_audience, pattern=FLOW.pattern()),
                    MessageHandler(~filters.COMMAND, waiting_for_text),
                ],
                CONFIRM: [
                    CallbackQueryHandler(on_confirm, pattern=FLOW.pattern()),
                    MessageHandler(~filters.COMMAND, waiting_for_text),
                ],
                WHEN: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, got_when),
                    CallbackQueryHandler(on_confirm, pattern=FLOW.pattern()),
                    MessageHandler(~filters.COMMAND, waiting_for_text),
                ],
            },
            on_stale=on_stale,
        )
    )
    app.add_handler(FLOW.outside(staff_only(on_stale)))
    app.add_handler(CallbackQueryHandler(on_broadcast_button, pattern=SENDING.any_version))
