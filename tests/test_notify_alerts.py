"""The moderators' alert as composed and batched, the webhook, and the subscribers database's rules of deletion."""

from __future__ import annotations

import email
import email.policy
import html.parser
import json
import mailbox
import sqlite3
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from pelican.plugins.reader_comments.notify.alerts import Alerter
from pelican.plugins.reader_comments.notify.config import moderators_of, notify_config
from pelican.plugins.reader_comments.notify.links import Signer
from pelican.plugins.reader_comments.notify.mail import MailQueue
from pelican.plugins.reader_comments.notify.subscribers import Subscribers
from support.comments import write_comment
from support.intake import free_port

TZ = ZoneInfo("America/New_York")
SLUG = "dinner-guest"
HOSTILE_NAME = 'Eve <script>alert(1)</script> "quoted" & co'
HOSTILE_BODY = "<img src=x onerror=alert(2)>\n\n[click](javascript:alert(3)) </blockquote><h1>big</h1>"
HOSTILE_SITE = 'https://evil.example/"><script>alert(4)</script>'
ARTICLES = {SLUG: {"title": "The Dinner <Guest>", "url": "2011/dinner-guest/", "mode": "open",
                   "comments": {"20110421T011500-hannah-brooks": "Hannah Brooks"}}}


def pending(folder: Path, cid: str, **fields: str) -> None:
    """Write a pending comment file `cid` in the article's folder."""
    values = {"author": "Ada", "date": "2026-12-01T10:00:00-05:00", "status": "pending", "body": "Hello.", **fields}
    write_comment(folder / SLUG, f"{cid}.yaml", values)


def alerter(tmp_path: Path, interval: int = 0, **settings: Any) -> tuple[Alerter, MailQueue]:
    """An Alerter writing to a Maildir in tmp_path, for one moderator."""
    config = notify_config({"COMMENTS_STATE_PATH": str(tmp_path / "state"), "COMMENTS_NOTIFY_INTERVAL": interval,
                            "COMMENTS_NOTIFY_MODERATORS": ["Mona <mona@mods.example>"],
                            "COMMENTS_SUBMIT_URL": "https://guide.example/inbox/comments", "SITEURL": "https://guide.example",
                            **settings})
    config.state.mkdir(parents=True)
    queue = MailQueue(config.queue, config.sender, config.delivery)
    return Alerter(config, Signer(b"k" * 64), queue, tmp_path / "comments", TZ, lambda: ARTICLES), queue


def outbox(tmp_path: Path) -> list[Any]:
    """The messages in the Maildir outbox."""
    folder = tmp_path / "state" / "outbox"
    if not folder.exists():
        return []
    box = mailbox.Maildir(folder, create=False)
    return [email.message_from_bytes(box.get_bytes(key), policy=email.policy.default) for key in box.keys()]


class Tags(html.parser.HTMLParser):
    """Every start tag and attribute of an HTML text."""

    def __init__(self) -> None:
        """Empty."""
        super().__init__()
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Note one tag."""
        self.tags.append((tag, attrs))


def test_everything_typed_is_escaped_in_the_html_part(tmp_path: Path) -> None:
    """Hostile name, body and website are text in the HTML part: no tag or attribute of theirs appears."""
    alerts, queue = alerter(tmp_path)
    pending(tmp_path / "comments", "20261201T100000-eve", author=HOSTILE_NAME, body=HOSTILE_BODY, website=HOSTILE_SITE,
            reply_to="20110421T011500-hannah-brooks")
    alerts.book.add(SLUG, "20261201T100000-eve")
    assert alerts.send_due() == 1
    queue.deliver()
    [message] = outbox(tmp_path)
    html_part = next(p for p in message.walk() if p.get_content_type() == "text/html").get_payload(decode=True).decode()
    text_part = next(p for p in message.walk() if p.get_content_type() == "text/plain").get_payload(decode=True).decode()
    parser = Tags()
    parser.feed(html_part)
    assert {tag for tag, _ in parser.tags} <= {"html", "body", "p", "h2", "a", "strong", "br", "blockquote", "hr"}
    assert not any(name.startswith("on") for _, attrs in parser.tags for name, _ in attrs)
    hrefs = [value for tag, attrs in parser.tags if tag == "a" for name, value in attrs if name == "href"]
    assert HOSTILE_SITE in hrefs and not any(str(h).startswith("javascript:") for h in hrefs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html_part and "&lt;/blockquote&gt;&lt;h1&gt;" in html_part
    assert "Replies to: Hannah Brooks" in text_part and HOSTILE_BODY in text_part
    assert "\n" not in str(message["Subject"]) and "Eve" in str(message["Subject"])
    assert [line.split(":")[0] for line in text_part.splitlines() if "/moderate?t=" in line] == ["Approve", "Reject", "Spam"]


def test_comments_close_together_share_one_alert(tmp_path: Path) -> None:
    """With an interval, the first alert goes at once and the next ones wait and are gathered into one."""
    alerts, queue = alerter(tmp_path, interval=600)
    for n in range(3):
        pending(tmp_path / "comments", f"20261201T10000{n}-r{n}", author=f"Reader {n}")
    alerts.book.add(SLUG, "20261201T100000-r0", now=1000.0)
    assert alerts.send_due(now=1000.0) == 1
    alerts.book.add(SLUG, "20261201T100001-r1", now=1100.0)
    alerts.book.add(SLUG, "20261201T100002-r2", now=1200.0)
    assert alerts.send_due(now=1500.0) == 0, "an alert went before the interval was over"
    assert alerts.send_due(now=1601.0) == 2
    queue.deliver()
    subjects = sorted(str(m["Subject"]) for m in outbox(tmp_path))
    assert subjects == ["2 new comments awaiting moderation", "New comment by Reader 0 on “The Dinner <Guest>”"]


def test_only_the_first_comment_waiting_is_said_to_bring_the_alert_sooner(tmp_path: Path) -> None:
    """The delivery thread is woken for the first comment waiting; the ones after it join the alert it already waits for."""
    alerts, _ = alerter(tmp_path, interval=600)
    assert alerts.book.add(SLUG, "20261201T100000-r0", now=1000.0) is True
    assert alerts.book.add(SLUG, "20261201T100001-r1", now=1001.0) is False
    assert alerts.book.add(SLUG, "20261201T100001-r1", now=1002.0) is False, "the same comment again"
    assert alerts.book.take(now=1003.0) == [(SLUG, "20261201T100000-r0"), (SLUG, "20261201T100001-r1")]
    assert alerts.book.add(SLUG, "20261201T100002-r2", now=1004.0) is True


def test_a_comment_decided_before_its_alert_is_left_out(tmp_path: Path) -> None:
    """A comment no longer pending when the alert goes is not announced."""
    alerts, _ = alerter(tmp_path)
    pending(tmp_path / "comments", "20261201T100000-done", status="approved")
    alerts.book.add(SLUG, "20261201T100000-done")
    assert alerts.send_due() == 0


class Hook(BaseHTTPRequestHandler):
    """Keeps each JSON body posted to it."""

    bodies: list[Any] = []

    def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
        """Keep the body; answer 204."""
        self.bodies.append((self.headers["Content-Type"], json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Stay quiet."""


