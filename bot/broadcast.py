"""The broadcast engine: one message to many people (staff announcements, notices that an event
changed). A service, built by the composition root; `/annuncio` and the event editor queue work
for it, and the `ann:` buttons (stop, opt out) are answered by `handlers.announce`.

Each (announcement, person) is a row of `deliveries`, queued in the transaction that starts the
announcement. One background task sends the pending rows, at most `[broadcast]`'s messages a
second in total with a gap between two messages to one chat, through the shared send budget
(`bot.budget`), which sets the pace when it is on: replies to people chatting first, the rest of
its ~28 a second for announcements. A 429 pauses that task only, never the replies. A row is
marked in flight before its message goes out and sent right after, so a restart resumes where it
stopped: nobody is skipped, and at most the one message in flight at a crash is sent again
(Telegram cannot tell whether it arrived). People who blocked the bot (403) are recorded and left
out of later sends; a chat Telegram does not know or a deleted account is a failed delivery, not
a block (`bot.refusals`).

The sender gets a status message, edited as the sending goes on, with a stop button, and a final
report. Tests and the benchmark drive time through the injectable clock (`Clock.sleep`).
"""

from __future__ import annotations

import asyncio
import html
import json
import logging
from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.ext import CallbackContext, ExtBot, JobQueue

from bot import protocols
from bot.budget import BULK, NotSent, SendBudget, retry_seconds
from bot.clock import Clock
from bot.config import BroadcastConfig, Config
from bot.directory import LabsState
from bot.i18n import Catalog, number
from bot.people import People
from bot.refusals import blocked_by_user
from domain.dates import say_span
from domain.directory import slug
from storage import Repos
from storage.announcements import Announcement


class Sources(Protocol):
    """What the engine reads of the application's data, and nothing else (`BotData` is one):
    the engine needs no knowledge of the context it is part of."""

    config: Config
    texts: Catalog
    clock: Clock
    repo: Repos
    people: People
    labs: LabsState
    closing: bool
    last_error: str | None


log = logging.getLogger(__name__)

JOB = "broadcast:tick"
TICK_S = 30
STATUS_EVERY_S = 3.0
BATCH = 100
MAX_TRIES = 5
CLOSE_GRACE_S = 2.0


def _seconds(moment: datetime) -> float:
    return moment.timestamp()


class Pacer:
    """At most `per_second` messages in any one second in total, evenly spaced, and
    `per_chat` seconds apart in one chat."""

    def __init__(self, settings: BroadcastConfig, clock: Clock):
        self._settings = settings
        self._clock = clock
        self._next = 0.0
        self._last: dict[int, float] = {}
        self._window: deque[float] = deque(maxlen=settings.messages_per_second)

    async def wait(self, chat_id: int) -> None:
        clock, settings = self._clock, self._settings
        at = max(self._next, self._last.get(chat_id, float("-inf")) + settings.seconds_per_chat)
        if len(self._window) == self._window.maxlen:  # a hard cap over any one-second window
            at = max(at, self._window[0] + 1.0)
        now = _seconds(clock.now())
        if at > now:
            await clock.sleep(at - now)
            now = _seconds(clock.now())
        # Keep the cadence (a sleep that overran does not slow the next one down) unless the
        # sending fell behind by a whole interval: then count from now. Rounded to the
        # microsecond, the clocks' resolution, so no float drift creeps in.
        interval = 1 / settings.messages_per_second
        self._next = round((at if at > now - interval else now) + interval, 6)
        self._window.append(now)
        self._last[chat_id] = now
        if len(self._last) > 10_000:  # only recent chats matter
            horizon = now - settings.seconds_per_chat
            self._last = {c: t for c, t in self._last.items() if t > horizon}

    def hold(self, seconds: float) -> None:
        """Telegram said to slow down: nothing goes out for `seconds`."""
        self._next = max(self._next, _seconds(self._clock.now()) + seconds)


@dataclass
class Progress:
    total: int = 0
    sent: int = 0
    unreachable: int = 0
    stopped: int = 0

    @classmethod
    def of(cls, counts: dict[str, int]) -> Progress:
        return cls(
            total=sum(counts.values()),
            sent=counts.get("sent", 0),
            unreachable=counts.get("blocked", 0) + counts.get("failed", 0),
            stopped=counts.get("stopped", 0),
        )

    @property
    def left(self) -> int:
        return self.total - self.sent - self.unreachable - self.stopped


