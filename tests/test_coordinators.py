"""Lab coordinators, end to end through the real application: staff invite the person who runs
Spazio Q; she completes the card (hours, a closure, activities with audiences, contacts, the
position from where she stands); citizens get "è aperto adesso?" and "attività per bambini"
answered from it; her news reach exactly Spazio Q's followers; she is refused on every other lab
and every staff tool; the monthly check asks once a month; removal and erasure take the role."""

from __future__ import annotations

import hashlib
import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot import callbacks, directory
from handlers import coordinators
from tests.conftest import STAFF_ID
from tests.helpers import TUESDAY_10, coordinator, invite, snapshot, tool


async def follow(bot, lab_text: str = "spazio q"):
    person = bot.user()
    await person.send(lab_text)
    await person.press("🔔 Avvisami delle sue novità")
    return person


async def test_an_invitation_makes_a_coordinator_once(bot, clock):
    clock.set(TUESDAY_10)
    payload = await invite(bot)
    maria = bot.user(first_name="Maria")
    assert "Ora coordini Spazio Q" in (await maria.send(f"/start {payload}")).text
    staff = bot.user(STAFF_ID)
    assert "Maria ha aperto il tuo invito: ora coordina Spazio Q" in staff.last().plain
    assert [c.name for c in await bot.repo.coordinators.of_lab("spazio-q")] == ["Maria"]

    before = await snapshot(bot)
    other = bot.user(first_name="Luca")
    assert "già stato usato" in (await other.send(f"/start {payload}")).text
    assert "non è valido" in (await other.send("/start coord_forgedforgedforged00")).text
    assert await snapshot(bot) == before

    second = await invite(bot, "Crosione")  # one person may coordinate several labs
    assert "Ora coordini Crosione" in (await maria.send(f"/start {second}")).text
    assert sorted(bot.app.bot_data.coordinators) == ["crosione", "spazio-q"]

    late = await invite(bot)
    clock.advance(timedelta(days=7, minutes=1))
    assert "scaduto" in (await other.send(f"/start {late}")).text
    sent_to_someone_else = await invite(bot)
    await staff.send("/laboratori")
    await staff.press("Spazio Q")
    assert "1 invito non ancora aperto" in (await staff.press("👥 Coordinatori")).text
    await staff.press("🚫 Ritira gli inviti non aperti")
    assert "ritirato dallo staff" in (await other.send(f"/start {sent_to_someone_else}")).text
    assert [c.user_id for c in await bot.repo.coordinators.of_lab("spazio-q")] == [maria.id]
    assert "Spazio Q" in (await maria.send("/coordina")).buttons

    # Staff see the coordinators (names for staff only) and remove one; she is told.
    await staff.send("/laboratori")
    await staff.press("Spazio Q")
    listing = await staff.press("👥 Coordinatori")
    assert "Maria" in listing.text
    await staff.press("➖ Togli Maria")
    await staff.press("✅ Sì, togli")
    assert "ti ha tolto dai coordinatori di Spazio Q" in maria.last().plain
    refused = await maria.press_data(callbacks.pack("labedit", "menu", "spazio-q"))
    assert refused == [] and maria.callback_answer()["show_alert"]


