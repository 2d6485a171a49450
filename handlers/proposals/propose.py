"""Proposing: "💡 Proponi un'idea" (main menu, a lab's card), /proponi, `?start=proponi`.

A flow of the toolkit (`bot.flows.Flow`: one open at a time, /annulla, a time-out that says so),
whose draft is also kept in the database at every step (`proposal_drafts`), so a restart
resumes it where it was; its typed steps are taken in handler group -8, ahead of the toolkit's
`leave_on_command`, which cannot know that the draft has a copy to drop.

    where? -> title -> body -> place? -> photo? -> preview --Invia--> waiting for moderation
                                                   --Modifica--> one field -> preview
                                                   --👤--> name shown or not (off by default)
    (where? is skipped from a lab's card; ? = skippable; /annulla at every step)

Buttons `prop:v1:<action>[:<arg>]`, each valid only at its step (stale otherwise).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.constants import ChatType
from telegram.ext import Application, ApplicationHandlerStop, CallbackContext

from bot.callbacks import Tap, stale
from bot.context import BotData, Ctx
from bot.flows import CANCEL_COMMANDS, edit_or_send
from domain.proposals import (
    EDITABLE,
    NETWORK,
    OPTIONAL,
    STEPS,
    ProposalDraft,
    ProposalProblem,
    check_body,
    check_place,
    check_title,
    may_send,
)
from handlers.proposals import moderate
from handlers.proposals.common import FEATURE, FLOW, draft_text, lab_name, send_to

log = logging.getLogger(__name__)

GROUP = -8  # ahead of bot.flows.leave_on_command (-7): a command leaves the form, copy and all
JOB = "proposal-timeout:{}"
_button = FLOW.button


# --- the draft, in memory and in the database --------------------------------------------


def _draft(context: Ctx) -> ProposalDraft | None:
    if not FLOW.is_open(context.data, context.user_id) or context.user_data is None:
        return None
    found = context.user_data.get(FEATURE)
    return found if isinstance(found, ProposalDraft) else None


async def save(context: Ctx, draft: ProposalDraft) -> None:
    """Keep the form at its step (a restart resumes it); the time-out counts from now."""
    await context.repo.proposals.save_draft(draft, context.now())
    _schedule_timeout(context.application, draft.user_id, FLOW.timeout_s)


async def drop(context: Ctx, user_id: int) -> None:
    """The form is over (sent, cancelled, timed out, left): its copy goes too."""
    FLOW.drop(context)
    await context.repo.proposals.drop_draft(user_id)
    _unschedule(context.application, user_id)


def _schedule_timeout(app: Application, user_id: int, seconds: float) -> None:
    if app.job_queue is None:
        return
    _unschedule(app, user_id)
    app.job_queue.run_once(
        _timed_out, max(0.0, seconds), data=user_id, name=JOB.format(user_id),
        user_id=user_id, chat_id=user_id,
    )  # fmt: skip


def _unschedule(app: Application, user_id: int) -> None:
    if app.job_queue is not None:
        for job in app.job_queue.get_jobs_by_name(JOB.format(user_id)):
            job.schedule_removal()


async def _timed_out(context: CallbackContext) -> None:
    ctx: Ctx = context  # type: ignore[assignment]
    assert ctx.job is not None
    user_id = ctx.job.user_id
    assert user_id is not None
    draft = _draft(ctx)
    if draft is None:  # left for another flow meanwhile: only its copy is left to drop
        await ctx.repo.proposals.drop_draft(user_id)
        return
    left = datetime.fromisoformat(draft.updated_at) + timedelta(seconds=FLOW.timeout_s)
    if left > ctx.now():  # answered since this job was planned
        _schedule_timeout(ctx.application, user_id, (left - ctx.now()).total_seconds())
        return
    await drop(ctx, user_id)
    ctx.lang = ctx.people.language(user_id)
    log.info("a proposal form timed out")
    await send_to(
        ctx,
        user_id,
        ctx.t("flow.timeout", name=ctx.label(FLOW.name), count=FLOW.timeout_s // 60),
    )


async def load_drafts(app: Application) -> None:
    """At start: every form in progress is open again, with the time it had left."""
    data: BotData = app.bot_data
    now = data.clock.now()
    for draft in await data.repo.proposals.drafts():
        app.user_data[draft.user_id][FEATURE] = draft
        data.open_flows[draft.user_id] = FEATURE
        due = datetime.fromisoformat(draft.updated_at) + timedelta(seconds=FLOW.timeout_s)
        _schedule_timeout(app, draft.user_id, (due - now).total_seconds())


# --- starting ---------------------------------------------------------------------------------


async def begin(update: Update, context: Ctx, lab_id: str | None) -> None:
    """A new form (for `lab_id`, or asking which); in a private chat only."""
    user = update.effective_user
    if user is None:
        return
    if update.effective_chat is None or update.effective_chat.type != ChatType.PRIVATE:
        link = f"https://t.me/{context.bot.username}?start=proponi"
        markup = InlineKeyboardMarkup(
            [[InlineKeyboardButton(context.label("group.open_private"), url=link)]]
        )
        await context.bot.send_message(
            update.effective_chat.id if update.effective_chat else user.id,
            context.t("proposals.private_only"),
            reply_markup=markup,
        )
        return
    draft = ProposalDraft(user_id=user.id, step="where" if lab_id is None else "title", lab=lab_id)
    FLOW.begin(context, draft)
    await save(context, draft)
    intro = "proposals.intro" if lab_id is None else "proposals.intro_lab"
    await context.bot.send_message(
        user.id, context.t(intro, name=lab_name(context.data, context.lang, lab_id or NETWORK))
    )
    await ask(context, draft)


async def command(update: Update, context: Ctx) -> None:
    """/proponi"""
    await begin(update, context, None)


async def from_link(update: Update, context: Ctx, _rest: str) -> None:
    """`?start=proponi`"""
    await begin(update, context, None)


async def from_menu(update: Update, context: Ctx) -> None:
    await begin(update, context, None)


@FLOW.on("new", more=True)
async def on_new(update: Update, context: Ctx, tap: Tap) -> None:
    """From a lab's card (`new:<lab>`) or anywhere (`new`)."""
    lab_id = tap.args[0] if tap.args else None
    if lab_id is not None:
        lab = context.data.labs.current.lab(lab_id)
        if lab is None or lab.hidden:
            await stale(update, context)
            tap.answered = True
            return
    if not context.in_private:
        await tap.answer(context.label("proposals.private_only_alert"), alert=True)
        return
    await tap.answer()
    await begin(update, context, lab_id)


