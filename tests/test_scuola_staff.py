"""Staff run the Scuola from the chat: editions, places, the CSV of sign-ups."""

from __future__ import annotations

import csv
import io
from zoneinfo import ZoneInfo

import pytest

from tests.conftest import STAFF_ID, stop
from tests.helpers import create_edition, deliver_all, fill, scuola_config

ROME = ZoneInfo("Europe/Rome")


@pytest.mark.parametrize(
    ("typed", "complaint"),
    [
        ("31/02/2027 17:00-19:00", "Questo giorno non esiste"),
        ("28/03/2027 02:15-03:30", "gli orologi passano dalle 2:00 alle 3:00"),
        ("31/10/2027 02:30-04:00", "capita due volte"),
        ("01/01/2025 17:00-19:00", "già passata"),
        ("12/03/2027 19:00-17:00", "La fine deve venire dopo l'inizio"),
        ("giovedì prossimo", "Non riconosco la data"),
    ],
)
async def test_impossible_session_times_are_refused(bot, typed, complaint):
    staff = bot.user(STAFF_ID)
    await create_edition(staff)
    await staff.press("➕ Aggiungi incontro")
    assert complaint in (await staff.send(typed)).text


async def test_staff_create_an_edition_and_subscribers_hear_when_it_opens(bot):
    citizen = bot.user(first_name="Anna")
    await citizen.send("/scuola")
    await citizen.press("🔔 Avvisami quando si aprono le iscrizioni")

    staff = bot.user(STAFF_ID)
    await create_edition(staff)
    refused = await staff.press("🟢 Apri le iscrizioni")
    assert "aggiungi almeno un incontro" in refused.text
    await staff.press("➕ Aggiungi incontro")
    await staff.send("12/03/2027 17:30-19:30")
    await staff.send("Spazio Q, Piazzale Torino 40, Pavia")
    menu = await staff.press("➕ Sì, aggiungi l'incontro")
    assert "venerdì 12 marzo 2027, 17:30–19:30 — Spazio Q" in menu.text
    await staff.press("👥 Posti")
    assert "Scrivi un numero" in (await staff.send("tanti")).text
    await staff.send("25")
    await staff.press("⏰ Scadenza iscrizioni")
    await staff.send("01/03/2027")
    before = len(bot.api.sent)
    opened = await staff.press("🟢 Apri le iscrizioni")
    assert "🟢 iscrizioni aperte" in opened.text
    told = [m for m in bot.api.sent[before:] if m.chat_id == citizen.id]
    assert "Sono aperte le iscrizioni" in told[0].plain
    assert "✍️ Iscriviti: Primavera 2027" in told[0].buttons
    view = await citizen.send("/scuola")
    assert "25 posti liberi su 25" in view.text
    assert "Iscrizioni entro lunedì 1 marzo 2027" in view.text
    await staff.press("✅ Fine")


async def test_a_title_typed_on_two_lines_does_not_break_the_sign_ups(
    start_bot, config, tmp_path, smtp
):
    """The title goes into the organisers' e-mail's Subject, where a line break used to make
    every sign-up to the edition fail. Single-line fields are folded to one line as typed."""
    bot = await start_bot(scuola_config(config, tmp_path, smtp))
    staff = bot.user(STAFF_ID)
    await staff.send("/edizioni")
    await staff.press("➕ Nuova edizione")
    menu = await staff.send("Primavera\n2027 ")
    assert "Primavera 2027" in menu.text
    await staff.press("➕ Aggiungi incontro")
    await staff.send("12/03/2027 17:30-19:30")
    await staff.send("Spazio Q,\nPiazzale Torino 40")
    menu = await staff.press("➕ Sì, aggiungi l'incontro")
    assert "venerdì 12 marzo 2027, 17:30–19:30 — Spazio Q, Piazzale Torino 40" in menu.text
    await staff.press("🟢 Apri le iscrizioni")
    await staff.press("✅ Fine")
    [edition] = [e for e in await bot.repo.editions.all() if e.id != "autunno-2026"]
    assert edition.title == "Primavera 2027"
    assert edition.sessions[0].place == "Spazio Q, Piazzale Torino 40"

    anna = bot.user()
    await fill(anna, edition="Primavera 2027")
    await anna.press("✏️ Modifica un dato")
    await anna.press("Organizzazione")
    await anna.send("Cooperativa\nIl Sole")
    done = await anna.press("✅ Conferma l'iscrizione")
    assert "SLS-2027-0001" in done.text  # the year it takes place, not of the sign-up
    await deliver_all(bot)
    [mail] = smtp.received
    assert mail["Subject"] == (
        "Iscrizione Scuola dei Laboratori Sociali – Primavera 2027 – Anna Rossi"
    )
    [signup] = await bot.repo.signups.of_edition(edition.id)
    assert signup.organisation == "Cooperativa Il Sole"
    await stop(bot.app)


