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
    """Lower case, accents off ("lunedì" -> "lunedi"), apostrophes as spaces ("dall'8"), a
    fixed holiday as its day ("natale" -> "25 dicembre"), "il primo maggio" as "il 1 maggio"."""
    text = text.lower().translate(str.maketrans("àèéìòù’'°", "aeeiou   "))
    text = " ".join(text.split()).strip(" ,.?!")
    if _HOLIDAY_WORDS.search(text):
        text = _HOLIDAY_WORDS.sub(lambda m: _HOLIDAY_DAYS[m.group(0)], text)
    return re.sub(r"\bprimo (?=[a-z])", "1 ", text)


# Fixed holidays by their names, as the day they fall on (Italian and English).
_HOLIDAY_DAYS = {
    "vigilia di natale": "24 dicembre", "christmas eve": "24 december", "natale": "25 dicembre",
    "christmas day": "25 december", "christmas": "25 december", "santo stefano": "26 dicembre",
    "boxing day": "26 december", "capodanno": "1 gennaio", "new year s day": "1 january",
    "epifania": "6 gennaio", "befana": "6 gennaio", "ferragosto": "15 agosto",
    "san silvestro": "31 dicembre", "new year s eve": "31 december",
}  # fmt: skip
_HOLIDAY_WORDS = re.compile(
    r"\b(?:" + "|".join(re.escape(k) for k in sorted(_HOLIDAY_DAYS, key=len, reverse=True)) + r")\b"
)


_NUMBER_WORDS = {
    "un": 1, "uno": 1, "una": 1, "a": 1, "one": 1, "due": 2, "two": 2, "tre": 3, "three": 3,
    "quattro": 4, "four": 4, "cinque": 5, "five": 5, "sei": 6, "six": 6, "sette": 7, "seven": 7,
}  # fmt: skip
_SHORT_MONTHS = {
    **{m: n for n, m in enumerate(
        ["gen", "feb", "mar", "apr", "mag", "giu", "lug", "ago", "set", "ott", "nov", "dic"], 1)},
    **{m: n for n, m in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)},
}  # fmt: skip
_WD = "|".join(_WEEKDAY_WORDS)
_MONTH = "|".join(sorted({*_MONTH_WORDS, *_SHORT_MONTHS}, key=len, reverse=True))
_ORD = r"(?:st|nd|rd|th)?"
_COUNT = r"\d{1,2}|" + "|".join(_NUMBER_WORDS)
# One grammar for a day as people name it, searched in a question ("è aperto sabato 19?") and
# matched whole where a day is typed ("dal 19/12 al 6/1"). The forms, most specific first:
_DAY_FORMS = re.compile(
    rf"""
    \b(?:
    (?:(?P<wd>{_WD})\s+)?(?:(?:il|the)\s+)?
    (?:
        (?P<d1>\d{{1,2}}){_ORD}\s*/\s*(?P<m1>\d{{1,2}})(?:\s*/\s*(?P<y1>\d{{4}}|\d{{2}}))?\b
      | (?P<d2>\d{{1,2}}){_ORD}\s+(?:(?:di|of)\s+)?(?P<m2>{_MONTH})\b(?:\s+(?P<y2>\d{{4}})\b)?
      | (?P<m3>{_MONTH})\s+(?:the\s+)?(?P<d3>\d{{1,2}}){_ORD}\b(?:,?\s+(?P<y3>\d{{4}})\b)?
      | (?P<d4>\d{{1,2}}){_ORD}\b(?!\s*(?:[:.\-–]|alle|to)\s*\d)
    )
    | (?P<after>dopodomani|day\s+after\s+tomorrow)
    | (?P<tomorrow>domani|tomorrow)
    | (?P<today>oggi|today|stasera|tonight)
    | (?:tra|fra|in)\s+(?P<count>{_COUNT})\s+(?P<unit>giorn[oi]|days?|settiman[ae]|weeks?)
    | (?P<week>a\s+week\s+from\s+(?:today|now))
    | (?:(?P<next1>prossimo|prossima|next)\s+)?(?P<wd2>{_WD})
      (?:\s+(?P<next2>prossimo|prossima|next))?
    )""",
    re.VERBOSE,
)


# What every day form contains: a digit, a weekday, a relative day, or a count of days/weeks.
_MAY_NAME_A_DAY = re.compile(
    rf"\d|\b(?:{_WD}|oggi|today|stasera|tonight|dopodomani|domani|tomorrow|settiman|week|giorn|day"
    r"|primo|natale|christmas|stefano|capodanno|new year|epifania|befana|ferragosto|silvestro)"
)


