"""Citizens' proposals through the real application: the form (and its bad input, its
/annulla, its time-out, a restart in the middle), moderation first (by a lab's coordinators,
by staff for the network), the staff's queue, reading and supporting, the limits."""

from __future__ import annotations

from datetime import timedelta

from bot import callbacks
from tests.conftest import STAFF_ID
from tests.helpers import coordinator, snapshot

TITLE = "Orto condiviso nel cortile"
BODY = "Propongo di coltivare insieme il cortile dietro il laboratorio, il sabato mattina."


async def propose(person, *, lab: str | None = "🌐 Tutta la rete", title=TITLE, body=BODY):
    """The whole form up to the preview, skipping the place and the photo."""
    await person.send("/proponi")
    if lab is not None:
        await person.press(lab)
    await person.send(title)
    await person.send(body)
    await person.press("⏭️ Salta")
    return await person.press("⏭️ Salta")


async def test_a_citizen_proposes_to_the_network_and_staff_publish(bot):
    anna = bot.user(first_name="Anna")
    staff = bot.user(STAFF_ID)
    preview = await propose(anna)
    assert "Anteprima" in preview.text and TITLE in preview.text and BODY in preview.text
    assert "Il tuo nome non sarà mostrato" in preview.text  # off by default
    assert preview.buttons == [
        "✅ Invia", "✏️ Modifica", "👤 Mostra il mio nome", "✖️ Annulla"
    ]  # fmt: skip
    await anna.press("✅ Invia")
    assert "arrivata a chi si occupa di tutta la rete" in anna.last().plain
    [proposal] = await bot.repo.proposals.pending()
    assert proposal.author_name == "" and proposal.lab_id == ""
    assert await bot.repo.proposals.drafts() == []

    # Staff moderate the network's proposals: a private message with the three buttons.
    moderation = staff.last()
    assert "Una nuova proposta da moderare" in moderation.plain and TITLE in moderation.plain
    assert moderation.buttons == ["✅ Pubblica", "✖️ Rifiuta", "✏️ Modifica il titolo"]
    assert await anna.send("/proposte")  # nothing public yet
    assert TITLE not in anna.last().plain
    await staff.press("✅ Pubblica")
    assert "Pubblicata" in staff.last().plain
    assert "è pubblicata" in anna.last().plain
    published = await bot.repo.proposals.published()
    assert [p.title for p in published] == [TITLE]
    await staff.press_data(callbacks.pack("propmod", "pub", proposal.id), moderation)
    assert staff.callback_answer()["text"] == "Questa proposta è già stata decisa."


async def test_the_name_is_shown_only_when_asked(bot):
    anna = bot.user(first_name="Anna")
    await propose(anna)
    await anna.press("👤 Mostra il mio nome")
    assert "Il tuo nome (Anna) sarà mostrato" in anna.last().plain
    assert "Proposta da Anna" in anna.last().plain
    await anna.press("✅ Invia")
    [proposal] = await bot.repo.proposals.pending()
    assert proposal.author_name == "Anna"


async def test_a_lab_proposal_goes_to_its_coordinator_who_rejects_it_with_a_reason(bot, clock):
    maria = await coordinator(bot, clock)
    staff = bot.user(STAFF_ID)
    staff_before = len(staff.messages())
    luca = bot.user(first_name="Luca")
    await luca.send("/laboratori")
    await luca.press("Spazio Q")
    intro = await luca.press("💡 Proponi un'idea")
    assert "per <b>Spazio Q</b>" in intro[0].text or "Spazio Q" in intro.text
    await luca.send("Cinema all'aperto")
    await luca.send("Un film al mese in cortile, d'estate.")
    await luca.send("Cortile di Spazio Q")  # a named place
    await luca.send_media("document")  # a document is not a photo
    assert "manda l'immagine come foto" in luca.last().plain
    await luca.send_media("photo")
    assert "Anteprima" in luca.last().plain and "📍 Cortile di Spazio Q" in luca.last().plain
    await luca.press("✅ Invia")
    [proposal] = await bot.repo.proposals.pending()
    assert proposal.lab_id == "spazio-q" and proposal.photo and proposal.place

    assert "Una nuova proposta da moderare" in "\n".join(m.plain for m in maria.messages()[-3:])
    assert len(staff.messages()) == staff_before  # the lab has a coordinator: hers
    await maria.press("✖️ Rifiuta")
    await maria.send("🙂")  # a reason needs words
    assert "parole" in maria.last().plain
    await maria.send("Il cortile è del condominio, non possiamo usarlo.")
    assert "non è stata pubblicata" in maria.last().plain
    assert "Il motivo: Il cortile è del condominio" in luca.last().plain
    assert (await bot.repo.proposals.get(proposal.id)).status == "rejected"


