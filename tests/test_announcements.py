"""Announcements: written by staff, previewed, sent once at a safe pace, resumable, stoppable."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bot import callbacks
from bot.broadcast import area_key, audience
from bot.sandbox.telegram import Limits
from tests.conftest import STAFF_ID
from tests.helpers import HEADER, received, subscribers, write

ROME = ZoneInfo("Europe/Rome")


async def test_written_previewed_and_sent_once(bot):
    people = await subscribers(bot, 3)
    outsider = bot.user()
    await outsider.send("/start")
    staff = bot.user(STAFF_ID)
    replies = await write(staff, "Festa di quartiere sabato alle 16 a Spazio Q!")
    preview, confirm = replies[1], replies[2]
    assert preview.plain.startswith(HEADER) and "Festa di quartiere" in preview.plain
    assert "Lo riceveranno 3 persone" in confirm.plain
    message, send = staff.find_button("📤 Invia ora a 3")
    await staff.press("📤 Invia ora a 3")
    await bot.app.bot_data.broadcaster.idle()
    for person in people:
        [message] = received(bot, person)
        assert message.plain == preview.plain  # exactly what the preview showed
        assert message.buttons == ["🔕 Non ricevere più"]
    assert received(bot, outsider) == []
    assert "✅ Annuncio n. 1 inviato. Ricevuto: 3 su 3 · non raggiungibili: 0" in staff.last().plain
    before = len(bot.api.sent)
    await staff.press_data(send["callback_data"], message)  # a second tap: nothing twice
    assert "già stato inviato" in staff.callback_answer()["text"]
    await bot.app.bot_data.broadcaster.idle()
    assert len(bot.api.sent) == before


async def test_a_photo_with_its_caption(bot):
    [person] = await subscribers(bot, 1)
    staff = bot.user(STAFF_ID)
    await staff.send("/annuncio")
    replies = await staff.send_media("photo", "x" * 1010)  # over the caption limit with header
    assert "al massimo" in replies.text
    await staff.send_media("photo", "La nuova sala di Crosione")
    replies = await staff.press("Chi ha chiesto gli annunci")
    assert replies.kinds[1] == "photo"
    await staff.press("📤 Invia ora a 1")
    await bot.app.bot_data.broadcaster.idle()
    [photo] = [m for m in bot.api.sent if m.chat_id == person.id and m.kind == "photo"]
    assert "La nuova sala di Crosione" in photo.plain and photo.plain.startswith(HEADER)


async def test_bad_input_gets_a_clear_answer(bot):
    staff = bot.user(STAFF_ID)
    await staff.send("/annuncio")
    assert "troppo lungo" in (await staff.send("a" * 4090)).text
    assert "testo oppure una foto" in (await staff.send_media("sticker")).text
    await staff.send("Un annuncio per nessuno")
    replies = await staff.press("Chi segue la Scuola")  # nobody follows it yet
    assert "Nessuno riceverebbe" in replies.text
    assert "Chi ha chiesto gli annunci" in staff.visible_buttons()
    replies = await staff.send("e allora?")
    assert "Usa i pulsanti" in replies.text
    await staff.send("/annulla")
    assert bot.repo and await bot.repo.announcements.with_status("sending", "scheduled") == []


async def test_non_staff_cannot_use_any_of_it(bot):
    people = await subscribers(bot, 2)
    staff = bot.user(STAFF_ID)
    await write(staff, "Solo staff")
    await staff.press("📤 Invia ora a 2")
    await bot.app.bot_data.broadcaster.idle()
    intruder = people[0]
    replies = await intruder.send("/annuncio")
    assert "riservato" in replies.text.lower() or "staff" in replies.text.lower()
    await intruder.send("Testo abusivo")  # not in the flow: treated as a question, not sent
    for data in (
        callbacks.pack("ann", "stop", 1),
        callbacks.pack("annuncio", "send", "forged"),
        callbacks.pack("annuncio", "aud", "all"),
    ):
        await intruder.press_data(data)
        assert intruder.callback_answer()["show_alert"]
    assert [a.status for a in await bot.repo.announcements.with_status("done")] == ["done"]
    assert all(len(received(bot, p)) == 1 for p in people)


async def test_empty_everyone_is_refused_and_optout_is_one_tap(bot):
    people = await subscribers(bot, 2)
    staff = bot.user(STAFF_ID)
    await write(staff, "Primo annuncio")
    await staff.press("📤 Invia ora a 2")
    await bot.app.bot_data.broadcaster.idle()
    await people[0].press("🔕 Non ricevere più")
    assert "non riceverai più annunci" in people[0].callback_answer()["text"]
    replies = await write(staff, "Secondo annuncio", "Tutti quelli che hanno chiesto notizie")
    assert "Lo riceverà <b>1</b> persona" in replies[-1].text  # the other subscriber; not the staff
    await staff.press("📤 Invia ora a 1")
    await bot.app.bot_data.broadcaster.idle()
    assert len(received(bot, people[0])) == 1 and len(received(bot, people[1])) == 2


async def test_pace_never_above_the_limit_and_blocked_users_skipped(bot, clock):
    people = await subscribers(bot, 60)
    for person in people[:3]:
        person.chat.blocked = True
    staff = bot.user(STAFF_ID)
    await write(staff, "Sessanta persone")
    times: list[datetime] = []
    bot.api.listeners.append(lambda m: times.append(clock.now()) if HEADER in m.plain else None)
    bot.api.limits = Limits()  # Telegram's limits, timed by the test clock
    await staff.press("📤 Invia ora a 60")
    await bot.app.bot_data.broadcaster.idle()
    assert len(times) == 57 and bot.api.throttled == 0
    pace = bot.app.bot_data.config.broadcast.messages_per_second
    per_second = Counter(int((t - times[0]).total_seconds()) for t in times)
    assert max(per_second.values()) <= pace  # [broadcast] messages_per_second
    assert (times[-1] - times[0]).total_seconds() >= 56 / pace - 56e-6  # clocks count µs
    assert "non raggiungibili: 3" in staff.last().plain
    for person in people[:3]:
        assert (await bot.repo.users.get(person.id)).blocked
    refused = [e for _, e in bot.api.errors]
    assert [e.code for e in refused] == [403, 403, 403]
    bot.api.errors.clear()
    bot.api.limits = None
    await write(staff, "Di nuovo")
    await staff.press("📤 Invia ora a 57")  # blocked users are left out from now on
    await bot.app.bot_data.broadcaster.idle()
    assert all(len(received(bot, p)) == 2 for p in people[3:])


async def test_with_nobody_chatting_an_announcement_takes_the_whole_send_budget(
    start_bot, config, clock
):
    """As in production, with the shared send budget on: the announcement is paced by the
    budget (about 28 a second) and by Telegram's 30 in any one second, not held below them by
    a pace of its own (25 a second gave 24.4). The clock is the test's."""
    bot = await start_bot(
        replace(config, telegram=replace(config.telegram, rate_limit=True)), limits=Limits()
    )
    budget = bot.app.bot.rate_limiter
    people = await subscribers(bot, 400)
    staff = bot.user(STAFF_ID)
    await write(staff, "Quattrocento persone")
    times: list[float] = []
    bot.api.listeners.append(
        lambda m: times.append(clock.now().timestamp()) if HEADER in m.plain else None
    )
    await staff.press("📤 Invia ora a 400")
    await bot.app.bot_data.broadcaster.idle()
    assert len(times) == len(people) and bot.api.throttled == 0 and budget.throttled == 0
    rate = (len(times) - 1) / (times[-1] - times[0])
    assert rate >= budget.limits.per_second * 0.9999  # (the clocks count microseconds)
    per_second = Counter(int(t - times[0]) for t in times)
    assert max(per_second.values()) <= 30  # Telegram's limit in any one second
    assert bot.app.bot_data.broadcaster.pace == budget.limits.per_second  # the ETA's pace


