"""/notifiche: what each person wants to hear about. Everything is opt-in.

Topics: assemblea (the Assemblea di Rete), scuola (news of the Scuola; for people signed up, also
its session reminders), annunci (announcements of the network). Turning a topic off also records
an opt-out, so that nothing of that kind reaches the person even through another route (a
Scuola sign-up, an announcement to everyone). The labs a person follows are listed too, each
with a button to stop. Callback data `notify:v1:toggle:<topic>`, `notify:v1:unfollow:<lab>`.
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler

from bot.callbacks import Buttons, Tap
from bot.context import BotData, CommandSpec, Ctx
from bot.flows import edit_or_send
from domain.directory import Lab
from domain.subscriptions import TOPICS

BUTTONS = Buttons("notify")


async def choices(context: Ctx, user_id: int) -> set[str]:
    return await context.repo.subscriptions.topics(user_id) & set(TOPICS)


async def set_topic(context: Ctx, user_id: int, topic: str, on: bool) -> None:
    now = context.now()
    await context.repo.subscriptions.set(user_id, topic, on, now)
    await context.repo.optouts.set_out(user_id, f"topic:{topic}", not on, now)


async def followed(context: Ctx, user_id: int) -> list[Lab]:
    """The labs whose news the person asked for ("🔔 Avvisami delle sue novità" on a card)."""
    current = context.data.labs.current
    topics = await context.repo.subscriptions.topics(user_id)
    return [lab for lab in current.labs if f"lab:{lab.id}" in topics]


def view(
    context: Ctx, chosen: set[str], *, first_time: bool, labs: list[Lab] | None = None
) -> tuple[str, InlineKeyboardMarkup]:
    rows = [
        [
            InlineKeyboardButton(
                ("✅ " if topic in chosen else "⬜ ") + context.label(f"notify.topic.{topic}"),
                callback_data=BUTTONS.data("toggle", topic),
            )
        ]
        for topic in TOPICS
    ]
    text = context.t("notify.offer" if first_time else "notify.title")
    if labs:  # the labs followed from their cards, each one tap from stopping
        names = ", ".join(lab.name for lab in labs)
        text += "\n\n" + context.t("notify.following", names=names)
        rows += [
            [InlineKeyboardButton(f"🔕 {lab.name}", callback_data=BUTTONS.data("unfollow", lab.id))]
            for lab in labs
        ]
    return text, InlineKeyboardMarkup(rows)


async def show(update: Update, context: Ctx) -> None:
    user = update.effective_user
    assert user is not None
    labs = await followed(context, user.id)
    text, markup = view(context, await choices(context, user.id), first_time=False, labs=labs)
    await context.bot.send_message(user.id, text, reply_markup=markup)


async def offer(update: Update, context: Ctx) -> None:
    """To someone new whose first update is /start: the same toggles, all off until the person
    says so (someone who first asked a question finds them under 🔔 in the menu)."""
    user = update.effective_user
    assert user is not None
    text = context.t("notify.offer")
    markup = context.keyboard("notify.offer", lambda: view(context, set(), first_time=True)[1])
    await context.bot.send_message(user.id, text, reply_markup=markup)


@BUTTONS.on("unfollow", args=1)
async def unfollow(update: Update, context: Ctx, tap: Tap) -> None:
    lab_id = tap.args[0]
    lab = context.data.labs.current.any_lab(lab_id)
    await context.repo.subscriptions.set(tap.user_id, f"lab:{lab_id}", False, context.now())
    name = (lab.name if lab else lab_id)[:80]
    await tap.answer(context.label("labs.unfollowed", name=name))
    await _refresh(update, context, tap.user_id)


@BUTTONS.on("toggle", args=1)
async def toggle(update: Update, context: Ctx, tap: Tap) -> None:
    topic = tap.args[0]
    if topic not in TOPICS:
        await tap.stale(context)
        return
    on = topic not in await choices(context, tap.user_id)
    await set_topic(context, tap.user_id, topic, on)
    label = context.label(f"notify.topic.{topic}")
    await tap.answer(context.label("notify.on" if on else "notify.off", topic=label))
    await _refresh(update, context, tap.user_id)


async def _refresh(update: Update, context: Ctx, user_id: int) -> None:
    labs = await followed(context, user_id)
    text, markup = view(context, await choices(context, user_id), first_time=False, labs=labs)
    await edit_or_send(update, context, text, markup)


async def command(update: Update, context: Ctx) -> None:
    if update.effective_chat is not None and update.effective_chat.type == "private":
        await show(update, context)


async def link(update: Update, context: Ctx, _rest: str) -> None:
    await show(update, context)


link.shows_offer = True  # type: ignore[attr-defined]  # its answer is the offer: not twice


def register(app: Application) -> None:
    data: BotData = app.bot_data
    data.first_offers.append(offer)
    data.menu_actions["notify"] = show
    data.menu_actions["notifications"] = show
    data.deep_links["notifiche"] = link
    data.commands.append(CommandSpec("notifiche", "cmd.notifiche", order=30))
    app.add_handler(CommandHandler(["notifiche", "notifications"], command))
    app.add_handler(BUTTONS.handler())
