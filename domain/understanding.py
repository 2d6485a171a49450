"""What a citizen's message asks, in Italian or English, without a table of known sentences.

1. Normalise (case, accents, apostrophes, "S." -> "san").
2. Find the labs and places named, fuzzily (rapidfuzz over windows of the message's words, with
   a stricter bar for short names), preferring the longest, most specific mention.
3. Read the intent from cue words and phrases (hours, activities, contacts, where, nearest; the
   Scuola, the Assemblea, the network's contacts, the list of labs, what a lab is, taking part).
4. Decide: a named lab beats everything; then the Scuola and the Assemblea; then a place (the
   nearest labs to it; or, asked for hours, activities, contacts or who runs it, the one lab
   that stands in that place: "cosa fanno a Scala" is about In Scala); then the other topics;
   then "near me" without a place (ask for the location); then greetings and thanks; else "not
   understood".
"""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from domain.activities import audiences_in
from domain.dates import TODAY_WORDS, find_day
from domain.directory import Directory, Lab, Place
from domain.geo import distance_m
from domain.text import expand_abbreviations, has_letters, normalize, tokens

THRESHOLD = 85.0  # fuzz.ratio (0-100) for names of 7 characters or more
SHORT_THRESHOLD = 91.0  # names of 5-6 characters: one typo at most
EXACT_ONLY = 4  # names this short must match exactly
PREFIX_MIN = 4
PREFIX_SCORE = 80.0  # a word that abbreviates a name
IN_PLACE_M = 500  # a lab this close to a place's point stands in that place
LAB_FACETS = {"hours", "activities", "contacts", "organisation"}  # about a lab, not a place
WORD_SCORE = 75.0  # a word that is only the first word of a longer name
# The gazetteer's hundreds of towns are matched more strictly than the curated places: a town
# name of 6 letters or fewer only as written, a longer one with one typo, never when what was
# typed is an everyday word that looks like it (the gazetteer lists them: "triste" is not
# Trieste); and a town is never guessed from the first letters of a word.
TOWN_EXACT_ONLY = 6
TOWN_THRESHOLD = 85.0

# Words that never start or make up a name on their own.
STOPWORDS = {
    "a", "al", "alla", "allo", "ai", "agli", "alle", "il", "lo", "la", "i", "gli", "le", "l",
    "di", "del", "della", "dello", "dei", "degli", "delle", "da", "dal", "dalla", "in", "nel",
    "nella", "nello", "con", "su", "per", "tra", "fra", "e", "ed", "o", "c", "un", "uno", "una",
    "the", "of", "to", "at", "near", "is", "there", "an", "and", "or",
    "laboratorio", "laboratori", "lab", "labs", "sociale", "sociali", "community",
    "vicino", "dove", "quartiere", "zona", "paese", "comune", "rione", "frazione",
}  # fmt: skip

