"""Words as a dictionary knows them: lemmas in Italian and English, everyday words, and the
thesaurus of what community labs do (`data/thesaurus.toml`).

Lemmas come from simplemma's dictionaries (it reads both languages without guessing which one a
message is in, which a bilingual bot needs), turned once into `data/lexicon.bin` by
`data/build_lexicon.py`: 2 MB of compressed blocks searched where they are, instead of the 70 MB
and half a second simplemma's own dictionaries take. A word stands for itself and its Italian
and English lemmas ("feste" -> festa, "walks" -> walk, "biciclette" -> bicicletta); two words
match when those sets meet. `warm()` reads the file at start, never while answering.
"""

from __future__ import annotations

import bisect
import itertools
import json
import tomllib
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from domain.text import normalize

LEXICON = Path(__file__).resolve().parent.parent / "data" / "lexicon.bin"

LANGS = ("it", "en")

# Words that carry no subject: articles, prepositions, pronouns, auxiliaries, question words.
_FUNCTION_TEXT = """
    a ad al allo alla ai agli alle il lo la i gli le l un uno una di del dello della dei degli
    delle da dal dallo dalla dai dagli dalle in nel nello nella nei negli nelle con col coi su
    sul sullo sulla sui sugli sulle per tra fra e ed o od ma se che chi cui non ne ci vi si mi
    ti me te noi voi lui lei loro io tu mio mia miei mie tuo tua suo sua nostro nostra nostri
    vostro vostra c e ce ho ha hai hanno abbiamo avete sono sei siamo siete era fa fanno fare
    faccio posso puoi puo possiamo potete vorrei voglio vuole come dove quando quanto quanti
    cosa cos qual quale quali perche qui qua li la anche ancora gia piu molto poco tanto tutto
    tutti tutte altro altri altre insieme qualcosa qualcuno niente nulla ogni questo questa
    quello quella quel grazie ciao si no ok sotto sopra dopo prima dentro fuori verso
    senza presso es ecc etc
    the a an of to at in on by for with from and or but if that this these those there here is
    are was were be been am do does did have has had i me my we our you your he she his her it
    its they their them what which who whom where when how why can could would should will shall
    may might must any some anything something all also too very much many more most not no yes
    please thanks hi hello just like id im ive s t d ll m re ve under over after before into
    about eg him us myself himself herself yourself ourselves themselves
"""
FUNCTION_WORDS = frozenset(_FUNCTION_TEXT.split())


BLOCK = 4096  # bytes of sorted lines per compressed block


def pack(lines: bytes) -> bytes:
    """The file `data/build_lexicon.py` writes: sorted lines `form, lang, lemma, P` (P: a
    proper name) cut in blocks of about BLOCK bytes (a form's lines kept together), each
    compressed; a header names each block's first form and size."""
    firsts: list[str] = []
    blocks: list[bytes] = []
    start = 0
    while start < len(lines):
        end = lines.find(b"\n", min(start + BLOCK, len(lines) - 1)) + 1 or len(lines)
        while end < len(lines) and lines.startswith(_form(lines, end - 1) + b"\t", end):
            end = lines.find(b"\n", end) + 1
        firsts.append(lines[start : lines.find(b"\t", start)].decode())
        blocks.append(zlib.compress(lines[start:end], 9))
        start = end
    header = json.dumps({"firsts": firsts, "sizes": [len(b) for b in blocks]}).encode()
    return MAGIC + len(header).to_bytes(4, "big") + header + b"".join(blocks)


MAGIC = b"LEX1"


def _form(lines: bytes, newline: int) -> bytes:
    """The form of the line that ends at `newline`."""
    start = lines.rfind(b"\n", 0, newline) + 1
    return lines[start : lines.find(b"\t", start)]


