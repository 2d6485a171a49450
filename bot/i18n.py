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
from collections.abc import Callable, Mapping
from gettext import c2py
from pathlib import Path

from babel.messages.pofile import read_po

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


def _locale(lang: str) -> str:
    return "it_IT" if lang == "it" else "en_GB"


def number(value: int, lang: str) -> str:
    """A count as people of `lang` write it: 12.345 in Italian, 12,345 in English."""
    if -1000 < value < 1000:  # no separator to write: the common case needs no locale data
        return str(value)
    from babel.numbers import format_decimal  # first use

    return format_decimal(value, locale=_locale(lang))


def decimal(value: float, lang: str, digits: int = 1) -> str:
    """A measure with `digits` decimals, as people of `lang` write it: 992,7 in Italian."""
    from babel.numbers import format_decimal  # first use

    return format_decimal(value, format="#,##0." + "0" * digits, locale=_locale(lang))


def escape(value: object) -> str:
    if isinstance(value, Html):
        return str(value)
    return html.escape(str(value), quote=False)


class CatalogError(Exception):
    pass


Template = str | tuple[str, ...]  # one text, or its plural forms (gettext's msgstr[0], [1]...)
Plural = Callable[[int], int]  # a count -> the index of its plural form


class Catalog:
    """Texts by language and key. A text with plural forms (`msgid_plural` in the .po file) is
    chosen by its `count` value, with the rule of the catalog's `Plural-Forms` header: "1
    persona", "2 persone"; `count` is shown as people of that language write numbers."""

    def __init__(
        self,
        messages: Mapping[str, Mapping[str, Template]],
        plurals: Mapping[str, Plural] | None = None,
    ):
        self._messages = {lang: dict(messages.get(lang, {})) for lang in LANGUAGES}
        self._plurals = {lang: (plurals or {}).get(lang, _one_or_many) for lang in LANGUAGES}

    @classmethod
    def load(cls, directory: Path = LOCALES_DIR) -> Catalog:
        messages: dict[str, dict[str, Template]] = {}
        plurals: dict[str, Plural] = {}
        for lang in LANGUAGES:
            path = directory / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
            try:
                with path.open("rb") as handle:
                    catalog = read_po(handle, locale=lang, abort_invalid=True)
                plurals[lang] = c2py(catalog.plural_expr)
            except (OSError, ValueError) as exc:
                raise CatalogError(f"{path}: cannot read the texts: {exc}") from None
            table: dict[str, Template] = {}
            for m in catalog:
                if not m.id:
                    continue
                if isinstance(m.id, tuple):  # plural forms: every one must be written
                    forms = tuple(str(f) for f in m.string or ())
                    if forms and all(forms):
                        table[str(m.id[0])] = forms
                elif isinstance(m.string, str) and m.string:
                    table[str(m.id)] = m.string
            messages[lang] = table
        if not messages[DEFAULT_LANGUAGE]:
            raise CatalogError(f"{directory}: the Italian catalog is empty")
        return cls(messages, plurals)

    def keys(self, lang: str) -> set[str]:
        return set(self._messages[lang])

    def _find(self, lang: str, key: str) -> tuple[str, Template]:
        table = self._messages.get(lang) or self._messages[DEFAULT_LANGUAGE]
        if key in table:
            return lang, table[key]
        if key in self._messages[DEFAULT_LANGUAGE]:
            return DEFAULT_LANGUAGE, self._messages[DEFAULT_LANGUAGE][key]
        raise KeyError(f"no text {key!r} in the catalogs")

    def forms(self, lang: str, key: str) -> tuple[str, ...]:
        """Every form of a text: one, or its plural forms."""
        found = self._find(lang, key)[1]
        return found if isinstance(found, tuple) else (found,)

    def is_plural(self, lang: str, key: str) -> bool:
        return isinstance(self._find(lang, key)[1], tuple)

    def raw(self, lang: str, key: str) -> str:
        """The text's template (for a text with plural forms, the last: "many")."""
        return self.forms(lang, key)[-1]

    def _template(self, lang: str, key: str, values: dict[str, object]) -> tuple[str, dict]:
        found_lang, found = self._find(lang, key)
        if not isinstance(found, tuple):
            return found, values
        count = values.get("count")
        if not isinstance(count, int) or isinstance(count, bool):
            return found[-1], values
        index = min(self._plurals[found_lang](abs(count)), len(found) - 1)
        return found[index], {**values, "count": number(count, lang)}

    def text(self, lang: str, key: str, **values: object) -> str:
        """The text `key` in `lang` (Italian when missing), with escaped values filled in."""
        template, values = self._template(lang, key, values)
        return template.format_map({k: escape(v) for k, v in values.items()})

    def plain(self, lang: str, key: str, **values: object) -> str:
        """For places that are not HTML (button labels, command descriptions, alerts)."""
        template, values = self._template(lang, key, values)
        return template.format_map({k: str(v) for k, v in values.items()})


def _one_or_many(n: int) -> int:
    return int(n != 1)


def placeholders(template: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(template) if field}
