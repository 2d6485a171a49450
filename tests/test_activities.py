"""Activities with their audience and their time: read from the data file and from staff edits,
shown as past once their year or end date has gone by (on the bot's clock, in Italian time),
and found when people ask for an audience ("c'è qualcosa per bambini?") or an activity."""

from __future__ import annotations

import shutil
from datetime import UTC, date, datetime, timedelta

import pytest

from domain import activities
from domain.activities import Activity, from_line, from_value
from domain.directory import DATA_DIR, DataError, load
from tests.conftest import STAFF_ID
from tests.helpers import open_editor

LAB_NAMES = [lab.name for lab in load().labs]


def test_a_typed_line_gives_its_year_and_audience():
    ciclofficina = from_line("Ciclofficina: ragazzi che riparano le biciclette (estate 2018)")
    assert ciclofficina.year == 2018 and ciclofficina.audiences == ("ragazzi",)
    assert from_line("Doposcuola per bimbi e genitori").audiences == ("bambini", "famiglie")
    assert from_line("Tombola").year is None and from_line("Tombola").audiences == ()
    corso = from_line("Corso di italiano per adulti, il lunedì 18-20, fino al 30/06/2027")
    assert corso.until == date(2027, 6, 30) and corso.audiences == ("adulti",)
    assert not corso.is_past(date(2027, 6, 30)) and corso.is_past(date(2027, 7, 1))


def test_past_is_by_end_date_else_by_year():
    today = date(2026, 12, 1)
    assert Activity("x", year=2025).is_past(today)
    assert not Activity("x", year=2026).is_past(today)
    assert not Activity("x").is_past(today)  # no date: shown as the data says, without one
    assert Activity("x", year=2027, until=date(2026, 11, 30)).is_past(today)
    assert not Activity("x", year=2020, until=date(2026, 12, 1)).is_past(today)


def test_a_table_round_trips_and_mistakes_are_named():
    table = {"what": "Orto", "audience": ["anziani", "tutti"], "year": 2026, "until": "2027-06-30"}
    activity = from_value(table)
    assert activity.until == date(2027, 6, 30) and from_value(activity.as_value()) == activity
    assert activity.is_for("bambini")  # open to everyone
    for bad, problem in (
        ({"what": "x", "audience": ["kids"]}, "audience"),
        ({"what": "x", "year": "2020"}, "year"),
        ({"what": "x", "until": "30/06/2027"}, "until"),
        ({"what": ""}, "what"),
        ({"what": "x", "when": "sabato"}, "unknown field when"),
        (42, "must be a text or a table"),
    ):
        with pytest.raises(ValueError, match=problem):
            from_value(bad)
    assert set(activities.AUDIENCE_WORDS.values()) == set(activities.AUDIENCES) - {"tutti"}


def test_a_broken_activity_in_the_data_file_is_reported(tmp_path):
    for name in ("labs.toml", "places.toml"):
        shutil.copy(DATA_DIR / name, tmp_path / name)
    path = tmp_path / "labs.toml"
    path.write_text(
        path.read_text("utf-8").replace('audience = ["adulti"], year = 2018', 'year = "2018"'),
        "utf-8",
    )
    with pytest.raises(DataError, match=r"lab 'spazio-q': activities #1: year"):
        load(tmp_path)


async def test_a_card_shows_activities_of_2018_as_past(bot):
    card = (await bot.user().send("spazio q")).text
    assert "Attività non ancora pubblicate" in card  # nothing current
    past = card.split("In passato")[1]
    assert "Gruppo di lettura (per adulti, nel 2018)" in past


async def test_nothing_for_children_is_said_so_with_what_is_open_to_all(bot):
    replies = await bot.user().send("c'è qualcosa per bambini?")
    text = replies.text
    assert "nessun laboratorio ha fatto sapere al bot di attività in corso per bambini" in text
    assert "Aperte a tutti" in text and "In Pelizza" in text
    assert "nel 2018" in text.split("In passato")[1]
    assert "info@csf.pv.it" in text
    assert "Ciclofficina" not in text  # for teenagers, not children


