"""Fixtures: the real Application, a real SQLite file, the sandbox in place of Telegram."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import build_application
from bot.clock import ManualClock
from bot.config import AbuseConfig, Config, StorageConfig, TelegramConfig
from bot.sandbox.smtp import SmtpServer
from bot.sandbox.telegram import FakeTelegram, Limits
from bot.sandbox.users import Sandbox

STAFF_ID = 555_001


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(
        telegram=TelegramConfig(staff_ids=(STAFF_ID,), rate_limit=False),
        storage=StorageConfig(path=tmp_path / "bot.sqlite3"),
        # Tests play many updates at one instant of their clock: the flood guard has its own.
        abuse=AbuseConfig(flood_updates=0),
        source="tests",
    )


async def stop(app) -> None:
    if app.running:
        await app.stop()
    await app.shutdown()


class Harness(Sandbox):
    """The sandbox plus what tests check after every run."""

    def __init__(self, app, api: FakeTelegram):
        super().__init__(app, api)
        self.handler_errors: list[BaseException] = []

    @property
    def repo(self):
        return self.app.bot_data.repo

    async def write_behind(self) -> int:
        """Write what the bot keeps in memory for a moment (`BotData.write_behind`), as its job
        does every second in service (the job queue is paused in tests)."""
        return await self.app.bot_data.write_behind()

    @property
    def people(self):
        """Who the bot knows, written behind (`bot.people`): tests flush it themselves, as
        its job does every second in service (the job queue is paused in tests)."""
        return self.app.bot_data.people

    def check(self) -> None:
        """Fail unless no handler raised and Telegram refused no request. A test that provokes
        either on purpose asserts on it, then takes it out of `handler_errors` or `api.errors`."""
        assert not self.handler_errors, f"handlers raised: {self.handler_errors!r}"
        assert not self.api.errors, f"Telegram would refuse: {self.api.errors!r}"


async def _start(
    config: Config, clock: ManualClock, limits: Limits | None = None
) -> tuple[Harness, object]:
    api = FakeTelegram(clock=clock, limits=limits)
    app = build_application(config, request=api, clock=clock)
    harness = Harness(app, api)
    staff = (*config.telegram.staff_ids, *config.telegram.admin_ids)  # admins are staff too
    for staff_id in staff:  # staff have written to the bot before
        api.ensure_private_chat({"id": staff_id, "is_bot": False, "first_name": "Staff"})

    async def collect(update: object, context) -> None:
        harness.handler_errors.append(context.error)

    app.add_error_handler(collect)
    await app.initialize()
    await app.start()  # as in production (updates are fed directly)...
    app.job_queue.scheduler.pause()  # ...but tests run scheduled jobs themselves: no sleeps
    return harness, app


@pytest.fixture
async def start_bot(clock: ManualClock):
    """For tests that restart the bot or change its configuration: `await start_bot(config)`.
    At the end of the test, whatever it left running is stopped, and every bot it started is
    checked (`Harness.check`): a handler that raised or a request Telegram would refuse fails it."""
    started: list[Harness] = []

    async def starter(config: Config, *, limits: Limits | None = None) -> Harness:
        """`limits`: the fake Telegram answers 429 past them, as Telegram does."""
        harness, _ = await _start(config, clock, limits)
        started.append(harness)
        return harness

    yield starter
    for harness in started:
        if harness.app.bot_data.repo is not None:
            await stop(harness.app)
    for harness in started:
        harness.check()


@pytest.fixture
async def bot(start_bot, config: Config) -> Harness:
    """A started bot, stopped and checked like those of `start_bot`."""
    return await start_bot(config)


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1 for the length of a test."""
    server = SmtpServer().start()
    yield server
    server.stop()


def with_staff(config: Config, *ids: int) -> Config:
    return replace(config, telegram=replace(config.telegram, staff_ids=ids))