async def test_a_429_is_waited_out_and_nobody_gets_it_twice(bot, clock):
    people = await subscribers(bot, 40)
    staff = bot.user(STAFF_ID)
    await write(staff, "Piano piano")
    bot.api.limits = Limits(per_second=5)  # stricter than [broadcast]: Telegram says 429
    start = clock.now()
    await staff.press("📤 Invia ora a 40")
    await bot.app.bot_data.broadcaster.idle()
    assert bot.api.throttled > 0
    assert all(len(received(bot, p)) == 1 for p in people)
    assert (clock.now() - start).total_seconds() >= (40 - 5) / 5  # it really waited
    assert {e.code for _, e in bot.api.errors} == {429}
    bot.api.errors.clear()


async def test_the_sender_can_stop_it_midway(bot):
    people = await subscribers(bot, 30)
    staff = bot.user(STAFF_ID)
    await write(staff, "Da fermare")
    pressed = []

    def stop_after_ten(message) -> None:
        if HEADER in message.plain and len([m for m in bot.api.sent if HEADER in m.plain]) == 10:
            pressed.append(bot.app.create_task(staff.press("⏹ Ferma l'invio")))

    bot.api.listeners.append(stop_after_ten)
    await staff.press("📤 Invia ora a 30")
    await bot.app.bot_data.broadcaster.idle()
    await pressed[0]
    got = sum(len(received(bot, p)) for p in people)
    assert 10 <= got <= 11
    [announcement] = await bot.repo.announcements.with_status("stopped")
    counts = await bot.repo.deliveries.counts(announcement.job)
    assert counts == {"sent": got, "stopped": 30 - got}
    assert "⏹ Annuncio n. 1 fermato" in staff.last().plain