# --- asking -----------------------------------------------------------------------------------


def _progress(context: Ctx, draft: ProposalDraft) -> str:
    steps = [s for s in STEPS if s not in ("where", "preview")]
    if draft.step not in steps or draft.returning:
        return ""
    return context.t("proposals.step", n=steps.index(draft.step) + 1, total=len(steps)) + "\n"


async def ask(context: Ctx, draft: ProposalDraft) -> None:
    """The question of the draft's step (the preview, at the end)."""
    chat = draft.user_id
    step = draft.step
    rows: list[list[InlineKeyboardButton]] = []
    if step == "preview":
        await preview(context, draft)
        return
    if step == "where":
        text = context.t("proposals.ask.where")
        rows.append([_button(context.label("proposals.network_button"), "where", "net")])
        labs = [
            _button(lab.name[:40], "where", lab.id) for lab in context.data.labs.current.visible
        ]
        rows += [labs[i : i + 2] for i in range(0, len(labs), 2)]
    else:
        text = _progress(context, draft) + context.t(f"proposals.ask.{step}")
        current = {"title": draft.title, "body": draft.body, "place": draft.place}.get(step)
        if draft.returning and current:
            text += "\n\n" + context.t("proposals.current", value=current)
    if step in OPTIONAL:
        key = "proposals.remove" if draft.returning else "proposals.skip"
        rows.append([_button(context.label(key), "skip", step)])
    markup = InlineKeyboardMarkup(rows) if rows else None
    await context.bot.send_message(chat, text, reply_markup=markup)


