"""The sign-up form: a state machine kept in the database (`signup_drafts`), one row per person,
written at every step and mirrored in memory: a form in progress survives any restart, even a
killed process. It runs in handler group -1, ahead of every feature, and only for people with a
form open; what it handles stops there (ApplicationHandlerStop), what it does not (menus, /help,
/lingua) goes on to the features as usual.

    edition? -> first_name -> last_name -> email (-> "did you mean?") -> phone? -> role
      -> organisation? -> note? -> consent -> summary --confirm--> stored, e-mailed, .ics
                                                      --edit----> one field -> summary
    (? = skippable or skipped; /annulla at every step; /start pauses and offers to go on)

Form buttons are `scuola:v1:f:<step>:<value>`, valid only at that step (an old summary's
"Conferma" after confirming is stale). Confirming is `signups.confirm`.
"""

from __future__ import annotations

import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.constants import ChatType
from telegram.ext import ApplicationHandlerStop

from bot.callbacks import Tap
from bot.context import BotData, Ctx
from domain.contacts import ContactProblem, check_email, check_phone
from domain.scuola import (
    EDITABLE,
    MAX_NOTE,
    OPTIONAL,
    ROLES,
    STEPS,
    Answers,
    Draft,
    Edition,
    FormProblem,
    check_free_text,
    check_name,
    check_organisation,
    next_step,
)
from handlers.scuola import signups
from handlers.scuola.editions import BUTTONS, button, open_editions, status_text
from storage.scuola import Signup

GROUP = -1
PASS_THROUGH = {"help", "aiuto", "lingua", "language"}
FORM_STEPS = [s for s in STEPS if s not in ("edition", "summary")]


def form_button(label: str, step: str, value: object = "x") -> InlineKeyboardButton:
    return button(label, "f", step, value)


def _draft(context: Ctx, user_id: int) -> Draft | None:
    return context.data.drafts.get(user_id)


async def save(context: Ctx, draft: Draft) -> None:
    """Keep the form at its current step, in memory and in the database (a restart resumes it)."""
    context.data.drafts[draft.user_id] = draft
    await context.repo.drafts.save(draft, context.now())


async def drop(context: Ctx, user_id: int) -> None:
    """Close the form: aborted, or its edition gone."""
    context.data.drafts.pop(user_id, None)
    await context.repo.drafts.delete(user_id)


async def start_form(update: Update, context: Ctx, edition: Edition | None) -> None:
    user = update.effective_user
    assert user is not None
    editions = await open_editions(context)
    if edition is None and len(editions) == 1:
        edition = editions[0]
    answers = Answers()
    if edition is not None:
        existing = await context.repo.signups.active(edition.id, user.id)
        if existing is not None:
            await _show_existing(update, context, existing, edition)
            return
        answers.edition = edition.id
    step = "edition" if edition is None else "first_name"
    draft = Draft(user.id, step, answers)
    await save(context, draft)
    await context.bot.send_message(user.id, context.t("scuola.form_intro"))
    await ask(update, context, draft)


async def _show_existing(update: Update, context: Ctx, signup: Signup, edition: Edition) -> None:
    assert update.effective_user is not None
    rows = [
        [button(context.label("scuola.update"), "update", signup.id)],
        [button(context.label("scuola.keep"), "keep")],
    ]
    await context.bot.send_message(
        update.effective_user.id,
        context.t("scuola.already", code=signup.code, title=edition.title)
        + "\n\n"
        + await summary_text(context, answers(signup), edition),
        reply_markup=InlineKeyboardMarkup(rows),
    )


def answers(signup: Signup) -> Answers:
    """A sign-up's answers, as the form holds them (to change them)."""
    return Answers(
        edition=signup.edition_id,
        first_name=signup.first_name,
        last_name=signup.last_name,
        email=signup.email,
        phone=signup.phone,
        role=signup.role,
        organisation=signup.organisation,
        note=signup.note,
        consent_at=signup.consent_at.isoformat(),
    )