# Cue stems: a message token starting with one of these (or equal, for short ones) is a cue.
CUES: dict[str, set[str]] = {
    "hours": {"orari", "orario", "apert", "apre", "aprite", "chiud", "chius", "hours", "opening",
              "open"},
    "open_now": {"apert", "aperto", "aperta", "apre", "open", "chius", "closed"},
    "activities": {"attivita", "corsi", "corso", "iniziativ", "programm", "activit"},
    "contacts": {"contatt", "telefon", "numero", "cellulare", "email", "mail", "scriver", "scrivo",
                 "chiamar", "contact", "phone", "call", "write"},
    "where": {"dove", "indirizz", "trova", "arrivar", "arrivo", "raggiung", "where", "address",
              "located", "mappa", "map"},
    "nearest": {"vicin", "near", "nearest", "closest", "abito", "abitiamo", "vivo", "viviamo",
                "risiedo", "live", "nearby"},
    "organisation": {"gestisce", "gestit", "organizzazion", "associazion", "cooperativ", "runs"},
    "scuola": {"scuola", "school", "formazione", "iscriv", "iscriz", "signup", "register",
               "enrol"},
    "assemblea": {"assemblea", "assemblee", "assembly"},
    "events": {"eventi", "evento", "incontri", "incontro", "calendario", "events", "meeting",
               "riunion"},
    "notifications": {"notific", "avvis", "promemoria", "reminder", "notification"},
    "info": {"informazion", "info", "chiedere", "domanda", "domande", "information", "ask"},
    "list": {"elenco", "lista", "quali", "quanti", "tutti", "list", "which", "all", "mappa"},
    "what_is": {"cos", "cosa", "cosè", "cose", "what", "significa"},
    "take_part": {"partecip", "volontar", "aiutar", "collabor", "join", "volunteer", "impegn"},
    "greeting": {"ciao", "buongiorno", "buonasera", "salve", "hello", "hi", "hey", "buondi"},
    "thanks": {"grazie", "thanks", "thank", "grazia"},
    "help": {"aiuto", "help", "funziona", "istruzioni"},
    # What the network does not do, even in a place it serves: weather, transport, shops,
    # pharmacies, buying and selling, news, sport. A message with one of these is not a
    # question about labs, whatever place it names.
    "elsewhere": {"meteo", "piove", "pioggia", "nevica", "weather", "forecast", "autobus", "bus",
                  "treno", "treni", "train", "trains", "pullman", "fermata", "stazione", "taxi",
                  "farmacia", "farmacie", "pharmacy", "supermercato", "supermarket", "negozio",
                  "negozi", "shop", "ristorante", "pizzeria", "compro", "comprare", "vendo",
                  "vendere", "affitto", "prezzo", "buy", "sell", "notizie", "giornale", "news",
                  "partita", "calcio", "football", "parcheggio", "parking", "ospedale",
                  "hospital", "medico", "dottore"},
}  # fmt: skip

PHRASES: dict[str, tuple[str, ...]] = {
    "activities": ("cosa si fa", "cosa fanno", "che cosa fanno", "cosa c e da fare", "what do",
                   "what happens", "what s on", "cosa succede", "cosa organizza", "che si fa"),
    "hours": ("quando e aperto", "quando apre", "a che ora", "what time", "when is it open"),
    "nearest": ("sono di", "abito a", "abito in", "vivo a", "vivo in", "piu vicino", "near me",
                "vicino a me", "vicino casa", "i live", "close to"),
    "scuola": ("sign up", "iscrivermi", "come mi iscrivo"),
    "contacts": ("e mail", "a chi posso", "who can i", "get in touch"),
    "take_part": ("dare una mano", "take part", "get involved", "come posso partecipare"),
    "list": ("quali laboratori", "tutti i laboratori", "which labs", "all the labs",
             "what labs"),
    "about": ("cosa fate", "di cosa vi occupate", "cosa fa la rete", "chi siete", "who are you",
              "what do you do", "fare benecomune", "bene comune"),
    "talk": ("parlare con", "talk to", "speak to", "speak with", "talk with"),
    "elsewhere": ("che tempo fa", "previsioni del tempo", "what s the weather"),
    "assemblea": ("riunione della rete", "incontro di rete", "incontro della rete",
                  "network meeting"),
}  # fmt: skip

SHORT_TALK = 4  # greetings and thanks count only in messages this short (in words)
ACTIVITY_WORD_MIN = 6
# Words of activity descriptions too general to say which activity is meant.
GENERIC_WORDS = {
    "quartiere", "quartieri", "incontro", "incontri", "iniziative", "iniziativa", "momenti",
    "residenti", "comune", "spazi", "pubblici", "pubblico", "collaborazione", "patto", "inferred",
    "attivita", "gruppo", "gruppi", "estate", "estive", "estivi", "ombrellone", "ragazzi",
    "neighbourhood", "neighbourhood s", "events", "residents", "public", "spaces", "agreement",
    "collaboration", "summer", "renewal", "parties", "together", "repairing", "rigenerazione",
    "riparano", "persone", "people", "sotto", "under",
}  # fmt: skip


