"""Calendar files (.ics) for the sessions of a Scuola edition and for events."""

from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar, Event

PRODID = "-//Laboratori Sociali Pavia//labbot//IT"
UID_DOMAIN = "laboratorisociali.pavia"


def calendar_file(
    entries: list[dict],
    *,
    name: str,
    now: datetime | None = None,
) -> bytes:
    """`entries`: dicts with uid, title, start, end (aware), and optional place, url,
    description, and `cancelled` (the calendar app then drops the event it already has with
    that uid). Times keep their time zone, so phones show them right across DST."""
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
        if entry.get("url"):
            event.add("url", entry["url"])
        if entry.get("description"):
            event.add("description", entry["description"])
        if entry.get("cancelled"):
            event.add("status", "CANCELLED")
            event.add("sequence", 1)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
