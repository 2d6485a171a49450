"""The Scuola: sign-ups that are never lost, forwarded by e-mail to the organisers."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from email.policy import default

import pytest

from bot.i18n import Catalog
from domain.directory import DATA_DIR
from domain.mail import compose
from domain.scuola import FormProblem, check_name
from tests.conftest import STAFF_ID, stop
from tests.helpers import deliver_all, fill, scuola_config


@pytest.fixture
async def scuola(start_bot, config, tmp_path, smtp):
    bot = await start_bot(scuola_config(config, tmp_path, smtp))
    yield bot
    await stop(bot.app)  # before the SMTP server stops


async def test_a_complete_sign_up_reaches_the_organisers(scuola, smtp, clock):
    anna = scuola.user(first_name="Anna")
    await anna.send("/scuola")
    assert "📚 Edizione Autunno 2026" in anna.last().plain
    assert "giovedì 3 dicembre 2026, 17:30–19:30 — Spazio Q" in anna.last().plain
    assert "Passo 1 di 8" in (await anna.press("✍️ Iscriviti: Autunno 2026")).text
    assert "Passo 2 di 8" in (await anna.send("Anna")).text
    await anna.send("Rossi")
    typo = await anna.send("anna.rossi@gmial.com")
    assert "Forse intendevi anna.rossi@gmail.com?" in typo.text
    phone = await anna.press("Sì, usa anna.rossi@gmail.com")
    assert "telefono" in phone.text.lower()
    assert anna.chat.reply_keyboard["keyboard"][0][0]["request_contact"] is True
    await anna.share_contact("+39 333 123 4567")
    await anna.press("Operatore/operatrice di servizi pubblici")
    await anna.send("Cooperativa <Il Sole> & Co")
    await anna.send("Vengo solo al primo incontro <b>grazie</b>")
    consent = anna.last().plain
    assert "Privacy" in consent and "info@csf.pv.it" in consent
    summary = await anna.press("✅ Acconsento")
    assert "E-mail: anna.rossi@gmail.com" in summary.text
    assert "Organizzazione: Cooperativa <Il Sole> & Co" in summary.text
    done = await anna.press("✅ Conferma l'iscrizione")
    assert "Iscrizione confermata!" in done.text and "SLS-2026-0001" in done.text
    assert done.kinds == ["text", "document"]
    ics = done[1].payload["file"]["data"].decode()
    assert ics.count("BEGIN:VEVENT") == 2 and "DTSTART;TZID=Europe/Rome:20261203T173000" in ics
    assert done[1].payload["file"]["file_name"] == "scuola-autunno-2026.ics"

    [signup] = await scuola.repo.signups.of_edition("autunno-2026")
    assert (signup.code, signup.status, signup.phone) == (
        "SLS-2026-0001",
        "confirmed",
        "+39 333 123 4567",
    )
    assert smtp.received == []  # the user is answered before any mail is sent
    await deliver_all(scuola)
    [mail] = smtp.received
    assert mail["Subject"] == "Iscrizione Scuola dei Laboratori Sociali – Autunno 2026 – Anna Rossi"
    assert mail["To"] == "info@csf.pv.it"
    assert mail["Reply-To"] == "anna.rossi@gmail.com"
    assert mail["From"] == "Laboratori Sociali Pavia <bot@laboratorisociali.example>"
    assert mail["Message-ID"].endswith("@laboratorisociali.example>")
    text = mail.get_body(("plain",)).get_content()
    for expected in ("SLS-2026-0001", "Anna", "Rossi", "+39 333 123 4567",
                     "Operatore/operatrice di servizi pubblici", "Cooperativa <Il Sole> & Co",
                     "Vengo solo al primo incontro <b>grazie</b>", "✅ confermata"):  # fmt: skip
        assert expected in text, expected
    html = mail.get_body(("html",)).get_content()
    assert "Cooperativa &lt;Il Sole&gt; &amp; Co" in html
    assert smtp.mailbox.envelopes == [("bot@laboratorisociali.example", ["info@csf.pv.it"])]
    assert (await scuola.repo.outbox.by_status()) == {"sent": 1}


async def test_the_mail_server_is_down_when_the_user_confirms(scuola, smtp, clock):
    smtp.stop()
    anna = scuola.user()
    await fill(anna)
    done = await anna.press("✅ Conferma l'iscrizione")
    assert "Iscrizione confermata!" in done.text  # confirmed at once, whatever the mail server
    report = await scuola.app.bot_data.outbox.deliver_due()
    assert (report.sent, report.retried) == (0, 1)
    [pending] = await scuola.repo.outbox.all()
    assert pending.status == "pending" and pending.attempts == 1
    assert "ConnectionRefused" in pending.last_error or "Connect" in pending.last_error
    assert (await scuola.app.bot_data.outbox.deliver_due()).retried == 0  # not due yet
    smtp.start()
    clock.advance(timedelta(minutes=2))
    report = await scuola.app.bot_data.outbox.deliver_due()
    assert report.sent == 1
    clock.advance(timedelta(hours=2))
    await scuola.app.bot_data.outbox.deliver_due()
    assert len(smtp.received) == 1  # once
    assert smtp.received[0]["Message-ID"] == pending.message_id


async def test_a_temporary_refusal_is_retried_and_a_permanent_one_alerts_staff(scuola, smtp, clock):
    outbox = scuola.app.bot_data.outbox
    smtp.mailbox.reply = "451 4.3.0 Try again later"
    anna = scuola.user()
    await fill(anna)
    await anna.press("✅ Conferma l'iscrizione")
    assert (await outbox.deliver_due()).retried == 1
    smtp.mailbox.reply = "250 OK"
    clock.advance(timedelta(minutes=1))
    assert (await outbox.deliver_due()).sent == 1

    smtp.mailbox.reply = "550 5.7.1 Relaying denied for <info@csf.pv.it>"
    bruno = scuola.user(first_name="Bruno")
    await fill(bruno, first="Bruno", email="bruno@example.org")
    await bruno.press("✅ Conferma l'iscrizione")
    report = await outbox.deliver_due()
    assert report.failed == 1
    alert = [m for m in scuola.api.sent if m.chat_id == STAFF_ID][-1].plain
    assert "non è stata consegnata" in alert and "SLS-2026-0002" in alert
    assert "550" in alert and "info@csf.pv.it" not in alert
    failed = [m for m in await scuola.repo.outbox.all() if m.status == "failed"]
    assert len(failed) == 1
    assert (await scuola.repo.signups.active("autunno-2026", bruno.id)) is not None  # data kept


async def test_giving_up_after_the_last_attempt(scuola, smtp, clock):
    smtp.stop()
    anna = scuola.user()
    await fill(anna)
    await anna.press("✅ Conferma l'iscrizione")
    outbox = scuola.app.bot_data.outbox
    for _ in range(3):
        assert (await outbox.deliver_due()).retried == 1
        clock.advance(timedelta(hours=1))
    assert (await outbox.deliver_due()).failed == 1
    assert any("dopo 4 tentativi" in m.plain for m in scuola.api.sent if m.chat_id == STAFF_ID)


async def test_the_bot_restarts_in_the_middle_of_the_form(start_bot, config, tmp_path, smtp):
    configured = scuola_config(config, tmp_path, smtp)
    first = await start_bot(configured)
    anna = first.user(first_name="Anna")
    await anna.send("/scuola")
    await anna.press("✍️ Iscriviti: Autunno 2026")
    await anna.send("Anna")
    await anna.send("Rossi")
    await stop(first.app)

    second = await start_bot(configured)  # a new process, the same database
    second.api.chats = first.api.chats  # the same Telegram chat history
    anna = second.user(anna.id, first_name="Anna")
    replies = await anna.send("anna@example.org")
    assert "telefono" in replies.text.lower()  # it went on at the e-mail step
    await anna.press("⏭️ Salta")
    await anna.press("Attivista")
    await anna.press("⏭️ Salta")
    await anna.press("⏭️ Salta")
    summary = await anna.press("✅ Acconsento")
    assert "Nome: Anna" in summary.text and "Cognome: Rossi" in summary.text
    done = await anna.press("✅ Conferma l'iscrizione")
    assert "SLS-2026-0001" in done.text
    await stop(second.app)


async def test_two_hundred_people_sign_up_at_once(scuola, smtp):
    users = [scuola.user(500_000 + i, first_name=f"P{i}") for i in range(200)]

    async def one(i: int, user) -> None:
        await fill(user, first=f"Persona{chr(65 + i % 26)}", last=f"Cognome{chr(65 + i // 26)}",
                   email=f"persona{i}@example.org")  # fmt: skip
        await user.press("✅ Conferma l'iscrizione")

    await asyncio.gather(*(one(i, u) for i, u in enumerate(users)))
    signups = await scuola.repo.signups.of_edition("autunno-2026")
    assert len(signups) == 200
    assert len({s.code for s in signups}) == 200
    assert sum(s.status == "confirmed" for s in signups) == 30  # capacity
    assert sum(s.status == "waiting" for s in signups) == 170
    await deliver_all(scuola)
    assert len(smtp.received) == 200
    assert len({m["Message-ID"] for m in smtp.received}) == 200
    assert sorted(m.get_body(("plain",)).get_content().split("\n")[2].split()[-1]
                  for m in smtp.received) == sorted(s.code for s in signups)  # fmt: skip


async def test_the_waiting_list_promotes_in_order(start_bot, config, tmp_path, smtp):
    bot = await start_bot(scuola_config(config, tmp_path, smtp, capacity=2))
    people = [bot.user(600_000 + i, first_name=f"P{i}") for i in range(4)]
    answers = []
    for i, person in enumerate(people):
        await fill(person, first=["Anna", "Bruno", "Carla", "Dario"][i], email=f"p{i}@example.org")
        answers.append(await person.press("✅ Conferma l'iscrizione"))
    assert (
        "Iscrizione confermata!" in answers[0].text and "Iscrizione confermata!" in answers[1].text
    )
    assert "lista d'attesa</b>, posizione 1" in answers[2][0].text
    assert "posizione 2" in answers[3].text
    # A full edition says so before anyone starts the form, and its button says what it does.
    looking = await bot.user().send("/scuola")
    assert "Al completo: lista d'attesa (2 in attesa)" in looking.text
    assert looking.buttons == ["⏳ Mettiti in lista d'attesa: Autunno 2026"]
    assert answers[2].kinds == ["text"]  # no calendar until there is a place
    staff_alerts = [m.plain for m in bot.api.sent if m.chat_id == STAFF_ID]
    assert any("raggiunto il 100% dei posti (2 su 2)" in a for a in staff_alerts)

    anna = people[0]
    listing = await anna.send("/mie_iscrizioni")
    assert "SLS-2026-0001 · Autunno 2026 · ✅ confermata" in listing.text
    await anna.press("✖️ Annulla SLS-2026-0001")
    before = len(bot.api.sent)
    cancelled = await anna.press("Sì, annulla")
    assert "SLS-2026-0001" in cancelled.text and "annullata" in cancelled.text
    carla_news = [m for m in bot.api.sent[before:] if m.chat_id == people[2].id]
    assert "Si è liberato un posto!" in carla_news[0].plain and carla_news[1].kind == "document"
    statuses = {s.code: s.status for s in await bot.repo.signups.of_edition("autunno-2026")}
    assert statuses == {"SLS-2026-0001": "cancelled", "SLS-2026-0002": "confirmed",
                        "SLS-2026-0003": "confirmed", "SLS-2026-0004": "waiting"}  # fmt: skip
    assert "posizione 1" in (await people[3].send("/mie_iscrizioni")).text
    await deliver_all(bot)
    subjects = [m["Subject"] for m in smtp.received]
    assert (
        "Iscrizione annullata – Scuola dei Laboratori Sociali – Autunno 2026 – Anna Rossi"
        in subjects
    )
    assert any(
        s.startswith("Posto liberato, iscrizione confermata") and "Carla" in s for s in subjects
    )
    again = await anna.press_data("scuola:v1:cancelok:1")
    assert "era già annullata" in again.text
    await stop(bot.app)


@pytest.mark.parametrize(
    ("step_text", "answer", "complaint"),
    [
        ("first", "😀😀", "fatto di lettere"),
        ("first", "x" * 500, "troppo lungo"),
        ("first", "R2D2", "Il nome contiene numeri o simboli: scrivi solo il nome"),
        (
            "last",
            "https://rossi.example",
            "Il cognome contiene numeri o simboli: scrivi solo il cognome",
        ),
        ("email", "anna@", "non sembra valido"),
        ("email", "anna at example dot org", "non sembra valido"),
        ("phone", "12", "Non riconosco questo numero"),
    ],
)
async def test_bad_answers_get_a_clear_reply_and_the_step_stays(
    scuola, step_text, answer, complaint
):
    anna = scuola.user()
    await anna.send("/scuola")
    await anna.press("✍️ Iscriviti: Autunno 2026")
    if step_text in ("last", "email", "phone"):
        await anna.send("Anna")
    if step_text in ("email", "phone"):
        await anna.send("Rossi")
    if step_text == "phone":
        await anna.send("anna@example.org")
    replies = await anna.send(answer)
    assert complaint in replies.text
    assert scuola.app.bot_data.drafts[anna.id].step == {
        "first": "first_name",
        "last": "last_name",
    }.get(step_text, step_text)


@pytest.mark.parametrize(
    ("typed", "problem"),
    [("😀😀", "letters"), ("Rossi" * 13, "long"), ("https://rossi.example", "chars")],
)
def test_a_bad_name_is_refused_naming_the_field(typed, problem):
    catalog = Catalog.load()
    for field, word in (
        ("first_name", ("nome", "first name")),
        ("last_name", ("cognome", "surname")),
    ):
        with pytest.raises(FormProblem) as refused:
            check_name(typed, field)
        assert refused.value.code == f"{field}_{problem}"
        key = f"scuola.error.{refused.value.code}"
        assert word[0] in catalog.text("it", key) and word[1] in catalog.text("en", key)
        other = "cognome" if field == "first_name" else " nome"
        assert other not in catalog.text("it", key)


async def test_media_and_commands_in_the_middle_of_the_form(scuola):
    anna = scuola.user()
    await anna.send("/scuola")
    await anna.press("✍️ Iscriviti: Autunno 2026")
    photo = await anna.send_media("photo")
    assert "mi serve un testo scritto" in photo.text and "Come ti chiami?" in photo.text
    paused = await anna.send("/start")
    assert "Stai compilando l'iscrizione alla Scuola (passo 1 di 8)" in paused.text
    resumed = await anna.press("▶️ Continua l'iscrizione")
    assert "Come ti chiami?" in resumed.text
    helped = await anna.send("/help")
    assert "Come funziona" in helped.text  # /help still works
    await anna.send("Anna")
    assert scuola.app.bot_data.drafts[anna.id].step == "last_name"
    other = await anna.share_contact("+39 333 000 0000", user_id=999)
    assert "mi serve un testo" in other.text
    cancelled = await anna.send("/annulla")
    assert "non ho salvato nulla e non risulti iscritto/a" in cancelled.text
    assert anna.id not in scuola.app.bot_data.drafts
    assert await scuola.repo.drafts.all() == []
    assert "Laboratori Sociali" in (await anna.send("/start")).text  # back to normal


async def test_old_buttons_and_a_double_confirmation(scuola, smtp):
    anna = scuola.user()
    await fill(anna)
    summary = anna.last()
    await anna.press("✅ Conferma l'iscrizione")
    await anna.press_data("scuola:v1:f:summary:confirm", summary)  # the double tap
    assert anna.callback_answer()["text"] == "Questo pulsante non è più attivo."
    await anna.press_data("scuola:v1:f:role:attivista", summary)
    assert anna.callback_answer()["text"] == "Questo pulsante non è più attivo."
    assert len(await scuola.repo.signups.of_edition("autunno-2026")) == 1
    await deliver_all(scuola)
    assert len(smtp.received) == 1


async def test_editing_a_field_from_the_summary(scuola):
    anna = scuola.user()
    await fill(anna)
    await anna.press("✏️ Modifica un dato")
    asked = await anna.press("Cognome")
    assert "Ora: «Rossi»" in asked.text
    summary = await anna.send("Bianchi")
    assert "Cognome: Bianchi" in summary.text and "Controlla i tuoi dati" in summary.text


async def test_signing_up_twice_offers_to_update(scuola, smtp):
    anna = scuola.user()
    await fill(anna)
    await anna.press("✅ Conferma l'iscrizione")
    again = await anna.press("✍️ Iscriviti: Autunno 2026")
    assert "Sei già iscritto/a all'edizione Autunno 2026 (codice SLS-2026-0001)" in again.text
    summary = await anna.press("✏️ Aggiorna i miei dati")
    assert "Controlla i tuoi dati" in summary.text
    await anna.press("✏️ Modifica un dato")
    await anna.press("Telefono")
    await anna.send("0382 123456")
    done = await anna.press("✅ Conferma l'iscrizione")
    assert "Iscrizione aggiornata" in done.text and "SLS-2026-0001" in done.text
    [signup] = await scuola.repo.signups.of_edition("autunno-2026")
    assert signup.phone == "+39 0382 123456"
    await deliver_all(scuola)
    assert [m["Subject"].split(" – ")[0] for m in smtp.received] == [
        "Iscrizione Scuola dei Laboratori Sociali",
        "Aggiornamento iscrizione Scuola dei Laboratori Sociali",
    ]


async def test_without_a_mail_server_mail_becomes_eml_files(start_bot, config, tmp_path, caplog):
    bot = await start_bot(scuola_config(config, tmp_path, None))
    anna = bot.user()
    await fill(anna)
    await anna.press("✅ Conferma l'iscrizione")
    with caplog.at_level("INFO"):
        assert (await bot.app.bot_data.outbox.deliver_due()).sent == 1
    [eml] = (tmp_path / "outbox").glob("*.eml")
    assert b"Subject: =?utf-8?" in eml.read_bytes() or b"Subject: Iscrizione" in eml.read_bytes()
    # The log says which file by its number: its name holds the sign-up code.
    assert "e-mail 1 (signup) delivered to the outbox folder (file number 000001)" in caplog.text
    assert eml.name.startswith("000001-") and eml.name not in caplog.text
    assert "anna.rossi@example.org" not in caplog.text  # no personal data in the log
    await stop(bot.app)


async def test_no_open_edition_offers_a_notification(bot):
    anna = bot.user()
    replies = await anna.send("/scuola")
    assert "non sono ancora aperte" in replies.text
    await anna.press("🔔 Avvisami quando si aprono le iscrizioni")
    assert await bot.repo.subscriptions.subscribers("scuola") == [anna.id]
    replies = await anna.send("/scuola")
    assert "🔕 Non avvisarmi più" in replies.buttons
    await anna.press("🔕 Non avvisarmi più")
    assert await bot.repo.subscriptions.subscribers("scuola") == []
    assert "Non hai iscrizioni" in (await anna.send("/mie_iscrizioni")).text


def test_a_header_value_with_a_line_break_is_folded_never_refused():
    """Defence in depth: whatever reaches the e-mail's headers, composing never raises."""
    raw = compose(
        subject="Iscrizione – Primavera\n2027\r\n– Anna\u2028Rossi",
        intro="Nuova iscrizione",
        fields=[("Nota", "riga uno\nriga due")],
        outro="Fine",
        sender="Laboratori Sociali\nPavia <bot@laboratorisociali.example>",
        to="info@csf.pv.it\n",
        reply_to="anna@example.org\r\nBcc: x@example.org",
        message_id="<1.signup.SLS-2026-0001@laboratorisociali.example>",
        date=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
    )
    message = message_from_bytes(raw, policy=default)
    assert message["Subject"] == "Iscrizione – Primavera 2027 – Anna Rossi"
    assert message["From"] == "Laboratori Sociali Pavia <bot@laboratorisociali.example>"
    assert message["To"] == "info@csf.pv.it"
    assert message["Bcc"] is None  # a line break cannot add a header
    assert "riga uno\r\nriga due" in message.get_body(("plain",)).get_content()  # kept


