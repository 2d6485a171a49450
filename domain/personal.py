"""Personal data inside free text: what the bot keeps of a question must not say who asked.

A question the bot did not understand is kept (without who asked) so staff can improve the
answers; people sometimes put their contacts in it ("scrivimi a mario@x.it o al 333 1234567").
`without_contacts` takes out e-mail addresses, phone numbers, IBANs, codici fiscali and other
long runs of digits, and keeps what makes a question a question: "bus 3", "ore 18", a date, a
time range, a postcode, a year.
"""

from __future__ import annotations

import re

EMAIL_MARK = "[email]"
NUMBER_MARK = "[numero]"
MIN_DIGITS = 7  # a run with fewer digits is a bus line, an hour, a house number, a postcode

_EMAIL = re.compile(r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+")
# IT60 X054 2811 1010 0000 0123 456, in groups of four as banks print it (written without
# spaces, the word below takes it).
_IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b", re.IGNORECASE)
# A word of letters and digits with five digits or more: a codice fiscale (RSSMRA80A01F205X), an
# IBAN without spaces, a document number.
_CODE = re.compile(r"\b(?=[A-Za-z0-9]*[A-Za-z])(?=(?:[A-Za-z]*\d){5})[A-Za-z0-9]{8,}\b")
# Digits with single separators between them: +39 333 123 4567, 0382/539012, (0382) 539012,
# 333.123.4567; an optional + or (area code) in front.
_RUN = re.compile(r"(?<![\w@])(?:\+\s?)?(?:\(\d+\)\s?)?\d(?:[ .\-/]?\d)*")
# Runs that are not about a person: a date, a time range, a span of years, a thousands number.
_KEEP = re.compile(
    r"\d{1,2}[./\-]\d{1,2}[./\-](?:\d{2}|\d{4})"
    r"|\d{1,2}[.:]\d{2}-\d{1,2}[.:]\d{2}"
    r"|(?:19|20)\d{2}[-/](?:19|20)?\d{2}"
    r"|\d{1,3}(?:\.\d{3})+"
)


def _digits(text: str) -> int:
    return sum(c.isdigit() for c in text)


def _number(match: re.Match[str]) -> str:
    run = match.group(0)
    if _digits(run) < MIN_DIGITS or _KEEP.fullmatch(run):
        return run
    pieces = run.split()
    if len(pieces) > 1 and any(_KEEP.fullmatch(p) for p in pieces):
        # "12/03/2027 17" is a date and an hour, not one number: judge each piece alone.
        return " ".join(
            NUMBER_MARK if _digits(p) >= MIN_DIGITS and not _KEEP.fullmatch(p) else p
            for p in pieces
        )
    return NUMBER_MARK


def without_contacts(text: str) -> str:
    """`text` with e-mail addresses, phone numbers and other long digit runs replaced by a
    mark ("[email]", "[numero]")."""
    text = _EMAIL.sub(EMAIL_MARK, text)
    text = _IBAN.sub(NUMBER_MARK, text)
    text = _CODE.sub(NUMBER_MARK, text)
    return _RUN.sub(_number, text)
