"""The Scuola says what happened: leaving an edit, signed up already, a pause in the form, where
a session is, what a participant is told."""

from __future__ import annotations

from icalendar import Calendar

from tests.conftest import STAFF_ID, stop
from tests.helpers import at_a_lab, create_edition, fill, scuola_config


async def signed_up(bot, **answers):
    person = bot.user()
    await fill(person, **answers)
    await person.press("✅ Conferma l'iscrizione")
    return person


async def test_leaving_an_edit_drops_the_changes_and_keeps_the_sign_up(start_bot, config, tmp_path):
    bot = await start_bot(scuola_config(config, tmp_path, None))
    anna = await signed_up(bot)
    for leave in ("summary", "/annulla", "pause"):
        await anna.send("/mie_iscrizioni")
        summary = await anna.press("✏️ Modifica SLS-2026-0001")
        assert "✖️ Annulla l'iscrizione" not in summary.buttons  # it would not cancel it
        await anna.press("✏️ Modifica un dato")
        await anna.press("Cognome")
        await anna.send("Bianchi")
        if leave == "summary":
            left = await anna.press("✖️ Lascia perdere le modifiche")
        elif leave == "/annulla":
            left = await anna.send("/annulla")
        else:
            paused = await anna.send("/start")
            assert "✖️ Lascia perdere le modifiche" in paused.buttons
            left = await anna.press("✖️ Lascia perdere le modifiche")
        assert "annullat" not in left.text, leave
        assert "lasciato perdere le modifiche" in left.text
        assert "SLS-2026-0001" in left.text and "✅ confermata" in left.text
        [signup] = await bot.repo.signups.of_edition("autunno-2026")
        assert (signup.status, signup.last_name) == ("confirmed", "Rossi")
    # Cancelling the sign-up itself still says cancelled; a new form left says nothing was made.
    await anna.send("/mie_iscrizioni")
    await anna.press("✖️ Annulla SLS-2026-0001")
    assert "annullata" in (await anna.press("Sì, annulla")).text
    bruno = bot.user()
    await fill(bruno, first="Bruno", email="bruno@example.org")
    left = await bruno.press("✖️ Annulla l'iscrizione")
    assert "non risulti iscritto/a" in left.text and "annullata" not in left.text


async def test_a_signed_up_person_opening_the_scuola_sees_their_sign_up(
    start_bot, config, tmp_path
):
    bot = await start_bot(scuola_config(config, tmp_path, None, capacity=1))
    anna = await signed_up(bot)
    bruno = await signed_up(bot, first="Bruno", email="bruno@example.org")  # waiting list
    seen = await anna.send("/scuola")
    assert "⏳ Mettiti in lista d'attesa: Autunno 2026" not in seen.buttons
    assert "Sei iscritto/a: codice SLS-2026-0001 · ✅ confermata" in seen.text
    assert seen.buttons[:3] == [
        "📅 Calendario SLS-2026-0001", "✏️ Modifica SLS-2026-0001", "✖️ Annulla SLS-2026-0001",
    ]  # fmt: skip
    waiting = await bruno.send("/scuola")
    assert "SLS-2026-0002 · ⏳ in lista d'attesa (posizione 1)" in waiting.text
    assert not any(b.startswith(("⏳ Mettiti", "✍️ Iscriviti")) for b in waiting.buttons)
    assert "✖️ Annulla SLS-2026-0002" in waiting.buttons
    # In English too, and someone not signed up still gets the way in.
    await anna.send("/lingua")
    await anna.press("English")
    assert "You are signed up: code SLS-2026-0001" in (await anna.send("/scuola")).text
    carla = bot.user()
    assert "⏳ Mettiti in lista d'attesa: Autunno 2026" in (await carla.send("/scuola")).buttons


async def test_a_question_typed_while_the_form_waits_to_go_on_is_not_a_field(
    start_bot, config, tmp_path
):
    configured = scuola_config(config, tmp_path, None)
    first = await start_bot(configured)
    anna = first.user()
    await anna.send("/scuola")
    await anna.press("✍️ Iscriviti: Autunno 2026")
    await anna.send("Anna")
    paused = await anna.send("/start")
    assert "Vuoi continuare?" in paused.text
    answer = await anna.send("dove è lo spazio q?")
    assert "Piazzale Torino 40" in answer.text  # answered as anyone's question
    draft = first.app.bot_data.drafts[anna.id]
    assert draft.step == "last_name" and draft.answers.last_name == ""
    await stop(first.app)

    second = await start_bot(configured)  # a restart: still waiting for "continue?"
    second.api.chats = first.api.chats
    anna = second.user(anna.id)
    await anna.send("è aperto adesso?")
    assert second.app.bot_data.drafts[anna.id].answers.last_name == ""
    resumed = await anna.press("▶️ Continua l'iscrizione")
    assert "Passo 2 di 8" in resumed.text
    await anna.send("Rossi")  # now it is the answer
    draft = second.app.bot_data.drafts[anna.id]
    assert (draft.step, draft.answers.last_name) == ("email", "Rossi")
    await stop(second.app)


