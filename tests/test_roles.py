"""Roles: administrators manage staff from the chat; every staff surface refuses everyone else.

The role test below does not list the staff buttons by hand: a staff member walks through every
staff tool, each callback button shown to them and not to a citizen walking the same way is
collected, and then a citizen presses every one of them (and sends every staff command). The
database must not change, and every guarded handler of the application must have been reached.
"""

from __future__ import annotations

from datetime import timedelta

from telegram.ext import CallbackQueryHandler, CommandHandler, ConversationHandler

from bot import callbacks
from tests.conftest import STAFF_ID, with_staff
from tests.helpers import snapshot

ADMIN_ID = 555_900


def admin_config(config):
    from dataclasses import replace

    return replace(config, telegram=replace(config.telegram, admin_ids=(ADMIN_ID,)))


async def test_an_admin_adds_and_removes_staff(start_bot, config):
    bot = await start_bot(admin_config(config))
    admin = bot.user(ADMIN_ID)
    newcomer = bot.user(first_name="Giulia")
    await newcomer.send("/start")
    assert "riservato" in (await newcomer.send("/stato")).text

    listing = await admin.send("/staff")
    assert "Da config.toml" in listing.text and str(STAFF_ID) in listing.text
    await admin.press("➕ Aggiungi una persona")
    assert "👤 Scegli la persona" in admin.visible_buttons()
    assert "solo cifre" in (await admin.send("Giulia")).text  # not an id: asked again
    replies = await admin.share_user(newcomer.id)
    assert "è nello staff e gliel'ho scritto" in replies.text
    assert "Ora fai parte dello staff" in newcomer.last().plain
    assert await bot.repo.staff.ids() == {newcomer.id}
    menu = bot.api.commands[(f"chat:{newcomer.id}", "")]
    assert "stato" in [c["command"] for c in menu]
    assert "Stato del bot" in (await newcomer.send("/stato")).text  # at once

    await admin.send("/staff")
    await admin.press(f"➖ Togli {newcomer.id}")
    await admin.press("✅ Sì, togli")
    assert await bot.repo.staff.ids() == set()
    assert "riservato" in (await newcomer.send("/stato")).text  # at once, whatever the menu
    assert (f"chat:{newcomer.id}", "") not in bot.api.commands

    # Typing the id works as well; people of config.toml cannot be removed from the chat.
    await admin.send("/staff")
    await admin.press("➕ Aggiungi una persona")
    assert "è nello staff" in (await admin.send(str(newcomer.id))).text
    await admin.press_data(callbacks.pack("staff", "rmyes", STAFF_ID))
    assert "config.toml" in admin.callback_answer()["text"]
    assert STAFF_ID in bot.app.bot_data.staff_ids


async def test_staff_who_are_not_admins_cannot_manage_staff(start_bot, config):
    bot = await start_bot(admin_config(config))
    staff = bot.user(STAFF_ID)
    assert "amministratori" in (await staff.send("/staff")).text
    for data in (
        callbacks.pack("staff", "add"),
        callbacks.pack("staff", "rmyes", STAFF_ID),
        callbacks.pack("staff", "list"),
    ):
        await staff.press_data(data)
        assert staff.callback_answer()["show_alert"]
    assert await bot.repo.staff.ids() == set()
    assert STAFF_ID in bot.app.bot_data.staff_ids


async def tour(person, *, staff: bool) -> None:
    """Every tool a staff member has, walked far enough to show its buttons. A citizen walks the
    same way: what they are shown is public, the rest is staff-only."""
    await person.send("/start")
    await person.send("/laboratori")
    await person.press("Spazio Q")
    await person.send("/scuola")
    await person.send("/proponi")  # a proposal's form is everyone's; its moderation is not
    await person.press("🌐 Tutta la rete")
    await person.send("Orto condiviso")
    await person.send("Coltiviamo insieme il cortile.")
    await person.press("⏭️ Salta")
    await person.press("⏭️ Salta")
    if staff:  # sent: staff moderate the network's proposals, from the message and /proposte
        await person.press("✅ Invia")
        await person.send("/proposte")
        # An offer of a hand to a lab with no coordinator: staff reply to it.
        await person.send("/laboratori")
        await person.press("Spazio Q")
        await person.press("🤝 Dai una mano")
        await person.send("Posso aiutare il sabato.")
        await person.press("🙅 No, rispondano qui nel bot")
    else:
        await person.send("/annulla")
        await person.send("/proposte")  # the published ones are everyone's
    if not staff:  # the staff walked first: their event is there to open
        await person.send("/eventi")
        await person.press("Assemblea di prova")
        return
    await person.press_data(callbacks.pack("lab", "open", "spazio-q"))
    await person.press("✏️ Modifica")
    await person.press("Note sugli orari")
    await person.send("Lunedì 10-12")
    await person.send("/annulla")
    await person.send("/qr")
    await person.send("/annuncio")
    await person.send("Festa di quartiere")
    await person.press("Chi segue un laboratorio o una zona")
    await person.send("/annulla")
    await person.send("/evento")
    await person.press("🗓️ Assemblea di Rete")
    await person.send("Assemblea di prova")
    await person.send("20/03/2027 10:00-12:30")
    await person.send("Spazio Q")
    await person.press("⏭️ Nessuna descrizione")
    await person.press("✅ Pubblica")
    await person.send("/eventi")
    await person.press("Assemblea di prova")
    await person.press("✏️ Modifica o annulla")
    await person.send("/annulla")
    await person.send("/edizioni")
    await person.press("➕ Nuova edizione")
    await person.send("Primavera 2027")
    await person.press("➕ Aggiungi incontro")
    await person.send("12/03/2027 17:30-19:30")
    await person.send("Spazio Q")
    await person.press("➕ Sì, aggiungi l'incontro")
    await person.send("/annulla")
    await person.send("/iscrizioni")
    await person.send("/domande")
    await person.send("/statistiche")
    await person.send("/stato")
    await person.send("/staff")


