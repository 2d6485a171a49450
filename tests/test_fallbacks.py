"""Whatever the Bot API can deliver gets a sensible answer, or quiet where quiet is right."""

from __future__ import annotations

import logging

import pytest
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler

from tests.conftest import STAFF_ID, stop, with_staff

MENU_FIRST_BUTTON = "🔎 Trova un laboratorio"


async def test_unknown_command(bot):
    replies = await bot.user().send("/boh argomento")
    assert "Non conosco il comando /boh" in replies.text
    assert MENU_FIRST_BUTTON in replies.buttons


async def test_unknown_text_gets_the_menu(bot):
    replies = await bot.user().send("asdfgh")
    assert "non ho capito" in replies.text.lower()
    assert MENU_FIRST_BUTTON in replies.buttons


@pytest.mark.parametrize(
    ("kind", "words"),
    [
        ("photo", "le foto"),
        ("sticker", "gli sticker"),
        ("voice", "i messaggi vocali"),
        ("document", "i file"),
        ("video", "i video"),
        ("video_note", "i video"),
        ("animation", "le GIF"),
        ("audio", "i file audio"),
        ("poll", "i sondaggi"),
        ("dice", "questo tipo di messaggio"),
    ],
)
async def test_media_get_a_kind_answer(bot, kind, words):
    replies = await bot.user().send_media(kind)
    assert f"Non so ancora leggere {words}" in replies.text
    assert MENU_FIRST_BUTTON in replies.buttons


async def test_media_in_english(bot):
    replies = await bot.user(language_code="en").send_media("sticker")
    assert "I cannot read stickers yet" in replies.text


async def test_a_contact_is_answered(bot):
    replies = await bot.user().share_contact("+39 333 000 0000")
    assert "i contatti" in replies.text


async def test_edited_messages(bot):
    anna = bot.user()
    await anna.send("ciao")
    mine = next(m for m in anna.chat.messages.values() if not m.from_bot)
    replies = await anna.edit(mine.message_id, "ciao a tutti")
    assert "Hai modificato un messaggio" in replies.text


async def test_groups_stay_quiet_unless_addressed(bot):
    anna = bot.user()
    group = bot.group()
    assert await anna.send("ciao a tutti", chat=group) == []
    assert await anna.send("/boh", chat=group) == []  # maybe for another bot
    assert await anna.send("/start@AnotherBot", chat=group) == []
    replies = await anna.send("@LabSocialiPaviaBot c'è un laboratorio?", chat=group)
    assert "scrivimi in privato" in replies.text
    assert replies[0].inline_buttons[0]["url"] == "https://t.me/LabSocialiPaviaBot?start=gruppo"
    replies = await anna.send("/start@LabSocialiPaviaBot", chat=group)
    assert "scrivimi in privato" in replies.text
    assert "request_location" not in str(replies[0].reply_markup)


async def test_channel_posts_are_ignored(bot):
    channel = bot.api.ensure_group(-100_777, "Canale", kind="channel")
    post = {
        "message_id": 1,
        "date": bot.api.now(),
        "chat": channel.as_dict(),
        "text": "/start",
        "entities": [{"type": "bot_command", "offset": 0, "length": 6}],
    }
    assert await bot.deliver(bot.update(channel_post=post)) == []


async def test_stale_and_forged_buttons(bot):
    anna = bot.user()
    await anna.send("/start")
    for data in ("menu:v0:labs", "menu:v1:rocket", "lab:v1:show:gone", "garbage", "x" * 64):
        assert await anna.press_data(data) == []
        answer = anna.callback_answer()
        assert answer["text"] == "Questo pulsante non è più attivo."
        assert answer["show_alert"] is True


async def test_a_user_who_blocks_the_bot_is_recorded(bot):
    anna = bot.user()
    await anna.send("/start")

    def member_update(status: str) -> dict:
        me = bot.api.me
        return bot.update(
            my_chat_member={
                "chat": anna.chat.as_dict(),
                "from": anna.data,
                "date": bot.api.now(),
                "old_chat_member": {"status": "member", "user": me},
                "new_chat_member": {"status": status, "user": me, "until_date": 0},
            }
        )

    await bot.deliver(member_update("kicked"))
    assert (await bot.repo.users.get(anna.id)).blocked
    await bot.deliver(member_update("member"))
    assert not (await bot.repo.users.get(anna.id)).blocked
    await anna.send("/cancellami")
    await anna.press("🗑️ Sì, cancella tutto")
    await bot.deliver(member_update("kicked"))  # she goes: her erasure is not undone
    await bot.deliver(member_update("member"))
    await bot.people.flush()
    assert await bot.repo.users.get(anna.id) is None and not bot.people.knows(anna.id)


