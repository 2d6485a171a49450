"""Dates and times as people type them, in Europe/Rome, honest about daylight saving.

"31/02/2027" does not exist; "29/03/2026 02:30" does not exist either (the clocks jump from 02:00
to 03:00); "25/10/2026 02:30" happens twice (the clocks go back). Each is refused with a reason
instead of being silently moved.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

_DATE = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{2}|\d{4})\s*$")
_TIME = re.compile(r"^\s*(\d{1,2})(?:[:.](\d{2}))?\s*$")
_SPAN = re.compile(
    r"^\s*(\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4})\s+(?:ore\s+|dalle\s+)?"
    r"(\d{1,2}(?:[:.]\d{2})?)\s*(?:-|–|alle|a)\s*(\d{1,2}(?:[:.]\d{2})?)\s*$",
    re.IGNORECASE,
)

WEEKDAYS = {
    "it": ["lunedì", "martedì", "mercoledì", "giovedì", "venerdì", "sabato", "domenica"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
MONTHS = {
    "it": ["gennaio", "febbraio", "marzo", "aprile", "maggio", "giugno", "luglio", "agosto",
           "settembre", "ottobre", "novembre", "dicembre"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"],
}  # fmt: skip


class DateProblem(ValueError):
    """`code` names the problem for the texts: format, no_such_date, no_such_time, twice,
    past, end_before_start, after_last_session."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def parse_date(text: str) -> date:
    match = _DATE.match(text)
    if not match:
        raise DateProblem("format")
    day, month, year = (int(g) for g in match.groups())
    if year < 100:
        year += 2000
    try:
        return date(year, month, day)
    except ValueError:
        raise DateProblem("no_such_date") from None


def parse_time(text: str) -> time:
    match = _TIME.match(text)
    if not match:
        raise DateProblem("format")
    hour, minute = int(match.group(1)), int(match.group(2) or 0)
    if hour > 23 or minute > 59:
        raise DateProblem("format")
    return time(hour, minute)


def local(day: date, at: time, tz: ZoneInfo) -> datetime:
    """The moment `day` at `at` in `tz`, refusing times that do not exist or happen twice."""
    naive = datetime.combine(day, at)
    first = naive.replace(tzinfo=tz, fold=0)
    second = naive.replace(tzinfo=tz, fold=1)
    if first.utcoffset() != second.utcoffset():
        # In the gap (spring forward) both folds map to times that do not round-trip.
        round_trip = first.astimezone(UTC).astimezone(tz).replace(tzinfo=None)
        if round_trip != naive:
            raise DateProblem("no_such_time")
        raise DateProblem("twice")
    return first


def parse_span(text: str, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """ "12/03/2027 17:30-19:30" -> (start, end), aware; in the future, end after start."""
    match = _SPAN.match(text)
    if not match:
        raise DateProblem("format")
    day = parse_date(match.group(1))
    start = local(day, parse_time(match.group(2)), tz)
    end = local(day, parse_time(match.group(3)), tz)
    if end <= start:
        raise DateProblem("end_before_start")
    if start <= now:
        raise DateProblem("past")
    return start, end


def parse_deadline(
    text: str, tz: ZoneInfo, now: datetime, last_session: datetime | None = None
) -> datetime:
    """A day typed as a deadline means the end of that day, local time. With `last_session`
    (the start of the last session of what one signs up to), the day may be that session's day
    at the latest: sign-ups close when it ends anyway, and a later deadline would be shown to
    people as a promise the bot does not keep."""
    day = parse_date(text)
    end = datetime.combine(day + timedelta(days=1), time(0, 0)).replace(tzinfo=tz)
    if end <= now:
        raise DateProblem("past")
    if last_session is not None and day > last_session.astimezone(tz).date():
        raise DateProblem("after_last_session")
    return end


def say_date(moment: datetime, tz: ZoneInfo, lang: str) -> str:
    """ "giovedì 12 marzo 2027" / "Thursday 12 March 2027"."""
    here = moment.astimezone(tz)
    weekday = WEEKDAYS[lang][here.weekday()]
    month = MONTHS[lang][here.month - 1]
    return f"{weekday} {here.day} {month} {here.year}"


def say_time(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def say_span(start: datetime, end: datetime, tz: ZoneInfo, lang: str) -> str:
    joiner = "–"
    return f"{say_date(start, tz, lang)}, {say_time(start, tz)}{joiner}{say_time(end, tz)}"
