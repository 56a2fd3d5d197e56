"""Mail delivery: messages built with the standard library's `email`, sent by `smtplib` or written to a Maildir.

Every message first goes into a queue on disk (one JSON file per message); a
delivery pass sends what is due and removes each file as soon as it is
delivered, so a restart loses nothing and a delivered message is not sent
again. A message the server refuses, or that cannot reach it, waits with a
growing pause. Maildir delivery uses the message's own id as its file name,
so it is idempotent.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import re
import secrets
import smtplib
import ssl
import time
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, formataddr, make_msgid, parseaddr
from pathlib import Path

from ..errors import ReaderCommentsError
from ..fileio import atomic_write

logger = logging.getLogger(__name__)

SUBJECT_MAX = 120
NAME_MAX = 80
ADDRESS_MAX = 254
SMTP_TIMEOUT = 30.0
BACKOFF_FIRST = 30.0
BACKOFF_MAX = 3600.0
MAX_ATTEMPTS = 30
ADDRESS = re.compile(r"[^@\s\"(),:;<>\[\]\\]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
ANY_ADDRESS = re.compile(r"[^@\s<>()\[\]'\",;:]+@[^@\s<>()\[\]'\",;:]+")
SECURITY = ("starttls", "tls", "none")


class MailError(ReaderCommentsError):
    """A message could not be delivered now (it stays queued) or an address is unusable."""


def one_line(text: str, limit: int) -> str:
    """`text` as one line of at most `limit` characters: line breaks and control characters become spaces."""
    cleaned = "".join(" " if unicodedata.category(c) in ("Cc", "Zl", "Zp") else c for c in text)
    cleaned = " ".join(cleaned.split())
    return cleaned if len(cleaned) <= limit else cleaned[: limit - 1].rstrip() + "…"


def scrub(text: str) -> str:
    """`text` on one line with every e-mail address in it replaced, fit for a log line."""
    return one_line(ANY_ADDRESS.sub("<address>", text), 300)


def check_address(raw: str) -> str:
    """A reader's e-mail address, trimmed; MailError saying what is wrong with it."""
    value = raw.strip()
    if len(value) > ADDRESS_MAX:
        raise MailError(f"an e-mail address has at most {ADDRESS_MAX} characters")
    if not ADDRESS.fullmatch(value) or not value.isascii():
        raise MailError("that is not an e-mail address (it should look like name@example.com)")
    return value


def parse_mailbox(entry: str) -> tuple[str, str]:
    """('Name', 'address') of "address" or "Name <address>"; MailError when there is no valid address."""
    name, address = parseaddr(entry.strip())
    return one_line(name, NAME_MAX), check_address(address)


@dataclass(frozen=True, slots=True)
class Letter:
    """What one message says: who to, the subject, the text, an optional HTML alternative and extra headers."""

    to: str
    subject: str
    text: str
    html: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    to_name: str = ""


def compose(sender: str, letter: Letter) -> EmailMessage:
    """The message for `letter`: every header one line and folded by the SMTP policy, so nothing typed adds a header."""
    message = EmailMessage(policy=SMTP)
    name, address = parseaddr(sender)
    message["From"] = Address(one_line(name, NAME_MAX), addr_spec=address)
    message["To"] = Address(one_line(letter.to_name, NAME_MAX), addr_spec=letter.to)
    message["Subject"] = one_line(letter.subject, SUBJECT_MAX)
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = make_msgid(domain=address.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    for key, value in letter.headers:
        message[key] = one_line(value, 998)
    message.set_content(letter.text)
    if letter.html is not None:
        message.add_alternative(letter.html, subtype="html")
    return message


@dataclass(frozen=True, slots=True)
class Delivery:
    """Where messages go: an SMTP server when `smtp_host` is set, else the Maildir `outbox`."""

    outbox: Path
    smtp_host: str | None = None
    smtp_port: int | None = None
    security: str = "starttls"
    user: str | None = None
    password_file: Path | None = None

    @property
    def port(self) -> int:
        """The SMTP port: the configured one, else the usual one for the security chosen."""
        return self.smtp_port or {"tls": 465, "starttls": 587}.get(self.security, 25)

    def describe(self) -> str:
        """Where messages go, for the log (no password)."""
        return f"SMTP {self.smtp_host}:{self.port} ({self.security})" if self.smtp_host else f"the Maildir {self.outbox}"

    def send(self, message_id: str, data: bytes, sender: str, recipient: str) -> None:
        """Deliver one message; MailError when it cannot be now."""
        if self.smtp_host:
            self._smtp(data, sender, recipient)
        else:
            write_maildir(self.outbox, message_id, data)

    def _smtp(self, data: bytes, sender: str, recipient: str) -> None:
        """Send by SMTP, with STARTTLS or TLS as configured, logging in when a user is set."""
        context = ssl.create_default_context()
        try:
            if self.security == "tls":
                client: smtplib.SMTP = smtplib.SMTP_SSL(str(self.smtp_host), self.port, timeout=SMTP_TIMEOUT, context=context)
            else:
                client = smtplib.SMTP(str(self.smtp_host), self.port, timeout=SMTP_TIMEOUT)
            with client:
                if self.security == "starttls":
                    client.starttls(context=context)
                if self.user:
                    client.login(self.user, self._password())
                client.sendmail(sender, [recipient], data)
        except smtplib.SMTPRecipientsRefused as exc:
            codes = ", ".join(str(code) for code, _ in exc.recipients.values())
            raise MailError(f"{self.describe()}: recipient refused ({codes})") from None
        except (smtplib.SMTPException, OSError) as exc:
            raise MailError(f"{self.describe()}: {scrub(str(exc))}") from None

    def _password(self) -> str:
        """The SMTP password, read from its file at each use (so it can be rotated without a restart)."""
        if self.password_file is None:
            raise MailError("COMMENTS_SMTP_USER is set but COMMENTS_SMTP_PASSWORD_FILE is not")
        return self.password_file.read_text(encoding="utf-8").strip()


def write_maildir(outbox: Path, message_id: str, data: bytes) -> None:
    """Write one message into the Maildir `outbox` under `message_id`; a message already there is not written again."""
    outbox.mkdir(parents=True, exist_ok=True, mode=0o700)
    for sub in ("tmp", "new", "cur"):
        (outbox / sub).mkdir(exist_ok=True, mode=0o700)
    name = f"{message_id}.reader-comments"
    if (outbox / "new" / name).exists() or any((outbox / "cur").glob(f"{name}:*")):
        return
    temporary = outbox / "tmp" / name
    with os.fdopen(os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "wb") as handle:
        handle.write(data.replace(b"\r\n", b"\n"))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, outbox / "new" / name)


