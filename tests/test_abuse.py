"""A flood from one person is paused politely; groups never see personal data or staff tools."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from telegram import Update

from tests.conftest import STAFF_ID


async def test_a_burst_gets_one_polite_answer_and_others_are_unaffected(start_bot, config, clock):
    bot = await start_bot(replace(config, abuse=replace(config.abuse, flood_updates=20)))
    flooder, neighbour = bot.user(), bot.user()
    for n in range(20):
        assert await flooder.send(f"spazio q {n}")  # answered: within the limit
        clock.advance(timedelta(milliseconds=100))
    slow_down = await flooder.send("ancora")
    assert [m.plain for m in slow_down] == [
        "🐢 Piano piano! Mi stanno arrivando troppi messaggi tutti insieme: per 60 secondi non "
        "rispondo, poi riprendiamo con calma."
    ]
    await bot.people.flush()
    last_seen = (await bot.repo.users.get(flooder.id)).last_seen
    clock.advance(timedelta(seconds=1))
    for _ in range(30):
        assert await flooder.send("ancora") == []  # ignored, not even stored
    await flooder.press_data("lab:v1:list")
    assert await bot.people.flush() == 0  # nothing of it is even waiting to be written
    assert (await bot.repo.users.get(flooder.id)).last_seen == last_seen
    assert "Spazio Q" in (await neighbour.send("orari di spazio q")).text  # nobody else waits
    clock.advance(timedelta(seconds=61))
    assert "Spazio Q" in (await flooder.send("orari di spazio q")).text  # the pause is over


async def test_groups_get_a_link_instead_of_anything_personal(bot):
    group = bot.group()
    staff = bot.user(STAFF_ID)
    anna = bot.user()
    for command in ("/mie_iscrizioni", "/notifiche", "/scuola", "/iscrizioni", "/annuncio",
                    "/domande", "/stato", "/miei_dati@LabSocialiPaviaBot"):  # fmt: skip
        for person in (anna, staff):
            replies = await person.send(command, chat=group)
            assert [m.kind for m in replies] == ["text"], command
            assert "scrivimi in privato" in replies.text, command
            assert "?start=" in replies[0].inline_buttons[0]["url"]
    assert [m.kind for m in await anna.send("/laboratori", chat=group)]  # public: answered
    assert await anna.send("/stato@AltroBot", chat=group) == []  # another bot's command
    assert await bot.repo.signups.of_user(anna.id) == []


STAFF_COMMANDS = (
    *("/domande", "/statistiche", "/stato", "/iscrizioni", "/qr", "/annuncio", "/edizioni"),
    *("/evento", "/staff", "/ricarica", "/mie_iscrizioni", "/miei_dati"),
)


@pytest.mark.parametrize("command", STAFF_COMMANDS)
async def test_a_message_edited_into_a_command_is_guarded_in_groups_too(bot, command):
    """Edited messages carry commands too: the group guard sees them as it sees new ones."""
    group = bot.group()
    staff = bot.user(STAFF_ID)
    await staff.send("ciao a tutti", chat=group)
    mine = staff.last_sent(group)
    replies = await staff.edit(mine.message_id, command, chat=group)
    assert [m.chat_id for m in replies] == [group.id], replies.text
    assert "scrivimi in privato" in replies.text
    assert "Stato del bot" not in replies.text and "riservato" not in replies.text
    assert bot.app.user_data.get(STAFF_ID, {}) == {}  # no flow opened in the group


async def test_a_chat_flooding_holds_one_slot_and_the_others_are_served_first(start_bot, config):
    """400 taps from one person arrive together, then someone else's /help: the bot answers
    /help without waiting for the flood (PTB took a slot before the chat's turn, so one chat
    could hold all 64 and /help came after all 400)."""
    bot = await start_bot(replace(config, abuse=replace(config.abuse, flood_updates=20)))
    flooder, neighbour = bot.user(), bot.user()
    await flooder.send("/laboratori")
    await neighbour.send("/start")
    await bot.people.flush()  # her row is written: her /help waits for no database
    app, before = bot.app, len(bot.api.calls)
    for _ in range(400):
        update = flooder.tap_update("lab:v0:list")  # taps on an old button: answered, no edit
        app.update_queue.put_nowait(Update.de_json(update, app.bot))
    app.update_queue.put_nowait(Update.de_json(neighbour.message_update("/help"), app.bot))
    await app.update_queue.join()
    calls = bot.api.calls[before:]
    helped = next(
        n for n, (method, params) in enumerate(calls)
        if method == "sendMessage" and int(params["chat_id"]) == neighbour.id
    )  # fmt: skip
    taps_first = sum(1 for method, _ in calls[:helped] if method == "answerCallbackQuery")
    assert taps_first <= 2, taps_first  # the flooder's first tap may be under way
    assert sum(1 for method, _ in calls if method == "answerCallbackQuery") == 400  # none lost
