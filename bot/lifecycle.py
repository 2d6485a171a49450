"""Running the bot against Telegram, from start to a clean stop, however it is told to stop.

PTB's `run_polling`/`run_webhook` turn a stop signal into `SystemExit` raised wherever the loop
happens to be; a second signal (a process group signalled, with `make` forwarding it too) then
fires inside the shutdown itself, skips the rest of it and leaves the database open. Here one
signal handler only *asks* to stop (an `asyncio.Event`); a second one changes nothing. The stop
then runs in order (no new updates, the ones in flight finish, background work gives back what
it holds, the database is closed) inside `finally`, so nothing can skip it.

Telegram unreachable at start (DNS, a network that is down) is retried with growing pauses and
one log line per attempt, until it answers or a stop is asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from telegram import Update
from telegram.error import BadRequest, NetworkError, TelegramError
from telegram.ext import Application

from bot.config import Config

log = logging.getLogger(__name__)

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)
UPDATER_STOP_S = 2.0
FIRST_RETRY_S = 1.0
MAX_RETRY_S = 60.0


class StopRequest:
    """The one way to ask the bot to stop: idempotent, safe from a signal handler."""

    def __init__(self) -> None:
        self.event = asyncio.Event()

    def __call__(self, reason: str) -> None:
        if self.event.is_set():
            log.info("%s: already stopping", reason)
            return
        log.info("%s: stopping", reason)
        self.event.set()

    def install(self, loop: asyncio.AbstractEventLoop) -> None:
        for signum in STOP_SIGNALS:
            loop.add_signal_handler(signum, self, signal.Signals(signum).name)

    async def wait(self, seconds: float) -> bool:
        """Wait up to `seconds`; True if a stop was asked for meanwhile."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.event.wait(), seconds)
        return self.event.is_set()


async def reach_telegram(
    connect: Callable[[], Awaitable[object]],
    stop: StopRequest,
    *,
    first_retry_s: float = FIRST_RETRY_S,
    max_retry_s: float = MAX_RETRY_S,
) -> bool:
    """Call `connect` until Telegram answers; False if a stop was asked for first. A refused
    token or request is not a network problem: it is raised at once."""
    delay, attempt = first_retry_s, 1
    while True:
        try:
            await connect()
            return True
        except BadRequest:
            raise
        except NetworkError as exc:
            log.warning(
                "Telegram cannot be reached (attempt %d: %s); trying again in %.0f s",
                attempt, exc.message, delay,
            )  # fmt: skip
        if await stop.wait(delay):
            return False
        delay, attempt = min(delay * 2, max_retry_s), attempt + 1


async def serve(app: Application, config: Config) -> None:
    """Run until a stop is asked for (SIGINT or SIGTERM, any number of times)."""
    stop = StopRequest()
    stop.install(asyncio.get_running_loop())
    telegram = config.telegram
    try:
        if not await reach_telegram(app.bot.initialize, stop):
            return
        await app.initialize()  # the database, the features' startup, the menus
        assert app.updater is not None
        if telegram.mode == "webhook":
            log.info("starting in webhook mode on %s:%s", telegram.webhook_listen,
                     telegram.webhook_port)  # fmt: skip
            await app.updater.start_webhook(
                listen=telegram.webhook_listen,
                port=telegram.webhook_port,
                url_path="telegram",
                webhook_url=telegram.webhook_url,
                secret_token=telegram.webhook_secret or None,
                allowed_updates=Update.ALL_TYPES,
            )
        else:
            log.info("starting in polling mode")
            await app.updater.start_polling(
                allowed_updates=Update.ALL_TYPES, error_callback=_polling_failed
            )
        await app.start()
        await stop.event.wait()
    finally:
        await _stop(app)


def _polling_failed(error: TelegramError) -> None:
    """One line per failed poll (PTB would log a traceback each time); PTB tries again."""
    log.warning("Telegram cannot be reached while polling (%s); trying again", error.message)


async def _stop(app: Application) -> None:
    """Each step runs whatever happened to the one before it; the database is closed last."""
    try:
        if app.updater is not None and app.updater.running:
            await _stop_updater(app)  # no new updates
    finally:
        try:
            if app.running:
                await app.stop()  # updates in flight finish; background work gives back
        finally:
            await app.shutdown()  # LabApplication closes the database in its own `finally`


async def _stop_updater(app: Application) -> None:
    """PTB's polling, during an outage, sleeps up to 30 s between tries and stops only after
    that sleep: the stop goes on without it after UPDATER_STOP_S (nothing is lost: the updates
    it would have fetched stay with Telegram for the next start)."""
    assert app.updater is not None
    stopping = asyncio.create_task(app.updater.stop())
    done, _ = await asyncio.wait({stopping}, timeout=UPDATER_STOP_S)
    if not done:
        log.warning("Telegram did not answer in time: stopping without waiting for it")
        stopping.cancel()  # at the end, asyncio.run cancels whatever is left of it
        await asyncio.wait({stopping}, timeout=1.0)
    elif stopping.exception() is not None:
        log.warning("polling did not stop cleanly: %s", stopping.exception())
