"""One send budget for everything the bot says: within Telegram's limits, replies first, and a
reply never dropped for being throttled. Time is the test's clock: the budget and the fake
Telegram (which answers 429 past its limits) share it, so nothing here depends on the machine."""

from __future__ import annotations

import asyncio
from collections import Counter
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.budget import BULK, STOP_SENDS_S, Limits, NotSent, SendBudget
from bot.sandbox.telegram import Limits as TelegramLimits


@pytest.fixture
def limited(config):
    """The bot as in production: its rate limiter on."""
    return replace(config, telegram=replace(config.telegram, rate_limit=True))


def budget_of(bot) -> SendBudget:
    limiter = bot.app.bot.rate_limiter
    assert isinstance(limiter, SendBudget)
    return limiter


async def test_many_messages_to_many_chats_stay_within_telegrams_limits(start_bot, limited, clock):
    bot = await start_bot(limited, limits=TelegramLimits())
    people = [bot.user() for _ in range(12)]
    start = clock.now().timestamp()
    times: list[tuple[int, float]] = []
    bot.api.listeners.append(lambda m: times.append((m.chat_id, clock.now().timestamp() - start)))
    for _ in range(5):
        for person in people:
            await person.send("/start")  # a welcome, and the first time the notifications offer
    assert bot.api.throttled == 0
    per_second = Counter(int(t) for _, t in times)
    assert max(per_second.values()) <= 30
    per_chat = Counter((chat, int(t)) for chat, t in times)
    assert max(per_chat.values()) <= 3  # Telegram's short burst per chat


async def test_a_reply_waits_for_no_announcement(start_bot, limited):
    """Bulk sends (announcements, reminders) take a slot only when no reply waits."""
    bot = await start_bot(limited, limits=TelegramLimits())
    budget = budget_of(bot)
    readers = [bot.user() for _ in range(60)]
    asker = bot.user()
    order: list[str] = []
    under_way = asyncio.Event()

    def sent(m) -> None:
        order.append("reply" if m.chat_id == asker.id else "bulk")
        if len(order) >= 20:
            under_way.set()

    bot.api.listeners.append(sent)

    async def announce() -> None:
        for reader in readers:
            await bot.app.bot.send_message(reader.id, "notizia", rate_limit_args=BULK)

    announcing = asyncio.create_task(announce())
    await under_way.wait()  # the announcement is under way, at its pace
    asked_at = len(order)  # a reply is asked for (as a handler's answer would be)
    await bot.app.bot.send_message(asker.id, "risposta")
    position = order.index("reply")
    await announcing
    assert position - asked_at <= 1  # at most the one bulk message already in flight
    assert order.count("bulk") == 60 and bot.api.throttled == 0
    assert budget.throttled == 0


async def test_a_reply_is_never_dropped_when_telegram_says_slow_down(start_bot, limited):
    """Telegram stricter than the budget expects (a 429 for every other message): each reply
    waits what Telegram asks and goes again; nobody is left without an answer."""
    bot = await start_bot(limited, limits=TelegramLimits(per_second=2, per_chat=0.5, chat_burst=1))
    people = [bot.user() for _ in range(15)]
    for person in people:
        replies = await person.send("/start")
        assert "Ciao" in replies.text
    assert bot.api.throttled > 0  # Telegram did say 429...
    assert budget_of(bot).throttled == bot.api.throttled  # ...and the budget heard each one
    assert {method for method, _ in bot.api.errors} <= {"sendMessage"}
    assert all(error.code == 429 for _, error in bot.api.errors)
    bot.api.errors.clear()  # expected here: each was waited out and sent again


def test_group_and_private_chats_have_their_own_pace(clock):
    budget = SendBudget(clock, Limits())
    assert budget._chat(42).interval == pytest.approx(1 / 0.9)  # about one a second to a person
    assert budget._chat(-100_123).interval == pytest.approx(60 / 16)  # 16 a minute to a group


async def test_a_busy_group_holds_no_place_in_everybodys_schedule(clock):
    """A group's messages wait on the group's pace (16 a minute), not in the bot's schedule:
    a private reply asked for meanwhile goes at once."""
    budget = SendBudget(clock, Limits())
    sent: list[tuple[int, float]] = []
    past_burst = asyncio.Event()

    async def send(chat_id: int) -> None:
        async def deliver() -> bool:
            sent.append((chat_id, clock.now().timestamp()))
            if len(sent) >= 4:
                past_burst.set()
            return True

        await budget.process_request(deliver, (), {}, "sendMessage", {"chat_id": chat_id}, None)

    async def group() -> None:
        for _ in range(6):
            await send(-100_123)

    busy = asyncio.create_task(group())
    await past_burst.wait()  # the group is past its burst, waiting on its own pace
    asked = clock.now().timestamp()
    await send(42)
    [(_, at)] = [(c, t) for c, t in sent if c == 42]
    assert at - asked < 0.1  # not after the group's later messages
    await busy


