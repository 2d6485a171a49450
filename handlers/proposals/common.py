"""What the seams of the proposals feature share: its buttons, who may moderate what, a
proposal's card in any language, and a message to someone who may have blocked the bot."""

from __future__ import annotations

import logging
from datetime import date, datetime

from telegram import InlineKeyboardMarkup
from telegram.error import TelegramError

from bot import protocols, refusals
from bot.context import BotData, Ctx
from bot.flows import Flow
from bot.i18n import Html, escape
from domain.proposals import NETWORK, PENDING, REJECTED, ProposalDraft
from storage.proposals import Answer, Proposal

log = logging.getLogger(__name__)

# The public buttons (propose, read, support, follow) are routed by the form's flow, whose
# prefix is the protocol's (the lab card and the main menu build them through protocols).
FLOW = Flow(
    protocols.PROPOSALS.feature,
    ProposalDraft,
    name="flow.name.proposta",
    cancelled="proposals.cancelled",
    timeout_s=60 * 60,
    may_stay=lambda _data, _user_id, _draft: True,  # anyone may propose
)
FEATURE = FLOW.feature
# The moderators' buttons and their typed steps (a refusal's reason, a new title) are a flow
# of their own (handlers/proposals/moderate.py): "propmod:v1:<action>:<id>".
MOD_FEATURE = "propmod"


def lab_name(data: BotData, lang: str, lab_id: str) -> str:
    if lab_id == NETWORK:
        return data.texts.plain(lang, "proposals.network")
    lab = data.labs.current.any_lab(lab_id)
    return lab.name if lab is not None else lab_id


def moderators(data: BotData, lab_id: str) -> list[int]:
    """Who publishes a proposal: the lab's coordinators; staff for the network, and for a lab
    with no coordinator."""
    if lab_id != NETWORK:
        people = sorted(data.coordinators.get(lab_id, ()))
        if people:
            return people
    return sorted(data.staff_ids)


def may_moderate(context: Ctx, proposal: Proposal | None) -> bool:
    """Staff moderate and answer every proposal; a coordinator, her labs' (never the
    network's). Checked on the server at every step."""
    if proposal is None:
        return False
    if context.is_staff_user:
        return True
    return not proposal.for_network and context.coordinates(proposal.lab_id)


def _lines(
    data: BotData,
    lang: str,
    *,
    lab_id: str,
    title: str,
    body: str,
    place: str,
    located: bool,
    name: str,
) -> list[str]:
    texts = data.texts
    lines = [
        texts.text(lang, "proposals.card.title", title=title),
        texts.text(lang, "proposals.card.for", name=lab_name(data, lang, lab_id)),
        "",
        escape(body),
    ]
    if place or located:
        where = place or texts.plain(lang, "proposals.card.shared_position")
        lines.append("")
        lines.append(texts.text(lang, "proposals.card.place", place=where))
    if name:
        lines.append(texts.text(lang, "proposals.card.by", name=name))
    return lines


def draft_text(data: BotData, lang: str, draft: ProposalDraft, first_name: str) -> str:
    """The preview: the proposal as it will be shown, and whether the name will be."""
    lines = _lines(
        data, lang, lab_id=draft.lab or NETWORK, title=draft.title, body=draft.body,
        place=draft.place, located=draft.lat is not None,
        name=first_name if draft.show_name else "",
    )  # fmt: skip
    key = "proposals.preview.name_shown" if draft.show_name else "proposals.preview.name_hidden"
    lines += ["", data.texts.text(lang, key, name=first_name)]
    return "\n".join(lines)


def card_text(
    data: BotData, lang: str, proposal: Proposal, *, history: list[str] | None = None
) -> str:
    """A proposal as people see it (moderators see its status too)."""
    lines = _lines(
        data, lang, lab_id=proposal.lab_id, title=proposal.title, body=proposal.body,
        place=proposal.place, located=proposal.lat is not None, name=proposal.author_name,
    )  # fmt: skip
    lines.append("")
    if proposal.status == PENDING:
        lines.append(data.texts.text(lang, "proposals.card.pending"))
    elif proposal.status == REJECTED:
        lines.append(data.texts.text(lang, "proposals.card.rejected"))
    else:
        lines.append(
            data.texts.text(
                lang, "proposals.card.supports", count=proposal.supports,
                state=Html(state_label(data, lang, proposal.state)),
            )
        )  # fmt: skip
    if history:
        lines.append("")
        lines.extend(history)
    return "\n".join(lines)


def history_lines(data: BotData, lang: str, answers: list[Answer]) -> list[str]:
    """The states a proposal went through, oldest first, each with its answer."""
    if not answers:
        return []
    tz = data.config.scheduler.tz
    lines = [data.texts.text(lang, "proposals.history.title")]
    for answer in answers:
        day = answer.created_at.astimezone(tz)
        lines.append(
            data.texts.text(
                lang, "proposals.history.item", state=Html(state_label(data, lang, answer.state)),
                date=f"{day:%d/%m/%Y}", text=answer.text,
            )
        )  # fmt: skip
        if answer.done_on:
            done = date.fromisoformat(answer.done_on)
            lines.append(
                data.texts.text(lang, "proposals.history.done_on", date=f"{done:%d/%m/%Y}")
            )
    return lines


def state_label(data: BotData, lang: str, state: str) -> str:
    return data.texts.text(lang, f"proposals.state.{state or 'new'}")


async def send_to(
    context: Ctx, user_id: int, text: str, markup: InlineKeyboardMarkup | None = None
) -> bool:
    """A message to someone else; False (logged by id only) if Telegram refused it. A person
    who blocked the bot is marked so."""
    try:
        await context.bot.send_message(user_id, text, reply_markup=markup)
    except TelegramError as exc:
        log.info("a proposals message to user %d was refused: %s", user_id, exc)
        if refusals.blocked_by_user(exc):
            await context.people.set_blocked(user_id, True, context.now())
        return False
    return True


def age(now: datetime, then: datetime) -> int:
    return max(0, (now - then).days)
