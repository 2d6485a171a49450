"""E-mail addresses and phone numbers as people type them: validated, normalised, and the most
common typos spotted ("gmial.com" -> "gmail.com")."""

from __future__ import annotations

from rapidfuzz import fuzz, process

COMMON_DOMAINS = (
    "gmail.com", "libero.it", "hotmail.it", "hotmail.com", "yahoo.it", "yahoo.com", "outlook.it",
    "outlook.com", "icloud.com", "live.it", "alice.it", "tiscali.it", "virgilio.it",
    "fastwebnet.it", "tim.it", "pec.it", "legalmail.it", "email.it", "inwind.it", "csf.pv.it",
    "comune.pv.it", "unipv.it", "universitadipavia.it",
)  # fmt: skip
MAX_EMAIL = 254


class ContactProblem(ValueError):
    def __init__(self, code: str, suggestion: str | None = None):
        super().__init__(code)
        self.code = code
        self.suggestion = suggestion


def check_email(text: str) -> tuple[str, str | None]:
    """The normalised address and, when its domain looks like a typo, a suggested correction."""
    raw = text.strip()
    if len(raw) > MAX_EMAIL or " " in raw:
        raise ContactProblem("email")
    from email_validator import EmailNotValidError, validate_email  # first use: ~10 ms

    try:
        valid = validate_email(raw, check_deliverability=False)
    except EmailNotValidError:
        suggestion = _suggest(raw)
        raise ContactProblem("email", suggestion) from None
    address = valid.normalized
    return address, _suggest(address)


def _suggest(address: str) -> str | None:
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        return None
    domain = domain.lower().rstrip(".")
    if domain in COMMON_DOMAINS:
        return None
    fixes = {"gmail.con": "gmail.com", "gmail.co": "gmail.com", "gmail.it": "gmail.com"}
    if domain in fixes:
        return f"{local}@{fixes[domain]}"
    match = process.extractOne(domain, COMMON_DOMAINS, scorer=fuzz.ratio, score_cutoff=80)
    if match is None:
        return None
    return f"{local}@{match[0]}"


def check_phone(text: str) -> str:
    """An Italian or international number, normalised as +39 333 123 4567."""
    raw = text.strip()
    if not raw or len(raw) > 32 or not any(c.isdigit() for c in raw):
        raise ContactProblem("phone")
    import phonenumbers  # first use: most updates never need it (~2 MB)

    try:
        number = phonenumbers.parse(raw, "IT")
    except phonenumbers.NumberParseException:
        raise ContactProblem("phone") from None
    if not phonenumbers.is_valid_number(number):
        raise ContactProblem("phone")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def dialled_from_italy(phone: str) -> str:
    """A stored number as one dials it from Italy: "+39 333 123 4567" -> "333 123 4567",
    "+44 20 7946 0958" -> "00 44 20 7946 0958". A number that cannot be read keeps its digits,
    with 00 for a leading +."""
    import phonenumbers

    try:
        number = phonenumbers.parse(phone, "IT")
    except phonenumbers.NumberParseException:
        return "00" + phone[1:] if phone.startswith("+") else phone
    return phonenumbers.format_out_of_country_calling_number(number, "IT")
