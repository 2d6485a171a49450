"""Questions in plain words: whatever text no command or flow took is read here; staff see
what was not understood with /domande.

The understanding itself is in `domain.understanding`; this module turns its decision into an
answer and records what was asked (the text only when it was not understood, never who asked).
"""

from __future__ import annotations

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import Application, CommandHandler, MessageHandler, filters

from bot import flows, labview
from bot.context import CommandSpec, Ctx
from bot.guards import staff_only
from bot.i18n import escape
from domain.activities import Activity
from domain.directory import Lab, Place
from domain.geo import distance_m, format_distance
from domain.understanding import Understanding
from handlers import menu
from handlers.menu import main_menu

MAX_TEXT = 4096


def _menu_button(context: Ctx, item: str, key: str) -> InlineKeyboardButton:
    return menu.BUTTONS.button(context.label(key), item)


async def answer(update: Update, context: Ctx) -> None:
    message = update.effective_message
    assert message is not None and message.text is not None
    text = message.text[:MAX_TEXT]
    understood = context.data.labs.matcher.understand(text, today=labview.today(context))
    _record(context, understood, text)
    await reply(update, context, understood)


def _record(context: Ctx, understood: Understanding, text: str) -> None:
    """Kept for staff, written behind (`bot.asked`)."""
    subject = None
    if understood.lab is not None:
        subject = understood.lab.id
    elif understood.place is not None:
        subject = understood.place.key
    elif understood.topic is not None:
        subject = understood.topic
    keep_text = understood.intent == "fallback" and any(c.isalpha() for c in text)
    context.data.asked.record(
        understood.intent, subject, text.strip() if keep_text else None, context.now()
    )


async def reply(update: Update, context: Ctx, understood: Understanding) -> None:
    message = update.effective_message
    assert message is not None
    intent = understood.intent
    if intent == "lab" and understood.lab is not None:
        await answer_lab(update, context, understood.lab, understood.facet, understood.when)
    elif intent == "place" and understood.place is not None:
        place = understood.place
        assert place.lat is not None and place.lon is not None
        await labview.send_nearest(update, context, place.lat, place.lon, place)
    elif intent == "activities":
        await answer_activities(update, context, understood)
    elif intent == "ambiguous":
        rows = []
        current = context.data.labs.current
        for choice in understood.choices:
            if choice.kind == "lab" and (lab := current.lab(choice.key)):
                rows.append([labview.button(lab.name, "card", lab.id)])
            elif choice.kind == "place" and (near := current.place(choice.key)):
                rows.append([labview.button(f"📍 {near.name}", "near", near.key)])
        await message.reply_text(
            context.t("labs.ambiguous"), reply_markup=InlineKeyboardMarkup(rows)
        )
    elif intent == "topic":
        await answer_topic(update, context, understood.topic or "")
    elif intent == "ask_location":
        await labview.ask_location(update, context)
    elif intent == "greeting":
        await message.reply_text(context.t("answer.greeting"), reply_markup=main_menu(context))
    elif intent == "thanks":
        await message.reply_text(context.t("answer.thanks"), reply_markup=main_menu(context))
    elif understood.topic == "not_found":  # "c'è un corso di yoga?" and no lab has one
        what = escape(understood.keyword or "")
        text = context.t("activities.not_found", what=what, email=context.contact_email)
        await message.reply_text(text, reply_markup=main_menu(context))
    elif understood.topic == "elsewhere":  # the weather, a train: not what the network does
        await message.reply_text(context.t("answer.elsewhere"), reply_markup=main_menu(context))
    else:
        await message.reply_text(context.t("answer.fallback"), reply_markup=main_menu(context))


