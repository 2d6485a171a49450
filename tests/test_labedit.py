"""Staff complete the directory from the chat; citizens see it at once; nobody else can."""

from __future__ import annotations

import shutil
from dataclasses import replace
from pathlib import Path

import pytest

from domain.directory import DATA_DIR, DataError, load
from tests.conftest import STAFF_ID, stop
from tests.helpers import open_editor


async def test_a_staff_edit_is_seen_by_citizens_at_once(bot, clock):
    staff = bot.user(STAFF_ID, first_name="Marta")
    await open_editor(staff, "Spazio Q")
    assert "Spazio Q: cosa vuoi modificare?" in staff.last().plain
    prompt = await staff.press("Note sugli orari")
    assert prompt == [] and "Scrivi il nuovo valore di Note sugli orari" in staff.last().plain
    preview = await staff.send("Martedì e giovedì 16-19")
    assert "Prima: «(vuoto)»" in preview.text and "Dopo: «Martedì e giovedì 16-19»" in preview.text
    saved = await staff.press("✅ Salva")
    assert "Spazio Q: cosa vuoi modificare?" in saved.text
    assert "Modifiche registrate: 1" in saved.text

    citizen = bot.user()
    answer = await citizen.send("orari di spazio q")
    assert "Orari di Spazio Q: Martedì e giovedì 16-19" in answer.text
    [record] = await bot.repo.lab_edits.history("spazio-q")
    assert record.staff_id == STAFF_ID and record.changed_at == clock.now()
    assert record.edit.field == "hours"


async def test_position_by_sharing_a_location_and_by_coordinates(bot):
    staff = bot.user(STAFF_ID)
    await open_editor(staff, "La Torretta")
    await staff.press("Posizione")
    far = await staff.share_location(41.9, 12.5)
    assert "lontana da Pavia" in far.text
    await staff.share_location(45.2150, 9.1520)
    await staff.press("✅ Salva")
    citizen = bot.user()
    replies = await citizen.share_location(45.2151, 9.1521)
    assert "1. La Torretta — 10 m" in replies.text
    await staff.press("Posizione")
    bad = await staff.send("vicino alla chiesa")
    assert "Non riconosco le coordinate" in bad.text
    preview = await staff.send("45,2000; 9,1500")
    assert "Dopo: «45.20000, 9.15000»" in preview.text


async def test_validation_and_cancel(bot):
    staff = bot.user(STAFF_ID)
    await open_editor(staff, "Crosione")
    await staff.press("Nome")
    assert "non può essere vuoto" in (await staff.send("🙂🙂")).text
    assert "troppo lungo" in (await staff.send("x" * 81)).text
    assert "scrivi un testo" in (await staff.send_media("sticker")).text
    cancelled = await staff.send("/annulla")
    assert "esco dalla modifica" in cancelled.text
    assert await bot.repo.lab_edits.all() == []
    # after the flow ended, text is a question again
    assert "Crosione" in (await staff.send("orari crosione")).text


async def test_activities_one_per_line_and_clearing(bot):
    staff = bot.user(STAFF_ID)
    await open_editor(staff, "Spazio Q")
    await staff.press("Attività")
    await staff.send("• Doposcuola\n- Ciclofficina <ogni sabato>\n\n")
    await staff.press("✅ Salva")
    card = await bot.user().send("cosa si fa allo spazio q")
    assert "Doposcuola" in card.text and "Ciclofficina <ogni sabato>" in card.text
    await staff.press("Indirizzo")
    await staff.press("🗑️ Svuota")
    await staff.press("✅ Salva")
    assert "Indirizzo non ancora disponibile" in (await bot.user().send("spazio q")).text