@dataclass(frozen=True)
class Mention:
    kind: str  # "lab" or "place"
    key: str  # lab id or place key
    score: float
    start: int
    end: int  # token span [start, end)

    @property
    def length(self) -> int:
        return self.end - self.start


@dataclass(frozen=True)
class Understanding:
    """The decision. `intent` is one of: lab, place, activities, ambiguous, topic, ask_location,
    greeting, thanks, fallback. `facet` refines `lab` (hours, activities, contacts, where,
    organisation); `topic` is one of scuola, assemblea, events, notifications, contatti,
    laboratori, what_is, take_part, help."""

    intent: str
    lab: Lab | None = None
    place: Place | None = None
    facet: str | None = None
    topic: str | None = None
    choices: tuple[Mention, ...] = ()
    audience: str | None = None  # for `activities`: bambini, ragazzi… (domain.activities)
    # For the hours of a lab: "now", "tomorrow", a weekday ("0" Monday… "6" Sunday), or a date
    # ("date:15/8").
    when: str | None = None
    keyword: str | None = None  # for `activities`: a word of the activities asked about


@dataclass(frozen=True)
class _Name:
    words: tuple[str, ...]
    text: str
    kind: str
    key: str
    needed: float  # the fuzz.ratio this name needs; 100 means exactly as written
    town: bool = False  # from the gazetteer
    lookalikes: frozenset[str] = frozenset()  # words never taken for this name

    @property
    def joined(self) -> str:
        return "".join(self.words)


