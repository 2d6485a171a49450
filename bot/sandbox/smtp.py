"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives and can be told to
refuse (4xx, 5xx) or be down."""

from __future__ import annotations

import socket
from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import Envelope


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Mailbox:
    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.raw: list[bytes] = []  # the same messages, as they came over the wire
        self.envelopes: list[tuple[str, list[str]]] = []
        self.reply = "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: Envelope) -> str:
        if not self.reply.startswith("250"):
            return self.reply
        raw = envelope.original_content or envelope.content
        assert isinstance(raw, bytes) and envelope.mail_from is not None  # decode_data is off
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.raw.append(raw)
        content = envelope.content if isinstance(envelope.content, bytes) else raw
        self.received.append(message_from_bytes(content, policy=policy.default))
        return self.reply


class SmtpServer:
    def __init__(self) -> None:
        self.port = free_port()
        self.mailbox = Mailbox()
        self._controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    @property
    def received(self) -> list[EmailMessage]:
        return self.mailbox.received