def _progress(draft: Draft) -> tuple[int, int]:
    steps = FORM_STEPS
    position = steps.index(draft.step) + 1 if draft.step in steps else len(steps)
    return position, len(steps)


Question = tuple[str, list[list[InlineKeyboardButton]], Any]  # text, inline rows, other markup


async def ask(update: Update, context: Ctx, draft: Draft) -> None:
    """Send the question of the draft's current step: from now on, what the person types
    answers it (a pause is over)."""
    if draft.paused:
        draft.paused = False
        await save(context, draft)
    step = draft.step
    number, total = _progress(draft)
    prefix = context.t("scuola.step", n=number, total=total) + "\n" if step in FORM_STEPS else ""
    question = _QUESTIONS.get(step, _ask_field)
    text, rows, markup = await question(context, draft, prefix)
    if step in OPTIONAL and step != "phone":
        rows.append([form_button(context.label("scuola.skip"), step, "skip")])
    if rows:
        markup = InlineKeyboardMarkup(rows)
    await context.bot.send_message(draft.user_id, text, reply_markup=markup)


async def _ask_field(context: Ctx, draft: Draft, prefix: str) -> Question:
    """A field typed as text; changed from the summary, with its current value."""
    text = prefix + context.t(f"scuola.ask.{draft.step}")
    current = draft.answers.get(draft.step)
    if draft.returning and current:
        text += "\n" + context.t("scuola.current", value=current)
    return text, [], None


async def _ask_edition(context: Ctx, draft: Draft, prefix: str) -> Question:
    editions = await open_editions(context)
    rows = [[form_button(e.title, "edition", e.id)] for e in editions]
    return context.t("scuola.ask.edition"), rows, None


