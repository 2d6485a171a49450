"""The Scuola dei Laboratori Sociali: editions, the sign-up form's steps and checks, capacity.

Plain data and plain functions: the Telegram side is `handlers/scuola.py`, the SQL side
`storage/scuola.py`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from domain.dates import DateProblem, parse_deadline, parse_span
from domain.directory import DATA_DIR, DataError, slug
from domain.text import one_line

ROLES = (
    "pubblico",
    "privato_sociale",
    "volontario",
    "attivista",
    "amministratore",
    "cittadino",
    "altro",
)
MAX_NAME = 60
MAX_ORGANISATION = 120
MAX_NOTE = 1000
MAX_TITLE = 80
MAX_PLACE = 200
ALERT_AT = (0.8, 1.0)  # staff hear when confirmed sign-ups reach these shares of capacity
_ANY_TIME = datetime.min  # a file may declare editions that already ran

# The form, in order. Optional steps have a "Salta" button.
STEPS = (
    "edition",
    "first_name",
    "last_name",
    "email",
    "phone",
    "role",
    "organisation",
    "note",
    "consent",
    "summary",
)
OPTIONAL = {"phone", "organisation", "note"}
EDITABLE = ("first_name", "last_name", "email", "phone", "role", "organisation", "note")


@dataclass(frozen=True)
class Session:
    starts_at: datetime
    ends_at: datetime
    place: str = ""  # as typed, when it is not at a lab of the network
    online_url: str = ""
    id: int = 0
    lab_id: str = ""  # at a lab: its address and position come from the directory


@dataclass(frozen=True)
class Edition:
    id: str
    title: str
    year: int
    sessions: tuple[Session, ...] = ()
    capacity: int | None = None
    deadline: datetime | None = None
    open: bool = True
    origin: str = "chat"

    def accepts(self, now: datetime) -> bool:
        """Open to sign-ups right now (its waiting list included)."""
        if not self.open:
            return False
        if self.deadline is not None and now >= self.deadline:
            return False
        return not self.sessions or self.sessions[-1].ends_at > now

    @property
    def first(self) -> Session | None:
        return self.sessions[0] if self.sessions else None

    @property
    def code_year(self) -> int:
        """The year in its sign-up codes: the year it takes place (its first session's), not
        the year someone signs up ("SLS-2027-0001 · Scuola 2027", even if signed up in 2026)."""
        return self.sessions[0].starts_at.year if self.sessions else self.year

    def places_left(self, confirmed: int) -> int | None:
        """Free places, or None when there is no limit."""
        return None if self.capacity is None else max(0, self.capacity - confirmed)


@dataclass
class Answers:
    """What a person gave in the form, step by step ("" until given)."""

    edition: str = ""  # the edition's id
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    phone: str = ""
    role: str = ""
    organisation: str = ""
    note: str = ""
    consent_at: str = ""  # the moment of the consent (ISO), as the sign-up keeps it

    def get(self, field_name: str) -> str:
        """The answer of a step named like its field (`EDITABLE`)."""
        if field_name not in _ANSWER_FIELDS:
            raise KeyError(field_name)
        return str(getattr(self, field_name))

    def set(self, field_name: str, value: str) -> None:
        if field_name not in _ANSWER_FIELDS:
            raise KeyError(field_name)
        setattr(self, field_name, value)

    def as_dict(self) -> dict[str, str]:
        return {name: self.get(name) for name in _ANSWER_FIELDS}


_ANSWER_FIELDS = ("edition", *EDITABLE, "consent_at")
# How a draft stored before the draft was typed named its marks (one JSON object, answers and
# marks together): still read, so a form in progress survives the upgrade.
_LEGACY_MARKS = {"_update": "update_of", "_return": "returning", "_paused": "paused",
                 "_email_typed": "email_typed", "_email_suggested": "email_suggested"}  # fmt: skip


@dataclass
class Draft:
    """A sign-up being filled in: saved at every step (`as_value`), so it survives restarts."""

    user_id: int
    step: str
    answers: Answers = field(default_factory=Answers)
    update_of: int | None = None  # changing this sign-up (its id), not making a new one
    returning: bool = False  # changing one field from the summary: back to it afterwards
    paused: bool = False  # a command came in the middle: asked whether to go on, waiting
    email_typed: str | None = None  # an address typed that looks like a typo...
    email_suggested: str | None = None  # ...and its likely fix, offered with two buttons

    def as_value(self) -> dict[str, Any]:
        """As stored (JSON)."""
        return {
            "answers": self.answers.as_dict(),
            "update_of": self.update_of,
            "returning": self.returning,
            "paused": self.paused,
            "email_typed": self.email_typed,
            "email_suggested": self.email_suggested,
        }

    @classmethod
    def from_value(cls, user_id: int, step: str, value: dict[str, Any]) -> Draft:
        if "answers" not in value:  # stored flat, with "_update" and the like
            value = {
                "answers": {k: v for k, v in value.items() if k in _ANSWER_FIELDS},
                **{new: value.get(old) for old, new in _LEGACY_MARKS.items()},
            }
        answers = Answers(
            **{k: str(v or "") for k, v in value["answers"].items() if k in _ANSWER_FIELDS}
        )
        update_of = value.get("update_of")
        return cls(
            user_id,
            step,
            answers,
            update_of=int(update_of) if update_of is not None else None,
            returning=bool(value.get("returning")),
            paused=bool(value.get("paused")),
            email_typed=value.get("email_typed"),
            email_suggested=value.get("email_suggested"),
        )


def next_step(draft: Draft, skip_edition: bool) -> str:
    if draft.returning:
        return "summary"
    index = STEPS.index(draft.step)
    following = STEPS[index + 1]
    if following == "edition" and skip_edition:
        following = STEPS[index + 2]
    return following


class FormProblem(ValueError):
    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


_SPACES = re.compile(r"\s+")


def check_name(text: str, field: str = "first_name") -> str:
    """A first name or a surname (`field`: "first_name" or "last_name"); a problem's code names
    the field ("last_name_chars"), so the person is told which one to write again."""
    value = _SPACES.sub(" ", text).strip()
    if not any(c.isalpha() for c in value):
        raise FormProblem(f"{field}_letters")
    if len(value) > MAX_NAME:
        raise FormProblem(f"{field}_long")
    if any(c.isdigit() for c in value) or any(c in "<>@/\\{}[]=_#*" for c in value):
        raise FormProblem(f"{field}_chars")
    return value


def check_free_text(text: str, limit: int) -> str:
    value = text.strip()
    if len(value) > limit:
        raise FormProblem("too_long")
    return value


def check_organisation(text: str) -> str:
    """One line: it is a name, shown in lists and in the organisers' e-mail."""
    return check_free_text(one_line(text), MAX_ORGANISATION)


def signup_code(year: int, seq: int) -> str:
    return f"SLS-{year}-{seq:04d}"


def status_for_new(confirmed: int, capacity: int | None) -> str:
    return "waiting" if capacity is not None and confirmed >= capacity else "confirmed"


def thresholds_crossed(before: int, after: int, capacity: int | None) -> list[float]:
    """The alert shares (80%, 100%) that confirmed sign-ups crossed going from before to after."""
    if not capacity:
        return []
    return [share for share in ALERT_AT if before < share * capacity <= after]


# --- editions declared in a data file -----------------------------------------------------------


def load_editions(path: Path, tz: ZoneInfo, now: datetime) -> list[Edition]:
    """data/scuola.toml: editions a deployment declares. Past sessions are allowed here (an
    edition that already ran stays visible in the history); everything else is checked."""
    label = _label(path)
    if not path.exists():
        return []
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError) as exc:
        raise DataError([f"{label}: cannot be read: {exc}"]) from None
    problems: list[str] = []
    editions: list[Edition] = []
    for index, item in enumerate(raw.get("edition", []), start=1):
        where = f"{label}: edition #{index}"
        if not isinstance(item, dict):
            problems.append(f"{where}: must be an [[edition]] table")
            continue
        title = item.get("title")
        if not isinstance(title, str) or not title.strip() or len(title) > MAX_TITLE:
            problems.append(f"{where}: title: must be text of 1-{MAX_TITLE} characters")
            continue
        where = f"{label}: edition '{title}'"
        edition_id = item.get("id") or slug(title)
        if not isinstance(edition_id, str) or not re.match(r"^[a-z0-9-]{1,32}$", edition_id):
            problems.append(f"{where}: id: must be 1-32 lowercase letters, digits or dashes")
            continue
        capacity = item.get("capacity")
        if capacity is not None and (not isinstance(capacity, int) or capacity < 1):
            problems.append(f"{where}: capacity: must be a whole number of places, 1 or more")
            capacity = None
        deadline = None
        if "deadline" in item:
            try:
                deadline = parse_deadline(
                    str(item["deadline"]), tz, _ANY_TIME.replace(tzinfo=tz), window=False
                )
            except DateProblem as exc:
                problems.append(f"{where}: deadline: {_date_problem(exc.code)} (dd/mm/yyyy)")
        sessions: list[Session] = []
        for number, spec in enumerate(item.get("sessions", []), start=1):
            if not isinstance(spec, dict) or not isinstance(spec.get("when"), str):
                problems.append(f'{where}: session {number}: needs when = "dd/mm/yyyy hh:mm-hh:mm"')
                continue
            try:
                start, end = parse_span(
                    spec["when"], tz, _ANY_TIME.replace(tzinfo=tz), window=False
                )
            except DateProblem as exc:
                problems.append(f"{where}: session {number}: when: {_date_problem(exc.code)}")
                continue
            place = one_line(str(spec.get("place", "")))[:MAX_PLACE]
            url = str(spec.get("online_url", "")).strip()
            lab_id = str(spec.get("lab", "")).strip()
            if url and not url.startswith("https://"):
                problems.append(f"{where}: session {number}: online_url: must start with https://")
            if not place and not url and not lab_id:
                problems.append(f"{where}: session {number}: needs a lab, a place or an online_url")
            sessions.append(Session(start, end, place, url, lab_id=lab_id))
        sessions.sort(key=lambda s: s.starts_at)
        year = sessions[0].starts_at.year if sessions else int(item.get("year", now.year))
        editions.append(
            Edition(
                id=edition_id,
                title=one_line(title),
                year=year,
                sessions=tuple(sessions),
                capacity=capacity,
                deadline=deadline,
                open=bool(item.get("open", True)),
                origin="file",
            )
        )
    if problems:
        raise DataError(problems)
    return editions


def _date_problem(code: str) -> str:
    return {
        "format": "write it as dd/mm/yyyy hh:mm-hh:mm",
        "no_such_date": "that day does not exist",
        "no_such_time": "that time does not exist (daylight saving starts)",
        "twice": "that time happens twice (daylight saving ends): pick another",
        "end_before_start": "the end is not after the start",
        "past": "is in the past",
    }.get(code, code)


def _label(path: Path) -> str:
    try:
        return str(path.relative_to(DATA_DIR.parent))
    except ValueError:
        return str(path)
