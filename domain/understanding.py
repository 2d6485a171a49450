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

import itertools
import re
from dataclasses import dataclass
from datetime import date
from functools import lru_cache

from rapidfuzz import fuzz, process

from domain import lexicon
from domain.activities import AUDIENCE_WORDS, Activity, ages_in, audiences_in
from domain.dates import TODAY_WORDS, find_day
from domain.directory import Directory, Lab, Place
from domain.geo import distance_m
from domain.lexicon import content, forms, is_everyday
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
    "organisation": ("chi organizza", "chi organizzano", "who organises", "who organizes",
                     "who runs", "who is behind"),
    "talk": ("parlare con", "talk to", "speak to", "speak with", "talk with"),
    "elsewhere": ("che tempo fa", "previsioni del tempo", "what s the weather"),
    "assemblea": ("riunione della rete", "incontro di rete", "incontro della rete",
                  "network meeting"),
}  # fmt: skip

SHORT_TALK = 4  # greetings and thanks count only in messages this short (in words)
ACTIVITY_WORD_MIN = 4
# Words of activity descriptions too general, alone, to say which activity is meant; two of
# them in a row ("patto di collaborazione") or in a quoted title ("Sotto l'ombrellone") do.
GENERIC_WORDS = {
    "quartiere", "quartieri", "incontro", "incontri", "iniziative", "iniziativa", "momenti",
    "residenti", "comune", "spazi", "pubblici", "pubblico", "collaborazione", "patto", "inferred",
    "attivita", "gruppo", "gruppi", "estate", "estive", "estivi", "ombrellone",
    "neighbourhood", "events", "residents", "public", "spaces", "agreement", "collaboration",
    "summer", "renewal", "together", "persone", "people", "sotto", "under", "cura", "care",
    "corso", "corsi", "course", "courses", "class", "classes", "lezione", "lezioni", "lessons",
    "laboratorio", "laboratori", "lab", "labs", "workshop", "group", "club", "activity",
    "activities", "evento", "eventi", "event", "city", "citta", "servizio", "service", "sociale",
}  # fmt: skip
# Words that say a message is after an activity, with the activity after them ("un corso di
# yoga", "a yoga class" has it before).
CONTAINERS = frozenset(
    {"corso", "corsi", "lezione", "lezioni", "laboratorio", "laboratori", "gruppo", "gruppi",
     "attivita", "servizio", "servizi", "club", "circolo", "scuola", "workshop", "class",
     "classes", "course", "courses", "lessons", "group", "groups", "activity", "activities",
     "iniziativa", "iniziative", "sessione", "session"}
)  # fmt: skip
_DETERMINERS = frozenset(
    {"un", "uno", "una", "il", "lo", "la", "l", "i", "gli", "le", "dei", "degli", "delle", "del",
     "della", "dello", "dell", "qualche", "di", "d", "a", "an", "the", "any", "some", "of", "per",
     "for", "on", "in", "to"}
)  # fmt: skip
_LINKS = ("di", "del", "dello", "della", "dell", "dei", "degli", "delle")
# How a message asks for a thing: the word after one of these (past articles) is what it seeks.
_SEEKING = (
    ("c", "e"), ("ci", "sono"), ("dov", "e"), ("dove", "e"), ("dove", "si", "trova"),
    ("dove", "trovo"), ("dove", "posso", "trovare"), ("cerco",),
    *((hours, link) for hours in ("orari", "orario") for link in _LINKS),
    ("esiste",), ("avete",), ("fate",), ("organizzate",), ("is", "there"), ("are", "there"),
    ("where", "is"), ("where", "s"), ("hours", "of"), ("looking", "for"), ("do", "you", "have"),
    ("do", "you", "do"),
)  # fmt: skip
_SEEKING_BY_HEAD: dict[str, tuple[tuple[str, ...], ...]] = {}
for _pattern in _SEEKING:
    _SEEKING_BY_HEAD[_pattern[0]] = (*_SEEKING_BY_HEAD.get(_pattern[0], ()), _pattern)