async def test_a_coordinator_moderates_only_her_labs_and_never_the_network(bot, clock):
    maria = await coordinator(bot, clock)
    anna = bot.user()
    await propose(anna)  # to the network
    await anna.press("✅ Invia")
    await anna.send("/laboratori")
    await anna.press("Crosione")  # no coordinator: staff moderate it
    await anna.press("💡 Proponi un'idea")
    await anna.send("Panchine nuove")
    await anna.send("Due panchine davanti al laboratorio.")
    await anna.press("⏭️ Salta")
    await anna.press("⏭️ Salta")
    await anna.press("✅ Invia")
    network, crosione = await bot.repo.proposals.pending()
    before = await snapshot(bot)
    for proposal in (network, crosione):
        for action in ("pub", "rej", "title", "open"):
            await maria.press_data(callbacks.pack("propmod", action, proposal.id))
            assert maria.callback_answer()["show_alert"], action
    assert await snapshot(bot) == before
    queue = await maria.send("/proposte")
    assert "Nessuna proposta aspetta la tua moderazione" in queue.text
    staff_queue = await bot.user(STAFF_ID).send("/proposte")
    assert "2 proposte aspettano la moderazione" in staff_queue.text
    assert "da 0 giorni" in staff_queue.text


async def test_staff_correct_a_title_and_a_week_of_waiting_reminds_them_once(bot, clock):
    anna = bot.user()
    staff = bot.user(STAFF_ID)
    await propose(anna, title="Orto condivso")
    await anna.press("✅ Invia")
    await staff.press("✏️ Modifica il titolo")
    await staff.send("Orto condiviso")
    assert "Titolo corretto" in staff.last().plain
    [proposal] = await bot.repo.proposals.pending()
    assert proposal.title == "Orto condiviso"

    from handlers.proposals import moderate

    clock.advance(timedelta(days=6))
    [job] = bot.app.job_queue.get_jobs_by_name(moderate.REMINDER_JOB)
    before = len(staff.messages())
    await job.run(bot.app)
    assert len(staff.messages()) == before
    clock.advance(timedelta(days=1, minutes=1))
    await job.run(bot.app)
    assert "1 proposta aspetta la moderazione da più di 7 giorni" in staff.last().plain
    await job.run(bot.app)
    assert len(staff.messages()) == before + 1  # once
    queue = await staff.send("/proposte")
    assert "da 7 giorni" in queue.text


async def test_bad_input_gets_a_clear_answer_and_stores_nothing(bot):
    anna = bot.user()
    await anna.send("/proponi")
    await anna.press("🌐 Tutta la rete")
    cases = {
        "🌳🌳🌳": "non solo emoji",
        "https://example.org/orto": "Un link da solo non basta",
        "x" * 81: "caratteri: 81; al massimo 80",
    }
    for typed, said in cases.items():
        await anna.send(typed)
        assert said in anna.last().plain, typed
    await anna.send_media("sticker")
    assert "testo scritto" in anna.last().plain
    await anna.send("Una riga\nsola")  # folded to one line
    await anna.send("y" * 1001)
    assert "caratteri: 1001; al massimo 1000" in anna.last().plain
    [draft] = await bot.repo.proposals.drafts()
    assert draft.title == "Una riga sola" and draft.body == ""
    assert await bot.repo.proposals.pending() == []


async def test_annulla_and_another_command_drop_the_draft(bot):
    anna = bot.user()
    await anna.send("/proponi")
    await anna.press("🌐 Tutta la rete")
    await anna.send("Un titolo")
    await anna.send("/annulla")
    assert "ho lasciato perdere la proposta" in anna.last().plain
    assert await bot.repo.proposals.drafts() == []
    await anna.send("/proponi")
    await anna.press("🌐 Tutta la rete")
    await anna.send("/laboratori")  # moved on: the form and its copy go
    assert await bot.repo.proposals.drafts() == []
    replies = await anna.send("Spazio Q è aperto?")  # a question again, not a title
    assert "Passo" not in replies.text


