"""Runtime pieces: command menus and descriptions, per-chat ordering, log redaction."""

from __future__ import annotations

import asyncio
import io
import logging

from telegram import Update

from bot import logs
from bot.processor import PerChatUpdateProcessor
from tests.conftest import STAFF_ID, stop


async def test_menus_and_descriptions_are_published_per_language(bot):
    api = bot.api
    public_it = [c["command"] for c in api.commands[("default", "")]]
    public_en = api.commands[("default", "en")]
    assert public_it == [
        "start", "laboratori", "vicino", "scuola", "mie_iscrizioni", "eventi", "notifiche",
        "proponi", "proposte", "help",
        "lingua", "privacy", "miei_dati", "cancellami",
        "annulla",
    ]  # fmt: skip
    assert {"command": "lingua", "description": "Change language (italiano / English)"} in public_en
    staff = [c["command"] for c in api.commands[(f"chat:{STAFF_ID}", "")]]
    assert staff[: len(public_it)] == public_it and "stato" in staff
    assert "stato" not in public_it
    assert "Laboratori Sociali" in api.descriptions[""]
    assert "community labs" in api.descriptions["en"]
    assert len(api.short_descriptions["en"]) <= 120


async def test_a_restart_does_not_publish_again(start_bot, config):
    first = await start_bot(config)
    await stop(first.app)
    second = await start_bot(config)
    second.api.commands = first.api.commands  # same Telegram
    second.api.descriptions = first.api.descriptions
    second.api.short_descriptions = first.api.short_descriptions
    second.api.calls.clear()
    from bot.profile import publish_profile

    await publish_profile(second.app)
    assert not [m for m, _ in second.api.calls if m.startswith("set")]
    await stop(second.app)


async def test_a_staff_member_gets_their_menu_on_first_contact(start_bot, config):
    bot = await start_bot(config)
    newcomer = 555_999
    bot.app.bot_data.config = config.__class__(
        telegram=config.telegram.__class__(staff_ids=(STAFF_ID, newcomer), rate_limit=False),
        storage=config.storage,
    )
    await bot.user(newcomer).send("/start")
    assert "stato" in [c["command"] for c in bot.api.commands[(f"chat:{newcomer}", "")]]
    await stop(bot.app)


async def test_updates_of_one_chat_run_in_order_and_chats_run_together():
    processor = PerChatUpdateProcessor(8)
    log: list[str] = []
    gate = asyncio.Event()

    def update(chat_id: int, update_id: int) -> Update:
        return Update.de_json(
            {
                "update_id": update_id,
                "message": {
                    "message_id": update_id,
                    "date": 0,
                    "chat": {"id": chat_id, "type": "private"},
                    "text": "x",
                },
            },
            None,
        )

    async def work(name: str, wait: bool) -> None:
        log.append(f"start {name}")
        if wait:
            await gate.wait()
        log.append(f"end {name}")

    async with processor:
        first = asyncio.create_task(processor.process_update(update(1, 1), work("a1", True)))
        second = asyncio.create_task(processor.process_update(update(1, 2), work("a2", False)))
        other = asyncio.create_task(processor.process_update(update(2, 3), work("b1", False)))
        await other  # chat 2 is not held up by chat 1
        assert log == ["start a1", "start b1", "end b1"]
        gate.set()
        await asyncio.gather(first, second)
    assert log[3:] == ["end a1", "start a2", "end a2"]
    assert not processor._locks  # nothing kept once idle


async def test_a_burst_of_one_chat_does_not_take_the_slots_of_the_others():
    processor = PerChatUpdateProcessor(2)
    gate = asyncio.Event()
    done: list[int] = []

    def update(chat_id: int, update_id: int) -> Update:
        body = {"message_id": update_id, "date": 0, "chat": {"id": chat_id, "type": "private"}}
        return Update.de_json({"update_id": update_id, "message": body}, None)

    async def work(chat_id: int) -> None:
        if chat_id == 1:
            await gate.wait()
        done.append(chat_id)

    async with processor:
        assert processor.max_concurrent_updates == 2
        burst = [
            asyncio.create_task(processor.process_update(update(1, n), work(1))) for n in range(10)
        ]
        await asyncio.sleep(0)
        other = processor.process_update(update(2, 99), work(2))
        await asyncio.wait_for(other, timeout=5)  # not behind chat 1's burst (a hang otherwise)
        assert done == [2] and processor.current_concurrent_updates == 1
        gate.set()
        await asyncio.gather(*burst)
    assert done == [2] + [1] * 10


def test_secrets_are_redacted_even_in_tracebacks():
    stream = io.StringIO()
    logs.setup(["123:SECRET"], stream=stream)
    log = logging.getLogger("test.redaction")
    try:
        raise RuntimeError("calling https://api.telegram.org/bot123:SECRET/getMe failed")
    except RuntimeError:
        log.exception("request to %s", "https://api.telegram.org/bot123:SECRET/getMe")
    logging.getLogger("httpx").info("HTTP Request: POST .../bot123:SECRET/getUpdates")
    text = stream.getvalue()
    assert "SECRET" not in text
    assert "request to https://api.telegram.org/bot[REDACTED]/getMe" in text
    assert "RuntimeError: calling https://api.telegram.org/bot[REDACTED]/getMe failed" in text
    assert "getUpdates" not in text  # httpx request lines are not logged at all
    logging.getLogger().handlers.clear()


def test_a_log_file_is_kept_for_the_retention_of_the_records_of_messages(tmp_path):
    """A log file starts afresh each midnight and keeps the last `keep_days` days
    (`[privacy] messages_days`), deleting older ones."""
    path = tmp_path / "var" / "labbot.log"
    logs.setup([], file=path, keep_days=3)
    [handler] = logging.getLogger().handlers
    log = logging.getLogger("test.rotation")
    first = handler.rolloverAt
    try:
        for day in range(6):  # six midnights
            log.info("day %d", day)
            handler.rolloverAt = first + day * 86_400
            handler.doRollover()
        log.info("today")
    finally:
        handler.close()
        logging.getLogger().handlers.clear()
    kept = sorted(p.name for p in path.parent.iterdir())
    assert len(kept) == 4 and "labbot.log" in kept  # today's and the last three days'
    assert "today" in path.read_text() and "day 5" in "".join(
        p.read_text() for p in path.parent.iterdir()
    )
    assert not any("day 1" in p.read_text() for p in path.parent.iterdir())
