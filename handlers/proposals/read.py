"""Reading and supporting: /proposte and "💡 Proposte (N)" on a lab's card list the published
proposals, most supported first, with their state and count; each has its card with
"👍 Sostengo" (one per person, taken back with a second tap), "🔔 Seguila" (told of its
answers) and its link to share (`?start=prop_<id>`). Staff and coordinators find what waits for
their moderation first in /proposte.
"""

from __future__ import annotations

import logging

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest

from bot.callbacks import Tap, stale
from bot.context import Ctx
from bot.flows import edit_or_send
from domain.proposals import NETWORK, REPORTS_TO_HIDE
from handlers.proposals import moderate
from handlers.proposals.common import (
    FLOW,
    card_text,
    history_lines,
    lab_name,
    may_moderate,
    state_label,
)
from storage.proposals import Proposal

log = logging.getLogger(__name__)

LINK_PREFIX = "prop_"
LIST_MAX = 20  # a list is one message: the most supported, the rest a tap away on their lab
_button = FLOW.button


def link(context: Ctx, proposal_id: int) -> str:
    return f"https://t.me/{context.bot.username}?start={LINK_PREFIX}{proposal_id}"


def _chat(update: Update) -> int:
    assert update.effective_chat is not None
    return update.effective_chat.id


# --- lists --------------------------------------------------------------------------------------