async def test_the_form_times_out_and_says_so(bot, clock):
    from handlers.proposals import propose as form

    anna = bot.user()
    await anna.send("/proponi")
    await anna.press("🌐 Tutta la rete")
    [job] = bot.app.job_queue.get_jobs_by_name(form.JOB.format(anna.id))
    clock.advance(timedelta(minutes=30))
    await anna.send("Un titolo")  # an answer in time: the clock starts again
    [job] = bot.app.job_queue.get_jobs_by_name(form.JOB.format(anna.id))
    clock.advance(timedelta(minutes=59))
    await job.run(bot.app)
    assert "⌛" not in anna.last().plain
    clock.advance(timedelta(minutes=2))
    [job] = bot.app.job_queue.get_jobs_by_name(form.JOB.format(anna.id))
    await job.run(bot.app)
    assert anna.last().plain.startswith("⌛ Ho chiuso la proposta che stavi scrivendo")
    assert await bot.repo.proposals.drafts() == []


async def test_a_restart_in_the_middle_of_the_form_resumes_it(start_bot, config):
    first = await start_bot(config)
    anna = first.user(first_name="Anna")
    await anna.send("/proponi")
    await anna.press("🌐 Tutta la rete")
    await anna.send("Biciclette per tutti")
    await first.app.stop()
    await first.app.shutdown()

    second = await start_bot(config)  # a new process, the same database
    anna = second.user(anna.id, first_name="Anna")
    await anna.send("Una ciclofficina aperta il martedì sera.")
    assert "C'è un luogo?" in anna.last().plain
    await anna.press("⏭️ Salta")
    await anna.press("⏭️ Salta")
    await anna.press("✅ Invia")
    [proposal] = await second.repo.proposals.pending()
    assert proposal.title == "Biciclette per tutti"


async def test_at_most_three_proposals_a_day_said_kindly(bot, clock):
    anna = bot.user()
    for n in range(3):
        await propose(anna, title=f"Idea {n}")
        await anna.press("✅ Invia")
    await propose(anna, title="Idea 3")
    await anna.press("✅ Invia")
    assert anna.callback_answer()["show_alert"]
    assert "hai già mandato 3 proposte" in anna.last().plain
    assert len(await bot.repo.proposals.pending()) == 3
    assert len(await bot.repo.proposals.drafts()) == 1  # the draft waits
    clock.advance(timedelta(days=1, minutes=1))
    await anna.press("✅ Invia")
    assert len(await bot.repo.proposals.pending()) == 4


async def test_a_coordinator_removed_while_a_proposal_of_her_lab_waits(bot, clock):
    maria = await coordinator(bot, clock)
    staff = bot.user(STAFF_ID)
    luca = bot.user(first_name="Luca")
    await luca.send("/laboratori")
    await luca.press("Spazio Q")
    await luca.press("💡 Proponi un'idea")
    await luca.send("Cinema all'aperto")
    await luca.send("Un film al mese in cortile.")
    await luca.press("⏭️ Salta")
    await luca.press("⏭️ Salta")
    await luca.press("✅ Invia")
    moderation = maria.last()
    await maria.press("✖️ Rifiuta")  # she starts typing a reason...
    await staff.send("/laboratori")
    await staff.press("Spazio Q")
    await staff.press("👥 Coordinatori")
    await staff.press("➖ Togli Maria")
    await staff.press("✅ Sì, togli")
    await maria.send("Non si può")  # ...and the reason is refused: she lost the role
    [proposal] = await bot.repo.proposals.pending()
    await maria.press_data(callbacks.pack("propmod", "pub", proposal.id), moderation)
    assert maria.callback_answer()["show_alert"]
    assert (await bot.repo.proposals.get(proposal.id)).status == "pending"
    # Staff find it in their queue and publish it.
    await staff.send("/proposte")
    await staff.press(f"#{proposal.id} Cinema all'aperto")
    await staff.press("✅ Pubblica")
    assert (await bot.repo.proposals.get(proposal.id)).status == "published"
    assert "è pubblicata" in luca.last().plain