class MailQueue:
    """Messages waiting on disk in `folder`, delivered by `delivery` with retries and growing pauses."""

    def __init__(self, folder: Path, sender: str, delivery: Delivery, clock: Callable[[], float] = time.time) -> None:
        """A queue in `folder` (created 0700), sending from `sender` ("Name <address>")."""
        self.folder = folder
        self.sender = sender
        self.delivery = delivery
        self.clock = clock
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)

    def put(self, letter: Letter) -> str:
        """Queue one message; return its queue id. Delivery happens in `deliver()`."""
        message = compose(self.sender, letter)
        entry_id = f"{time.time_ns():020d}-{secrets.token_hex(6)}"
        entry = {"recipient": letter.to, "message": message.as_bytes().decode("utf-8", "surrogateescape"),
                 "attempts": 0, "due": self.clock()}
        atomic_write(self.folder / f"{entry_id}.json", json.dumps(entry).encode("utf-8"), create=True)
        os.chmod(self.folder / f"{entry_id}.json", 0o600)
        return entry_id

    def waiting(self) -> int:
        """How many messages are in the queue."""
        return sum(1 for _ in self.folder.glob("*.json"))

    def next_due(self) -> float | None:
        """When the earliest queued message is due, or None when the queue is empty."""
        dues = [entry["due"] for _, entry in self._entries()]
        return min(dues) if dues else None

    def deliver(self) -> int:
        """Send every message that is due; return how many were delivered. Never raises for a mail failure."""
        delivered = 0
        with self._locked():
            for path, entry in self._entries():
                if entry["due"] > self.clock():
                    continue
                delivered += self._deliver_one(path, entry)
        return delivered

    def _deliver_one(self, path: Path, entry: dict) -> int:
        """Send one queued message; remove it when delivered, else reschedule it. 1 when delivered."""
        sender = parseaddr(self.sender)[1]
        try:
            self.delivery.send(path.stem, entry["message"].encode("utf-8", "surrogateescape"), sender, entry["recipient"])
        except MailError as exc:
            self._retry_later(path, entry, str(exc))
            return 0
        path.unlink(missing_ok=True)
        logger.info("message %s delivered to %s", path.stem, self.delivery.describe())
        return 1

    def _retry_later(self, path: Path, entry: dict, reason: str) -> None:
        """Count a failed attempt and set when to try again; give up (moved to failed/) after MAX_ATTEMPTS."""
        entry["attempts"] += 1
        pause = min(BACKOFF_MAX, BACKOFF_FIRST * 2 ** (entry["attempts"] - 1))
        entry["due"] = self.clock() + pause
        if entry["attempts"] >= MAX_ATTEMPTS:
            failed = self.folder / "failed"
            failed.mkdir(exist_ok=True, mode=0o700)
            os.replace(path, failed / path.name)
            logger.error("message %s given up after %d attempts: %s", path.stem, entry["attempts"], reason)
            return
        atomic_write(path, json.dumps(entry).encode("utf-8"))
        logger.warning("message %s not delivered (attempt %d), retrying in %.0f s: %s", path.stem, entry["attempts"], pause, reason)

    def _entries(self) -> Iterator[tuple[Path, dict]]:
        """The queued messages, oldest first; an unreadable file is skipped with a warning."""
        for path in sorted(self.folder.glob("*.json")):
            try:
                entry = json.loads(path.read_text(encoding="utf-8"))
            except FileNotFoundError:
                continue
            except (OSError, ValueError) as exc:
                logger.warning("cannot read queued message %s: %s", path.name, exc)
                continue
            yield path, entry

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Hold the queue's lock, so two processes never send the same message."""
        with open(self.folder / ".lock", "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def sender_of(configured: str | None, site: str) -> str:
    """The From of every message: the configured one, else comments@ the site's host."""
    if configured:
        name, address = parse_mailbox(configured)
        return formataddr((name, address))
    from urllib.parse import urlsplit

    host = urlsplit(site).hostname or "localhost"
    return formataddr(("Comments", f"comments@{host if '.' in host else 'localhost'}"))
