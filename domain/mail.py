"""E-mail messages, composed once and stored whole: a retry sends the very same bytes, with the
same Message-ID, so the organisers never receive two different e-mails for one sign-up."""

from __future__ import annotations

import html
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes
from email.header import Header
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime

from domain.text import one_line


def new_message_id(kind: str, reference: str, domain: str) -> str:
    """`<random.kind.reference@domain>`: unique, and short enough for its header line to keep
    within 78 characters (a msg-id cannot be folded; `make_msgid`'s time and process id made
    it 99)."""
    return f"<{secrets.token_hex(6)}.{kind}.{reference}@{domain}>"


def thread_id(reference: str, domain: str) -> str:
    """The Message-ID of the first e-mail about a sign-up, which every later one answers
    (In-Reply-To, References), so mail apps show them as one conversation. Fixed by the
    sign-up's code, which is never handed out twice."""
    return f"<scuola.signup.{reference}@{domain}>"


@dataclass(frozen=True)
class Section:
    """A titled list of (label, value) rows in an e-mail's body: what changed, the sessions."""

    title: str
    rows: Sequence[tuple[str, str]]


@dataclass(frozen=True)
class Attachment:
    filename: str
    data: bytes
    maintype: str
    subtype: str


def _set_text_header(message: EmailMessage, name: str, value: str) -> None:
    """An unstructured header (Subject) of any length and script. Non-ASCII text is encoded
    here, in encoded words of at most 75 characters on lines of at most 76 (RFC 2047, RFC
    5322): the standard library's folder, given a long subject whose ASCII start fills the
    first line, writes an empty encoded word `=?utf-8?q??=`, which RFC 2047 forbids."""
    value = one_line(value)
    if value.isascii():
        message[name] = value
        return
    encoded = Header(value, "utf-8", header_name=name).encode(linesep="\n", maxlinelen=76)
    message.set_raw(name, encoded)


def compose(
    *,
    subject: str,
    intro: str,
    fields: list[tuple[str, str]],
    outro: str,
    sender: str,
    to: str,
    reply_to: str | None,
    message_id: str,
    date: datetime,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    before: Sequence[Section] = (),
    after: Sequence[Section] = (),
    attachments: Sequence[Attachment] = (),
) -> bytes:
    """A UTF-8 message with a readable plain-text body and the same content as HTML: the intro,
    the sections `before`, the fields, the sections `after`, the outro; then the attachments.
    `in_reply_to` is the message it answers; `references` the thread's other messages (it is
    always in them, last). Header values are folded to one line: a line break typed in a title
    must neither make composing fail (the e-mail module refuses it) nor start a header of its
    own."""
    message = EmailMessage(policy=SMTP)
    _set_text_header(message, "Subject", subject)
    message["From"] = one_line(sender)
    message["To"] = one_line(to)
    if reply_to:
        message["Reply-To"] = one_line(reply_to)
    message["Message-ID"] = one_line(message_id)
    thread = [one_line(r) for r in (*references, in_reply_to or "") if r]
    if in_reply_to:
        message["In-Reply-To"] = one_line(in_reply_to)
    if thread:
        message["References"] = " ".join(dict.fromkeys(thread))
    message["Date"] = format_datetime(date)
    message["Auto-Submitted"] = "auto-generated"
    text_lines = [intro, ""]
    html_parts = [f"<p>{html.escape(intro)}</p>"]
    for section in before:
        text_lines += [section.title, *_text_rows(section.rows, "  "), ""]
        html_parts.append(_html_section(section))
    text_lines += [*_text_rows(fields), ""]
    html_parts.append(_html_rows(fields))
    for section in after:
        text_lines += [section.title, *_text_rows(section.rows, "  "), ""]
        html_parts.append(_html_section(section))
    text_lines += [outro, ""]
    html_parts.append(f"<p>{html.escape(outro).replace(chr(10), '<br>')}</p>")
    # Quoted-printable: 7-bit on the wire, so no server needs 8BITMIME (RFC 6152), and lines
    # stay within 78 characters however long a note.
    message.set_content("\n".join(text_lines), charset="utf-8", cte="quoted-printable")
    body = "".join(html_parts)
    message.add_alternative(
        f"<!doctype html><html><body>{body}</body></html>",
        subtype="html",
        charset="utf-8",
        cte="quoted-printable",
    )
    for item in attachments:
        message.add_attachment(
            item.data,
            maintype=item.maintype,
            subtype=item.subtype,
            filename=item.filename,
            params={"charset": "utf-8"} if item.maintype == "text" else {},
        )
    return message.as_bytes(policy=SMTP)


def _text_rows(rows: Sequence[tuple[str, str]], indent: str = "") -> list[str]:
    width = max((len(label) for label, _ in rows), default=0)
    return [f"{indent}{label + ':':<{width + 1}} {value or '—'}" for label, value in rows]


def _html_rows(rows: Sequence[tuple[str, str]]) -> str:
    cells = "".join(
        f"<tr><th align='left' style='padding:2px 12px 2px 0'>{html.escape(label)}</th>"
        f"<td>{html.escape(value or '—').replace(chr(10), '<br>')}</td></tr>"
        for label, value in rows
    )
    return f"<table>{cells}</table>"


def _html_section(section: Section) -> str:
    return f"<p><b>{html.escape(section.title)}</b></p>{_html_rows(section.rows)}"


def readable(raw: bytes) -> dict[str, str]:
    """A stored message as a person reads it (a copy of their data): who it went to, its
    subject and its plain text, decoded."""
    message = message_from_bytes(raw, policy=default)
    body = message.get_body(("plain",))
    text = body.get_content() if body is not None else ""
    return {
        "to": str(message.get("To", "")),
        "subject": str(message.get("Subject", "")),
        "text": text.replace("\r\n", "\n"),
    }
