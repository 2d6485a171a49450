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
_CLOCK = r"\d{1,2}(?:[:.]\d{2})?"
_MOMENT = re.compile(
    rf"^\s*(?P<day>.*?)\s*(?:,\s*)?(?:\b(?:ore|alle|dalle|at|from)\s+)?(?P<start>{_CLOCK})"
    rf"(?:\s*(?:-|–|\balle\b|\ba\b|\bto\b|\buntil\b)\s*(?P<end>{_CLOCK}))?\s*$",
    re.IGNORECASE,
)
_DAY_MONTH = re.compile(r"^\s*(\d{1,2})[/.\-](\d{1,2})\s*$")
_RELATIVE = {"oggi": 0, "stasera": 0, "today": 0, "tonight": 0, "domani": 1, "tomorrow": 1,
             "dopodomani": 2}  # fmt: skip
_WEEKDAY_WORDS = {
    **{name: n for n, name in enumerate(
        ["lunedi", "martedi", "mercoledi", "giovedi", "venerdi", "sabato", "domenica"])},
    **{name: n for n, name in enumerate(
        ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"])},
}  # fmt: skip

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


_MONTH_WORDS = {
    **{m.lower(): n for n, m in enumerate(MONTHS["it"], start=1)},
    **{m.lower(): n for n, m in enumerate(MONTHS["en"], start=1)},
}
_DAY_NAMED_MONTH = re.compile(r"^(\d{1,2})\s+([a-z]+)(?:\s+(\d{4}))?$")


class DateProblem(ValueError):
    """`code` names the problem for the texts: format, no_such_date, no_such_time, twice,
    past, end_before_start, no_end, after_last_session, weekday."""

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


def _plain(text: str) -> str:
    """Lower case, accents off ("lunedì" -> "lunedi"), "il"/"the"/"next" dropped."""
    text = text.lower().translate(str.maketrans("àèéìòù", "aeeiou")).strip(" ,")
    return re.sub(r"^(?:il|la|next|this|on|the|prossimo|prossima)\s+", "", text)


def parse_day(text: str, today: date) -> date:
    """A day as people write it: 12/03/2027, 12/03 (the next one), oggi, domani, dopodomani,
    sabato (the next Saturday, today included), and the same in English."""
    words = _plain(text)
    # "sabato 19 dicembre", "19 dicembre 2027", "19 December": the month in words.
    weekday = None
    if lead := re.match(rf"^({'|'.join(_WEEKDAY_WORDS)})\s+(?=\d)", words):
        weekday, words = _WEEKDAY_WORDS[lead.group(1)], words[lead.end() :]
    if named := _DAY_NAMED_MONTH.match(words):
        day, month_word, year = named.groups()
        if month_word in _MONTH_WORDS:
            words = f"{day}/{_MONTH_WORDS[month_word]}" + (f"/{year}" if year else "")
    if weekday is not None:  # "sabato 19/12" on a Sunday: one of the two is wrong
        found = parse_day(words, today)
        if found.weekday() != weekday:
            raise DateProblem("weekday")
        return found
    if words in _RELATIVE:
        return today + timedelta(days=_RELATIVE[words])
    if words in _WEEKDAY_WORDS:
        return today + timedelta(days=(_WEEKDAY_WORDS[words] - today.weekday()) % 7)
    match = _DAY_MONTH.match(words)
    if match:
        day, month = int(match.group(1)), int(match.group(2))
        for year in (today.year, today.year + 1):
            try:
                found = date(year, month, day)
            except ValueError:
                continue
            if found >= today:
                return found
        raise DateProblem("no_such_date")
    return parse_date(words)


def _parts(text: str, tz: ZoneInfo, now: datetime) -> tuple[date, str, str | None]:
    match = _MOMENT.match(text)
    if not match:
        raise DateProblem("format")
    today = now.astimezone(tz).date()
    day_text = match.group("day")
    day = parse_day(day_text, today) if day_text.strip(" ,") else today
    return day, match.group("start"), match.group("end")


def parse_moment(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """One moment, as people write it: "12/03/2027 18:00", "domani alle 18", "sabato 10:30",
    or only "18:00" (today, or tomorrow when that time has passed); in the future."""
    day, start, end = _parts(text, tz, now)
    if end is not None:
        raise DateProblem("format")
    moment = local(day, parse_time(start), tz)
    if moment <= now and not _MOMENT.match(text).group("day").strip(" ,"):  # type: ignore[union-attr]
        moment = local(day + timedelta(days=1), parse_time(start), tz)
    if moment <= now:
        raise DateProblem("past")
    return moment


def parse_span(text: str, tz: ZoneInfo, now: datetime) -> tuple[datetime, datetime]:
    """ "12/03/2027 17:30-19:30", "domani 18-20", "sabato dalle 10 alle 12:30" -> (start, end),
    aware; in the future, end after start. A start without an end says just that."""
    day, start_text, end_text = _parts(text, tz, now)
    if end_text is None:
        raise DateProblem("no_end")
    start = local(day, parse_time(start_text), tz)
    end = local(day, parse_time(end_text), tz)
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


def say_day(day: date, lang: str) -> str:
    """ "giovedì 12 marzo" / "Thursday 12 March": a day of the coming weeks."""
    return f"{WEEKDAYS[lang][day.weekday()]} {day.day} {MONTHS[lang][day.month - 1]}"


def say_date(moment: datetime, tz: ZoneInfo, lang: str) -> str:
    """ "giovedì 12 marzo 2027" / "Thursday 12 March 2027"."""
    here = moment.astimezone(tz)
    return f"{say_day(here.date(), lang)} {here.year}"


def say_time(moment: datetime, tz: ZoneInfo) -> str:
    return moment.astimezone(tz).strftime("%H:%M")


def say_span(start: datetime, end: datetime, tz: ZoneInfo, lang: str) -> str:
    joiner = "–"
    return f"{say_date(start, tz, lang)}, {say_time(start, tz)}{joiner}{say_time(end, tz)}"
