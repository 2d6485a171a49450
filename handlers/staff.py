"""Staff tools of the foundation: /stato (version, uptime, people, database)."""

from __future__ import annotations

from datetime import timedelta

from telegram import Update
from telegram.ext import Application, CommandHandler

from bot import __version__
from bot.context import CommandSpec, Ctx
from bot.guards import staff_only


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


def register(app: Application) -> None:
    app.bot_data.commands.append(CommandSpec("stato", "cmd.stato", staff=True))
    app.add_handler(CommandHandler("stato", status))