async def answer_lab(
    update: Update, context: Ctx, lab: Lab, facet: str | None, when: str | None = None
) -> None:
    message = update.effective_message
    assert message is not None
    mail = context.contact_email
    if facet is None:
        await labview.send_card(update, context, lab)
        return
    if facet == "where":
        if lab.address or lab.area:
            where = labview.shown(context, lab.address or lab.area_in(context.lang))
            text = context.t("facet.where", name=lab.name, where=where)
            if lab.located and lab.position == "approx":
                text += "\n" + context.t("card.position_approx")
        else:
            text = context.t("facet.where_unknown", name=lab.name, email=mail)
    elif facet == "activities":
        current, past = labview.split_activities(context, lab.activities)
        current, past = current[:FACET_ACTIVITIES], past[:FACET_PAST]  # one message
        if current:
            items = "\n".join(f"  • {labview.activity_text(context, a)}" for a in current)
            text = context.t("facet.activities", name=lab.name) + "\n" + items
        else:
            text = context.t("facet.activities_unknown", name=lab.name, email=mail)
        if past:
            items = "\n".join(f"  • {labview.activity_text(context, a)}" for a in past)
            text += "\n" + context.t("card.activities_past") + "\n" + items
    elif facet == "hours" and lab.schedule is not None and not lab.schedule.empty:
        text, asked_back = labview.hours_text(context, lab, lab.schedule, when)
        if asked_back is not None:  # "venerdì 19" when the 19th is a Saturday: which one?
            await message.reply_text(text, reply_markup=asked_back)
            return
    else:
        value = {"hours": lab.hours, "contacts": lab.contacts, "organisation": lab.organisation}[
            facet
        ]
        if value:
            text = context.t(
                f"facet.{facet}", name=lab.name, **{facet: labview.shown(context, value)}
            )
        else:
            text = context.t(f"facet.{facet}_unknown", name=lab.name, email=mail)
    rows = [[labview.button(context.label("labs.full_card", name=lab.name), "card", lab.id)]]
    if lab.located:
        rows.append([labview.button(context.label("labs.map"), "map", lab.id)])
    await message.reply_text(text, reply_markup=InlineKeyboardMarkup(rows))
    if facet == "where":
        await labview.send_venue(update, context, lab)


MAX_ACTIVITY_LABS = 6
FACET_ACTIVITIES, FACET_PAST = 15, 3  # a lab's own: the editor allows 15 (200 characters each)
ACTIVITIES_SHOWN = 8  # per part of the answer: three parts stay well within one message


Found = list[tuple[Lab, Activity]]


def _by_distance(context: Ctx, place: Place | None) -> tuple[list[Lab], dict[str, float]]:
    """The visible labs, nearest to `place` first when it has a position, with their distances
    (only those with a position)."""
    labs_in_order = list(context.data.labs.current.visible)
    distances: dict[str, float] = {}
    if place is not None and place.lat is not None and place.lon is not None:
        for lab in labs_in_order:
            if lab.lat is not None and lab.lon is not None:
                distances[lab.id] = distance_m(place.lat, place.lon, lab.lat, lab.lon)
        labs_in_order.sort(key=lambda lab: distances.get(lab.id, float("inf")))
    return labs_in_order, distances


def _activities(
    context: Ctx, labs: list[Lab], audience: str | None, wanted: frozenset[str]
) -> tuple[Found, Found, Found, Found]:
    """The activities of `labs` for `audience` and about what is `wanted` (either may be
    empty): the current ones for that audience, the current ones open to everyone, the past
    ones for that audience, the past ones open to everyone."""
    matcher = context.data.labs.matcher
    specific: Found = []
    for_all: Found = []
    past: Found = []
    past_for_all: Found = []
    for lab in labs:
        current, before = labview.split_activities(context, lab.activities)
        for activity in current + before:
            if wanted and not matcher.matches(activity, wanted):
                continue
            if audience is not None and not activity.is_for(audience):
                continue
            own = audience is None or audience in activity.audiences
            if activity in before:
                (past if own else past_for_all).append((lab, activity))
            else:
                (specific if own else for_all).append((lab, activity))
    return specific, for_all, past, past_for_all


async def answer_activities(update: Update, context: Ctx, understood: Understanding) -> None:
    """The labs' activities for an audience or about a subject, nearest to a place first when
    one was named: current ones for that audience, those it had in the past, then current and
    past ones open to everyone; and the network's address, always, since the data may not know
    everything that is on. When the lab nearest to the place has nothing for that audience, the
    answer says so before naming the labs that do."""
    message = update.effective_message
    assert message is not None
    place, audience, wanted = understood.place, understood.audience, understood.wanted
    labs_in_order, distances = _by_distance(context, place)
    specific, for_all, past, past_for_all = _activities(context, labs_in_order, audience, wanted)
    whom = context.label(f"audience.{audience}") if audience else ""
    if place is not None:
        key = "activities.heading_for_near" if audience else "activities.heading_near"
        lines = [context.t(key, audience=whom, place=place.name_in(context.lang))]
    else:
        key = "activities.heading_for" if audience else "activities.heading"
        lines = [context.t(key, audience=whom)]
    named = {lab.id for lab, _ in specific + for_all + past + past_for_all}
    nearest = next((lab for lab in labs_in_order if lab.id in distances), None)
    if audience and place is not None and nearest is not None and nearest.id not in named:
        lines.append(
            context.t(
                "activities.nearest_has_none",
                lab=escape(nearest.name),
                place=place.name_in(context.lang),
                audience=whom,
            )
        )

    def listed(items: list[tuple[Lab, Activity]]) -> None:
        for lab, activity in items[:ACTIVITIES_SHOWN]:
            lines.append(
                f"  • <b>{escape(lab.name)}</b>: {labview.activity_text(context, activity)}"
            )
        if len(items) > ACTIVITIES_SHOWN:  # the rest are on the labs' cards
            lines.append(context.count("activities.more", len(items) - ACTIVITIES_SHOWN))

    listed(specific)
    if not specific:
        key = "activities.none_current_for" if audience else "activities.none_current"
        lines.append(context.t(key, audience=whom))
    for heading, items in (("activities.past", past), ("activities.open_to_all", for_all),
                           ("activities.past_open_to_all", past_for_all)):  # fmt: skip
        if items:
            lines.append(context.t(heading))
            listed(items)
    lines.append("")
    lines.append(context.t("activities.ask", email=context.contact_email))
    rows = []
    for lab in [lab for lab in labs_in_order if lab.id in named][:MAX_ACTIVITY_LABS]:
        label = lab.name
        if lab.id in distances:
            label += f" · {format_distance(distances[lab.id], context.lang)}"
        rows.append([labview.button(label, "card", lab.id)])
    rows.append([labview.button(context.label("labs.all"), "list")])
    await message.reply_text("\n".join(lines), reply_markup=InlineKeyboardMarkup(rows))


