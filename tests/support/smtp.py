"""A real SMTP server (aiosmtpd) on 127.0.0.1 in the test process, keeping every message it accepts."""

from __future__ import annotations

import email
import email.policy
import shutil
import ssl
import subprocess
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from .intake import free_port
from .needs import missing

try:
    from aiosmtpd.controller import Controller
    from aiosmtpd.smtp import AuthResult, LoginPassword
except ImportError as exc:  # pragma: no cover - the message says what to install
    raise ImportError("the notice tests need aiosmtpd: make venv-dev (requirements-dev.txt pins it)") from exc


@dataclass
class Received:
    """One accepted message: envelope and the parsed message."""

    sender: str
    recipients: list[str]
    raw: bytes
    message: EmailMessage


@dataclass
class Inbox:
    """The handler: accepts (or refuses with `refuse`, an SMTP reply line) and keeps what it accepted."""

    messages: list[Received] = field(default_factory=list)
    refuse: str | None = None
    refused: int = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd's name)
        """Keep the message, or refuse it."""
        if self.refuse:
            self.refused += 1
            return self.refuse
        raw = bytes(envelope.original_content or envelope.content)
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        self.messages.append(Received(envelope.mail_from, list(envelope.rcpt_tos), raw, parsed))  # type: ignore[arg-type]
        return "250 OK"

    def to(self, address: str) -> list[Received]:
        """Messages for `address`."""
        return [m for m in self.messages if address in m.recipients]

    def wait(self, address: str, count: int = 1, timeout: float = 30.0) -> list[Received]:
        """Wait until `count` messages for `address` arrived; return them."""
        deadline = time.monotonic() + timeout
        while len(self.to(address)) < count:
            assert time.monotonic() < deadline, f"no message for {address} within {timeout}s ({len(self.messages)} in all)"
            time.sleep(0.05)
        return self.to(address)


class SmtpServer:
    """aiosmtpd's Controller on a free port of 127.0.0.1."""

    def __init__(self) -> None:
        """A server with an empty inbox; start() it."""
        self.inbox = Inbox()
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=free_port())

    def start(self) -> SmtpServer:
        """Start listening."""
        self.controller.start()
        return self

    @property
    def port(self) -> int:
        """The port it listens on."""
        return int(self.controller.port)

    def stop(self) -> None:
        """Stop listening (again is harmless)."""
        if self.controller._thread is not None:
            self.controller.stop()


def text_of(message: EmailMessage, kind: str = "plain") -> str:
    """The text/plain (or text/html) part of a message."""
    part = message.get_body(preferencelist=(kind,))
    assert part is not None, f"no text/{kind} part"
    return str(part.get_content())


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and its key, made with the openssl command."""
    if shutil.which("openssl") is None:
        missing("tls", "the TLS mail tests make their certificate with it")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(cert),
                    "-days", "1", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1"],
                   check=True, capture_output=True, timeout=60)
    return cert, key


class SecureSmtpServer(SmtpServer):
    """The server with STARTTLS required (or implicit TLS) and a login required after it."""

    def __init__(self, cert: Path, key: Path, user: str, password: str, implicit: bool = False) -> None:
        """A server that takes only `user` with `password`, over TLS."""
        self.inbox = Inbox()
        self.logins: list[str] = []
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)

        def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            """Accept the one user and password."""
            ok = isinstance(data, LoginPassword) and data.login == user.encode() and data.password == password.encode()
            self.logins.append(f"{mechanism}:{'ok' if ok else 'refused'}")
            return AuthResult(success=ok)

        # With implicit TLS aiosmtpd does not know the session is encrypted, so it must not wait for STARTTLS to offer AUTH.
        options: dict[str, Any] = {"authenticator": authenticate, "auth_require_tls": not implicit}
        if implicit:
            options["ssl_context"] = context
        else:
            options.update(tls_context=context, require_starttls=True)
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=free_port(), server_hostname="127.0.0.1",
                                     **options)
