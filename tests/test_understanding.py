"""Questions that are not in the development set, in both languages, one group per kind of
question that issue 14 added: the understanding is measured on what it was not tuned on."""

from __future__ import annotations

from datetime import date

import pytest

from domain import directory
from domain.activities import from_value
from domain.lexicon import content
from domain.text import tokens
from domain.understanding import Matcher
from tests.conftest import STAFF_ID
from tests.helpers import open_editor

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


# --- Understanding v3 (issue 23): what people do at the labs, in their own words -------------
# One group per kind of the issue; the phrasings are this file's own, not the nor the
# development set's.

MATCHER = Matcher(directory.load())
TODAY = date(2026, 11, 25)


def understood(text: str):
    return MATCHER.understand(text, today=TODAY)


@pytest.mark.parametrize(
    ("lang", "text", "found", "lab"),
    [
        ("it", "vorrei aggiustare la mia bicicletta", "Ciclofficina", "Spazio Q"),
        ("it", "mi piacerebbe un club del libro", "Gruppo di lettura", "Spazio Q"),
        ("it", "organizzate qualche festa per chi abita in zona?", "Feste", "In Pelizza"),
        ("en", "my bicycle is broken, can someone mend it?", "Bike workshop", "Spazio Q"),
        ("en", "where can I go for a stroll with other people?", "walks", "Spazio Q"),
        ("en", "any book club around?", "Reading group", "Spazio Q"),
    ],
)
async def test_other_words_for_the_same_activity(bot, lang, text, found, lab):
    replies = await bot.user(language_code=lang).send(text)
    assert found in replies.text and lab in replies.text
    assert labs_named(replies.text)[0][1] == lab


@pytest.mark.parametrize(
    ("lang", "text", "lab", "facet"),
    [
        ("it", "quando ci sono le feste tra residenti?", "in-pelizza", "activities"),
        ("it", "chi organizza le feste di quartiere?", "in-pelizza", "organisation"),
        ("it", "dove si fa la ciclofficina?", "spazio-q", "activities"),  # over: said as such
        ("en", "where are the parties for residents?", "in-pelizza", "where"),
        ("en", "when does the reading group meet?", "spazio-q", "activities"),
        ("en", "who runs the bike workshop?", "spazio-q", "organisation"),
    ],
)
def test_an_activity_with_a_facet_is_the_lab_that_runs_it(lang, text, lab, facet):
    decision = understood(text)
    assert (decision.intent, decision.lab and decision.lab.id, decision.facet) == (
        "lab",
        lab,
        facet,
    )


async def test_a_past_activity_asked_when_says_when_it_ran(bot):
    replies = await bot.user().send("a che ora si vedono quelli della ciclofficina?")
    assert "Spazio Q" in replies.text and "Ciclofficina" in replies.text
    assert "nel 2018" in replies.text  # past, never given today's hours
    assert "Quale laboratorio" not in replies.text


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("it", "tornerà «Sotto l'ombrellone» quest'anno?"),
        ("it", "info su sotto l ombrellone"),
        ("en", "will Sotto l'ombrellone be back next summer?"),
    ],
)
async def test_the_title_of_an_initiative_finds_it(bot, lang, text):
    replies = await bot.user(language_code=lang).send(text)
    assert "Sotto l'ombrellone" in replies.text and labs_named(replies.text)[0][1] == "Crosione"


async def test_the_words_of_a_title_staff_typed_find_it(bot):
    staff = bot.user(STAFF_ID)
    await open_editor(staff, "Crosione")
    await staff.press("Attività")
    await staff.send('"Merenda in cortile" per tutti, il sabato (2026)')
    await staff.press("✅ Salva")
    replies = await bot.user().send("quando c'è merenda in cortile?")
    assert "Crosione" in replies.text and "Merenda in cortile" in replies.text