async def test_new_lab_and_hiding(bot):
    staff = bot.user(STAFF_ID)
    await staff.send("/laboratori")
    await staff.press("➕ Nuovo laboratorio")
    await staff.send("Casa di Quartiere Mirabello")
    await staff.press("✅ Salva")
    await staff.press("Posizione")
    await staff.send("45.2208, 9.1667")
    await staff.press("✅ Salva")
    citizen = bot.user()
    assert "1. Casa di Quartiere Mirabello" in (await citizen.send("mirabello")).text
    assert "I Laboratori Sociali (8)" in (await citizen.send("/laboratori")).text

    await open_editor(staff, "Spazio Q")
    await staff.press("🙈 Nascondi ai cittadini")
    await staff.press("✅ Salva")
    listing = await citizen.send("/laboratori")
    assert "Spazio Q" not in listing.text and "I Laboratori Sociali (7)" in listing.text
    stale = await citizen.press_data("lab:v1:open:spazio-q")
    assert citizen.callback_answer()["text"] == "Questo laboratorio non è più nell'elenco."
    assert "I Laboratori Sociali" in stale.text
    assert "non è più nell'elenco" in (await citizen.send("/start lab_spazio-q")).text
    assert "🙈 Nascosti ai cittadini: Spazio Q" in (await staff.send("/laboratori")).text


async def test_single_line_fields_typed_on_two_lines_are_one_line(bot):
    """Name, area, address and organisation are one line (a name is a button label, an
    address a venue's); hours and contacts keep their lines."""
    staff = bot.user(STAFF_ID)
    await staff.send("/laboratori")
    await staff.press("➕ Nuovo laboratorio")
    await staff.send("Casa di Quartiere\nMirabello")
    await staff.press("✅ Salva")
    for field, typed in (("Indirizzo", "Via Mirabello 1,\n27100 Pavia"),
                         ("Zona", "Mirabello,\nPavia nord"),
                         ("Organizzazione", "Cooperativa\nIl Sole"),
                         ("Note sugli orari", "lunedì 9-12\nmercoledì 15-18")):  # fmt: skip
        await staff.press(field)
        await staff.send(typed)
        await staff.press("✅ Salva")
    [lab] = [lab for lab in bot.app.bot_data.labs.current.labs if "Mirabello" in lab.name]
    assert lab.name == "Casa di Quartiere Mirabello"
    assert lab.address == "Via Mirabello 1, 27100 Pavia" and lab.area == "Mirabello, Pavia nord"
    assert lab.organisation == "Cooperativa Il Sole"
    assert lab.hours == "lunedì 9-12\nmercoledì 15-18"


async def test_a_double_tap_on_save_saves_once(bot):
    staff = bot.user(STAFF_ID)
    await open_editor(staff, "Crosione")
    await staff.press("Contatti")
    await staff.send("crosione@example.org")
    confirm = staff.last()
    await staff.press("✅ Salva")
    await staff.press_data("labedit:v1:save", confirm)
    assert staff.callback_answer()["text"] == "Questo pulsante non è più attivo."
    assert len(await bot.repo.lab_edits.all()) == 1


STAFF_ACTIONS = [
    "labedit:v1:menu:spazio-q",
    "labedit:v1:new",
    "labedit:v1:field:hours",
    "labedit:v1:hidden",
    "labedit:v1:save",
    "labedit:v1:clear",
    "lab:v1:qr:spazio-q",
]


@pytest.mark.parametrize("data", STAFF_ACTIONS)
async def test_citizens_cannot_use_staff_buttons(bot, data):
    citizen = bot.user()
    await citizen.send("/laboratori")
    assert "➕ Nuovo laboratorio" not in citizen.last().buttons
    await citizen.press_data(data)
    assert citizen.callback_answer()["show_alert"] is True
    await citizen.send("Nuovo nome del laboratorio")  # would be a value if a flow had opened
    assert await bot.repo.lab_edits.all() == []
    assert bot.app.bot_data.labs.current.lab("spazio-q").name == "Spazio Q"


@pytest.mark.parametrize("command", ["/ricarica", "/qr", "/domande", "/stato"])
async def test_citizens_cannot_use_staff_commands(bot, command):
    replies = await bot.user().send(command)
    assert replies.text == "Questo comando è riservato allo staff della rete."


