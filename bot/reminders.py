"""Reminders on a schedule you can trust.

The database is the plan: one `reminders` row per (event, offset), kept in step with the events
and Scuola sessions by `replan` (at start and whenever they change). Scheduler jobs named
`reminder:<key>` fire at the exact times of the reminders due in the next `PLAN_AHEAD`; they are
rebuilt from the plan by `schedule` after every replan and every `REFRESH`, so a plan of
thousands of reminders costs a handful of jobs, and the safety tick sends anything due within a
minute whatever the jobs do. When a reminder is due, `tick` turns it into one
`deliveries` row per person in the same transaction that marks it done, then sends the pending
rows: each (event, offset, person) goes out at most once, and a restart resumes what was left.
A reminder that fell due while the bot was down goes out when it comes back only if the event
has not started; otherwise it is recorded as skipped (and of several that fell due together,
only the most recent goes out). Each delivery is marked in flight before its message goes out:
one that a crash interrupted is not sent again (at most once). When the bot is stopping, what is
left stays pending for the next start. Tests call `tick` after moving the clock.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import RetryAfter, TelegramError
from telegram.ext import Application, ExtBot

from bot import protocols
from bot.budget import BULK, NotSent, retry_seconds
from bot.context import BotData, Ctx
from bot.refusals import blocked_by_user
from domain.dates import say_span
from domain.events import Occurrence, reminder_time, timeline

log = logging.getLogger(__name__)

JOB_PREFIX = "reminder:"
SAFETY_TICK_S = 60
PLAN_AHEAD = timedelta(days=2)
REFRESH = PLAN_AHEAD / 2  # shorter than PLAN_AHEAD: every reminder has its job before it is due


async def occurrences(data: BotData) -> dict[str, Occurrence]:
    found = timeline(
        await data.repo.events.all(),
        await data.repo.editions.all(),
        data.labs.current,
        data.texts.plain("it", "scuola.ics_name"),
    )
    return {o.ref: o for o in found}


async def replan(data: BotData, app: Application | None = None) -> list[str]:
    tz = data.config.scheduler.tz
    plan = {
        f"{o.ref}|{offset}": (o.ref, offset, reminder_time(o.starts_at, offset, tz))
        for o in (await occurrences(data)).values()
        for offset in data.config.reminders.offsets
    }
    moved = await data.repo.reminders.sync(plan)
    if app is not None:
        await schedule(data, app)
    return moved


async def schedule(data: BotData, app: Application) -> int:
    """One exact-time job per reminder due in the next PLAN_AHEAD. Returns how many reminders
    are pending up to then, overdue ones included (the safety tick sends those)."""
    if app.job_queue is None:
        return 0
    for job in app.job_queue.jobs():
        if job.name and job.name.startswith(JOB_PREFIX):
            job.schedule_removal()
    now = data.clock.now()
    soon = await data.repo.reminders.pending(until=now + PLAN_AHEAD)
    for reminder in soon:
        if reminder.due_at > now:
            app.job_queue.run_once(_job, reminder.due_at, name=f"{JOB_PREFIX}{reminder.key}")
    return len(soon)


async def recipients(data: BotData, o: Occurrence) -> list[int]:
    repo = data.repo
    people: set[int] = set()
    scopes = [f"event:{o.ref}"]
    if o.kind == "scuola":
        people |= {
            s.user_id
            for s in await repo.signups.of_edition(o.edition_id)
            if s.status == "confirmed"
        }
        scopes.append("topic:scuola")
    else:
        event_id = o.ref.removeprefix("e.")
        people |= {a.user_id for a in await repo.attendances.of_event(event_id)}
        if o.kind == "assemblea":
            people |= set(await repo.subscriptions.subscribers("assemblea"))
            scopes.append("topic:assemblea")
    people -= await repo.optouts.users(scopes)
    return sorted(people - await repo.users.blocked_among(people))


async def tick(data: BotData, bot: ExtBot[str]) -> int:
    """Turn due reminders into deliveries and send what is pending; returns messages sent."""
    now = data.clock.now()
    known = await occurrences(data)
    due = await data.repo.reminders.due(now)  # oldest first
    latest = {r.ref: r.key for r in due}
    for reminder in due:
        o = known.get(reminder.ref)
        if latest[reminder.ref] != reminder.key:
            # Several reminders of one event fell due together (the bot was down): only the
            # most recent is worth sending.
            await data.repo.reminders.mark(reminder.key, "skipped")
        elif o is None:
            await data.repo.reminders.mark(reminder.key, "cancelled")
        elif o.starts_at <= now:
            await data.repo.reminders.mark(reminder.key, "skipped")
            log.info("reminder %s skipped: the event had already started", reminder.key)
        else:
            people = await recipients(data, o)
            await data.repo.reminders.fire(reminder.key, f"{JOB_PREFIX}{reminder.key}", people, now)
    sent = 0
    for job in await data.repo.deliveries.jobs_pending():
        if not job.startswith(JOB_PREFIX):
            continue
        ref = job.removeprefix(JOB_PREFIX).split("|")[0]
        o = known.get(ref)
        for delivery in await data.repo.deliveries.pending(job):
            if data.closing:  # the rest stays pending: the next start sends it
                return sent
            if o is None or o.starts_at <= data.clock.now():
                await data.repo.deliveries.mark(delivery.id, "failed", data.clock.now())
                continue
            sent += await _send(data, bot, delivery.id, delivery.user_id, o)
    return sent


async def _send(
    data: BotData, bot: ExtBot[str], delivery_id: int, user_id: int, o: Occurrence
) -> int:
    lang = data.people.language(user_id)
    texts, tz = data.texts, data.config.scheduler.tz
    when = say_span(o.starts_at, o.ends_at, tz, lang)
    lines = [
        texts.text(lang, "reminder.title", title=o.title),
        "📅 " + texts.text(lang, "events.when", when=when),
    ]
    if o.place:
        lines.append("📍 " + texts.text(lang, "events.where", where=o.place))
    if o.online_url:
        lines.append("💻 " + texts.text(lang, "events.online", url=o.online_url))
    lines.append(texts.text(lang, "reminder.calendar"))

    def button(key: str, action: str) -> InlineKeyboardButton:
        return InlineKeyboardButton(
            texts.plain(lang, key), callback_data=protocols.EVENT.data(action, o.ref)
        )

    rows = [[button("events.calendar", "ics")]]
    if o.located:
        rows[0].append(button("labs.map", "map"))
    rows.append([button("reminder.stop", "stop")])
    # At most once: marked in flight before it goes out. After a crash in between, the next
    # start marks it failed instead of sending it again (Telegram cannot say if it arrived).
    if not await data.repo.deliveries.claim(delivery_id, data.clock.now()):
        return 0
    bulk = BULK if bot.rate_limiter else None  # replies go first
    for _attempt in range(3):
        try:
            await bot.send_message(
                user_id,
                "\n".join(lines),
                reply_markup=InlineKeyboardMarkup(rows),
                rate_limit_args=bulk,
            )
        except NotSent:  # the bot stopped before its turn: it goes after the restart
            await data.repo.deliveries.release(delivery_id, data.clock.now())
            return 0
        except RetryAfter as exc:  # Telegram asks to slow down: wait, then the same message
            await data.clock.sleep(retry_seconds(exc))
            continue
        except TelegramError as exc:
            if blocked_by_user(exc):
                await data.repo.deliveries.mark(delivery_id, "blocked", data.clock.now())
                await data.people.set_blocked(user_id, True, data.clock.now())
                return 0
            log.warning("reminder not delivered: %s", exc)
            await data.repo.deliveries.mark(delivery_id, "failed", data.clock.now())
            return 0
        await data.repo.deliveries.mark(delivery_id, "sent", data.clock.now())
        return 1
    await data.repo.deliveries.mark(delivery_id, "failed", data.clock.now())
    return 0


async def _job(context: Ctx) -> None:
    await tick(context.bot_data, context.bot)


async def _refresh(context: Ctx) -> None:
    await schedule(context.bot_data, context.application)


def install(app: Application) -> None:
    """Wired by the composition root once every feature is registered: its startup hook runs
    after theirs (the plan is made from the events and sessions they load)."""
    data: BotData = app.bot_data

    async def startup(data: BotData) -> None:
        await replan(data, app)
        if app.job_queue is not None:
            app.job_queue.run_repeating(
                _job, interval=SAFETY_TICK_S, first=1, name="reminders:tick"
            )
            app.job_queue.run_repeating(
                _refresh, interval=REFRESH, first=REFRESH, name="reminders:schedule"
            )

    data.startup.append(startup)
