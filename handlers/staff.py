"""Staff tools of the foundation: /stato (version, uptime, people, database, what is waiting)
and /ricarica (the data files read again, checked whole before any is applied)."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import __version__
from bot.context import CommandSpec, Ctx
from bot.guards import staff_only
from bot.i18n import Html, decimal, escape, number
from bot.reminders import replan
from domain.directory import DataError

log = logging.getLogger(__name__)


def uptime(context: Ctx, delta: timedelta) -> str:
    """In words, the two largest units: "3 giorni e 4 ore", "1 hour and 5 minutes"."""
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        parts = [("n.days", days), ("n.hours", hours)]
    elif hours:
        parts = [("n.hours", hours), ("n.minutes", minutes)]
    else:
        parts = [("n.minutes", minutes)]
    shown = [context.count(key, value) for key, value in parts if value]
    if not shown:
        return context.t("status.just_started")
    if len(shown) == 1:
        return shown[0]
    return context.t("status.uptime", first=shown[0], second=shown[1])


def file_size(size: int, lang: str) -> str:
    """In decimal units, as `lang` writes numbers: "992,7 kB" in Italian, "992.7 kB" in English."""
    value = float(size)
    for unit in ("B", "kB", "MB"):
        if value < 1000:
            return f"{number(size, lang)} B" if unit == "B" else f"{decimal(value, lang)} {unit}"
        value /= 1000
    return f"{decimal(value, lang)} GB"


@staff_only
async def status(update: Update, context: Ctx) -> None:
    assert update.effective_message is not None
    db = context.repo.db
    size = sum(p.stat().st_size for p in db.files() if p.exists())
    mode = "sandbox" if not context.config.telegram.has_token else context.config.telegram.mode
    await context.data.write_behind()  # the people met in the last second too
    mail = await context.repo.outbox.by_status()
    sending = await context.repo.announcements.with_status("sending")
    scheduled = await context.repo.announcements.with_status("scheduled")
    await update.effective_message.reply_text(
        context.t(
            "status.text",
            version=__version__,
            uptime=Html(uptime(context, context.now() - context.data.started_at)),
            users=context.number(await context.repo.users.count()),
            db_size=file_size(size, context.lang),
            mode=mode,
            mail_waiting=context.number(mail.get("pending", 0)),
            mail_failed=context.number(mail.get("failed", 0)),
            sending=context.number(len(sending)),
            scheduled=context.number(len(scheduled)),
            last_error=context.data.last_error or "—",
        )
    )


@staff_only
async def reload_command(update: Update, context: Ctx) -> None:
    """Every data file is checked before any is applied: all or nothing."""
    assert update.effective_message is not None
    try:
        steps = [await prepare(context.data) for prepare in context.data.reloaders]
    except DataError as exc:
        problems = "\n".join(f"• {escape(p)}" for p in exc.problems[:20])
        await update.effective_message.reply_text(
            context.t("reload.failed", problems=Html(problems))
        )
        return
    for apply in steps:
        await apply()
    await replan(context.data, context.application)  # events and sessions may have moved
    current = context.data.labs.current
    towns = sum(1 for place in current.places if place.kind == "town")
    await update.effective_message.reply_text(
        context.t(
            "reload.ok",
            labs=len(current.visible),
            places=len(current.places) - towns,
            towns=context.number(towns),
        )
    )
    log.info("lab data reloaded by staff")


def register(app: Application) -> None:
    app.bot_data.commands.extend(
        [
            CommandSpec("stato", "cmd.stato", staff=True),
            CommandSpec("ricarica", "cmd.ricarica", staff=True),
        ]
    )
    app.add_handler(CommandHandler("stato", status))
    app.add_handler(CommandHandler("ricarica", reload_command))
