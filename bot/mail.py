"""The e-mail outbox in service: what it holds goes out through an SMTP server, or into .eml
files when none is set. A service, built by the composition root.

`deliver_due` sends every message that is due, marks it sent, or records the failure and the
next attempt (exponential backoff); after a permanent refusal (5xx) or the last attempt, the
message is marked failed and `on_failure` tells the staff. One run at a time: a call made during
a run waits for it. A repeating job runs it every INTERVAL_S; `kick()` runs it at once, after a
feature queued a message (the person is answered first).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from email import message_from_bytes
from email.utils import getaddresses, parseaddr
from pathlib import Path
from typing import Any, Protocol

from telegram.ext import CallbackContext, JobQueue

from bot.clock import Clock
from bot.config import SmtpConfig
from domain.outbox import is_permanent, next_attempt, safe_error
from storage.outbox import OutboxRepo, OutgoingMail

log = logging.getLogger(__name__)

FALLBACK_SENDER = "Laboratori Sociali Pavia <bot@localhost>"
JOB = "outbox:deliver"
INTERVAL_S = 30
FIRST_S = 1  # at start, what waited while the bot was down goes out at once


def sender(config: SmtpConfig) -> str:
    return config.sender or FALLBACK_SENDER


def message_id_domain(config: SmtpConfig) -> str:
    address = sender(config).rsplit("<", 1)[-1].rstrip(">")
    return address.rsplit("@", 1)[-1] if "@" in address else "labbot.local"


class MailError(Exception):
    def __init__(self, message: str, code: int | None = None):
        super().__init__(message)
        self.code = code


class Mailer(Protocol):
    async def send(self, mail: OutgoingMail) -> str:
        """Deliver; return where it went (for the log). Raise MailError on failure."""
        ...

    async def withdraw(self, mail: OutgoingMail) -> None:
        """Its person was erased while it was being delivered: undo what can be undone."""
        ...


def envelope(raw: bytes) -> tuple[str, list[str]]:
    headers = message_from_bytes(raw)
    sender = parseaddr(headers.get("From", ""))[1]
    recipients = [address for _, address in getaddresses(headers.get_all("To", []))]
    return sender, recipients


class SmtpMailer:
    def __init__(self, config: SmtpConfig):
        self.config = config

    async def send(self, mail: OutgoingMail) -> str:
        """One connection per message. A failure, or a stop that abandons the send (its task
        cancelled), closes the connection at once: aiosmtplib's `async with` (and
        `aiosmtplib.send`) would first wait up to `timeout` for the answer to a QUIT, which a
        server that hangs never gives, and the stop would wait with it."""
        import aiosmtplib  # first use: the bot starts without it

        sender, recipients = envelope(mail.raw)
        config = self.config
        client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            use_tls=config.security == "tls",
            start_tls=config.security == "starttls",
            username=config.user or None,
            password=config.password or None,
            timeout=config.timeout,
        )
        try:
            await client.connect()
            await client.sendmail(sender, recipients, mail.raw)
        except BaseException as exc:
            client.close()
            if isinstance(exc, aiosmtplib.SMTPResponseException):
                raise MailError(f"{exc.code} {exc.message}", exc.code) from None
            if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
                codes = [r.code for r in exc.recipients]
                raise MailError(str(exc), max(codes) if codes else None) from None
            if isinstance(exc, (aiosmtplib.SMTPException, OSError, TimeoutError)):
                raise MailError(f"{type(exc).__name__}: {exc}") from None
            raise
        await _quit(client, aiosmtplib.SMTPException)
        return f"{config.host}:{config.port}"

    async def withdraw(self, mail: OutgoingMail) -> None:
        return None  # a mail server cannot be asked to take a message back


async def _quit(client: Any, smtp_error: type[Exception]) -> None:
    """The message is accepted (the server answered 250 to its data): say goodbye, politely.
    Its answer changes nothing, so a stop meanwhile closes the connection and the message
    still counts as delivered (cancelling here would have it sent again after the restart)."""
    try:
        await client.quit()
    except (asyncio.CancelledError, smtp_error, OSError, TimeoutError):
        pass
    finally:
        client.close()


ERASURE = "erasure"  # the kind of the organisers' e-mail about an erasure: codes only


class FileMailer:
    """No mail server configured: each message becomes an .eml file, to open in any mail app,
    named `<outbox id>-<Message-ID>.eml`. A Message-ID ends with `.<kind>.<reference>@<domain>`
    (`domain.mail.new_message_id`), and the reference of an e-mail about a sign-up is its code.
    """

    def __init__(self, folder: Path):
        self.folder = folder

    def path(self, mail_id: int, message_id: str) -> Path:
        name = re.sub(r"[^A-Za-z0-9.@_-]", "_", message_id.strip("<>"))
        return self.folder / f"{mail_id:06d}-{name}.eml"

    async def send(self, mail: OutgoingMail) -> str:
        path = self.path(mail.id, mail.message_id)
        try:
            await asyncio.to_thread(_write, path, mail.raw)
        except OSError as exc:  # said without the file's name: it holds a person's sign-up code
            raise MailError(f"cannot write in the outbox folder: {exc.strerror}") from None
        # For the log: the file's number, not its name (which holds a sign-up code).
        return f"the outbox folder (file number {mail.id:06d})"

    async def withdraw(self, mail: OutgoingMail) -> None:
        await self.forget([(mail.id, mail.message_id)], [])

    async def forget(self, mails: Iterable[tuple[int, str]], codes: Iterable[str]) -> int:
        """After an erasure: delete the files of `mails` (id, Message-ID), and every other file
        about the sign-ups `codes` (written before the retention removed their outbox rows),
        except the organisers' notices of erasures, which hold codes only. Returns how many."""
        paths = {self.path(mail_id, message_id) for mail_id, message_id in mails}
        for code in codes:
            paths.update(
                p
                for p in self.folder.glob(f"*.{code}@*.eml")
                if f".{ERASURE}.{code}@" not in p.name
            )
        return await asyncio.to_thread(_delete, paths)


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


