"""Events of the network, and the one timeline people are reminded from: events plus the sessions
of the Scuola editions. An occurrence's `ref` names it in the database and in buttons:
`e.<event id>` or `s.<edition id>.<session id>`."""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from domain.dates import DateProblem, local, parse_span
from domain.directory import DataError, Directory, Lab, slug
from domain.scuola import Edition, Session
from domain.text import normalize, one_line

KINDS = ("assemblea", "altro")
MAX_TITLE = 100
MAX_DESCRIPTION = 1000
_OFFSET = re.compile(r"^(\d{1,3})([dhm])$")


@dataclass(frozen=True)
class Event:
    id: str
    kind: str
    title: str
    starts_at: datetime
    ends_at: datetime
    lab_id: str = ""
    place: str = ""
    lat: float | None = None
    lon: float | None = None
    online_url: str = ""
    description: str = ""
    cancelled: bool = False
    origin: str = "chat"
    for_lab: str = ""  # made for this lab, from its card: its coordinators may change it


@dataclass(frozen=True)
class Occurrence:
    ref: str
    kind: str  # assemblea, altro, scuola
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str = ""
    online_url: str = ""
    lat: float | None = None
    lon: float | None = None
    description: str = ""
    edition_id: str = ""
    lab_id: str = ""  # the lab where it takes place, if any

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None


def event_ref(event_id: str) -> str:
    return f"e.{event_id}"


def session_ref(edition_id: str, session_id: int) -> str:
    return f"s.{edition_id}.{session_id}"


_INFERRED = re.compile(r"\s*\(inferred\)", re.IGNORECASE)


def lab_place(lab: Lab) -> str:
    """Where a lab is, said once: "Crosione, Pavia (zona est)", not "Crosione, Crosione, ..."
    (the name is left out when the address or area already holds it)."""
    where = _INFERRED.sub("", lab.address or lab.area or "").strip()
    if not where:
        return lab.name
    if normalize(lab.name) in normalize(where):
        return where
    return f"{lab.name}, {where}"


def session_place(session: Session, directory: Directory) -> tuple[str, float | None, float | None]:
    """Where a Scuola session is held, as an event is: at a lab, the lab's name, address and
    position; elsewhere, the place as typed (no position)."""
    lab = directory.lab(session.lab_id) if session.lab_id else None
    if lab is None:
        return session.place, None, None
    return lab_place(lab), lab.lat, lab.lon


def timeline(
    events: list[Event], editions: list[Edition], directory: Directory, scuola_title: str
) -> list[Occurrence]:
    """Everything that happens, in order; cancelled events are left out."""
    found: list[Occurrence] = []
    for event in events:
        if event.cancelled:
            continue
        lab = directory.lab(event.lab_id) if event.lab_id else None
        place = event.place or (lab_place(lab) if lab else "")
        lat = event.lat if event.lat is not None else (lab.lat if lab else None)
        lon = event.lon if event.lon is not None else (lab.lon if lab else None)
        found.append(
            Occurrence(
                ref=event_ref(event.id),
                kind=event.kind,
                title=event.title,
                starts_at=event.starts_at,
                ends_at=event.ends_at,
                place=place,
                online_url=event.online_url,
                lat=lat,
                lon=lon,
                description=event.description,
                lab_id=event.lab_id,
            )
        )
    for edition in editions:
        for n, session in enumerate(edition.sessions, start=1):
            place, lat, lon = session_place(session, directory)
            found.append(
                Occurrence(
                    ref=session_ref(edition.id, session.id),
                    kind="scuola",
                    title=f"{scuola_title} – {edition.title} ({n})",
                    starts_at=session.starts_at,
                    ends_at=session.ends_at,
                    place=place,
                    online_url=session.online_url,
                    lat=lat,
                    lon=lon,
                    edition_id=edition.id,
                    lab_id=session.lab_id if lat is not None else "",
                )
            )
    found.sort(key=lambda o: (o.starts_at, o.ref))
    return found


# --- reminder offsets ----------------------------------------------------------------------------


def parse_offset(text: str) -> tuple[int, str]:
    match = _OFFSET.match(text.strip())
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"{text!r}: write an offset as 7d, 1d, 2h or 30m")
    return int(match.group(1)), match.group(2)


def reminder_time(start: datetime, offset: str, tz: ZoneInfo) -> datetime:
    """When to remind. Days count on the local calendar (an event at 10:00 is reminded at 10:00
    the day before, even across a daylight-saving change); hours and minutes are exact."""
    amount, unit = parse_offset(offset)
    if unit != "d":
        return start - timedelta(
            hours=amount if unit == "h" else 0, minutes=amount if unit == "m" else 0
        )
    here = start.astimezone(tz)
    day = here.date() - timedelta(days=amount)
    try:
        return local(day, here.time().replace(tzinfo=None), tz)
    except DateProblem as problem:
        naive = datetime.combine(day, here.time().replace(tzinfo=None))
        if problem.code == "twice":
            return naive.replace(tzinfo=tz, fold=0)  # the first of the two
        return (naive + timedelta(hours=1)).replace(tzinfo=tz)  # in the spring gap: just after


# --- events declared in a data file --------------------------------------------------------------


def load_events(path: Path, tz: ZoneInfo, directory: Directory) -> list[Event]:
    if not path.exists():
        return []
    label = path.name if path.parent.name != "data" else f"data/{path.name}"
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise DataError([f"{label}: cannot be read: {exc}"]) from None
    problems: list[str] = []
    events: list[Event] = []
    anytime = datetime.min.replace(tzinfo=tz)
    for index, item in enumerate(raw.get("event", []), start=1):
        title = item.get("title") if isinstance(item, dict) else None
        where = (
            f"{label}: event '{title}'" if isinstance(title, str) else f"{label}: event #{index}"
        )
        if not isinstance(item, dict) or not isinstance(title, str) or not title.strip():
            problems.append(f"{where}: title: must not be empty")
            continue
        kind = item.get("kind", "altro")
        if kind not in KINDS:
            problems.append(f"{where}: kind: must be one of {', '.join(KINDS)}")
            continue
        try:
            start, end = parse_span(str(item.get("when", "")), tz, anytime, window=False)
        except DateProblem as exc:
            problems.append(f'{where}: when: {exc.code} (write "dd/mm/yyyy hh:mm-hh:mm")')
            continue
        lab_id = str(item.get("lab", ""))
        if lab_id and directory.any_lab(lab_id) is None:
            problems.append(f"{where}: lab: no lab with id {lab_id!r} in data/labs.toml")
        url = str(item.get("online_url", ""))
        if url and not url.startswith("https://"):
            problems.append(f"{where}: online_url: must start with https://")
        events.append(
            Event(
                id=str(item.get("id") or slug(title))[:32],
                kind=kind,
                title=one_line(title)[:MAX_TITLE],
                starts_at=start,
                ends_at=end,
                lab_id=lab_id,
                place=one_line(str(item.get("place", ""))),
                online_url=url,
                description=str(item.get("description", ""))[:MAX_DESCRIPTION],
                origin="file",
            )
        )
    if problems:
        raise DataError(problems)
    return events