async def publish(bot, author, title: str, *, lab: str | None = None) -> int:
    """A proposal by `author` (to the network, or to a lab with no coordinator, from its card),
    published by staff; its id."""
    if lab is None:
        await propose(author, title=title)
    else:
        await author.send("/laboratori")
        await author.press(lab)
        await author.press("💡 Proponi un'idea")
        await author.send(title)
        await author.send(BODY)
        await author.press("⏭️ Salta")
        await author.press("⏭️ Salta")
    await author.press("✅ Invia")
    staff = bot.user(STAFF_ID)
    await staff.press("✅ Pubblica")
    [proposal] = [p for p in await bot.repo.proposals.published() if p.title == title]
    return proposal.id


async def test_people_read_support_and_follow_published_proposals(bot):
    anna, luca, sara = bot.user(), bot.user(first_name="Luca"), bot.user(first_name="Sara")
    first = await publish(bot, anna, "Panchine nuove", lab="Crosione")
    await publish(bot, anna, "Orto condiviso", lab="Crosione")
    await luca.send("/laboratori")
    await luca.press("Crosione")
    assert "💡 Proposte (2)" in luca.last().buttons
    listing = await luca.press("💡 Proposte (2)")
    assert "Crosione: 2 proposte" in listing.text
    shown = await luca.press("1. Orto condiviso")  # equal support: the newest first
    assert "👍 0 sostegni · 🆕 Nuova" in shown.text
    assert f"?start=prop_{first + 1}" in shown.text
    await luca.press("👍 Sostengo")
    assert luca.callback_answer()["text"] == "👍 Grazie: la sostieni."
    assert "👍 1 sostegno" in luca.last().plain  # the card, edited in place
    assert "↩️ Ritiro il sostegno" in luca.last().buttons
    await luca.press("🔔 Seguila")
    assert "🔕 Non seguirla più" in luca.last().buttons
    assert await bot.repo.proposals.marks(first + 1, luca.id) == (True, True)

    # Most supported first, in /proposte too; one support per person, taken back with a tap.
    listing = await sara.send("/proposte")
    assert listing.text.index("Orto condiviso") < listing.text.index("Panchine nuove")
    await sara.press("2. Panchine nuove")
    await sara.press("👍 Sostengo")
    assert (await bot.repo.proposals.get(first)).supports == 1
    await sara.press("↩️ Ritiro il sostegno")
    assert (await bot.repo.proposals.get(first)).supports == 0


async def test_a_shared_link_opens_the_card_and_only_published_ones_are_seen(bot):
    anna, stranger = bot.user(), bot.user(first_name="Paolo")
    proposal_id = await publish(bot, anna, "Biblioteca di quartiere")
    card = await stranger.send(f"/start prop_{proposal_id}")
    assert "Biblioteca di quartiere" in card.text and "👍 Sostengo" in card.buttons
    await propose(anna, title="Ancora in attesa")
    await anna.press("✅ Invia")
    [waiting] = await bot.repo.proposals.pending()
    assert "non è (più) visibile" in (await stranger.send(f"/start prop_{waiting.id}")).text
    assert "Ancora in attesa" in (await anna.send(f"/start prop_{waiting.id}")).text  # hers
    before = await snapshot(bot)
    await stranger.press_data(callbacks.pack("prop", "sup", waiting.id))
    assert stranger.callback_answer()["show_alert"]
    assert "non è (più) visibile" in (await stranger.send("/start prop_999")).text
    assert await snapshot(bot) == before


