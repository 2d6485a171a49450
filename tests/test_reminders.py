"""Reminders at the right local times, exactly once, across restarts and daylight saving."""

from __future__ import annotations

import shutil
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.reminders import schedule, tick
from bot.sandbox.telegram import Limits
from domain.directory import DATA_DIR
from tests.conftest import stop
from tests.helpers import EVENTS, ROME, local, reminders_for, subscribe


@pytest.fixture
def events_config(config, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "events.toml").write_text(EVENTS, encoding="utf-8")
    return replace(config, storage=replace(config.storage, data_dir=data))


async def test_reminder_times_across_both_daylight_saving_changes(start_bot, events_config):
    bot = await start_bot(events_config)
    due = {r.key: r.due_at.astimezone(ROME) for r in await bot.repo.reminders.all()}
    assert due["e.assemblea-marzo|7d"] == local("2027-03-21T10:00")
    assert due["e.assemblea-marzo|1d"] == local("2027-03-27T10:00")  # still winter time
    assert due["e.assemblea-marzo|2h"] == local("2027-03-28T08:00")  # summer time, 2 real hours
    assert due["e.assemblea-marzo|2h"].utcoffset().total_seconds() == 7200
    assert due["e.assemblea-ottobre|1d"] == local("2027-10-30T10:00")
    assert due["e.assemblea-ottobre|1d"].utcoffset().total_seconds() == 7200
    assert due["e.assemblea-ottobre|2h"] == local("2027-10-31T08:00")
    assert due["e.assemblea-ottobre|2h"].utcoffset().total_seconds() == 3600
    await stop(bot.app)


def reminder_jobs(bot) -> list[str]:
    jobs = bot.app.job_queue.jobs()
    return sorted(j.name.removeprefix("reminder:") for j in jobs if j.name.startswith("reminder:"))


async def test_exact_time_jobs_only_for_the_next_two_days(start_bot, events_config, clock):
    bot = await start_bot(events_config)
    assert len(await bot.repo.reminders.pending()) == 6
    assert reminder_jobs(bot) == []  # months away: the plan is in the database, no jobs yet
    data = bot.app.bot_data
    clock.set(local("2027-03-20T09:00"))
    assert await schedule(data, bot.app) == 1
    assert reminder_jobs(bot) == ["e.assemblea-marzo|7d"]
    clock.set(local("2027-03-26T12:00"))  # the refresh that runs every day
    assert await schedule(data, bot.app) == 3  # the 7-day one, unsent, is still pending...
    assert reminder_jobs(bot) == ["e.assemblea-marzo|1d", "e.assemblea-marzo|2h"]  # ...and due
    assert await tick(data, bot.app.bot) == 0  # (nobody subscribed)
    assert await schedule(data, bot.app) == 2
    await stop(bot.app)


async def test_sent_once_at_the_right_time(start_bot, events_config, clock):
    bot = await start_bot(events_config)
    anna = bot.user()
    await subscribe(bot, anna)
    clock.set(local("2027-03-21T09:59"))
    assert await tick(bot.app.bot_data, bot.app.bot) == 0
    clock.set(local("2027-03-21T10:00"))
    assert await tick(bot.app.bot_data, bot.app.bot) == 1
    assert await tick(bot.app.bot_data, bot.app.bot) == 0  # never twice
    [text] = reminders_for(bot, anna)
    assert "Promemoria: Assemblea di Rete" in text
    assert "domenica 28 marzo 2027, 10:00–12:00" in text and "Spazio Q" in text
    message = [m for m in bot.api.sent if m.chat_id == anna.id][-1]
    assert message.buttons == [
        "📅 Aggiungi al calendario",
        "📍 Mostra sulla mappa",
        "🔕 Non ricevere più",
    ]
    await stop(bot.app)


