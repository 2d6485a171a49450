"""The sandbox refuses what Telegram refuses, with Telegram's descriptions."""

from __future__ import annotations

import pytest
from telegram import InlineKeyboardButton, InlineKeyboardMarkup, KeyboardButton, ReplyKeyboardMarkup
from telegram.error import BadRequest, Forbidden

from bot import tghtml


@pytest.fixture
async def chat(bot):
    """A user who has written to the bot, and the bot's own client."""
    user = bot.user()
    await user.send("/start")
    yield bot.app.bot, user
    bot.api.errors.clear()  # these tests provoke refusals on purpose


async def refused(coro) -> str:
    """The description Telegram gave, lower-cased (PTB changes its capitals)."""
    with pytest.raises(BadRequest) as caught:
        await coro
    return caught.value.message.lower()


async def test_text_limits(chat):
    bot, user = chat
    assert "too long" in await refused(bot.send_message(user.id, "a" * 4097))
    await bot.send_message(user.id, "a" * 4096)
    # the limit is on the text after parsing: tags do not count, entities count as one
    await bot.send_message(user.id, "<b>" + "&amp;" * 4096 + "</b>")
    assert "text is empty" in await refused(bot.send_message(user.id, "   "))
    assert "text is empty" in await refused(bot.send_message(user.id, "<b></b>"))


@pytest.mark.parametrize(
    ("html", "description"),
    [
        ("<blink>hi</blink>", 'Unsupported start tag "blink"'),
        ("<b>bold", 'Can\'t find end tag corresponding to start tag "b"'),
        ("<b><i>x</b></i>", 'expected "</i>", found "</b>"'),
        ("x </b>", "Unexpected end tag"),
        ("3 < 4", "Unsupported start tag"),
        ("Tom & Jerry", "Can't find end of the entity"),
        ("&nbsp;", 'Unsupported HTML entity "&nbsp;"'),
        ('<a title="x">link</a>', 'must have attribute "href"'),
    ],
)
async def test_malformed_html_is_refused(chat, html, description):
    bot, user = chat
    assert description.lower() in await refused(bot.send_message(user.id, html))


async def test_good_html_is_accepted(chat):
    bot, user = chat
    message = await bot.send_message(
        user.id, '<b>a</b> <i>b</i> <a href="https://x.it">c</a> &lt;&gt;&amp;&quot; &#39;'
    )
    assert message.text == "a b c <>&\" '"


async def test_buttons_are_checked(chat):
    bot, user = chat
    too_long = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="a" * 65)]])
    assert "button_data_invalid" in await refused(
        bot.send_message(user.id, "x", reply_markup=too_long)
    )
    multibyte = InlineKeyboardMarkup([[InlineKeyboardButton("x", callback_data="è" * 33)]])
    assert "button_data_invalid" in await refused(
        bot.send_message(user.id, "x", reply_markup=multibyte)
    )
    location = ReplyKeyboardMarkup([[KeyboardButton("📍", request_location=True)]])
    await bot.send_message(user.id, "ok in private", reply_markup=location)
    assert user.chat.reply_keyboard is not None


async def test_edits(chat):
    bot, user = chat
    message = await bot.send_message(user.id, "one")
    assert "message is not modified" in await refused(
        bot.edit_message_text("one", chat_id=user.id, message_id=message.message_id)
    )
    await bot.edit_message_text("two", chat_id=user.id, message_id=message.message_id)
    assert user.chat.messages[message.message_id].plain == "two"
    assert "message to edit not found" in await refused(
        bot.edit_message_text("x", chat_id=user.id, message_id=9999)
    )
    mine = next(m for m in user.chat.messages.values() if not m.from_bot)
    assert "can't be edited" in await refused(
        bot.edit_message_text("x", chat_id=user.id, message_id=mine.message_id)
    )


async def test_unknown_chat_and_blocked_user(chat):
    bot, user = chat
    assert "chat not found" in await refused(bot.send_message(123456789, "hello"))
    user.chat.blocked = True
    with pytest.raises(Forbidden, match="blocked by the user"):
        await bot.send_message(user.id, "hello")
    user.chat.deactivated = True  # a deleted account
    with pytest.raises(Forbidden, match="user is deactivated"):
        await bot.send_message(user.id, "hello")


async def test_callback_answers_are_checked(bot):
    anna = bot.user()
    await anna.send("/start")
    await anna.press("❓ Aiuto")
    query_id = next(iter(bot.api.callback_queries))
    assert "query is too old" in await refused(bot.app.bot.answer_callback_query(query_id))
    bot.api.errors.clear()


async def test_documents_and_venues_are_kept(chat, tmp_path):
    bot, user = chat
    bot_api = user.api
    bot_api.files_dir = tmp_path / "files"
    await bot.send_document(user.id, b"BEGIN:VCALENDAR", filename="evento.ics", caption="<b>ok</b>")
    doc = user.last()
    assert doc.kind == "document" and doc.plain == "ok"
    assert doc.payload["file"]["data"] == b"BEGIN:VCALENDAR"
    [saved] = (tmp_path / "files").iterdir()
    assert saved.name.endswith("evento.ics") and saved.read_bytes() == b"BEGIN:VCALENDAR"
    await bot.send_venue(user.id, 45.19, 9.17, "Spazio Q", "Piazzale Torino 40, Pavia")
    assert user.last().payload["venue"]["title"] == "Spazio Q"
    assert "caption is too long" in await refused(
        bot.send_document(user.id, b"x", filename="a.txt", caption="c" * 1025)
    )


def test_the_html_checker_reports_byte_offsets():
    with pytest.raises(tghtml.HtmlError, match="byte offset 7"):
        tghtml.parse("città <x>")
    assert tghtml.utf16_len("👍") == 2