async def test_a_deadline_after_the_last_session_is_refused(bot):
    staff = bot.user(STAFF_ID)
    await create_edition(staff)
    await staff.press("⏰ Scadenza iscrizioni")
    await staff.send("20/03/2027")  # no session yet: any future day will do
    await staff.press("➕ Aggiungi incontro")
    await staff.send("05/03/2027 17:30-19:30")
    await staff.send("Spazio Q")
    await staff.press("➕ Sì, aggiungi l'incontro")
    await staff.press("➕ Aggiungi incontro")
    await staff.send("12/03/2027 17:30-19:30")
    await staff.send("Spazio Q")
    await staff.press("➕ Sì, aggiungi l'incontro")
    await staff.press("⏰ Scadenza iscrizioni")
    refused = await staff.send("13/03/2027")
    assert "non può venire dopo l'ultimo incontro (venerdì 12 marzo 2027)" in refused.text
    menu = await staff.send("12/03/2027")  # asked again; the day of the last session is fine
    assert "Iscrizioni entro venerdì 12 marzo 2027" in menu.text
    [edition] = await bot.repo.editions.all()
    assert edition.deadline is not None and f"{edition.deadline:%Y-%m-%d}" == "2027-03-12"


async def test_more_places_promote_the_waiting_list(start_bot, config, tmp_path, smtp):
    bot = await start_bot(scuola_config(config, tmp_path, smtp, capacity=1))
    people = [bot.user(700_000 + i) for i in range(3)]
    for i, person in enumerate(people):
        await fill(person, first=["Anna", "Bruno", "Carla"][i], email=f"x{i}@example.org")
        await person.press("✅ Conferma l'iscrizione")
    editions = await bot.repo.editions.all()
    # editions from data/scuola.toml are read-only in the chat; make this one a chat edition
    from dataclasses import replace

    await bot.repo.editions.save(replace(editions[0], origin="chat"), bot.app.bot_data.clock.now())
    staff = bot.user(STAFF_ID)
    await staff.send("/edizioni")
    await staff.press("Autunno 2026")
    await staff.press("👥 Posti")
    await staff.send("2")
    statuses = [s.status for s in await bot.repo.signups.of_edition("autunno-2026")]
    assert statuses == ["confirmed", "confirmed", "waiting"]
    assert any(
        "Si è liberato un posto" in m.plain for m in bot.api.sent if m.chat_id == people[1].id
    )
    await deliver_all(bot)
    assert sum("Posto liberato" in m["Subject"] for m in smtp.received) == 1
    await stop(bot.app)


async def test_editions_from_the_data_file_are_read_only(start_bot, config, tmp_path, smtp):
    bot = await start_bot(scuola_config(config, tmp_path, smtp))
    staff = bot.user(STAFF_ID)
    await staff.send("/edizioni")
    view = await staff.press("Autunno 2026")
    assert view == [] and "data/scuola.toml" in staff.last().plain
    assert "👥 Posti" not in staff.last().buttons
    await staff.press_data("edizioni:v1:field:capacity", staff.last())
    assert "nel file" in staff.callback_answer()["text"]
    await stop(bot.app)


