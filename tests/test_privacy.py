"""Privacy: the notice, a copy of one's data, erasure that leaves nothing behind, retention."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.mail import FileMailer
from domain.personal import without_contacts
from handlers.privacy import apply_retention
from tests.conftest import STAFF_ID, stop
from tests.helpers import deliver_all, every_value, exported, fill, scuola_config, traces

ANNA = {"first": "Annalisa", "last": "Brambillasca", "email": "annalisa.b@example.org"}
PHONE = "+39 333 765 4321"


async def test_the_notice_names_the_controller_and_the_periods_in_both_languages(bot):
    anna = bot.user()
    notice = await anna.send("/privacy")
    for expected in ("titolare del trattamento", "Rete dei Laboratori Sociali di Pavia",
                     "info@csf.pv.it", "24 mesi", "90", "Garante", "Non teniamo",
                     "/cancellami", "registro tecnico"):  # fmt: skip
        assert expected in notice.text, expected
    assert notice.buttons == ["📦 Mandami i miei dati", "🗑️ Cancella i miei dati"]
    john = bot.user(language_code="en")
    assert "data controller" in (await john.send("/privacy")).text


async def test_asking_about_privacy_stores_nothing(bot):
    stranger = bot.user()
    await stranger.send("/privacy")
    replies = await stranger.press("📦 Mandami i miei dati")
    data = exported(replies)
    assert data["user"] is None and data["scuola_signups"] == []
    assert "Non conserviamo nessun dato" in replies[0].plain
    await stranger.send("/cancellami")
    assert await bot.repo.users.get(stranger.id) is None
    assert traces(await every_value(bot), stranger.id, []) == []


async def test_in_a_group_nothing_personal_is_shown(bot):
    group = bot.group()
    anna = bot.user()
    await anna.send("/notifiche")
    for command in ("/miei_dati", "/cancellami", "/privacy"):
        replies = await anna.send(command, chat=group)
        assert [m.kind for m in replies] == ["text"]
        assert "in privato" in replies.text
        assert "t.me/LabSocialiPaviaBot?start=" in replies[0].inline_buttons[0]["url"]
    notice = await anna.send("/start privacy")
    assert "titolare del trattamento" in notice.text


async def test_erasure_leaves_nothing_that_identifies_the_person(start_bot, config, tmp_path, smtp):
    bot = await start_bot(scuola_config(config, tmp_path, smtp, capacity=1))
    anna = bot.user(first_name=ANNA["first"], username="annalisa_b")
    await anna.send("/start")
    await anna.press("⬜ Assemblea di Rete")
    await fill(anna, first=ANNA["first"], last=ANNA["last"], email=ANNA["email"], phone=PHONE)
    await anna.press("✅ Conferma l'iscrizione")
    bruno = bot.user(first_name="Bruno")
    await fill(bruno, first="Bruno", last="Verdi", email="bruno@example.org")
    await bruno.press("✅ Conferma l'iscrizione")  # waiting list: the one place is Anna's
    await anna.share_location(45.18912, 9.16543)  # used for the answer, never stored
    await deliver_all(bot)
    staff = bot.user(STAFF_ID)
    await staff.send("/annuncio")
    await staff.send("Festa di fine anno")
    await staff.press("Chi segue l'Assemblea di Rete")
    await staff.press("📤 Invia ora a 1")
    await bot.app.bot_data.broadcaster.idle()

    before = exported(await anna.send("/miei_dati"))
    assert before["scuola_signups"][0]["email"] == ANNA["email"]
    assert before["scuola_signups"][0]["phone"] == PHONE
    assert [n["topic"] for n in before["notifications"]] == ["assemblea"]
    assert before["messages_sent_to_you"][0]["job"].startswith("announcement:")
    words = [ANNA["first"], ANNA["last"], ANNA["email"], "765 4321", "annalisa_b"]
    assert traces(await every_value(bot), anna.id, words)  # the probe finds what is there
    assert traces(await every_value(bot), anna.id, ["45.189", "9.165"]) == traces(
        await every_value(bot), anna.id, []
    )  # the shared location is nowhere

    ask = await anna.send("/cancellami")
    assert "Hai 1 iscrizione alla Scuola ancora attiva" in ask.text
    await anna.press("↩️ No, lascia tutto com'è")
    assert await bot.repo.users.get(anna.id) is not None
    await anna.send("/cancellami")
    await anna.press("🗑️ Sì, cancella tutto")
    assert "ritirato 1 iscrizione alla Scuola" in anna.last().plain
    assert any("Si è liberato un posto" in m.plain for m in bruno.messages())  # Bruno's now

    after = exported(await anna.send("/miei_dati"))
    assert after["user"] is None
    assert all(v in (None, []) for k, v in after.items() if k not in ("about", "generated_at"))
    assert traces(await every_value(bot), anna.id, words) == []

    await deliver_all(bot)
    erasure = [m for m in smtp.received if "cancellazione dei dati" in m["Subject"]]
    assert len(erasure) == 1
    body = erasure[0].get_body(("plain",)).get_content()
    assert "SLS-2026-0001" in body and ANNA["last"] not in body and ANNA["email"] not in body
    assert erasure[0]["Reply-To"] is None
    await stop(bot.app)


async def test_sign_ups_of_past_editions_stay_only_as_anonymous_counts(
    start_bot, config, tmp_path, clock
):
    bot = await start_bot(scuola_config(config, tmp_path, None))
    anna = bot.user()
    await fill(anna, first=ANNA["first"], last=ANNA["last"], email=ANNA["email"])
    await anna.press("✅ Conferma l'iscrizione")
    clock.advance(timedelta(days=30))  # the edition is over
    await anna.send("/cancellami")
    await anna.press("🗑️ Sì, cancella tutto")
    assert "Fatto: ho cancellato tutto" in anna.last().plain
    [kept] = await bot.repo.signups.of_edition("autunno-2026")
    assert kept.user_id < 0 and kept.email == "" and kept.first_name == ""
    assert kept.status == "confirmed" and kept.role == "privato_sociale"
    assert traces(await every_value(bot), anna.id, [ANNA["last"], ANNA["email"]]) == []
    await stop(bot.app)


async def test_retention_runs_on_the_schedule(start_bot, config, tmp_path, clock):
    settings = replace(config.privacy, signups_months=2, questions_days=10, messages_days=5)
    bot = await start_bot(replace(scuola_config(config, tmp_path, None), privacy=settings))
    anna = bot.user()
    await fill(anna, first=ANNA["first"], last=ANNA["last"], email=ANNA["email"])
    await anna.press("✅ Conferma l'iscrizione")
    await deliver_all(bot)  # the organisers' e-mail is written (.eml: no SMTP server here)
    await anna.send("qual è il colore preferito del sindaco?")  # not understood: text kept
    await bot.write_behind()
    [question] = await bot.repo.questions.not_understood()
    assert "sindaco" in question.text
    assert [j.name for j in bot.app.job_queue.jobs() if j.name == "privacy:retention"]

    clock.advance(timedelta(days=11))
    await apply_retention(bot.app.bot_data)
    assert await bot.repo.questions.not_understood() == []
    assert await bot.repo.signups.of_user(anna.id)  # its edition ended only days ago
    assert [m for m in await bot.repo.outbox.all()] == []  # sent e-mails (with the form) gone

    clock.advance(timedelta(days=70))
    await apply_retention(bot.app.bot_data)
    assert await bot.repo.signups.of_user(anna.id) == []
    [kept] = await bot.repo.signups.of_edition("autunno-2026")
    assert kept.email == "" and kept.user_id < 0
    await stop(bot.app)


async def test_codes_and_mail_ids_are_never_handed_out_twice(start_bot, config, tmp_path, clock):
    """An erasure deletes the sign-up that held the highest code and the e-mails with the
    highest ids, retention deletes old e-mails, the bot restarts: neither a code the organisers
    were told nor an e-mail id (the .eml file's name) is ever given again."""
    settings = replace(config.privacy, messages_days=1)
    cfg = replace(scuola_config(config, tmp_path, None), privacy=settings)
    bot = await start_bot(cfg)

    async def sign_up(person, last: str) -> str:
        await fill(person, first="Anna", last=last, email=f"{last.lower()}@example.org")
        await person.press("✅ Conferma l'iscrizione")
        await deliver_all(bot)  # .eml files: no SMTP server here
        return (await bot.repo.signups.of_user(person.id))[0].code

    def files() -> list[str]:
        return sorted(p.name for p in (tmp_path / "outbox").glob("*.eml"))

    assert await sign_up(bot.user(), "Rossi") == "SLS-2026-0001"
    bruno = bot.user()
    assert await sign_up(bruno, "Bianchi") == "SLS-2026-0002"
    given = {m.id for m in await bot.repo.outbox.all()}
    await bruno.send("/cancellami")
    await bruno.press("🗑️ Sì, cancella tutto")
    [notice] = [m for m in await bot.repo.outbox.all() if m.kind == "erasure"]
    assert notice.id > max(given)  # not the id of Bruno's e-mail, just deleted
    await deliver_all(bot)
    given |= {m.id for m in await bot.repo.outbox.all()}
    assert await sign_up(bot.user(), "Verdi") == "SLS-2026-0003"  # 0002 stays Bruno's

    given |= {m.id for m in await bot.repo.outbox.all()}
    clock.advance(timedelta(days=2))
    await apply_retention(bot.app.bot_data)
    assert await bot.repo.outbox.all() == []  # every sent e-mail trimmed
    await stop(bot.app)

    bot = await start_bot(cfg)  # a restart on the same database
    assert await sign_up(bot.user(700_004), "Neri") == "SLS-2026-0004"
    [mail] = await bot.repo.outbox.all()
    assert mail.id > max(given)
    prefixes = [name.split("-", 1)[0] for name in files()]
    assert len(prefixes) == len(set(prefixes)), files()
    await stop(bot.app)


async def test_after_an_erasure_the_database_file_holds_no_erased_value(
    start_bot, config, tmp_path, clock
):
    """Deleted rows are overwritten, not just unlinked, and the WAL (which holds their earlier
    versions) is emptied: the raw bytes of the database files show nothing of the person, also
    of a sign-up kept anonymised for the counts."""
    bot = await start_bot(scuola_config(config, tmp_path, None))
    anna = bot.user(first_name=ANNA["first"])
    await fill(anna, first=ANNA["first"], last=ANNA["last"], email=ANNA["email"], phone=PHONE)
    await anna.press("✅ Conferma l'iscrizione")
    bruno = bot.user()
    await fill(bruno, first="Bruno", last="Verdi", email="bruno@example.org")
    await bruno.press("✅ Conferma l'iscrizione")
    await deliver_all(bot)

    def database_bytes() -> bytes:
        return b"".join(path.read_bytes() for path in bot.repo.db.files() if path.exists())

    assert ANNA["email"].encode() in database_bytes()  # the probe sees what is there
    clock.advance(timedelta(days=30))  # the edition is over: her sign-up stays, anonymised
    await anna.send("/cancellami")
    await anna.press("🗑️ Sì, cancella tutto")
    [kept, _] = await bot.repo.signups.of_edition("autunno-2026")
    assert kept.user_id < 0 and kept.email == ""
    found = database_bytes()
    for value in (ANNA["email"], ANNA["last"], "765 4321"):
        assert value.encode() not in found, value
    assert b"bruno@example.org" in found  # what was not erased is still there
    await stop(bot.app)


async def test_after_an_erasure_the_persons_eml_files_are_deleted(
    start_bot, config, tmp_path, clock
):
    """Without a mail server the organisers' e-mails are .eml files: the person's go with the
    erasure (also those whose outbox row the retention already removed); the others' and the
    organisers' notice of the erasure stay."""
    settings = replace(config.privacy, messages_days=1)
    bot = await start_bot(replace(scuola_config(config, tmp_path, None), privacy=settings))
    anna = bot.user(first_name=ANNA["first"])
    await fill(anna, first=ANNA["first"], last=ANNA["last"], email=ANNA["email"], phone=PHONE)
    await anna.press("✅ Conferma l'iscrizione")
    await deliver_all(bot)
    clock.advance(timedelta(days=2))
    await apply_retention(bot.app.bot_data)  # the e-mail's row goes; its file stays
    assert await bot.repo.outbox.all() == []
    await anna.send("/scuola")
    await anna.press("✍️ Iscriviti: Autunno 2026")
    await anna.press("✏️ Aggiorna i miei dati")
    await anna.press("✏️ Modifica un dato")
    await anna.press("Nota")
    await anna.send("Arrivo tardi")
    await anna.press("✅ Conferma l'iscrizione")  # a second e-mail, about the update
    bruno = bot.user()
    await fill(bruno, first="Bruno", last="Verdi", email="bruno@example.org")
    await bruno.press("✅ Conferma l'iscrizione")
    await deliver_all(bot)
    outbox = tmp_path / "outbox"

    def emls() -> dict[str, bytes]:
        return {p.name: p.read_bytes() for p in outbox.glob("*.eml")}

    def hers(raw: bytes) -> bool:
        return ANNA["email"].encode() in raw  # the Reply-To of every e-mail about her

    assert sum(hers(raw) for raw in emls().values()) == 2

    await anna.send("/cancellami")
    await anna.press("🗑️ Sì, cancella tutto")
    await deliver_all(bot)  # the organisers' notice of the erasure: codes only
    left = emls()
    assert [name for name, raw in left.items() if hers(raw)] == []
    assert [name for name in left if ".erasure.SLS-2026-0001@" in name]  # the notice stays
    assert sum(b"bruno@example.org" in raw for raw in left.values()) == 1  # Bruno's stays
    await stop(bot.app)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("scrivimi a mario@x.it o al 333 1234567", "scrivimi a [email] o al [numero]"),
        ("chiamami al +39 333 123 4567 grazie", "chiamami al [numero] grazie"),
        ("tel. +39 333.123.4567", "tel. [numero]"),
        ("+39-333-123-4567?", "[numero]?"),
        ("il fisso è 0382/539012, oppure (0382) 539012", "il fisso è [numero], oppure [numero]"),
        ("Mario.Rossi+lab@Example.COM scrive", "[email] scrive"),
        ("il mio cf è RSSMRA80A01F205X", "il mio cf è [numero]"),
        ("iban IT60 X054 2811 1010 0000 0123 456 per donare", "iban [numero] per donare"),
        ("iban IT60X0542811101000000123456", "iban [numero]"),
        ("il bus 3 alle ore 18, via Roma 12, 27100 Pavia", None),
        ("incontro il 12/03/2027 dalle 17.30-19.30", None),
        ("nel 2026 a Pavia, linea 3 e 7", None),
    ],
)
def test_personal_data_is_taken_out_of_question_texts(typed, stored):
    assert without_contacts(typed) == (typed if stored is None else stored)