async def test_an_answer_is_told_once_to_author_supporters_and_followers_in_their_language(bot):
    anna = bot.user(first_name="Anna")
    john = bot.user(first_name="John", language_code="en")
    sara = bot.user(first_name="Sara")
    staff = bot.user(STAFF_ID)
    proposal_id = await publish(bot, anna, "Biblioteca di quartiere")
    await john.send(f"/start prop_{proposal_id}")
    await john.press("👍 I support it")
    await john.press("🔔 Follow it")  # supports and follows: told once all the same
    await sara.send(f"/start prop_{proposal_id}")
    await sara.press("🔔 Seguila")
    sara.chat.blocked = True  # she blocks the bot before the answer goes out

    await staff.send(f"/start prop_{proposal_id}")
    await staff.press("💬 Rispondi")
    await staff.press("✖️ Non accolta")
    assert "scrivi il motivo (è necessario)" in staff.last().plain
    await staff.send("🙂")  # a reason needs words
    await staff.send("Non ci sono locali liberi quest'anno.")
    assert "La mando a 3 persone" in staff.last().plain
    told_anna = [m for m in anna.messages() if "ha una risposta" in m.plain]
    told_john = [m for m in john.messages() if "has an answer" in m.plain]
    assert len(told_anna) == len(told_john) == 1
    assert "Not accepted" in told_john[0].plain and "Non ci sono locali" in told_john[0].plain
    assert not [m for m in sara.messages() if "ha una risposta" in m.plain]
    assert (await bot.repo.users.get(sara.id)).blocked
    bot.api.errors.clear()  # the refusal to Sara was provoked on purpose

    # "Realizzata" with its day; the history of states stays on the card, oldest first.
    await staff.send(f"/start prop_{proposal_id}")
    await staff.press("💬 Rispondi")
    await staff.press("🎉 Realizzata")
    await staff.send("31/02/2027")
    await staff.send("12/03/2027")
    await staff.send("Aperta in via Folla, grazie a tutti!")
    card = await anna.send(f"/start prop_{proposal_id}")
    assert card.text.index("✖️ Non accolta (") < card.text.index("🎉 Realizzata (")
    assert "realizzata il 12/03/2027" in card.text
    assert "👍 1 sostegno · 🎉 Realizzata" in card.text
    assert len([m for m in anna.messages() if "ha una risposta" in m.plain]) == 2


async def test_only_its_moderators_answer_a_proposal(bot, clock):
    maria = await coordinator(bot, clock)
    anna = bot.user()
    network = await publish(bot, anna, "Per tutta la rete")
    card = await maria.send(f"/start prop_{network}")
    assert "💬 Rispondi" not in card.buttons
    before = await snapshot(bot)
    await maria.press_data(callbacks.pack("propmod", "ans", network))
    assert maria.callback_answer()["show_alert"]
    await maria.press_data(callbacks.pack("propmod", "st", "accepted"))
    assert maria.callback_answer()["show_alert"]
    await anna.press_data(callbacks.pack("propmod", "ans", network))
    assert anna.callback_answer()["show_alert"]
    assert await snapshot(bot) == before


async def test_an_offer_of_a_hand_reaches_the_coordinator_privately_and_she_replies(bot, clock):
    maria = await coordinator(bot, clock)
    staff = bot.user(STAFF_ID)
    staff_before = len(staff.messages())
    luca = bot.user(first_name="Luca", username="luca_pv")
    await luca.send("/laboratori")
    await luca.press("Spazio Q")
    await luca.press("🤝 Dai una mano")
    await luca.send("x" * 501)
    assert "caratteri: 501; al massimo 500" in luca.last().plain
    await luca.send("So aggiustare biciclette, il sabato mattina.")
    assert "non sarà pubblico" in luca.last().plain
    await luca.press("📞 Sì, scrivo un telefono o un'e-mail")
    await luca.send("non è un contatto")
    assert "scrivilo di nuovo" in luca.last().plain
    await luca.send("luca@example.org")
    assert "La tua offerta è arrivata a chi si occupa di Spazio Q" in luca.last().plain
    received = maria.last()
    assert "So aggiustare biciclette" in received.plain and "luca@example.org" in received.plain
    assert len(staff.messages()) == staff_before  # hers, not staff's, and never public
    [offer_id] = [int(b["callback_data"].split(":")[3]) for b in received.inline_buttons][:1]

    # Anyone else tapping her buttons is refused; she replies with one tap, Luca is told.
    intruder = bot.user()
    await intruder.send("/start")
    before = await snapshot(bot)
    await intruder.press_data(callbacks.pack("offer", "reply", offer_id, "yes"))
    assert intruder.callback_answer()["show_alert"]
    assert await snapshot(bot) == before
    await maria.press("📞 Ti contattiamo")
    assert "ti contatteranno presto" in luca.last().plain
    await maria.press_data(callbacks.pack("offer", "reply", offer_id, "no"), received)
    assert maria.callback_answer()["text"] == "Qualcuno ha già risposto a questa offerta."

    # One offer per lab a week, said kindly.
    await luca.send("/laboratori")
    await luca.press("Spazio Q")
    await luca.press("🤝 Dai una mano")
    assert "potrai scriverne un'altra tra una settimana" in luca.last().plain
    clock.advance(timedelta(days=7, minutes=1))
    await luca.press("🤝 Dai una mano")
    assert "Cosa puoi fare per Spazio Q" in luca.last().plain