async def test_my_sign_ups_show_the_dates_the_calendar_and_a_way_to_change(
    start_bot, config, tmp_path
):
    bot = await start_bot(scuola_config(config, tmp_path, None))
    anna = bot.user(first_name="Anna")
    await fill(anna)
    await anna.press("✅ Conferma l'iscrizione")
    listing = await anna.send("/mie_iscrizioni")
    assert "SLS-2026-0001 · Autunno 2026 · ✅ confermata" in listing.text
    assert "giovedì 3 dicembre 2026, 17:30–19:30 — Spazio Q" in listing.text
    assert listing.buttons == [
        "📅 Calendario SLS-2026-0001", "✏️ Modifica SLS-2026-0001", "✖️ Annulla SLS-2026-0001",
    ]  # fmt: skip
    [ics] = await anna.press("📅 Calendario SLS-2026-0001")
    assert ics.kind == "document" and b"BEGIN:VCALENDAR" in ics.payload["file"]["data"]
    summary = await anna.press("✏️ Modifica SLS-2026-0001")
    assert "E-mail: anna.rossi@example.org" in summary.text  # the form, at its summary
    await anna.send("/annulla")
    # "Va bene così" on "you are already signed up" answers in words, not with a silent tap.
    await anna.send("/scuola")
    already = await anna.press("✍️ Iscriviti: Autunno 2026")
    assert "Sei già iscritto" in already.text
    await anna.press("👍 Va bene così")
    assert anna.last().plain.startswith("👍 Va bene: la tua iscrizione resta com'è")
    assert anna.last().buttons == []