async def test_reload_refuses_a_broken_file_and_keeps_the_old_data(start_bot, config, tmp_path):
    data_dir = tmp_path / "data"
    shutil.copytree(DATA_DIR, data_dir)
    config = replace(config, storage=replace(config.storage, data_dir=data_dir))
    bot = await start_bot(config)
    staff = bot.user(STAFF_ID)
    labs_file = data_dir / "labs.toml"
    good = labs_file.read_text(encoding="utf-8")
    labs_file.write_text(good.replace("lat = 45.1920", 'lat = "north"'), encoding="utf-8")
    refused = await staff.send("/ricarica")
    assert "resta in uso l'elenco precedente" in refused.text
    assert "data/labs.toml: lab 'spazio-q': lat: must be a number" in refused.text.replace(
        str(tmp_path) + "/", ""
    )
    assert "Spazio Q" in (await bot.user().send("spazio q")).text
    labs_file.write_text(good.replace('name = "Spazio Q"', 'name = "Spazio Q del Vallone"'))
    accepted = await staff.send("/ricarica")
    assert "Dati ricaricati. Laboratori: 7 · luoghi: 25" in accepted.text
    assert "Spazio Q del Vallone" in (await bot.user().send("/laboratori")).text
    await stop(bot.app)


def test_data_problems_name_the_file_the_entry_and_the_field(tmp_path):
    shutil.copytree(DATA_DIR, tmp_path / "data")
    labs = tmp_path / "data" / "labs.toml"
    text = labs.read_text(encoding="utf-8")
    text = text.replace('id = "in-scala"', 'id = "In Scala!"')
    text = text.replace('name = "Crosione"', 'name = ""')
    text = text.replace("lon = 9.1750", "lon = 12.49")
    text = text.replace('district = "distretto"', 'district = "altrove"\ncolour = "red"')
    labs.write_text(text, encoding="utf-8")
    (tmp_path / "data" / "places.toml").write_text("[[comune]]\nname = 'X'\nlat = 45.1\n")
    with pytest.raises(DataError) as caught:
        load(tmp_path / "data")
    problems = "\n".join(caught.value.problems)
    assert "labs.toml: lab 'In Scala!': id: must be 1-32 lowercase letters" in problems
    assert "labs.toml: lab 'crosione': name: must not be empty" in problems
    assert "labs.toml: lab 'spazio-q': lat: (45.192, 12.49) is far from Pavia" in problems
    assert (
        "labs.toml: lab 'travaco-siccomario': district: must be one of pavia, distretto" in problems
    )
    assert "labs.toml: lab 'travaco-siccomario': colour: unknown field" in problems
    assert "places.toml: comune 'X': lon: lat and lon go together" in problems


def test_the_shipped_data_keeps_its_sources():
    directory = load()
    curated = [place for place in directory.places if place.kind != "town"]
    assert len(directory.labs) == 7 and len(curated) == 25
    assert all(lab.source for lab in directory.labs)
    assert not any(lab.hours or lab.contacts for lab in directory.labs)  # never invented
    assert {lab.id for lab in directory.labs if not lab.located} == {"la-torretta", "il-naviglio"}
    assert Path(DATA_DIR / "sources" / "fare-benecomune-box3.txt").exists()


async def test_in_a_group_staff_see_only_the_public_lab_pages(bot):
    """No editing buttons, no hidden labs, no editor opened in a group, whoever taps there."""
    staff = bot.user(STAFF_ID)
    group = bot.group()
    [listing] = await staff.send("/laboratori", chat=group)
    assert "➕ Nuovo laboratorio" not in listing.buttons
    [button] = [b for b in listing.inline_buttons if b["text"] == "Spazio Q"]
    await staff.press_data(button["callback_data"], listing)
    card = group.messages[listing.message_id]  # the list, edited into the card
    assert "✏️ Modifica" not in card.buttons
    await staff.press_data("labedit:v1:menu:spazio-q", card)  # a forged or old button
    assert "chat privata" in staff.callback_answer()["text"]
    assert "labedit" not in bot.app.user_data.get(STAFF_ID, {})
