"""Offer a hand: "🤝 Dai una mano" on a lab's card. What the person can do and when (free
text, 500 characters), then, only if they say so, how to reach them (their Telegram, or a phone
or e-mail they type). It goes privately to the lab's coordinators (staff when it has none),
never public; one of them replies "Ti contattiamo" or "Grazie, per ora no" with one tap, and
the person is told. One offer per person and lab a week.

    new:<lab> -> TEXT (typed) -> CONTACT (buttons: Telegram / type one / no) [-> TYPED] -> sent
    (/annulla at every step; `offer:v1:<action>[:<arg>]`; replies `offer:v1:reply:<id>:<yes|no>`)
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from telegram import InlineKeyboardMarkup, Update
from telegram.ext import (
    Application,
    ConversationHandler,
    MessageHandler,
    filters,
)

from bot import protocols
from bot.callbacks import Tap, stale
from bot.context import Ctx
from bot.flows import Flow, edit_or_send
from domain.contacts import ContactProblem, check_email, check_phone
from domain.proposals import OFFER_EVERY, ProposalProblem, check_offer
from handlers.proposals.common import lab_name, moderators, send_to
from storage.proposals import Offer

log = logging.getLogger(__name__)

TEXT, CONTACT, TYPED = range(3)


@dataclass
class OfferDraft:
    lab: str = ""
    text: str = ""


FLOW = Flow(
    protocols.OFFERS.feature,
    OfferDraft,
    name="flow.name.offer",
    cancelled="offers.cancelled",
    timeout_s=30 * 60,
    may_stay=lambda _data, _user_id, _draft: True,  # anyone may offer a hand
)


@FLOW.on("new", args=1)
async def on_new(update: Update, context: Ctx, tap: Tap) -> int | None:
    lab = context.data.labs.current.lab(tap.args[0])
    if lab is None or lab.hidden:
        await stale(update, context)
        tap.answered = True
        return None
    if not context.in_private:
        await tap.answer(context.label("proposals.private_only_alert"), alert=True)
        return None
    last = await context.repo.offers.last_to(tap.user_id, lab.id)
    if last is not None and context.now() - last < OFFER_EVERY:
        await tap.answer()
        await context.bot.send_message(tap.user_id, context.t("offers.limit", name=lab.name))
        return None
    await tap.answer()
    FLOW.begin(context, OfferDraft(lab=lab.id))
    await context.bot.send_message(tap.user_id, context.t("offers.ask_text", name=lab.name))
    return TEXT


async def got_text(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None
    try:
        text = check_offer(message.text or "")
    except ProposalProblem as problem:
        await message.reply_text(
            context.t(f"proposals.error.{problem.code}", length=len(message.text or ""))
        )
        return TEXT
    FLOW.draft(context).text = text
    rows = [
        [FLOW.button(context.label("offers.contact_telegram"), "contact", "tg")],
        [FLOW.button(context.label("offers.contact_typed"), "contact", "type")],
        [FLOW.button(context.label("offers.contact_none"), "contact", "none")],
    ]
    await message.reply_text(
        context.t("offers.ask_contact"), reply_markup=InlineKeyboardMarkup(rows)
    )
    return CONTACT


async def need_text(update: Update, context: Ctx) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(context.t("proposals.error.need_text"))


@FLOW.on("contact", args=1)
async def on_contact(update: Update, context: Ctx, tap: Tap) -> int | None:
    draft = FLOW.draft(context)
    if not FLOW.is_open(context.data, tap.user_id) or not draft.text:
        await stale(update, context)
        tap.answered = True
        return None
    await tap.answer()
    choice = tap.args[0]
    if choice == "type":
        await context.bot.send_message(tap.user_id, context.t("offers.ask_typed"))
        return TYPED
    contact = ""
    if choice == "tg":
        user = tap.query.from_user
        contact = f"@{user.username}" if user.username else f"tg://user?id={user.id}"
    return await _send(update, context, tap.user_id, contact)


async def got_typed(update: Update, context: Ctx) -> int:
    message = update.effective_message
    assert message is not None and message.from_user is not None
    typed = (message.text or "").strip()
    try:
        contact = check_email(typed)[0] if "@" in typed else check_phone(typed)
    except ContactProblem:
        await message.reply_text(context.t("offers.bad_contact"))
        return TYPED
    return await _send(update, context, message.from_user.id, contact)


async def _send(update: Update, context: Ctx, user_id: int, contact: str) -> int:
    draft = FLOW.draft(context)
    FLOW.drop(context)
    offer = await context.repo.offers.create(draft.lab, user_id, draft.text, contact, context.now())
    log.info("offer %d of a hand sent to lab %s", offer.id, offer.lab_id)
    name = lab_name(context.data, context.lang, offer.lab_id)
    await edit_or_send(update, context, context.t("offers.sent", name=name), None, edit=False)
    for moderator in moderators(context.data, offer.lab_id):
        lang = context.people.language(moderator)
        text, markup = _view(context, lang, offer)
        await send_to(context, moderator, text, markup)
    return ConversationHandler.END


def _view(context: Ctx, lang: str, offer: Offer) -> tuple[str, InlineKeyboardMarkup]:
    texts = context.data.texts
    contact = offer.contact or texts.plain(lang, "offers.no_contact")
    text = texts.text(
        lang, "offers.received", name=lab_name(context.data, lang, offer.lab_id),
        text=offer.text, contact=contact,
    )  # fmt: skip
    rows = [
        [FLOW.button(texts.plain(lang, "offers.reply_yes"), "reply", offer.id, "yes")],
        [FLOW.button(texts.plain(lang, "offers.reply_no"), "reply", offer.id, "no")],
    ]
    return text, InlineKeyboardMarkup(rows)


@FLOW.on("reply", args=2)
async def on_reply(update: Update, context: Ctx, tap: Tap) -> None:
    """A coordinator of the lab (or staff) replies with one tap; the person is told."""
    arg, answer = tap.args
    offer = await context.repo.offers.get(int(arg)) if arg.isdigit() else None
    if offer is None or answer not in ("yes", "no"):
        await stale(update, context)
        tap.answered = True
        return
    if not (context.is_staff_user or context.coordinates(offer.lab_id)):
        log.info("refused a reply to offer %d to a user without the role", offer.id)
        await tap.answer(context.label("staff.only"), alert=True)
        return
    status = "contact" if answer == "yes" else "declined"
    if not await context.repo.offers.reply(offer.id, status, tap.user_id, context.now()):
        await tap.answer(context.label("offers.already"), alert=True)
        return
    await tap.answer(context.label("offers.replied"))
    text, _markup = _view(context, context.lang, offer)
    done = context.t(f"offers.done_{answer}")
    await edit_or_send(update, context, text + "\n\n" + done, None)
    lang = context.people.language(offer.user_id)
    name = lab_name(context.data, lang, offer.lab_id)
    told = context.data.texts.text(lang, f"offers.told_{answer}", name=name)
    await send_to(context, offer.user_id, told)


def register(app: Application) -> None:
    app.add_handler(
        FLOW.conversation(
            app,
            entry_points=[FLOW.handler("new")],
            states={
                TEXT: [
                    MessageHandler(filters.TEXT & ~filters.COMMAND, got_text),
                    MessageHandler(~filters.COMMAND, need_text),
                ],
                CONTACT: [FLOW.handler("contact")],
                TYPED: [MessageHandler(filters.TEXT & ~filters.COMMAND, got_typed)],
            },
        )
    )
    app.add_handler(FLOW.handler("reply"))
    app.add_handler(FLOW.outside())  # the form's buttons, tapped with no form open
