"""The e-mail outbox in service: delivered by a repeating job, kicked right after each new
message, and the staff alerted when a message cannot be delivered."""

from __future__ import annotations

from telegram.ext import Application

from bot.context import BotData, Ctx
from bot.mail import FALLBACK_SENDER, Outbox, mailer_for
from handlers.staffchat import tell_staff
from storage.outbox import OutgoingMail

JOB = "outbox:deliver"
INTERVAL_S = 30


def sender(data: BotData) -> str:
    return data.config.smtp.sender or FALLBACK_SENDER


def message_id_domain(data: BotData) -> str:
    address = sender(data).rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] if "@" in address else "labbot.local"


def register(app: Application) -> None:
    data: BotData = app.bot_data

    async def start(data: BotData) -> None:
        async def failed(mail: OutgoingMail, error: str) -> None:
            reference = f"#{mail.id}"
            if mail.signup_id is not None:
                signup = await data.repo.signups.get(mail.signup_id)
                reference = signup.code if signup else reference
            await tell_staff(
                app.bot, data, "mail.undelivered", reference=reference, error=error,
                attempts=mail.attempts + 1,
            )  # fmt: skip

        data.outbox = Outbox(
            data.repo.outbox,
            mailer_for(data.config.smtp),
            data.clock,
            data.config.smtp.max_attempts,
            on_failure=failed,
        )
        if app.job_queue is not None:
            app.job_queue.run_repeating(_deliver, interval=INTERVAL_S, first=5, name=JOB)

    data.startup.append(start)


async def _deliver(context: Ctx) -> None:
    await context.bot_data.outbox.deliver_due()


def kick(context: Ctx) -> None:
    """Deliver soon, without waiting for the next round (the user is answered first)."""
    if context.job_queue is not None:
        context.job_queue.run_once(_deliver, 0, name=f"{JOB}:now")