async def test_a_coordinator_completes_the_card_and_citizens_get_answers(bot, clock):
    maria = await coordinator(bot, clock)
    mine = await maria.send("/coordina")
    assert "I laboratori che coordini" in mine.text
    await maria.press("Spazio Q")
    assert "📣 Scrivi a chi lo segue" in maria.visible_buttons()
    assert "👥 Coordinatori" not in maria.visible_buttons()  # staff only
    menu = await maria.press("✏️ Modifica")
    assert menu == [] and "Nome" not in maria.visible_buttons()  # not the name...
    assert not any("Nascondi" in b or "Sposta" in b for b in maria.visible_buttons())

    await maria.press("🕒 Orari")
    await maria.press("Mar")
    assert "non riesco" in (await maria.send("dalle nove")).text.lower()
    await maria.send("9-12, 15-18")
    await maria.press("Gio")
    await maria.send("15-18")
    await maria.press("🚫 Gli altri giorni: chiuso")  # the week is complete: no day unknown
    await maria.press("➕ Chiusura o orario speciale")
    await maria.send("dal 5 al 25 agosto")
    await maria.press("➕ Chiusura o orario speciale")
    await maria.send("martedì 16 marzo 9-11")
    await maria.press("↩️ Indietro")
    await maria.press("Attività")
    await maria.send("Doposcuola per bambini, il mercoledì 16-18\nCorso di italiano per adulti")
    await maria.press("✅ Salva")  # saved: the menu again
    await maria.press("Contatti")
    await maria.send("tel. 0382 123456, spazioq@example.org")
    await maria.press("✅ Salva")
    await maria.press("Posizione")
    assert "📍 Sono al laboratorio adesso" in maria.visible_buttons()
    far = await maria.share_location(45.4642, 9.1900)  # Milan: not the Pavia area
    assert "lontana" in far.text or "fuori" in far.text
    await maria.share_location(45.1921, 9.1748)
    await maria.press("✅ Salva")

    lab = bot.app.bot_data.labs.current.lab("spazio-q")
    assert lab.schedule is not None and lab.position == "exact"
    edits = await bot.repo.lab_edits.history("spazio-q")
    assert {e.staff_id for e in edits} == {maria.id}  # every change keeps who made it

    anna = bot.user()
    now = await anna.send("spazio q è aperto adesso?")
    assert "Adesso è aperto, fino alle 12" in now.text
    saturday = await anna.send("è aperto sabato lo spazio q?")
    assert "Spazio Q è chiuso sabato 13 marzo" in saturday.text
    in_august = await anna.send("spazio q è aperto il 10 agosto?")  # a Tuesday, in the closure
    assert "Spazio Q è chiuso martedì 10 agosto" in in_august.text
    next_tuesday = await anna.send("spazio q è aperto il 16 marzo?")  # its special hours
    assert "Spazio Q è aperto martedì 16 marzo: 9-11" in next_tuesday.text
    card = await anna.send("spazio q")
    assert "mar 9-12, 15-18 · gio 15-18" in card.text
    assert "Chiuso da giovedì 5 agosto a mercoledì 25 agosto" in card.text
    assert "martedì 16 marzo: orario speciale 9-11" in card.text
    assert "Scheda aggiornata il 09/03/2027" in card.text
    assert "0382 123456" in card.text and "Maria" not in card.text  # no coordinator's name
    assert "indicativa" not in card.text  # the position is where she stood: exact
    kids = await anna.send("attività per bambini")
    current = kids.text.split("Aperte a tutti")[0].split("In passato")[0]
    assert "Spazio Q: Doposcuola per bambini, il mercoledì 16-18\n" in current
    clock.set(datetime(2027, 3, 9, 19, 0, tzinfo=UTC))  # 20:00
    assert "riapre giovedì 11 marzo alle 15" in (await anna.send("spazio q aperto?")).text


async def test_news_reach_exactly_the_labs_followers(bot, clock):
    maria = await coordinator(bot, clock)
    nobody = await tool(maria, "📣 Scrivi a chi lo segue")  # told before she writes anything
    assert "Nessuno segue ancora Spazio Q" in nobody.text
    followers = [await follow(bot), await follow(bot)]
    await follow(bot, "crosione")
    announcements = bot.user()
    await announcements.send("/notifiche")
    await announcements.press("⬜ Annunci della rete")

    await tool(maria, "📣 Scrivi a chi lo segue")
    preview = await maria.send("Sabato pulizia del cortile, porta i guanti!")
    assert "Cambia destinatari" not in " ".join(maria.visible_buttons())
    assert any("pulizia del cortile" in m.plain for m in preview)
    await maria.press("📤 Invia ora a 2")
    await bot.app.bot_data.broadcaster.idle()
    header = "📣 Spazio Q · Laboratori Sociali"  # lab news say whose they are
    sent = [m for m in bot.api.sent if "pulizia del cortile" in m.plain and header in m.plain]
    assert {m.chat_id for m in sent} - {maria.id} == {p.id for p in followers}  # and her preview
    # "Non ricevere più" under a lab's news stops that lab's news, and only them.
    leaving = followers[0]
    await leaving.press("🔕 Non ricevere più")
    assert "non riceverai più le novità di Spazio Q" in leaving.callback_answer()["text"]
    topics = await bot.repo.subscriptions.topics(leaving.id)
    assert "lab:spazio-q" not in topics

    # A forged "change audience" does nothing; her news never reach other audiences.
    await maria.press("📣 Scrivi a chi lo segue")
    await maria.send("Secondo messaggio")
    await maria.press_data(callbacks.pack("annuncio", "audience"))
    assert maria.callback_answer()["show_alert"]


