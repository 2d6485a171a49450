"""Opening hours as structure: for each weekday one or more time ranges, plus closures ("chiuso
dal 5 al 25 agosto"). From them: is a lab open now, its hours on a day, its next opening, and the
week in a compact line for its card.

Everything is in local wall-clock time (Europe/Rome): "9-12" is nine to twelve on the clock on
the wall, on the day of the change to or from daylight saving time as on any other. A moment is
turned into local time once (`astimezone`), and the next opening back into an aware datetime
with `zoneinfo`, so the hour that is skipped or repeated in spring and autumn cannot shift it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

from domain.dates import DateProblem, check_window, parse_day

Range = tuple[time, time]
DAYS_AHEAD = 60  # the next opening is looked for this far: past that, "no opening known"
MAX_SPAN_WITHOUT_YEAR = timedelta(days=183)
_YEAR = re.compile(r"\b\d{4}\b|\d{1,2}[/.\-]\d{1,2}[/.\-]\d{2,4}")  # a year typed
MAX_RANGES = 4
_CLOCK = r"(\d{1,2})(?:[:.](\d{2}))?"
_RANGE = re.compile(rf"^\s*{_CLOCK}\s*(?:-|–|alle|a|to)\s*{_CLOCK}\s*$", re.IGNORECASE)
_CLOSED = {"chiuso", "chiusa", "closed", "no", "-", "nessuno"}
_UNKNOWN = {"non indicato", "non so", "non lo so", "?", "boh", "da definire", "unknown",
            "not given", "not known", "don't know"}  # fmt: skip
SHORT_DAYS = {
    "it": ["lun", "mar", "mer", "gio", "ven", "sab", "dom"],
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
}
_SPAN = re.compile(
    r"^\s*(?:chiuso\s+|closed\s+)?(?:dal|dall|from)\s+(?P<start>.+?)\s+(?:al|all|to|until)\s+"
    r"(?P<end>.+?)\s*$",
    re.IGNORECASE,
)
_DAY_IN_WORDS = re.compile(r"^\s*(\d{1,2})\s+([a-zà-ù]+)(?:\s+(\d{4}))?\s*$", re.IGNORECASE)


class HoursProblem(ValueError):
    """`code`: format (not a time range), order (ends before it starts), overlap, too_many."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Closure:
    """Days that do not follow the week: closed ("dal 5 al 25 agosto"), or open with their own
    hours when `ranges` is not empty ("24/12 9-12": Christmas Eve, mornings only)."""

    start: date
    end: date  # inclusive
    ranges: tuple[Range, ...] = ()

    @property
    def closed(self) -> bool:
        return not self.ranges

    def covers(self, day: date) -> bool:
        return self.start <= day <= self.end


@dataclass(frozen=True)
class Status:
    open_now: bool
    today: tuple[Range, ...] | None  # today's ranges (empty: closed all day; None: not said)
    closed_today: Closure | None  # the closure that covers today, if any
    until: time | None  # when open now: the end of the current range
    next_open: datetime | None  # when closed now: the next opening (local, aware)
    # When closed now and a day whose hours nobody gave comes before any known opening: that
    # day. The lab may open then, so no "next opening" is claimed.
    unknown_from: date | None = None

    @property
    def known_today(self) -> bool:
        return self.today is not None


Day = tuple[Range, ...] | None  # the ranges of a weekday; () closed (said), None not said