def list_view(
    context: Ctx, proposals: list[Proposal], title: str, *, lab_id: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    lines = [title]
    rows: list[list[InlineKeyboardButton]] = []
    if not proposals:
        lines.append(context.t("proposals.list.empty"))
    for number, proposal in enumerate(proposals[:LIST_MAX], start=1):
        lines.append(
            context.t(
                "proposals.list.item",
                n=number,
                title=proposal.title,
                name=lab_name(context.data, context.lang, proposal.lab_id),
                count=proposal.supports,
                state=state_label(context.data, context.lang, proposal.state),
            )
        )
        rows.append([_button(f"{number}. {proposal.title}"[:60], "show", proposal.id)])
    if context.in_private:
        new = ("new", lab_id) if lab_id else ("new",)
        rows.append([_button(context.label("proposals.propose_button"), *new)])
    return "\n".join(lines), InlineKeyboardMarkup(rows) if rows else None


async def command(update: Update, context: Ctx) -> None:
    """/proposte: what waits for the person's moderation (if they moderate), then the
    published ones."""
    if context.in_private:
        queue = await moderate.queue_text(context)
        if queue is not None:
            text, rows = queue
            markup = InlineKeyboardMarkup(rows) if rows else None
            await context.bot.send_message(_chat(update), text, reply_markup=markup)
    published = await context.repo.proposals.published()
    title = context.t("proposals.list.title", count=len(published))
    text, markup = list_view(context, published, title)
    await context.bot.send_message(_chat(update), text, reply_markup=markup)


@FLOW.on("list")
async def on_list(update: Update, context: Ctx, tap: Tap) -> None:
    await tap.answer()
    published = await context.repo.proposals.published()
    title = context.t("proposals.list.title", count=len(published))
    text, markup = list_view(context, published, title)
    await edit_or_send(update, context, text, markup, edit=False)


@FLOW.on("lab", args=1)
async def on_lab(update: Update, context: Ctx, tap: Tap) -> None:
    """ "💡 Proposte (N)" on a lab's card."""
    lab = context.data.labs.current.lab(tap.args[0])
    if lab is None:
        await stale(update, context)
        tap.answered = True
        return
    await tap.answer()
    published = await context.repo.proposals.published(lab.id)
    title = context.t("proposals.list.title_lab", name=lab.name, count=len(published))
    text, markup = list_view(context, published, title, lab_id=lab.id)
    await edit_or_send(update, context, text, markup, edit=False)


# --- a proposal's card --------------------------------------------------------------------------


async def history(context: Ctx, proposal: Proposal) -> list[str]:
    """The answers it had, oldest first (none before its first answer)."""
    answers = await context.repo.answers.history(proposal.id)
    return history_lines(context.data, context.lang, answers)


def card_markup(
    context: Ctx, proposal: Proposal, *, supports: bool, follows: bool
) -> InlineKeyboardMarkup:
    support_key = "proposals.unsupport" if supports else "proposals.support"
    follow_key = "proposals.unfollow" if follows else "proposals.follow"
    rows = [
        [_button(context.label(support_key), "sup", proposal.id)],
        [_button(context.label(follow_key), "fol", proposal.id)],
        [
            InlineKeyboardButton(
                context.label("proposals.share"),
                url=f"https://t.me/share/url?url={link(context, proposal.id)}",
            )
        ],
    ]
    if proposal.author_id != context.user_id:
        rows.append([_button(context.label("proposals.report"), "report", proposal.id)])
    if context.in_private and may_moderate(context, proposal):  # checked again when tapped
        label = context.label("proposals.answer.button")
        rows.append([moderate.MOD.button(label, "ans", proposal.id)])
    back = ("lab", proposal.lab_id) if proposal.lab_id != NETWORK else ("list",)
    rows.append([_button(context.label("proposals.back"), *back)])
    return InlineKeyboardMarkup(rows)


async def card(context: Ctx, proposal: Proposal, user_id: int) -> tuple[str, InlineKeyboardMarkup]:
    supports, follows = await context.repo.proposals.marks(proposal.id, user_id)
    text = card_text(context.data, context.lang, proposal, history=await history(context, proposal))
    text += "\n\n" + context.t("proposals.card.link", link=link(context, proposal.id))
    return text, card_markup(context, proposal, supports=supports, follows=follows)


def _may_see(context: Ctx, proposal: Proposal | None, user_id: int) -> bool:
    """Everyone sees a published proposal in sight; its author and its moderators see it
    whatever its status."""
    if proposal is None:
        return False
    return proposal.visible or proposal.author_id == user_id or may_moderate(context, proposal)


async def show(update: Update, context: Ctx, proposal_id: int) -> None:
    user = update.effective_user
    assert user is not None
    proposal = await context.repo.proposals.get(proposal_id)
    if proposal is None or not _may_see(context, proposal, user.id):
        await context.bot.send_message(_chat(update), context.t("proposals.gone"))
        return
    text, markup = await card(context, proposal, user.id)
    if proposal.photo:
        await context.bot.send_photo(_chat(update), proposal.photo)
    await context.bot.send_message(_chat(update), text, reply_markup=markup)


async def from_link(update: Update, context: Ctx, rest: str) -> None:
    """`?start=prop_<id>`: the card."""
    if not rest.isdigit():
        await context.bot.send_message(_chat(update), context.t("proposals.gone"))
        return
    await show(update, context, int(rest))


@FLOW.on("show", args=1)
async def on_show(update: Update, context: Ctx, tap: Tap) -> None:
    if not tap.args[0].isdigit():
        await stale(update, context)
        tap.answered = True
        return
    await tap.answer()
    await show(update, context, int(tap.args[0]))


# --- support, follow ----------------------------------------------------------------------------


async def _visible(update: Update, context: Ctx, tap: Tap) -> Proposal | None:
    arg = tap.args[0]
    proposal = await context.repo.proposals.get(int(arg)) if arg.isdigit() else None
    if proposal is None or not proposal.visible:
        await tap.answer(context.label("proposals.gone_alert"), alert=True)
        return None
    return proposal


@FLOW.on("sup", args=1)
async def on_support(update: Update, context: Ctx, tap: Tap) -> None:
    proposal = await _visible(update, context, tap)
    if proposal is None:
        return
    repo = context.repo.proposals
    on = await repo.toggle("proposal_supports", proposal.id, tap.user_id, context.now())
    await tap.answer(context.label("proposals.supported" if on else "proposals.unsupported"))
    await _refresh(context, tap, proposal.id)


@FLOW.on("fol", args=1)
async def on_follow(update: Update, context: Ctx, tap: Tap) -> None:
    proposal = await _visible(update, context, tap)
    if proposal is None:
        return
    repo = context.repo.proposals
    on = await repo.toggle("proposal_follows", proposal.id, tap.user_id, context.now())
    await tap.answer(context.label("proposals.followed" if on else "proposals.unfollowed"))
    await _refresh(context, tap, proposal.id)


async def _refresh(context: Ctx, tap: Tap, proposal_id: int) -> None:
    """The card the tap was on, with its new count and buttons."""
    proposal = await context.repo.proposals.get(proposal_id)
    if proposal is None:
        return
    text, markup = await card(context, proposal, tap.user_id)
    try:
        await tap.query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:  # an old message, or nothing changed: the answer said it
        log.info("a proposal's card could not be refreshed: %s", exc)


@FLOW.on("report", args=1)
async def on_report(update: Update, context: Ctx, tap: Tap) -> None:
    """ "⚠️ Segnala": once per person; REPORTS_TO_HIDE from different people hide the proposal
    until one of its moderators decides (they get it again, to publish or refuse)."""
    proposal = await _visible(update, context, tap)
    if proposal is None:
        return
    if proposal.author_id == tap.user_id:
        await stale(update, context)
        tap.answered = True
        return
    hidden = await context.repo.proposals.report(
        proposal.id, tap.user_id, context.now(), REPORTS_TO_HIDE
    )
    await tap.answer(context.label("proposals.reported"), alert=True)
    if not hidden:
        return
    log.info("proposal %d hidden after reports", proposal.id)
    await moderate.refresh_counts(context.data)
    waiting = await context.repo.proposals.get(proposal.id)
    if waiting is not None:
        await moderate.ask_moderators(context, waiting)