def find_day(text: str) -> str | None:
    """The words naming a day in a question ("è aperto sabato 19?" -> "sabato 19"), for
    `parse_day`; a lone number counts only after a weekday or "il" ("il 19"). The last day
    named wins: "oggi o domani?" asks about tomorrow."""
    plain = _plain(text)
    if not _MAY_NAME_A_DAY.search(plain):  # most questions name no day: one scan, no matching
        return None
    found = None
    for match in _DAY_FORMS.finditer(plain):
        if match.group("d4") and not (match.group("wd") or re.match(r"(?:il|the)\s", match[0])):
            continue  # "aperto 24 ore", "2 persone": a number alone is not a day
        found = match[0]
    return found


TODAY_WORDS = frozenset({"oggi", "today", "stasera", "tonight"})


def _day_of_month(day: int, month: int | None, year: int | None, today: date) -> date:
    """The day named by its numbers: with a year, that one; else the next one, today included
    (the next 19th when no month is named)."""
    if year is not None:
        try:
            return date(year + 2000 if year < 100 else year, month or today.month, day)
        except ValueError:
            raise DateProblem("no_such_date") from None
    candidates = []
    for ahead in range(13 if month is None else 2):
        if month is None:
            y, m = divmod(today.month - 1 + ahead, 12)
            candidates.append((today.year + y, m + 1))
        else:
            candidates.append((today.year + ahead, month))
    for y, m in candidates:
        try:
            found = date(y, m, day)
        except ValueError:
            continue
        if found >= today:
            return found
    raise DateProblem("no_such_date")


def _month(word: str) -> int:
    return _MONTH_WORDS.get(word) or _SHORT_MONTHS[word]


def parse_day(text: str, today: date) -> date:
    """A day as people write it: 12/03/2027, 12/03 and 12.03 (the next one), 19 dicembre,
    December 19th, sabato 19, il 19, oggi, domani, dopodomani, sabato (the next Saturday, today
    included), sabato prossimo (after today), tra una settimana, tra 3 giorni; and the same in
    English. A weekday that does not match the number ("venerdì 19" when the 19th is a
    Saturday) is a DateProblem("weekday") carrying both readings, never a guess."""
    words = _plain(text)
    words = re.sub(r"^(?:il|la|the|on)\s+(?=\D)", "", words)
    if (dotted := re.fullmatch(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{2}|\d{4}))?", words)) or (
        dotted := re.fullmatch(r"(\d{1,2})-(\d{1,2})-(\d{2}|\d{4})", words)
    ):
        words = "/".join(g for g in dotted.groups() if g)  # 24.12, 24-12-2027: as 24/12
    match = _DAY_FORMS.fullmatch(words)
    if match is None:
        raise DateProblem("format")
    g = match.groupdict()
    if g["after"]:
        return today + timedelta(days=2)
    if g["tomorrow"]:
        return today + timedelta(days=1)
    if g["today"]:
        return today
    if g["count"]:
        count = int(g["count"]) if g["count"].isdigit() else _NUMBER_WORDS[g["count"]]
        return today + timedelta(days=count * (7 if g["unit"][0] in "sw" else 1))
    if g["week"]:
        return today + timedelta(days=7)
    if g["wd2"]:
        ahead = (_WEEKDAY_WORDS[g["wd2"]] - today.weekday()) % 7
        if ahead == 0 and (g["next1"] or g["next2"]):
            ahead = 7  # "sabato prossimo" said on a Saturday: the one of next week
        return today + timedelta(days=ahead)
    if g["d1"]:
        day, month, year = int(g["d1"]), int(g["m1"]), g["y1"]
    elif g["d2"]:
        day, month, year = int(g["d2"]), _month(g["m2"]), g["y2"]
    elif g["d3"]:
        day, month, year = int(g["d3"]), _month(g["m3"]), g["y3"]
    else:
        day, month, year = int(g["d4"]), None, None
    if month is not None and not 1 <= month <= 12:
        raise DateProblem("no_such_date")
    found = _day_of_month(day, month, int(year) if year else None, today)
    if g["wd"] and found.weekday() != _WEEKDAY_WORDS[g["wd"]]:
        raise WeekdayMismatch(found, _WEEKDAY_WORDS[g["wd"]], today)
    return found