async def test_a_coordinator_is_refused_on_other_labs_and_staff_tools(bot, clock):
    maria = await coordinator(bot, clock)
    before = await snapshot(bot)
    for data in (
        callbacks.pack("labedit", "menu", "crosione"),
        callbacks.pack("annuncio", "lab", "crosione"),
        callbacks.pack("coord", "list", "spazio-q"),
        callbacks.pack("coord", "invite", "spazio-q"),
        callbacks.pack("coord", "ok", "crosione"),
        callbacks.pack("labedit", "new"),
    ):
        await maria.press_data(data)
        assert maria.callback_answer().get("show_alert"), data
    for command in ("/annuncio", "/evento", "/edizioni", "/iscrizioni", "/stato", "/ricarica"):
        assert "riservato" in (await maria.send(command)).text, command
    # Inside her own lab's editor, the fields staff keep are refused on the server too.
    await tool(maria, "✏️ Modifica")
    for data in (
        callbacks.pack("labedit", "field", "name"),
        callbacks.pack("labedit", "district"),
        callbacks.pack("labedit", "hidden"),
    ):
        await maria.press_data(data)
        assert maria.callback_answer().get("show_alert"), data
    assert await snapshot(bot) == before


async def test_the_monthly_check_is_asked_once_a_month(bot, clock):
    maria = await coordinator(bot, clock)
    data = bot.app.bot_data
    assert await coordinators.send_checks(data, bot.app.bot, clock.now()) == 1
    assert "La scheda di Spazio Q è ancora giusta?" in maria.last().plain
    assert await coordinators.send_checks(data, bot.app.bot, clock.now()) == 0  # same month
    await maria.press("✅ Tutto giusto")
    assert "risulta confermata oggi" in maria.last().plain
    card = await bot.user().send("spazio q")
    assert "Scheda aggiornata il 09/03/2027" in card.text
    # 1 April 2027, 00:30 in Italy is still 31 March in UTC: the Italian month counts.
    clock.set(datetime(2027, 3, 31, 22, 30, tzinfo=UTC))
    assert await coordinators.send_checks(data, bot.app.bot, clock.now()) == 1


async def test_erasure_takes_the_role_and_keeps_the_edits_without_the_person(bot, clock):
    maria = await coordinator(bot, clock)
    await tool(maria, "✏️ Modifica")
    await maria.press("Contatti")
    await maria.send("tel. 0382 123456")
    await maria.press("✅ Salva")
    await maria.send("/cancellami")
    await maria.press("🗑️ Sì, cancella tutto")
    assert await bot.repo.coordinators.all() == []
    assert bot.app.bot_data.coordinators.get("spazio-q", frozenset()) == frozenset()
    [edit] = [e for e in await bot.repo.lab_edits.history("spazio-q") if e.edit.field == "contacts"]
    assert edit.staff_id == 0 and edit.edit.value == "tel. 0382 123456"


