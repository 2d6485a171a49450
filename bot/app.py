"""`build_application`: the one composition root, and the start/stop lifecycle."""

from __future__ import annotations

import gc
import logging
from dataclasses import replace

from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.ext import (
    Application,
    ApplicationBuilder,
    CallbackContext,
    ContextTypes,
    Defaults,
)
from telegram.request import BaseRequest

from bot import reminders
from bot.asked import Asked
from bot.broadcast import Broadcaster
from bot.budget import SendBudget
from bot.clock import Clock, SystemClock
from bot.config import Config
from bot.context import BotData, Ctx
from bot.flood import FloodGuard
from bot.i18n import Catalog
from bot.mail import Outbox, mailer_for
from bot.people import FLUSH_S, People
from bot.processor import PerChatUpdateProcessor
from bot.profile import publish_profile
from bot.staffchat import tell_staff
from handlers import register_all
from storage import Database, Repos
from storage.outbox import OutgoingMail

log = logging.getLogger(__name__)

SANDBOX_TOKEN = "1:sandbox"
WRITE_BEHIND = "write-behind"  # the job that writes `bot.people` and `bot.asked` every second


def settle_memory() -> None:
    """Once the bot is built: what exists now (the libraries, the directory, the catalogs,
    the matcher: about 60,000 objects) lives as long as the process, so later collections stop
    looking through it (`gc.freeze`). `python -m bot` holds collections back while it imports
    (they cost about a fifth of the import time, looking for garbage among objects that are all
    alive); they resume here. Where they were never held back (the tests start many bots in one
    process), nothing is frozen."""
    if gc.isenabled():
        return
    gc.freeze()  # without a collection first: it would find ~600 objects and cost ~30 ms
    gc.enable()


class LabApplication(Application):
    """PTB's Application, plus the bot's own resources opened and closed with it.

    `initialize` opens the database before anything can arrive, builds the services that need
    it (the mail outbox), runs the features' startup hooks, publishes the command menus and
    resumes broadcasts; `shutdown` stops the background work and closes the database after the
    last update. Tests, the terminal sandbox, polling and webhooks all go through these two, so
    none of them can forget a step.
    """

    async def initialize(self) -> None:
        data: BotData = self.bot_data
        if getattr(data, "repo", None) is None:
            data.repo = Repos.over(await Database.open(data.config.storage.path))
        data.started_at = data.clock.now()
        try:
            data.outbox = Outbox(
                data.repo.outbox,
                mailer_for(data.config.smtp),
                data.clock,
                data.config.smtp.max_attempts,
                on_failure=self._mail_failed,
            )
            data.outbox.run_on(self.job_queue)
            data.people = People(data.repo.users)
            await data.people.load()
            data.asked = Asked(data.repo.questions)
            if self.job_queue is not None:
                self.job_queue.run_repeating(
                    self._write_behind_job, interval=FLUSH_S, first=FLUSH_S, name=WRITE_BEHIND
                )
            for hook in data.startup:
                await hook(data)
            await super().initialize()
        except BaseException:
            await self._close_database()
            raise
        await publish_profile(self)
        await data.broadcaster.start()  # resume what a restart interrupted
        log.info("bot @%s ready (schema %d)", self.bot.username, await data.repo.db.user_version())

    async def stop(self) -> None:
        """Background work (mail, broadcasts, reminders) stops between two items and gives back
        what it holds (it stays queued for the next start), so PTB's wait for running jobs and
        updates in flight is short: a mail server that never answers does not hold the stop."""
        data: BotData = self.bot_data
        data.closing = True
        if isinstance(self.bot.rate_limiter, SendBudget):
            self.bot.rate_limiter.close()  # no send waits out a 429 while the bot stops
        if getattr(data, "outbox", None) is not None:
            data.outbox.stop()
        if self.job_queue is not None:
            # Due every second, it would often fall due inside PTB's stop of the job queue,
            # which then cancels it ("Error running job"); `shutdown` writes behind instead.
            for job in self.job_queue.get_jobs_by_name(WRITE_BEHIND):
                job.schedule_removal()
        await data.broadcaster.close()
        await super().stop()

    async def shutdown(self) -> None:
        data: BotData = self.bot_data
        try:
            data.closing = True
            await data.broadcaster.close()
            await super().shutdown()
        finally:
            await self._write_behind()  # after the last update, before the database closes
            await self._close_database()

    async def _write_behind_job(self, _context: CallbackContext) -> None:
        await self.bot_data.write_behind()

    async def _write_behind(self) -> None:
        """At stop: what is kept in memory for a moment (last seen, questions) is written."""
        data: BotData = self.bot_data
        if getattr(data, "asked", None) is None or getattr(data, "repo", None) is None:
            return
        try:
            written = await data.write_behind()
        except Exception:
            log.exception("what was kept to write behind could not be written")
            return
        if written:
            log.info("written at stop: %d rows kept in memory a moment", written)

    async def _mail_failed(self, mail: OutgoingMail, error: str) -> None:
        """An e-mail the outbox gave up on: the staff chat hears of it (by sign-up code)."""
        data: BotData = self.bot_data
        reference = f"#{mail.id}"
        if mail.signup_id is not None:
            signup = await data.repo.signups.get(mail.signup_id)
            reference = signup.code if signup else reference
        await tell_staff(
            self.bot, data, "mail.undelivered", reference=reference, error=error,
            count=mail.attempts + 1,
        )  # fmt: skip

    async def _close_database(self) -> None:
        data: BotData = self.bot_data
        repo = getattr(data, "repo", None)
        if repo is not None:
            data.repo = None  # type: ignore[assignment]
            await repo.db.close()
            log.info("database closed")