async def answer_topic(update: Update, context: Ctx, topic: str) -> None:
    """A topic owned by a feature answers through it; until then, a short explanation."""
    message = update.effective_message
    assert message is not None
    action = context.data.menu_actions.get(topic)
    if action is not None:
        await action(update, context)
        return
    mail = context.contact_email
    if topic == "laboratori":
        await labview.send_list(update, context)
    elif topic == "scuola":
        markup = InlineKeyboardMarkup([[_menu_button(context, "scuola", "menu.scuola")]])
        await message.reply_text(context.t("topic.scuola", email=mail), reply_markup=markup)
    elif topic in ("assemblea", "events"):
        markup = InlineKeyboardMarkup([[_menu_button(context, "notify", "menu.notifications")]])
        await message.reply_text(context.t("topic.assemblea", email=mail), reply_markup=markup)
    elif topic == "contatti":
        await message.reply_text(
            context.t("topic.contatti", email=mail), reply_markup=main_menu(context)
        )
    elif topic == "hours":
        # Every lab, not only those with hours (the others' cards say whom to ask): the ones
        # with hours first, each with whether it is open now; and the nearest, by location.
        current = context.data.labs.current.visible
        known = [lab for lab in current if lab.schedule is not None and not lab.schedule.empty]
        rows = [
            [labview.button(labview.name_with_status(context, lab), "card", lab.id)]
            for lab in known + [lab for lab in current if lab not in known]
        ]
        rows.append([labview.button(context.label("hours.nearest"), "loc")])
        await message.reply_text(
            context.t("hours.which", email=mail), reply_markup=InlineKeyboardMarkup(rows)
        )
    elif topic == "help":
        await message.reply_text(
            context.t("help.text", email=mail), reply_markup=main_menu(context)
        )
    else:
        key = "topic.what_is" if topic == "what_is" else "topic.take_part"
        rows = [
            [labview.button(context.label("menu.labs"), "loc")],
            [labview.button(context.label("labs.all"), "list")],
        ]
        await message.reply_text(
            context.t(key, email=mail), reply_markup=InlineKeyboardMarkup(rows)
        )


@staff_only
async def questions_command(update: Update, context: Ctx) -> None:
    assert update.effective_message is not None
    await context.data.write_behind()  # the last second's questions too
    questions = await context.repo.questions.not_understood(limit=30)
    if not questions:
        await update.effective_message.reply_text(context.t("questions.none"))
        return
    tz = context.config.scheduler.tz
    lines = [context.t("questions.title")]
    for q in questions:
        when = q.asked_at.astimezone(tz).strftime("%d/%m %H:%M")
        lines.append(f"• {when} — {escape((q.text or '')[:200])}")
    text = "\n".join(lines)
    if len(text) > 4000:
        text = text[:4000].rsplit("\n", 1)[0]
    await update.effective_message.reply_text(text)


PRIVATE_TEXT = filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & filters.TEXT


def register_first(app: Application) -> None:
    """Plain text from someone with no staff flow open is a question, whatever else group 0
    holds: no conversation takes it (their steps need the flow open) and no other handler
    before `register`'s takes text. Checked first, it skips matching the update against every
    command and conversation, which is most of the routing time of the commonest update."""
    app.add_handler(
        MessageHandler(PRIVATE_TEXT & ~filters.COMMAND & flows.no_open_flow(app), answer)
    )


def register(app: Application) -> None:
    app.bot_data.commands.append(CommandSpec("domande", "cmd.domande", staff=True))
    app.add_handler(CommandHandler("domande", questions_command))
    app.add_handler(MessageHandler(PRIVATE_TEXT & ~filters.COMMAND, answer))
