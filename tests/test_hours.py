"""Opening hours as structure: typed ranges and closures, open now, the next opening across a
closure and across the changes of daylight saving time, and the compact week for cards."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from domain.dates import DateProblem
from domain.hours import (
    Closure,
    Hours,
    HoursProblem,
    compact,
    from_value,
    parse_closure,
    parse_ranges,
    parse_weekday,
)

ROME = ZoneInfo("Europe/Rome")


def week(*, unsaid: str = "", **days: str) -> Hours:
    """A week as a lab gives it: the days named with their hours, the days in `unsaid` not
    given by anyone, every other day said closed."""
    names = ["lun", "mar", "mer", "gio", "ven", "sab", "dom"]
    hours = Hours()
    for name, text in days.items():
        hours = hours.with_day(names.index(name), parse_ranges(text))
    hours = hours.with_unknown_closed()
    for name in unsaid.split():
        hours = hours.with_day(names.index(name), None)
    return hours


def test_ranges_as_people_type_them():
    assert parse_ranges("9-12, 15-18") == ((time(9), time(12)), (time(15), time(18)))
    assert parse_ranges("9:30-12.30 e 15-18:45")[0] == (time(9, 30), time(12, 30))
    assert parse_ranges("chiuso") == ()
    assert parse_ranges("dalle 15 alle 18") == ((time(15), time(18)),)
    assert parse_ranges("dalle 9 alle 12 e dalle 15 alle 18")[1] == (time(15), time(18))
    assert parse_ranges("20-24") == ((time(20), time(23, 59)),)
    for bad, code in (("9 12", "format"), ("12-9", "order"), ("9-12, 11-13", "overlap"),
                      ("25-26", "format"), ("1-2,3-4,5-6,7-8,9-10", "too_many")):  # fmt: skip
        with pytest.raises(HoursProblem) as problem:
            parse_ranges(bad)
        assert problem.value.code == code


def test_closures_as_people_type_them():
    today = date(2027, 7, 1)
    assert parse_closure("chiuso dal 5 al 25 agosto", today) == Closure(
        date(2027, 8, 5), date(2027, 8, 25)
    )
    assert parse_closure("dal 24/12 al 6/1", today) == Closure(date(2027, 12, 24), date(2028, 1, 6))
    assert parse_closure("1 maggio", today) == Closure(date(2028, 5, 1), date(2028, 5, 1))
    assert parse_closure("closed from 5 August to 25 August", today).end == date(2027, 8, 25)
    with pytest.raises(DateProblem):
        parse_closure("dal 30/02 al 3/3", today)
    assert parse_closure("ferragosto", today) == Closure(date(2027, 8, 15), date(2027, 8, 15))
    with pytest.raises(DateProblem):  # a holiday is its day; words that name no day are not
        parse_closure("quando capita", today)
    with pytest.raises(DateProblem):  # reversed: not a closure of almost a year
        parse_closure("dal 20 al 10 luglio", today)
    assert parse_closure("dal 1/12/2027 al 30/11/2028", today).end == date(2028, 11, 30)


def test_open_now_and_the_next_opening():
    hours = week(mar="9-12, 15-18", gio="15-18")
    tuesday_10 = datetime(2027, 3, 9, 9, 0, tzinfo=UTC)  # 10:00 in Italy (winter time)
    status = hours.status(tuesday_10, ROME)
    assert status.open_now and status.until == time(12)
    lunch = hours.status(datetime(2027, 3, 9, 12, 30, tzinfo=UTC), ROME)  # 13:30
    assert not lunch.open_now and lunch.next_open == datetime(2027, 3, 9, 15, tzinfo=ROME)
    evening = hours.status(datetime(2027, 3, 9, 18, 0, tzinfo=UTC), ROME)  # 19:00
    assert evening.next_open == datetime(2027, 3, 11, 15, tzinfo=ROME)


def test_a_closure_is_skipped_for_the_next_opening():
    hours = week(mar="9-12").with_closure(parse_closure("dal 5 al 25 agosto", date(2027, 7, 1)))
    status = hours.status(datetime(2027, 8, 10, 8, 0, tzinfo=UTC), ROME)  # Tuesday 10 August
    assert not status.open_now and status.closed_today is not None
    assert status.next_open == datetime(2027, 8, 31, 9, tzinfo=ROME)


def test_across_the_change_to_summer_time():
    # Sunday 28 March 2027 the clocks jump from 02:00 to 03:00. Open Sundays 9-12.
    hours = week(dom="9-12")
    before = datetime(2027, 3, 28, 0, 30, tzinfo=UTC)  # 01:30 winter time
    status = hours.status(before, ROME)
    assert status.next_open == datetime(2027, 3, 28, 9, tzinfo=ROME)
    assert status.next_open.utcoffset().total_seconds() == 7200  # already summer time
    at_nine = hours.status(datetime(2027, 3, 28, 7, 0, tzinfo=UTC), ROME)  # 09:00 CEST
    assert at_nine.open_now
    still_eight = hours.status(datetime(2027, 3, 27, 7, 30, tzinfo=UTC), ROME)  # Sat 08:30 CET
    assert not still_eight.open_now


def test_across_the_change_to_winter_time():
    # Sunday 31 October 2027 the clocks go back from 03:00 to 02:00. Open Sundays 9-12.
    hours = week(dom="9-12")
    assert hours.status(datetime(2027, 10, 31, 8, 30, tzinfo=UTC), ROME).open_now  # 09:30 CET
    assert not hours.status(datetime(2027, 10, 31, 7, 30, tzinfo=UTC), ROME).open_now  # 08:30
    nxt = hours.status(datetime(2027, 10, 30, 12, 0, tzinfo=UTC), ROME).next_open
    assert nxt == datetime(2027, 10, 31, 9, tzinfo=ROME) and nxt.utcoffset().total_seconds() == 3600


def test_compact_week_and_storage_round_trip():
    hours = week(lun="9-12", mar="9-12", mer="9-12", ven="9-12", sab="10-12:30")
    assert compact(hours, "it") == "lun-mer, ven 9-12 · sab 10-12:30 · gio, dom chiuso"
    assert compact(hours, "en") == "Mon-Wed, Fri 9-12 · Sat 10-12:30 · Thu, Sun closed"
    hours = hours.with_closure(Closure(date(2027, 8, 5), date(2027, 8, 25)))
    assert from_value(hours.as_value()) == hours


def test_exceptional_hours_replace_the_week_on_their_days():
    today = date(2027, 12, 1)
    eve = parse_closure("24/12 9-12", today)
    assert eve == Closure(date(2027, 12, 24), date(2027, 12, 24), ((time(9), time(12)),))
    saturday = parse_closure("sabato 18 dicembre aperto 10-12:30", today)
    assert saturday.start == date(2027, 12, 18) and saturday.ranges[0][1] == time(12, 30)
    hours = week(ven="15-18").with_closure(eve)  # 24 December 2027 is a Friday
    assert hours.on(date(2027, 12, 24)) == ((time(9), time(12)),)
    assert hours.on(date(2027, 12, 31)) == ((time(15), time(18)),)
    morning = hours.status(datetime(2027, 12, 24, 9, 30, tzinfo=UTC), ROME)  # 10:30
    assert morning.open_now and morning.until == time(12)
    afternoon = hours.status(datetime(2027, 12, 24, 15, 0, tzinfo=UTC), ROME)  # 16:00
    assert not afternoon.open_now and afternoon.next_open == datetime(2027, 12, 31, 15, tzinfo=ROME)
    assert from_value(hours.as_value()) == hours
    with pytest.raises(HoursProblem):
        parse_closure("24/12 12-9", today)


def test_a_day_nobody_gave_is_not_said_never_closed():
    monday_only = Hours().with_day(0, parse_ranges("9-12"))  # the rest was never entered
    assert compact(monday_only, "it") == "lun 9-12 · mar-dom non indicato"
    assert compact(monday_only, "en") == "Mon 9-12 · Tue-Sun not given"
    assert monday_only.on(date(2026, 12, 10)) is None  # Thursday: not said, not ()
    # Tuesday 8 December 2026, 10:00: today not said, so nothing claimed about now.
    tuesday = monday_only.status(datetime(2026, 12, 8, 9, 0, tzinfo=UTC), ROME)
    assert not tuesday.known_today and tuesday.next_open is None
    # Monday 7 December at 13:00: closed now, but Tuesday is not said: no "reopens Monday".
    monday = monday_only.status(datetime(2026, 12, 7, 12, 0, tzinfo=UTC), ROME)
    assert monday.known_today and monday.next_open is None
    assert monday.unknown_from == date(2026, 12, 8)
    # A closure covers what the week does not say: closed is closed, said by the lab.
    closed = monday_only.with_closure(Closure(date(2026, 12, 8), date(2026, 12, 13)))
    assert closed.on(date(2026, 12, 10)) == ()
    assert closed.status(datetime(2026, 12, 7, 12, 0, tzinfo=UTC), ROME).next_open == datetime(
        2026, 12, 14, 9, tzinfo=ROME
    )


def test_stored_hours_keep_closed_apart_from_not_said():
    hours = Hours().with_day(0, parse_ranges("9-12")).with_day(6, parse_ranges("chiuso"))
    assert from_value(hours.as_value()) == hours
    assert hours.as_value()["week"][1] is None and hours.as_value()["week"][6] == []
    # Stored before the difference existed: an empty day may have been either, so not said.
    old = {"week": [[["9", "12"]], [], [], [], [], [], []], "closures": []}
    assert from_value(old).week[1] is None
    assert parse_weekday("non indicato") is None and parse_weekday("chiuso") == ()


@pytest.mark.parametrize(
    ("typed", "start", "end"),
    [
        ("dall'8 al 9 dicembre", date(2026, 12, 8), date(2026, 12, 9)),
        ("dal 8 al 9 dicembre", date(2026, 12, 8), date(2026, 12, 9)),
        ("chiuso dall’11 all'13 dicembre", date(2026, 12, 11), date(2026, 12, 13)),
        ("dal 1° al 6 gennaio", date(2027, 1, 1), date(2027, 1, 6)),
        ("24.12", date(2026, 12, 24), date(2026, 12, 24)),
    ],
)
def test_closures_written_with_an_apostrophe_or_a_degree(typed, start, end):
    closure = parse_closure(typed, date(2026, 12, 8))
    assert (closure.start, closure.end) == (start, end)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("9-12, 15-18", "not_a_day"),  # the week's hours, not a day: was 9 December 15-18
        ("15-18", "not_a_day"),
        ("01/01/0001", "too_early"),
        ("dal 1/1/2027 al 1/1/2099", "too_late"),
        ("31/12/9999", "too_late"),
    ],
)
def test_what_is_not_a_closure_is_refused_with_the_reason(typed, code):
    with pytest.raises((DateProblem, HoursProblem)) as problem:
        parse_closure(typed, date(2026, 12, 8))
    assert problem.value.code == code