class Broadcaster:
    """The one task that sends announcements. `kick()` after queueing; `idle()` to wait."""

    def __init__(self, data: Sources, bot: ExtBot[Any], job_queue: JobQueue[Any] | None):
        self.data = data
        self.bot = bot
        self.job_queue = job_queue
        self.pacer = Pacer(self.data.config.broadcast, self.data.clock)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._status_at: dict[int, float] = {}
        self._where: dict[int, tuple[int | None, int | None]] = {}  # status message per id

    @property
    def pace(self) -> float:
        """Messages a second an announcement goes at when nobody chats: `[broadcast]`'s, or the
        shared send budget's when that is slower (it is what sets the pace then)."""
        pace = float(self.data.config.broadcast.messages_per_second)
        limiter = self.bot.rate_limiter
        if isinstance(limiter, SendBudget):
            pace = min(pace, limiter.limits.per_second)
        return pace

    async def start(self) -> None:
        """Once the bot can send: resume what a restart interrupted, then look for due
        announcements every TICK_S."""
        requeued, given_up = await self.data.repo.deliveries.settle_in_flight(self.data.clock.now())
        if requeued or given_up:
            log.info(
                "after a crash: %d announcement message(s) sent again, %d reminder(s) not "
                "(at most once)", requeued, given_up,
            )  # fmt: skip
        self.kick()
        if self.job_queue is not None:
            self.job_queue.run_repeating(self._tick, interval=TICK_S, first=TICK_S, name=JOB)

    def wake_at(self, moment: datetime, name: str) -> None:
        """A scheduled announcement: look for due work at `moment` (the tick would find it too,
        up to TICK_S later)."""
        if self.job_queue is not None:
            self.job_queue.run_once(self._tick, moment, name=name)

    async def _tick(self, _context: CallbackContext) -> None:
        self.kick()

    def kick(self) -> None:
        if self.data.closing:
            return  # what is queued stays queued: the next start resumes it
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="broadcast")

    async def idle(self) -> None:
        while self._task is not None and not self._task.done():
            await asyncio.wait([self._task])

    async def close(self) -> None:
        """Stop between two messages (`BotData.closing` is set): what is left stays pending
        for the next start. A task still waiting after CLOSE_GRACE_S (Telegram asked it to wait
        out a 429, say) is cancelled; at most the one message in flight is then sent again
        after the restart, as after a crash."""
        if self._task is None or self._task.done():
            return
        self._wake.set()
        done, _ = await asyncio.wait([self._task], timeout=CLOSE_GRACE_S)
        if not done:
            self._task.cancel()
            await asyncio.wait([self._task])

    async def _run(self) -> None:
        repo = self.data.repo
        while True:
            self._wake.clear()
            try:
                await self.start_due()
                active = await repo.announcements.with_status("sending")
                for announcement in active:
                    if self.data.closing:
                        return
                    await self._send_all(announcement)
            except asyncio.CancelledError:
                raise
            except Exception:
                # The rows say what is left; the next tick (or restart) goes on from there.
                log.exception("broadcast interrupted")
                self.data.last_error = "broadcast interrupted"
                return
            if self.data.closing or (not active and not self._wake.is_set()):
                return

    async def start_due(self) -> None:
        """Scheduled announcements whose time has come: their audience is counted now."""
        repo, now = self.data.repo, self.data.clock.now()
        for announcement in await repo.announcements.due(now):
            people = await audience(self.data, announcement.audience)
            if await repo.announcements.start(announcement.id, people, now):
                log.info("announcement %d started: %d recipients", announcement.id, len(people))

    async def _send_all(self, announcement: Announcement) -> None:
        repo, clock = self.data.repo, self.data.clock
        await self._status(announcement, force=True)
        while batch := await repo.deliveries.pending(announcement.job, BATCH):
            for delivery in batch:
                await self.pacer.wait(delivery.user_id)
                if self.data.closing:
                    log.info("announcement %d paused: the bot is stopping", announcement.id)
                    return
                if not await repo.deliveries.claim(delivery.id, clock.now()):
                    continue  # stopped meanwhile
                try:
                    outcome = await self._deliver(announcement, delivery.user_id)
                except NotSent:  # the bot stopped before its turn: it goes after the restart
                    await repo.deliveries.release(delivery.id, clock.now())
                    log.info("announcement %d paused: the bot is stopping", announcement.id)
                    return
                await repo.deliveries.mark(delivery.id, outcome, clock.now())
                await self._status(announcement)
        await repo.announcements.finish(announcement.id, clock.now())
        final = await repo.announcements.get(announcement.id)
        assert final is not None
        progress = Progress.of(await repo.deliveries.counts(final.job))
        log.info(
            "announcement %d %s: %d sent, %d unreachable, %d not sent",
            final.id, final.status, progress.sent, progress.unreachable, progress.stopped,
        )  # fmt: skip
        await self._status(final, force=True)

    async def _deliver(self, announcement: Announcement, user_id: int) -> str:
        clock, people = self.data.clock, self.data.people
        lang = people.language(user_id)
        text, markup = render(self.data, announcement, lang)
        bulk = BULK if self.bot.rate_limiter else None  # replies go first
        for attempt in range(MAX_TRIES):
            try:
                if announcement.kind == "photo":
                    await self.bot.send_photo(
                        user_id,
                        announcement.photo,
                        caption=text,
                        reply_markup=markup,
                        rate_limit_args=bulk,
                    )
                else:
                    await self.bot.send_message(
                        user_id, text, reply_markup=markup, rate_limit_args=bulk
                    )
                return "sent"
            except NotSent:
                raise
            except RetryAfter as exc:
                wait = retry_seconds(exc)
                log.info("Telegram asked to slow down for %.1f s", wait)
                self.pacer.hold(wait)
                await self.pacer.wait(user_id)
            except (Forbidden, BadRequest) as exc:  # trying again will not help
                if blocked_by_user(exc):
                    await people.set_blocked(user_id, True, clock.now())
                    return "blocked"
                log.warning("announcement %d not delivered: %s", announcement.id, exc)
                return "failed"
            except NetworkError as exc:  # includes time-outs: wait a little, then again
                log.warning("announcement %d: network problem (%s), retrying", announcement.id, exc)
                await clock.sleep(2**attempt)
            except TelegramError as exc:
                log.warning("announcement %d not delivered: %s", announcement.id, exc)
                return "failed"
        return "failed"

    async def _status(self, announcement: Announcement, *, force: bool = False) -> None:
        """The sender's status message: sent at the start, edited every few seconds."""
        now = _seconds(self.data.clock.now())
        if not force and now - self._status_at.get(announcement.id, 0.0) < STATUS_EVERY_S:
            return
        self._status_at[announcement.id] = now
        repo = self.data.repo
        progress = Progress.of(await repo.deliveries.counts(announcement.job))
        text, markup = status_view(self.data, announcement, progress, self.pace)
        bot = self.bot
        chat_id, message_id = self._where.get(
            announcement.id, (announcement.status_chat, announcement.status_message)
        )
        if (chat_id is None or message_id is None) and announcement.author_id == 0:
            return  # its author was erased: nobody to report to
        try:
            if chat_id is None or message_id is None:
                message = await bot.send_message(announcement.author_id, text, reply_markup=markup)
                self._where[announcement.id] = (message.chat_id, message.message_id)
                await repo.announcements.set_status_message(
                    announcement.id, message.chat_id, message.message_id
                )
            else:
                await bot.edit_message_text(
                    text, chat_id=chat_id, message_id=message_id, reply_markup=markup
                )
        except BadRequest as exc:
            if "not modified" not in str(exc):
                log.warning("status of announcement %d not updated: %s", announcement.id, exc)
        except TelegramError as exc:  # the report must never stop the sending
            log.warning("status of announcement %d not updated: %s", announcement.id, exc)


