"""Questions that are not in the development set, in both languages, one group per kind of
question that issue 14 added: the understanding is measured on what it was not tuned on."""

from __future__ import annotations

import pytest

from domain import directory

LABS = [lab.name for lab in directory.load().labs]


def labs_named(text: str) -> list[str]:
    return sorted((text.find(name), name) for name in LABS if name in text)


@pytest.mark.parametrize(
    ("lang", "text", "town", "first_lab"),
    [
        ("it", "vivo a Casteggio, c'è qualcosa?", "Casteggio", "Travacò Siccomario"),
        ("it", "sono di corteolona e genzone", "Corteolona", "Crosione"),
        ("it", "laboratori vicino a Belgioioso", "Belgioioso", "Crosione"),
        ("en", "I live in Giussago", "Giussago", "In Scala"),
        ("en", "any lab near Mortara?", "Mortara", "In Pelizza"),
    ],
)
async def test_towns_outside_the_district(bot, lang, text, town, first_lab):
    replies = await bot.user(language_code=lang).send(text)
    assert town in replies.text
    assert ("fuori dal Distretto" if lang == "it" else "outside the Distretto") in replies.text
    named = labs_named(replies.text)
    assert named and named[0][1] == first_lab, named
    assert "info@csf.pv.it" in replies.text


@pytest.mark.parametrize(
    ("lang", "text", "city"),
    [("it", "abito a Torino", "Torino"), ("en", "I'm from Naples", "Naples")],
)
async def test_far_cities(bot, lang, text, city):
    replies = await bot.user(language_code=lang).send(text)
    assert city in replies.text and "info@csf.pv.it" in replies.text
    assert labs_named(replies.text) == []


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("it", "orari dei treni per Vigevano"),
        ("it", "c'è una farmacia aperta a Cravino?"),
        ("en", "weather in Pavia tomorrow"),
        ("en", "bus to Cravino"),
    ],
)
async def test_a_place_named_in_passing(bot, lang, text):
    replies = await bot.user(language_code=lang).send(text)
    assert labs_named(replies.text) == []
    assert replies.buttons[0] in {"🔎 Trova un laboratorio", "🔎 Find a lab"}


@pytest.mark.parametrize(
    ("lang", "text", "heading"),
    [
        ("it", "cosa fate per gli anziani?", "Attività per anziani"),
        ("it", "ci sono attività per famiglie a Mirabello?", "Attività per famiglie"),
        ("en", "what is there for teenagers?", "Activities for teenagers"),
        ("en", "anything for older people near Scala?", "Activities for older people"),
    ],
)
async def test_activities_by_audience(bot, lang, text, heading):
    replies = await bot.user(language_code=lang).send(text)
    assert heading in replies.text and "info@csf.pv.it" in replies.text


@pytest.mark.parametrize(
    ("lang", "text", "found"),
    [
        ("it", "c'è ancora la ciclofficina?", "Ciclofficina"),
        ("en", "is there a reading group?", "Reading group (for adults, in 2018)"),
    ],
)
async def test_an_activity_by_its_name(bot, lang, text, found):
    replies = await bot.user(language_code=lang).send(text)
    assert found in replies.text and "Spazio Q" in replies.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("sangenesio", "San Genesio ed Uniti"),
        ("cittagiardino", "Città Giardino"),
        ("I live north of Pavia", "Scala"),
        ("labs in the old town", "Centro storico"),
    ],
)
async def test_names_together_and_english_place_words(bot, text, expected):
    replies = await bot.user(language_code="en").send(text)
    assert expected in replies.text