async def test_a_full_edition_says_so_before_the_form_is_confirmed(start_bot, config, tmp_path):
    bot = await start_bot(scuola_config(config, tmp_path, None, capacity=1))
    first, second = bot.user(), bot.user()
    await fill(first)
    await first.press("✅ Conferma l'iscrizione")
    summary = await fill(second, first="Bruno", email="bruno@example.org")
    assert "L'edizione è al completo: confermando entri in lista d'attesa, posizione 1" in (
        summary.text
    )
    done = await second.press("✅ Conferma l'iscrizione")
    assert "sei in lista d'attesa, posizione 1" in done.text


async def test_the_confirmation_says_what_is_true_about_the_email(start_bot, config, tmp_path):
    """The e-mail to the organisers is queued, not yet received, when the person is answered."""
    bot = await start_bot(scuola_config(config, tmp_path, None))
    anna = bot.user()
    await fill(anna)
    done = await anna.press("✅ Conferma l'iscrizione")
    assert "Stiamo inviando i tuoi dati agli organizzatori per e-mail" in done.text
    assert "hanno ricevuto" not in done.text
    assert [m.status for m in await bot.repo.outbox.all()] == ["pending"]  # indeed on its way


async def test_the_code_has_the_year_of_the_edition(start_bot, config, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    (data / "scuola.toml").write_text(
        '[[edition]]\nid = "scuola-2027"\ntitle = "Scuola 2027"\n\n[[edition.sessions]]\n'
        'when = "14/01/2027 17:30-19:30"\nplace = "Spazio Q"\n',
        encoding="utf-8",
    )
    bot = await start_bot(replace(config, storage=replace(config.storage, data_dir=data)))
    anna = bot.user()
    await fill(anna, edition="Scuola 2027")
    done = await anna.press("✅ Conferma l'iscrizione")
    assert "SLS-2027-0001" in done.text  # signed up in November 2026, for the 2027 edition


async def test_a_session_card_offers_the_sign_up_and_keeps_the_link_for_participants(
    start_bot, config, tmp_path
):
    bot = await start_bot(scuola_config(config, tmp_path, None))
    first, online = (
        "Scuola dei Laboratori Sociali – Autunno 2026 (1)",
        ("Scuola dei Laboratori Sociali – Autunno 2026 (2)"),
    )
    anna = bot.user()
    await anna.send("/eventi")
    card = await anna.press(first)
    assert "✍️ Iscriviti: Autunno 2026" in card.buttons
    await anna.send("/eventi")
    before = await anna.press(online)  # the online session, before signing up
    assert "meet.example.org" not in before.text
    assert "il link arriva a chi ha un posto confermato" in before.text
    [ics] = await anna.press("📅 Aggiungi al calendario")
    assert b"meet.example.org" not in ics.payload["file"]["data"]
    await fill(anna)
    await anna.press("✅ Conferma l'iscrizione")
    await anna.send("/eventi")
    after = await anna.press(online)
    assert "https://meet.example.org/scuola" in after.text
    assert "✍️ Iscriviti: Autunno 2026" not in after.buttons
    assert "📋 Le mie iscrizioni" in after.buttons


async def test_the_scuola_calendar_has_the_sign_up_code_and_a_way_back(start_bot, config, tmp_path):
    bot = await start_bot(scuola_config(config, tmp_path, None))
    anna = bot.user()
    await fill(anna)
    replies = await anna.press("✅ Conferma l'iscrizione")
    [ics] = [m for m in replies if m.kind == "document"]
    assert ics.payload["file"]["file_name"] == "scuola-autunno-2026.ics"
    unfolded = ics.payload["file"]["data"].replace(b"\r\n ", b"").decode()
    assert unfolded.count("Codice della tua iscrizione: SLS-2026-0001") == 2  # both sessions
    assert "https://t.me/LabSocialiPaviaBot?start=scuola" in unfolded


async def test_the_organisers_emails_say_language_and_places_and_keep_one_thread(
    start_bot, config, tmp_path, smtp
):
    bot = await start_bot(scuola_config(config, tmp_path, smtp, capacity=2))
    anna, bruno = bot.user(), bot.user()
    await fill(anna)
    await anna.press("✅ Conferma l'iscrizione")
    await fill(bruno, first="Bruno", email="bruno@example.org")
    await bruno.press("✅ Conferma l'iscrizione")
    await anna.send("/mie_iscrizioni")
    await anna.press("✖️ Annulla SLS-2026-0001")
    await anna.press("Sì, annulla")
    await deliver_all(bot)
    first, second, cancelled = smtp.received
    text = first.get_body(("plain",)).get_content()
    assert "Lingua:" in text and "italiano" in text
    assert "liberi: 1 su 2 · in lista d'attesa: 0" in text  # after this sign-up
    assert "liberi: 0 su 2" in second.get_body(("plain",)).get_content()
    assert first["Message-ID"] == "<scuola.signup.SLS-2026-0001@laboratorisociali.example>"
    assert cancelled["In-Reply-To"] == first["Message-ID"]  # one conversation per sign-up
    assert cancelled["References"] == first["Message-ID"]
    assert first["In-Reply-To"] is None


async def test_the_erasure_email_does_not_invite_a_reply_it_cannot_reach(
    start_bot, config, tmp_path, smtp
):
    bot = await start_bot(scuola_config(config, tmp_path, smtp))
    anna = bot.user()
    await fill(anna)
    await anna.press("✅ Conferma l'iscrizione")
    await anna.send("/cancellami")
    await anna.press("🗑️ Sì, cancella tutto")
    await deliver_all(bot)
    [erasure] = [m for m in smtp.received if "cancellazione" in m["Subject"]]
    assert erasure["Reply-To"] is None
    text = erasure.get_body(("plain",)).get_content()
    assert "rispondere a questa e-mail" not in text
    assert "non ha un indirizzo a cui rispondere" in text


async def test_an_old_did_you_mean_button_does_not_apply_to_a_newer_answer(
    start_bot, config, tmp_path
):
    bot = await start_bot(scuola_config(config, tmp_path, None))
    giulia = bot.user(first_name="Giulia")
    await giulia.send("/scuola")
    await giulia.press("✍️ Iscriviti: Autunno 2026")
    await giulia.send("Giulia")
    await giulia.send("Rossi")
    offer = await giulia.send("giulia.rossi@gmial.com")
    assert "Forse intendevi giulia.rossi@gmail.com?" in offer.text
    old = giulia.find_button("Sì, usa giulia.rossi@gmail.com")
    refused = await giulia.send("giulia@")  # a new answer, not valid either
    assert "non sembra valido" in refused.text
    await giulia.press_data(old[1]["callback_data"], old[0])
    assert "era per un indirizzo scritto prima" in giulia.messages()[-2].plain
    assert bot.app.bot_data.drafts[giulia.id].answers.email == ""  # nothing applied
    assert bot.app.bot_data.drafts[giulia.id].step == "email"