class Matcher:
    """Built once per directory (the bot rebuilds it when staff change a lab).

    Everything that does not depend on the message is indexed here, so reading a message costs
    one normalisation, a dictionary look-up per word for the cues, and for each window of words
    one look-up of the few names that could match it (same first letters, close word count),
    scored in one call of rapidfuzz's C loop."""

    def __init__(self, directory: Directory):
        self.directory = directory
        names: list[_Name] = []
        for lab in directory.visible:
            for variant in (lab.name, lab.id.replace("-", " "), *lab.aliases):
                names.append(self._name(variant, "lab", lab.id))
        for place in directory.places:
            for variant in (place.name, *place.aliases):
                names.append(
                    self._name(
                        variant,
                        "place",
                        place.key,
                        town=place.kind == "town",
                        lookalikes=frozenset(place.lookalikes),
                    )
                )
        unique = {(n.text, n.kind, n.key): n for n in names if n.text}
        self.names = list(unique.values())
        self._index()
        # Distinctive words of the labs' activities ("lettura", "ciclofficina", "bicycles"):
        # a message with one, that nothing else explains, asks about those activities.
        self._activity_words = {
            word
            for lab in directory.visible
            for activity in lab.activities
            for word in tokens(f"{activity.what} {activity.what_en}")
            if len(word) >= ACTIVITY_WORD_MIN and word not in GENERIC_WORDS
        }

    @staticmethod
    def _name(
        text: str,
        kind: str,
        key: str,
        *,
        town: bool = False,
        lookalikes: frozenset[str] = frozenset(),
    ) -> _Name:
        words = tuple(tokens(text))
        joined = " ".join(words)
        if town:
            needed = 100.0 if len(joined) <= TOWN_EXACT_ONLY else TOWN_THRESHOLD
        elif len(joined) <= EXACT_ONLY:
            needed = 100.0
        else:
            needed = SHORT_THRESHOLD if len(joined) <= 6 else THRESHOLD
        return _Name(
            words=words,
            text=joined,
            kind=kind,
            key=key,
            needed=needed,
            town=town,
            lookalikes=lookalikes,
        )

    def _index(self) -> None:
        # Exact-only names by their text.
        self._exact: dict[str, list[_Name]] = {}
        # Fuzzy names by (first letter, first letter of the last word, window width): a window
        # of `width` words may match a name of width-1, width or width+1 words (the last only
        # for names of three words or more), as typed with a word more or less.
        fuzzy: dict[tuple[str, str, int], list[_Name]] = {}
        # The same, for windows that start with a stopword: only names starting with that word.
        led: dict[tuple[str, str, int], list[_Name]] = {}
        # Names of two words or more, run together ("spazioq"), by first letter.
        joined: dict[str, list[_Name]] = {}
        # Names by the first four letters of their first word that is not a stopword.
        prefixes: dict[str, list[_Name]] = {}
        for name in self.names:
            size = len(name.words)
            if name.needed >= 100.0:
                self._exact.setdefault(name.text, []).append(name)
            else:
                widths = {size, size + 1} | ({size - 1} if size >= 3 else set())
                first, last = name.words[0][0], name.words[-1][0]
                for width in widths:
                    fuzzy.setdefault((first, last, width), []).append(name)
                    if name.words[0] in STOPWORDS:
                        led.setdefault((name.words[0], last, width), []).append(name)
            if size >= 2:
                joined.setdefault(name.joined[0], []).append(name)
            head = next((w for w in name.words if w not in STOPWORDS), "")
            if len(head) >= PREFIX_MIN and not name.town:
                prefixes.setdefault(head[:PREFIX_MIN], []).append(name)
        self._fuzzy = {k: (v, [n.text for n in v]) for k, v in fuzzy.items()}
        self._led = {k: (v, [n.text for n in v]) for k, v in led.items()}
        self._joined = {k: (v, [n.joined for n in v]) for k, v in joined.items()}
        self._prefixes = prefixes
        self._widest = max((len(n.words) for n in self.names), default=1) + 1
        self._exact_widest = max((len(n.words) for n in self.names if n.needed >= 100), default=0)

    # --- finding names -----------------------------------------------------------------------

    def mentions(self, text: str) -> list[Mention]:
        return self._mentions(tokens(text))

    def _mentions(self, words: list[str]) -> list[Mention]:
        found: dict[tuple[str, str, int, int], Mention] = {}

        def keep(name: _Name, score: float, start: int, end: int) -> None:
            slot = (name.kind, name.key, start, end)
            if slot not in found or found[slot].score < score:
                found[slot] = Mention(name.kind, name.key, score, start, end)

        count = len(words)
        for start, word in enumerate(words):
            # A name of two words or more written together ("spazio" alone is only its first
            # word, not the name run together).
            if len(word) >= 5 and (bucket := self._joined.get(word[0])):
                candidates, texts = bucket
                for _, score, i in process.extract(
                    word, texts, scorer=fuzz.ratio, score_cutoff=THRESHOLD, limit=None
                ):
                    name = candidates[i]
                    needed = TOWN_THRESHOLD if name.town else THRESHOLD
                    whole = len(word) >= len(texts[i]) - 1 and word not in name.words
                    if whole and score >= needed and word not in name.lookalikes:
                        keep(name, score, start, start + 1)
            stop = word in STOPWORDS
            buckets = self._led if stop else self._fuzzy
            head = word if stop else word[0]
            for width in range(1, min(self._widest, count - start) + 1):
                end = start + width
                # Most windows can match nothing: look the bucket up before building the text.
                bucket = buckets.get((head, words[end - 1][0], width))
                if bucket is None and width > self._exact_widest:
                    continue
                if stop and all(w in STOPWORDS for w in words[start:end]):
                    continue
                joined_text = " ".join(words[start:end])
                for name in self._exact.get(joined_text, ()):
                    if not stop or name.words[0] == word:
                        keep(name, 100.0, start, end)
                if bucket is None:
                    continue
                candidates, texts = bucket
                for _, score, i in process.extract(
                    joined_text, texts, scorer=fuzz.ratio, score_cutoff=THRESHOLD, limit=None
                ):
                    name = candidates[i]
                    if score >= name.needed and joined_text not in name.lookalikes:
                        keep(name, score, start, end)
        mentions = _best_non_overlapping(list(found.values()))
        if mentions:
            return mentions
        return self._prefix_mentions(words)

    def _prefix_mentions(self, words: list[str]) -> list[Mention]:
        """ "torre" -> Torre d'Isola or La Torretta: candidates for a question with buttons."""
        found: dict[tuple[str, str], Mention] = {}
        for index, word in enumerate(words):
            if len(word) < PREFIX_MIN or word in STOPWORDS:
                continue
            for name in self._prefixes.get(word[:PREFIX_MIN], ()):
                first = next((w for w in name.words if w not in STOPWORDS), "")
                if not first.startswith(word):
                    continue
                if len(first) > len(word):  # "mira" -> "mirabello": an abbreviation
                    score = PREFIX_SCORE
                elif len(name.words) > 1:  # "torre" -> "torre d isola": a clue, never alone
                    score = WORD_SCORE
                else:
                    continue
                key = (name.kind, name.key)
                if key not in found or found[key].score < score:
                    found[key] = Mention(name.kind, name.key, score, index, index + 1)
        return list(found.values())

    # --- deciding ----------------------------------------------------------------------------

    def understand(self, text: str) -> Understanding:
        if not has_letters(text):
            return Understanding("fallback")
        plain = normalize(text).split()
        words = expand_abbreviations(plain)
        cues = _cues(words, plain)
        mentions = self._mentions(words)
        labs = [m for m in mentions if m.kind == "lab"]
        places = [m for m in mentions if m.kind == "place"]
        strong = [m for m in mentions if m.score > PREFIX_SCORE]

        if "elsewhere" in cues and not (cues & {"scuola", "assemblea", "events"}):
            # Weather, buses, shops...: not a lab question; said kindly as such.
            return Understanding("fallback", topic="elsewhere")
        when = _when(text, plain)
        if when is not None and "open_now" in cues:
            cues.add("hours")  # "è aperto sabato?", "open now?"
        if labs and labs[0].score > PREFIX_SCORE:
            lab = self.directory.lab(labs[0].key)
            if lab is not None:
                facet = _facet(cues)
                return Understanding("lab", lab=lab, facet=facet, when=when if facet else None)
        if "scuola" in cues:
            return Understanding("topic", topic="scuola")
        if "assemblea" in cues:
            return Understanding("topic", topic="assemblea")
        audiences = audiences_in(words)
        audience = audiences[0] if audiences else None
        about_activities = audience is not None or "activities" in cues
        if strong:
            specific = _most_specific([m for m in places if m.score > PREFIX_SCORE], self.directory)
            if specific is not None:
                place = self.directory.place(specific.key)
                if place is not None and place.key == "pavia" and place.kind == "comune":
                    if about_activities:  # "attività per bambini a Pavia": all of them
                        return Understanding("activities", audience=audience)
                    return Understanding("topic", topic="laboratori")  # the whole city: the list
                if place is not None and place.located:
                    return self._about_place(place, _facet(cues), audience, about_activities)
        if len({(m.kind, m.key) for m in mentions}) > 1 and not strong:
            return Understanding("ambiguous", choices=tuple(mentions[:6]))
        if len(mentions) == 1 and mentions[0].score == PREFIX_SCORE:  # "mira" -> Mirabello
            only = mentions[0]
            if only.kind == "lab" and (lab := self.directory.lab(only.key)):
                return Understanding("lab", lab=lab, facet=_facet(cues))
            place = self.directory.place(only.key)
            if place is not None and place.located:
                return self._about_place(place, _facet(cues), audience, about_activities)
        if about_activities and "events" not in cues:  # "c'è un corso di italiano?": that one
            keyword = next((w for w in words if w in self._activity_words), None)
            return Understanding("activities", audience=audience, keyword=keyword)
        topic = _topic(cues, words)
        if topic is not None:
            return Understanding("topic", topic=topic)
        if "nearest" in cues or ("where" in cues and _mentions_a_lab(words)):
            return Understanding("ask_location")
        if len(words) <= SHORT_TALK:
            if "thanks" in cues:
                return Understanding("thanks")
            if "greeting" in cues:
                return Understanding("greeting")
        keyword = next((w for w in words if w in self._activity_words), None)
        if keyword is not None:  # "c'è un gruppo di lettura?"
            return Understanding("activities", keyword=keyword)
        return Understanding("fallback")

    def _about_place(
        self,
        place: Place,
        facet: str | None,
        audience: str | None = None,
        about_activities: bool = False,
    ) -> Understanding:
        """A place; but a question about a lab's hours (etc.) there goes to the lab, if exactly
        one stands in that place; and a question about activities, to the activities of the
        labs, nearest to that place first."""
        if facet in LAB_FACETS and place.lat is not None and place.lon is not None:
            lat, lon = place.lat, place.lon
            here = [
                lab
                for lab in self.directory.visible
                if lab.lat is not None
                and lab.lon is not None
                and distance_m(lat, lon, lab.lat, lab.lon) <= IN_PLACE_M
            ]
            if len(here) == 1 and audience is None:
                return Understanding("lab", lab=here[0], facet=facet)
        if about_activities:
            return Understanding("activities", place=place, audience=audience)
        return Understanding("place", place=place, facet=facet)


