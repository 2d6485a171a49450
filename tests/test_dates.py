"""Dates and times as people write them (domain.dates), in Italian time."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from domain.dates import DateProblem, WeekdayMismatch, find_day, parse_day, parse_moment, parse_span

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


TUESDAY_8_DECEMBER = date(2026, 12, 8)


@pytest.mark.parametrize(
    ("question", "day"),
    [
        ("è aperto sabato 19?", date(2026, 12, 19)),  # was answered about Saturday 12
        ("spazio q è aperto il 19/12?", date(2026, 12, 19)),  # was answered about now
        ("aperto sabato 19 dicembre?", date(2026, 12, 19)),
        ("aperto il 19 dicembre?", date(2026, 12, 19)),
        ("aperto il 19?", date(2026, 12, 19)),
        ("e il 2 gennaio?", date(2027, 1, 2)),
        ("domani è aperto?", date(2026, 12, 9)),
        ("e dopodomani?", date(2026, 12, 10)),
        ("aperto sabato?", date(2026, 12, 12)),
        ("aperto sabato prossimo?", date(2026, 12, 12)),
        ("aperto martedì prossimo?", date(2026, 12, 15)),  # said on a Tuesday: next week's
        ("aperto martedì?", date(2026, 12, 8)),  # today
        ("tra una settimana è aperto?", date(2026, 12, 15)),
        ("fra 3 giorni", date(2026, 12, 11)),
        ("is it open on Saturday the 19th?", date(2026, 12, 19)),
        ("open on December 19?", date(2026, 12, 19)),
        ("open on 19 December?", date(2026, 12, 19)),
        ("open next Saturday?", date(2026, 12, 12)),
        ("open the day after tomorrow?", date(2026, 12, 10)),
        ("open in a week?", date(2026, 12, 15)),
        ("oggi o domani?", date(2026, 12, 9)),  # the last day named
        ("is it open this Saturday?", date(2026, 12, 12)),
        ("is it open on saturday 19?", date(2026, 12, 19)),
    ],
)
def test_a_day_named_as_people_name_it_is_that_day(question, day):
    phrase = find_day(question)
    assert phrase is not None
    assert parse_day(phrase, TUESDAY_8_DECEMBER) == day


@pytest.mark.parametrize("question", ["aperto 24 ore su 24?", "siamo in 2", "è aperto adesso?"])
def test_a_number_alone_is_not_a_day(question):
    assert find_day(question) is None


def test_a_weekday_that_does_not_match_the_number_is_asked_back():
    for typed in ("venerdì 19", "venerdì 19 dicembre", "friday 19/12",
                  "is it open on friday 19?", "e questo venerdì 19?"):  # fmt: skip
        with pytest.raises(WeekdayMismatch) as problem:
            parse_day(find_day(typed) or "", TUESDAY_8_DECEMBER)
        assert problem.value.code == "weekday"
        assert problem.value.found == date(2026, 12, 19)  # a Saturday
        assert problem.value.named == date(2026, 12, 18)  # the Friday next to it


@pytest.mark.parametrize(
    ("typed", "code"),
    [("31/12/9999 10-12", "too_late"), ("01/01/0001 10-12", "past"),
     ("1/1/2099 10-12", "too_late")],
)  # fmt: skip
def test_an_event_on_a_day_no_one_plans_for_is_refused(typed, code):
    with pytest.raises(DateProblem) as problem:
        parse_span(typed, ROME, NOW)
    assert problem.value.code == code
