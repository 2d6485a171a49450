"""Dates and times as people write them (domain.dates), in Italian time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.dates import DateProblem, parse_day, parse_moment, parse_span

ROME = ZoneInfo("Europe/Rome")
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)  # Wednesday 25 November 2026, 10:30 in Pavia


def rome(moment: datetime) -> str:
    return moment.astimezone(ROME).strftime("%a %d/%m/%Y %H:%M")


@pytest.mark.parametrize(
    ("typed", "start", "end"),
    [
        ("12/03/2027 17:30-19:30", "Fri 12/03/2027 17:30", "Fri 12/03/2027 19:30"),
        ("12/03/2027 ore 17:30 - 19:30", "Fri 12/03/2027 17:30", "Fri 12/03/2027 19:30"),
        ("domani 18:00-20:00", "Thu 26/11/2026 18:00", "Thu 26/11/2026 20:00"),
        ("sabato dalle 10 alle 12:30", "Sat 28/11/2026 10:00", "Sat 28/11/2026 12:30"),
        ("Lunedì 9.30-11", "Mon 30/11/2026 09:30", "Mon 30/11/2026 11:00"),
        ("15/12 16-19", "Tue 15/12/2026 16:00", "Tue 15/12/2026 19:00"),
        ("10/01 16-19", "Sun 10/01/2027 16:00", "Sun 10/01/2027 19:00"),  # the next 10 January
        ("tomorrow 6-8", "Thu 26/11/2026 06:00", "Thu 26/11/2026 08:00"),
        ("oggi 18-20", "Wed 25/11/2026 18:00", "Wed 25/11/2026 20:00"),
    ],
)
def test_spans_as_people_write_them(typed, start, end):
    found = parse_span(typed, ROME, NOW)
    assert (rome(found[0]), rome(found[1])) == (start, end)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("domani 18:00", "no_end"),  # only the end is missing: say that
        ("sabato alle 10", "no_end"),
        ("sabato pomeriggio", "format"),
        ("31/02/2027 10-12", "no_such_date"),
        ("oggi 8-9", "past"),
        ("domani 20-18", "end_before_start"),
        ("28/03/2027 02:30-04:00", "no_such_time"),
    ],
)
def test_what_is_not_a_span_is_said_precisely(typed, code):
    with pytest.raises(DateProblem) as problem:
        parse_span(typed, ROME, NOW)
    assert problem.value.code == code


@pytest.mark.parametrize(
    ("typed", "moment"),
    [
        ("12/03/2027 18:00", "Fri 12/03/2027 18:00"),
        ("domani alle 18", "Thu 26/11/2026 18:00"),
        ("sabato 10:30", "Sat 28/11/2026 10:30"),
        ("18:00", "Wed 25/11/2026 18:00"),  # a time alone: today...
        ("9:00", "Thu 26/11/2026 09:00"),  # ...or tomorrow, when today's has passed
    ],
)
def test_one_moment_as_people_write_it(typed, moment):
    assert rome(parse_moment(typed, ROME, NOW)) == moment


def test_a_moment_in_the_past_or_a_span_where_one_moment_is_asked():
    for typed, code in (("oggi 10", "past"), ("domani 18-20", "format")):
        with pytest.raises(DateProblem) as problem:
            parse_moment(typed, ROME, NOW)
        assert problem.value.code == code


def test_days_with_the_month_in_words_and_a_weekday_that_must_match():
    today = date(2027, 12, 1)
    assert parse_day("sabato 18 dicembre", today) == date(2027, 12, 18)
    assert parse_day("19 dicembre 2028", today) == date(2028, 12, 19)
    assert parse_day("19 December", today) == date(2027, 12, 19)
    with pytest.raises(DateProblem) as problem:
        parse_day("sabato 19 dicembre", today)  # a Sunday
    assert problem.value.code == "weekday"
