"""Mail delivery against a real SMTP server (aiosmtpd in this process) and the Maildir outbox: queue, retries, headers."""

from __future__ import annotations

import email
import email.policy
import mailbox
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from pelican.plugins.reader_comments.notify.mail import Delivery, Letter, MailError, MailQueue, check_address
from support.smtp import SecureSmtpServer, SmtpServer, make_certificate, text_of

SENDER = "Guide comments <comments@guide.example>"
READER = "reader.one@mail.example"


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1."""
    server = SmtpServer().start()
    yield server
    server.stop()


class Clock:
    """A clock the test moves by hand, so retries are due when the test says."""

    def __init__(self) -> None:
        """Start at a fixed time."""
        self.now = 1_000_000.0

    def __call__(self) -> float:
        """The current time."""
        return self.now


def smtp_queue(tmp_path: Path, smtp: SmtpServer, clock: Clock | None = None) -> MailQueue:
    """A queue in tmp_path delivering to the test server, without TLS."""
    delivery = Delivery(tmp_path / "outbox", smtp_host="127.0.0.1", smtp_port=smtp.port, security="none")
    return MailQueue(tmp_path / "queue", SENDER, delivery, clock or Clock())


def test_a_message_reaches_the_smtp_server_with_text_and_html(tmp_path: Path, smtp: SmtpServer) -> None:
    """A queued message is delivered once, plain text with an HTML alternative, from the configured sender."""
    queue = smtp_queue(tmp_path, smtp)
    queue.put(Letter(READER, "Hello", "Plain words.", "<p>Plain words.</p>"))
    assert queue.deliver() == 1
    [got] = smtp.inbox.wait(READER)
    assert got.sender == "comments@guide.example"
    assert got.message["From"] == SENDER
    assert text_of(got.message).strip() == "Plain words."
    assert text_of(got.message, "html").strip() == "<p>Plain words.</p>"
    assert queue.waiting() == 0
    assert queue.deliver() == 0
    assert len(smtp.inbox.messages) == 1


def test_a_refusing_server_loses_nothing_and_sends_nothing_twice(tmp_path: Path, smtp: SmtpServer) -> None:
    """Refused messages wait with a growing pause, survive a restart, and go once when the server takes them."""
    clock = Clock()
    queue = smtp_queue(tmp_path, smtp, clock)
    queue.put(Letter(READER, "First", "one"))
    queue.put(Letter(READER, "Second", "two"))
    smtp.inbox.refuse = "451 4.3.0 try again later"
    assert queue.deliver() == 0
    assert smtp.inbox.refused == 2 and queue.waiting() == 2
    assert queue.deliver() == 0, "a message is retried before its pause is over"
    assert smtp.inbox.refused == 2
    clock.now += 31
    assert queue.deliver() == 0
    assert smtp.inbox.refused == 4
    clock.now += 31
    assert queue.deliver() == 0 and smtp.inbox.refused == 4, "the second pause is longer than the first"
    smtp.inbox.refuse = None
    restarted = smtp_queue(tmp_path, smtp, clock)  # a new process reading the same folder
    clock.now += 3600
    assert restarted.deliver() == 2
    assert restarted.deliver() == 0
    assert sorted(m.message["Subject"] for m in smtp.inbox.messages) == ["First", "Second"]


def test_an_unreachable_server_keeps_the_message(tmp_path: Path, smtp: SmtpServer) -> None:
    """With the server down the message stays queued; with it back it goes."""
    clock = Clock()
    port = smtp.port
    smtp.stop()
    queue = MailQueue(tmp_path / "queue", SENDER, Delivery(tmp_path / "o", "127.0.0.1", port, "none"), clock)
    queue.put(Letter(READER, "Later", "wait for it"))
    assert queue.deliver() == 0 and queue.waiting() == 1
    server = SmtpServer()
    server.controller.port = port
    server.start()
    try:
        clock.now += 60
        assert queue.deliver() == 1
        assert [m.message["Subject"] for m in server.inbox.messages] == ["Later"]
    finally:
        server.stop()


def test_maildir_is_the_default_and_readable_by_a_mail_client(tmp_path: Path) -> None:
    """Without SMTP the message lands in a Maildir that the standard mailbox reader opens; delivering again adds none."""
    queue = MailQueue(tmp_path / "queue", SENDER, Delivery(tmp_path / "outbox"))
    queue.put(Letter(READER, "Into the outbox", "Stored."))
    assert queue.deliver() == 1
    box = mailbox.Maildir(tmp_path / "outbox", create=False)
    [message] = list(box)
    assert message["Subject"] == "Into the outbox"
    assert message["To"] == READER
    assert stat.S_IMODE((tmp_path / "outbox").stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in (tmp_path / "outbox" / "new").iterdir())


def test_typed_text_never_adds_a_header(tmp_path: Path, smtp: SmtpServer) -> None:
    """A name with CR/LF and a subject of any length stay one folded header; no Bcc appears."""
    queue = smtp_queue(tmp_path, smtp)
    hostile = "Eve\r\nBcc: victim@evil.example\r\n\r\nbody"
    queue.put(Letter(READER, f"New comment by {hostile} " + "long " * 400, "text", to_name=hostile))
    assert queue.deliver() == 1
    [got] = smtp.inbox.wait(READER)
    assert got.recipients == [READER]
    head = got.raw.split(b"\r\n\r\n", 1)[0].decode()
    assert "\nBcc:" not in head and "\n\n" not in head.replace("\r\n", "\n")
    assert [a.addr_spec for a in got.message["To"].addresses] == [READER]
    assert got.message["Bcc"] is None
    assert all(len(line) <= 998 for line in got.raw.split(b"\r\n"))
    subject = str(got.message["Subject"])
    assert "\n" not in subject and "\r" not in subject and len(subject) <= 120
    reparsed = email.message_from_bytes(got.raw, policy=email.policy.default)
    assert set(reparsed.keys()) >= {"From", "To", "Subject"} and "Bcc" not in reparsed


@pytest.mark.parametrize("raw", ["", "plain", "a@b", "two@@example.com", "with space@example.com",
                                 "x@example.com\nBcc: y@example.com", "é@example.com", "a" * 250 + "@example.com"])
def test_unusable_addresses_are_refused(raw: str) -> None:
    """What is not a plain address is refused with a message."""
    with pytest.raises(MailError):
        check_address(raw)


def test_a_good_address_is_kept_trimmed() -> None:
    """Spaces around an address are dropped."""
    assert check_address("  reader.one+tag@mail.example ") == "reader.one+tag@mail.example"


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_smtp_over_tls_with_a_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, security: str) -> None:
    """STARTTLS or TLS, the certificate checked, then a login with the password read from its file."""
    cert, key = make_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    server = SecureSmtpServer(cert, key, "intake", "s3cret pass", implicit=security == "tls").start()
    try:
        password = tmp_path / "password"
        password.write_text("s3cret pass\n")
        delivery = Delivery(tmp_path / "outbox", "127.0.0.1", server.port, security, "intake", password)
        queue = MailQueue(tmp_path / "queue", SENDER, delivery)
        queue.put(Letter(READER, "Secure", "Over TLS."))
        assert queue.deliver() == 1
        assert [m.message["Subject"] for m in server.inbox.to(READER)] == ["Secure"]
        assert server.logins and server.logins[-1].endswith(":ok")
    finally:
        server.stop()


def test_an_untrusted_certificate_is_refused(tmp_path: Path) -> None:
    """A server whose certificate is not trusted gets nothing: the message waits."""
    cert, key = make_certificate(tmp_path)
    server = SecureSmtpServer(cert, key, "intake", "pw").start()
    try:
        password = tmp_path / "password"
        password.write_text("pw")
        queue = MailQueue(tmp_path / "queue", SENDER, Delivery(tmp_path / "o", "127.0.0.1", server.port, "starttls", "intake", password))
        queue.put(Letter(READER, "Secret", "Not to an impostor."))
        assert queue.deliver() == 0 and queue.waiting() == 1
        assert server.inbox.messages == [] and server.logins == []
    finally:
        server.stop()