async def test_a_question_is_stored_without_the_contacts_in_it(bot):
    anna = bot.user()
    await anna.send("scrivimi a mario@x.it o al 333 1234567 per la cena di sabato")
    await bot.write_behind()
    [question] = await bot.repo.questions.not_understood()
    assert question.text == "scrivimi a [email] o al [numero] per la cena di sabato"
    assert "1234567" not in str(await every_value(bot))


async def test_my_data_has_the_e_mails_about_me_in_words(start_bot, config, tmp_path, smtp):
    cfg = scuola_config(config, tmp_path, smtp)
    (cfg.storage.data_dir / "events.toml").write_text(
        '[[event]]\nid = "assemblea-2027"\nkind = "assemblea"\ntitle = "Assemblea di Rete"\n'
        'when = "20/03/2027 10:00-12:30"\nplace = "Spazio Q"\n',
        encoding="utf-8",
    )
    bot = await start_bot(cfg)
    anna = bot.user(first_name=ANNA["first"], last_name=ANNA["last"])
    await fill(anna, first=ANNA["first"], last=ANNA["last"], email=ANNA["email"], phone=PHONE)
    await anna.press("✅ Conferma l'iscrizione")
    await deliver_all(bot)
    await anna.send("/eventi")
    await anna.press("Assemblea di Rete")
    await anna.press("🙋 Ci sarò")
    await anna.press("Sì, con il mio nome")

    data = exported(await anna.send("/miei_dati"))
    [mail] = data["emails_to_organisers"]
    assert mail["kind"] == "signup" and mail["status"] == "sent"
    assert mail["sent_at"] and mail["queued_at"]
    assert mail["subject"] == "Iscrizione Scuola dei Laboratori Sociali – Autunno 2026 – " + (
        f"{ANNA['first']} {ANNA['last']}"
    )
    assert mail["to"] == smtp.received[0]["To"]
    assert (
        ANNA["email"] in mail["text"] and PHONE in mail["text"] and "SLS-2026-0001" in mail["text"]
    )
    # true/false in the file, never 0/1
    assert data["user"]["language_explicit"] is False and data["user"]["blocked"] is False
    assert data["events_attending"][0]["share_name"] is True
    assert data["events_attending"][0]["name"] == f"{ANNA['first']} {ANNA['last']}"
    assert "\r" not in mail["text"] and "E-mail:           annalisa.b@" in mail["text"]

    bruno = bot.user()
    await bruno.send("/scuola")
    await bruno.press("✍️ Iscriviti: Autunno 2026")
    await bruno.send("Bruno")
    [form] = (await bot.repo.privacy.export(bruno.id))["scuola_form_in_progress"]
    assert form["data"]["first_name"] == "Bruno"  # the answers, not a JSON string
    await stop(bot.app)