def _delete(paths: Iterable[Path]) -> int:
    deleted = 0
    for path in paths:
        try:
            path.unlink()
            deleted += 1
        except FileNotFoundError:
            pass
        except OSError as exc:
            log.warning("could not delete an e-mail file of an erased person: %s", exc.strerror)
    return deleted


async def forget_files(
    config: SmtpConfig, mails: Iterable[tuple[int, str]], codes: Iterable[str]
) -> int:
    """The .eml files of an erased person's e-mails, in the folder where they are written when
    no mail server is set (some may be there from before a server was set): deleted."""
    return await FileMailer(config.outbox_dir).forget(mails, codes)


def mailer_for(config: SmtpConfig) -> Mailer:
    return SmtpMailer(config) if config.enabled else FileMailer(config.outbox_dir)


@dataclass
class DeliveryReport:
    sent: int = 0
    retried: int = 0
    failed: int = 0


class Outbox:
    """The outbox in service: its repository, its mailer, one delivery at a time."""

    def __init__(
        self,
        repo: OutboxRepo,
        mailer: Mailer,
        clock: Clock,
        max_attempts: int,
        on_failure: Callable[[OutgoingMail, str], Awaitable[None]] | None = None,
    ):
        self.repo = repo
        self.mailer = mailer
        self.clock = clock
        self.max_attempts = max_attempts
        self.on_failure = on_failure
        self._lock = asyncio.Lock()
        self._jobs: JobQueue | None = None
        self._stopping = False
        self._sending: asyncio.Future[str] | None = None

    def run_on(self, jobs: JobQueue | None) -> None:
        """Deliver every INTERVAL_S on the application's job queue (none: only when asked)."""
        self._jobs = jobs
        if jobs is not None:
            jobs.run_repeating(self._job, interval=INTERVAL_S, first=FIRST_S, name=JOB)

    def kick(self) -> None:
        """Deliver soon, without waiting for the next round (the user is answered first)."""
        if self._jobs is not None and not self._stopping:
            self._jobs.run_once(self._job, 0, name=f"{JOB}:now")

    def stop(self) -> None:
        """The bot is stopping: no new delivery starts, and the one in flight is abandoned (its
        message stays due, untouched, for the next start). Never waits for the mail server."""
        self._stopping = True
        if self._sending is not None and not self._sending.done():
            self._sending.cancel()

    async def _job(self, _context: CallbackContext) -> None:
        await self.deliver_due()

    async def deliver_due(self) -> DeliveryReport:
        """Send what is due. Runs one at a time: a call made during a run waits for it, then
        finds only what is still due."""
        report = DeliveryReport()
        async with self._lock:
            for mail in await self.repo.due(self.clock.now()):
                if self._stopping:
                    break
                await self._deliver(mail, report)
        return report

    async def _deliver(self, mail: OutgoingMail, report: DeliveryReport) -> None:
        self._sending = sending = asyncio.ensure_future(self.mailer.send(mail))
        try:
            where = await sending
        except asyncio.CancelledError:
            if self._stopping and sending.cancelled():
                log.info("e-mail %d given back: the bot is stopping", mail.id)
                return
            raise
        except MailError as exc:
            error = safe_error(str(exc))
            attempts = mail.attempts + 1
            permanent = is_permanent(exc.code)
            if permanent or attempts >= self.max_attempts:
                await self.repo.failed_attempt(mail.id, error, None)
                report.failed += 1
                log.error("e-mail %d (%s) not delivered, giving up: %s", mail.id, mail.kind, error)
                if self.on_failure is not None:
                    await self.on_failure(mail, error)
            else:
                retry_at = next_attempt(attempts, self.clock.now())
                await self.repo.failed_attempt(mail.id, error, retry_at)
                report.retried += 1
                log.warning(
                    "e-mail %d (%s) not delivered (attempt %d), retrying at %s: %s",
                    mail.id, mail.kind, attempts, f"{retry_at:%H:%M:%S}", error,
                )  # fmt: skip
            return
        if not await self.repo.sent(mail.id, self.clock.now()):
            # Its person was erased while it was being delivered: a file written for it goes
            # too (the erasure deleted the files there were, before this one was written).
            await self.mailer.withdraw(mail)
            log.info("e-mail %d withdrawn while it was delivered: its person was erased", mail.id)
            return
        report.sent += 1
        log.info("e-mail %d (%s) delivered to %s", mail.id, mail.kind, where)