_OF = frozenset({"di", "d", "of", "del", "della", "dello", "dell"})
_SEEK_HEADS = frozenset(_SEEKING_BY_HEAD) | CONTAINERS
_SKIP_AFTER_SEEKING = _DETERMINERS | lexicon.FUNCTION_WORDS
# Words the bot reads as its own subject when sought ("c'è un posto per...", "dov'è la sede?").
_BOT_NOUNS = frozenset(
    {"posto", "luogo", "spazio", "centro", "sede", "persona", "referente", "responsabile", "modo",
     "possibilita", "occasione", "opportunita", "novita", "place", "way", "chance", "room",
     "person", "someone", "opportunity", "news", "something", "anything", "nothing", "thing",
     "cosa", "cose", "roba", "niente", "nulla", "qualcosa", "other", "altro", "one", "uno",
     "oggi", "domani", "settimana", "giorno", "giorni", "mese", "mattina", "pomeriggio", "sera",
     "serata", "weekend", "today", "tomorrow", "week", "day", "days", "month", "morning",
     "afternoon", "evening", "lunedi", "martedi", "mercoledi", "giovedi", "venerdi", "sabato",
     "domenica", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"}
)  # fmt: skip
# Italian articles and words before a noun: "una scala", "lo spazio", "i vicini" are the
# everyday nouns, not the neighbourhood, the lab or "near" (in English, "the Borgo" is the place).
_ARTICLES = frozenset(
    {"un", "uno", "una", "il", "lo", "la", "l", "i", "gli", "le", "dei", "delle", "degli", "coi",
     "miei", "mie", "mio", "mia", "nostri", "nostre", "tuoi", "suoi", "quella", "quello",
     "questa", "questo"}
)  # fmt: skip
# Schools that are not the Scuola dei Laboratori Sociali: "scuola media", "high school".
_OTHER_SCHOOLS_AFTER = frozenset(
    {"media", "medie", "elementare", "elementari", "superiore", "superiori", "primaria",
     "secondaria", "materna", "materne", "infanzia", "guida", "calcio", "danza", "serale",
     "paritaria", "statale"}
)  # fmt: skip
_OTHER_SCHOOLS_BEFORE = frozenset(
    {"middle", "high", "primary", "elementary", "secondary", "nursery", "driving", "grammar",
     "boarding", "dance", "language"}
)  # fmt: skip
# The Assemblea in other words: a gathering of the whole network.
_GATHERING = frozenset(
    {"riunire", "riunione", "riunirsi", "incontrare", "incontro", "ritrovare", "radunare",
     "raduno", "meet", "meeting", "gather", "gathering", "assemble", "convene", "plenaria",
     "plenary", "convegno"}
)  # fmt: skip
_WHOLE_NETWORK = frozenset({"rete", "network", "generale", "general", "plenaria", "plenary"})
_ALL = frozenset({"tutti", "all", "every", "insieme"})


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
    keyword: str | None = None  # the word of an activity asked about ("yoga")
    # For `activities`: what the activities asked about are, as `Matcher.matches` reads it.
    wanted: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Name:
    words: tuple[str, ...]
    text: str
    kind: str
    key: str
    needed: float  # the fuzz.ratio this name needs; 100 means exactly as written
    town: bool = False  # from the gazetteer
    world: bool = False  # a city outside Italy: matched only as written
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
                        world=place.abroad,
                        lookalikes=frozenset(place.lookalikes),
                    )
                )
        unique = {(n.text, n.kind, n.key): n for n in names if n.text}
        self.names = list(unique.values())
        self._index()
        # What each activity is about (its themes, distinctive words, pairs of words and the
        # words of its title): a message that shares any of it asks about that activity.
        lexicon.warm()
        self.thesaurus = directory.thesaurus
        self._signatures: dict[Activity, frozenset[str]] = {}
        self._runs: dict[str, set[str]] = {}  # signature element -> ids of the labs
        for lab in directory.visible:
            for activity in lab.activities:
                signature = self._signature(activity)
                self._signatures[activity] = signature
                for element in signature:
                    self._runs.setdefault(element, set()).add(lab.id)
        self._known = frozenset(self._runs)
        # The same, by kind, without their prefixes: a message is read with set look-ups.
        self._known_words = frozenset(e[2:] for e in self._known if e.startswith("w:"))
        self._known_pairs = frozenset(e[2:] for e in self._known if e.startswith("p:"))
        self._pair_words = frozenset(w for pair in self._known_pairs for w in pair.split())

    def _signature(self, activity: Activity) -> frozenset[str]:
        text = " ".join((activity.what, activity.what_en, *activity.keywords))
        title = {w for quoted in _QUOTED.findall(text) for w in tokens(quoted)}
        words = content(tokens(text))
        generic, audience = _generic_forms(), _audience_forms()
        found = {f"t:{key}" for key in self.thesaurus.themes_in(words)}
        for word in words:
            these = forms(word)
            if word in title or (
                len(word) >= ACTIVITY_WORD_MIN and not these & generic and not these & audience
            ):
                found |= {f"w:{f}" for f in these}
        keywords = [w for k in activity.keywords for w in content(tokens(k))]
        found |= {f"w:{f}" for w in keywords for f in forms(w)}
        found |= _pairs(words)
        return frozenset(found)

    def wanted(self, words: list[str]) -> frozenset[str]:
        """What of the labs' activities content words ask about (empty: none)."""
        known, pair_words = self._known_words, self._pair_words
        direct = {f"w:{f}" for w in words for f in forms(w) if f in known}
        for first, second in itertools.pairwise(words):
            if forms(first) & pair_words and forms(second) & pair_words:
                for a in forms(first):
                    for b in forms(second):
                        if f"{a} {b}" in self._known_pairs:
                            direct.add(f"p:{a} {b}")
        if direct:  # its own words first: "feste" is the Feste
            return frozenset(direct)
        themes = {f"t:{key}" for key in self.thesaurus.themes_in(words)}
        return frozenset(themes & self._known)

    def matches(self, activity: Activity, wanted: frozenset[str]) -> bool:
        """Whether `activity` (of a visible lab) is one that `wanted` asks about."""
        signature = self._signatures.get(activity)
        if signature is None:
            signature = self._signature(activity)
        return bool(signature & wanted)

    def labs_running(self, wanted: frozenset[str]) -> set[str]:
        return {lab_id for element in wanted for lab_id in self._runs.get(element, ())}

    @staticmethod
    def _name(
        text: str,
        kind: str,
        key: str,
        *,
        town: bool = False,
        world: bool = False,
        lookalikes: frozenset[str] = frozenset(),
    ) -> _Name:
        words = tuple(tokens(text))
        joined = " ".join(words)
        if world:
            needed = 100.0
        elif town:
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
            world=world,
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
            if size >= 2 and not name.world:
                joined.setdefault(name.joined[0], []).append(name)
            head = next((w for w in name.words if w not in STOPWORDS), "")
            if len(head) >= PREFIX_MIN and not name.town:
                prefixes.setdefault(head[:PREFIX_MIN], []).append(name)
        self._fuzzy = {k: (v, [n.text for n in v]) for k, v in fuzzy.items()}
        self._led = {k: (v, [n.text for n in v]) for k, v in led.items()}
        self._joined = {k: (v, [n.joined for n in v]) for k, v in joined.items()}
        self._prefixes = prefixes
        self._widest = max((len(n.words) for n in self.names if n.needed < 100), default=0) + 1
        # Exact-only names by their first word, with their widths: a window is built for them
        # only when it starts with such a word (the world's cities do not slow every message).
        heads: dict[str, set[int]] = {}
        for name in self.names:
            if name.needed >= 100.0:
                heads.setdefault(name.words[0], set()).add(len(name.words))
        self._exact_heads = {k: (frozenset(v), max(self._widest, *v)) for k, v in heads.items()}
        self._no_exact: tuple[frozenset[int], int] = (frozenset(), self._widest)

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
            exact, widest = self._exact_heads.get(word, self._no_exact)
            for width in range(1, min(widest, count - start) + 1):
                end = start + width
                # Most windows can match nothing: look the bucket up before building the text.
                bucket = buckets.get((head, words[end - 1][0], width))
                if bucket is None and width not in exact:
                    continue
                if stop and all(w in STOPWORDS for w in words[start:end]):
                    continue
                joined_text = " ".join(words[start:end])
                if width in exact:
                    for name in self._exact.get(joined_text, ()):
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

    def understand(self, text: str, today: date | None = None) -> Understanding:
        """The decision for one message; `today` (the local date) tells current activities
        from past ones, for "a che ora c'è ...?" about an activity."""
        if not has_letters(text):
            return Understanding("fallback")
        plain = normalize(text).split()
        words = expand_abbreviations(plain)
        cues = _cues(words, plain)
        mentions = _in_context(self._mentions(words), words)
        labs = [m for m in mentions if m.kind == "lab"]
        places = [m for m in mentions if m.kind == "place"]
        strong = [m for m in mentions if m.score > PREFIX_SCORE]
        named = {i for m in strong for i in range(m.start, m.end)}
        rest = content([w for i, w in enumerate(words) if i not in named])
        wanted = self.wanted(rest)
        sought, through = _sought(words, named)
        if _other_school(words):  # "scuola media": a school, not the Scuola dei Laboratori
            cues -= {"scuola"}
            if not wanted:
                cues.add("elsewhere")
        if _whole_network_meets(words):  # "quando si riuniscono tutti i laboratori?"
            cues.add("assemblea")

        if "elsewhere" in cues and not (cues & {"scuola", "assemblea", "events"}):
            # Weather, buses, shops...: not a lab question; said kindly as such.
            return Understanding("fallback", topic="elsewhere")
        # What the message seeks is something the network does not do ("orari dell'anagrafe",
        # "c'è una banca vicino a Scala?"): not a lab question, whatever place it names.
        if (
            sought is not None
            and not wanted
            and not through
            and not (cues & {"scuola", "assemblea", "events"})
            and self._foreign(sought, text)
        ):
            return Understanding("fallback", topic="elsewhere")
        # An activity asked for that no lab has told the bot of ("c'è un corso di yoga?").
        missing = None
        asked_as_activity = through or "activities" in cues
        if sought is not None and not wanted and not self._own(sought):  # noqa: SIM102
            if asked_as_activity or self.thesaurus.themes_in([sought]):
                missing = sought
        when = _when(text, plain)
        if when is not None and "open_now" in cues:
            cues.add("hours")  # "è aperto sabato?", "open now?"
        if labs and self._a_word_of_elsewhere(labs[0], words, places):
            labs = []  # "vivo a Milano, zona Navigli": Milan's canals, not Il Naviglio
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
        about_activities = audience is not None or "activities" in cues or bool(wanted)
        if missing is not None:
            return Understanding("fallback", topic="not_found", keyword=missing)
        if strong:
            specific = _most_specific([m for m in places if m.score > PREFIX_SCORE], self.directory)
            if specific is not None:
                place = self.directory.place(specific.key)
                if place is not None and place.key == "pavia" and place.kind == "comune":
                    if about_activities:  # "attività per bambini a Pavia": all of them
                        return Understanding("activities", audience=audience, wanted=wanted)
                    return Understanding("topic", topic="laboratori")  # the whole city: the list
                if place is not None and place.located:
                    return self._about_place(
                        place, _facet(cues), audience, about_activities, wanted
                    )
        if len({(m.kind, m.key) for m in mentions}) > 1 and not strong:
            return Understanding("ambiguous", choices=tuple(mentions[:6]))
        if len(mentions) == 1 and mentions[0].score == PREFIX_SCORE:  # "mira" -> Mirabello
            only = mentions[0]
            if only.kind == "lab" and (lab := self.directory.lab(only.key)):
                return Understanding("lab", lab=lab, facet=_facet(cues))
            place = self.directory.place(only.key)
            if place is not None and place.located:
                return self._about_place(place, _facet(cues), audience, about_activities, wanted)
        if wanted and "events" not in cues:
            # An activity with its hours, place or people ("a che ora c'è il gruppo di
            # lettura?"): the lab that runs it, when one does.
            facet = _facet(cues) or ("hours" if _asks_when(words) else None)
            running = self.labs_running(wanted)
            if facet in {"hours", "where", "contacts", "organisation"} and len(running) == 1:
                lab = self.directory.lab(next(iter(running)))
                if lab is not None:
                    # When: the activity's own time, with the lab's other activities (or
                    # when it ran, if it is over); where: the lab, while the activity is on.
                    if facet == "hours" or not self._current(lab, wanted, today):
                        facet = "activities" if facet in {"hours", "where"} else facet
                    return Understanding("lab", lab=lab, facet=facet, when=when)
        if about_activities and ("events" not in cues or wanted):
            return Understanding("activities", audience=audience, wanted=wanted)
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
        return Understanding("fallback")

    def _a_word_of_elsewhere(self, lab: Mention, words: list[str], places: list[Mention]) -> bool:
        """A lab named by one everyday word, in a message that names a town outside the
        district: the word is that town's."""
        if lab.length != 1 or not is_everyday(words[lab.start]):
            return False
        return any(
            (place := self.directory.place(m.key)) is not None
            and not place.in_district
            and m.score > PREFIX_SCORE
            for m in places
        )

    def _current(self, lab: Lab, wanted: frozenset[str], today: date | None) -> bool:
        """Whether one of `lab`'s activities that `wanted` asks about is still on."""
        return any(
            self.matches(a, wanted) and (today is None or not a.is_past(today))
            for a in lab.activities
        )

    def _own(self, word: str) -> bool:
        """A word the bot reads as its own subject: a cue, an audience, a lab's word."""
        return (
            bool(_cues([word], [word]))
            or word in AUDIENCE_WORDS
            or bool(ages_in([word]))
            or word in _BOT_NOUNS
            or word in STOPWORDS
            or bool(forms(word) & _generic_forms())
        )

    def _foreign(self, word: str, text: str) -> bool:
        """A thing the network does not do: an everyday word (or an acronym: "ASL", "CUP")
        that is none of the bot's own words nor of what labs do."""
        if self._own(word) or self.thesaurus.themes_in([word]):
            return False
        acronym = any(t.isupper() and normalize(t) == word for t in re.findall(r"\w+", text))
        return acronym or is_everyday(word)

    def _about_place(
        self,
        place: Place,
        facet: str | None,
        audience: str | None = None,
        about_activities: bool = False,
        wanted: frozenset[str] = frozenset(),
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
            return Understanding("activities", place=place, audience=audience, wanted=wanted)
        return Understanding("place", place=place, facet=facet)


_QUOTED = re.compile(r'["«“]([^"»”]+)["»”]')


@lru_cache(maxsize=1)
def _generic_forms() -> frozenset[str]:
    return frozenset(f for word in GENERIC_WORDS for f in forms(word))


@lru_cache(maxsize=1)
def _audience_forms() -> frozenset[str]:
    return frozenset(f for word in AUDIENCE_WORDS for f in forms(word))


def _pairs(words: list[str]) -> set[str]:
    """Two content words in a row, by their forms: "patto collaborazione"."""
    found = set()
    for first, second in itertools.pairwise(words):
        if len(first) >= 3 and len(second) >= 3:
            found |= {f"p:{a} {b}" for a in forms(first) for b in forms(second)}
    return found


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
    a place of the district beats a town of the gazetteer; otherwise the first one mentioned.
    But a neighbourhood's word said with another town is that town's district ("abito a
    Milano, zona Città Studi", "vivo a Roma, quartiere San Pietro"): the town."""
    if not places:
        return None
    found = [(m, directory.place(m.key)) for m in places]
    quarters = [m for m, p in found if p is not None and p.kind == "quartiere"]
    other_town = any(
        p is not None
        and p.kind in {"town", "comune"}
        and p.key != "pavia"
        and not any(m.start < q.end and q.start < m.end for q in quarters)
        for m, p in found
    )

    def rank(mention: Mention) -> tuple[int, int, int, int]:
        place = directory.place(mention.key)
        is_city = place is not None and place.kind == "comune" and place.key == "pavia"
        is_town = place is not None and place.kind == "town"
        elsewhere = other_town and place is not None and place.kind == "quartiere"
        return (1 if elsewhere else 0, 1 if is_city else 0, 1 if is_town else 0, mention.start)

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
    letters or more; or a phrase among the plain words (normalised, before "s" became "san").
    "Vicino" after an article is the neighbour ("i vicini"), not "near"."""
    found: set[str] = set()
    for index, word in enumerate(words):
        if word.startswith("vicin") and index and words[index - 1] in _ARTICLES:
            continue
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


def _in_context(mentions: list[Mention], words: list[str]) -> list[Mention]:
    """Mentions that the words around them allow: one word that is also an everyday noun,
    after an article ("una scala", "lo spazio", "il centro"), is the noun, not the place or lab."""
    return [
        m
        for m in mentions
        if not (
            m.length == 1
            and m.start
            and words[m.start - 1] in _ARTICLES
            and is_everyday(words[m.start])
        )
    ]


def _sought(words: list[str], named: set[int]) -> tuple[str | None, bool]:
    """What the message asks for ("c'è una banca", "orari dell'anagrafe", "is there a yoga
    class", "un corso di ceramica"), as its first content word, unless it is a name; and
    whether it was asked as an activity (after "corso di", before "class")."""
    if _SEEK_HEADS.isdisjoint(words):
        return None, False
    skip = _SKIP_AFTER_SEEKING
    count = len(words)

    def after(index: int) -> int:
        while index < count and words[index] in skip and index not in named:
            index += 1
        return index

    for start, word in enumerate(words):
        end = None
        for pattern in _SEEKING_BY_HEAD.get(word, ()):
            if tuple(words[start : start + len(pattern)]) == pattern:
                end = start + len(pattern)
                break
        through = False
        if end is None:
            if word in CONTAINERS and start + 1 < count and words[start + 1] in _OF:
                end, through = start + 1, True
            else:
                continue
        index = after(end)
        if index < count and words[index] in CONTAINERS:
            through = True
            index = after(index + 1)
        if index >= count or index in named:
            return None, through
        if index + 1 < count and words[index + 1] in CONTAINERS:
            through = True  # "a yoga class"
        return words[index], through
    return None, False


_SCHOOL_LINKS = frozenset({"di", "d", "del", "della", "dell", "per"})


def _other_school(words: list[str]) -> bool:
    for index, word in enumerate(words):
        if word in {"scuola", "scuole"}:
            following = [w for w in words[index + 1 : index + 3] if w not in _SCHOOL_LINKS]
            if following and following[0] in _OTHER_SCHOOLS_AFTER | {"musica", "lingue", "ballo"}:
                return True
        if word in {"school", "schools"} and index and words[index - 1] in _OTHER_SCHOOLS_BEFORE:
            return True
    return False


def _whole_network_meets(words: list[str]) -> bool:
    """A gathering of the whole network: "quando si riuniscono tutti i laboratori?", "the
    network's general meeting"."""
    if not any(w in _WHOLE_NETWORK or w in _ALL for w in words):
        return False
    if not any(forms(w) & _GATHERING for w in words):
        return False
    if any(w in _WHOLE_NETWORK for w in words):
        return True
    return any(
        w in _ALL and any(_mentions_a_lab([x]) for x in words[i + 1 : i + 4])
        for i, w in enumerate(words)
    )


def _asks_when(words: list[str]) -> bool:
    return any(w in {"quando", "when"} for w in words)


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
