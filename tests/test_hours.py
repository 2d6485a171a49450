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
)

ROME = ZoneInfo("Europe/Rome")


def week(**days: str) -> Hours:
    names = ["lun", "mar", "mer", "gio", "ven", "sab", "dom"]
    hours = Hours()
    for name, text in days.items():
        hours = hours.with_day(names.index(name), parse_ranges(text))
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
    with pytest.raises(DateProblem):
        parse_closure("ferragosto", today)
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
    assert compact(hours, "it") == "lun-mer, ven 9-12 · sab 10-12:30"
    assert compact(hours, "en") == "Mon-Wed, Fri 9-12 · Sat 10-12:30"
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
