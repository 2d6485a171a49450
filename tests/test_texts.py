"""Texts: both catalogs complete, same placeholders, valid Telegram HTML, every key used exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot import tghtml
from bot.i18n import LANGUAGES, Catalog, Html, language_for, placeholders

ROOT = Path(__file__).resolve().parent.parent
CATALOG = Catalog.load()


def test_both_languages_have_every_text_with_the_same_placeholders():
    keys = CATALOG.keys("it")
    assert keys == CATALOG.keys("en")
    for key in keys:
        assert placeholders(CATALOG.raw("it", key)) == placeholders(CATALOG.raw("en", key)), key


def test_every_text_is_valid_telegram_html():
    for lang in LANGUAGES:
        for key in CATALOG.keys(lang):
            values = {name: "x" for name in placeholders(CATALOG.raw(lang, key))}
            tghtml.parse(CATALOG.text(lang, key, **values))


def test_every_key_the_code_uses_exists():
    used: set[str] = set()
    pattern = re.compile(
        r"""(?:\.t|\.label|\.text|\.plain|text_key=?)\(?\s*(?:lang,\s*)?["']([a-z_]+\.[a-z_.]+)["']"""
    )
    for folder in ("bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            used |= set(pattern.findall(path.read_text(encoding="utf-8")))
    for path in (ROOT / "handlers").rglob("*.py"):
        used |= set(re.findall(r'CommandSpec\([^)]*"(cmd\.[a-z_]+)"', path.read_text()))
    assert len(used) > 20
    missing = {key for key in used if key not in CATALOG.keys("it")}
    assert not missing


def test_values_are_escaped_unless_marked_html():
    assert CATALOG.text("it", "fallback.command", command="<b>&") == (
        "Non conosco il comando &lt;b&gt;&amp;. Ecco cosa posso fare:"
    )
    assert "<i>x</i>" in CATALOG.text("it", "fallback.command", command=Html("<i>x</i>"))


def test_language_choice_from_telegram():
    assert language_for("en") == language_for("en-US") == "en"
    assert language_for("it") == language_for(None) == language_for("fr") == "it"


def test_a_missing_english_text_falls_back_to_italian():
    catalog = Catalog({"it": {"a.b": "ciao"}, "en": {}})
    assert catalog.text("en", "a.b") == "ciao"


# Placeholders that hold a number. In a text without plural forms they may stand only where no
# word has to agree with them (label style: "confermati: 3"); "{count} persone" needs plurals.
NUMBERS = {
    "count", "confirmed", "waiting", "cancelled", "people", "signups", "sent", "total",
    "unreachable", "stopped", "users", "asked", "understood", "active", "blocked", "new",
    "busiest_people", "minutes", "seconds", "attempts", "limit", "length", "capacity",
    "mail_waiting", "mail_failed", "sending", "scheduled", "position", "percent",
}  # fmt: skip
_AGREES = re.compile(r"\{(\w+)\} +([^\W\d_]\w*)")
CONNECTIVES = {"su", "di", "of", "e", "and"}


def plural_keys(lang: str) -> set[str]:
    return {key for key in CATALOG.keys(lang) if CATALOG.is_plural(lang, key)}


def test_every_text_with_a_count_has_its_plural_forms():
    assert plural_keys("it") == plural_keys("en")
    assert len(plural_keys("it")) >= 15
    for lang in LANGUAGES:
        for key in CATALOG.keys(lang):
            if CATALOG.is_plural(lang, key):
                continue
            for name, word in _AGREES.findall(CATALOG.raw(lang, key)):
                assert name not in NUMBERS or word in CONNECTIVES, (lang, key, name, word)


@pytest.mark.parametrize("count", [0, 1, 2, 5])
def test_each_plural_text_for_0_1_2_and_5(count):
    expected_form = {"it": 0 if count == 1 else 1, "en": 0 if count == 1 else 1}
    for lang in LANGUAGES:
        for key in sorted(plural_keys(lang)):
            forms = CATALOG.forms(lang, key)
            assert len(forms) == 2, (lang, key)
            assert placeholders(forms[0]) - {"count"} == placeholders(forms[1]) - {"count"}
            assert "count" in placeholders(forms[1]), (lang, key)  # "5 ...": the number shows
            values = {name: "x" for name in placeholders(forms[1]) if name != "count"}
            text = CATALOG.text(lang, key, count=count, **values)
            form = forms[expected_form[lang]]
            assert text == form.format_map({**values, "count": str(count)}), (lang, key, count)
            tghtml.parse(text)
    it = CATALOG.text("it", "annuncio.confirm", count=count, audience="x")
    en = CATALOG.text("en", "annuncio.confirm", count=count, audience="x")
    if count == 1:
        assert "Lo riceverà <b>1</b> persona" in it and "<b>1</b> person will" in en
    else:
        assert f"Lo riceveranno <b>{count}</b> persone" in it and f"{count}</b> people" in en


def test_a_count_is_written_as_people_of_the_language_write_numbers():
    assert "Lo riceveranno <b>12.345</b> persone" in CATALOG.text(
        "it", "annuncio.confirm", count=12345, audience="x"
    )
    assert "<b>12,345</b> people" in CATALOG.text(
        "en", "annuncio.confirm", count=12345, audience="x"
    )


# A title is shown as it was written ("Assemblea di Rete di primavera", "Il Barrio in festa"), and
# Italian joins a preposition to the article a title may begin with ("alla", "del"): no text
# puts a preposition right before a title ("ci sarai a «Assemblea...»"), nor a participle right
# after it ("<b>Assemblea</b> annullato"), whose gender would have to agree with it. A noun does
# the joining instead ("all'incontro «{title}»"), or a colon ("Incontro annullato: {title}").
_PREPOSITION = (
    r"a|ad|di|d'|da|in|su|con|per|tra|fra|"
    r"(?:a|da|di|de|ne|su)(?:l|llo|lla|ll'|i|gli|lle)"
)
_BEFORE_TITLE = re.compile(rf"(?<![\w'])(?:{_PREPOSITION})\s*(?:«|<b>|<i>)?\{{title\}}", re.I)
_AFTER_TITLE = re.compile(r"\{title\}(?:»|</b>|</i>)?\s+[a-z]+(?:at|it|ut)[oaie]\b")


def test_no_preposition_before_a_title_nor_a_participle_after_it():
    for key in CATALOG.keys("it"):
        for form in CATALOG.forms("it", key):
            assert not _BEFORE_TITLE.search(form), key
            assert not _AFTER_TITLE.search(form), key
    assert "ci sarai all'incontro «Assemblea di Rete di primavera»" in CATALOG.text(
        "it", "events.see_you_long", title="Assemblea di Rete di primavera"
    )


def test_every_data_text_shown_to_people_has_its_english():
    """The data files carry the English of what cards show (a lab's area), like the catalogs."""
    from domain.directory import DATA_DIR, load

    directory = load(DATA_DIR)
    missing = [lab.id for lab in directory.labs if lab.area and not lab.area_en]
    assert missing == []
    crosione = directory.lab("crosione")
    assert crosione is not None
    assert crosione.area_in("en") == "Crosione, Pavia (east)"
    assert crosione.area_in("it") == "Crosione, Pavia (zona est)"
