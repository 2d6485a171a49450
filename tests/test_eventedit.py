"""Staff plan events in the chat: create with a preview, move, cancel; people concerned told."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot import callbacks
from bot.reminders import schedule, tick
from tests.conftest import STAFF_ID

ROME = ZoneInfo("Europe/Rome")


def local(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ROME)


async def create(staff, *, kind="🗓️ Assemblea di Rete", title="Assemblea di primavera",
                 when="20/03/2027 10:00-12:30", where="Spazio Q"):  # fmt: skip
    await staff.send("/evento")
    await staff.press(kind)
    await staff.send(title)
    await staff.send(when)
    await staff.send(where)
    preview = await staff.press("⏭️ Nessuna descrizione")
    return preview


async def test_a_new_event_with_its_preview_and_reminders(bot):
    staff = bot.user(STAFF_ID)
    await staff.send("/evento")
    await staff.press("📌 Altro evento della rete")
    assert "titolo" in (await staff.send("🎉")).text.lower()  # no letters: asked again
    await staff.send("Festa di quartiere")
    for typed, expected in [
        ("31/02/2027 16:00-19:00", "non esiste"),
        ("01/01/2026 16:00-19:00", "già passata"),
        ("15/12/2026 19:00-16:00", "La fine deve venire dopo"),
        ("28/03/2027 02:30-04:00", "dalle 2:00 alle 3:00"),
        ("31/10/2027 02:30-04:00", "due volte"),
        ("sabato pomeriggio", "Non riconosco"),
    ]:
        assert expected in (await staff.send(typed)).text, typed
    await staff.send("15/12/2026 16:00-19:00")
    await staff.send("Spazio Q")
    await staff.send("Merenda e musica per tutte le età")
    preview = staff.last()
    assert "Anteprima" in preview.plain
    assert "martedì 15 dicembre 2026, 16:00–19:00" in preview.plain
    assert "Spazio Q, Piazzale Torino 40" in preview.plain  # the lab was recognised
    await staff.press("✅ Pubblica")
    assert "Pubblicato" in staff.last().plain
    anna = bot.user()
    listing = await anna.send("/eventi")
    assert "Festa di quartiere" in listing.text and "➕ Nuovo evento" not in listing.buttons
    plan = {r.key: r for r in await bot.repo.reminders.all()}
    assert plan["e.festa-di-quartiere|1d"].due_at == local("2026-12-14T16:00")
    assert "➕ Nuovo evento" in (await staff.send("/eventi")).buttons


async def test_moving_an_event_tells_the_people_concerned(bot, clock):
    staff = bot.user(STAFF_ID)
    await create(staff)
    await staff.press("✅ Pubblica")
    anna, bruno, carla = bot.user(), bot.user(first_name="Bruno"), bot.user(language_code="en")
    await anna.send("/notifiche")
    await anna.press("⬜ Assemblea di Rete")  # subscribed to the Assemblea
    await bruno.send("/eventi")
    await bruno.press("Assemblea di primavera")
    await bruno.press("🙋 Ci sarò")
    await bruno.press("Contami soltanto")
    await carla.send("/eventi")
    await carla.press("Assemblea di primavera")
    await carla.press("🙋 I will be there")
    await carla.press("Just count me")
    before = {r.key: r.due_at for r in await bot.repo.reminders.all()}
    await staff.send("/eventi")
    await staff.press("Assemblea di primavera")
    await staff.press("✏️ Modifica o annulla")
    await staff.press("📅 Quando")
    await staff.send("27/03/2027 10:00-12:30")
    assert "sabato 27 marzo 2027, 10:00–12:30" in staff.last().plain
    await staff.press("✅ Salva e avvisa chi partecipa")
    await bot.app.bot_data.broadcaster.idle()
    for person in (anna, bruno):
        notice = [m for m in bot.api.sent if m.chat_id == person.id and "Cambiamento" in m.plain]
        assert len(notice) == 1
        assert "Prima: sabato 20 marzo 2027, 10:00–12:30" in notice[0].plain
        assert "Ora: sabato 27 marzo 2027, 10:00–12:30" in notice[0].plain
    [english] = [m for m in bot.api.sent if m.chat_id == carla.id and "Change" in m.plain]
    assert "Now: Saturday 27 March 2027, 10:00–12:30" in english.plain
    after = {r.key: r.due_at for r in await bot.repo.reminders.all()}
    assert after["e.assemblea-di-primavera|1d"] == local("2027-03-26T10:00")
    assert before["e.assemblea-di-primavera|1d"] == local("2027-03-19T10:00")
    assert "avviso in invio a 3 persone" in staff.messages()[-2].plain
    clock.set(local("2027-03-25T10:00"))
    await schedule(bot.app.bot_data, bot.app)  # the daily refresh of exact-time jobs
    jobs = {j.name for j in bot.app.job_queue.jobs()}
    assert "reminder:e.assemblea-di-primavera|1d" in jobs
    clock.set(local("2027-03-19T10:00"))  # the old time: nothing
    assert await tick(bot.app.bot_data, bot.app.bot) == 0
    clock.set(local("2027-03-26T10:00"))
    assert await tick(bot.app.bot_data, bot.app.bot) == 3


async def test_cancelling_an_event_tells_them_and_stops_its_reminders(bot, clock):
    staff = bot.user(STAFF_ID)
    await create(staff, kind="📌 Altro evento della rete", title="Cena solidale")
    await staff.press("✅ Pubblica")
    bruno = bot.user(first_name="Bruno")
    await bruno.send("/eventi")
    await bruno.press("Cena solidale")
    await bruno.press("🙋 Ci sarò")
    await staff.send("/eventi")
    await staff.press("Cena solidale")
    await staff.press("✏️ Modifica o annulla")
    await staff.press("🗑️ Annulla l'evento")
    message, yes = staff.find_button("🗑️ Sì, annulla l'evento")
    await staff.press("🗑️ Sì, annulla l'evento")
    assert message.plain.startswith("🗑️ Incontro annullato: Cena solidale. Avviso in invio")
    await staff.press_data(yes["callback_data"], message)  # a second tap changes nothing
    assert staff.callback_answer()["show_alert"]
    await bot.app.bot_data.broadcaster.idle()
    [notice] = [m for m in bot.api.sent if m.chat_id == bruno.id and "Annullato" in m.plain]
    assert "Cena solidale" in notice.plain and "sabato 20 marzo 2027" in notice.plain
    assert "Cena solidale" not in (await bruno.send("/eventi")).text
    statuses = {r.status for r in await bot.repo.reminders.all() if "cena" in r.key}
    assert statuses == {"cancelled"}
    clock.set(local("2027-03-19T10:00"))
    assert await tick(bot.app.bot_data, bot.app.bot) == 0
    await bruno.press("🔕 Non ricevere più")  # still one tap on a cancelled event's notice
    assert "non riceverai più" in bruno.callback_answer()["text"]


async def test_non_staff_cannot_plan_events(bot):
    staff = bot.user(STAFF_ID)
    await create(staff, title="Assemblea riservata")
    await staff.press("✅ Pubblica")
    anna = bot.user()
    assert "staff" in (await anna.send("/evento")).text.lower()
    for data in (
        callbacks.pack("evedit", "new"),
        callbacks.pack("evedit", "edit", "assemblea-riservata"),
        callbacks.pack("evedit", "dropyes", "assemblea-riservata"),
        callbacks.pack("evedit", "save"),
    ):
        await anna.press_data(data)
        assert anna.callback_answer()["show_alert"]
    [event] = await bot.repo.events.all()
    assert not event.cancelled and event.title == "Assemblea riservata"
    card = await anna.send("/eventi")
    assert "✏️ Modifica o annulla" not in card.buttons


async def test_closing_without_saving_changes_nothing(bot):
    staff = bot.user(STAFF_ID)
    await create(staff, title="Bozza")
    await staff.press("✖️ Chiudi senza salvare")
    assert await bot.repo.events.all() == []
    assert "sticker" not in (await staff.send("/evento")).text  # a fresh start
    await staff.press("📌 Altro evento della rete")
    replies = await staff.send_media("sticker")
    assert "mi serve un testo" in replies.text


async def test_a_title_and_a_place_typed_on_two_lines_are_one_line(bot):
    staff = bot.user(STAFF_ID)
    preview = await create(staff, title="Festa\ndi quartiere", where="Rione Pelizza,\nPavia")
    assert "Festa di quartiere" in preview.text
    await staff.press("✅ Pubblica")
    [event] = await bot.repo.events.all()
    assert event.title == "Festa di quartiere" and event.place == "Rione Pelizza, Pavia"


async def test_publishing_an_assemblea_tells_its_subscribers_once(bot):
    """Its subscribers hear of it when it is published, not only when it moves: once, in their
    language, with its calendar file and "Ci sarò"; nobody else does."""
    anna, bruno, carla = bot.user(), bot.user(language_code="en"), bot.user()
    for person, label in ((anna, "⬜ Assemblea di Rete"), (bruno, "⬜ Network assembly")):
        await person.send("/notifiche")
        await person.press(label)
    await carla.send("/start")  # asked for nothing
    staff = bot.user(STAFF_ID)
    await staff.send("/evento")
    await staff.press("🗓️ Assemblea di Rete")
    await staff.send("Assemblea di primavera")
    await staff.send("20/03/2027 10:00-12:30")
    await staff.send("Spazio Q")
    await staff.press("⏭️ Nessuna descrizione")
    await staff.press("✅ Pubblica")
    assert "Avviso in invio a 2 persone" in staff.last().plain
    await bot.app.bot_data.broadcaster.idle()
    [notice] = [m for m in bot.api.sent if m.chat_id == anna.id and "Nuovo incontro" in m.plain]
    assert "Assemblea di primavera" in notice.plain and "sabato 20 marzo 2027" in notice.plain
    assert notice.buttons == ["📅 Aggiungi al calendario", "🙋 Ci sarò", "🔕 Non ricevere più"]
    [english] = [m for m in bot.api.sent if m.chat_id == bruno.id and "New meeting" in m.plain]
    assert "Saturday 20 March 2027" in english.plain
    assert [m for m in bot.api.sent if m.chat_id == carla.id and "Nuovo" in m.plain] == []
    [ics] = await anna.press("📅 Aggiungi al calendario")
    assert b"BEGIN:VEVENT" in ics.payload["file"]["data"]
    asked = await anna.press("🙋 Ci sarò")
    assert "con il tuo nome" in asked.text


async def test_a_lab_typed_with_a_typo_is_the_lab_and_its_place_is_said_once(bot):
    staff = bot.user(STAFF_ID)
    await staff.send("/evento")
    await staff.press("📌 Altro evento della rete")
    await staff.send("Merenda in quartiere")
    await staff.send("15/12/2026 16:00-19:00")
    await staff.send("crosone")  # Crosione, mistyped
    await staff.press("⏭️ Nessuna descrizione")
    preview = staff.last().plain
    assert "📍 Crosione, Pavia (zona est)" in preview  # the lab, named once
    assert "Crosione, Crosione" not in preview
    await staff.press("✅ Pubblica")
    [event] = [e for e in await bot.repo.events.all() if e.title == "Merenda in quartiere"]
    assert event.lab_id == "crosione" and event.place == ""
    anna = bot.user()
    await anna.send("/eventi")
    await anna.press("Merenda in quartiere")
    [ics] = await anna.press("📅 Aggiungi al calendario")
    assert b"LOCATION:Crosione\\, Pavia (zona est)" in ics.payload["file"]["data"]
    # An address that merely mentions a lab stays the address that was typed.
    await staff.send("/evento")
    await staff.press("📌 Altro evento della rete")
    await staff.send("Festa in strada")
    await staff.send("16/12/2026 16:00-19:00")
    await staff.send("Via Crosione 3")
    await staff.press("⏭️ Nessuna descrizione")
    assert "📍 Via Crosione 3" in staff.last().plain


async def test_when_only_the_end_time_is_missing_it_says_so(bot):
    staff = bot.user(STAFF_ID)
    await staff.send("/evento")
    await staff.press("📌 Altro evento della rete")
    await staff.send("Festa")
    assert "Manca l'ora di fine" in (await staff.send("domani 18:00")).text
    preview = await staff.send("sabato dalle 16 alle 19")
    assert "📍" not in preview.text  # the next question: where
    await staff.send("Spazio Q")
    await staff.press("⏭️ Nessuna descrizione")
    assert "sabato 28 novembre 2026, 16:00–19:00" in staff.last().plain