def _score(window: list[str], name: _Name) -> float | None:
    text = " ".join(window)
    if len(name.text) <= EXACT_ONLY:
        return 100.0 if text == name.text else None
    # Typos rarely hit the first letter of a word: the first and last words must agree on it,
    # so "spazio per bambini" is not "Spazio Q", while "mirabelo" is "Mirabello".
    if window[0][0] != name.words[0][0] or window[-1][0] != name.words[-1][0]:
        return None
    score = fuzz.ratio(text, name.text)
    needed = SHORT_THRESHOLD if len(name.text) <= 6 else THRESHOLD
    return score if score >= needed else None


def _best_non_overlapping(mentions: list[Mention]) -> list[Mention]:
    """Longest, best mentions first; a mention inside a better one is dropped. At one span, a
    lab beats a place of the same name (the Crosione lab, not the Crosione quartiere)."""
    ordered = sorted(
        mentions,
        key=lambda m: (-m.score, -m.length, m.kind != "lab", m.start),
    )
    chosen: list[Mention] = []
    for mention in ordered:
        overlaps = any(mention.start < c.end and c.start < mention.end for c in chosen)
        if overlaps and not any(
            c.start == mention.start and c.end == mention.end and c.kind == mention.kind
            for c in chosen
        ):
            continue
        chosen.append(mention)
    return chosen


