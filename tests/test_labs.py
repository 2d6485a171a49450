"""Find a lab, as citizens use it: location, place names, cards, venues, list, inline, links."""

from __future__ import annotations

import pytest

from tests.conftest import STAFF_ID


def venue_titles(replies) -> list[str]:
    return [m.payload["venue"]["title"] for m in replies if m.kind == "venue"]


async def test_menu_button_asks_for_location_with_a_reply_keyboard(bot):
    anna = bot.user()
    await anna.send("/start")
    replies = await anna.press("🔎 Trova un laboratorio")
    assert "condividi la tua posizione" in replies.text
    [location, as_list] = anna.chat.reply_keyboard["keyboard"]
    assert location[0] == {"text": "📍 Invia la mia posizione", "request_location": True}
    assert as_list[0]["text"] == "📋 Elenco dei laboratori"
    listed = await anna.press("📋 Elenco dei laboratori")  # the keyboard's text button
    assert "I Laboratori Sociali (7)" in listed.text


async def test_a_location_gives_the_three_nearest_with_distances(bot):
    replies = await bot.user().share_location(45.2012, 9.1243)
    text = replies.text
    assert "I laboratori più vicini a te" in text
    assert "1. In Pelizza — 140 m" in text
    assert "2. In Scala — 3,2 km" in text
    assert text.count(" km") + text.count(" m\n") >= 3
    assert replies.buttons[:3] == ["In Pelizza · 140 m", "In Scala · 3,2 km", "Spazio Q · 4,1 km"]
    assert "La Torretta" in text  # labs without a position are still mentioned
    assert "posizioni indicative" in text


async def test_a_lab_button_sends_the_card_then_the_venue(bot):
    anna = bot.user()
    await anna.share_location(45.2012, 9.1243)
    replies = await anna.press("In Pelizza · 140 m")
    assert replies.kinds == ["text", "venue"]
    card = replies[0].plain
    assert card.startswith("🏠 In Pelizza")
    assert "Feste e momenti di incontro tra residenti (da confermare, per tutti)" in card
    assert "Orari non ancora disponibili: scrivi a info@csf.pv.it" in card
    assert "(inferred)" not in card
    venue = replies[1].payload["venue"]
    assert venue["title"] == "In Pelizza"
    assert venue["location"] == {"latitude": 45.2, "longitude": 9.125}
    assert "posizione indicativa" in venue["address"]


async def test_english_speakers_get_english_cards(bot):
    john = bot.user(language_code="en")
    replies = await john.send("where is spazio q")
    assert "Spazio Q" in replies.text and "Piazzale Torino 40" in replies.text
    assert "indicative" in replies.text
    assert replies.kinds == ["text", "venue"]


async def test_a_live_location_and_a_venue_work_like_a_location(bot):
    anna = bot.user()
    live = await anna.share_location(45.2131, 9.1655, live_period=900)
    assert "1. In Scala" in live.text
    venue = await anna.share_venue(45.1502, 9.1581, "Bar", "Via Roma 1, Travacò")
    assert "1. Travacò Siccomario" in venue.text


async def test_live_location_updates_are_not_answered(bot):
    anna = bot.user()
    await anna.share_location(45.2131, 9.1655, live_period=900)
    mine = [m for m in anna.chat.messages.values() if not m.from_bot][-1]
    body = {
        "message_id": mine.message_id,
        "date": mine.date,
        "edit_date": mine.date + 30,
        "chat": anna.chat.as_dict(),
        "from": anna.data,
        "location": {"latitude": 45.2132, "longitude": 9.1656, "live_period": 900},
    }
    assert await bot.deliver(bot.update(edited_message=body)) == []


async def test_far_away_is_said_kindly_with_the_nearest_anyway(bot):
    replies = await bot.user().share_location(41.9028, 12.4964)  # Rome
    assert "dal laboratorio più vicino" in replies.text
    assert "Sei a 450 km" in replies.text
    assert "1. Travacò Siccomario" in replies.text


@pytest.mark.parametrize(("lat", "lon"), [(0.0, 0.0), (91.0, 9.0), (45.0, 181.0)])
async def test_impossible_coordinates(bot, lat, lon):
    replies = await bot.user().share_location(lat, lon)
    assert "Non riesco a usare questa posizione" in replies.text


