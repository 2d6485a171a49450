"""The lab directory: labs and places, loaded from `data/` and validated, plus staff edits.

Plain data in, plain data out: nothing here knows about Telegram or SQLite. A broken file is
reported as `data/labs.toml: lab 'spazio-q': lat: must be a number ...`, every problem at once.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from domain.activities import Activity, from_value
from domain.geo import in_service_area
from domain.hours import Hours
from domain.hours import from_value as hours_from_value
from domain.lexicon import Thesaurus, load_thesaurus
from domain.text import normalize

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
GAZETTEER = "gazetteer.tsv"  # optional: data/build_gazetteer.py writes it
THESAURUS = "thesaurus.toml"  # optional: what labs do, in other words
_TOWN_COLUMNS = [
    "name", "name_en", "aliases", "province", "kind", "lat", "lon", "population", "lookalikes",
]  # fmt: skip
LAB_ID = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
DISTRICTS = ("pavia", "distretto")
POSITIONS = ("exact", "approx")
MAX_NAME = 80
MAX_TEXT = 600

# The fields staff may edit from the chat, in the order the edit menu shows them.
EDITABLE = (
    "name",
    "area",
    "address",
    "position",
    "activities",
    "schedule",
    "hours",
    "contacts",
    "organisation",
)


@dataclass(frozen=True)
class Lab:
    id: str
    name: str
    district: str = "pavia"
    area: str = ""
    area_en: str = ""  # the area for English readers, from the data file
    address: str = ""
    lat: float | None = None
    lon: float | None = None
    position: str = "approx"
    organisation: str = ""
    activities: tuple[Activity, ...] = ()
    hours: str = ""  # as the data file words them; `schedule` wins when it has any hours
    schedule: Hours | None = None  # structured hours, entered in the chat
    contacts: str = ""
    aliases: tuple[str, ...] = ()
    source: str = ""
    hidden: bool = False

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None

    def area_in(self, lang: str) -> str:
        """The area as a reader of `lang` reads it (Italian when no English is given)."""
        return self.area_en if lang == "en" and self.area_en else self.area


@dataclass(frozen=True)
class Place:
    key: str  # a slug of the name, stable enough for buttons
    name: str
    # "comune" (of the Distretto sociale pavese), "quartiere" (of Pavia), or "town": any other
    # place of the gazetteer, in the province of Pavia or around it, or a far city.
    kind: str
    aliases: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    confidence: str = ""
    province: str = ""  # car plate code, for towns: "PV", "MI"...
    name_en: str = ""  # for towns whose English name differs: Milan, Rome
    # Everyday words a typo away from a town's name ("triste", Trieste): never this town.
    lookalikes: tuple[str, ...] = ()

    def name_in(self, lang: str) -> str:
        return self.name_en if lang == "en" and self.name_en else self.name

    @property
    def located(self) -> bool:
        return self.lat is not None and self.lon is not None

    @property
    def abroad(self) -> bool:
        """A city of the world outside Italy (from the gazetteer, without a province)."""
        return self.kind == "town" and not self.province

    @property
    def in_district(self) -> bool:
        """In the Distretto sociale pavese, where the network's labs are."""
        return self.kind != "town"


@dataclass(frozen=True)
class Directory:
    labs: tuple[Lab, ...]
    places: tuple[Place, ...]
    thesaurus: Thesaurus = field(default_factory=Thesaurus)
    _by_id: dict[str, Lab] = field(default_factory=dict, compare=False, repr=False)
    _by_key: dict[str, Place] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_id.update({lab.id: lab for lab in self.labs})
        self._by_key.update({place.key: place for place in reversed(self.places)})

    def lab(self, lab_id: str) -> Lab | None:
        """A lab citizens may see (not hidden), or None."""
        lab = self._by_id.get(lab_id)
        return lab if lab is not None and not lab.hidden else None

    def any_lab(self, lab_id: str) -> Lab | None:
        """Hidden labs included: for staff."""
        return self._by_id.get(lab_id)

    @property
    def visible(self) -> tuple[Lab, ...]:
        return tuple(lab for lab in self.labs if not lab.hidden)

    def place(self, key: str) -> Place | None:
        return self._by_key.get(key)

    def with_edits(self, edits: Iterable[LabEdit]) -> Directory:
        """This directory with staff edits applied in order (later ones win)."""
        labs = {lab.id: lab for lab in self.labs}
        order = [lab.id for lab in self.labs]
        for edit in edits:
            lab = labs.get(edit.lab_id)
            if lab is None:
                if edit.field != "created":
                    continue  # an edit of a lab that left the data file: nothing to apply it to
                lab = Lab(id=edit.lab_id, name=str(edit.value))
                order.append(edit.lab_id)
            labs[edit.lab_id] = apply_edit(lab, edit.field, edit.value)
        return Directory(
            labs=tuple(labs[i] for i in order), places=self.places, thesaurus=self.thesaurus
        )