async def test_the_csv_opens_in_excel(start_bot, config, tmp_path, smtp):
    bot = await start_bot(scuola_config(config, tmp_path, smtp, capacity=1))
    anna, bruno = bot.user(800_001), bot.user(800_002)
    await fill(anna, first="Anna Maria", last="D'Alò", email="anna@example.org")
    await anna.press("✅ Conferma l'iscrizione")
    await fill(bruno, first="Bruno", last="Rossi", email="bruno@example.org")
    await bruno.press("✏️ Modifica un dato")
    await bruno.press("Nota")
    await bruno.send('=HYPERLINK("http://x";"clic"); <b>ciao</b>')
    await bruno.press("✅ Conferma l'iscrizione")
    staff = bot.user(STAFF_ID)
    counts = await staff.send("/iscrizioni")
    assert "Autunno 2026: confermate: 1 · in attesa: 1 · annullate: 0 (posti: 1)" in counts.text
    [document] = await staff.press("📄 CSV Autunno 2026")
    data = document.payload["file"]["data"]
    assert data.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs for UTF-8
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][:4] == ["Codice", "Edizione", "Stato", "Posizione in attesa"]
    assert rows[1][:6] == ["SLS-2026-0001", "Autunno 2026", "confermata", "", "Anna Maria", "D'Alò"]
    assert rows[2][2:4] == ["in lista d'attesa", "1"]
    assert rows[2][10] == '\'=HYPERLINK("http://x";"clic"); <b>ciao</b>'  # not a formula
    assert "Contiene dati personali" in document.plain
    all_csv = await staff.press("📄 CSV di tutte le edizioni")
    assert all_csv[0].payload["file"]["file_name"].startswith("iscrizioni-tutte-")
    await stop(bot.app)


async def test_the_csv_neutralises_every_formula_and_keeps_phones_readable(
    start_bot, config, tmp_path, smtp
):
    """What spreadsheets run as a formula (= + - @ |, also as full-width or small forms, also
    after spaces) gets a leading apostrophe. Phones start with a digit instead: Italian numbers
    as dialled in Italy, foreign ones with 00 for the +, so Excel and LibreOffice show them as
    typed (text, with no apostrophe, leading zero kept) and never as a formula or a number."""
    bot = await start_bot(scuola_config(config, tmp_path, smtp))
    people = [
        ("\uff1dAnna", "Rossi", "+39 333 765 4321", "\uff0b1+1"),
        ("Bruno", "\uff20Verdi", "+44 20 7946 0958", "|calc"),
        ("Carla", "Neri", "0382 539012", "\uff0dfine"),
        ("Dario", "Bassi", None, "\ufe62uno"),
    ]
    for n, (first, last, phone, note) in enumerate(people):
        person = bot.user(810_000 + n)
        await fill(person, first=first, last=last, email=f"p{n}@example.org", phone=phone)
        await person.press("✏️ Modifica un dato")
        await person.press("Nota")
        await person.send(note)
        await person.press("✅ Conferma l'iscrizione")
    staff = bot.user(STAFF_ID)
    await staff.send("/iscrizioni")
    [document] = await staff.press("📄 CSV Autunno 2026")
    data = document.payload["file"]["data"]
    lines = data.decode("utf-8-sig").split("\r\n")
    cells = [line.split(";") for line in lines[1:] if line]
    assert [[*row[4:8], row[10]] for row in cells] == [
        ["'\uff1dAnna", "Rossi", "p0@example.org", "333 765 4321", "'\uff0b1+1"],
        ["Bruno", "'\uff20Verdi", "p1@example.org", "00 44 20 7946 0958", "'|calc"],
        ["Carla", "Neri", "p2@example.org", "0382 539012", "'\uff0dfine"],
        ["Dario", "Bassi", "p3@example.org", "", "'\ufe62uno"],
    ]
    assert b"'+39" not in data and b"'00" not in data and b"'3" not in data
    await stop(bot.app)


@pytest.mark.parametrize("command", ["/edizioni", "/iscrizioni"])
async def test_citizens_cannot_run_the_scuola(bot, command):
    replies = await bot.user().send(command)
    assert replies.text == "Questo comando è riservato allo staff della rete."


@pytest.mark.parametrize(
    "data", ["edizioni:v1:new", "edizioni:v1:toggle", "iscrizioni:v1:csv", "iscrizioni:v1:csv:x"]
)
async def test_citizens_cannot_press_staff_scuola_buttons(bot, data):
    citizen = bot.user()
    await citizen.send("/start")
    before = len(bot.api.sent)
    await citizen.press_data(data)
    assert citizen.callback_answer()["show_alert"] is True
    assert len(bot.api.sent) == before  # no CSV, no edition
    assert await bot.repo.editions.all() == []