async def test_my_data_and_erasure_keep_only_what_others_support_without_its_author(bot):
    from tests.helpers import every_value, exported, traces

    anna, luca = bot.user(first_name="Anna"), bot.user(first_name="Luca")
    supported = await publish(bot, anna, "Orto condiviso")
    alone = await publish(bot, anna, "Panchine nuove")
    await propose(anna, title="Ancora in attesa")
    await anna.press("👤 Mostra il mio nome")
    await anna.press("✅ Invia")  # moderated after she erases her data, below
    [waiting] = await bot.repo.proposals.pending()
    await luca.send(f"/start prop_{supported}")
    await luca.press("👍 Sostengo")
    await anna.send(f"/start prop_{alone}")
    await anna.press("👍 Sostengo")  # her own support does not keep it
    await anna.press("🔔 Seguila")
    await anna.send("/laboratori")
    await anna.press("Crosione")
    await anna.press("🤝 Dai una mano")
    await anna.send("Posso portare delle sedie.")
    await anna.press("📞 Sì, scrivo un telefono o un'e-mail")
    await anna.send("333 123 4567")

    data = exported(await anna.send("/miei_dati"))
    assert [p["title"] for p in data["proposals"]] == [
        "Orto condiviso", "Panchine nuove", "Ancora in attesa"
    ]  # fmt: skip
    assert [s["title"] for s in data["proposals_supported"]] == ["Panchine nuove"]
    assert [f["title"] for f in data["proposals_followed"]] == ["Panchine nuove"]
    assert data["offers_of_help"][0]["contact"] == "+39 333 123 4567"

    staff = bot.user(STAFF_ID)
    await staff.send("/proposte")
    await staff.press(f"#{waiting.id} Ancora in attesa")
    await staff.press("✖️ Rifiuta")  # staff start refusing it as its author erases her data
    await anna.send("/cancellami")
    await anna.press("🗑️ Sì, cancella tutto")
    await staff.send("Non riguarda la rete.")
    assert "non è (più) visibile" in staff.last().plain
    kept = await bot.repo.proposals.get(supported)
    assert kept is not None and kept.author_id is None and kept.author_name == ""
    assert await bot.repo.proposals.get(alone) is None
    assert traces(await every_value(bot), anna.id, ["333 123 4567", "Anna"]) == []
    await staff.send("/proposte")
    assert "Ancora in attesa" not in staff.last().plain  # gone: nobody supported it
    forged = await staff.press_data(callbacks.pack("propmod", "pub", waiting.id))
    assert forged == [] and staff.callback_answer()["text"] == "Questo pulsante non è più attivo."
    listing = await luca.send("/proposte")
    assert "Orto condiviso" in listing.text and "Panchine nuove" not in listing.text


async def test_three_reports_from_different_people_hide_a_proposal_until_it_is_moderated(bot):
    anna = bot.user()
    staff = bot.user(STAFF_ID)
    proposal_id = await publish(bot, anna, "Festa in piazza")
    people = [bot.user(first_name=f"P{n}") for n in range(3)]
    for n, person in enumerate(people):
        await person.send(f"/start prop_{proposal_id}")
        await person.press("⚠️ Segnala")
        if n == 0:  # the same person twice counts once
            await person.press("⚠️ Segnala")
            assert (await bot.repo.proposals.get(proposal_id)).visible
    hidden = await bot.repo.proposals.get(proposal_id)
    assert hidden.hidden and not hidden.visible
    assert "segnalata da più persone" in staff.last().plain
    assert "Festa in piazza" not in (await people[0].send("/proposte")).text
    assert "⚠️ Segnala" not in (await anna.send(f"/start prop_{proposal_id}")).buttons  # hers
    await staff.press("✅ Pubblica")  # a moderator decides: visible again, reports forgotten
    assert (await bot.repo.proposals.get(proposal_id)).visible
    await people[0].send(f"/start prop_{proposal_id}")
    await people[0].press("⚠️ Segnala")
    assert (await bot.repo.proposals.get(proposal_id)).visible
