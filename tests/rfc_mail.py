"""What every e-mail the bot writes must be, checked with the standard library's parser in its
strict policy plus what it does not check by itself: RFC 5322 (CRLF line ends, lines of at most
78 characters, headers folded with leading white space, one Date, From, Message-ID), RFC 2047
(encoded words well formed, never empty, at most 75 characters, decoding to UTF-8), RFC 2045
(7-bit on the wire), and the thread (In-Reply-To and References name an earlier message)."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.message import EmailMessage

MAX_LINE = 78  # RFC 5322 2.1.1: SHOULD (998 is the MUST)
_ENCODED_WORD = re.compile(r"=\?([^?\s]*)\?([^?\s]*)\?([^?\s]*)\?=")
_MSG_ID = re.compile(r"^<[^<>@\s]+@[^<>@\s]+>$")


def check(raw: bytes) -> EmailMessage:
    """The message, parsed; an AssertionError naming the first rule it breaks."""
    head = raw.partition(b"\r\n\r\n")[0].decode("ascii")  # headers are ASCII in any case
    header_lines = head.split("\r\n")
    assert not header_lines[0][:1].isspace(), "the first header is a continuation"
    for line in header_lines:
        assert line[:1] in (" ", "\t") or re.match(r"^[!-9;-~]+:", line), f"not a header: {line!r}"
    for word in _ENCODED_WORD.finditer(head):
        charset, encoding, payload = word.groups()
        assert payload, f"an empty encoded word: {word.group(0)!r}"
        assert len(word.group(0)) <= 75, f"an encoded word over 75 characters: {word.group(0)!r}"
        assert charset.lower() == "utf-8" and encoding.upper() in ("Q", "B"), word.group(0)
    assert "=?" not in _ENCODED_WORD.sub("", head), "a malformed encoded word"
    assert raw.isascii(), "8-bit bytes on the wire"
    text = raw.decode("ascii")
    assert "\n" not in text.replace("\r\n", ""), "a bare LF"
    assert "\r" not in text.replace("\r\n", ""), "a bare CR"
    for line in text.split("\r\n"):
        assert len(line) <= MAX_LINE, f"a line of {len(line)} characters: {line!r}"
    message = message_from_bytes(raw, policy=policy.strict)  # raises on structural defects
    for name in ("Date", "From", "Message-ID", "Subject", "To"):
        assert len(message.get_all(name, [])) == 1, f"{name}: not exactly once"
    for name, value in message.items():
        assert not value.defects, f"{name}: {value.defects}"
    assert _MSG_ID.match(_id(message["Message-ID"])), message["Message-ID"]
    for part in message.walk():
        if not part.is_multipart():
            part.get_content()  # every part decodes
    return message


def check_threads(messages: list[EmailMessage]) -> None:
    """Message-IDs are unique; a reply answers a message sent before it, and its References
    end with that message and start at the thread's first one."""
    seen: list[str] = []
    for message in messages:
        own = _id(message["Message-ID"])
        assert own not in seen, f"Message-ID used twice: {own}"
        answered = message["In-Reply-To"]
        if answered is not None:
            answered = _id(answered)
            assert _MSG_ID.match(answered) and answered in seen, f"answers no sent mail: {own}"
            references = str(message["References"]).split()
            assert references and references[-1] == answered, message["References"]
            assert all(r in seen for r in references), message["References"]
        else:
            assert message["References"] is None
        seen.append(own)


def _id(value: object) -> str:
    """A msg-id as written, without the folding white space allowed around it."""
    return str(value).strip()