async def test_a_coordinator_plans_events_at_her_lab_only(bot, clock, caplog):
    caplog.set_level(logging.INFO)
    maria = await coordinator(bot, clock)
    follower = await follow(bot)
    await tool(maria, "📅 Nuovo evento qui")
    await maria.send("Merenda in cortile")
    await maria.send("20/03/2027 16-18")
    preview = await maria.send("Porta una tazza & un amico!")
    assert "Spazio Q" in preview.text and "Luogo" not in " ".join(maria.visible_buttons())
    await maria.press_data(callbacks.pack("evedit", "field", "where"))  # forged: the place stays
    assert maria.callback_answer().get("show_alert")
    await maria.press("✅ Pubblica")
    await bot.app.bot_data.broadcaster.idle()
    [event] = [e for e in await bot.repo.events.all() if e.title == "Merenda in cortile"]
    assert event.lab_id == "spazio-q" and event.kind == "altro"
    told = [m.plain for m in bot.api.sent if m.chat_id == follower.id]
    assert any("Merenda in cortile" in t and "Porta una tazza & un amico!" in t for t in told)
    assert f"a coordinator created the event {event.id}" in caplog.text  # the log says who
    assert "staff created the event" not in caplog.text

    # An event at another lab, planned by staff: she may not change it.
    staff = bot.user(STAFF_ID)
    await staff.send("/evento")
    await staff.press("📌 Altro evento della rete")
    await staff.send("Festa a Crosione")
    await staff.send("21/03/2027 16-18")
    await staff.send("Crosione")
    await staff.press("⏭️ Nessuna descrizione")
    await staff.press("✅ Pubblica")
    [other] = [e for e in await bot.repo.events.all() if e.title == "Festa a Crosione"]
    await maria.press_data(callbacks.pack("evedit", "edit", other.id))
    assert maria.callback_answer().get("show_alert")
    await maria.press_data(callbacks.pack("evedit", "edit", event.id))  # her own: allowed
    assert "Merenda in cortile" in maria.last().plain


async def test_staff_see_what_is_missing_or_old_and_undo_a_change(bot, clock):
    maria = await coordinator(bot, clock)
    await tool(maria, "✏️ Modifica")
    await maria.press("Contatti")
    await maria.send("tel. 0382 123456")
    await maria.press("✅ Salva")
    await maria.send("/annulla")

    staff = bot.user(STAFF_ID)
    report = (await staff.send("/dati")).text
    block = report.split("Spazio Q")[1].split("\n\n")[0]
    assert "Coordina: Maria" in block and "Mancano: orari" in block
    assert "contatti" not in block.split("Da ricontrollare")[0].split("Mancano")[1]
    assert "Nessun coordinatore" in report.split("Crosione")[1].split("\n\n")[0]
    clock.advance(timedelta(days=200))
    block = (await staff.send("/dati")).text.split("Spazio Q")[1].split("\n\n")[0]
    assert "contatti" in block.split("Da ricontrollare")[1]
    assert "riservato" in (await maria.send("/dati")).text

    await staff.send("/laboratori")
    await staff.press("Spazio Q")
    await staff.press("✏️ Modifica")
    await staff.press("🕓 Cronologia e annullamenti")  # the menu becomes the history
    assert "Maria · Contatti: tel. 0382 123456" in staff.last().plain
    edits = await bot.repo.lab_edits.history("spazio-q")
    [change] = [e for e in edits if e.edit.field == "contacts"]
    await staff.press(f"↩️ Annulla la modifica #{change.id}")
    assert "Il campo «Contatti» tornerà così: «(vuoto)»" in staff.last().plain
    assert bot.app.bot_data.labs.current.lab("spazio-q").contacts == "tel. 0382 123456"  # asked
    await staff.press("↩️ Sì, annulla")
    assert bot.app.bot_data.labs.current.lab("spazio-q").contacts == ""
    kept = [e.edit.value for e in await bot.repo.lab_edits.history("spazio-q")]
    assert kept[-2:] == ["tel. 0382 123456", ""]  # the undo is one more change


async def test_open_now_across_the_change_to_summer_time(bot, clock):
    maria = await coordinator(bot, clock)
    await tool(maria, "✏️ Modifica")
    await maria.press("🕒 Orari")
    await maria.press("Dom")
    await maria.send("9-12")
    await maria.press("🚫 Gli altri giorni: chiuso")
    anna = bot.user()
    # Saturday 27 March 2027, 09:30 in Italy (winter time, UTC+1): closed, opens tomorrow at 9.
    clock.set(datetime(2027, 3, 27, 8, 30, tzinfo=UTC))
    assert "riapre domani alle 9" in (await anna.send("spazio q è aperto adesso?")).text
    # Sunday 28 March, 07:30 UTC is 09:30 in Italy: the clocks went forward at 02:00.
    clock.set(datetime(2027, 3, 28, 7, 30, tzinfo=UTC))
    assert "Adesso è aperto, fino alle 12" in (await anna.send("spazio q è aperto?")).text
    # 10:30 UTC is 12:30 in Italy: closed, and next Sunday at 9.
    clock.set(datetime(2027, 3, 28, 10, 30, tzinfo=UTC))
    assert "riapre domenica 4 aprile alle 9" in (await anna.send("spazio q aperto?")).text