@pytest.fixture
def webhook() -> Iterator[str]:
    """A real HTTP server on 127.0.0.1 that keeps what is posted."""
    server = HTTPServer(("127.0.0.1", free_port()), Hook)
    Hook.bodies = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/hook"
    server.shutdown()


def test_the_webhook_gets_the_alert_as_json_without_links(tmp_path: Path, webhook: str) -> None:
    """COMMENTS_NOTIFY_WEBHOOK receives the comment as JSON; the action links stay in the mail."""
    alerts, _ = alerter(tmp_path, COMMENTS_NOTIFY_WEBHOOK=webhook)
    pending(tmp_path / "comments", "20261201T100000-ada", body="Bring flowers?")
    alerts.book.add(SLUG, "20261201T100000-ada")
    assert alerts.send_due() == 1
    [(kind, body)] = Hook.bodies
    assert kind == "application/json"
    assert body["comments"][0]["id"] == "20261201T100000-ada" and body["comments"][0]["excerpt"] == "Bring flowers?"
    assert "moderate" not in json.dumps(body)


def addresses(path: Path) -> list[str]:
    """The addresses stored, read with sqlite3 directly."""
    with sqlite3.connect(path) as db:
        return sorted(row[0] for row in db.execute("SELECT address FROM addresses"))


def test_unconfirmed_addresses_go_after_48_hours(tmp_path: Path) -> None:
    """An unconfirmed address is deleted after 48 hours; a confirmed one is kept."""
    db = tmp_path / "s.sqlite3"
    subscribers = Subscribers(db)
    first, ask = subscribers.add("a@mail.example", SLUG, "c1", True, False, now=0.0)
    assert ask
    subscribers.add("b@mail.example", SLUG, "c2", True, True, now=0.0)
    subscribers.confirm(first, now=10.0)
    subscribers.purge(90, now=47 * 3600.0)
    assert addresses(db) == ["a@mail.example", "b@mail.example"]
    subscribers.purge(90, now=49 * 3600.0)
    assert addresses(db) == ["a@mail.example"]


def test_an_address_goes_when_nothing_is_left_to_send(tmp_path: Path) -> None:
    """Once its only wish is fulfilled the address is deleted; replies end after their days."""
    db = tmp_path / "s.sqlite3"
    subscribers = Subscribers(db)
    subscribers.add("a@mail.example", SLUG, "c1", True, False, now=0.0)
    subscribers.add("b@mail.example", SLUG, "c2", False, True, now=0.0)
    subscribers.fulfilled(SLUG, "c1", "published")
    assert addresses(db) == ["b@mail.example"]
    subscribers.purge(90, now=91 * 86400.0)
    assert addresses(db) == []


def test_a_new_address_is_asked_once_a_day_at_most(tmp_path: Path) -> None:
    """Posting again with an unconfirmed address does not send another request within a day."""
    subscribers = Subscribers(tmp_path / "s.sqlite3")
    assert subscribers.add("a@mail.example", SLUG, "c1", True, False, now=0.0)[1]
    assert not subscribers.add("a@mail.example", SLUG, "c2", True, False, now=3600.0)[1]
    assert subscribers.add("a@mail.example", SLUG, "c3", True, False, now=25 * 3600.0)[1]


def test_a_moderator_without_a_name_is_never_recorded_by_address() -> None:
    named, unnamed = moderators_of(("Mona Moderator <mona@example.org>", "ed@example.org"))
    assert (named.name, named.address) == ("Mona Moderator", "mona@example.org")
    assert unnamed.address == "ed@example.org"
    assert unnamed.name == "an editor, from an alert"
