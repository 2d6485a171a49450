"""Knowing people off the reply path (`bot.people`): everyone known is in memory from the start,
and what updates say (a new person's row, last seen) is written behind, in one statement, every
second and at stop (with the anonymous record of what was asked, `bot.asked`); a new person's row
is written before anything else of theirs; what a person decides is written before the reply; an
erasure is never undone by what was waiting to be written."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from datetime import timedelta

from bot.sandbox.botapi import BotApiServer
from handlers.privacy import apply_retention
from storage import Database, UsersRepo
from tests.conftest import STAFF_ID, stop
from tests.helpers import (
    STOP_WITHIN_S,
    TOKEN,
    Process,
    assert_clean,
    bot_env,
    every_value,
    exported,
    traces,
)

OFFER = "Se non scegli nulla, non ti scriverò per primo"


async def interactions(bot, user_id: int) -> int:
    return int(await bot.repo.db.scalar("SELECT interactions FROM users WHERE id = ?", (user_id,)))


async def test_a_first_contact_is_written_behind_like_every_later_update(bot, clock):
    anna = bot.user()
    first = await anna.send("/start")
    assert OFFER in first[1].plain  # known as new without asking the database
    t0 = clock.now()
    assert await bot.repo.users.get(anna.id) is None  # her row waits to be written
    assert bot.people.pending == 1
    assert await bot.people.flush() == 1
    stored = await bot.repo.users.get(anna.id)
    assert stored is not None and stored.first_seen == stored.last_seen == t0
    clock.advance(timedelta(minutes=5))
    assert len(await anna.send("/start")) == 1  # known: offered once
    await anna.send("orari di spazio q")
    assert (await bot.repo.users.get(anna.id)).last_seen == t0  # waiting to be written
    assert bot.people.pending == 1
    assert await bot.people.flush() == 1  # one statement for everyone waiting
    stored = await bot.repo.users.get(anna.id)
    assert stored.last_seen == clock.now() and stored.first_seen == t0
    assert await interactions(bot, anna.id) == 3
    assert await bot.people.flush() == 0  # nothing new: nothing written


async def test_a_new_persons_row_is_written_before_anything_else_of_theirs(bot, clock):
    """Only a first update that just gets an answer waits: a second one, a button, a deep link,
    a command write the new person's row first, so nothing of theirs is stored for someone the
    database does not know (the retention would take it for an orphan)."""
    anna = bot.user()
    await anna.send("/start")
    t0 = clock.now()
    clock.advance(timedelta(milliseconds=300))
    await anna.press("⬜ Annunci della rete")  # within the second: her row first
    stored = await bot.repo.users.get(anna.id)
    assert stored is not None and stored.first_seen == t0 and stored.last_seen == clock.now()
    assert await interactions(bot, anna.id) == 2
    assert await bot.repo.subscriptions.topics(anna.id) == {"annunci"}
    assert bot.people.pending == 0
    for first in ("/start lab_spazio-q", "/notifiche", "/iscrizione"):
        person = bot.user()
        await person.send(first)
        assert await bot.repo.users.get(person.id) is not None, first
    for first in ("/start", "orari di spazio q", "/start@LabSocialiPaviaBot"):
        person = bot.user()
        await person.send(first)
        assert await bot.repo.users.get(person.id) is None, first  # within the second
    assert await bot.people.flush() == 3


async def test_after_a_restart_a_known_person_is_not_new(start_bot, config):
    bot = await start_bot(config)
    anna = bot.user()
    await anna.send("/start")
    await stop(bot.app)  # her row is written at stop
    again = await start_bot(config)  # the same database: read into memory at start
    replies = await again.user(anna.id).send("/start")
    assert len(replies) == 1 and OFFER not in replies.text
    assert await again.people.flush() == 1
    assert await interactions(again, anna.id) == 2


async def test_what_a_person_decides_is_written_before_the_reply(bot):
    anna = bot.user(language_code="it")
    await anna.send("/start")
    await anna.press("⬜ Annunci della rete")
    assert await bot.repo.subscriptions.topics(anna.id) == {"annunci"}
    await anna.send("/lingua")
    await anna.press("English")
    stored = await bot.repo.users.get(anna.id)
    assert stored.language == "en" and stored.language_explicit  # no flush needed
    assert "Hi Anna!" in (await anna.send("/start")).text
    anna.data["language_code"] = "it"  # Telegram suggests Italian: her choice stays
    assert "Hi Anna!" in (await anna.send("/start")).text
    await bot.people.flush()
    assert (await bot.repo.users.get(anna.id)).language == "en"


async def test_telegrams_language_is_followed_at_once_and_written_behind(bot):
    marco = bot.user(language_code="it")
    await marco.send("/start")
    await bot.people.flush()
    marco.data["language_code"] = "en"
    assert "Hi " in (await marco.send("/start")).text  # the reply follows at once
    assert (await bot.repo.users.get(marco.id)).language == "it"
    await bot.people.flush()
    assert (await bot.repo.users.get(marco.id)).language == "en"


async def test_a_block_after_the_last_message_stands_and_one_before_it_is_lifted(bot, clock):
    anna = bot.user()
    await anna.send("/start")
    clock.advance(timedelta(seconds=1))
    await anna.send("ciao")  # waiting to be written
    clock.advance(timedelta(seconds=1))
    await bot.repo.users.set_blocked(anna.id, True, clock.now())  # a message to her refused
    await bot.people.flush()
    assert (await bot.repo.users.get(anna.id)).blocked  # her earlier message does not undo it
    clock.advance(timedelta(seconds=1))
    await anna.send("ciao di nuovo")  # writing again means she no longer blocks the bot
    await bot.people.flush()
    assert not (await bot.repo.users.get(anna.id)).blocked


async def test_an_erasure_is_not_undone_by_what_was_waiting_to_be_written(bot, clock):
    anna = bot.user()
    await anna.send("/start")
    await anna.press("⬜ Annunci della rete")
    clock.advance(timedelta(seconds=1))
    await anna.send("orari di spazio q")  # her last seen waits to be written
    assert bot.people.pending == 1
    await anna.send("/cancellami")
    await anna.press("🗑️ Sì, cancella tutto")
    await bot.people.flush()
    assert await bot.repo.users.get(anna.id) is None
    assert traces(await every_value(bot), anna.id, []) == []
    replies = await anna.send("/start")  # she comes back: someone new, as the first time
    assert OFFER in replies.text


async def test_a_flush_crossing_an_erasure_brings_nobody_back(bot, clock):
    """The write-behind has taken its batch, with the person's last seen or their whole new
    row, when the erasure starts: whichever gets the database first, nobody comes back."""

    async def erase(person) -> None:  # as /cancellami does
        await bot.people.erase(person.id)
        await bot.repo.privacy.erase(person.id, set(), clock.now())

    for flush_first in (True, False):
        for new in (True, False):
            person = bot.user()
            await person.send("/start")  # someone new: their whole row waits to be written
            if not new:
                await bot.people.flush()
                clock.advance(timedelta(seconds=1))
                await person.send("orari di spazio q")  # their last seen waits to be written
            assert bot.people.pending == 1
            async with bot.repo.db.transaction():  # the database is busy for a moment
                one = asyncio.create_task(bot.people.flush() if flush_first else erase(person))
                await asyncio.sleep(0)
                two = asyncio.create_task(erase(person) if flush_first else bot.people.flush())
                await asyncio.sleep(0)
                assert not one.done()  # waiting for the database
                # the erasure waits for the flush in flight; after an erasure's start, a
                # flush has nothing of theirs to write and may end at once
                assert two.done() is not flush_first
            await asyncio.gather(one, two)
            assert await bot.repo.users.get(person.id) is None
            assert traces(await every_value(bot), person.id, []) == []
            assert not bot.people.knows(person.id)
            assert OFFER in (await person.send("/start")).text  # new again, not erased
            await bot.people.flush()


async def test_the_statistics_and_the_data_export_count_the_last_second(bot, clock):
    anna = bot.user()
    await anna.send("/start")
    clock.advance(timedelta(days=40))
    await anna.send("orari di spazio q")  # active again, written behind
    stats = await bot.user(STAFF_ID).send("/statistiche")
    assert "Negli ultimi 30 giorni: nuove 1 · attive 2" in stats[0].plain  # staff and Anna
    clock.advance(timedelta(seconds=1))
    await anna.send("grazie")
    data = exported(await anna.send("/miei_dati"))
    assert data["user"]["last_seen"] == clock.now().isoformat(timespec="microseconds")
    assert data["user"]["interactions"] == 4  # /start, two messages, /miei_dati


async def test_the_retention_keeps_who_just_wrote_and_forgets_who_it_deletes(bot, clock):
    anna, bruno = bot.user(), bot.user(first_name="Bruno")
    await anna.send("/start")
    await bruno.send("/start")
    clock.advance(timedelta(days=800))  # past `inactive_months` (24)
    await anna.send("ciao")  # in the last second
    cora = bot.user(first_name="Cora")
    await cora.send("/start")  # new in the last second: her row not written yet
    done = await apply_retention(bot.app.bot_data)
    assert len(await cora.send("/start")) == 1  # still known: no second offer
    assert done["users"] == 1
    assert await bot.repo.users.get(anna.id) is not None
    assert await bot.repo.users.get(bruno.id) is None
    assert OFFER in (await bruno.send("/start")).text  # a new person again, and stored
    await bot.people.flush()
    assert await bot.repo.users.get(bruno.id) is not None


async def test_a_stop_writes_what_was_waiting(start_bot, config, clock):
    bot = await start_bot(config)
    anna, bruno = bot.user(), bot.user()
    await anna.send("/start")
    await bot.people.flush()
    clock.advance(timedelta(minutes=1))
    await anna.send("ciao")
    await bruno.send("/start")  # someone new
    assert bot.people.pending == 2
    await stop(bot.app)
    db = await Database.open(config.storage.path)
    try:
        stored = await UsersRepo(db).get(anna.id)
        assert stored is not None and stored.last_seen == clock.now()
        assert await UsersRepo(db).get(bruno.id) is not None
    finally:
        await db.close()


# --- as a process: killed, or stopped ---------------------------------------------------------


def _row(db_path, user_id: int) -> tuple[str, int, str, int] | None:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT last_seen, interactions, language, language_explicit FROM users WHERE id = ?",
            (user_id,),
        ).fetchone()


def _questions(db_path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT count(*) FROM questions").fetchone()[0]


def _answers(api: BotApiServer) -> int:
    return len(api.sent()) + len(api.sent("editMessageText"))


def _say(api: BotApiServer, text: str, button: bool = False) -> None:
    """Send one update and wait for its answer (a message or an edit)."""
    before = _answers(api)
    if button:
        api.queue_button(42, text)
    else:
        api.queue_message(42, text)
    assert api.wait_for(lambda: _answers(api) > before), f"no answer to {text}"


def test_a_kill_loses_at_most_the_last_second_of_last_seen(tmp_path):
    db_path = tmp_path / "b.db"
    with BotApiServer(TOKEN) as api:
        process = Process([sys.executable, "-m", "bot", "run"], bot_env(api, db_path), tmp_path)
        try:
            _say(api, "/start")
            _say(api, "notify:v1:toggle:annunci", button=True)  # an opt-in
            _say(api, "lang:v1:set:en", button=True)  # a language chosen
            _say(api, "ciao")
            # Within about a second, with no stop and no request, the job writes it behind.
            assert api.wait_for(lambda: _row(db_path, 42)[1] == 4, timeout=10), _row(db_path, 42)
            assert api.wait_for(lambda: _questions(db_path) == 1, timeout=10)  # "ciao", anonymous
            written = _row(db_path, 42)
            _say(api, "ancora ciao")  # answered, then killed without warning
            process.popen.send_signal(signal.SIGKILL)
            process.popen.wait(timeout=30)
        finally:
            if process.popen.poll() is None:
                process.popen.kill()
    last_seen, count, language, explicit = _row(db_path, 42)
    assert (language, explicit) == ("en", 1)  # what she decided is there
    with sqlite3.connect(db_path) as conn:
        topics = conn.execute("SELECT topic FROM subscriptions WHERE user_id = 42").fetchall()
    assert topics == [("annunci",)]
    # At most the last update's "last seen" (and its count, and the anonymous record of what it
    # asked) is lost; all before it is there.
    assert (last_seen, count) == written[:2] or (count == 5 and last_seen > written[0])
    assert _questions(db_path) in (1, 2)


def test_a_clean_stop_writes_everything(tmp_path):
    db_path = tmp_path / "b.db"
    with BotApiServer(TOKEN) as api:
        process = Process([sys.executable, "-m", "bot", "run"], bot_env(api, db_path), tmp_path)
        try:
            _say(api, "/start")
            for n in range(5):
                _say(api, f"ciao {n}")
            process.popen.send_signal(signal.SIGTERM)  # at once: the last ones wait in memory
            process.stop_within(STOP_WITHIN_S)
        finally:
            if process.popen.poll() is None:
                process.popen.kill()
    assert process.popen.returncode == 0, process.log
    assert_clean(process)
    assert _row(db_path, 42)[1] == 6  # every update counted
    assert _questions(db_path) == 5  # and every question recorded