async def test_a_stopping_bot_gives_up_a_send_whose_turn_is_past_the_stop():
    """A send waiting for its slot (say, a 429's 25 s) is given up at once when the bot stops:
    it would hold the stop, and sending it anyway would only meet another 429."""

    class Stuck:
        def now(self):
            return datetime(2026, 11, 25, 9, 30, tzinfo=UTC)

        async def sleep(self, seconds: float) -> None:
            await asyncio.Event().wait()  # the time never comes

    budget = SendBudget(Stuck(), Limits())
    budget._hold(25, 42)
    calls: list[str] = []

    async def deliver() -> bool:
        calls.append("sent")
        return True

    waiting = asyncio.create_task(
        budget.process_request(deliver, (), {}, "sendMessage", {"chat_id": 42}, None)
    )
    await asyncio.sleep(0)
    assert calls == [] and not waiting.done()
    budget.close()
    with pytest.raises(NotSent):
        await asyncio.wait_for(waiting, 1)
    assert calls == [] and budget.given_up == 1


async def test_a_stop_keeps_the_pace_for_what_it_still_sends(clock):
    """A chat's replies queued one after another (as its updates are handled, in order) when
    the bot stops: those whose turn comes within the stop's limit go at the chat's pace (a
    burst would be refused by Telegram); the later ones are given up, none sent."""
    budget = SendBudget(clock, Limits())
    telegram = TelegramLimits()
    start = clock.now().timestamp()
    sent: list[float] = []
    refused: list[float] = []

    async def deliver() -> bool:
        now = clock.now().timestamp()
        (refused if telegram.take(42, now) else sent).append(now)
        if len(sent) == 2:
            budget.close()  # the bot stops now
        return True

    given_up = 0
    for _ in range(10):
        try:
            await budget.process_request(deliver, (), {}, "sendMessage", {"chat_id": 42}, None)
        except NotSent:
            given_up += 1
    assert refused == []
    assert len(sent) > 2 and all(t - start <= STOP_SENDS_S for t in sent)
    assert given_up == 10 - len(sent) == budget.given_up


async def test_a_conversation_at_a_persons_pace_never_waits_for_the_budget(
    start_bot, limited, clock
):
    """A newcomer chats at a person's pace (a message every second or two, each answered with
    one to three messages), and Telegram, enforcing its per-chat limit on arrival (a burst of 3,
    then 1 a second), would refuse none of it: no answer waits for the budget, none is refused.
    The question typed right after /start used to wait 0.93 s behind the welcome and the
    notifications offer."""
    bot = await start_bot(limited, limits=TelegramLimits())
    budget = budget_of(bot)
    anna = bot.user()
    sent: list[float] = []
    bot.api.listeners.append(lambda m: sent.append(clock.now().timestamp()))

    async def after(seconds: float, say) -> None:
        clock.advance(timedelta(seconds=seconds))
        before, asked = len(sent), clock.now().timestamp()
        await say()
        assert len(sent) > before and all(t == asked for t in sent[before:])

    await after(0, lambda: anna.send("/start"))  # the welcome and the notifications offer
    await after(0.3, lambda: anna.send("orari di spazio q"))  # typed at once
    await after(1.5, lambda: anna.send("c'è qualcosa per bambini?"))
    await after(2.0, lambda: anna.share_location(45.1853, 9.1550))  # the three nearest
    await after(1.5, lambda: anna.send("grazie"))
    await after(2.0, lambda: anna.send("/help"))
    assert budget.reply_waits == 0 and bot.api.throttled == 0 and budget.throttled == 0


async def test_a_burst_telegram_would_refuse_is_still_paced(start_bot, limited, clock):
    """Past Telegram's burst, the budget paces one chat's messages: they wait, none is refused."""
    bot = await start_bot(limited, limits=TelegramLimits())
    budget = budget_of(bot)
    anna = bot.user()
    await anna.send("/start")
    start = clock.now().timestamp()
    for _ in range(6):
        await bot.app.bot.send_message(anna.id, "ancora")
    assert budget.reply_waits > 0 and bot.api.throttled == 0
    assert clock.now().timestamp() - start >= 5  # about one a second after the burst


async def test_a_group_gets_at_most_twenty_a_minute_and_no_refusal(start_bot, limited, clock):
    """A busy group (members mentioning the bot one after another): its replies are paced to
    Telegram's 20 a minute, which the fake Telegram enforces on arrival; none is refused."""
    bot = await start_bot(limited, limits=TelegramLimits())
    group = bot.group()
    start = clock.now().timestamp()
    for _ in range(24):
        await bot.app.bot.send_message(group.id, "ciao a tutti")
    assert bot.api.throttled == 0
    assert len([m for m in group.messages.values() if m.from_bot]) == 24
    elapsed = clock.now().timestamp() - start
    assert elapsed >= 60  # past twenty, the next waits for the minute to turn
