"""Blocked is not unreachable. Telegram answers 403 "Forbidden: bot was blocked by the user" to a
person who blocked the bot: only that marks them as blocked (and leaves them out of later sends).
A chat Telegram does not know (400 "Bad Request: chat not found": the person never started the
bot) or a closed account (403 "Forbidden: user is deactivated") is a failed delivery, recorded as
such, and the person is not said to have blocked the bot."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from bot.reminders import tick
from domain.directory import DATA_DIR
from tests.conftest import STAFF_ID
from tests.helpers import (
    EVENTS,
    create_edition,
    local,
    received,
    reminders_for,
    subscribe,
    subscribers,
    write,
)


async def blocked(bot, person) -> bool:
    user = await bot.repo.users.get(person.id)
    assert user is not None
    return user.blocked


def refusals(bot) -> list[str]:
    """What Telegram refused, then forgotten: these tests provoke refusals on purpose."""
    found = sorted(f"{e.code} {e.description}" for _, e in bot.api.errors)
    bot.api.errors.clear()
    return found


REFUSED = [
    "400 Bad Request: chat not found",
    "403 Forbidden: bot was blocked by the user",
    "403 Forbidden: user is deactivated",
]


def unreachable_in_three_ways(bot, gone, blocking, closed) -> None:
    del bot.api.chats[gone.id]  # Telegram knows no such chat
    blocking.chat.blocked = True
    closed.chat.deactivated = True


async def test_an_announcement_records_a_block_apart_from_a_failed_delivery(bot):
    gone, blocking, closed, anna = await subscribers(bot, 4)
    unreachable_in_three_ways(bot, gone, blocking, closed)
    staff = bot.user(STAFF_ID)
    await write(staff, "Festa di quartiere")
    await staff.press("📤 Invia ora a 4")
    await bot.app.bot_data.broadcaster.idle()
    assert len(received(bot, anna)) == 1
    [done] = await bot.repo.announcements.with_status("done")
    assert await bot.repo.deliveries.counts(done.job) == {"sent": 1, "blocked": 1, "failed": 2}
    assert await blocked(bot, blocking)
    assert not await blocked(bot, gone) and not await blocked(bot, closed)
    assert refusals(bot) == REFUSED
    # Only the person who blocked the bot is left out of the next one.
    replies = await write(staff, "Di nuovo")
    assert "📤 Invia ora a 3" in replies.buttons


@pytest.fixture
def events_config(config, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "events.toml").write_text(EVENTS, encoding="utf-8")
    return replace(config, storage=replace(config.storage, data_dir=data))


async def test_a_reminder_records_a_block_apart_from_a_failed_delivery(
    start_bot, events_config, clock
):
    bot = await start_bot(events_config)
    gone, blocking, closed, anna = (bot.user() for _ in range(4))
    for person in (gone, blocking, closed, anna):
        await subscribe(bot, person)
    unreachable_in_three_ways(bot, gone, blocking, closed)
    clock.set(local("2027-03-21T10:00"))
    assert await tick(bot.app.bot_data, bot.app.bot) == 1
    assert len(reminders_for(bot, anna)) == 1
    counts = await bot.repo.deliveries.counts("reminder:e.assemblea-marzo|7d")
    assert counts == {"sent": 1, "blocked": 1, "failed": 2}
    assert await blocked(bot, blocking)
    assert not await blocked(bot, gone) and not await blocked(bot, closed)
    assert refusals(bot) == REFUSED


async def test_a_refused_reply_marks_a_block_only_when_it_is_one(bot):
    closed, blocking = bot.user(), bot.user()
    await closed.send("/start")
    await blocking.send("/start")
    closed.chat.deactivated = True
    blocking.chat.blocked = True
    await closed.send("/help")
    await blocking.send("/help")
    assert [type(e).__name__ for e in bot.handler_errors] == ["Forbidden", "Forbidden"]
    bot.handler_errors.clear()
    assert await blocked(bot, blocking) and not await blocked(bot, closed)
    assert refusals(bot) == REFUSED[1:]


async def test_the_opening_of_an_edition_marks_a_block_only_when_it_is_one(bot):
    gone, blocking, closed, anna = (bot.user() for _ in range(4))
    for person in (gone, blocking, closed, anna):
        await person.send("/scuola")
        await person.press("🔔 Avvisami quando si aprono le iscrizioni")
    unreachable_in_three_ways(bot, gone, blocking, closed)
    staff = bot.user(STAFF_ID)
    await create_edition(staff)
    await staff.press("➕ Aggiungi incontro")
    await staff.send("12/03/2027 17:30-19:30")
    await staff.send("Spazio Q, Piazzale Torino 40, Pavia")
    await staff.press("➕ Sì, aggiungi l'incontro")
    before = len(bot.api.sent)
    await staff.press("🟢 Apri le iscrizioni")
    told = [m for m in bot.api.sent[before:] if m.chat_id == anna.id]
    assert "Sono aperte le iscrizioni" in told[0].plain
    assert await blocked(bot, blocking)
    assert not await blocked(bot, gone) and not await blocked(bot, closed)
    assert refusals(bot) == REFUSED
