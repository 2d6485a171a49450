"""/start, /help, the menu, languages: what a new citizen sees first."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from bot.sandbox.users import Replies
from storage.users import Seen
from tests.conftest import STAFF_ID


async def test_start_greets_in_italian_with_the_main_menu(bot):
    anna = bot.user(first_name="Anna", language_code="it")
    replies = await anna.send("/start")
    assert len(replies) == 2  # the welcome, then the (opt-in) offer of notifications
    assert "Ciao Anna!" in replies.text
    assert "Laboratori Sociali" in replies.text
    assert replies[0].buttons == [
        "🔎 Trova un laboratorio",
        "💡 Proponi un'idea",
        "🎓 Scuola dei Laboratori",
        "📅 Prossimi incontri",
        "🔔 Notifiche",
        "❓ Aiuto",
        "🌐 English",
    ]
    assert "Se non scegli nulla, non ti scriverò per primo" in replies[1].plain
    assert replies[1].buttons == ["⬜ Assemblea di Rete", "⬜ Scuola dei Laboratori Sociali",
                                  "⬜ Annunci della rete"]  # fmt: skip
    assert len(await anna.send("/start")) == 1  # offered once
    user = await bot.repo.users.get(anna.id)
    assert user is not None and user.language == "it" and not user.blocked


async def test_start_speaks_english_to_english_speakers(bot):
    john = bot.user(first_name="John", language_code="en-GB")
    replies = await john.send("/start")
    assert "Hi John!" in replies.text
    assert "🔎 Find a lab" in replies.buttons


async def test_unknown_languages_get_italian(bot):
    replies = await bot.user(language_code="de").send("/start")
    assert "Ciao" in replies.text


async def test_user_names_are_escaped(bot):
    replies = await bot.user(first_name="<b>Bob & Co").send("/start")
    assert "Ciao <b>Bob & Co!" in replies.text  # shown literally, accepted by Telegram


async def test_language_switch_is_remembered(bot):
    anna = bot.user(language_code="it")
    await anna.send("/lingua")
    replies = await anna.press("English")
    assert anna.last().edits == 1 and "from now on" in anna.last().plain
    assert replies == []  # edited in place, nothing new sent
    assert "Hi Anna!" in (await anna.send("/start")).text
    user = await bot.repo.users.get(anna.id)
    assert user is not None and user.language == "en" and user.language_explicit


async def test_menu_language_button_toggles(bot):
    anna = bot.user(language_code="it")
    await anna.send("/start")
    await anna.send("/start")
    await anna.press("🌐 English")
    assert "What would you like to do?" in anna.last().plain
    await anna.press("🌐 Italiano")
    assert "Cosa vuoi fare?" in anna.last().plain


async def test_help_lists_commands_and_contact(bot):
    replies = await bot.user().send("/help")
    assert "/lingua" in replies.text and "info@csf.pv.it" in replies.text


async def test_menu_items_edit_in_place_and_come_back(bot):
    anna = bot.user()
    menu_message = (await anna.send("/start"))[0]
    await anna.press("❓ Aiuto")
    assert "Come funziona" in menu_message.plain
    assert "info@csf.pv.it" in menu_message.plain
    await anna.press("⬅️ Menu")
    assert menu_message.plain == "Cosa vuoi fare?"
    assert "❓ Aiuto" in menu_message.buttons


async def test_menu_items_owned_by_a_feature_send_its_view(bot):
    anna = bot.user()
    await anna.send("/start")
    replies = await anna.press("🎓 Scuola dei Laboratori")
    assert "Scuola dei Laboratori Sociali" in replies.text
    assert "🔔 Avvisami quando si aprono le iscrizioni" in replies.buttons


async def test_notification_choices_are_opt_in_and_toggle_in_place(bot):
    anna = bot.user()
    offer = (await anna.send("/start"))[1]
    assert await bot.repo.subscriptions.topics(anna.id) == set()
    await anna.press("⬜ Assemblea di Rete")
    assert anna.callback_answer()["text"] == "Attivato: Assemblea di Rete"
    assert offer.buttons[0] == "✅ Assemblea di Rete" and offer.edits == 1
    await anna.press("⬜ Annunci della rete")
    assert await bot.repo.subscriptions.topics(anna.id) == {"assemblea", "annunci"}
    view = await anna.send("/notifiche")
    assert view.buttons == ["✅ Assemblea di Rete", "⬜ Scuola dei Laboratori Sociali",
                            "✅ Annunci della rete"]  # fmt: skip
    await anna.press("✅ Annunci della rete")
    assert await bot.repo.subscriptions.topics(anna.id) == {"assemblea"}
    assert await bot.repo.optouts.of_user(anna.id) == {"topic:annunci"}
    from_menu = await anna.press_data("menu:v1:notify")
    assert "Notifiche" in from_menu.text
    assert "Notifiche" in (await anna.send("voglio ricevere le notifiche")).text


OFFER = "🔔 Vuoi che ti avvisi io?"


async def test_a_first_arrival_through_a_lab_qr_code_is_welcomed_once(bot):
    anna = bot.user(first_name="Anna")
    replies = await anna.send("/start lab_crosione")
    hello, offer, card = replies[0], replies[1], replies[2]
    assert hello.plain.startswith("Ciao Anna! 👋") and "Laboratori Sociali" in hello.plain
    assert len(hello.plain) < 300  # short: the card is what they came for
    assert offer.plain.startswith(OFFER) and "⬜ Assemblea di Rete" in offer.buttons
    assert card.plain.startswith("🏠 Crosione")
    again = await anna.send("/start lab_crosione")  # the poster, scanned a second time
    assert again[0].plain.startswith("🏠 Crosione")
    assert "Ciao Anna" not in again.text and OFFER not in again.text


@pytest.mark.parametrize(
    ("payload", "then"),
    [
        ("laboratori", "I Laboratori Sociali"),
        ("vicino", "condividi la tua posizione"),
        ("eventi", "incontr"),
        ("scuola", "Scuola"),
        ("aiuto", "Come funziona"),
    ],
)
async def test_every_deep_link_welcomes_a_first_arrival_once(bot, payload, then):
    anna = bot.user(first_name="Anna")
    replies = await anna.send(f"/start {payload}")
    assert replies[0].plain.startswith("Ciao Anna! 👋") and replies[1].plain.startswith(OFFER)
    assert then in Replies(replies[2:]).text
    again = await anna.send(f"/start {payload}")
    assert "Ciao Anna" not in again.text and OFFER not in again.text and then in again.text


async def test_the_notifications_link_welcomes_without_offering_them_twice(bot):
    anna = bot.user(first_name="Anna")
    replies = await anna.send("/start notifiche")
    assert replies[0].plain.startswith("Ciao Anna! 👋")
    assert len(replies) == 2 and "⬜ Assemblea di Rete" in replies[1].buttons
    assert OFFER not in replies.text


async def test_the_full_welcome_is_not_doubled(bot):
    anna = bot.user(first_name="Anna")
    replies = await anna.send("/start qualcosa_che_non_esiste")  # no such link: /start
    assert replies.text.count("Ciao Anna!") == 1 and replies.text.count(OFFER) == 1


async def test_deep_link_to_help_and_unknown_payload(bot):
    anna = bot.user()
    assert "Come funziona" in (await anna.send("/start aiuto")).text
    assert "Ciao Anna!" in (await anna.send("/start qualcosa_che_non_esiste")).text
    assert "Ciao Anna!" in (await anna.send("/start <script>")).text


async def test_cancel_with_nothing_to_cancel(bot):
    for command in ("/annulla", "/cancel"):
        replies = await bot.user().send(command)
        assert "niente da annullare" in replies.text
        assert "🔎 Trova un laboratorio" in replies.buttons


async def test_staff_status_is_refused_to_citizens(bot):
    replies = await bot.user().send("/stato")
    assert "riservato allo staff" in replies.text
    assert "Versione" not in replies.text


async def test_staff_status_for_staff(bot):
    replies = await bot.user(STAFF_ID).send("/stato")
    assert "Versione: 0.1.0" in replies.text
    assert "Persone conosciute: 1" in replies.text


async def test_staff_status_in_numbers_and_words_nobody_can_misread(bot, clock):
    italian = bot.user(STAFF_ID)
    assert "In funzione da: meno di un minuto" in (await italian.send("/stato")).text
    now = clock.now()  # with the staff member, 1234 people
    await bot.repo.users.seen_many([Seen(i, now, 1, "it", since=now) for i in range(1, 1234)])
    clock.advance(timedelta(hours=1, minutes=1))
    assert "In funzione da: 1 ora e 1 minuto" in (await italian.send("/stato")).text
    clock.advance(timedelta(days=3, hours=3, minutes=4))
    text = (await italian.send("/stato")).text
    assert "In funzione da: 3 giorni e 4 ore" in text
    assert "Persone conosciute: 1.234" in text
    assert re.search(r"Database: \d{1,3}(,\d)? [kMG]B\n", text), text
    english = bot.user(STAFF_ID, language_code="en")
    text = (await english.send("/stato")).text
    assert "Running for: 3 days and 4 hours" in text
    assert "People known: 1,234" in text
    assert re.search(r"Database: \d{1,3}(\.\d)? [kMG]B\n", text), text
    clock.advance(timedelta(hours=20))
    assert "Running for: 4 days\n" in (await english.send("/stato")).text  # not "and 0 hours"


@pytest.mark.parametrize("lang", ["it", "en"])
async def test_help_lists_the_citizens_commands(bot, lang):
    text = (await bot.user(language_code=lang).send("/help")).text
    for command in ("/mie_iscrizioni", "/notifiche", "/privacy", "/miei_dati", "/cancellami"):
        assert command in text, command


async def test_help_lists_the_staff_tools_to_staff_only(bot):
    staff_help = (await bot.user(STAFF_ID).send("/help")).text
    menu = await bot.api.api_getMyCommands({"scope": {"type": "chat", "chat_id": STAFF_ID}}, {})
    staff_commands = [c["command"] for c in menu if c["command"] not in {"start", "help"}]
    assert "Per lo staff" in staff_help
    for command in ("stato", "statistiche", "domande", "annuncio", "evento", "staff"):
        assert f"/{command} — " in staff_help, command
    listed = [line.split(" — ")[0][1:] for line in staff_help.splitlines() if " — " in line]
    assert set(listed) <= set(staff_commands)  # the same list as their Telegram menu
    citizen_help = (await bot.user().send("/help")).text
    assert "Per lo staff" not in citizen_help and "/statistiche" not in citizen_help
