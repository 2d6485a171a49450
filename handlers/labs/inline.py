"""Inline mode: a lab's card shared in any chat (@bot spazio q)."""

from __future__ import annotations

import logging

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InlineQueryResultArticle,
    InlineQueryResultsButton,
    InputTextMessageContent,
    Update,
)

from bot import labview
from bot.context import Ctx
from domain.geo import nearest

log = logging.getLogger(__name__)


async def inline_query(update: Update, context: Ctx) -> None:
    query = update.inline_query
    assert query is not None
    current = context.data.labs.current
    text = query.query.strip()
    if text:
        mentioned = context.data.labs.matcher.mentions(text)
        ids = [m.key for m in mentioned if m.kind == "lab"]
        places = [current.place(m.key) for m in mentioned if m.kind == "place"]
        for place in places:
            if place is not None and place.lat is not None and place.lon is not None:
                ids += [lab.id for lab, _ in nearest(place.lat, place.lon, current.visible)]
        needle = text.lower()
        ids += [lab.id for lab in current.visible if needle in lab.name.lower()]
        labs = [lab for lab_id in dict.fromkeys(ids) if (lab := current.lab(lab_id))]
    else:
        labs = list(current.visible)
    results = [
        InlineQueryResultArticle(
            id=lab.id,
            title=lab.name,
            description=labview.shown(context, lab.area_in(context.lang)) or None,
            input_message_content=InputTextMessageContent(labview.card_text(context, lab)),
            reply_markup=InlineKeyboardMarkup(
                [
                    [
                        InlineKeyboardButton(
                            context.label("labs.open_in_bot"), url=labview.deep_link(context, lab)
                        )
                    ]
                ]
            ),
        )
        for lab in labs[:50]
    ]
    empty_button = None
    if not results:
        empty_button = InlineQueryResultsButton(
            text=context.label("inline.empty"), start_parameter="laboratori"
        )
    await query.answer(results, cache_time=60, is_personal=False, button=empty_button)
