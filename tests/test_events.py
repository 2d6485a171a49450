"""Upcoming events and Scuola sessions: list, card, calendar file, map, "Ci sarò"."""

from __future__ import annotations

import shutil
from dataclasses import replace

import pytest

from domain.directory import DATA_DIR
from tests.conftest import STAFF_ID

EVENTS = """
[[event]]
id = "assemblea-2027"
kind = "assemblea"
title = "Assemblea di Rete"
when = "20/03/2027 10:00-12:30"
lab = "spazio-q"
description = "Programma dell'anno <e> bilancio & idee"

[[event]]
id = "festa-pelizza"
kind = "altro"
title = "Festa di quartiere"
when = "15/12/2026 16:00-19:00"
place = "Rione Pelizza, Pavia"
"""


@pytest.fixture
async def events_bot(start_bot, config, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "events.toml").write_text(EVENTS, encoding="utf-8")
    return await start_bot(replace(config, storage=replace(config.storage, data_dir=data)))


async def test_upcoming_events_in_order_with_their_cards(events_bot):
    anna = events_bot.user()
    listing = await anna.send("/eventi")
    assert listing.text.index("Festa di quartiere") < listing.text.index("Assemblea di Rete")
    assert "martedì 15 dicembre 2026, 16:00–19:00" in listing.text
    card = await anna.press("Assemblea di Rete")
    assert "sabato 20 marzo 2027, 10:00–12:30" in card.text
    assert "Spazio Q, Piazzale Torino 40" in card.text
    assert "Programma dell'anno <e> bilancio & idee" in card.text
    assert card.buttons == ["📅 Aggiungi al calendario", "📍 Mostra sulla mappa", "🙋 Ci sarò"]
    ics = await anna.press("📅 Aggiungi al calendario")
    assert b"DTSTART;TZID=Europe/Rome:20270320T100000" in ics[0].payload["file"]["data"]
    venue = await anna.press("📍 Mostra sulla mappa")
    assert venue[0].payload["venue"]["location"] == {"latitude": 45.192, "longitude": 9.175}


async def test_coming_to_the_assemblea_and_what_staff_see(events_bot):
    anna = events_bot.user(first_name="Anna", last_name="Rossi")
    bruno = events_bot.user(first_name="Bruno")
    for person, choice in ((anna, "Sì, con il mio nome"), (bruno, "Contami soltanto")):
        await person.send("/eventi")
        await person.press("Assemblea di Rete")
        asked = await person.press("🙋 Ci sarò")
        assert "con il tuo nome" in asked.text
        done = await person.press(choice)
        assert "Segnato: ci sarai all'incontro «Assemblea di Rete»" in done.text
    staff = events_bot.user(STAFF_ID)
    await staff.send("/eventi")
    card = await staff.press("Assemblea di Rete")
    assert "Hanno detto che ci saranno: 2" in card.text
    assert "Nomi condivisi: Anna Rossi" in card.text and "Bruno" not in card.text
    await anna.send("/eventi")
    again = await anna.press("Assemblea di Rete")
    assert "Non vengo più" in again.buttons
    await anna.press("Non vengo più")
    assert [p.user_id for p in await events_bot.repo.attendances.of_event("assemblea-2027")] == [
        bruno.id
    ]


async def test_the_assemblea_question_gives_the_next_date(events_bot):
    replies = await events_bot.user().send("Quando c'è la prossima assemblea?")
    assert "Assemblea di Rete" in replies.text and "sabato 20 marzo 2027" in replies.text


async def test_no_events_and_stale_buttons(bot):
    anna = bot.user()
    none = await anna.send("/eventi")
    assert "non ci sono incontri in calendario" in none.text
    assert "🔔 Notifiche" in none.buttons
    await anna.press_data("ev:v1:open:e.non-esiste")
    assert anna.callback_answer()["text"] == "Questo incontro non è più in calendario."


async def test_in_a_group_a_staff_member_sees_only_the_public_card(events_bot):
    """Names shared "with staff" go to a staff member's private chat, never to a group."""
    anna = events_bot.user(first_name="Anna", last_name="Rossi")
    await anna.send("/eventi")
    await anna.press("Assemblea di Rete")
    await anna.press("🙋 Ci sarò")
    await anna.press("Sì, con il mio nome")
    staff = events_bot.user(STAFF_ID)
    group = events_bot.group()
    [listing] = await staff.send("/eventi", chat=group)
    assert "➕ Nuovo evento" not in listing.buttons  # staff tools stay private too
    [button] = [b for b in listing.inline_buttons if b["text"] == "Assemblea di Rete"]
    [card] = await staff.press_data(button["callback_data"], listing)
    assert card.chat_id == group.id
    assert "Anna" not in card.plain and "Nomi condivisi" not in card.plain
    assert "Hanno detto che ci saranno" not in card.plain
    assert "✏️ Modifica" not in card.buttons
    await staff.send("/eventi")  # in the private chat, all of it
    private = await staff.press("Assemblea di Rete")
    assert "Nomi condivisi: Anna Rossi" in private.text


async def test_the_calendar_file_is_named_and_filled_for_people(events_bot):
    anna = events_bot.user()
    await anna.send("/eventi")
    await anna.press("Assemblea di Rete")
    [ics] = await anna.press("📅 Aggiungi al calendario")
    assert ics.payload["file"]["file_name"] == "assemblea-di-rete-2027-03-20.ics"
    assert "Aprilo per aggiungere l'incontro al tuo calendario" in ics.plain  # a caption
    data = ics.payload["file"]["data"]
    unfolded = data.replace(b"\r\n ", b"").decode()
    assert "LOCATION:Spazio Q\\, Piazzale Torino 40" in unfolded  # the full address
    assert "https://t.me/LabSocialiPaviaBot" in unfolded  # a way back to the bot
    assert "BEGIN:VTIMEZONE" in unfolded and "TZID:Europe/Rome" in unfolded
    assert len(data) < 2500, len(data)  # the rules around its date, not a century of history
    assert unfolded.count("BEGIN:DAYLIGHT") + unfolded.count("BEGIN:STANDARD") <= 4
