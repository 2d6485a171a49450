"""Opening hours never invent and never mistake the day, end to end through the real
application (issue 21, part 1): a coordinator gives Monday only, and a citizen is told that the
other days are not given (with whom to ask), not that the lab is closed; a day named as people
name it ("sabato 19", "il 19/12", "venerdì 19" when the 19th is a Saturday) is that day or is
asked back; the closure prompt refuses the week's hours and days no one plans for; the same
value typed twice is one change."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import STAFF_ID
from tests.helpers import coordinator, tool

# Tuesday 8 December 2026, 10:00 in Italy.
TUESDAY_8_DECEMBER = datetime(2026, 12, 8, 9, 0, tzinfo=UTC)


async def monday_only(bot, clock):
    maria = await coordinator(bot, clock)
    clock.set(TUESDAY_8_DECEMBER)
    await tool(maria, "✏️ Modifica")
    await maria.press("🕒 Orari")
    await maria.press("Lun")
    replies = await maria.send("9-12")
    return maria, replies


async def test_a_day_never_entered_is_not_given_never_closed(bot, clock):
    maria, replies = await monday_only(bot, clock)
    editor = replies[-1].plain
    assert "lunedì: 9-12" in editor
    assert "giovedì: non indicato" in editor and "giovedì: chiuso" not in editor

    anna = bot.user()
    thursday = (await anna.send("spazio q è aperto giovedì?")).text
    assert "chiuso" not in thursday.lower()  # was "Spazio Q è chiuso giovedì 10 dicembre"
    assert "L'orario di Spazio Q per giovedì 10 dicembre non è indicato" in thursday
    assert "scrivi a info@csf.pv.it" in thursday  # whom to ask
    assert "lun 9-12 · mar-dom non indicato" in thursday
    now = (await anna.send("spazio q è aperto adesso?")).text
    assert "Per oggi l'orario non è indicato" in now and "chiuso" not in now.lower()
    monday = (await anna.send("spazio q è aperto lunedì?")).text
    assert "è aperto lunedì 14 dicembre: 9-12" in monday
    card = (await anna.send("spazio q")).text
    assert "Orari: lun 9-12 · mar-dom non indicato" in card
    assert "Per oggi l'orario non è indicato" in card

    # Monday 14 December at 13:00: closed now (said), but Tuesday is not said.
    clock.set(datetime(2026, 12, 14, 12, 0, tzinfo=UTC))
    later = (await anna.send("spazio q è aperto?")).text
    assert "Adesso è chiuso. L'orario di domani non è indicato" in later
    assert "riapre lunedì" not in later  # no "reopens next Monday" past a day nobody gave

    # English, the same honesty.
    john = bot.user(language_code="en")
    thursday_en = (await john.send("is spazio q open on thursday?")).text
    assert "hours for Thursday 17 December are not given" in thursday_en
    assert "Mon 9-12 · Tue-Sun not given" in thursday_en

    # One tap says the rest is closed: then closed is true, and said.
    clock.set(TUESDAY_8_DECEMBER)
    await tool(maria, "✏️ Modifica")
    await maria.press("🕒 Orari")
    await maria.press("🚫 Gli altri giorni: chiuso")
    closed = (await anna.send("spazio q è aperto giovedì?")).text
    assert "Spazio Q è chiuso giovedì 10 dicembre" in closed
    assert "riapre lunedì 14 dicembre alle 9" in (await anna.send("spazio q aperto ora?")).text


async def test_a_day_named_as_people_name_it_is_that_day(bot, clock):
    maria, _ = await monday_only(bot, clock)
    await maria.press("Sab")
    await maria.send("10-12")
    anna = bot.user()
    saturday_19 = (await anna.send("spazio q è aperto sabato 19?")).text
    assert "sabato 19 dicembre: 10-12" in saturday_19  # was answered about Saturday 12
    slash = (await anna.send("spazio q è aperto il 19/12?")).text
    assert "sabato 19 dicembre: 10-12" in slash  # was ignored and answered about now
    tomorrow = (await anna.send("spazio q domani è aperto?")).text
    assert "mercoledì 9 dicembre non è indicato" in tomorrow
    next_week = (await anna.send("spazio q è aperto tra una settimana?")).text
    assert "martedì 15 dicembre" in next_week
    next_saturday = (await anna.send("spazio q è aperto sabato prossimo?")).text
    assert "sabato 12 dicembre: 10-12" in next_saturday
    english = (await bot.user(language_code="en").send("is spazio q open on December 19?")).text
    assert "Saturday 19 December: 10-12" in english

    # "venerdì 19" when the 19th is a Saturday: asked back, with a button for each reading.
    asked = await anna.send("spazio q è aperto venerdì 19?")
    assert "Il 19 dicembre è sabato, non venerdì. Quale giorno intendi?" in asked.text
    assert anna.visible_buttons() == ["Venerdì 18 dicembre", "Sabato 19 dicembre"]
    await anna.press("Sabato 19 dicembre")  # the question is edited into the answer
    assert "è aperto sabato 19 dicembre: 10-12" in anna.last().plain
    await anna.send("spazio q è aperto venerdì 19?")
    await anna.press("Venerdì 18 dicembre")
    assert "venerdì 18 dicembre non è indicato" in anna.last().plain

    # A special day on the 19th counts.
    await tool(maria, "✏️ Modifica")
    await maria.press("🕒 Orari")
    await maria.press("➕ Chiusura o orario speciale")
    await maria.send("19/12")
    closed = (await anna.send("spazio q è aperto sabato 19?")).text
    assert "Spazio Q è chiuso sabato 19 dicembre" in closed
    no_day = (await anna.send("spazio q è aperto il 31 febbraio?")).text
    assert "Questo giorno non esiste" in no_day


async def test_the_closure_prompt_refuses_what_is_not_a_closure(bot, clock):
    maria, _ = await monday_only(bot, clock)

    async def closure(text: str) -> str:
        await maria.press("➕ Chiusura o orario speciale")
        return (await maria.send(text))[0].text

    hours = await closure("9-12, 15-18")  # was special hours 15-18 on 9 December
    assert "sembrano gli orari di ogni settimana" in hours
    for typed, reason in (("01/01/0001", "prima dell'anno scorso"),
                          ("dal 1/1/2027 al 1/1/2099", "più di due anni avanti")):  # fmt: skip
        await maria.send("/annulla")
        await tool(maria, "✏️ Modifica")
        await maria.press("🕒 Orari")
        assert reason in await closure(typed)
    await maria.send("dall'8 al 9 dicembre")  # accepted like "dal 8 al 9 dicembre"
    lab = bot.app.bot_data.labs.current.lab("spazio-q")
    assert [(c.start.day, c.end.day) for c in lab.schedule.closures] == [(8, 9)]
    assert all(c.ranges == () for c in lab.schedule.closures)

    # The same value typed twice is one change, not two identical history entries.
    before = len(await bot.repo.lab_edits.history("spazio-q"))
    await maria.press("Lun")
    again = await maria.send("9-12")
    assert "Nessuna modifica" in again[0].text
    await maria.press("➕ Chiusura o orario speciale")
    await maria.send("dal 8 al 9 dicembre")
    assert len(await bot.repo.lab_edits.history("spazio-q")) == before
    await maria.press("↩️ Indietro")
    await maria.press("Contatti")
    await maria.send("tel. 0382 123456")
    await maria.press("✅ Salva")
    await maria.press("Contatti")
    same = await maria.send("tel. 0382 123456")
    assert "Nessuna modifica" in same[0].text
    assert len(await bot.repo.lab_edits.history("spazio-q")) == before + 1


async def test_an_event_on_a_day_no_one_plans_for_is_refused(bot, clock):
    clock.set(TUESDAY_8_DECEMBER)
    staff = bot.user(STAFF_ID)
    await staff.send("/evento")
    await staff.press("📌 Altro evento della rete")
    await staff.send("Festa di quartiere")
    for typed, reason in (("31/12/9999 10:00-12:00", "più di due anni avanti"),
                          ("01/01/0001 10:00-12:00", "già passata")):  # fmt: skip
        assert reason in (await staff.send(typed)).text, typed
    assert "dove" in (await staff.send("19/12 10:00-12:00")).text.lower()  # then accepted


async def test_open_now_with_no_lab_named_offers_every_lab_and_the_nearest(bot, clock):
    await monday_only(bot, clock)
    clock.set(datetime(2026, 12, 14, 9, 0, tzinfo=UTC))  # Monday 10:00: Spazio Q is open
    anna = bot.user()
    await anna.send("è aperto adesso?")
    every = [lab.name for lab in bot.app.bot_data.labs.current.visible]
    buttons = anna.visible_buttons()
    assert buttons[0] == "🟢 Spazio Q"  # was the only button: the one lab with hours
    assert len(buttons) == len(every) + 1 and set(every) - {"Spazio Q"} <= set(buttons)
    assert buttons[-1] == "📍 Il più vicino a me"
    asked = await anna.press("📍 Il più vicino a me")
    assert "posizione" in asked[-1].text.lower()


async def test_holidays_named_and_said_as_holidays(bot, clock):
    """'il primo maggio', 'a Natale', 'on Christmas' are those days (they were answered about
    now); the week's hours on a public holiday the lab said nothing about come with a warning,
    and a closure entered for it is simply said."""
    maria, _ = await monday_only(bot, clock)
    await maria.press("Mer")
    await maria.send("9-12")
    anna = bot.user()
    epiphany = (await anna.send("spazio q è aperto il 6/1?")).text
    assert "è aperto mercoledì 6 gennaio: 9-12" in epiphany
    assert "Quel giorno è l'Epifania" in epiphany  # not said as an ordinary Wednesday
    christmas = (await anna.send("spazio q è aperto a natale?")).text
    assert "venerdì 25 dicembre non è indicato" in christmas  # was answered about now
    may_day = (await anna.send("spazio q è aperto il primo maggio?")).text
    assert "sabato 1 maggio non è indicato" in may_day
    english = (await bot.user(language_code="en").send("is spazio q open on Christmas?")).text
    assert "Friday 25 December are not given" in english
    await maria.press("➕ Chiusura o orario speciale")
    await maria.send("6/1")  # the lab says: closed on Epiphany
    closed = (await anna.send("spazio q è aperto il 6/1?")).text
    assert "è chiuso mercoledì 6 gennaio" in closed and "Quel giorno" not in closed
