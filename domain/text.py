"""Normalising what people type: case, accents, apostrophes, abbreviations."""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[^a-z0-9]+")
# Abbreviations people type in place names: "S. Martino", "S.Genesio", "Sta Maria".
_ABBREVIATIONS = {"s": "san", "s.": "san", "sta": "santa", "sto": "santo", "st": "san"}


def strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def normalize(text: str) -> str:
    """Lower case, no accents, words separated by single spaces: "Travacò" -> "travaco"."""
    text = strip_accents(text.lower())
    text = text.replace("’", " ").replace("'", " ").replace("`", " ")
    text = re.sub(r"\b(s|sta|sto|st)\.\s*", lambda m: _ABBREVIATIONS[m.group(1)] + " ", text)
    return _NON_WORD.sub(" ", text).strip()


def tokens(text: str) -> list[str]:
    return expand_abbreviations(normalize(text).split())


def expand_abbreviations(words: list[str]) -> list[str]:
    """A lone "s" before a word is "san" ("s martino"), as typed without the dot."""
    return [
        _ABBREVIATIONS.get(w, w) if w in {"s", "st"} and i + 1 < len(words) else w
        for i, w in enumerate(words)
    ]


def one_line(text: str) -> str:
    """A field that is one line (a title, a name, a place): every run of white space, line
    breaks included, becomes one space. What staff and people type there with a line break (a
    paste, Shift+Enter) is the same words on one line; a line break in an e-mail header or a
    button label breaks it."""
    return " ".join(text.split())


def has_letters(text: str) -> bool:
    return any(c.isalpha() for c in text)
