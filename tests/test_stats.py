"""/statistiche: what staff learn about the service, in counts only, with a weekly chart."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from PIL import Image

from tests.conftest import STAFF_ID
from tests.helpers import fill, scuola_config


async def test_the_figures_and_the_chart_come_from_what_people_did(
    start_bot, config, tmp_path, clock
):
    clock.set(datetime(2026, 10, 20, 10, 0, tzinfo=UTC))  # a Tuesday, 36 days before "now"
    bot = await start_bot(scuola_config(config, tmp_path, None))
    early = [bot.user(first_name=f"Prima{i}") for i in range(2)]
    for person in early:
        await person.send("/start")
    clock.set(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))  # Wednesday of the week of 23 November
    anna, marco, lucia = bot.user(), bot.user(first_name="Marco"), bot.user(first_name="Lucia")
    await fill(anna)
    await anna.press("✅ Conferma l'iscrizione")
    await marco.send("/notifiche")
    await marco.press("⬜ Annunci della rete")
    await marco.press("⬜ Assemblea di Rete")
    await lucia.send("/notifiche")
    await lucia.press("⬜ Annunci della rete")
    for person in (marco, anna):
        await person.send("/laboratori")
        await person.press("Spazio Q")
        await person.press("🔔 Avvisami delle sue novità")
    for text in ("c'è un laboratorio vicino a Cava Manara?", "laboratori a Cava Manara",
                 "orari di Spazio Q", "zxcv qwerty"):  # fmt: skip
        await marco.send(text)
    await bot.repo.users.set_blocked(lucia.id, True, clock.now())  # she cannot be reached

    staff = bot.user(STAFF_ID)
    replies = await staff.send("/statistiche")
    text = replies[0].plain
    for expected in (
        "Persone raggiunte: 6",  # five people and the staff member asking
        "Negli ultimi 30 giorni: nuove 4 · attive 4",  # the early two came 36 days ago
        "Hanno bloccato il bot: 1",
        "Annunci della rete: 1",  # Lucia blocked the bot: not counted as reachable
        "Assemblea di Rete: 1",
        "Scuola dei Laboratori Sociali: 0",
        "Chi segue un laboratorio: Spazio Q (2)",
        "Autunno 2026: confermate 1 · in lista d'attesa 0 · ritirate 0",
        "Domande negli ultimi 30 giorni: 4",
        "Capite: 3 (75%)",
        "Luoghi più chiesti: Cava Manara (2)",
        "Laboratori più chiesti: Spazio Q (1)",
    ):
        assert expected in text, (expected, text)
    for name in ("Anna", "Rossi", "Marco", "Lucia", "anna.rossi@example.org", "zxcv"):
        assert name not in text, name  # counts only: nobody is named, nothing anyone wrote

    photo = replies[-1]
    assert photo.kind == "photo"
    assert "Ultime 12 settimane: iscrizioni alla Scuola 1, persone nuove 6" in photo.plain
    assert "dal 23 nov (4)" in photo.plain
    image = Image.open(io.BytesIO(photo.payload["file"]["data"]))
    assert image.format == "PNG" and image.width > 600 and image.height > 300
    stats = await bot.repo.stats.gather(clock.now(), config.scheduler.tz)
    assert [(w.monday.isoformat(), w.signups, w.new_people) for w in stats.weeks[-6:]] == [
        ("2026-10-19", 0, 2),
        ("2026-10-26", 0, 0),
        ("2026-11-02", 0, 0),
        ("2026-11-09", 0, 0),
        ("2026-11-16", 0, 0),
        ("2026-11-23", 1, 4),
    ]


async def test_in_english_and_without_activity_there_is_no_empty_chart(bot, clock):
    staff = bot.user(STAFF_ID, language_code="en")
    clock.advance(timedelta(weeks=13))  # nobody new since the staff member's first message...
    await staff.send("/start")
    clock.advance(timedelta(weeks=13))  # ...and that was long ago
    replies = await staff.send("/statistiche")
    assert "People reached: 1" in replies.text
    assert "No editions yet." in replies.text
    assert "Following a lab: —" in replies.text
    assert "Questions in the last 30 days: 0" in replies.text
    assert "Understood: 0 (0%)" in replies.text
    assert "no chart" in replies[-1].text
    assert [m.kind for m in replies] == ["text", "text"]


async def test_a_failing_chart_still_leaves_the_figures(bot, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("no fonts on this server")

    monkeypatch.setattr("bot.chart.weekly_png", broken)
    staff = bot.user(STAFF_ID)
    replies = await staff.send("/statistiche")
    assert "Persone raggiunte: 1" in replies[0].plain
    assert "Il grafico non è riuscito" in replies[-1].plain
    assert "photo" not in replies.kinds
    assert "statistics chart failed: RuntimeError" in caplog.text