async def test_scheduled_for_a_time_that_exists(bot, clock):
    [person] = await subscribers(bot, 1)
    staff = bot.user(STAFF_ID)
    await write(staff, "Ci vediamo a dicembre")
    await staff.press("🕒 Programma l'invio")
    for typed, expected in [
        ("31/02/2027 10:00", "non esiste"),
        ("28/03/2027 02:30", "dalle 2:00 alle 3:00"),
        ("31/10/2027 02:30", "due volte"),
        ("01/01/2020 10:00", "già passata"),
        ("domani", "Non riconosco"),
    ]:
        assert expected in (await staff.send(typed)).text, typed
    replies = await staff.send("01/12/2026 18:00")
    assert "Programmato per martedì 1 dicembre 2026 alle 18:00" in replies.text
    data = bot.app.bot_data
    clock.set(datetime(2026, 12, 1, 16, 59, tzinfo=UTC))
    data.broadcaster.kick()
    await data.broadcaster.idle()
    assert received(bot, person) == []
    clock.set(datetime(2026, 12, 1, 17, 0, tzinfo=UTC))  # 18:00 in Rome
    data.broadcaster.kick()
    await data.broadcaster.idle()
    assert len(received(bot, person)) == 1
    await write(staff, "Questo no")
    await staff.press("🕒 Programma l'invio")
    await staff.send("02/12/2026 18:00")
    await staff.press("✖️ Annulla l'invio programmato")
    assert "non partirà" in staff.last().plain
    clock.advance(timedelta(days=2))
    data.broadcaster.kick()
    await data.broadcaster.idle()
    assert len(received(bot, person)) == 1
    assert [a.status for a in await bot.repo.announcements.with_status("cancelled")] == [
        "cancelled"
    ]


async def test_people_following_a_lab_or_an_area(bot):
    anna, bruno = bot.user(), bot.user()
    await anna.send("/laboratori")
    await anna.press("Spazio Q")
    await anna.press("🔔 Avvisami delle sue novità")
    assert "ti scriveremo" in anna.callback_answer()["text"]
    await bruno.send("/laboratori")
    await bruno.press("Crosione")
    await bruno.press("🔔 Avvisami delle sue novità")
    staff = bot.user(STAFF_ID)
    await staff.send("/annuncio")
    await staff.send("Novità dal Vallone")
    await staff.press("Chi segue un laboratorio o una zona")
    await staff.press("Vallone, Pavia")
    replies = await staff.press("Tutta la zona")
    assert "Lo riceverà 1 persona" in replies.text
    await staff.press("📤 Invia ora a 1")
    await bot.app.bot_data.broadcaster.idle()
    assert len(received(bot, anna)) == 1 and received(bot, bruno) == []


def _rome(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=ROME)