async def test_a_crash_in_a_handler_is_reported_kindly(start_bot, config, caplog):
    config = with_staff(config, STAFF_ID)
    config = config.__class__(
        telegram=config.telegram.__class__(
            staff_ids=(STAFF_ID,), staff_chat_id=STAFF_ID, rate_limit=False
        ),
        storage=config.storage,
    )
    bot = await start_bot(config)

    async def broken(update, context):
        raise RuntimeError("something internal")

    bot.app.add_handler(CommandHandler("rompi", broken), group=-5)
    anna = bot.user(first_name="Segreto")
    with caplog.at_level(logging.INFO):
        replies = await anna.send("/rompi dati-personali")
    assert "qualcosa non ha funzionato" in replies.text
    alert = [m for m in replies if m.chat_id == STAFF_ID]
    assert alert and "RuntimeError" in alert[0].plain
    assert "something internal" in caplog.text  # the traceback is logged...
    assert "dati-personali" not in caplog.text and "Segreto" not in caplog.text  # ...no text
    assert isinstance(bot.handler_errors.pop(), RuntimeError)
    assert bot.app.bot_data.last_error and "RuntimeError" in bot.app.bot_data.last_error
    await stop(bot.app)


async def test_a_crash_after_a_button_was_answered_is_reported_once(start_bot, config, caplog):
    """A button handler answers its query, then fails. The error handler's own answer is
    refused (already answered), and so is the stale-button handler's, which PTB still runs in
    group 0 for the same update: neither may become a second alert, nor keep the person from
    hearing that something went wrong."""
    config = with_staff(config, STAFF_ID)
    config = config.__class__(
        telegram=config.telegram.__class__(
            staff_ids=(STAFF_ID,), staff_chat_id=STAFF_ID, rate_limit=False
        ),
        storage=config.storage,
    )
    bot = await start_bot(config)

    async def broken(update, context):
        await update.callback_query.answer()
        raise RuntimeError("something internal")

    bot.app.add_handler(CallbackQueryHandler(broken, pattern="^rompi$"), group=-5)
    anna = bot.user()
    await anna.send("/start")
    with caplog.at_level(logging.INFO):
        replies = await anna.press_data("rompi")
    alerts = [m for m in replies if m.chat_id == STAFF_ID]
    assert len(alerts) == 1 and "RuntimeError" in alerts[0].plain
    assert "qualcosa non ha funzionato" in anna.last().plain
    first, second = bot.handler_errors
    assert isinstance(first, RuntimeError) and isinstance(second, BadRequest)
    bot.handler_errors.clear()
    assert {method for method, _ in bot.api.errors} == {"answerCallbackQuery"}
    bot.api.errors.clear()  # the answers Telegram refused: the very point of the test
    assert "could not tell the user" not in caplog.text
    await stop(bot.app)


@pytest.mark.parametrize(
    "text",
    [
        "che tempo fa domani a pavia?",
        "a che ora passa il bus 3 a cravino?",
        "orari della farmacia di San Martino",
        "treni da Pavia a Milano",
        "vendo bici a Mirabello",
    ],
)
async def test_a_place_named_in_passing_is_not_a_question_about_labs(bot, text):
    """The network does not do weather, buses, pharmacies or sales: the answer says what the
    bot can do and names no lab."""
    replies = await bot.user().send(text)
    assert "Su meteo, trasporti, negozi e simili non so aiutarti" in replies.text
    for lab in bot.app.bot_data.labs.current.visible:
        assert lab.name not in replies.text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("spazioq", "Spazio Q"),  # a name written together
        ("orari di inscala", "In Scala"),
        ("riunione della rete", "Assemblea di Rete"),
        ("incontro di rete", "Assemblea di Rete"),
        ("What labs are there?", "Spazio Q"),  # the list, not what a lab is
        ("cravino", "I laboratori più vicini a Cravino"),  # a place alone: the nearest labs
    ],
)
async def test_names_written_together_and_other_ways_of_asking(bot, text, expected):
    assert expected in (await bot.user().send(text)).text


@pytest.mark.parametrize(
    ("text", "place"),
    [("I live in the city centre", "Centro storico"), ("north of Pavia", "Scala"),
     ("labs in west Pavia", "Pavia Ovest")],
)  # fmt: skip
async def test_english_place_words(bot, text, place):
    replies = await bot.user(language_code="en").send(text)
    assert place in replies.text
