"""User-facing texts, from gettext catalogs in `bot/locales/<lang>/LC_MESSAGES/labbot.po`.

Why gettext `.po` files read with Babel: it is the standard format, editable with Poedit or any
text editor by staff who never touch Python, and translators' tools understand it. Message ids
are stable keys (`start.welcome`) rather than Italian sentences, so rewording the Italian never
orphans the English, and a test can prove both catalogs complete. The `.po` files are read
directly at start (no compiled `.mo` to forget to rebuild).

Placeholders use `{name}`; values are HTML-escaped unless wrapped in `Html`, so text from users
or data files can never break Telegram's HTML parse mode.
"""

from __future__ import annotations

import html
import string
from collections.abc import Mapping
from pathlib import Path

from babel.messages.pofile import read_po
from babel.numbers import format_decimal

LANGUAGES = ("it", "en")
DEFAULT_LANGUAGE = "it"
DOMAIN = "labbot"
LOCALES_DIR = Path(__file__).parent / "locales"
LANGUAGE_NAMES = {"it": "Italiano", "en": "English"}


class Html(str):
    """A string that is already valid Telegram HTML and must not be escaped again."""


def language_for(code: str | None) -> str:
    """The catalog for a Telegram `language_code`: English for English speakers, else Italian."""
    if code and code.lower().split("-")[0] == "en":
        return "en"
    return DEFAULT_LANGUAGE


def number(value: int, lang: str) -> str:
    """A count as people of `lang` write it: 12.345 in Italian, 12,345 in English."""
    return format_decimal(value, locale="it_IT" if lang == "it" else "en_GB")


def escape(value: object) -> str:
    if isinstance(value, Html):
        return str(value)
    return html.escape(str(value), quote=False)


class CatalogError(Exception):
    pass


class Catalog:
    def __init__(self, messages: Mapping[str, Mapping[str, str]]):
        self._messages = {lang: dict(messages.get(lang, {})) for lang in LANGUAGES}

    @classmethod
    def load(cls, directory: Path = LOCALES_DIR) -> Catalog:
        messages: dict[str, dict[str, str]] = {}
        for lang in LANGUAGES:
            path = directory / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
            try:
                with path.open("rb") as handle:
                    catalog = read_po(handle, locale=lang, abort_invalid=True)
            except (OSError, ValueError) as exc:
                raise CatalogError(f"{path}: cannot read the texts: {exc}") from None
            messages[lang] = {
                str(m.id): str(m.string) for m in catalog if m.id and isinstance(m.string, str)
            }
            messages[lang] = {k: v for k, v in messages[lang].items() if v}
        if not messages[DEFAULT_LANGUAGE]:
            raise CatalogError(f"{directory}: the Italian catalog is empty")
        return cls(messages)

    def keys(self, lang: str) -> set[str]:
        return set(self._messages[lang])

    def raw(self, lang: str, key: str) -> str:
        table = self._messages.get(lang) or self._messages[DEFAULT_LANGUAGE]
        template = table.get(key) or self._messages[DEFAULT_LANGUAGE].get(key)
        if template is None:
            raise KeyError(f"no text {key!r} in the catalogs")
        return template

    def text(self, lang: str, key: str, **values: object) -> str:
        """The text `key` in `lang` (Italian when missing), with escaped values filled in."""
        return self.raw(lang, key).format_map({k: escape(v) for k, v in values.items()})

    def plain(self, lang: str, key: str, **values: object) -> str:
        """For places that are not HTML (button labels, command descriptions, alerts)."""
        return self.raw(lang, key).format_map({k: str(v) for k, v in values.items()})


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}
