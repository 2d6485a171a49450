"""/statistiche (staff): how the service is used, in counts only, and a weekly chart.

The text comes first, so a failing chart never hides the figures; the chart's caption repeats
its totals in words, for people who cannot see the image.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import date

from telegram import Update
from telegram.constants import ChatAction
from telegram.ext import Application, CommandHandler

from bot import chart
from bot.context import CommandSpec, Ctx
from bot.guards import staff_only
from domain.dates import MONTHS
from domain.subscriptions import TOPICS
from storage.stats import Stats

log = logging.getLogger(__name__)

RECENT_DAYS = 30
WEEKS = 12
MAX_EDITIONS = 6
MAX_LABS = 5


def _ranked(context: Ctx, pairs: list[tuple[str, int]], kind: str) -> str:
    """ "Spazio Q (12), In Scala (5)": labs or places by name, with their counts."""
    current = context.data.labs.current
    names = []
    for key, count in pairs:
        found = current.place(key) if kind == "place" else current.lab(key)
        names.append(f"{found.name if found else key} ({context.number(count)})")
    return ", ".join(names) if names else "—"


def summary(context: Ctx, stats: Stats) -> str:
    def n(value: int) -> str:
        return context.number(value)

    parts = [
        context.t(
            "stats.people",
            days=context.count("n.last_days", RECENT_DAYS),
            people=n(stats.people),
            new=n(stats.new),
            active=n(stats.active),
            blocked=n(stats.blocked),
        ),
        context.t("stats.topics"),
    ]
    for topic in TOPICS:
        parts.append(
            context.t(
                "stats.topic_line",
                topic=context.label(f"notify.topic.{topic}"),
                count=n(stats.subscribers.get(topic, 0)),
            )
        )
    followed = sorted(
        ((topic.removeprefix("lab:"), count) for topic, count in stats.subscribers.items()
         if topic.startswith("lab:")),
        key=lambda pair: (-pair[1], pair[0]),
    )  # fmt: skip
    parts.append(context.t("stats.followers", labs=_ranked(context, followed[:MAX_LABS], "lab")))
    parts.append("")
    parts.append(context.t("stats.editions"))
    for edition in stats.editions[:MAX_EDITIONS]:
        parts.append(
            context.t(
                "stats.edition_line",
                title=edition.title,
                confirmed=n(edition.confirmed),
                waiting=n(edition.waiting),
                cancelled=n(edition.cancelled),
            )
        )
    if not stats.editions:
        parts.append(context.t("stats.no_editions"))
    parts.append("")
    share = round(100 * stats.understood / stats.questions) if stats.questions else 0
    parts.append(
        context.t(
            "stats.questions",
            days=context.count("n.in_last_days", RECENT_DAYS),
            asked=n(stats.questions),
            understood=n(stats.understood),
            share=share,
            places=_ranked(context, stats.places, "place"),
            labs=_ranked(context, stats.labs, "lab"),
        )
    )
    return "\n".join(parts)


def _week_label(monday: date, lang: str) -> str:
    return f"{monday.day} {MONTHS[lang][monday.month - 1][:3]}"


def draw(context: Ctx, stats: Stats) -> bytes:
    signups = [week.signups for week in stats.weeks]
    people = [week.new_people for week in stats.weeks]
    return chart.weekly_png(
        context.label("stats.chart_title", count=WEEKS),
        [_week_label(week.monday, context.lang) for week in stats.weeks],
        [
            chart.Series(context.label("stats.series_signups"), signups, chart.BLUE),
            chart.Series(context.label("stats.series_people"), people, chart.ORANGE),
        ],
    )


@staff_only
async def statistics(update: Update, context: Ctx) -> None:
    message = update.effective_message
    assert message is not None
    await context.data.write_behind()  # "active" and the questions count the last second too
    stats = await context.repo.stats.gather(
        context.now(), context.config.scheduler.tz, recent_days=RECENT_DAYS, weeks=WEEKS
    )
    await message.reply_text(context.t("stats.title") + "\n\n" + summary(context, stats))
    signups = sum(week.signups for week in stats.weeks)
    people = sum(week.new_people for week in stats.weeks)
    if not signups and not people:
        await message.reply_text(context.t("stats.chart_empty", count=WEEKS))
        return
    await message.reply_chat_action(ChatAction.UPLOAD_PHOTO)
    try:
        png = await asyncio.to_thread(draw, context, stats)
    except Exception as error:  # the chart is an extra: the figures are already sent
        log.warning("statistics chart failed: %s", type(error).__name__)
        await message.reply_text(context.t("stats.chart_failed"))
        return
    busiest = max(stats.weeks, key=lambda week: week.new_people)
    await message.reply_photo(
        png,
        caption=context.t(
            "stats.chart_caption",
            weeks=context.count("n.last_weeks", WEEKS),
            signups=context.number(signups),
            people=context.number(people),
            busiest=_week_label(busiest.monday, context.lang),
            busiest_people=context.number(busiest.new_people),
        ),
        filename="statistiche.png",
    )


def register(app: Application) -> None:
    app.bot_data.commands.append(CommandSpec("statistiche", "cmd.statistiche", staff=True))
    app.add_handler(CommandHandler("statistiche", statistics))