class Lexicon:
    """The words of `data/lexicon.bin`, kept compressed as the file has them (about 3 MB): a
    word's block is found by its first form (a binary search) and decompressed when asked
    (the callers cache what they asked)."""

    def __init__(self, data: bytes):
        if not data.startswith(MAGIC):
            raise ValueError("not a lexicon file: run `make lexicon`")
        size = int.from_bytes(data[4:8], "big")
        header = json.loads(data[8 : 8 + size])
        self._firsts = [first.encode() for first in header["firsts"]]
        self._offsets = list(itertools.accumulate(header["sizes"], initial=8 + size))
        self._data = data

    @classmethod
    def load(cls, path: Path = LEXICON) -> Lexicon:
        return cls(path.read_bytes())

    def entries(self, word: str) -> list[tuple[str, str, bool]]:
        """(lang, lemma, proper name) for each language that knows `word` (normalised)."""
        key = word.encode()
        index = bisect.bisect_right(self._firsts, key) - 1
        if index < 0:
            return []
        block = zlib.decompress(self._data[self._offsets[index] : self._offsets[index + 1]])
        prefix = key + b"\t"
        at = 0 if block.startswith(prefix) else block.find(b"\n" + prefix) + 1
        found = []
        while at > 0 or block.startswith(prefix):
            end = block.find(b"\n", at)
            _, lang, lemma, mark = block[at:end].decode().split("\t")
            found.append((lang, lemma, mark == "P"))
            at = end + 1
            if not block.startswith(prefix, at):
                break
        return found


_lexicon: Lexicon | None = None


def lexicon() -> Lexicon:
    global _lexicon  # the dictionary: read once per process, like the code itself
    if _lexicon is None:
        _lexicon = Lexicon.load()
    return _lexicon


@lru_cache(maxsize=65_536)
def forms(word: str) -> frozenset[str]:
    """The word and its Italian and English lemmas, lower case without accents."""
    return frozenset({word, *(lemma for _, lemma, _ in lexicon().entries(word))})


@lru_cache(maxsize=65_536)
def is_everyday(word: str) -> bool:
    """A word of the Italian or English dictionary that is not a proper name: "banca", "cup",
    "reading" are; "lyon", "crosione" are not (the dictionaries give proper names capitalised)."""
    return any(not proper for _, _, proper in lexicon().entries(word))


def warm() -> None:
    """Reads the dictionary now (at start), so that no question waits for it."""
    lexicon()


def content(words: list[str]) -> list[str]:
    """The words that carry a subject, in order."""
    return [w for w in words if w not in FUNCTION_WORDS and not w.isdigit()]


@dataclass(frozen=True)
class Theme:
    key: str
    it: tuple[str, ...]
    en: tuple[str, ...]

    @property
    def terms(self) -> tuple[str, ...]:
        return self.it + self.en


@dataclass(frozen=True)
class Thesaurus:
    """Themes by the lemmas of their terms: one-word terms in a dictionary, longer ones by
    the lemmas of their first word, matched on the content words of a message in order."""

    themes: tuple[Theme, ...] = ()
    _single: dict[str, frozenset[str]] = field(default_factory=dict, compare=False, repr=False)
    _multi: dict[str, list[tuple[tuple[frozenset[str], ...], str]]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def __post_init__(self) -> None:
        single: dict[str, set[str]] = {}
        for theme in self.themes:
            for term in theme.terms:
                words = content(normalize(term).split())
                if len(words) == 1:
                    for form in forms(words[0]):
                        single.setdefault(form, set()).add(theme.key)
                elif words:
                    sets = tuple(forms(w) for w in words)
                    for form in sets[0]:
                        self._multi.setdefault(form, []).append((sets, theme.key))
        self._single.update({k: frozenset(v) for k, v in single.items()})

    def themes_in(self, words: list[str]) -> set[str]:
        """The themes that content words (normalised, in order) speak of."""
        found: set[str] = set()
        word_forms = [forms(w) for w in words]
        for index, these in enumerate(word_forms):
            for form in these:
                if (hit := self._single.get(form)) is not None:
                    found |= hit
                for sets, key in self._multi.get(form, ()):
                    end = index + len(sets)
                    if end <= len(words) and all(
                        sets[k] & word_forms[index + k] for k in range(1, len(sets))
                    ):
                        found.add(key)
        return found


def load_thesaurus(path: Path) -> Thesaurus:
    """The thesaurus file; raises ValueError naming what is wrong."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    themes = []
    for number, item in enumerate(raw.get("theme", []), start=1):
        key = item.get("key")
        if not isinstance(key, str) or not key:
            raise ValueError(f"theme #{number}: key: must be a text")
        terms = {}
        for lang in LANGS:
            value = item.get(lang, [])
            if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
                raise ValueError(f"theme '{key}': {lang}: must be a list of texts")
            terms[lang] = tuple(t.strip() for t in value if t.strip())
        themes.append(Theme(key=key, it=terms["it"], en=terms["en"]))
    return Thesaurus(themes=tuple(themes))
