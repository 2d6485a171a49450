"""Moderation first: nothing is public until a coordinator of its lab (staff, for the network
and for a lab with no coordinator) publishes it.

Each moderator gets a private message with the proposal and "✅ Pubblica", "✖️ Rifiuta" (with a
reason the author reads), "✏️ Modifica il titolo" (typos). Staff see every waiting proposal
with its age (/proposte), a coordinator her labs'; one waiting 7 days reminds staff, once.
The role is checked on the server at every step, for the proposal's lab: the buttons and the
typed steps alike.

    pub ----------------------------------> published, the author told
    rej -> REASON (typed) ----------------> rejected, the author told why
    title -> TITLE (typed) ---------------> title corrected
    (/annulla at REASON and TITLE; `propmod:v1:<action>:<id>`)
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from telegram import InlineKeyboardMarkup, Message, Update
from telegram.error import TelegramError
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
from bot.flows import Flow, edit_or_send
from domain.proposals import (
    PENDING,
    PUBLISHED,
    WAITING_REMINDER,
    ProposalProblem,
    age_days,
    check_reason,
    check_title,
)
from handlers.proposals.common import (
    FLOW,
    MOD_FEATURE,
    card_text,
    lab_name,
    may_moderate,
    moderators,
    send_to,
)
from storage.proposals import Proposal

log = logging.getLogger(__name__)

REASON, TITLE = range(2)
REMINDER_JOB = "proposals-waiting"
REMINDER_EVERY_S = 60 * 60


@dataclass
class ModDraft:
    proposal_id: int = 0
    lab: str = ""  # the proposal's lab ('' the network): whose role the flow needs
    action: str = ""  # "reject", "title" or "answer"
    state: str = ""  # an answer's state, once chosen
    done_on: str = ""  # an answer "done": the day it was done (ISO)


MOD = Flow(
    MOD_FEATURE,
    ModDraft,
    name="flow.name.proposta_mod",
    cancelled="proposals.mod.cancelled",
    timeout_s=30 * 60,
    may_stay=lambda data, user_id, draft: (
        user_id in data.staff_ids or bool(draft.lab and data.coordinates(draft.lab, user_id))
    ),
)


# --- the moderators' message --------------------------------------------------------------------


def view(data: BotData, lang: str, proposal: Proposal) -> tuple[str, InlineKeyboardMarkup | None]:
    """The proposal for its moderators, with their buttons while it waits."""
    texts = data.texts
    now = data.clock.now()
    title = "proposals.mod.title_reported" if proposal.hidden else "proposals.mod.title"
    lines = [texts.text(lang, title), "", card_text(data, lang, proposal)]
    rows = []
    if proposal.status == PENDING:
        lines.append(
            texts.text(lang, "proposals.mod.waiting", count=age_days(proposal.created_at, now))
        )
        rows = [
            [MOD.button(texts.plain(lang, "proposals.mod.publish"), "pub", proposal.id)],
            [MOD.button(texts.plain(lang, "proposals.mod.reject"), "rej", proposal.id)],
            [MOD.button(texts.plain(lang, "proposals.mod.retitle"), "title", proposal.id)],
        ]
    elif proposal.status == PUBLISHED:
        rows = [
            [MOD.button(texts.plain(lang, "proposals.answer.button"), "ans", proposal.id)],
            [MOD.button(texts.plain(lang, "proposals.mod.retitle"), "title", proposal.id)],
        ]
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


async def send_view(context: Ctx, user_id: int, proposal: Proposal, lang: str) -> bool:
    """The proposal (its photo first, its position after) to one moderator."""
    text, markup = view(context.data, lang, proposal)
    try:
        if proposal.photo:
            await context.bot.send_photo(user_id, proposal.photo)
        await context.bot.send_message(user_id, text, reply_markup=markup)
        if proposal.lat is not None and proposal.lon is not None:
            await context.bot.send_location(user_id, proposal.lat, proposal.lon)
    except TelegramError as exc:
        log.info("proposal %d not shown to moderator %d: %s", proposal.id, user_id, exc)
        return False
    return True


async def ask_moderators(context: Ctx, proposal: Proposal) -> None:
    """A new proposal: to its lab's coordinators (staff for the network, or for a lab with
    no coordinator), each in their language."""
    for user_id in moderators(context.data, proposal.lab_id):
        await send_view(context, user_id, proposal, context.people.language(user_id))


async def tapped(update: Update, context: Ctx, tap: Tap) -> Proposal | None:
    """The proposal a moderator's button names, if the person may moderate it; otherwise the
    tap is answered (stale, or refused) and nothing changes."""
    arg = tap.args[0]
    proposal = await context.repo.proposals.get(int(arg)) if arg.isdigit() else None
    if proposal is None:
        await stale(update, context)
        tap.answered = True
        return None
    if not may_moderate(context, proposal):
        log.info("refused a moderation of proposal %d to a user without the role", proposal.id)
        await tap.answer(context.label("staff.only"), alert=True)
        return None
    return proposal


async def refresh_counts(data: BotData) -> None:
    data.proposal_counts = await data.repo.proposals.counts_by_lab()


# --- publish ------------------------------------------------------------------------------------


@MOD.on("pub", args=1)
async def on_publish(update: Update, context: Ctx, tap: Tap) -> None:
    proposal = await tapped(update, context, tap)
    if proposal is None:
        return
    if not await context.repo.proposals.publish(proposal.id, tap.user_id, context.now()):
        await tap.answer(context.label("proposals.mod.already"), alert=True)
        return
    await tap.answer(context.label("proposals.mod.published_alert"))
    await refresh_counts(context.data)
    log.info("proposal %d published", proposal.id)
    published = await context.repo.proposals.get(proposal.id)
    assert published is not None
    text, markup = view(context.data, context.lang, published)
    await edit_or_send(update, context, text + "\n\n" + context.t("proposals.mod.done"), markup)
    await tell_author(context, published, "proposals.author.published")


async def tell_author(context: Ctx, proposal: Proposal, key: str, **values: object) -> None:
    """The author hears what became of their proposal, in their language, with a button to
    see it (none once they erased their data: the proposal has no author then)."""
    if proposal.author_id is None:
        return
    lang = context.people.language(proposal.author_id)
    texts = context.data.texts
    text = texts.text(
        lang, key, title=proposal.title, name=lab_name(context.data, lang, proposal.lab_id),
        **values,
    )  # fmt: skip
    markup = None
    if proposal.status == PUBLISHED:
        label = texts.plain(lang, "proposals.see")
        markup = InlineKeyboardMarkup([[FLOW.button(label, "show", proposal.id)]])
    await send_to(context, proposal.author_id, text, markup)


# --- reject, with a reason ----------------------------------------------------------------------


@MOD.on("rej", args=1)
async def on_reject(update: Update, context: Ctx, tap: Tap) -> int | None:
    proposal = await tapped(update, context, tap)
    if proposal is None:
        return None
    if proposal.status != PENDING:
        await tap.answer(context.label("proposals.mod.already"), alert=True)
        return None
    await tap.answer()
    MOD.begin(context, ModDraft(proposal.id, proposal.lab_id, "reject"))
    await context.bot.send_message(
        tap.user_id, context.t("proposals.mod.ask_reason", title=proposal.title)
    )
    return REASON


async def drafted(update: Update, context: Ctx) -> Proposal | None:
    """The proposal of the moderator's draft, if they still may moderate it (checked at every
    step: a coordinator removed meanwhile is refused)."""
    draft = MOD.draft(context)
    proposal = await context.repo.proposals.get(draft.proposal_id)
    assert update.effective_message is not None
    if proposal is None:  # its author erased their data meanwhile, and it went with them
        MOD.drop(context)
        await update.effective_message.reply_text(context.t("proposals.gone"))
        return None
    if not may_moderate(context, proposal):
        MOD.drop(context)
        await update.effective_message.reply_text(context.t("staff.only"))
        return None
    return proposal


async def typed(
    update: Update, context: Ctx, check: Callable[[str], str], step: int, *, say_length: bool = True
) -> tuple[Message, Proposal, str] | int:
    """A moderator's typed answer at `step`: the message, the proposal it is about and the value
    `check` made of it; or the state to go to (the end, when the proposal is gone or the role
    lost; `step` again, when `check` refused the value: the reason said)."""
    message = update.effective_message
    assert message is not None
    proposal = await drafted(update, context)
    if proposal is None:
        return ConversationHandler.END
    try:
        return message, proposal, check(message.text or "")
    except ProposalProblem as problem:
        length = len(message.text or "") if say_length else 0
        await message.reply_text(context.t(f"proposals.error.{problem.code}", length=length))
        return step


async def got_reason(update: Update, context: Ctx) -> int:
    found = await typed(update, context, check_reason, REASON, say_length=False)
    if isinstance(found, int):
        return found
    message, proposal, reason = found
    MOD.drop(context)
    if not await context.repo.proposals.reject(proposal.id, message.chat_id, reason, context.now()):
        await message.reply_text(context.t("proposals.mod.already"))
        return ConversationHandler.END
    log.info("proposal %d rejected", proposal.id)
    await message.reply_text(context.t("proposals.mod.rejected", title=proposal.title))
    await tell_author(context, proposal, "proposals.author.rejected", reason=reason)
    return ConversationHandler.END


# --- correct the title --------------------------------------------------------------------------


@MOD.on("title", args=1)
async def on_retitle(update: Update, context: Ctx, tap: Tap) -> int | None:
    proposal = await tapped(update, context, tap)
    if proposal is None:
        return None
    if proposal.status not in (PENDING, PUBLISHED):
        await tap.answer(context.label("proposals.mod.already"), alert=True)
        return None
    await tap.answer()
    MOD.begin(context, ModDraft(proposal.id, proposal.lab_id, "title"))
    await context.bot.send_message(
        tap.user_id, context.t("proposals.mod.ask_title", title=proposal.title)
    )
    return TITLE


async def got_title(update: Update, context: Ctx) -> int:
    found = await typed(update, context, check_title, TITLE)
    if isinstance(found, int):
        return found
    message, proposal, title = found
    MOD.drop(context)
    if not await context.repo.proposals.retitle(proposal.id, title):
        await message.reply_text(context.t("proposals.mod.already"))
        return ConversationHandler.END
    log.info("proposal %d retitled", proposal.id)
    changed = await context.repo.proposals.get(proposal.id)
    assert changed is not None
    text, markup = view(context.data, context.lang, changed)
    await message.reply_text(
        context.t("proposals.mod.retitled") + "\n\n" + text, reply_markup=markup
    )
    return ConversationHandler.END


# --- the staff's queue --------------------------------------------------------------------------


async def queue_text(context: Ctx) -> tuple[str, list[list]] | None:
    """What waits for this person's moderation (staff: everything; a coordinator: her labs'),
    oldest first, with its age; None for someone who moderates nothing."""
    user_id = context.user_id
    if not context.is_staff_user and not context.coordinated_labs():
        return None
    waiting = [p for p in await context.repo.proposals.pending() if may_moderate(context, p)]
    if not waiting:
        return context.t("proposals.queue.empty"), []
    now = context.now()
    lines = [context.t("proposals.queue.title", count=len(waiting))]
    rows = []
    for proposal in waiting[:20]:
        name = lab_name(context.data, context.lang, proposal.lab_id)
        days = age_days(proposal.created_at, now)
        lines.append(
            context.t(
                "proposals.queue.item",
                title=proposal.title,
                name=name,
                age=context.count("n.days", days),
            )
        )
        rows.append([MOD.button(f"#{proposal.id} {proposal.title}"[:60], "open", proposal.id)])
    assert user_id is not None
    return "\n".join(lines), rows


@MOD.on("open", args=1)
async def on_open(update: Update, context: Ctx, tap: Tap) -> None:
    proposal = await tapped(update, context, tap)
    if proposal is None:
        return
    await tap.answer()
    await send_view(context, tap.user_id, proposal, context.lang)


# --- a proposal waiting a week reminds staff, once ----------------------------------------


async def remind_waiting(context: Ctx) -> int:
    """Proposals waiting WAITING_REMINDER and not reminded of: staff hear of them once
    (each in their language). Returns how many proposals."""
    repo = context.repo.proposals
    waiting = await repo.waiting_since(context.now() - WAITING_REMINDER)
    if not waiting:
        return 0
    await repo.mark_reminded([p.id for p in waiting], context.now())
    texts = context.data.texts
    for user_id in sorted(context.data.staff_ids):
        lang = context.people.language(user_id)
        await send_to(
            context, user_id, texts.text(lang, "proposals.queue.reminder", count=len(waiting))
        )
    log.info("staff reminded of %d proposals waiting", len(waiting))
    return len(waiting)


async def _reminder_job(context: CallbackContext) -> None:
    await remind_waiting(context)  # type: ignore[arg-type]


def states() -> dict[object, list[BaseHandler]]:
    """The typed steps, built for each application (the flow binds them to it)."""
    return {
        REASON: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_reason)],
        TITLE: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_title)],
    }


def register(app: Application) -> None:
    """The counts for the cards, and the weekly reminder's job (the conversation is built
    with the answers' steps in `handlers.proposals`)."""

    async def start(data: BotData) -> None:
        await refresh_counts(data)
        if app.job_queue is not None:
            app.job_queue.run_repeating(
                _reminder_job,
                interval=timedelta(seconds=REMINDER_EVERY_S),
                first=timedelta(seconds=REMINDER_EVERY_S),
                name=REMINDER_JOB,
            )

    app.bot_data.startup.append(start)