async def test_activities_near_a_place_come_nearest_first(bot):
    replies = await bot.user().send("attività per ragazzi vicino a Mirabello")
    assert "dal laboratorio più vicino a Mirabello" in replies.text
    assert "Ciclofficina" in replies.text.split("In passato")[1]
    cards = [b for b in replies.buttons if "km" in b or " m" in b]
    distances = [float(b.split("· ")[1].split()[0].replace(",", ".")) for b in cards]
    assert distances == sorted(distances) and len(distances) >= 2


async def test_english_and_a_word_of_an_activity(bot):
    kids = await bot.user(language_code="en").send("is there anything for kids?")
    assert "Activities for children" in kids.text and "for everyone" in kids.text
    reading = await bot.user().send("c'è un gruppo di lettura?")
    assert "Spazio Q" in reading.text and "Gruppo di lettura (per adulti, nel 2018)" in reading.text


async def test_a_staff_edit_is_found_by_audience_and_becomes_past_with_the_year(bot, clock):
    clock.set(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
    staff = bot.user(STAFF_ID)
    await open_editor(staff, "Crosione")
    await staff.press("Attività")
    await staff.send("Doposcuola per bambini, il martedì (2026)")
    await staff.press("✅ Salva")
    anna = bot.user()
    now = (await anna.send("c'è qualcosa per i bimbi?")).text
    current = now.split("Aperte a tutti")[0].split("In passato")[0]
    assert "• Crosione: Doposcuola per bambini, il martedì (2026)\n" in current  # said once
    clock.advance(timedelta(days=40))  # 4 January 2027, in Italy
    later = (await anna.send("c'è qualcosa per i bimbi?")).text
    assert "nessun laboratorio ha fatto sapere al bot di attività in corso per bambini" in later
    assert "Doposcuola per bambini, il martedì (2026)\n" in later


async def test_the_new_year_is_italian_time(bot, clock):
    staff = bot.user(STAFF_ID)
    await open_editor(staff, "Crosione")
    await staff.press("Attività")
    await staff.send("Tombola di fine anno 2026")
    await staff.press("✅ Salva")
    # 23:30 UTC on 31 December is already 2027 in Italy: the 2026 activity is past.
    clock.set(datetime(2026, 12, 31, 23, 30, tzinfo=UTC))
    card = (await bot.user().send("crosione")).text
    assert "Tombola di fine anno 2026\n" in card.split("In passato")[1]


async def test_many_activities_fit_one_message(bot):
    staff = bot.user(STAFF_ID)
    await open_editor(staff, "Crosione")
    await staff.press("Attività")
    lines = [
        f"Laboratorio per bambini numero {n}, il sabato mattina, con merenda" for n in range(15)
    ]
    await staff.send("\n".join(lines))
    await staff.press("✅ Salva")
    replies = await bot.user().send("attività per bambini")
    assert len(replies) == 1 and len(replies[0].plain) <= 4096
    assert "… e altre 7: le trovi nelle schede dei laboratori." in replies.text


async def test_activities_typed_on_one_line_with_semicolons_and_what_was_read(bot):
    staff = bot.user(STAFF_ID)
    await open_editor(staff, "Crosione")
    prompt = await staff.press("Attività")
    assert prompt == [] and "una per riga (o separate da «;»)" in staff.last().plain
    preview = await staff.send(
        "Doposcuola per bambini; Corso di italiano per adulti fino al 30/06/2027"
    )
    # What was read is what the words say: the audience and the end, each once.
    assert "• Doposcuola per bambini\n" in preview.text
    assert "• Corso di italiano per adulti fino al 30/06/2027»" in preview.text
    await staff.press("✅ Salva")
    lab = bot.app.bot_data.labs.current.lab("crosione")
    assert [a.what for a in lab.activities] == [
        "Doposcuola per bambini",
        "Corso di italiano per adulti fino al 30/06/2027",
    ]
    course = await bot.user().send("c'è un corso di italiano?")  # that one, not every activity
    assert "Corso di italiano" in course.text and "Doposcuola" not in course.text
