"""The organisers' e-mails are complete (sessions, calendar, what changed) and keep to the RFCs."""

from __future__ import annotations

import shutil

from icalendar import Calendar

from domain.directory import DATA_DIR
from tests import rfc_mail
from tests.conftest import stop
from tests.helpers import at_a_lab, deliver_all, fill, scuola_config


def plain(mail) -> str:
    return mail.get_body(("plain",)).get_content().replace("\r\n", "\n")


async def test_the_sign_up_email_has_the_sessions_and_the_calendar_the_person_got(
    start_bot, config, tmp_path, smtp
):
    bot = await start_bot(at_a_lab(config, tmp_path, smtp))
    anna = bot.user()
    await fill(anna)
    done = await anna.press("✅ Conferma l'iscrizione")
    [given] = [m for m in done if m.kind == "document"]
    await deliver_all(bot)
    [mail] = smtp.received
    text = plain(mail)
    assert "Incontri" in text
    assert (
        "1: giovedì 3 dicembre 2026, 17:30–19:30 — Spazio Q, Piazzale Torino 40, 27100 Pavia"
        in text
    )
    assert "2: giovedì 10 dicembre 2026, 17:30–19:30 — Biblioteca civica" in text
    [attached] = list(mail.iter_attachments())
    assert attached.get_content_type() == "text/calendar"
    assert attached.get_filename() == "scuola-autunno-2026.ics"
    assert attached.get_content_charset() == "utf-8"
    assert attached.get_payload(decode=True) == given.payload["file"]["data"]  # the same file
    await stop(bot.app)


async def test_an_update_email_says_what_changed_before_and_after(
    start_bot, config, tmp_path, smtp
):
    bot = await start_bot(scuola_config(config, tmp_path, smtp))
    anna = bot.user()
    await fill(anna, phone="333 123 4567")
    await anna.press("✅ Conferma l'iscrizione")
    await anna.send("/mie_iscrizioni")
    await anna.press("✏️ Modifica SLS-2026-0001")
    await anna.press("✏️ Modifica un dato")
    await anna.press("Telefono")
    await anna.send("⏭️ Salta")  # the phone taken away
    await anna.press("✏️ Modifica un dato")
    await anna.press("Cognome")
    await anna.send("Bianchi")
    await anna.press("✅ Conferma l'iscrizione")
    await deliver_all(bot)
    _, update = smtp.received
    text = plain(update)
    changes = text.split("Cosa è cambiato (prima → dopo)\n", 1)[1].split("\n\n", 1)[0]
    assert changes.splitlines() == [
        "  Cognome:  Rossi → Bianchi",
        "  Telefono: +39 333 123 4567 → —",
    ]
    assert "Telefono:" in text.split("\n\n", 2)[2]  # and every field as it is now, after
    html = update.get_body(("html",)).get_content()
    assert "Rossi → Bianchi" in html
    # Confirming an edit with nothing changed says so, rather than an empty list.
    await anna.send("/mie_iscrizioni")
    await anna.press("✏️ Modifica SLS-2026-0001")
    await anna.press("✅ Conferma l'iscrizione")
    await deliver_all(bot)
    assert "Nessun dato è cambiato" in plain(smtp.received[-1])
    await stop(bot.app)


async def test_every_email_the_bot_writes_keeps_to_the_rfcs_and_to_one_thread(
    start_bot, config, tmp_path, smtp
):
    """Sign-up, update, waiting list, cancellation, promotion, erasure: each message as it
    reached the mail server, with long Italian subjects (the update's used to carry an empty
    encoded word, `=?utf-8?q??=`) and a long title folded over several lines."""
    data = tmp_path / "data"
    shutil.copytree(DATA_DIR, data)
    title = "Autunno 2026 – Pavia, Certosa e Distretto sociale pavese: edizione aperta"
    configured = at_a_lab(config, tmp_path, smtp, capacity=1)
    toml = (data / "scuola.toml").read_text(encoding="utf-8")
    (data / "scuola.toml").write_text(toml.replace("Autunno 2026", title), encoding="utf-8")
    bot = await start_bot(configured)
    anna, bruno = bot.user(), bot.user()
    await fill(anna, phone="333 123 4567", edition=title)
    await anna.press("✅ Conferma l'iscrizione")
    await anna.send("/mie_iscrizioni")
    await anna.press("✏️ Modifica SLS-2026-0001")
    await anna.press("✏️ Modifica un dato")
    await anna.press("Telefono")
    await anna.send("⏭️ Salta")
    await anna.press("✅ Conferma l'iscrizione")
    await fill(bruno, first="Bruno", last="D'Alò-Çelik", email="bruno@example.org", edition=title)
    await bruno.press("✅ Conferma l'iscrizione")  # the waiting list
    await anna.send("/mie_iscrizioni")
    await anna.press("✖️ Annulla SLS-2026-0001")
    await anna.press("Sì, annulla")  # Bruno moves up
    await deliver_all(bot)  # before the erasure, which withdraws what is still to go
    await bruno.send("/cancellami")
    await bruno.press("🗑️ Sì, cancella tutto")
    await deliver_all(bot)
    kinds = [m["Message-ID"].split(".")[-2] for m in smtp.received]
    assert len(smtp.mailbox.raw) == 6, kinds
    messages = [rfc_mail.check(raw) for raw in smtp.mailbox.raw]
    subjects = [m["Subject"] for m in messages]
    assert (
        subjects[1]
        == f"Aggiornamento iscrizione Scuola dei Laboratori Sociali – {title} – Anna Rossi"
    )
    assert any("D'Alò-Çelik" in s for s in subjects)
    rfc_mail.check_threads(messages)
    anna_thread = [m for m in messages if "SLS-2026-0001" in m["Message-ID"]]
    assert len(anna_thread) == 3  # sign-up, update, cancellation: one conversation
    assert {m["In-Reply-To"] for m in anna_thread[1:]} == {anna_thread[0]["Message-ID"]}
    erasure = messages[-1]
    assert "cancellazione" in erasure["Subject"]
    assert erasure["In-Reply-To"] == "<scuola.signup.SLS-2026-0002@laboratorisociali.example>"
    for message in messages:
        for part in message.iter_attachments():
            Calendar.from_ical(part.get_payload(decode=True))  # a calendar that reads back
    await stop(bot.app)


def test_a_long_subject_never_carries_an_empty_encoded_word():
    """Below the application: the composer itself, for subjects of every length around the
    point where the standard library's folder left an empty encoded word."""
    from datetime import UTC, datetime

    from domain.mail import compose

    for n in range(0, 60):
        for name in ("Anna Rossi", "Çelik Ünal"):
            subject = f"Aggiornamento iscrizione{' x' * n} – Autunno 2026 – {name}"
            raw = compose(
                subject=subject, intro="i", fields=[("Nome", "Anna")], outro="o",
                sender="Laboratori Sociali Pavia <bot@laboratorisociali.example>",
                to="info@csf.pv.it", reply_to="anna@example.org",
                message_id="<scuola.signup.SLS-2026-0001@laboratorisociali.example>",
                date=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
            )  # fmt: skip
            assert rfc_mail.check(raw)["Subject"] == subject
