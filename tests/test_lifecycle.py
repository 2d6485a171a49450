"""Start and stop: the real Updater polls the sandbox; a stop lets in-flight updates finish."""

from __future__ import annotations

import asyncio

from telegram import Update
from telegram.ext import ApplicationHandlerStop, CommandHandler

from bot.app import build_application
from bot.sandbox.telegram import FakeTelegram
from bot.sandbox.users import Sandbox


async def test_stop_waits_for_updates_in_flight(config, clock):
    api = FakeTelegram(clock=clock)
    app = build_application(config, request=api, clock=clock)
    sandbox = Sandbox(app, api)
    started, release = asyncio.Event(), asyncio.Event()

    async def slow(update: Update, context) -> None:
        started.set()
        await release.wait()
        await update.effective_message.reply_text("finito")
        await context.repo.users.count()  # the database is still open
        raise ApplicationHandlerStop  # this test command is the only answer

    app.add_handler(CommandHandler("lento", slow), group=-5)
    anna = sandbox.user()
    await app.initialize()
    await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=Update.ALL_TYPES)
    await app.start()
    _, body = anna._message("text", "/lento")
    api.queue_update(sandbox.update(message=body))
    await asyncio.wait_for(started.wait(), 10)

    await app.updater.stop()
    stopping = asyncio.create_task(app.stop())
    await asyncio.sleep(0)
    assert not stopping.done()  # waiting for the handler
    release.set()
    await asyncio.wait_for(stopping, 10)
    await app.shutdown()
    assert anna.last().plain == "finito"
    assert app.bot_data.repo is None  # closed after the last update


async def test_unusual_updates_are_quiet(bot):
    anna = bot.user()
    await anna.send("/start")
    user = anna.data
    chat = anna.chat.as_dict()
    now = bot.api.now()
    thumbs_up = {"type": "emoji", "emoji": "👍"}
    odd = [
        {"message_reaction": {"chat": chat, "message_id": 1, "user": user, "date": now,
                              "old_reaction": [], "new_reaction": [thumbs_up]}},
        {"inline_query": {"id": "iq1", "from": user, "query": "spazio", "offset": ""}},
        {"poll_answer": {"poll_id": "p", "user": user, "option_ids": [0],
                         "option_persistent_ids": ["o1"]}},
        {"chat_join_request": {"chat": {"id": -100_5, "type": "supergroup", "title": "G"},
                               "from": user, "user_chat_id": user["id"], "date": now}},
        {"edited_channel_post": {"message_id": 3, "date": now, "edit_date": now,
                                 "chat": {"id": -100_9, "type": "channel", "title": "C"},
                                 "text": "x"}},
    ]  # fmt: skip
    for body in odd:
        assert await bot.deliver(bot.update(**body)) == [], body
    inline_button = {
        "callback_query": {
            "id": bot.api.new_callback_id(),
            "from": user,
            "chat_instance": "ci",
            "inline_message_id": "im-1",
            "data": "menu:v1:help",
        }
    }
    assert await bot.deliver(bot.update(**inline_button)) == []
    assert all(bot.api.callback_queries.values())  # even that button was answered