def _buttons_seen(person) -> set[str]:
    return {
        b["callback_data"]
        for m in person.chat.messages.values()
        if m.from_bot
        for b in m.inline_buttons
        if "callback_data" in b
    }


def _guarded(handlers) -> list:
    """Every handler in the application (conversations opened up) whose callback checks a role."""
    found = []
    for handler in handlers:
        if isinstance(handler, ConversationHandler):
            nested = [*handler.entry_points, *handler.fallbacks]
            for state in handler.states.values():
                nested += state
            found += _guarded(nested)
        elif getattr(handler.callback, "role", None):
            found.append(handler)
    return found


async def test_no_staff_surface_works_for_anyone_else(start_bot, config):
    bot = await start_bot(with_staff(admin_config(config), STAFF_ID))
    staff = bot.user(STAFF_ID)
    await tour(staff, staff=True)
    citizen = bot.user()
    await tour(citizen, staff=False)
    staff_only = sorted(_buttons_seen(staff) - _buttons_seen(citizen))
    # Admin tools too: the administrator's /staff list.
    admin = bot.user(ADMIN_ID)
    await admin.send("/staff")
    staff_only += sorted(_buttons_seen(admin))
    # Staff buttons checked inside a shared handler: stopping an announcement.
    staff_only.append(callbacks.pack("ann", "stop", 1))
    assert len(staff_only) > 20
    # A proposal's moderation (publish, reject, correct the title, open from the queue).
    assert {b.split(":")[2] for b in staff_only if b.startswith("propmod:")} == {
        "pub", "rej", "title", "open"
    }  # fmt: skip
    assert any(b.startswith("offer:v1:reply:") for b in staff_only)  # replying to an offer

    data = bot.app.bot_data
    commands = [spec.name for spec in data.commands if spec.staff]
    guarded = _guarded(h for group in bot.app.handlers.values() for h in group)
    for handler in guarded:
        if isinstance(handler, CommandHandler):
            assert set(handler.commands) & {*commands, "annulla", "cancel"}, handler.commands
        elif isinstance(handler, CallbackQueryHandler):
            prefix = handler.pattern.pattern.lstrip("^").split(":")[0]
            assert any(d.startswith(f"{prefix}:") for d in staff_only), (
                f"the tour never showed a button of {prefix!r}: extend it"
            )

    intruder = bot.user(first_name="Intrusa")
    await intruder.send("/start")
    before = await snapshot(bot)
    sent_before = {m.chat_id for m in bot.api.sent}
    for command in commands:
        for text in (f"/{command}", f"/{command} spazio-q 1"):
            replies = await intruder.send(text)
            assert "riservato" in replies.text, text
    for button in staff_only:
        await intruder.press_data(button)
        answer = intruder.callback_answer()
        assert answer.get("show_alert"), (button, answer)
    assert await snapshot(bot) == before
    others = {m.chat_id for m in bot.api.sent} - sent_before - {intruder.id}
    assert others == set(), "the intruder's presses made the bot write to someone else"

    # A lab's coordinator (of Crosione) is refused the same way: every staff button of the tour
    # (Spazio Q's editor and news, the coordinators' list, every staff flow) and every command.
    now = bot.app.bot_data.clock.now()
    token = "crosione-test-invitation"
    await bot.repo.coordinators.invite(token, "crosione", STAFF_ID, now, now + timedelta(days=7))
    coordinator = bot.user(first_name="Coordinatrice")
    assert "Ora coordini Crosione" in (await coordinator.send(f"/start coord_{token}")).text
    before = await snapshot(bot)
    sent_before = {m.chat_id for m in bot.api.sent}
    for spec in data.commands:
        if spec.staff and not spec.coordinators:
            assert "riservato" in (await coordinator.send(f"/{spec.name}")).text, spec.name
        elif spec.coordinators:  # hers for her lab only
            assert "riservato" in (await coordinator.send(f"/{spec.name} spazio q")).text
    for button in staff_only:
        if button.split(":")[3:4] == ["crosione"]:  # her own lab's tools (its poster) are hers
            continue
        await coordinator.press_data(button)
        assert coordinator.callback_answer().get("show_alert"), button
    assert await snapshot(bot) == before
    others = {m.chat_id for m in bot.api.sent} - sent_before - {coordinator.id}
    assert others == set(), "the coordinator's presses made the bot write to someone else"