def _most_specific(places: list[Mention], directory: Directory) -> Mention | None:
    """Among several places, a neighbourhood beats its whole comune ("Pavia, zona Mirabello"),
    a place of the district beats a town of the gazetteer; otherwise the first one mentioned."""
    if not places:
        return None

    def rank(mention: Mention) -> tuple[int, int, int]:
        place = directory.place(mention.key)
        is_city = place is not None and place.kind == "comune" and place.key == "pavia"
        is_town = place is not None and place.kind == "town"
        return (1 if is_city else 0, 1 if is_town else 0, mention.start)

    return min(places, key=rank)


def _cue_index() -> tuple[dict[str, frozenset[str]], dict[str, frozenset[str]], tuple[int, ...]]:
    """Cue stems by the word they equal, and stems of four letters or more by themselves, for
    the prefix look-up; with the lengths of those stems."""
    exact: dict[str, set[str]] = {}
    prefix: dict[str, set[str]] = {}
    for intent, stems in CUES.items():
        for stem in stems:
            exact.setdefault(stem, set()).add(intent)
            if len(stem) >= 4:
                prefix.setdefault(stem, set()).add(intent)
    lengths = tuple(sorted({len(s) for s in prefix}))

    def freeze(index: dict[str, set[str]]) -> dict[str, frozenset[str]]:
        return {k: frozenset(v) for k, v in index.items()}

    return freeze(exact), freeze(prefix), lengths