async def test_in_a_group_a_coordinator_gets_no_tools(bot, clock):
    """Groups × coordinators: a card shown in a group carries no editing tools, a forged tool
    button pressed there is refused, and /coordina or /dati there get the private-chat link."""
    maria = await coordinator(bot, clock)
    group = bot.group()
    [listing] = await maria.send("/laboratori", chat=group)
    await maria.press_data(callbacks.pack("lab", "open", "spazio-q"), listing)
    in_group = group.messages[listing.message_id]  # the list became the card, in place
    assert "Spazio Q" in in_group.plain
    shown = {b["text"] for b in in_group.inline_buttons}
    assert not {"✏️ Modifica", "📣 Scrivi a chi lo segue", "📅 Nuovo evento qui"} & shown
    before = await snapshot(bot)
    for data in (
        callbacks.pack("labedit", "menu", "spazio-q"),
        callbacks.pack("annuncio", "lab", "spazio-q"),
        callbacks.pack("evedit", "lab", "spazio-q"),
    ):
        await maria.press_data(data, in_group)
        assert maria.callback_answer().get("show_alert"), data
    for command in ("/coordina", "/dati"):
        replies = await maria.send(command, chat=group)
        assert [m.chat_id for m in replies] == [group.id]
        assert "Spazio Q" not in replies.text
    assert await snapshot(bot) == before
    assert bot.app.user_data.get(maria.id, {}) == {}  # no flow opened from the group


async def test_the_data_table_of_many_labs_comes_in_several_messages(bot, clock):
    staff = bot.user(STAFF_ID)
    for n in range(40):  # a network that grew: 47 labs
        await bot.repo.lab_edits.add(
            f"nuovo-{n}", "created", f"Laboratorio nuovo {n}", STAFF_ID, clock.now()
        )

    await directory.reapply_edits(bot.app.bot_data)
    replies = await staff.send("/dati")
    assert len(replies) >= 2 and all(len(m.plain) <= 4096 for m in replies)
    assert "Laboratorio nuovo 39" in replies.text and "Spazio Q" in replies.text


async def test_undoing_an_older_change_of_the_hours_warns_about_the_later_ones(bot, clock):
    maria = await coordinator(bot, clock)
    await tool(maria, "✏️ Modifica")
    await maria.press("🕒 Orari")
    await maria.press("➕ Chiusura o orario speciale")
    await maria.send("dal 5 al 25 agosto")
    await maria.press("➕ Chiusura o orario speciale")
    await maria.send("24/12 9-12")
    staff = bot.user(STAFF_ID)
    await staff.send("/laboratori")
    await staff.press("Spazio Q")
    await staff.press("✏️ Modifica")
    await staff.press("🕓 Cronologia e annullamenti")
    assert "24/12 9-12" in staff.last().plain  # a special day, not shown as a closure
    first, second = [e.id for e in await bot.repo.lab_edits.history("spazio-q")]
    await staff.press(f"↩️ Annulla la modifica #{first}")
    assert f"Anche le modifiche successive dello stesso campo (#{second})" in staff.last().plain
    await staff.press("↩️ Sì, annulla")
    hours = bot.app.bot_data.labs.current.lab("spazio-q").schedule
    assert hours is None  # back to before the first change: no hours entered in the chat


