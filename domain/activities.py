"""What a lab does: activities with their audience and their time, so that "c'è qualcosa per
bambini?" is answered from data, and an activity of 2018 is shown as past, never as current.

An activity comes from the data file as a table (`{ what = "...", audience = ["ragazzi"],
year = 2018 }`) or as a plain line, as staff type it in the chat: then its year is the last year
the line names ("estate 2020") and its audience the audience words it uses ("ragazzi che
riparano le biciclette").
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from domain.text import normalize

AUDIENCES = ("bambini", "ragazzi", "famiglie", "adulti", "anziani", "tutti")

# Words people use for each audience, in Italian and English (normalised: no accents).
AUDIENCE_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ("bambini", "bambino", "bambina", "bambine", "bimbi", "bimbo", "bimba", "bimbe",
         "piccoli", "piccolini", "figli", "figlio", "figlia", "figlie", "kids", "kid",
         "children", "child", "toddlers"),
        "bambini",
    ),
    **dict.fromkeys(
        ("ragazzi", "ragazze", "ragazzo", "ragazza", "adolescenti", "adolescente", "giovani",
         "teen", "teens", "teenager", "teenagers", "youth", "youngsters", "studenti",
         "students"),
        "ragazzi",
    ),
    **dict.fromkeys(
        ("famiglie", "famiglia", "genitori", "mamme", "mamma", "papa", "families", "family",
         "parents"),
        "famiglie",
    ),
    **dict.fromkeys(("adulti", "adulto", "adults", "adult", "grown"), "adulti"),
    **dict.fromkeys(
        ("anziani", "anziano", "anziane", "anziana", "nonni", "nonne", "pensionati",
         "pensionate", "elderly", "seniors", "senior", "pensioners", "older"),
        "anziani",
    ),
}  # fmt: skip

_YEAR = re.compile(r"\b(19[89]\d|20\d\d)\b")
# "fino al 30/06/2027", "until 30/06/2027": the day an activity typed as a line ends.
_UNTIL = re.compile(
    r"\b(?:fino\s+al(?:l')?|until|till)\s+(\d{1,2})[/.\-](\d{1,2})[/.\-](\d{4})\b", re.IGNORECASE
)
MAX_WHAT = 300


@dataclass(frozen=True)
class Activity:
    what: str  # as people read it, in Italian
    what_en: str = ""
    audiences: tuple[str, ...] = ()  # from AUDIENCES; empty when not known
    period: str = ""  # when, in words: "il giovedì 17-19", "estate 2020"
    year: int | None = None  # the last year it is known to have run
    until: date | None = None  # the day it ends, when known

    def what_in(self, lang: str) -> str:
        return self.what_en if lang == "en" and self.what_en else self.what

    def is_past(self, today: date) -> bool:
        """Over: its end date has gone by, or its last known year is before this one. An
        activity with neither is shown as the data says it, without a date."""
        if self.until is not None:
            return self.until < today
        return self.year is not None and self.year < today.year

    def is_for(self, audience: str) -> bool:
        """For `audience`: named so, or for everyone ("tutti")."""
        return audience in self.audiences or "tutti" in self.audiences

    def as_value(self) -> dict[str, Any]:
        """The activity as stored with a staff edit (JSON)."""
        value: dict[str, Any] = {"what": self.what}
        if self.what_en:
            value["what_en"] = self.what_en
        if self.audiences:
            value["audience"] = list(self.audiences)
        if self.period:
            value["period"] = self.period
        if self.year is not None:
            value["year"] = self.year
        if self.until is not None:
            value["until"] = self.until.isoformat()
        return value


def audiences_in(words: list[str]) -> tuple[str, ...]:
    """The audiences named by normalised words, in the order they appear, once each."""
    found: list[str] = []
    for word in words:
        audience = AUDIENCE_WORDS.get(word)
        if audience is not None and audience not in found:
            found.append(audience)
    return tuple(found)


def from_line(line: str) -> Activity:
    """An activity typed as one line: its year, its end ("fino al 30/06/2027") and its
    audiences read from its words."""
    line = line.strip()
    until = None
    if match := _UNTIL.search(line):
        day, month, year = (int(g) for g in match.groups())
        try:
            until = date(year, month, day)
        except ValueError:
            until = None
    years = _YEAR.findall(line)
    return Activity(
        what=line,
        audiences=audiences_in(normalize(line).split()),
        year=int(years[-1]) if years else None,
        until=until,
    )


def from_value(value: Any) -> Activity:
    """An activity from the data file or a stored edit: a line, or a table. Raises ValueError
    with what is wrong."""
    if isinstance(value, str):
        return from_line(value)
    if not isinstance(value, Mapping):
        raise ValueError('must be a text or a table such as { what = "...", year = 2020 }')
    unknown = set(value) - {"what", "what_en", "audience", "period", "year", "until"}
    if unknown:
        raise ValueError(f"unknown field {', '.join(sorted(unknown))}")
    what = value.get("what")
    if not isinstance(what, str) or not what.strip():
        raise ValueError("what: must be a text")
    if len(what) > MAX_WHAT:
        raise ValueError(f"what: is longer than {MAX_WHAT} characters")
    audiences = value.get("audience", [])
    if not isinstance(audiences, list) or any(a not in AUDIENCES for a in audiences):
        raise ValueError(f"audience: must be a list of {', '.join(AUDIENCES)}")
    year = value.get("year")
    if year is not None and (isinstance(year, bool) or not isinstance(year, int)):
        raise ValueError("year: must be a year such as 2020")
    until = value.get("until")
    if isinstance(until, str):
        try:
            until = date.fromisoformat(until)
        except ValueError:
            raise ValueError("until: must be a date such as 2027-06-30") from None
    if until is not None and not isinstance(until, date):
        raise ValueError("until: must be a date such as 2027-06-30")
    return Activity(
        what=what.strip(),
        what_en=str(value.get("what_en", "")).strip(),
        audiences=tuple(audiences),
        period=str(value.get("period", "")).strip(),
        year=year,
        until=until,
    )