@dataclass(frozen=True)
class Hours:
    """The week, Monday first: for each day its ranges, `()` when the lab said it is closed,
    `None` when nobody said (never shown as closed)."""

    week: tuple[Day, ...] = field(default=(None,) * 7)
    closures: tuple[Closure, ...] = ()

    @property
    def empty(self) -> bool:
        """Nothing said about any weekday."""
        return all(day is None for day in self.week)

    @property
    def complete(self) -> bool:
        return all(day is not None for day in self.week)

    def on(self, day: date) -> Day:
        """The ranges of `day`: a closure's or an exception's when one covers it (the last one
        entered wins), else the weekday's (None: not said)."""
        special = [c for c in self.closures if c.covers(day)]
        if special:
            return special[-1].ranges
        return self.week[day.weekday()]

    def status(self, now: datetime, tz: ZoneInfo) -> Status:
        here = now.astimezone(tz)
        today, clock = here.date(), here.time().replace(tzinfo=None)
        ranges = self.on(today)
        for start, end in ranges or ():
            if start <= clock < end:
                return Status(True, ranges, None, end, None)
        closure = next((c for c in self.closures if c.covers(today) and c.closed), None)
        if ranges is None:
            return Status(False, None, None, None, None, unknown_from=today)
        nxt, unknown = self._next(here, tz)
        return Status(False, ranges, closure, None, nxt, unknown)

    def _next(self, here: datetime, tz: ZoneInfo) -> tuple[datetime | None, date | None]:
        """The next opening, or the first day not said that comes before any."""
        today, clock = here.date(), here.time().replace(tzinfo=None)
        for offset in range(DAYS_AHEAD + 1):
            day = today + timedelta(days=offset)
            ranges = self.on(day)
            if ranges is None:
                return None, day
            for start, _ in ranges:
                if offset == 0 and start <= clock:
                    continue
                # A start in the skipped spring hour is the first moment after it.
                moment = datetime.combine(day, start).replace(tzinfo=tz)
                return moment.astimezone(tz), None
        return None, None

    def with_day(self, weekday: int, ranges: Day) -> Hours:
        week = list(self.week)
        week[weekday] = ranges
        return Hours(week=tuple(week), closures=self.closures)

    def with_unknown_closed(self) -> Hours:
        """Every day not said, said closed (one tap in the editor once the open days are in)."""
        return Hours(
            week=tuple(d if d is not None else () for d in self.week), closures=self.closures
        )

    def with_closure(self, closure: Closure) -> Hours:
        kept = [c for c in self.closures if (c.start, c.end) != (closure.start, closure.end)]
        closures = sorted([*kept, closure], key=lambda c: (c.start, c.end))
        return Hours(week=self.week, closures=tuple(closures))

    def without_closure(self, index: int) -> Hours:
        closures = [c for i, c in enumerate(self.closures) if i != index]
        return Hours(week=self.week, closures=tuple(closures))

    def upcoming_closures(self, today: date) -> tuple[Closure, ...]:
        return tuple(c for c in self.closures if c.end >= today)

    def as_value(self) -> dict[str, Any]:
        """As stored with an edit (JSON). Version 2 tells a day said closed (`[]`) from one not
        said (`null`); in version 1 (no "v") an empty day was both, and is read as not said."""
        return {
            "v": 2,
            "week": [
                None if day is None else [[say(s), say(e)] for s, e in day] for day in self.week
            ],
            "closures": [
                [c.start.isoformat(), c.end.isoformat(), [[say(a), say(b)] for a, b in c.ranges]]
                for c in self.closures
            ],
        }


def from_value(value: Mapping[str, Any]) -> Hours:
    week = value.get("week", [])
    if not isinstance(week, list) or len(week) != 7:
        raise ValueError("week: must list the seven days, Monday first")
    said_closed = value.get("v", 1) >= 2
    days: list[Day] = []
    for day in week:
        if day is None or (not day and not said_closed):
            days.append(None)
        else:
            days.append(tuple((_time(s), _time(e)) for s, e in day))
    closures = tuple(
        Closure(
            date.fromisoformat(item[0]),
            date.fromisoformat(item[1]),
            tuple((_time(a), _time(b)) for a, b in (item[2] if len(item) > 2 else [])),
        )
        for item in value.get("closures", [])
    )
    return Hours(week=tuple(days), closures=closures)


def _time(text: str) -> time:
    hour, _, minute = text.partition(":")
    return time(int(hour), int(minute or 0))


def say(moment: time) -> str:
    return f"{moment.hour}:{moment.minute:02d}" if moment.minute else f"{moment.hour}"


def say_ranges(ranges: tuple[Range, ...]) -> str:
    return ", ".join(f"{say(s)}-{say(e)}" for s, e in ranges)


def parse_weekday(text: str) -> Day:
    """A weekday's hours as typed in the editor: ranges, "chiuso", or "non indicato" (None:
    back to not said). Raises HoursProblem."""
    if " ".join(text.lower().replace("’", "'").split()).strip(" .!") in _UNKNOWN:
        return None
    return parse_ranges(text)


def parse_ranges(text: str) -> tuple[Range, ...]:
    """ "9-12, 15-18", "9:30-12.30 e 15-18", "chiuso" (no ranges). Raises HoursProblem."""
    plain = text.strip().lower()
    if plain in _CLOSED:
        return ()
    parts = [p for p in re.split(r"\s*(?:,|;|\be\b|\band\b|/)\s*", plain) if p]
    parts = [re.sub(r"^(?:dalle|dalla|from)\s+", "", p) for p in parts]  # "dalle 15 alle 18"
    if len(parts) > MAX_RANGES:
        raise HoursProblem("too_many")
    ranges: list[Range] = []
    for part in parts:
        match = _RANGE.match(part)
        if not match:
            raise HoursProblem("format")
        h1, m1, h2, m2 = match.groups()
        try:
            start = time(int(h1), int(m1 or 0))
            end = time(0, 0) if int(h2) == 24 else time(int(h2), int(m2 or 0))
        except ValueError:
            raise HoursProblem("format") from None
        if end <= start and end != time(0, 0):
            raise HoursProblem("order")
        if end == time(0, 0):
            end = time(23, 59)
        ranges.append((start, end))
    ranges.sort()
    for (_, end), (start, _) in pairwise(ranges):
        if start < end:
            raise HoursProblem("overlap")
    return tuple(ranges)