@dataclass(frozen=True)
class LabEdit:
    lab_id: str
    field: str
    value: Any


def apply_edit(lab: Lab, name: str, value: Any) -> Lab:
    if name == "created":
        return replace(lab, name=str(value))
    if name == "position":
        if value is None:
            return replace(lab, lat=None, lon=None)
        lat, lon = value
        return replace(lab, lat=float(lat), lon=float(lon), position="exact")
    if name == "activities":
        return replace(lab, activities=tuple(from_value(item) for item in value))
    if name == "hidden":
        return replace(lab, hidden=bool(value))
    if name == "schedule":
        return replace(lab, schedule=hours_from_value(value) if value else None)
    if name == "area":  # staff wrote it in Italian: an English one from the file is outdated
        return replace(lab, area=str(value), area_en="")
    if name in {"name", "address", "organisation", "hours", "contacts", "district"}:
        text_field: dict[str, Any] = {name: str(value)}  # each of these is a str field
        return replace(lab, **text_field)
    return lab


class DataError(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def slug(text: str) -> str:
    return "-".join(normalize(text).split())[:32].strip("-") or "x"


def unique_slug(text: str, taken: set[str], fallback: str) -> str:
    """A slug of `text` that is not in `taken`: "autunno-2027", then "autunno-2027-2"..."""
    base = slug(text)[:28].strip("-") or fallback
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


# --- validation shared by the data files and the staff flow -------------------------------------


def check_name(value: str) -> str | None:
    value = value.strip()
    if not value or not any(c.isalnum() for c in value):
        return "empty"
    if len(value) > MAX_NAME:
        return "too_long"
    return None


def check_text(value: str) -> str | None:
    return "too_long" if len(value) > MAX_TEXT else None


def check_position(lat: float, lon: float) -> str | None:
    return None if in_service_area(lat, lon) else "outside"


# --- loading -------------------------------------------------------------------------------------


def lab_ids(data_dir: Path = DATA_DIR) -> set[str]:
    """The ids of the labs of `labs.toml`, for other data files that name a lab (its problems
    are reported by `load`)."""
    return {lab.id for lab in _load_labs(data_dir / "labs.toml", [])}


def load(data_dir: Path = DATA_DIR) -> Directory:
    """The data files of `data_dir` (raises DataError naming every problem). Read again only
    when a file changed (its size or time): a Directory is immutable, so the bot's start, a
    /ricarica that changes nothing and every test's bot share one."""
    files = ("labs.toml", "places.toml", GAZETTEER, THESAURUS)
    stamp = tuple(
        (stat.st_mtime_ns, stat.st_size) if (stat := _stat(data_dir / name)) else None
        for name in files
    )
    return _load(data_dir.resolve(), stamp)


def _stat(path: Path) -> os.stat_result | None:
    try:
        return path.stat()
    except OSError:
        return None


@lru_cache(maxsize=4)
def _load(data_dir: Path, _stamp: tuple[tuple[int, int] | None, ...]) -> Directory:
    problems: list[str] = []
    labs = _load_labs(data_dir / "labs.toml", problems)
    places = _load_places(data_dir / "places.toml", problems)
    towns = _load_towns(data_dir / GAZETTEER, problems, labs, places)
    thesaurus = Thesaurus()
    if (data_dir / THESAURUS).exists():
        try:
            thesaurus = load_thesaurus(data_dir / THESAURUS)
        except (ValueError, OSError, tomllib.TOMLDecodeError) as exc:
            problems.append(f"{_label(data_dir / THESAURUS)}: {exc}")
    if problems:
        raise DataError(problems)
    return Directory(labs=tuple(labs), places=(*places, *towns), thesaurus=thesaurus)


def _read(path: Path, problems: list[str]) -> dict[str, Any]:
    label = _label(path)
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        problems.append(f"{label}: file not found")
    except tomllib.TOMLDecodeError as exc:
        problems.append(f"{label}: not valid TOML: {exc}")
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{label}: cannot be read: {exc}")
    return {}


def _label(path: Path) -> str:
    try:
        return str(path.relative_to(DATA_DIR.parent))
    except ValueError:
        return str(path)


class _Entry:
    """Reads one [[table]] entry, recording problems as `file: what 'id': field: problem`."""

    def __init__(self, raw: Mapping[str, Any], where: str, problems: list[str], known: set[str]):
        self.raw = raw
        self.where = where
        self.problems = problems
        for key in raw:
            if key not in known:
                self.fail(key, "unknown field")

    def fail(self, key: str, message: str) -> None:
        self.problems.append(f"{self.where}: {key}: {message}")

    def text(self, key: str, *, required: bool = False, limit: int = MAX_TEXT) -> str:
        value: object = self.raw.get(key, "")
        if not isinstance(value, str):
            self.fail(key, "must be text in quotes")
            return ""
        value = value.strip()
        if required and not value:
            self.fail(key, "must not be empty")
        elif len(value) > limit:
            self.fail(key, f"is longer than {limit} characters")
        return value

    def texts(self, key: str) -> tuple[str, ...]:
        value = self.raw.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(key, 'must be a list of texts, for example ["a", "b"]')
            return ()
        return tuple(v.strip() for v in value if v.strip())

    def activities(self, key: str) -> tuple[Activity, ...]:
        value = self.raw.get(key, [])
        if not isinstance(value, list):
            self.fail(key, 'must be a list, for example [{ what = "Doposcuola", year = 2026 }]')
            return ()
        found: list[Activity] = []
        for number, item in enumerate(value, start=1):
            try:
                found.append(from_value(item))
            except ValueError as exc:
                self.fail(f"{key} #{number}", str(exc))
        return tuple(found)

    def choice(self, key: str, choices: tuple[str, ...], default: str) -> str:
        value: object = self.raw.get(key, default)
        if not isinstance(value, str) or value not in choices:
            self.fail(key, f"must be one of {', '.join(choices)}")
            return default
        return value

    def coordinates(self) -> tuple[float | None, float | None]:
        lat, lon = self.raw.get("lat"), self.raw.get("lon")
        if lat is None and lon is None:
            return None, None
        if lat is None or lon is None:
            self.fail("lat" if lat is None else "lon", "lat and lon go together: give both or none")
            return None, None
        ok = True
        for key, value, low, high in (("lat", lat, -90, 90), ("lon", lon, -180, 180)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                self.fail(key, "must be a number such as 45.1853")
                ok = False
            elif not low <= value <= high:
                self.fail(key, f"must be between {low} and {high}")
                ok = False
        if ok and not in_service_area(float(lat), float(lon)):
            self.fail("lat", f"({lat}, {lon}) is far from Pavia: check the coordinates")
            ok = False
        return (float(lat), float(lon)) if ok else (None, None)


_LAB_FIELDS = {
    "id", "name", "district", "area", "area_en", "address", "lat", "lon", "position",
    "organisation",
    "activities", "hours", "contacts", "aliases", "source",
}  # fmt: skip
_PLACE_FIELDS = {"name", "aliases", "lat", "lon", "confidence"}


def _load_labs(path: Path, problems: list[str]) -> list[Lab]:
    label = _label(path)
    raw = _read(path, problems)
    entries = raw.get("lab", [])
    if raw and (not isinstance(entries, list) or not entries):
        problems.append(f"{label}: no [[lab]] entries")
        return []
    labs: list[Lab] = []
    seen: set[str] = set()
    for index, item in enumerate(entries, start=1):
        if not isinstance(item, dict):
            problems.append(f"{label}: lab #{index}: must be a [[lab]] table")
            continue
        lab_id = item.get("id")
        where = f"{label}: lab '{lab_id}'" if isinstance(lab_id, str) else f"{label}: lab #{index}"
        entry = _Entry(item, where, problems, _LAB_FIELDS)
        if not isinstance(lab_id, str) or not LAB_ID.match(lab_id):
            entry.fail("id", "must be 1-32 lowercase letters, digits or dashes, e.g. spazio-q")
            continue
        if lab_id in seen:
            entry.fail("id", "is used by another lab")
        seen.add(lab_id)
        lat, lon = entry.coordinates()
        labs.append(
            Lab(
                id=lab_id,
                name=entry.text("name", required=True, limit=MAX_NAME),
                district=entry.choice("district", DISTRICTS, "pavia"),
                area=entry.text("area"),
                area_en=entry.text("area_en"),
                address=entry.text("address"),
                lat=lat,
                lon=lon,
                position=entry.choice("position", POSITIONS, "approx"),
                organisation=entry.text("organisation"),
                activities=entry.activities("activities"),
                hours=entry.text("hours"),
                contacts=entry.text("contacts"),
                aliases=entry.texts("aliases"),
                source=entry.text("source", required=True, limit=2000),
            )
        )
    return labs


def _load_places(path: Path, problems: list[str]) -> list[Place]:
    label = _label(path)
    raw = _read(path, problems)
    places: list[Place] = []
    for kind in ("comune", "quartiere"):
        for index, item in enumerate(raw.get(kind, []), start=1):
            if not isinstance(item, dict):
                problems.append(f"{label}: {kind} #{index}: must be a [[{kind}]] table")
                continue
            name = item.get("name")
            where = (
                f"{label}: {kind} '{name}'"
                if isinstance(name, str)
                else f"{label}: {kind} #{index}"
            )
            entry = _Entry(item, where, problems, _PLACE_FIELDS)
            name = entry.text("name", required=True, limit=MAX_NAME)
            lat, lon = entry.coordinates()
            places.append(
                Place(
                    key=slug(name),
                    name=name,
                    kind=kind,
                    aliases=entry.texts("aliases"),
                    lat=lat,
                    lon=lon,
                    confidence=entry.text("confidence"),
                )
            )
    if raw and not places:
        problems.append(f"{label}: no [[comune]] or [[quartiere]] entries")
    return places


def _load_towns(
    path: Path, problems: list[str], labs: list[Lab], places: list[Place]
) -> list[Place]:
    """The gazetteer's towns (a TSV file written by data/build_gazetteer.py), as places of kind
    "town". A name that is already a lab's or a curated place's (San Martino, Pavia…) stays
    theirs: the curated files win. Without the file the bot knows only the curated places."""
    if not path.exists():
        return []
    label = _label(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        problems.append(f"{label}: cannot be read: {exc}")
        return []
    rows = [line.split("\t") for line in lines if line.strip() and not line.startswith("#")]
    if not rows or rows[0] != _TOWN_COLUMNS:
        problems.append(f"{label}: the first line must name the columns {', '.join(_TOWN_COLUMNS)}")
        return []
    taken = {normalize(n) for lab in labs for n in (lab.name, *lab.aliases)}
    taken |= {normalize(n) for place in places for n in (place.name, *place.aliases)}
    keys = {place.key for place in places}
    towns: list[Place] = []
    for number, row in enumerate(rows[1:], start=2):
        if len(row) != len(_TOWN_COLUMNS):
            problems.append(
                f"{label}: row {number}: {len(row)} columns instead of {len(_TOWN_COLUMNS)}"
            )
            continue
        name, name_en, aliases, province, _kind, lat, lon, _population, lookalikes = row
        try:
            position = float(lat), float(lon)
        except ValueError:
            problems.append(f"{label}: row {number} ({name}): lat and lon must be numbers")
            continue
        if normalize(name) in taken or not name.strip():
            continue
        names = [a for a in aliases.split("|") if a.strip() and normalize(a) not in taken]
        taken.update(normalize(n) for n in (name, *names))
        key = unique_slug(name, keys, "town")
        keys.add(key)
        towns.append(
            Place(
                key=key,
                name=name.strip(),
                name_en=name_en.strip(),
                kind="town",
                aliases=tuple(names),
                lat=position[0],
                lon=position[1],
                confidence="S",
                province=province.strip(),
                lookalikes=tuple(w for w in lookalikes.split("|") if w),
            )
        )
    return towns