@pytest.mark.parametrize(
    ("text", "first"),
    [
        ("S. Martino", "Travacò Siccomario"),
        ("travaco", "Travacò Siccomario"),
        ("c e qualcosa a mirabelo?", "In Scala"),
        ("abito a Citta Giardino", "In Scala"),
        ("sto a zerbolo", "In Pelizza"),
        ("laboratorio vicino a S.Genesio", "In Scala"),
        ("Sono di Pavia, zona Cravino", "In Pelizza"),
        ("abito a pelliza", "In Pelizza"),
    ],
)
async def test_places_typed_with_typos_abbreviations_and_no_accents(bot, text, first):
    replies = await bot.user().send(text)
    assert f"1. {first}" in replies.text, replies.text


async def test_an_ambiguous_name_is_asked_with_buttons(bot):
    anna = bot.user()
    replies = await anna.send("torre")
    assert "Intendi uno di questi?" in replies.text
    assert set(replies.buttons) == {"La Torretta", "📍 Torre d'Isola"}
    chosen = await anna.press("📍 Torre d'Isola")
    assert "vicini a Torre d'Isola" in chosen.text and "1. In Pelizza" in chosen.text


async def test_facts_asked_about_a_lab(bot):
    anna = bot.user()
    hours = await anna.send("orari di spazio q")
    assert (
        "Gli orari di Spazio Q non sono ancora disponibili: scrivi a info@csf.pv.it" in hours.text
    )
    activities = await anna.send("cosa si fa allo spazio q")
    assert "Ciclofficina" in activities.text
    contacts = await anna.send("Come contatto il laboratorio In Scala?")
    assert "I contatti di In Scala non sono ancora disponibili" in contacts.text
    where = await anna.send("dov'è la torretta")
    assert "La Torretta" in where.text and "venue" not in where.kinds  # no known position
    runs = await anna.send("chi gestisce in pelizza?")
    assert "Centro Servizi Formazione (CSF) (da confermare)" in runs.text


async def test_the_list_edits_in_place_and_cards_come_back(bot):
    anna = bot.user()
    replies = await anna.send("/laboratori")
    text = replies.text
    assert text.index("A Pavia") < text.index("Spazio Q") < text.index("Nei comuni del distretto")
    assert text.index("Nei comuni del distretto") < text.index("Travacò Siccomario")
    message = anna.last()
    assert await anna.press("Spazio Q") == []
    assert message.plain.startswith("🏠 Spazio Q") and message.edits == 1
    share = next(b for b in message.inline_buttons if b["text"] == "📤 Condividi")
    assert share["switch_inline_query"] == "Spazio Q"
    venue = await anna.press("📍 Mostra sulla mappa")
    assert venue_titles(venue) == ["Spazio Q"]
    await anna.press("⬅️ Indietro")
    assert message.plain.startswith("🏠 I Laboratori Sociali (7)")
    await anna.press("Social Bistrot - Il Naviglio")
    assert "Posizione non ancora disponibile" in message.plain
    assert "📍 Mostra sulla mappa" not in message.buttons  # no venue without a position


async def test_deep_links(bot):
    anna = bot.user()
    await anna.send("/start")  # a first arrival through a link is welcomed first (test_start)
    replies = await anna.send("/start lab_spazio-q")
    assert replies[0].plain.startswith("🏠 Spazio Q") and venue_titles(replies) == ["Spazio Q"]
    gone = await anna.send("/start lab_non-esiste")
    assert "non è più nell'elenco" in gone.text and "I Laboratori Sociali (7)" in gone.text
    assert "I Laboratori Sociali" in (await anna.send("/start laboratori")).text
    assert "condividi la tua posizione" in (await anna.send("/start vicino")).text


async def inline(bot, user, query: str) -> dict:
    body = {
        "id": f"iq-{len(bot.api.inline_answers)}",
        "from": user.data,
        "query": query,
        "offset": "",
    }
    await bot.deliver(bot.update(inline_query=body))
    return bot.api.inline_answers[body["id"]]