def parse_closure(text: str, today: date) -> Closure:
    """ "dal 5 al 25 agosto", "dal 24/12 al 6/1", "24/12", "chiuso il 1 maggio"; with hours
    after the days, exceptional hours instead of a closure: "24/12 9-12", "sabato 20 dicembre
    aperto 10-12". Raises DateProblem, or HoursProblem for the hours. A day without a year is
    the next one; a span's end is the first such day from its start."""
    plain = text.strip().lower()
    try:
        parse_ranges(plain)
    except HoursProblem:
        pass
    else:  # "9-12, 15-18": the week's hours typed here; as a date it would become 9 December
        raise HoursProblem("not_a_day")
    ranges: tuple[Range, ...] = ()
    if hours := _TRAILING_HOURS.match(plain):
        plain, ranges = hours.group("days"), parse_ranges(hours.group("ranges"))
    closure = _closure_days(plain, today)
    return Closure(closure.start, closure.end, ranges)


_TRAILING_HOURS = re.compile(
    r"^(?P<days>.*?\S)\s+(?:aperto\s+|open\s+|dalle\s+|ore\s+)?"
    r"(?P<ranges>\d{1,2}(?:[:.]\d{2})?\s*(?:-|–|alle)\s*\d.*)$"
)
_WEEKDAY_FIRST = re.compile(
    r"^(?:lunedi|martedi|mercoledi|giovedi|venerdi|sabato|domenica|monday|tuesday|wednesday|"
    r"thursday|friday|saturday|sunday)\s+(?=\d)"
)


def _closure_days(text: str, today: date) -> Closure:
    plain = text.removeprefix("chiuso").removeprefix("closed").strip()
    plain = " ".join(plain.translate(str.maketrans("àèéìòù’'°", "aeeiou   ")).split())
    plain = re.sub(r"^(?:il|on)\s+", "", plain)  # "dall'8 all'11" is now "dall 8 all 11"
    plain = _WEEKDAY_FIRST.sub("", plain)
    match = _SPAN.match(plain)
    if match is None:
        day = check_window(parse_day(plain, today), today)
        return Closure(day, day)
    start_text, end_text = match.group("start"), match.group("end")
    end_words = _DAY_IN_WORDS.match(end_text)
    if end_words and start_text.strip().isdigit():  # "dal 5 al 25 agosto": the month is the end's
        start_text = f"{start_text} {end_words.group(2)}"
        if end_words.group(3):
            start_text += f" {end_words.group(3)}"
    start = check_window(parse_day(start_text, today), today)
    end = check_window(parse_day(end_text, start), today)
    # "dal 20 al 10 luglio" would be read as the next 10 July, a year later: a span this long
    # with no year typed is a mistake, not a closure.
    if end < start or (end - start > MAX_SPAN_WITHOUT_YEAR and not _YEAR.search(end_text)):
        raise DateProblem("end_before_start")
    return Closure(start, end)


NOT_OPEN = {"it": ("chiuso", "non indicato"), "en": ("closed", "not given")}


def compact(hours: Hours, lang: str) -> str:
    """The week in one line: days with the same hours together, then the days said closed and
    the days not said, each named as such: "lun, mer 9-12 · gio 15-18 · dom chiuso ·
    mar, ven, sab non indicato". Empty when nothing is said."""
    if hours.empty:
        return ""
    names = SHORT_DAYS[lang]
    groups: dict[tuple[Range, ...], list[int]] = {}
    closed, unknown = [], []
    for weekday, ranges in enumerate(hours.week):
        if ranges:
            groups.setdefault(ranges, []).append(weekday)
        elif ranges is None:
            unknown.append(weekday)
        else:
            closed.append(weekday)
    parts = []
    for ranges, days in sorted(groups.items(), key=lambda item: item[1][0]):
        parts.append(f"{_days(days, names)} {say_ranges(ranges)}")
    said_closed, not_said = NOT_OPEN[lang]
    if closed:
        parts.append(f"{_days(closed, names)} {said_closed}")
    if unknown:
        parts.append(f"{_days(unknown, names)} {not_said}")
    return " · ".join(parts)


def _days(days: list[int], names: list[str]) -> str:
    """Mon, Tue, Wed, Fri -> "lun-mer, ven": runs of three or more days joined by a dash."""
    runs: list[list[int]] = []
    for day in days:
        if runs and runs[-1][-1] == day - 1:
            runs[-1].append(day)
        else:
            runs.append([day])
    out = []
    for run in runs:
        if len(run) >= 3:
            out.append(f"{names[run[0]]}-{names[run[-1]]}")
        else:
            out.extend(names[d] for d in run)
    return ", ".join(out)