_CUE_EXACT, _CUE_PREFIX, _CUE_LENGTHS = _cue_index()
# Phrases by their first word: (the phrase's words, its intent).
_PHRASES: dict[str, list[tuple[tuple[str, ...], str]]] = {}
for _intent, _phrases in PHRASES.items():
    for _phrase in _phrases:
        _words = tuple(_phrase.split())
        _PHRASES.setdefault(_words[0], []).append((_words, _intent))


def _cues(words: list[str], plain: list[str]) -> set[str]:
    """The intents cued by the message: a word equal to a stem, or starting with one of four
    letters or more; or a phrase among the plain words (normalised, before "s" became "san")."""
    found: set[str] = set()
    for word in words:
        if (hit := _CUE_EXACT.get(word)) is not None:
            found |= hit
        size = len(word)
        for length in _CUE_LENGTHS:
            if length > size:
                break
            if (hit := _CUE_PREFIX.get(word[:length])) is not None:
                found |= hit
    for index, word in enumerate(plain):
        for phrase, intent in _PHRASES.get(word, ()):
            if tuple(plain[index : index + len(phrase)]) == phrase:
                found.add(intent)
    return found


_NOW_WORDS = frozenset({"adesso", "ora", "now", "oggi", "today", "stasera", "tonight"})


def _when(text: str, plain: list[str]) -> str | None:
    """The day asked about, for opening hours: "now", or the words naming a day for
    `domain.dates.parse_day` ("date:sabato 19"); the last day named wins ("oggi o domani?")."""
    phrase = find_day(text)
    if phrase is not None and phrase not in TODAY_WORDS:
        return f"date:{phrase}"
    if phrase is not None or any(w in _NOW_WORDS for w in plain):
        return "now"
    return None


def _facet(cues: set[str]) -> str | None:
    for facet in ("hours", "contacts", "activities", "organisation", "where"):
        if facet in cues:
            return facet
    return None


def _mentions_a_lab(words: list[str]) -> bool:
    return any(w in {"laboratorio", "laboratori", "lab", "labs"} for w in words)


def _topic(cues: set[str], words: list[str]) -> str | None:
    lab_word = _mentions_a_lab(words)
    if "events" in cues:
        return "events"
    if "hours" in cues:  # "è aperto adesso?" without saying which lab
        return "hours"
    if "notifications" in cues:
        return "notifications"
    if "list" in cues and lab_word:
        return "laboratori"
    if ("what_is" in cues and lab_word) or "about" in cues:
        return "what_is"
    if "take_part" in cues:
        return "take_part"
    if "contacts" in cues or "info" in cues or "talk" in cues:
        return "contatti"
    if "help" in cues:
        return "help"
    if lab_word and len(words) <= 3:  # "laboratori", "elenco laboratori sociali"
        return "laboratori"
    return None


def lab_named(text: str, directory: Directory, matcher: Matcher) -> str:
    """The id of the visible lab that `text` names as a whole (its name, id or another name,
    or the name with a typo: "crosone"), or "". An address that only mentions a lab ("via
    Crosione 3") names none: it is a place of its own."""
    wanted = normalize(text)
    for lab in directory.visible:
        if wanted in {normalize(lab.name), normalize(lab.id), *map(normalize, lab.aliases)}:
            return lab.id
    words = tokens(text)
    named = {
        m.key
        for m in matcher.mentions(text)
        if m.kind == "lab" and m.score > PREFIX_SCORE and (m.start, m.end) == (0, len(words))
    }
    if len(named) == 1 and (found := directory.lab(named.pop())) is not None:
        return found.id
    return ""