async def _event_from_card(person, lab: str, title: str, when: str) -> None:
    """ "📅 Nuovo evento qui" on a lab's card: an event made for that lab."""
    await person.send("/laboratori")
    await person.press(lab)
    await person.press("📅 Nuovo evento qui")
    await person.send(title)
    await person.send(when)
    await person.press("⏭️ Nessuna descrizione")
    await person.press("✅ Pubblica")


async def _event_by_staff(staff, kind: str, title: str, when: str, where: str) -> None:
    await staff.send("/evento")
    await staff.press(kind)
    await staff.send(title)
    await staff.send(when)
    await staff.send(where)
    await staff.press("⏭️ Nessuna descrizione")
    await staff.press("✅ Pubblica")


async def test_a_coordinator_edits_only_the_events_made_for_her_lab(bot, clock):
    """Every kind of event at every lab: an Assemblea, a staff event held there, an event made
    from the lab's card by staff and by its coordinator. A coordinator of Spazio Q gets the
    editor (the card's button and the button itself, forged) only for those made for Spazio Q;
    an Assemblea or a staff event held at her lab is not hers to change or cancel."""
    from tests.helpers import TUESDAY_10, invite

    clock.set(TUESDAY_10)
    staff = bot.user(STAFF_ID)
    people = {}
    for lab, name in (("Spazio Q", "Maria"), ("Crosione", "Carla")):
        people[lab] = bot.user(first_name=name)
        await people[lab].send(f"/start {await invite(bot, lab)}")
    mine: set[str] = set()
    day = 15
    for lab, lab_id in (("Spazio Q", "spazio-q"), ("Crosione", "crosione")):
        for kind, label in (("assemblea", "🗓️ Assemblea di Rete"),
                            ("altro", "📌 Altro evento della rete")):  # fmt: skip
            await _event_by_staff(staff, label, f"{kind} {lab_id}", f"{day}/03/2027 10-12", lab)
            day += 1
        await _event_from_card(staff, lab, f"staff card {lab_id}", f"{day}/03/2027 10-12")
        await _event_from_card(people[lab], lab, f"coord card {lab_id}", f"{day + 1}/03/2027 10-12")
        day += 2
    events = {e.title: e for e in await bot.repo.events.all()}
    assert len(events) == 8 and all(e.lab_id for e in events.values())
    mine = {e.id for t, e in events.items() if "card spazio-q" in t}

    maria = people["Spazio Q"]
    for title, event in events.items():
        await maria.send("/eventi")
        card = await maria.press(event.title)
        shown = "✏️ Modifica o annulla" in card.buttons
        assert shown == (event.id in mine), title
        before = await snapshot(bot)
        sent_before = len(bot.api.sent)
        await maria.press_data(callbacks.pack("evedit", "edit", event.id))
        if event.id in mine:
            assert "Anteprima" in maria.last().plain, title
            await maria.send("/annulla")
            continue
        assert maria.callback_answer().get("show_alert"), title
        # Nor any step of the editor, forged: the place, saving, cancelling the event.
        for action, *args in (("field", "title"), ("save",), ("drop",), ("dropyes", event.id)):
            await maria.press_data(callbacks.pack("evedit", action, *args))
            assert maria.callback_answer().get("show_alert"), (title, action)
        assert await snapshot(bot) == before, title
        assert len(bot.api.sent) == sent_before, title  # nothing sent to anyone

    # She cancels her own lab's event; staff still edit every event.
    [own] = [e for e in events.values() if e.title == "coord card spazio-q"]
    await maria.press_data(callbacks.pack("evedit", "edit", own.id))
    await maria.press("🗑️ Annulla l'evento")
    await maria.press("🗑️ Sì, annulla l'evento")
    assert (await bot.repo.events.get(own.id)).cancelled
    for event in events.values():
        if event.id == own.id:
            continue
        await staff.press_data(callbacks.pack("evedit", "edit", event.id))
        assert "Anteprima" in staff.last().plain
        await staff.send("/annulla")


async def test_staff_removed_mid_flow_are_told_and_answered_as_anyone(start_bot, config):
    bot = await start_bot(admin_config(config))
    admin = bot.user(ADMIN_ID)
    giulia = bot.user(first_name="Giulia")
    await giulia.send("/start")
    await admin.send("/staff")
    await admin.press("➕ Aggiungi una persona")
    await admin.send(str(giulia.id))
    await giulia.send("/evento")
    await giulia.press("📌 Altro evento della rete")  # the flow waits for a title
    await admin.send("/staff")
    await admin.press(f"➖ Togli {giulia.id}")
    await admin.press("✅ Sì, togli")
    assert "non hai più il ruolo" in giulia.last().plain
    answer = await giulia.send("Spazio Q è aperto adesso?")
    assert "riservato" not in answer.text and "Spazio Q" in answer.text, answer.text
    assert await bot.repo.events.all() == []