@pytest.mark.parametrize(
    ("text", "not_intent", "not_key"),
    [
        ("i miei vicini fanno troppo rumore", "ask_location", None),
        ("mi serve una scala per imbiancare", "place", "scala"),
        ("cerco lo spazio per fare i compiti", "lab", "spazio-q"),
        ("ho trovato una torretta di lego", "lab", "la-torretta"),
    ],
)
def test_an_everyday_word_in_its_context_is_not_a_place(text, not_intent, not_key):
    decision = understood(text)
    key = decision.lab.id if decision.lab else decision.place.key if decision.place else None
    assert (decision.intent, key) != (not_intent, not_key)


@pytest.mark.parametrize(
    ("lang", "text", "expected"),
    [
        ("it", "abito a Scala", "scala"),  # the place, where nothing says otherwise
        ("it", "laboratori nel centro", "centro-storico"),
        ("en", "labs in the Borgo?", "borgo-ticino"),  # English "the": still the place
    ],
)
def test_the_same_words_as_places_still_are(lang, text, expected):
    decision = understood(text)
    assert decision.place is not None and decision.place.key == expected


@pytest.mark.parametrize(
    ("text", "audience"),
    [
        ("mia figlia ha 15 anni, cosa può fare?", "ragazzi"),
        ("c'è qualcosa per un quattordicenne?", "ragazzi"),
        ("attività per il mio nipotino", "bambini"),
        ("qualcosa per mio nonno che è in pensione", "anziani"),
        ("anything for my 8-year-old son?", "bambini"),
        ("my son is 17 years old, is there anything for him?", "ragazzi"),
        ("my grandmother feels lonely, anything for her?", "anziani"),
        ("something for a teenage boy?", "ragazzi"),
    ],
)
def test_audience_from_age_and_family(text, audience):
    assert understood(text).audience == audience


@pytest.mark.parametrize(
    ("lang", "text", "nearest", "heading"),
    [
        ("it", "attività per mio nonno vicino a Mirabello", "In Scala", "anziani"),
        ("en", "activities for a 16 year old near Scala", "In Scala", "teenagers"),
    ],
)
async def test_the_nearest_lab_with_nothing_for_the_audience_is_said(
    bot, lang, text, nearest, heading
):
    replies = await bot.user(language_code=lang).send(text)
    said = "non ha fatto sapere al bot" if lang == "it" else "has not told the bot"
    first = replies.text.split("\n")[1]
    assert nearest in first and said in first and heading in replies.text
    assert "In Pelizza" in replies.text  # a lab that has something open to everyone


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("it", "c'è un raduno di tutta la rete?"),
        ("it", "quando si ritrovano insieme tutti i laboratori sociali?"),
        ("en", "when do all the labs meet together?"),
        ("en", "date of the plenary meeting?"),
    ],
)
async def test_the_assemblea_in_other_words(bot, lang, text):
    assert understood(text).topic == "assemblea"
    replies = await bot.user(language_code=lang).send(text)
    assert "Assemblea" in replies.text


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("it", "dove si trova l'ufficio postale vicino a Mirabello?"),
        ("it", "orari della questura di Pavia"),
        ("it", "c'è un dentista a San Martino?"),
        ("it", "iscrizione alla scuola elementare di Scala"),
        ("en", "is there a post office near Crosione?"),
        ("en", "opening hours of the INPS in Pavia"),
        ("en", "my son starts middle school in Pavia"),
    ],
)
async def test_public_services_named_with_a_place_are_not_lab_questions(bot, lang, text):
    decision = understood(text)
    assert (decision.intent, decision.topic) == ("fallback", "elsewhere")
    replies = await bot.user(language_code=lang).send(text)
    assert labs_named(replies.text) == []
    assert replies.buttons[0] in {"🔎 Trova un laboratorio", "🔎 Find a lab"}


@pytest.mark.parametrize(
    ("lang", "text", "town"),
    [
        ("it", "vivo a Roma, zona San Pietro", "roma"),
        ("it", "sto a Genova, in centro", "genova"),
        ("it", "vivo a Milano zona Navigli", "milano"),
        ("en", "I live in Turin, in the old town", "torino"),
    ],
)
def test_a_town_named_with_a_district_word_is_that_town(lang, text, town):
    decision = understood(text)
    assert decision.intent == "place" and decision.place.key == town