class WeekdayMismatch(DateProblem):
    """ "venerdì 19" when the 19th is a Saturday: `found` is the day the number names, `named`
    the day of the named weekday nearest to it (not before today)."""

    def __init__(self, found: date, weekday: int, today: date):
        super().__init__("weekday")
        self.found = found
        shift = weekday - found.weekday()
        if shift > 3:
            shift -= 7
        elif shift < -3:
            shift += 7
        named = found + timedelta(days=shift)
        self.named = named if named >= today else named + timedelta(days=7)


FIRST_PLAUSIBLE_YEAR_BACK = 1  # days before 1 January of last year are a typing mistake
YEARS_AHEAD = 2  # and so are days more than two years ahead


def check_window(day: date, today: date) -> date:
    """Refuses a day no one plans for: before last year ("01/01/0001") or more than two years
    ahead ("31/12/9999"), with the reason (`too_early`, `too_late`)."""
    if day < date(today.year - FIRST_PLAUSIBLE_YEAR_BACK, 1, 1):
        raise DateProblem("too_early")
    try:
        limit = today.replace(year=today.year + YEARS_AHEAD)
    except ValueError:  # 29 February
        limit = today.replace(year=today.year + YEARS_AHEAD, day=28)
    if day > limit:
        raise DateProblem("too_late")
    return day


def _parts(text: str, tz: ZoneInfo, now: datetime, window: bool) -> tuple[date, str, str | None]:
    match = _MOMENT.match(text)
    if not match:
        raise DateProblem("format")
    today = now.astimezone(tz).date()
    day_text = match.group("day")
    day = parse_day(day_text, today) if day_text.strip(" ,") else today
    if window and day > today:  # a day gone by is refused as past, the clearer reason
        check_window(day, today)
    return day, match.group("start"), match.group("end")


def parse_moment(text: str, tz: ZoneInfo, now: datetime) -> datetime:
    """One moment, as people write it: "12/03/2027 18:00", "domani alle 18", "sabato 10:30",
    or only "18:00" (today, or tomorrow when that time has passed); in the future."""
    day, start, end = _parts(text, tz, now, window=True)
    if end is not None:
        raise DateProblem("format")
    moment = local(day, parse_time(start), tz)
    if moment <= now and not _MOMENT.match(text).group("day").strip(" ,"):  # type: ignore[union-attr]
        moment = local(day + timedelta(days=1), parse_time(start), tz)
    if moment <= now:
        raise DateProblem("past")
    return moment


def parse_span(
    text: str, tz: ZoneInfo, now: datetime, *, window: bool = True
) -> tuple[datetime, datetime]:
    """ "12/03/2027 17:30-19:30", "domani 18-20", "sabato dalle 10 alle 12:30" -> (start, end),
    aware; in the future, end after start. A start without an end says just that. Typed in the
    chat (`window`), a day before last year or over two years ahead is refused as a mistake;
    a data file may declare what already ran."""
    day, start_text, end_text = _parts(text, tz, now, window)
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
    text: str,
    tz: ZoneInfo,
    now: datetime,
    last_session: datetime | None = None,
    *,
    window: bool = True,
) -> datetime:
    """A day typed as a deadline means the end of that day, local time. With `last_session`
    (the start of the last session of what one signs up to), the day may be that session's day
    at the latest: sign-ups close when it ends anyway, and a later deadline would be shown to
    people as a promise the bot does not keep."""
    day = parse_date(text)
    if window and day > now.astimezone(tz).date():
        check_window(day, now.astimezone(tz).date())
    elif day == date.max:
        raise DateProblem("too_late")
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


def easter(year: int) -> date:
    """Easter Sunday (the Gregorian computus)."""
    a, b, c = year % 19, year // 100, year % 100
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    l_ = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * l_) // 451
    month, day = divmod(h + l_ - 7 * m + 114, 31)
    return date(year, month, day + 1)


def holiday(day: date) -> str | None:
    """The Italian public holiday `day` is, as a catalog key suffix ("natale"), or None."""
    fixed = {(1, 1): "capodanno", (1, 6): "epifania", (4, 25): "liberazione",
             (5, 1): "lavoro", (6, 2): "repubblica", (8, 15): "ferragosto",
             (11, 1): "santi", (12, 8): "immacolata", (12, 25): "natale",
             (12, 26): "santo_stefano"}  # fmt: skip
    if (name := fixed.get((day.month, day.day))) is not None:
        return name
    sunday = easter(day.year)
    if day == sunday:
        return "pasqua"
    if day == sunday + timedelta(days=1):
        return "pasquetta"
    return None
