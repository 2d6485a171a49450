"""Builds data/lexicon.bin: the Italian and English words the bot knows, each with its lemma,
so a question's words are read by their lemma ("feste" -> festa, "walks" -> walk) and an
everyday word is told from a proper name.

Run `make lexicon`. The bot only reads the file this writes; the package below is not needed to
run or test the bot.

Source: the dictionaries of simplemma 2.0.0 (MIT licence; its word lists come from the sources
its documentation names), as shipped inside the package on the Python package index. Each form
is kept under the bot's own normalisation (lower case, no accents: what `domain.text.normalize`
makes of a message), with its lemma normalised the same way and a mark when the dictionary
gives the lemma capitalised (a proper name: "Lyon", not an everyday word). Where two forms
normalise alike, the everyday reading wins, then the first in the dictionary.

Why a file of our own: simplemma's dictionaries take about 70 MB of memory once loaded and half
a second to load; this file is 2 MB of compressed blocks that the bot keeps as they are
(`domain.lexicon`), read in a few milliseconds.

Format (`domain.lexicon.pack`): UTF-8 lines, one per form, sorted by its bytes,
`form <TAB> lang <TAB> lemma <TAB> P-or-empty`, `lang` being "it" or "en" (a form of both
languages has two lines, Italian first); cut in blocks of about 4 KB, each zlib-compressed, after
a header naming each block's first form and size. The bot keeps the file as it is (about 3 MB)
and decompresses the block of a word it is asked.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from domain.lexicon import pack  # noqa: E402
from domain.text import normalize  # noqa: E402

LANGS = ("it", "en")
OUT = ROOT / "data" / "lexicon.bin"


def main() -> None:
    from simplemma.strategies.dictionaries.dictionary_factory import DefaultDictionaryFactory

    factory = DefaultDictionaryFactory()
    rows: dict[tuple[str, str], tuple[str, bool]] = {}
    for lang in LANGS:
        for form, lemma in factory.get_dictionary(lang).items():
            key = normalize(str(form))
            if not key or "\t" in key or "\n" in key or " " in key:
                continue
            text = str(lemma)
            proper = text[:1].isupper()
            found = rows.get((key, lang))
            if found is None or (found[1] and not proper):  # the everyday reading wins
                rows[(key, lang)] = (normalize(text) or key, proper)
    order = {lang: n for n, lang in enumerate(LANGS)}
    lines = [
        f"{key}\t{lang}\t{lemma}\t{'P' if proper else ''}"
        for (key, lang), (lemma, proper) in sorted(
            rows.items(), key=lambda item: (item[0][0].encode(), order[item[0][1]])
        )
    ]
    blob = ("\n".join(lines) + "\n").encode()
    OUT.write_bytes(pack(blob))
    print(f"{OUT.name}: {len(lines):,} forms, {len(blob) / 1e6:.1f} MB, "
          f"{OUT.stat().st_size / 1e6:.1f} MB compressed")  # fmt: skip


if __name__ == "__main__":
    main()
