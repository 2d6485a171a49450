"""Answers with a state: a coordinator of the proposal's lab, or staff, answers a published
proposal "in valutazione", "accolta", "non accolta" (its text is the reason, required) or
"realizzata" (with the day), each with a text. Its author, its supporters and its followers are
told once each, in their language, with the proposal's card; the states stay on the card.

    ans -> STATE (buttons) --done--> DONE_ON (typed day) -> TEXT (typed) -> saved, told
                           --other-> TEXT (typed) -> saved, told
    (steps of the moderators' flow, `propmod:v1:<action>`; the role checked at every step)
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    BaseHandler,
    CallbackContext,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot.callbacks import Tap, stale
from bot.context import BotData, Ctx
from domain.dates import DateProblem, parse_date
from domain.proposals import ANSWER_STATES, PUBLISHED, check_reason
from handlers.proposals.common import FLOW, card_text, history_lines, send_to, state_label
from handlers.proposals.moderate import MOD, ModDraft, drafted, tapped, typed
from storage.proposals import Answer, Proposal

log = logging.getLogger(__name__)

STATE, DONE_ON, TEXT = range(10, 13)


@MOD.on("ans", args=1)
async def on_answer(update: Update, context: Ctx, tap: Tap) -> int | None:
    proposal = await tapped(update, context, tap)
    if proposal is None:
        return None
    if proposal.status != PUBLISHED:
        await tap.answer(context.label("proposals.gone_alert"), alert=True)
        return None
    await tap.answer()
    MOD.begin(context, ModDraft(proposal.id, proposal.lab_id, "answer"))
    rows = [
        [MOD.button(context.label(f"proposals.state.{state}"), "st", state)]
        for state in ANSWER_STATES
    ]
    await context.bot.send_message(
        tap.user_id,
        context.t("proposals.answer.ask_state", title=proposal.title),
        reply_markup=InlineKeyboardMarkup(rows),
    )
    return STATE


@MOD.on("st", args=1)
async def on_state(update: Update, context: Ctx, tap: Tap) -> int | None:
    draft = MOD.draft(context)
    state = tap.args[0]
    if not MOD.is_open(context.data, tap.user_id) or draft.action != "answer":
        await stale(update, context)
        tap.answered = True
        return None
    if state not in ANSWER_STATES:
        await stale(update, context)
        tap.answered = True
        return STATE
    proposal = await context.repo.proposals.get(draft.proposal_id)
    if proposal is None or not _may(context, proposal.lab_id, proposal.for_network):
        MOD.drop(context)
        await tap.answer(context.label("staff.only"), alert=True)
        return ConversationHandler.END
    await tap.answer()
    draft.state = state
    if state == "done":
        await context.bot.send_message(tap.user_id, context.t("proposals.answer.ask_done_on"))
        return DONE_ON
    await _ask_text(context, tap.user_id, state)
    return TEXT


def _may(context: Ctx, lab_id: str, for_network: bool) -> bool:
    return context.is_staff_user or (not for_network and context.coordinates(lab_id))


async def _ask_text(context: Ctx, chat_id: int, state: str) -> None:
    key = "proposals.answer.ask_reason" if state == "declined" else "proposals.answer.ask_text"
    await context.bot.send_message(
        chat_id, context.t(key, state=state_label(context.data, context.lang, state))
    )


async def got_done_on(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None
    if await drafted(update, context) is None:
        return ConversationHandler.END
    try:
        day = parse_date((message.text or "").strip())
    except DateProblem as problem:
        await message.reply_text(
            context.t(f"dates.{problem.code}") + "\n" + context.t("proposals.answer.ask_done_on")
        )
        return DONE_ON
    draft = MOD.draft(context)
    draft.done_on = day.isoformat()
    await _ask_text(context, message.chat_id, draft.state)
    return TEXT


async def got_text(update: Update, context: Ctx) -> int:
    found = await typed(update, context, check_reason, TEXT)
    if isinstance(found, int):
        return found
    message, proposal, text = found
    draft = MOD.draft(context)
    MOD.drop(context)
    if proposal.status != PUBLISHED or draft.state not in ANSWER_STATES:
        await message.reply_text(context.t("proposals.gone"))
        return ConversationHandler.END
    _answer, told = await context.repo.answers.answer(
        proposal.id, draft.state, text, draft.done_on, message.chat_id, context.now()
    )
    log.info("proposal %d answered (%s), %d to tell", proposal.id, draft.state, told)
    await message.reply_text(context.t("proposals.answer.saved", count=told))
    await deliver(context)
    return ConversationHandler.END


async def deliver(context: Ctx) -> int:
    """Tell everyone waiting to hear of an answer, once each, in their language, with the
    proposal's card; someone who blocked the bot is marked so and not tried again. Returns how
    many were told."""
    repo = context.repo.answers
    data = context.data
    told = 0
    for notice in await repo.pending_notices():
        if not await repo.claim(notice, context.now()):
            continue
        proposal = await context.repo.proposals.get(notice.proposal_id)
        if proposal is None:
            await repo.done(notice, False, context.now())
            continue
        lang = context.people.language(notice.user_id)
        text, markup = _notice(data, lang, proposal, await repo.history(proposal.id))
        sent = await send_to(context, notice.user_id, text, markup)
        await repo.done(notice, sent, context.now())
        told += sent
    return told


def _notice(
    data: BotData, lang: str, proposal: Proposal, answers: list[Answer]
) -> tuple[str, InlineKeyboardMarkup]:
    latest = answers[-1]
    texts = data.texts
    head = texts.text(
        lang, "proposals.answer.notice", title=proposal.title,
        state=texts.plain(lang, f"proposals.state.{latest.state}"),
    )  # fmt: skip
    body = card_text(data, lang, proposal, history=history_lines(data, lang, answers))
    label = texts.plain(lang, "proposals.see")
    markup = InlineKeyboardMarkup([[FLOW.button(label, "show", proposal.id)]])
    return head + "\n\n" + body, markup


async def use_buttons(update: Update, context: Ctx) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(context.t("proposals.error.use_buttons"))


def states() -> dict[object, list[BaseHandler]]:
    """The typed steps, built for each application (the flow binds them to it)."""
    return {
        STATE: [MessageHandler(~filters.COMMAND, use_buttons)],  # the state: with its buttons
        DONE_ON: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_done_on)],
        TEXT: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_text)],
    }


NOTICES_JOB = "proposal-notices"


async def _notices_job(context: CallbackContext) -> None:
    told = await deliver(context)  # type: ignore[arg-type]
    if told:
        log.info("%d notices of answers sent that a stop had left waiting", told)


def deliver_at_start(app: Application) -> None:
    """Notices an answer left waiting when the bot stopped go out once it runs."""
    if app.job_queue is not None:
        app.job_queue.run_once(_notices_job, 0, name=NOTICES_JOB)