async def test_inline_mode(bot):
    anna = bot.user()
    spazio = await inline(bot, anna, "spazio")
    assert [r["title"] for r in spazio["results"]] == ["Spazio Q"]
    card = spazio["results"][0]["input_message_content"]["message_text"]
    assert "Piazzale Torino 40" in card
    url = spazio["results"][0]["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert url == "https://t.me/LabSocialiPaviaBot?start=lab_spazio-q"
    everything = await inline(bot, anna, "")
    assert len(everything["results"]) == 7
    near = await inline(bot, anna, "cava manara")
    assert near["results"][0]["title"] == "Travacò Siccomario"
    nothing = await inline(bot, anna, "x" * 256)
    assert nothing["results"] == [] and nothing["button"]["start_parameter"] == "laboratori"
    html = await inline(bot, anna, "<b>&")
    assert "results" in html


async def test_questions_are_recorded_without_who_asked(bot):
    anna = bot.user()
    await anna.send("Che tempo fa domani?")
    await anna.send("orari di spazio q")
    await anna.send("👍")
    assert await bot.repo.questions.count() == 0  # kept a moment, written behind
    assert await bot.write_behind() == 3 + 1  # the questions, in their order, and Anna's visits
    rows = await bot.repo.db.fetch_all("SELECT * FROM questions ORDER BY id")
    assert [(r["intent"], r["subject"], r["text"]) for r in rows] == [
        ("fallback", "elsewhere", "Che tempo fa domani?"),
        ("lab", "spazio-q", None),
        ("fallback", None, None),
    ]
    assert "user" not in " ".join(rows[0].keys())
    staff = bot.user(STAFF_ID)
    listed = await staff.send("/domande")
    assert "Che tempo fa domani?" in listed.text
    assert "riservato" in (await anna.send("/domande")).text


@pytest.mark.parametrize(
    "text",
    ["<b>Spazio Q</b> & co", "x" * 4096, "😀😀😀", "&lt;script&gt;", "   \u200b  ", "/"],
)
async def test_hostile_texts_get_an_answer_telegram_accepts(bot, text):
    replies = await bot.user().send(text)
    assert replies  # never silence; the fixture checks Telegram accepted every request


async def test_hours_or_activities_in_a_place_go_to_the_lab_that_stands_there(bot):
    anna = bot.user()
    replies = await anna.send("cosa fanno a Scala?")
    assert "Le attività di In Scala" in replies.text  # In Scala stands in the Scala quarter
    assert replies.buttons[0] == "🏠 Scheda di In Scala"
    # No lab stands in Mirabello: the nearest ones, as for any place.
    assert "I laboratori più vicini a Mirabello" in (await anna.send("orari a Mirabello")).text
    # Without a question about a lab, a place is a place.
    assert "I laboratori più vicini a Scala" in (await anna.send("laboratori a Scala")).text


async def test_an_english_reader_reads_the_labs_areas_in_english(bot):
    tom = bot.user(language_code="en")
    listing = await tom.send("/laboratori")
    assert "Crosione, Pavia (east)" in listing.text and "zona est" not in listing.text
    assert "a town of the Distretto sociale pavese" in listing.text
    assert "comune del Distretto" not in listing.text


async def test_a_card_without_a_position_does_not_call_it_indicative(bot):
    card = (await bot.user().send("la torretta")).text
    assert "Posizione non ancora disponibile" in card and "indicativa" not in card


async def test_the_follow_toggle_says_what_it_will_do(bot):
    anna = bot.user()
    await anna.send("spazio q")
    await anna.press("🔔 Avvisami delle sue novità")
    assert "«🔕 Non avvisarmi più»" in anna.callback_answer()["text"]
    assert "🔕 Non avvisarmi più" in anna.visible_buttons()  # the same card, its toggle turned
    await anna.press("🔕 Non avvisarmi più")
    assert "non riceverai più le novità di Spazio Q" in anna.callback_answer()["text"]
    assert "lab:spazio-q" not in await bot.repo.subscriptions.topics(anna.id)
    again = await anna.send("spazio q")  # a new card knows she does not follow it
    assert "🔔 Avvisami delle sue novità" in again.buttons


async def test_notifications_list_the_labs_followed_with_a_way_to_stop(bot):
    anna = bot.user()
    await anna.send("spazio q")
    await anna.press("🔔 Avvisami delle sue novità")
    listing = await anna.send("/notifiche")
    assert "Ricevi anche le novità di: Spazio Q" in listing.text
    await anna.press("🔕 Spazio Q")
    assert "lab:spazio-q" not in await bot.repo.subscriptions.topics(anna.id)
    assert "Ricevi anche" not in anna.last().plain  # the list redrawn without it
