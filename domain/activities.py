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
         "children", "child", "toddlers", "son", "sons", "daughter", "daughters", "neonato",
         "neonati", "baby", "babies", "nipotino", "nipotini"),
        "bambini",
    ),
    **dict.fromkeys(
        ("ragazzi", "ragazze", "ragazzo", "ragazza", "adolescenti", "adolescente", "giovani",
         "teen", "teens", "teenager", "teenagers", "teenage", "teenaged", "youth",
         "youngsters", "studenti", "students"),
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
         "pensionate", "elderly", "seniors", "senior", "pensioners", "older", "nonno", "nonna",
         "grandma", "grandpa", "granny", "grandmother", "grandfather", "grandparents",
         "grandparent"),
        "anziani",
    ),
}  # fmt: skip

# Words for a child of the family: children, unless an age says otherwise ("mio figlio di 16
# anni" is a teenager).
FAMILY_CHILD = frozenset(
    {"figli", "figlio", "figlia", "figlie", "son", "sons", "daughter", "daughters", "nipotino",
     "nipotini"}
)  # fmt: skip
# "sedicenne", "16enne": Italian words for an age, by their number.
_AGE_WORDS = {
    "undic": 11, "dodic": 12, "tredic": 13, "quattordic": 14, "quindic": 15, "sedic": 16,
    "diciassett": 17, "diciott": 18, "diciannov": 19, "vent": 20, "trent": 30, "quarant": 40,
    "cinquant": 50, "sessant": 60, "settant": 70, "ottant": 80, "novant": 90,
}  # fmt: skip
_AGE_WORD = re.compile(r"^(\d{1,3}|" + "|".join(_AGE_WORDS) + r")(?:enne|enni)$")
_AGE_UNITS = {"anni", "anno", "years", "year", "yo", "yrs"}


def audience_of_age(age: int) -> str:
    """The audience of a person of `age`: under 11 children, under 20 teenagers, from 65
    older people, adults between."""
    if age < 11:
        return "bambini"
    if age < 20:
        return "ragazzi"
    return "anziani" if age >= 65 else "adulti"


def ages_in(words: list[str]) -> list[int]:
    """Ages said in normalised words: "16 anni", "sedicenne", "16enne", "8 years old",
    "8 year old", "aged 70"."""
    found = []
    for index, word in enumerate(words):
        if not (word[:1].isdigit() or word.endswith(("enne", "enni"))):
            continue
        if match := _AGE_WORD.match(word):
            stem = match.group(1)
            found.append(int(stem) if stem.isdigit() else _AGE_WORDS[stem])
        elif word.isdigit() and len(word) <= 3:
            after = words[index + 1] if index + 1 < len(words) else ""
            before = words[index - 1] if index else ""
            if after in _AGE_UNITS or before == "aged":
                found.append(int(word))
    return found


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
    keywords: tuple[str, ...] = ()  # other words people use for it ("bici", "yoga")

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
        if self.keywords:
            value["keywords"] = list(self.keywords)
        return value


def audiences_in(words: list[str]) -> tuple[str, ...]:
    """The audiences named by normalised words, in the order they appear, once each; an age
    said comes first, and a son or daughter of an age given is of that age, not a child."""
    found: list[str] = [audience_of_age(age) for age in ages_in(words)]
    for word in words:
        if found and word in FAMILY_CHILD:
            continue
        audience = AUDIENCE_WORDS.get(word)
        if audience is not None and audience not in found:
            found.append(audience)
    return tuple(found)


_KEYWORD = re.compile(r"(?<!\w)#(\w[\w'-]*)")


def from_line(line: str) -> Activity:
    """An activity typed as one line: its year, its end ("fino al 30/06/2027") and its
    audiences read from its words; words after "#" are its keywords, the other words people
    use for it ("Ciclofficina #bici #riparazioni")."""
    keywords = tuple(dict.fromkeys(_KEYWORD.findall(line)))
    line = " ".join(_KEYWORD.sub(" ", line).split()) if keywords else line.strip()
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
        keywords=keywords,
    )


def from_value(value: Any) -> Activity:
    """An activity from the data file or a stored edit: a line, or a table. Raises ValueError
    with what is wrong."""
    if isinstance(value, str):
        return from_line(value)
    if not isinstance(value, Mapping):
        raise ValueError('must be a text or a table such as { what = "...", year = 2020 }')
    unknown = set(value) - {"what", "what_en", "audience", "period", "year", "until", "keywords"}
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
    keywords = value.get("keywords", [])
    if not isinstance(keywords, list) or not all(isinstance(k, str) for k in keywords):
        raise ValueError('keywords: must be a list of texts such as ["bici", "riparazioni"]')
    return Activity(
        what=what.strip(),
        what_en=str(value.get("what_en", "")).strip(),
        audiences=tuple(audiences),
        period=str(value.get("period", "")).strip(),
        year=year,
        until=until,
        keywords=tuple(k.strip() for k in keywords if k.strip()),
    )