async def test_someone_who_never_opted_in_gets_no_announcement_whatever_the_audience(bot):
    """The promise of /start: "se non scegli nulla, non ti scriverò per primo"."""
    outsider = bot.user()  # uses the bot a lot, never asks for news
    await outsider.send("/start")
    await outsider.send("orari di spazio q")
    await outsider.send("/scuola")
    await outsider.send("/laboratori")
    await outsider.press("Spazio Q")
    fan, follower = bot.user(), bot.user()
    await fan.send("/notifiche")
    await fan.press("⬜ Assemblea di Rete")
    await follower.send("/laboratori")
    await follower.press("Spazio Q")
    await follower.press("🔔 Avvisami delle sue novità")
    data = bot.app.bot_data
    labs = data.labs.current.visible
    names = ["all", *(f"topic:{t}" for t in ("annunci", "assemblea", "scuola"))]
    names += [f"lab:{lab.id}" for lab in labs] + [f"area:{area_key(lab.area)}" for lab in labs]
    names += [f"edition:{e.id}" for e in await bot.repo.editions.all()]
    for name in names:
        people = await audience(data, name)
        assert outsider.id not in people and STAFF_ID not in people, name
    assert sorted(await audience(data, "all")) == sorted([fan.id, follower.id])
    staff = bot.user(STAFF_ID)
    await write(staff, "A chi ha chiesto", "Tutti quelli che hanno chiesto notizie")
    await staff.press("📤 Invia ora a 2")
    await data.broadcaster.idle()
    assert received(bot, outsider) == []
    assert len(received(bot, fan)) == len(received(bot, follower)) == 1


async def test_scheduled_as_people_write_it(bot):
    await subscribers(bot, 1)
    staff = bot.user(STAFF_ID)
    await write(staff, "Domani si parte")
    await staff.press("🕒 Programma l'invio")
    replies = await staff.send("domani alle 18")  # Wednesday 25 November 2026, in the tests
    assert "Programmato per giovedì 26 novembre 2026 alle 18:00" in replies.text


async def test_an_announcement_of_a_staff_member_who_was_erased_reports_to_nobody(bot, clock):
    """Scheduled, then its author erased all their data: it still goes out when due, and the
    bot does not try to report its progress to a person it no longer knows."""
    people = await subscribers(bot, 2)
    staff = bot.user(STAFF_ID)
    await write(staff, "Festa il primo dicembre")
    await staff.press("🕒 Programma l'invio")
    await staff.send("01/12/2026 18:00")
    await staff.send("/cancellami")
    await staff.press("🗑️ Sì, cancella tutto")
    clock.set(datetime(2026, 12, 1, 17, 0, tzinfo=UTC))
    data = bot.app.bot_data
    data.broadcaster.kick()
    await data.broadcaster.idle()
    assert all(len(received(bot, person)) == 1 for person in people)
    assert [m for m in bot.api.sent if m.chat_id == 0] == []


async def test_a_stop_during_an_announcement_loses_nobody_and_bursts_nothing(
    start_bot, config, clock
):
    """With the send budget on and Telegram's limits enforced: the bot stops while an
    announcement goes out. Telegram refuses nothing, nobody got it twice, and every message
    not sent is still pending for the next start (none marked failed or left in flight)."""
    limited = replace(config, telegram=replace(config.telegram, rate_limit=True))
    bot = await start_bot(limited, limits=Limits())
    people = await subscribers(bot, 60)
    staff = bot.user(STAFF_ID)
    await write(staff, "Fermati a metà")
    stopping = []

    def stop_after_twenty(message) -> None:
        if HEADER in message.plain and len([m for m in bot.api.sent if HEADER in m.plain]) == 20:
            stopping.append(asyncio.create_task(bot.app.stop()))

    bot.api.listeners.append(stop_after_twenty)
    await staff.press("📤 Invia ora a 60")
    await bot.app.bot_data.broadcaster.idle()
    await stopping[0]
    sent = sum(len(received(bot, p)) for p in people)
    assert 0 < sent < 60 and bot.api.throttled == 0
    assert all(len(received(bot, p)) <= 1 for p in people)
    [announcement] = await bot.repo.announcements.with_status("sending")
    counts = await bot.repo.deliveries.counts(announcement.job)
    assert counts == {"sent": sent, "pending": 60 - sent}