async def test_restart_before_during_and_after_a_due_time(start_bot, events_config, clock):
    first = await start_bot(events_config)
    anna = first.user()
    await subscribe(first, anna)
    await stop(first.app)  # down from before the 7-day reminder...
    clock.set(local("2027-03-27T12:00"))  # ...until after the 1-day one: both fell due
    second = await start_bot(events_config)
    second.api.chats = first.api.chats
    assert await tick(second.app.bot_data, second.app.bot) == 1  # the latest of the two
    await stop(second.app)
    clock.set(local("2027-03-28T10:30"))  # back after the event started: the 2h one is stale
    third = await start_bot(events_config)
    third.api.chats = first.api.chats
    assert await tick(third.app.bot_data, third.app.bot) == 0
    status = {r.key: r.status for r in await third.repo.reminders.all()}
    assert status["e.assemblea-marzo|2h"] == "skipped"
    assert status["e.assemblea-marzo|7d"] == "skipped"
    assert status["e.assemblea-marzo|1d"] == "done"
    rows = await third.repo.deliveries.all("reminder:e.assemblea-marzo|1d")
    assert [(d.user_id, d.status) for d in rows] == [(anna.id, "sent")]
    await stop(third.app)


async def test_one_tap_stops_them(start_bot, events_config, clock):
    bot = await start_bot(events_config)
    anna = bot.user()
    await subscribe(bot, anna)
    clock.set(local("2027-03-21T10:00"))
    await tick(bot.app.bot_data, bot.app.bot)
    await anna.press("🔕 Non ricevere più")
    assert "non riceverai più promemoria" in anna.callback_answer()["text"]
    clock.set(local("2027-03-27T10:00"))
    assert await tick(bot.app.bot_data, bot.app.bot) == 0
    assert len(reminders_for(bot, anna)) == 1
    await stop(bot.app)


async def test_people_who_said_they_come_are_reminded(start_bot, events_config, clock):
    bot = await start_bot(events_config)
    bruno = bot.user(first_name="Bruno")
    await bruno.send("/eventi")
    await bruno.press("Assemblea di Rete")
    await bruno.press("🙋 Ci sarò")
    await bruno.press("Contami soltanto")
    clock.set(datetime(2027, 3, 28, 6, 0, tzinfo=UTC))  # 08:00 in Rome, summer time
    assert await tick(bot.app.bot_data, bot.app.bot) == 1  # all three due: only the 2h one
    assert len(reminders_for(bot, bruno)) == 1
    await stop(bot.app)


async def test_scuola_sessions_remind_the_people_signed_up(
    start_bot, config, tmp_path, smtp, clock
):
    from tests.helpers import fill, scuola_config

    bot = await start_bot(scuola_config(config, tmp_path, smtp))
    anna, carlo = bot.user(first_name="Anna"), bot.user(first_name="Carlo")
    await fill(anna)
    await anna.press("✅ Conferma l'iscrizione")
    await carlo.send("/notifiche")  # not signed up: no session reminders for him
    clock.set(local("2026-12-02T17:30"))  # one day before the first session
    assert await tick(bot.app.bot_data, bot.app.bot) == 1
    [text] = reminders_for(bot, anna)
    assert "Scuola dei Laboratori Sociali – Autunno 2026 (1)" in text
    assert "giovedì 3 dicembre 2026, 17:30–19:30" in text
    assert reminders_for(bot, carlo) == []
    await stop(bot.app)


async def test_a_new_session_is_planned_at_once(bot, clock):
    staff = bot.user(555_001)
    await staff.send("/edizioni")
    await staff.press("➕ Nuova edizione")
    await staff.send("Primavera 2027")
    await staff.press("➕ Aggiungi incontro")
    await staff.send("12/03/2027 17:30-19:30")
    await staff.send("Spazio Q")
    await staff.press("➕ Sì, aggiungi l'incontro")
    keys = {r.key.split("|")[1] for r in await bot.repo.reminders.pending()}
    assert keys == {"7d", "1d", "2h"}


async def test_telegram_asking_to_slow_down_delays_but_loses_no_reminder(
    start_bot, events_config, clock
):
    bot = await start_bot(events_config)
    people = [bot.user() for _ in range(12)]
    for person in people:
        await subscribe(bot, person)
    bot.api.limits = Limits(per_second=5)  # Telegram answers 429 with retry_after beyond this
    clock.set(local("2027-03-21T10:00"))
    assert await tick(bot.app.bot_data, bot.app.bot) == 12
    assert all(len(reminders_for(bot, person)) == 1 for person in people)
    assert clock.now() > local("2027-03-21T10:00:01")  # the waits ran on the bot's clock
    assert bot.api.errors and {e.code for _, e in bot.api.errors} == {429}
    bot.api.errors.clear()
    await stop(bot.app)