async def _ask_phone(context: Ctx, draft: Draft, prefix: str) -> Question:
    markup = ReplyKeyboardMarkup(
        [
            [KeyboardButton(context.label("scuola.share_phone"), request_contact=True)],
            [KeyboardButton(context.label("scuola.skip"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
    )
    return prefix + context.t("scuola.ask.phone"), [], markup


async def _ask_role(context: Ctx, draft: Draft, prefix: str) -> Question:
    rows = [[form_button(context.label(f"role.{r}"), "role", r)] for r in ROLES]
    return prefix + context.t("scuola.ask.role"), rows, None


async def _ask_consent(context: Ctx, draft: Draft, prefix: str) -> Question:
    rows = [[form_button(context.label("scuola.consent_yes"), "consent", "yes")],
            [form_button(context.label("scuola.consent_no"), "consent", "no")]]  # fmt: skip
    return prefix + context.t("scuola.ask.consent", email=context.contact_email), rows, None


async def _ask_summary(context: Ctx, draft: Draft, prefix: str) -> Question:
    edition = await context.repo.editions.get(draft.answers.edition)
    text = (
        context.t("scuola.summary_title")
        + "\n\n"
        + await summary_text(context, draft.answers, edition)
    )
    if edition is not None and draft.update_of is None:  # say it before, not after
        counts = await context.repo.signups.counts(edition.id)
        if edition.places_left(counts.confirmed) == 0:
            text += "\n\n" + context.t("scuola.summary_waiting", position=counts.waiting + 1)
    rows = [
        [form_button(context.label("scuola.confirm"), "summary", "confirm")],
        [form_button(context.label("scuola.edit"), "summary", "edit")],
        [form_button(context.label(_abort_label(draft)), "summary", "abort")],
    ]
    return text, rows, None


# The question of each step that is not a plain field typed as text (`_ask_field`).
_QUESTIONS: dict[str, Callable[[Ctx, Draft, str], Awaitable[Question]]] = {
    "edition": _ask_edition,
    "phone": _ask_phone,
    "role": _ask_role,
    "consent": _ask_consent,
    "summary": _ask_summary,
}


async def summary_text(context: Ctx, answers: Answers, edition: Edition | None) -> str:
    empty = context.label("scuola.empty")
    role = answers.role
    lines = [
        context.t("scuola.field.edition", value=edition.title if edition else empty),
        context.t("scuola.field.first_name", value=answers.first_name or empty),
        context.t("scuola.field.last_name", value=answers.last_name or empty),
        context.t("scuola.field.email", value=answers.email or empty),
        context.t("scuola.field.phone", value=answers.phone or empty),
        context.t("scuola.field.role", value=context.label(f"role.{role}") if role else empty),
        context.t("scuola.field.organisation", value=answers.organisation or empty),
        context.t("scuola.field.note", value=answers.note or empty),
    ]
    return "\n".join(lines)


async def advance(update: Update, context: Ctx, draft: Draft) -> None:
    single = len(await open_editions(context)) <= 1
    draft.step = next_step(draft, skip_edition=single)
    if draft.step == "summary":
        draft.returning = False
    await save(context, draft)
    await ask(update, context, draft)


def _private(update: Update) -> bool:
    return update.effective_chat is not None and update.effective_chat.type == ChatType.PRIVATE


async def form(update: Update, context: Ctx) -> None:
    """Group -1: everything from a person with a form open."""
    user = update.effective_user
    if user is None or not _private(update):
        return
    draft = _draft(context, user.id)
    if draft is None:
        return
    if update.callback_query is not None:
        if BUTTONS.parse(update, "f") is None:
            return  # menus, lab cards...: the features answer, the form waits
        await BUTTONS.dispatch(update, context, "f")
        raise ApplicationHandlerStop
    message = update.message
    if message is None:
        return  # edits and the like: not answers to the form
    if message.text and message.text.startswith("/"):
        command = message.text[1:].split()[0].split("@")[0].lower() if len(message.text) > 1 else ""
        if command in PASS_THROUGH:
            return
        if command in ("annulla", "cancel"):
            await leave(context, draft)
        else:
            await pause(context, draft)
        raise ApplicationHandlerStop
    if draft.paused:
        # Waiting for "continue?": what is typed now is not the step's answer (a question,
        # most likely). The features answer it as anyone's; the form stays where it was.
        return
    await form_message(update, context, draft)
    raise ApplicationHandlerStop


async def pause(context: Ctx, draft: Draft) -> None:
    """A command in the middle of the form: ask whether to go on. Until the answer, what the
    person types is not taken for the step's answer (kept across restarts, with the form)."""
    if not draft.paused:
        draft.paused = True
        await save(context, draft)
    number, total = _progress(draft)
    rows = [[form_button(context.label("scuola.continue"), "pause", "go")],
            [form_button(context.label(_abort_label(draft)), "pause", "abort")]]  # fmt: skip
    await context.bot.send_message(
        draft.user_id,
        context.t("scuola.paused", n=number, total=total),
        reply_markup=InlineKeyboardMarkup(rows),
    )


def _abort_label(draft: Draft) -> str:
    """Leaving an edit drops the changes; the sign-up it edits stays."""
    return "scuola.drop_changes" if draft.update_of is not None else "scuola.abort"


async def leave(context: Ctx, draft: Draft) -> None:
    """Close the form at the person's wish and say what is true: a new sign-up was not made;
    an edit of a sign-up was dropped, and the sign-up stands as it was."""
    await drop(context, draft.user_id)
    update_of = draft.update_of
    signup = await context.repo.signups.get(update_of) if update_of is not None else None
    if signup is not None and signup.status != "cancelled":
        status = await status_text(context, signup)
        text = context.t("scuola.changes_dropped", code=signup.code, status=status)
    else:
        text = context.t("scuola.aborted")
    await context.bot.send_message(draft.user_id, text, reply_markup=ReplyKeyboardRemove())


async def _typed_email(message: Message, context: Ctx, draft: Draft, text: str) -> bool:
    """An address typed: taken (True), or a likely typo offered with its fix (False: the
    person chooses with a button)."""
    # A new answer replaces an offer made for an earlier one: its buttons go stale.
    offered, draft.email_suggested, draft.email_typed = draft.email_suggested, None, None
    if offered is not None:
        await save(context, draft)
    address, suggestion = check_email(text)
    if not suggestion or suggestion == address:
        draft.answers.email = address
        return True
    draft.email_typed, draft.email_suggested = address, suggestion
    await save(context, draft)
    use = context.label("scuola.email_use", email=suggestion)
    keep = context.label("scuola.email_keep", email=address)
    rows = [
        [form_button(use, "email", f"fix-{_digest(suggestion)}")],
        [form_button(keep, "email", f"keep-{_digest(address)}")],
    ]
    await message.reply_text(
        context.t("scuola.email_typo", suggestion=suggestion),
        reply_markup=InlineKeyboardMarkup(rows),
    )
    return False


async def form_message(update: Update, context: Ctx, draft: Draft) -> None:
    message = update.message
    assert message is not None
    step = draft.step
    text = (message.text or "").strip()
    if step == "phone" and message.contact is not None:
        contact = message.contact
        if contact.user_id is not None and contact.user_id != draft.user_id:
            await message.reply_text(context.t("scuola.error.other_contact"))
            return
        text = contact.phone_number
    typed = _TYPED.get(step)
    if typed is None or not text:  # a step of buttons, or no text (a sticker, a photo)
        key = "scuola.error.use_buttons" if message.text else "scuola.error.need_text"
        await message.reply_text(context.t(key))
        await ask(update, context, draft)
        return
    try:
        if not await typed(message, context, draft, text):
            return
    except FormProblem as problem:
        await message.reply_text(context.t(f"scuola.error.{problem.code}"))
        return
    except ContactProblem as problem:
        key = f"scuola.error.{problem.code}"
        if problem.suggestion:
            await message.reply_text(context.t(key + "_suggest", suggestion=problem.suggestion))
        else:
            await message.reply_text(context.t(key))
        return
    await advance(update, context, draft)


Typed = Callable[[Message, Ctx, Draft, str], Awaitable[bool]]


async def _typed_name(message: Message, context: Ctx, draft: Draft, text: str) -> bool:
    draft.answers.set(draft.step, check_name(text, draft.step))
    return True


async def _typed_phone(message: Message, context: Ctx, draft: Draft, text: str) -> bool:
    skipped = text == context.label("scuola.skip")
    phone = draft.answers.phone = "" if skipped else check_phone(text)
    ack = context.t("scuola.phone_ok", phone=phone) if phone else context.t("scuola.phone_skipped")
    await message.reply_text(ack, reply_markup=ReplyKeyboardRemove())
    return True


async def _typed_organisation(message: Message, context: Ctx, draft: Draft, text: str) -> bool:
    draft.answers.organisation = check_organisation(text)
    return True


async def _typed_note(message: Message, context: Ctx, draft: Draft, text: str) -> bool:
    draft.answers.note = check_free_text(text, MAX_NOTE)
    return True


# What each step takes as text (True: taken, go on; False: the step answered itself). The
# other steps take buttons.
_TYPED: dict[str, Typed] = {
    "first_name": _typed_name,
    "last_name": _typed_name,
    "email": _typed_email,
    "phone": _typed_phone,
    "organisation": _typed_organisation,
    "note": _typed_note,
}


@BUTTONS.on("f", args=2)
async def form_button_pressed(update: Update, context: Ctx, tap: Tap) -> None:
    """A form button (`f:<step>:<value>`): valid only with the person's form open, at its
    step; else stale."""
    draft = _draft(context, tap.user_id) if _private(update) else None
    if draft is None:  # no form open (or not in private): the features' table got it
        await tap.stale(context)
        return
    step, value = tap.args
    if step == "pause":
        await tap.answer()
        if value == "abort":
            await leave(context, draft)
        else:
            await ask(update, context, draft)
        return
    if step != draft.step and not (step == "editfield" and draft.step == "summary"):
        await tap.stale(context)
        return
    await tap.answer()
    if step in OPTIONAL and value == "skip":
        draft.answers.set(step, "")
        await advance(update, context, draft)
        return
    answer = _BUTTON_ANSWERS.get(step)
    if answer is None:
        await ask(update, context, draft)
        return
    await answer(update, context, draft, value)


async def _chose_edition(update: Update, context: Ctx, draft: Draft, value: str) -> None:
    edition = await context.repo.editions.get(value)
    if edition is None or not edition.accepts(context.now()):
        await context.bot.send_message(draft.user_id, context.t("scuola.edition_closed"))
        await ask(update, context, draft)
        return
    existing = await context.repo.signups.active(edition.id, draft.user_id)
    if existing is not None:
        await drop(context, draft.user_id)
        await _show_existing(update, context, existing, edition)
        return
    draft.answers.edition = edition.id
    draft.step = "first_name"
    await save(context, draft)
    await ask(update, context, draft)


async def _chose_email(update: Update, context: Ctx, draft: Draft, value: str) -> None:
    """The address suggested for a typo, or the one typed after all."""
    choice, _, digest = value.partition("-")
    offered = draft.email_suggested if choice == "fix" else draft.email_typed
    if offered is None or digest != _digest(offered):  # an offer for an earlier answer
        await context.bot.send_message(draft.user_id, context.t("scuola.email_stale"))
        await ask(update, context, draft)
        return
    draft.answers.email = offered
    draft.email_suggested = draft.email_typed = None
    await advance(update, context, draft)


async def _chose_role(update: Update, context: Ctx, draft: Draft, value: str) -> None:
    if value not in ROLES:
        await ask(update, context, draft)
        return
    draft.answers.role = value
    await advance(update, context, draft)


async def _consented(update: Update, context: Ctx, draft: Draft, value: str) -> None:
    if value != "yes":
        await context.bot.send_message(draft.user_id, context.t("scuola.consent_needed"))
        await ask(update, context, draft)
        return
    draft.answers.consent_at = context.now().isoformat()
    await advance(update, context, draft)


async def _summary(update: Update, context: Ctx, draft: Draft, value: str) -> None:
    """Confirm, abort, or choose a field to change."""
    if value == "confirm":
        if not await signups.confirm(update, context, draft):  # the edition closed
            await drop(context, draft.user_id)
    elif value == "abort":
        await leave(context, draft)
    else:
        rows = [
            [form_button(context.label(f"scuola.fieldname.{f}"), "editfield", f)] for f in EDITABLE
        ]
        await context.bot.send_message(
            draft.user_id,
            context.t("scuola.edit_which"),
            reply_markup=InlineKeyboardMarkup(rows),
        )


async def _edit_field(update: Update, context: Ctx, draft: Draft, value: str) -> None:
    if value in EDITABLE:
        draft.step = value
        draft.returning = True
        await save(context, draft)
    await ask(update, context, draft)


# The answers a form step takes by button (an optional step's "skip" aside).
_BUTTON_ANSWERS: dict[str, Callable[[Update, Ctx, Draft, str], Awaitable[None]]] = {
    "edition": _chose_edition,
    "email": _chose_email,
    "role": _chose_role,
    "consent": _consented,
    "summary": _summary,
    "editfield": _edit_field,
}


async def load_drafts(data: BotData) -> None:
    data.drafts = {d.user_id: d for d in await data.repo.drafts.all()}


def _digest(address: str) -> str:
    """A short mark of an address, carried by the button that offers it: a button offered
    for an earlier answer is recognised as such."""
    return f"{zlib.crc32(address.encode()):08x}"