def status_view(
    data: Sources, announcement: Announcement, progress: Progress, pace: float
) -> tuple[str, InlineKeyboardMarkup | None]:
    lang, texts = announcement.lang, data.texts
    values = {
        "id": announcement.id,
        "sent": number(progress.sent, lang),
        "total": number(progress.total, lang),
        "unreachable": number(progress.unreachable, lang),
        "stopped": number(progress.stopped, lang),
    }
    if announcement.status == "sending":
        seconds = progress.left / pace
        eta = (
            texts.plain(lang, "broadcast.eta_minutes", count=round(seconds / 60))
            if seconds >= 90
            else texts.plain(lang, "broadcast.eta_soon")
        )
        stop = InlineKeyboardButton(
            texts.plain(lang, "broadcast.stop"),
            callback_data=protocols.SENDING.data("stop", announcement.id),
        )
        text = texts.text(lang, "broadcast.progress", eta=eta, **values)
        return text, InlineKeyboardMarkup([[stop]])
    key = "broadcast.stopped" if announcement.status == "stopped" else "broadcast.done"
    return texts.text(lang, key, **values), None


def render(
    data: Sources, announcement: Announcement, lang: str
) -> tuple[str, InlineKeyboardMarkup]:
    """The message as one recipient sees it (the preview uses this too)."""
    texts = data.texts
    rows: list[list[InlineKeyboardButton]] = []
    if announcement.kind == "notice":
        notice = json.loads(announcement.body)
        text = notice_text(data, notice, lang)
        stop = protocols.EVENT.data("stop", notice["ref"])
        if notice["change"] == "published":  # a new event: its calendar file and "Ci sarò"

            def button(key: str, action: str) -> InlineKeyboardButton:
                return InlineKeyboardButton(
                    texts.plain(lang, key),
                    callback_data=protocols.EVENT.data(action, notice["ref"]),
                )

            rows.append([button("events.calendar", "ics"), button("events.coming", "join")])
    elif announcement.audience.startswith("lab:"):  # a lab's news: named, and left on its own
        lab_id = announcement.audience.removeprefix("lab:")
        lab = data.labs.current.any_lab(lab_id)
        name = lab.name if lab is not None else lab_id
        text = texts.text(lang, "broadcast.header_lab", name=name) + "\n\n" + announcement.body
        stop = protocols.SENDING.data("optout", "lab", lab_id)
    else:
        text = texts.text(lang, "broadcast.header") + "\n\n" + announcement.body
        stop = protocols.SENDING.data("optout")
    rows.append([InlineKeyboardButton(texts.plain(lang, "reminder.stop"), callback_data=stop)])
    return text, InlineKeyboardMarkup(rows)