def _first_name(update: Update) -> str:
    user = update.effective_user
    return (user.first_name or "")[:40] if user else ""


async def preview(context: Ctx, draft: ProposalDraft, *, update: Update | None = None) -> None:
    """The proposal as it will be shown, with Invia, Modifica, the name's switch, Annulla;
    a tap on the switch edits the preview in place (`update`)."""
    name = _name_of(context)
    text = context.t("proposals.preview.intro") + "\n\n"
    text += draft_text(context.data, context.lang, draft, name)
    name_key = "proposals.preview.hide_name" if draft.show_name else "proposals.preview.show_name"
    markup = InlineKeyboardMarkup(
        [
            [_button(context.label("proposals.preview.send"), "send")],
            [_button(context.label("proposals.preview.edit"), "edit")],
            [_button(context.label(name_key), "name")],
            [_button(context.label("proposals.preview.abort"), "abort")],
        ]
    )
    if update is not None:
        await edit_or_send(update, context, text, markup)
        return
    if draft.photo:
        await context.bot.send_photo(draft.user_id, draft.photo)
    await context.bot.send_message(draft.user_id, text, reply_markup=markup)


def _name_of(context: Ctx) -> str:
    """The person's first name, as Telegram gives it with their update (never stored unless
    they let it be shown)."""
    user_data = context.user_data
    return str(user_data.get("first_name", "")) if user_data is not None else ""


async def advance(context: Ctx, draft: ProposalDraft) -> None:
    draft.step = draft.next_step()
    if draft.step == "preview":
        draft.returning = False
    await save(context, draft)
    await ask(context, draft)


# --- the typed steps (group -8) ---------------------------------------------------------------


async def steps(update: Update, context: Ctx) -> None:
    """Everything typed by a person with the form open, in a private chat."""
    user = update.effective_user
    chat = update.effective_chat
    if user is None or chat is None or chat.type != ChatType.PRIVATE:
        return
    draft = _draft(context)
    if draft is None:
        return
    if context.user_data is not None:  # for the preview; kept in memory only
        context.user_data["first_name"] = user.first_name or ""
    message = update.message or update.edited_message
    if message is None:
        return  # taps: routed in group 0
    text = message.text or ""
    if text.startswith("/"):  # an edited message carries a command too
        command = text[1:].split(maxsplit=1)[0].split("@", 1)[0].lower() if len(text) > 1 else ""
        if command in CANCEL_COMMANDS:
            await cancel(context, user.id)
            raise ApplicationHandlerStop
        # Another command: the person has moved on. The toolkit drops the draft in memory
        # (leave_on_command, next); its copy goes here.
        await context.repo.proposals.drop_draft(user.id)
        _unschedule(context.application, user.id)
        return
    if update.edited_message is not None:
        return  # an edit of an old message is not an answer
    await answer(context, draft, message)
    raise ApplicationHandlerStop


async def cancel(context: Ctx, user_id: int) -> None:
    await drop(context, user_id)
    await context.bot.send_message(user_id, context.t("proposals.cancelled"))


async def answer(context: Ctx, draft: ProposalDraft, message: Message) -> None:
    step = draft.step
    text = message.text or ""
    try:
        if step in ("where", "preview"):
            await message.reply_text(context.t("proposals.error.use_buttons"))
            await ask(context, draft)
            return
        if step == "title":
            draft.title = check_title(_typed(message))
        elif step == "body":
            draft.body = check_body(_typed(message))
        elif step == "place":
            if message.location is not None:
                draft.lat, draft.lon = message.location.latitude, message.location.longitude
                draft.place = check_place(message.venue.title) if message.venue else ""
            else:
                draft.place = check_place(_typed(message))
                draft.lat = draft.lon = None
        elif step == "photo":
            if message.photo:
                draft.photo = message.photo[-1].file_id
            elif message.document is not None:
                raise ProposalProblem("document")
            else:
                raise ProposalProblem("photo")
    except ProposalProblem as problem:
        await message.reply_text(
            context.t(f"proposals.error.{problem.code}", length=len(text.strip()))
        )
        return
    await advance(context, draft)