async def test_reload_checks_the_scuola_file_too(start_bot, config, tmp_path, smtp):
    bot = await start_bot(scuola_config(config, tmp_path, smtp))
    staff = bot.user(STAFF_ID)
    scuola_file = tmp_path / "data" / "scuola.toml"
    good = scuola_file.read_text(encoding="utf-8")
    scuola_file.write_text(good.replace("03/12/2026 17:30-19:30", "31/11/2026 17:30-19:30"))
    refused = await staff.send("/ricarica")
    assert "edition 'Autunno 2026': session 1: when: that day does not exist" in refused.text
    assert len((await bot.repo.editions.all())[0].sessions) == 2  # unchanged
    scuola_file.write_text(good.replace('title = "Autunno 2026"', 'title = "Autunno 2026 (Pavia)"'))
    assert "Dati ricaricati" in (await staff.send("/ricarica")).text
    assert (await bot.repo.editions.all())[0].title == "Autunno 2026 (Pavia)"
    await stop(bot.app)


async def test_removing_or_adding_a_session_asks_first_and_tells_the_participants(bot):
    staff = bot.user(STAFF_ID)
    await create_edition(staff)
    for when in ("12/03/2027 17:30-19:30", "19/03/2027 17:30-19:30"):
        await staff.press("➕ Aggiungi incontro")
        await staff.send(when)
        await staff.send("Spazio Q, Piazzale Torino 40, Pavia")
        await staff.press("➕ Sì, aggiungi l'incontro")
    await staff.press("🟢 Apri le iscrizioni")
    anna, bruno = bot.user(first_name="Anna"), bot.user(first_name="Bruno")
    await fill(anna, edition="Primavera 2027")
    await anna.press("✅ Conferma l'iscrizione")
    await fill(bruno, first="Bruno", email="bruno@example.org", edition="Primavera 2027")
    await bruno.press("✅ Conferma l'iscrizione")
    await bruno.send("/lingua")
    await bruno.press("English")  # told in his language
    await staff.send("/edizioni")
    await staff.press("Primavera 2027")
    before = len(bot.api.sent)
    await staff.press("🗑️ Togli incontro 1 (12/03 17:30)")
    sure = staff.last().plain  # the menu becomes the question
    assert "Togliere l'incontro 1, venerdì 12 marzo 2027, 17:30–19:30?" in sure
    assert "Le 2 persone già confermate riceveranno un avviso" in sure
    assert [m for m in bot.api.sent[before:] if m.chat_id != STAFF_ID] == []  # nothing yet
    assert len((await bot.repo.editions.get("primavera-2027")).sessions) == 2
    await staff.press("🗑️ Sì, togli l'incontro")
    assert "Avviso e calendario aggiornato inviati a 2 persone" in staff.messages()[-2].plain
    for person, words in ((anna, "non si terrà"), (bruno, "will not take place")):
        notice, ics = [m for m in bot.api.sent[before:] if m.chat_id == person.id]
        assert words in notice.plain
        data = ics.payload["file"]["data"]
        assert data.count(b"BEGIN:VEVENT") == 2 and b"STATUS:CANCELLED" in data
    assert len((await bot.repo.editions.get("primavera-2027")).sessions) == 1
    # A session added later reaches them too, once each.
    before = len(bot.api.sent)
    await staff.press("➕ Aggiungi incontro")
    await staff.send("26/03/2027 17:30-19:30")
    await staff.send("Spazio Q, Piazzale Torino 40, Pavia")
    await staff.press("➕ Sì, aggiungi l'incontro")
    told = [m for m in bot.api.sent[before:] if m.chat_id == anna.id]
    assert "c'è un nuovo incontro, venerdì 26 marzo 2027" in told[0].plain
    assert told[1].kind == "document"


async def test_removing_the_last_session_brings_a_later_deadline_back(bot):
    staff = bot.user(STAFF_ID)
    await create_edition(staff)
    for when in ("05/03/2027 17:30-19:30", "12/03/2027 17:30-19:30"):
        await staff.press("➕ Aggiungi incontro")
        await staff.send(when)
        await staff.send("Spazio Q")
        await staff.press("➕ Sì, aggiungi l'incontro")
    await staff.press("⏰ Scadenza iscrizioni")
    await staff.send("10/03/2027")
    await staff.press("🗑️ Togli incontro 2 (12/03 17:30)")
    await staff.press("🗑️ Sì, togli l'incontro")
    edition = await bot.repo.editions.get("primavera-2027")
    assert [s.starts_at.day for s in edition.sessions] == [5]
    assert edition.deadline.astimezone(ROME).date().isoformat() == "2027-03-06"  # end of 5 March
    assert any("veniva dopo l'ultimo incontro" in m.plain for m in staff.messages())