async def test_a_session_at_a_lab_carries_its_address_and_position(
    start_bot, config, tmp_path, smtp
):
    bot = await start_bot(at_a_lab(config, tmp_path, smtp))
    anna = bot.user()
    await anna.send("/eventi")
    card = await anna.press("Scuola dei Laboratori Sociali – Autunno 2026 (1)")
    assert "📍 Spazio Q, Piazzale Torino 40, 27100 Pavia" in card.text
    assert "📍 Mostra sulla mappa" in card.buttons
    [venue] = await anna.press("📍 Mostra sulla mappa")
    assert venue.kind == "venue" and venue.payload["venue"]["address"].startswith("Spazio Q, Pi")
    [ics] = await anna.press("📅 Aggiungi al calendario")
    [event] = Calendar.from_ical(ics.payload["file"]["data"]).walk("VEVENT")
    assert str(event["LOCATION"]) == "Spazio Q, Piazzale Torino 40, 27100 Pavia"
    assert (event["GEO"].latitude, event["GEO"].longitude) == (45.192, 9.175)
    await fill(anna)
    done = await anna.press("✅ Conferma l'iscrizione")
    assert "Spazio Q, Piazzale Torino 40, 27100 Pavia" in done[0].text
    first, second = Calendar.from_ical(done[1].payload["file"]["data"]).walk("VEVENT")
    assert str(first["LOCATION"]) == "Spazio Q, Piazzale Torino 40, 27100 Pavia"
    assert first["GEO"].latitude == 45.192
    assert str(second["LOCATION"]).startswith("Biblioteca civica") and "GEO" not in second
    listing = await anna.send("/mie_iscrizioni")
    assert "— Spazio Q, Piazzale Torino 40, 27100 Pavia" in listing.text


async def test_staff_naming_a_lab_as_the_place_put_the_session_at_that_lab(bot):
    staff = bot.user(STAFF_ID)
    await create_edition(staff)
    await staff.press("➕ Aggiungi incontro")
    await staff.send("12/03/2027 17:30-19:30")
    sure = await staff.send("spazio q")
    assert "Spazio Q, Piazzale Torino 40, 27100 Pavia" in sure.text
    await staff.press("➕ Sì, aggiungi l'incontro")
    [session] = (await bot.repo.editions.get("primavera-2027")).sessions
    assert session.lab_id == "spazio-q"
    await staff.press("➕ Aggiungi incontro")
    await staff.send("19/03/2027 17:30-19:30")
    await staff.send("Via Crosione 3, Pavia")  # an address that mentions a lab is an address
    await staff.press("➕ Sì, aggiungi l'incontro")
    later = (await bot.repo.editions.get("primavera-2027")).sessions[1]
    assert (later.lab_id, later.place) == ("", "Via Crosione 3, Pavia")


async def test_a_participant_is_told_no_organisers_figure_and_no_promise_about_calendars(bot):
    staff = bot.user(STAFF_ID)
    await create_edition(staff)
    await staff.press("👥 Posti")
    await staff.send("2")
    await staff.press("➕ Aggiungi incontro")
    await staff.send("12/03/2027 17:30-19:30")
    await staff.send("Spazio Q")
    await staff.press("➕ Sì, aggiungi l'incontro")
    await staff.press("🟢 Apri le iscrizioni")
    anna = await signed_up(bot, edition="Primavera 2027")
    done = anna.messages()[-2].plain
    assert "Iscrizione confermata" in done and "Posti" not in done
    # Adding a session asks first; nobody hears of it before "yes", nor after "no".
    before = len(bot.api.sent)
    await staff.press("➕ Aggiungi incontro")
    await staff.send("19/03/2027 17:30-19:30")
    sure = await staff.send("Spazio Q")
    assert "Aggiungere l'incontro di venerdì 19 marzo 2027" in sure.text
    assert "La persona già confermata riceverà un avviso" in sure.text
    await staff.press("↩️ No, non aggiungerlo")
    assert [m for m in bot.api.sent[before:] if m.chat_id == anna.id] == []
    assert len((await bot.repo.editions.get("primavera-2027")).sessions) == 1
    await staff.press("🗑️ Togli incontro 1 (12/03 17:30)")
    await staff.press("🗑️ Sì, togli l'incontro")
    notice = next(m for m in bot.api.sent[before:] if m.chat_id == anna.id).plain
    assert "sparisce" not in notice and "risulta annullato" in notice


async def test_no_keep_it_after_the_sign_up_was_cancelled(start_bot, config, tmp_path, smtp):
    """'No, tienila' tapped after 'Sì, annulla' (the question kept its buttons) said the
    sign-up stands, while it was cancelled: now the question loses its buttons once answered,
    and an old 'No, tienila' says what is true."""
    bot = await start_bot(scuola_config(config, tmp_path, smtp))
    anna = bot.user()
    await fill(anna)
    await anna.press("✅ Conferma l'iscrizione")
    await anna.send("/mie_iscrizioni")
    await anna.press("✖️ Annulla SLS-2026-0001")
    question, keep = anna.find_button("No, tienila")
    await anna.press("Sì, annulla")
    assert question is not None and not question.buttons  # answered: its buttons are gone
    await anna.press_data(keep["callback_data"], question)
    said = " ".join(m.plain for m in anna.messages())  # the question, edited into the answer
    assert "L'iscrizione SLS-2026-0001 è già annullata" in said
    assert "resta com'è" not in said
