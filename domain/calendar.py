"""Calendar files (.ics) for the sessions of a Scuola edition and for events."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import NotRequired, TypedDict

PRODID = "-//Laboratori Sociali Pavia//labbot//IT"
UID_DOMAIN = "laboratorisociali.pavia"


class CalendarEntry(TypedDict):
    """One event of a calendar file; `start` and `end` are aware."""

    uid: str
    title: str
    start: datetime
    end: datetime
    place: NotRequired[str | None]
    geo: NotRequired[tuple[float, float] | None]  # (lat, lon)
    url: NotRequired[str | None]
    description: NotRequired[str]
    cancelled: NotRequired[bool]


def calendar_file(
    entries: Sequence[CalendarEntry],
    *,
    name: str,
    now: datetime | None = None,
) -> bytes:
    """`entries`: uid, title, start, end, and optional place, geo, url, description, and
    `cancelled` (STATUS:CANCELLED for the event the calendar app already has with that uid: many
    apps mark it cancelled, not all remove it). Times keep their time zone, so phones show them
    right across DST."""
    from icalendar import Calendar, Event  # first use: ~75 ms, most updates never need it

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    stamp = (now or datetime.now(UTC)).astimezone(UTC)
    for entry in entries:
        event = Event()
        event.add("uid", f"{entry['uid']}@{UID_DOMAIN}")
        event.add("dtstamp", stamp)
        event.add("summary", entry["title"])
        event.add("dtstart", entry["start"])
        event.add("dtend", entry["end"])
        if entry.get("place"):
            event.add("location", entry["place"])
        elif entry.get("url"):
            event.add("location", entry["url"])
        if entry.get("geo"):
            event.add("geo", entry["geo"])
        if entry.get("url"):
            event.add("url", entry["url"])
        if entry.get("description"):
            event.add("description", entry["description"])
        if entry.get("cancelled"):
            event.add("status", "CANCELLED")
            event.add("sequence", 1)
        calendar.add_component(event)
    if entries:  # only the time-zone rules around these dates: a few lines, not 3 KB of history
        first = min(e["start"] for e in entries).date() - timedelta(days=1)
        last = max(e["end"] for e in entries).date() + timedelta(days=1)
        calendar.add_missing_timezones(first_date=first, last_date=last)
    data: bytes = calendar.to_ical()
    return data


def file_name(title: str, day: datetime) -> str:
    """ "assemblea-di-rete-2027-03-20.ics": what it is and when, readable in a file list."""
    words = "".join(c if c.isalnum() else "-" for c in _ascii(title).lower())
    stem = "-".join(w for w in words.split("-") if w)[:48].rstrip("-") or "evento"
    return f"{stem}-{day:%Y-%m-%d}.ics"


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