async def test_a_coordinator_prints_her_labs_poster_and_no_other(bot, clock):
    """One behaviour and one name: the card's button and /qr give her lab's poster ("manifesto",
    as /qr calls it everywhere), and no other lab's, the Scuola's or the network's."""
    maria = await coordinator(bot, clock)
    posters = await tool(maria, "🖨️ Manifesto con QR")
    assert [m.kind for m in posters] == ["photo", "document", "document"]
    assert "manifesto" in posters[1].plain.lower()
    await maria.press_data(callbacks.pack("lab", "qr", "crosione"))
    assert maria.callback_answer().get("show_alert")
    await maria.press_data(callbacks.pack("lab", "qr-rete"))
    assert maria.callback_answer().get("show_alert")
    picker = await maria.send("/qr")
    assert maria.visible_buttons() == ["Spazio Q"] and "manifesto" in picker.text
    assert "Scuola" not in picker.text
    posters = await maria.press("Spazio Q")
    assert [m.kind for m in posters] == ["photo", "document", "document"]
    assert [m.kind for m in await maria.send("/qr spazio q")] == ["photo", "document", "document"]
    for other in ("/qr crosione", "/qr scuola", "/qr rete"):
        assert "riservato" in (await maria.send(other)).text, other
    assert "riservato" in (await bot.user().send("/qr")).text  # and citizens still not


@pytest.mark.parametrize(
    ("tool_label", "step"),
    [
        ("✏️ Modifica", "Contatti"),  # the editor waits for the contacts
        ("📅 Nuovo evento qui", None),  # the event flow waits for a title
        ("📣 Scrivi a chi lo segue", None),  # the announcement waits for its text
    ],
)
async def test_a_coordinator_removed_mid_flow_is_answered_as_anyone(bot, clock, tool_label, step):
    maria = await coordinator(bot, clock)
    await follow(bot)
    await tool(maria, tool_label)
    if step:
        await maria.press(step)
    staff = bot.user(STAFF_ID)
    await staff.send("/laboratori")
    await staff.press("Spazio Q")
    await staff.press("👥 Coordinatori")
    await staff.press("➖ Togli Maria")
    await staff.press("✅ Sì, togli")
    told = maria.last().plain
    assert "ti ha tolto dai coordinatori di Spazio Q" in told
    assert "Ho chiuso" in told and "non hai più il ruolo" in told  # the flow, with a word
    before = await snapshot(bot)
    answer = await maria.send("Spazio Q è aperto adesso?")
    assert "riservato" not in answer.text and "Spazio Q" in answer.text, answer.text
    assert await snapshot(bot) == before  # the question went nowhere near the closed flow
    assert "staff" not in (await maria.send("orari di crosione")).text.lower()


async def test_a_flow_whose_role_went_any_other_way_closes_at_the_next_message(bot, clock):
    """Whatever takes the role (here the database changed under the bot, as an erasure or a
    lab that is gone would), her next message closes the flow with a word and is answered."""
    maria = await coordinator(bot, clock)
    await tool(maria, "✏️ Modifica")
    await maria.press("Contatti")
    await bot.repo.coordinators.remove("spazio-q", maria.id)
    await coordinators.refresh(bot.app.bot_data)
    replies = await maria.send("Spazio Q è aperto adesso?")
    assert "non hai più il ruolo" in replies[0].plain
    assert "riservato" not in replies.text and "Spazio Q" in replies[-1].plain
    # An edited message is an update like another: the same, in the event flow.
    carla = await coordinator(bot, clock, name="Carla")
    await tool(carla, "📅 Nuovo evento qui")
    sent = await carla.send("Festa")
    await bot.repo.coordinators.remove("spazio-q", carla.id)
    await coordinators.refresh(bot.app.bot_data)
    replies = await carla.edit(carla.last_sent().message_id, "/evento")
    assert "non hai più il ruolo" in replies.text and sent


async def test_an_invitation_is_kept_as_a_hash_of_its_secret(bot, clock):
    """The link's secret is a bearer secret: the database (and every backup) holds only its
    SHA-256; the link works as before, once."""
    payload = await invite(bot)
    secret = payload.removeprefix("coord_")
    rows = await bot.repo.db.fetch_all("SELECT * FROM invitations")
    assert len(rows) == 1
    assert not any(secret in str(value) for value in tuple(rows[0]))
    assert rows[0]["token_hash"] == hashlib.sha256(secret.encode()).hexdigest()
    maria = bot.user(first_name="Maria")
    assert "Ora coordini Spazio Q" in (await maria.send(f"/start {payload}")).text
    assert "già stato usato" in (await bot.user().send(f"/start {payload}")).text
    digest = rows[0]["token_hash"]  # the hash itself is no link
    assert "non è valido" in (await bot.user().send(f"/start coord_{digest[:40]}")).text