def notice_text(data: Sources, notice: dict, lang: str) -> str:
    """What changed in an event, in the recipient's language."""
    texts, tz = data.texts, data.config.scheduler.tz

    def span(prefix: str) -> str:
        start = datetime.fromisoformat(notice[f"{prefix}_start"])
        end = datetime.fromisoformat(notice[f"{prefix}_end"])
        return say_span(start, end, tz, lang)

    if notice["change"] == "cancelled":
        return texts.text(lang, "notice.cancelled", title=notice["title"], when=span("old"))
    if notice["change"] == "published":
        lines = [
            texts.text(lang, "notice.published", title=notice["title"]),
            "📅 " + texts.text(lang, "events.when", when=span("new")),
        ]
        if notice.get("new_place"):
            lines.append("📍 " + texts.text(lang, "events.where", where=notice["new_place"]))
        if notice.get("description"):  # what it is, as the card says it (escaped: typed text)
            lines.append("\n" + html.escape(notice["description"]))
        return "\n".join(lines)
    lines = [texts.text(lang, "notice.changed", title=notice["title"])]
    if notice.get("old_start") != notice.get("new_start") or notice.get("old_end") != notice.get(
        "new_end"
    ):
        lines.append(texts.text(lang, "notice.when", old=span("old"), new=span("new")))
    if notice.get("old_place") != notice.get("new_place"):
        lines.append(
            texts.text(
                lang, "notice.where", old=notice.get("old_place") or "–",
                new=notice.get("new_place") or "–",
            )
        )  # fmt: skip
    lines.append(texts.text(lang, "notice.more"))
    return "\n".join(lines)


# --- who receives an announcement ----------------------------------------------------------------


async def audience(data: Sources, name: str) -> list[int]:
    """The people an audience names today: only people who asked for something (a topic, a lab
    they follow, an edition they signed up to), never someone who did not: "se non scegli
    nulla, non ti scriverò per primo". Those who opted out of announcements and those who
    blocked the bot are left out. Names: all (everyone who asked for any news), topic:<t>,
    lab:<id>, area:<slug>, edition:<id> (its sign-ups, for news of that edition)."""
    repo = data.repo
    kind, _, arg = name.partition(":")
    people: set[int]
    if kind == "all":
        people = set(await repo.subscriptions.anyone())
    elif kind == "topic":
        people = set(await repo.subscriptions.subscribers(arg))
    elif kind == "lab":
        people = set(await repo.subscriptions.subscribers(f"lab:{arg}"))
    elif kind == "area":
        people = set()
        for lab in data.labs.current.visible:
            if area_key(lab.area) == arg:
                people |= set(await repo.subscriptions.subscribers(f"lab:{lab.id}"))
    elif kind == "edition":
        people = {
            s.user_id
            for s in await repo.signups.of_edition(arg)
            if s.status in ("confirmed", "waiting")
        }
    else:
        return []
    people -= await repo.optouts.users(["topic:annunci"])
    return sorted(people - await repo.users.blocked_among(people))


def area_key(area: str) -> str:
    return slug(area)[:40]
