"""The flow toolkit through the real bot: every staff flow can be cancelled, answers its old
buttons as stale, and closes itself when left open, telling the person and dropping the draft."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot import callbacks
from tests.conftest import STAFF_ID


@pytest.fixture
def config(config):
    """The staff member is an administrator too, so the roles flow can be opened."""
    return replace(config, telegram=replace(config.telegram, admin_ids=(STAFF_ID,)))


async def open_announcement(staff) -> str:
    await staff.send("/annuncio")
    await staff.send("Festa sabato a Spazio Q")
    return "Chi ha chiesto gli annunci"  # a button of the next step


async def open_event(staff) -> str:
    await staff.send("/evento")
    return "🗓️ Assemblea di Rete"


async def open_editions(staff) -> str:
    await staff.send("/edizioni")
    return "➕ Nuova edizione"


async def open_lab_editor(staff) -> str:
    await staff.send("/laboratori")
    await staff.press_data(callbacks.pack("labedit", "menu", "spazio-q"))
    return "✅ Fine"


async def open_staff_picker(staff) -> str:
    await staff.send("/staff")
    await staff.press("➕ Aggiungi una persona")
    return "✖️ Annulla"


FLOWS = {
    "annuncio": (open_announcement, "la preparazione dell'annuncio", 60),
    "evedit": (open_event, "la preparazione dell'evento", 30),
    "edizioni": (open_editions, "la gestione delle edizioni della Scuola", 30),
    "labedit": (open_lab_editor, "la modifica del laboratorio", 30),
    "staff": (open_staff_picker, "l'aggiunta di un membro dello staff", 15),
}


def timeout_jobs(app) -> list:
    return [job for job in app.job_queue.jobs() if job.name == "_trigger_timeout"]


@pytest.mark.parametrize("feature", sorted(FLOWS))
async def test_a_flow_left_open_closes_itself_and_says_so(bot, feature):
    opener, name, minutes = FLOWS[feature]
    staff = bot.user(STAFF_ID)
    label = await opener(staff)
    staff.find_button(label)  # the flow is open, at a step with buttons
    user_data = bot.app.user_data[STAFF_ID]
    if feature != "staff":  # the roles flow keeps nothing between its steps
        assert feature in user_data
    [job] = timeout_jobs(bot.app)
    before = len(staff.messages())
    await job.run(bot.app)
    closed = staff.messages()[before:]
    assert [m.plain for m in closed] == [
        f"⌛ Ho chiuso {name}: è rimasta aperta {minutes} minuti senza risposta. Quello che non "
        "avevi ancora salvato non è stato salvato; puoi ricominciare quando vuoi."
    ]
    assert feature not in user_data  # the draft is gone


async def test_the_time_out_speaks_the_persons_language(bot):
    staff = bot.user(STAFF_ID)
    await staff.send("/lingua")
    await staff.press("English")
    await open_announcement(staff)
    [job] = timeout_jobs(bot.app)
    await job.run(bot.app)
    assert staff.last().plain.startswith("⌛ I closed the announcement you were writing: it was")


async def test_after_the_time_out_the_flow_takes_nothing(bot):
    staff = bot.user(STAFF_ID)
    label = await open_announcement(staff)
    msg, button = staff.find_button(label)
    [job] = timeout_jobs(bot.app)
    await job.run(bot.app)
    await staff.press_data(button["callback_data"], msg)  # the old audience button
    assert staff.callback_answer()["text"] == "Questo pulsante non è più attivo."
    replies = await staff.send("Festa sabato a Spazio Q")  # plain text again, not a body
    assert "Lo riceveranno" not in replies.text
    assert await bot.repo.announcements.with_status("sending", "scheduled") == []


async def test_an_answer_in_time_restarts_the_clock(bot):
    staff = bot.user(STAFF_ID)
    await staff.send("/annuncio")
    [first] = timeout_jobs(bot.app)
    await staff.send("Festa sabato a Spazio Q")
    [second] = timeout_jobs(bot.app)
    assert second is not first
    await first.run(bot.app)  # the old job finds itself replaced and does nothing
    assert "⌛" not in staff.last().plain
    staff.find_button("Chi ha chiesto gli annunci")


@pytest.mark.parametrize("feature", sorted(FLOWS))
async def test_annulla_ends_every_flow_and_drops_its_draft(bot, feature):
    opener, _name, _minutes = FLOWS[feature]
    staff = bot.user(STAFF_ID)
    await opener(staff)
    replies = await staff.send("/annulla")
    assert len(replies) == 1
    assert feature not in bot.app.user_data[STAFF_ID]
    assert timeout_jobs(bot.app) == []
    # /cancel does the same for English speakers, and with no flow open says there was none.
    assert "Non c'era niente da annullare" in (await staff.send("/cancel")).text


@pytest.mark.parametrize(
    "data",
    [
        "annuncio:v0:aud:all",  # an older version of the protocol
        "annuncio:v1:nonsense",  # an action the flow does not know
        "annuncio:v1:send:not-this-draft",  # another draft's button
    ],
)
async def test_stale_and_forged_buttons_inside_a_flow_are_answered_and_change_nothing(bot, data):
    reader = bot.user()
    await reader.send("/notifiche")
    await reader.press("⬜ Annunci della rete")
    staff = bot.user(STAFF_ID)
    await open_announcement(staff)
    await staff.press("Tutti quelli che hanno chiesto notizie")
    staff.find_button("📤 Invia ora a 1")
    await staff.press_data(data)
    assert staff.callback_answer()["text"] == "Questo pulsante non è più attivo."
    staff.find_button("📤 Invia ora a 1")  # still at the same step
    assert await bot.repo.announcements.with_status("sending", "scheduled") == []


async def test_one_open_flow_at_a_time(bot):
    """A lab edit left waiting for a value, then /evento: the title typed goes to the event,
    not into the lab; the lab edit is closed without a word, even when its time runs out."""
    staff = bot.user(STAFF_ID)
    await open_lab_editor(staff)
    await staff.press("Note sugli orari")
    await staff.send("/evento")
    await staff.press("🗓️ Assemblea di Rete")
    asked = await staff.send("Assemblea di primavera")
    assert "Quando?" in asked.text  # the event's next question, not a lab preview
    assert "labedit" not in bot.app.user_data[STAFF_ID]
    lab = bot.app.bot_data.labs.current.lab("spazio-q")
    assert "primavera" not in (lab.hours or "")
    before = len(staff.messages())
    for job in timeout_jobs(bot.app):  # both conversations' clocks run out
        await job.run(bot.app)
    closed = [m.plain for m in staff.messages()[before:]]
    assert closed == [closed[0]] and "la preparazione dell'evento" in closed[0]


async def test_a_command_leaves_an_open_flow_and_a_question_is_a_question(bot):
    staff = bot.user(STAFF_ID)
    await staff.send("/annuncio")  # waiting for the announcement's text...
    await staff.send("/start")  # ...but the person went back to the menu
    answer = await staff.send("c'è un laboratorio vicino a Cava Manara?")
    assert "A chi lo mando" not in answer.text and "Chi ha chiesto gli annunci" not in (
        answer.buttons
    )
    assert "annuncio" not in bot.app.user_data[STAFF_ID]


async def test_an_edit_of_an_old_message_is_not_an_answer_in_a_flow(bot):
    staff = bot.user(STAFF_ID)
    await staff.send("una nota qualsiasi")
    old = staff.last_sent()
    await open_lab_editor(staff)
    await staff.press("Note sugli orari")  # waiting for the hours
    await staff.edit(old.message_id, "Lun-Ven 9-18")
    lab = bot.app.bot_data.labs.current.lab("spazio-q")
    assert "9-18" not in (lab.hours or "")
    assert "9-18" not in staff.last().plain  # no confirmation of a value nobody sent
    await staff.send("Lun-Ven 9-12")  # a new message is the answer
    assert "Lun-Ven 9-12" in staff.last().plain


async def test_an_open_flow_belongs_to_its_application(start_bot, config, tmp_path):
    """Two applications in one process (a restart in a test, two bots): a flow opened in one is
    not open in the other, whose questions stay questions."""
    first = await start_bot(config)
    staff = first.user(STAFF_ID)
    await staff.send("/evento")
    assert first.app.bot_data.open_flows == {STAFF_ID: "evedit"}
    other_db = replace(config.storage, path=tmp_path / "other.sqlite3")
    second = await start_bot(replace(config, storage=other_db))
    assert second.app.bot_data.open_flows == {}  # was the first's, a module global
    answer = await second.user(STAFF_ID).send("orari di spazio q")
    assert "Spazio Q" in answer.text
