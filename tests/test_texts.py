"""Texts: both catalogs complete, same placeholders, valid Telegram HTML, every key used exists."""

from __future__ import annotations

import re
from pathlib import Path

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