async def test_an_erasure_while_the_email_is_being_written_leaves_no_file(
    start_bot, config, tmp_path
):
    """The outbox picked up the person's e-mail, the person erased everything meanwhile (its row
    and files gone), then the file was written: it is deleted once the outbox finds the row
    gone, instead of staying forever."""
    bot = await start_bot(scuola_config(config, tmp_path, None))
    anna = bot.user(first_name=ANNA["first"])
    await fill(anna, first=ANNA["first"], last=ANNA["last"], email=ANNA["email"])
    await anna.press("✅ Conferma l'iscrizione")
    outbox = bot.app.bot_data.outbox
    writer = outbox.mailer
    assert isinstance(writer, FileMailer)

    class ErasedMeanwhile(FileMailer):
        """The real file mailer, with the person's erasure happening while it works."""

        async def send(self, mail):
            await anna.send("/cancellami")
            await anna.press("🗑️ Sì, cancella tutto")
            return await super().send(mail)

    outbox.mailer = ErasedMeanwhile(writer.folder)
    await outbox.deliver_due()
    outbox.mailer = writer
    files = [p.read_bytes() for p in (tmp_path / "outbox").glob("*.eml")]
    assert [raw for raw in files if ANNA["email"].encode() in raw] == []


async def test_the_log_holds_no_code_nor_mail_file_of_a_person(start_bot, config, tmp_path, caplog):
    """Sign-up, e-mail written as an .eml file, erasure: the log says what happened with
    internal ids, never the sign-up code or the file's path (which holds the code)."""
    caplog.set_level(logging.INFO)
    bot = await start_bot(scuola_config(config, tmp_path, None))
    anna = bot.user(first_name=ANNA["first"])
    await fill(anna, first=ANNA["first"], last=ANNA["last"], email=ANNA["email"], phone=PHONE)
    await anna.press("✅ Conferma l'iscrizione")
    await deliver_all(bot)
    await anna.send("/cancellami")
    await anna.press("🗑️ Sì, cancella tutto")
    await deliver_all(bot)
    assert list((tmp_path / "outbox").glob("*.erasure.SLS-2026-0001@*.eml"))  # it happened
    logged = caplog.text
    assert "sign-up 1 stored" in logged and "e-mail 1 (signup) delivered" in logged
    for personal in ("SLS-", ".eml", str(tmp_path), ANNA["email"], ANNA["last"], "4321"):
        assert personal not in logged, personal
    await stop(bot.app)
