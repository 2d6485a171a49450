"""E-mail messages, composed once and stored whole: a retry sends the very same bytes, with the
same Message-ID, so the organisers never receive two different e-mails for one sign-up."""

from __future__ import annotations

import html
from datetime import datetime
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import SMTP, default
from email.utils import format_datetime, make_msgid

from domain.text import one_line


def new_message_id(kind: str, reference: str, domain: str) -> str:
    return make_msgid(idstring=f"{kind}.{reference}", domain=domain)


def thread_id(reference: str, domain: str) -> str:
    """The Message-ID of the first e-mail about a sign-up, which every later one answers
    (In-Reply-To, References), so mail apps show them as one conversation. Fixed by the
    sign-up's code, which is never handed out twice."""
    return f"<scuola.signup.{reference}@{domain}>"


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
) -> bytes:
    """A UTF-8 message with a readable plain-text body and the same content as HTML. Header
    values are folded to one line: a line break typed in a title must neither make composing
    fail (the e-mail module refuses it) nor start a header of its own."""
    message = EmailMessage(policy=SMTP)
    message["Subject"] = one_line(subject)
    message["From"] = one_line(sender)
    message["To"] = one_line(to)
    if reply_to:
        message["Reply-To"] = one_line(reply_to)
    message["Message-ID"] = one_line(message_id)
    if in_reply_to:
        message["In-Reply-To"] = one_line(in_reply_to)
        message["References"] = one_line(in_reply_to)
    message["Date"] = format_datetime(date)
    message["Auto-Submitted"] = "auto-generated"
    width = max((len(label) for label, _ in fields), default=0)
    text_lines = [intro, ""]
    text_lines += [f"{label + ':':<{width + 1}} {value or '—'}" for label, value in fields]
    text_lines += ["", outro, ""]
    message.set_content("\n".join(text_lines), charset="utf-8")
    rows = "".join(
        f"<tr><th align='left' style='padding:2px 12px 2px 0'>{html.escape(label)}</th>"
        f"<td>{html.escape(value or '—').replace(chr(10), '<br>')}</td></tr>"
        for label, value in fields
    )
    body = (
        f"<p>{html.escape(intro)}</p><table>{rows}</table>"
        f"<p>{html.escape(outro).replace(chr(10), '<br>')}</p>"
    )
    message.add_alternative(f"<!doctype html><html><body>{body}</body></html>", subtype="html")
    return message.as_bytes(policy=SMTP)


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