def build_application(
    config: Config,
    *,
    request: BaseRequest | None = None,
    clock: Clock | None = None,
    texts: Catalog | None = None,
) -> Application:
    """Wire the whole bot. `request` replaces the network (the sandbox, the tests)."""
    tz = config.scheduler.tz
    clock = clock or SystemClock()
    builder = (
        ApplicationBuilder()
        .token(config.telegram.token or SANDBOX_TOKEN)
        .base_url(config.telegram.base_url)
        .base_file_url(config.telegram.base_file_url)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                tzinfo=tz,
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .context_types(ContextTypes(context=Ctx, bot_data=BotData))
        .concurrent_updates(PerChatUpdateProcessor(64))
        .application_class(LabApplication)
    )
    if request is not None:
        builder = builder.request(request).get_updates_request(request)
    # One budget for replies, announcements and reminders (its `rate_limit_args` are str).
    app: Application = (
        builder.rate_limiter(SendBudget(clock)).build()
        if config.telegram.rate_limit
        else builder.build()
    )
    data: BotData = app.bot_data
    data.config = config
    data.clock = clock
    data.texts = texts or Catalog.load()
    data.flood_guard = FloodGuard(config.abuse, data.clock)
    data.broadcaster = Broadcaster(data, app.bot, app.job_queue)
    register_all(app)
    reminders.install(app)  # after the features: its plan is made from their events
    settle_memory()
    return app


def sandbox_config(config: Config, staff_id: int) -> Config:
    """The configuration the local sandbox runs with: its own database, a demo staff member who
    is also an administrator (so every staff tool, /staff included, can be tried)."""
    path = config.storage.path
    sandbox_path = path.with_name(f"{path.stem}.sandbox{path.suffix}")
    staff = tuple(dict.fromkeys((*config.telegram.staff_ids, staff_id)))
    admins = tuple(dict.fromkeys((*config.telegram.admin_ids, staff_id)))
    return replace(
        config,
        telegram=replace(config.telegram, staff_ids=staff, admin_ids=admins, rate_limit=False),
        storage=replace(config.storage, path=sandbox_path),
    )