@pytest.mark.parametrize(
    ("lang", "text", "city"),
    [
        ("it", "lavoro a Madrid ma torno spesso", "Madrid"),
        ("en", "I moved here from Manchester", "Manchester"),
        ("en", "we are from Buenos Aires", "Buenos Aires"),
    ],
)
async def test_cities_of_the_world_get_the_kind_word(bot, lang, text, city):
    replies = await bot.user(language_code=lang).send(text)
    assert city in replies.text and "info@csf.pv.it" in replies.text
    assert labs_named(replies.text) == []
    assert not any("📍" in b for b in replies.buttons)  # not the location prompt


@pytest.mark.parametrize(
    ("lang", "text", "what"),
    [
        ("it", "fate corsi di ceramica?", "ceramica"),
        ("it", "vorrei un corso di scacchi", "scacchi"),
        ("en", "do you have pottery classes?", "pottery"),
        ("en", "is there a chess club?", "chess"),
    ],
)
async def test_an_activity_no_lab_has_is_said_not_found_and_counted_so(bot, lang, text, what):
    replies = await bot.user(language_code=lang).send(text)
    said = "nessun laboratorio ha fatto sapere" if lang == "it" else "No lab has told the bot"
    assert said in replies.text and f"«{what}»" in replies.text
    assert "info@csf.pv.it" in replies.text and labs_named(replies.text) == []
    stats = (await bot.user(STAFF_ID).send("/statistiche"))[0].plain
    assert "Domande negli ultimi 30 giorni: 1" in stats and "Capite: 0 (0%)" in stats
    asked = (await bot.user(STAFF_ID).send("/domande")).text
    assert text in asked  # staff see what people look for


def test_every_term_of_the_thesaurus_is_reachable():
    """Typed in a question, every term of data/thesaurus.toml finds its own theme; and every
    theme has terms in both languages."""
    thesaurus = directory.load().thesaurus
    assert len(thesaurus.themes) >= 20
    for theme in thesaurus.themes:
        assert theme.it and theme.en, theme.key
        for term in theme.terms:
            words = content(tokens(f"c'è qualcosa di {term}?"))
            assert theme.key in thesaurus.themes_in(words), (theme.key, term)


def test_activity_keywords_are_read_and_round_trip():
    activity = from_value({"what": "Ciclofficina", "keywords": ["bici", "riparazioni"]})
    assert activity.keywords == ("bici", "riparazioni")
    assert from_value(activity.as_value()) == activity
    with pytest.raises(ValueError, match="keywords"):
        from_value({"what": "x", "keywords": "bici"})


async def test_coordinators_add_keywords_in_the_activity_editor(bot):
    staff = bot.user(STAFF_ID)
    await open_editor(staff, "Crosione")
    await staff.press("Attività")
    assert "#bici" in staff.last().plain  # the editor says how
    preview = await staff.send("Laboratorio del sabato per ragazzi #skateboard #tavola")
    assert "• Laboratorio del sabato per ragazzi (#skateboard, #tavola)" in preview.text
    await staff.press("✅ Salva")
    [activity] = bot.app.bot_data.labs.current.lab("crosione").activities
    assert activity.keywords == ("skateboard", "tavola")
    replies = await bot.user(language_code="en").send("anywhere to skateboard?")
    assert "Crosione" in replies.text and "Laboratorio del sabato" in replies.text


def test_the_lexicon_file_finds_every_form_across_its_blocks():
    """data/lexicon.bin's blocks: a word at the start, the end and across a block's edge is
    found with each of its languages, and a word not there is not."""
    from domain import lexicon as lex

    words = [f"w{n:05d}" for n in range(3000)]
    lines = "".join(
        f"{w}\tit\t{w}x\t\n" + (f"{w}\ten\t{w}y\tP\n" if n % 7 == 0 else "")
        for n, w in enumerate(words)
    ).encode()
    table = lex.Lexicon(lex.pack(lines))
    for n, word in enumerate(words):
        expected = [("it", f"{word}x", False)] + ([("en", f"{word}y", True)] if n % 7 == 0 else [])
        assert table.entries(word) == expected
    assert table.entries("w") == [] and table.entries("zzz") == [] and table.entries("a") == []
