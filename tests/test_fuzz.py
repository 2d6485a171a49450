"""Property: whatever arrives, in whatever order, the bot raises nothing and asks Telegram for
nothing it would refuse.

Each example starts a fresh bot (a real SQLite file, the real Application, the sandbox) and plays
a random sequence of updates from three people, one of them staff: random Unicode, HTML and very
long texts, every command with random arguments, buttons the bot showed and forged callback data,
locations at the poles and at (0, 0), contacts of other people, every media type, edits, group
messages and channel posts, in the middle of whatever conversation is open. The sandbox refuses
what Telegram refuses (lengths, markup, callback data, parse errors), and the harness fails on a
handler exception or a refused request.
"""

from __future__ import annotations

import asyncio
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.clock import ManualClock
from bot.config import AbuseConfig, Config, StorageConfig, TelegramConfig
from tests.conftest import STAFF_ID, _start, stop

MEDIA = ("photo", "sticker", "voice", "audio", "video", "animation", "document", "video_note",
         "dice", "poll")  # fmt: skip
COMMANDS = ("start", "help", "aiuto", "laboratori", "vicino", "scuola", "mie_iscrizioni", "eventi",
            "notifiche", "lingua", "annulla", "cancel", "privacy", "miei_dati", "cancellami",
            "annuncio", "evento", "edizioni", "iscrizioni", "qr", "ricarica", "domande", "stato",
            "staff", "boh")  # fmt: skip
WORDS = ("Spazio Q", "Crosione", "Cava Manara", "orari", "scuola", "assemblea", "sì", "no", "1",
         "12/03/2027 17:30-19:30", "31/02/2027 10:00-11:00", "anna@example.org", "+39 333 1234567",
         "<b>grassetto</b>", "<a href='x'>", "&amp;", "⏭️ Salta", "✖️ Annulla")  # fmt: skip

FEATURES = ("lab", "menu", "scuola", "ev", "evedit", "annuncio", "ann", "notif", "staff",
            "privacy", "labedit", "edizioni", "iscrizioni")  # fmt: skip
MENTION = "@LabSocialiPaviaBot ciao"

texts = st.one_of(
    st.sampled_from(WORDS),
    st.text(max_size=200),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=3000, max_size=4096),
    st.builds(lambda a, b: f"{a} {b}", st.sampled_from(WORDS), st.text(max_size=40)),
)
commands = st.builds(
    lambda c, args: f"/{c} {args}".strip(), st.sampled_from(COMMANDS), st.text(max_size=30)
)
latitudes = st.one_of(st.sampled_from([90.0, -90.0, 0.0, 45.1853]), st.floats(-90, 90))
longitudes = st.one_of(st.sampled_from([180.0, -180.0, 0.0, 9.155]), st.floats(-180, 180))
forged = st.one_of(
    st.text(min_size=1, max_size=20).filter(lambda s: 1 <= len(s.encode()) <= 64),
    st.builds(
        lambda f, a, x: f"{f}:v1:{a}:{x}"[:64],
        st.sampled_from(FEATURES),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=10),
        st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-", max_size=20),
    ),
)

steps = st.lists(
    st.one_of(
        st.tuples(st.just("text"), texts),
        st.tuples(st.just("command"), commands),
        st.tuples(st.just("press"), st.integers(0, 1000)),
        st.tuples(st.just("forge"), forged),
        st.tuples(st.just("location"), st.tuples(latitudes, longitudes)),
        st.tuples(st.just("media"), st.tuples(st.sampled_from(MEDIA), st.text(max_size=50))),
        st.tuples(st.just("contact"), st.sampled_from(["+39 333 0000000", "abc", "+1"])),
        st.tuples(st.just("edit"), texts),
        st.tuples(st.just("group"), st.one_of(commands, texts, st.just(MENTION))),
        st.tuples(st.just("channel"), texts),
        st.tuples(st.just("who"), st.integers(0, 2)),
        st.tuples(st.just("wait"), st.integers(1, 3 * 24 * 3600)),
    ),
    min_size=15,
    max_size=40,
)


async def play(plan: list[tuple[str, object]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = Config(
            telegram=TelegramConfig(staff_ids=(STAFF_ID,), rate_limit=False),
            storage=StorageConfig(path=Path(folder) / "bot.sqlite3"),
            abuse=AbuseConfig(flood_updates=20),
            source="tests",
        )
        clock = ManualClock(datetime(2026, 11, 25, 9, 30, tzinfo=UTC))
        bot, app = await _start(config, clock)
        try:
            people = [bot.user(), bot.user(language_code="en"), bot.user(STAFF_ID)]
            group = bot.group()
            channel = bot.api.ensure_group(-100_777, "Canale", kind="channel")
            for person in people:
                await person.send("/start")
            who = people[0]
            for kind, value in plan:
                if kind == "who":
                    who = people[value]
                elif kind == "wait":
                    clock.advance(timedelta(seconds=value))
                elif kind in ("text", "command"):
                    await who.send(value)
                elif kind == "press":
                    seen = [
                        (m, b["callback_data"])
                        for m in who.messages()
                        for b in m.inline_buttons
                        if "callback_data" in b
                    ]
                    if seen:
                        message, data = seen[value % len(seen)]
                        await who.press_data(data, message)
                elif kind == "forge":
                    await who.press_data(value)
                elif kind == "location":
                    await who.share_location(*value)
                elif kind == "media":
                    await who.send_media(*value)
                elif kind == "contact":
                    await who.share_contact(value, user_id=people[1].id, first_name="Altra")
                elif kind == "edit":
                    mine = [m for m in who.chat.messages.values() if not m.from_bot]
                    if mine and mine[-1].kind == "text":
                        await who.edit(mine[-1].message_id, value or "x")
                elif kind == "group":
                    await who.send(value or "x", chat=group)
                elif kind == "channel":
                    post = {"message_id": 1, "date": bot.api.now(), "chat": channel.as_dict(),
                            "text": value or "x"}  # fmt: skip
                    await bot.deliver(bot.update(channel_post=post))
            await app.bot_data.broadcaster.idle()
        finally:
            await stop(app)
        bot.check()


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,  # the same examples on every run: CI never flakes on a new one
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps)
def test_random_updates_never_crash_nor_make_bad_requests(plan):
    asyncio.run(play(plan))
