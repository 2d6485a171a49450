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
from bot.i18n import Html, escape
from domain.directory import DataError
from handlers.reminders import replan

log = logging.getLogger(__name__)


def human_duration(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


@staff_only
async def status(update: Update, context: Ctx) -> None:
    assert update.effective_message is not None
    db = context.repo.db
    size = sum(p.stat().st_size for p in db.files() if p.exists())
    mode = "sandbox" if not context.config.telegram.has_token else context.config.telegram.mode
    mail = await context.repo.outbox.by_status()
    sending = await context.repo.announcements.with_status("sending")
    scheduled = await context.repo.announcements.with_status("scheduled")
    await update.effective_message.reply_text(
        context.t(
            "status.text",
            version=__version__,
            uptime=human_duration(context.now() - context.data.started_at),
            users=await context.repo.users.count(),
            db_size=human_size(size),
            mode=mode,
            mail_waiting=mail.get("pending", 0),
            mail_failed=mail.get("failed", 0),
            sending=len(sending),
            scheduled=len(scheduled),
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
    await update.effective_message.reply_text(
        context.t("reload.ok", labs=len(current.visible), places=len(current.places))
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