def _typed(message: Message) -> str:
    if message.text is None:
        raise ProposalProblem("need_text")
    return message.text


# --- the buttons of the form ------------------------------------------------------------------


async def _at(update: Update, context: Ctx, tap: Tap, *at: str) -> ProposalDraft | None:
    """The person's form, if it is at one of the steps `at`; the tap answered stale if not."""
    draft = _draft(context)
    if draft is None or draft.step not in at or draft.user_id != tap.user_id:
        await stale(update, context)
        tap.answered = True
        return None
    await tap.answer()
    if context.user_data is not None:  # for the preview; kept in memory only
        context.user_data["first_name"] = tap.query.from_user.first_name or ""
    return draft


@FLOW.on("where", args=1)
async def on_where(update: Update, context: Ctx, tap: Tap) -> None:
    draft = await _at(update, context, tap, "where")
    if draft is None:
        return
    value = tap.args[0]
    if value == "net":
        draft.lab = NETWORK
    else:
        lab = context.data.labs.current.lab(value)
        if lab is None or lab.hidden:
            await ask(context, draft)
            return
        draft.lab = lab.id
    await advance(context, draft)


@FLOW.on("skip", args=1)
async def on_skip(update: Update, context: Ctx, tap: Tap) -> None:
    step = tap.args[0]
    draft = await _at(update, context, tap, *OPTIONAL)
    if draft is None or step != draft.step:
        return
    if step == "place":
        draft.place, draft.lat, draft.lon = "", None, None
    else:
        draft.photo = ""
    await advance(context, draft)


@FLOW.on("edit")
async def on_edit(update: Update, context: Ctx, tap: Tap) -> None:
    draft = await _at(update, context, tap, "preview")
    if draft is None:
        return
    rows = [[_button(context.label(f"proposals.field.{f}"), "field", f)] for f in EDITABLE]
    await context.bot.send_message(
        draft.user_id, context.t("proposals.edit_which"), reply_markup=InlineKeyboardMarkup(rows)
    )


@FLOW.on("field", args=1)
async def on_field(update: Update, context: Ctx, tap: Tap) -> None:
    draft = await _at(update, context, tap, "preview")
    if draft is None or tap.args[0] not in EDITABLE:
        return
    draft.step = tap.args[0]
    draft.returning = True
    await save(context, draft)
    await ask(context, draft)


@FLOW.on("name")
async def on_name(update: Update, context: Ctx, tap: Tap) -> None:
    draft = await _at(update, context, tap, "preview")
    if draft is None:
        return
    draft.show_name = not draft.show_name
    await save(context, draft)
    await preview(context, draft, update=update)


@FLOW.on("abort")
async def on_abort(update: Update, context: Ctx, tap: Tap) -> None:
    draft = await _at(update, context, tap, "preview")
    if draft is not None:
        await cancel(context, draft.user_id)


@FLOW.on("send")
async def on_send(update: Update, context: Ctx, tap: Tap) -> None:
    draft = _draft(context)
    if draft is None or draft.step != "preview":
        await stale(update, context)
        tap.answered = True
        return
    now = context.now()
    sent = await context.repo.proposals.sent_since(draft.user_id, now - timedelta(days=1))
    if not may_send(sent):
        await tap.answer(context.label("proposals.limit_alert"), alert=True)
        await context.bot.send_message(draft.user_id, context.t("proposals.limit", count=sent))
        return
    await tap.answer()
    name = (tap.query.from_user.first_name or "")[:40]
    proposal = await context.repo.proposals.create(draft, name, now)
    FLOW.drop(context)
    _unschedule(context.application, draft.user_id)
    log.info("proposal %d sent, waiting for moderation", proposal.id)
    await edit_or_send(
        update, context, context.t("proposals.preview.sent_title", title=proposal.title), None
    )
    await context.bot.send_message(
        draft.user_id,
        context.t("proposals.sent", name=lab_name(context.data, context.lang, proposal.lab_id)),
    )
    await moderate.ask_moderators(context, proposal)
