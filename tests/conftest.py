"""Fixtures: the real Application, a real SQLite file, the sandbox in place of Telegram."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import build_application
from bot.clock import ManualClock
from bot.config import AbuseConfig, Config, StorageConfig, TelegramConfig
from bot.fake_telegram import FakeTelegram
from bot.sandbox import Sandbox
from tests.smtp import SmtpServer

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


async def _start(config: Config, clock: ManualClock) -> tuple[Harness, object]:
    api = FakeTelegram(clock=clock)
    app = build_application(config, request=api, clock=clock)
    harness = Harness(app, api)
    for staff_id in config.telegram.staff_ids:  # staff have written to the bot before
        api.ensure_private_chat({"id": staff_id, "is_bot": False, "first_name": "Staff"})

    async def collect(update: object, context) -> None:
        harness.handler_errors.append(context.error)

    app.add_error_handler(collect)
    await app.initialize()
    await app.start()  # as in production (updates are fed directly)...
    app.job_queue.scheduler.pause()  # ...but tests run scheduled jobs themselves: no sleeps
    return harness, app


@pytest.fixture
async def bot(config: Config, clock: ManualClock) -> AsyncIterator[Harness]:
    """A started bot. Fails the test if a handler raised or Telegram refused a request."""
    harness, app = await _start(config, clock)
    try:
        yield harness
    finally:
        await stop(app)
    assert not harness.handler_errors, f"handlers raised: {harness.handler_errors!r}"
    assert not harness.api.errors, f"Telegram would refuse: {harness.api.errors!r}"


@pytest.fixture
async def start_bot(clock: ManualClock):
    """For tests that restart the bot or change its configuration: `await start_bot(config)`.
    Whatever a test left running is stopped at its end."""
    running: list = []

    async def starter(config: Config) -> Harness:
        harness, app = await _start(config, clock)
        running.append(app)
        return harness

    yield starter
    for app in running:
        if app.bot_data.repo is not None:
            await stop(app)


@pytest.fixture
def smtp():
    """A real SMTP server on 127.0.0.1 for the length of a test."""
    server = SmtpServer().start()
    yield server
    server.stop()


def with_staff(config: Config, *ids: int) -> Config:
    return replace(config, telegram=replace(config.telegram, staff_ids=ids))
