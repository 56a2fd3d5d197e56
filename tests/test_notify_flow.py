"""The whole notice loop over the real intake, git and a real SMTP server: alert, link, decision, notices, privacy.

A reader posts with an address and both choices; the confirmation and the
moderators' alert arrive; the approve link shows a page and changes nothing
until its button is pressed; then the file is approved, committed and pushed.
`reader-comments notify` after a publish tells the reader once; a reply tells
them again; unsubscribing deletes the address. Forged, reused and stale links
change nothing. Finally no test address is anywhere but the subscribers
database and the mail.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

from support.git import sh, wait_for
from support.intake import FORM, REPO, IntakeServer, free_port, send, service_env, write_manifest
from support.smtp import SmtpServer, text_of

SLUG = "dinner-guest"
READER = "first.reader@mail.example"
SECOND = "second.reader@mail.example"
MODERATOR = "mona@mods.example"
ADDRESSES = (READER, SECOND)
LINK = re.compile(r"http://127\.0\.0\.1:\d+/comments/(?:moderate|confirm|unsubscribe)\?t=[A-Za-z0-9_.%-]+")


def run_git(cwd: Path, *args: str) -> str:
    """Run git as a person would; return its output."""
    return sh(cwd, "git", *args).stdout


@pytest.fixture
def smtp() -> Iterator[SmtpServer]:
    """A real SMTP server on 127.0.0.1."""
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A clone of a bare remote with one open article and its comments folder."""
    bare = tmp_path / "remote.git"
    run_git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    clone = tmp_path / "site"
    run_git(tmp_path, "clone", "--quiet", str(bare), str(clone))
    run_git(clone, "checkout", "--quiet", "-B", "main")
    (clone / "content" / "comments" / SLUG).mkdir(parents=True)
    (clone / "content" / "comments" / SLUG / ".keep").write_text("")
    run_git(clone, "add", ".")
    run_git(clone, "commit", "--quiet", "-m", "Site")
    run_git(clone, "push", "--quiet", "origin", "main")
    publish(tmp_path / "manifest.json", {})
    return clone


def publish(path: Path, comments: dict[str, str]) -> None:
    """Write the manifest a build would, with `comments` (id -> author) published."""
    write_manifest(path, {SLUG: {"title": "The Dinner Guest", "url": "2011/dinner-guest/", "mode": "open",
                                 "comments": comments}})


@pytest.fixture
def intake(site: Path, smtp: SmtpServer, tmp_path: Path) -> Iterator[IntakeServer]:
    """The intake committing and pushing, alerting one moderator at once, mailing through the test server."""
    port = free_port()
    server = IntakeServer(site / "content" / "comments", tmp_path / "manifest.json", env=notice_env(tmp_path, smtp, port),
                          log=tmp_path / "intake.log", fixed_port=port)
    (tmp_path / "links-base.json").write_text(json.dumps(f"http://127.0.0.1:{port}/"))
    with server:
        yield server


def notice_env(tmp_path: Path, smtp: SmtpServer, port: int) -> dict[str, str]:
    """The settings of the notices, all in the environment."""
    return {
        "COMMENTS_RATE_LIMIT": "0", "COMMENTS_GIT_COMMIT": "true", "COMMENTS_GIT_PUSH": "origin",
        "COMMENTS_STATE_PATH": str(tmp_path / "state"), "COMMENTS_NOTIFY_INTERVAL": "0",
        "COMMENTS_NOTIFY_MODERATORS": f"Mona Moderator <{MODERATOR}>",
        "COMMENTS_SMTP_HOST": "127.0.0.1", "COMMENTS_SMTP_PORT": str(smtp.port), "COMMENTS_SMTP_SECURITY": "none",
        "COMMENTS_SUBMIT_URL": f"http://127.0.0.1:{port}/comments",
    }


def post(port: int, author: str, body: str, **more: str) -> tuple[int, dict]:
    """Post the form as a JSON client; the status and the answer."""
    fields = {"article": SLUG, "author": author, "body": body, "website": "", "reply_to": "", "homepage": "", **more}
    reply = send(port, "POST", "/comments", urlencode(fields), {"Content-Type": FORM, "Accept": "application/json"})
    return reply.status, reply.json()


def links_in(text: str) -> dict[str, str]:
    """The links of a message by what they do (moderate links by their word)."""
    found: dict[str, str] = {}
    for line in text.splitlines():
        match = LINK.search(line)
        if match:
            word = line.split(":")[0].strip() if line.split(":")[0].strip() in ("Approve", "Reject", "Spam") else \
                urlsplit(match.group()).path.rsplit("/", 1)[1]
            found.setdefault(word, match.group())
    return found


def open_link(url: str, method: str = "GET", body: str | None = None) -> tuple[int, str]:
    """GET a link, or POST its form (the token as field t)."""
    parts = urlsplit(url)
    if method == "GET":
        reply = send(parts.port or 80, "GET", f"{parts.path}?{parts.query}")
    else:
        token = dict(p.split("=", 1) for p in parts.query.split("&"))["t"]
        from urllib.parse import unquote

        form = body if body is not None else urlencode({"t": unquote(token)})
        target = f"{parts.path}?{parts.query}" if body is not None else parts.path
        reply = send(parts.port or 80, "POST", target, form, {"Content-Type": FORM})
    return reply.status, reply.text


def notify(site: Path, tmp_path: Path, smtp: SmtpServer, previous: Path, current: Path) -> str:
    """Run `reader-comments notify` as the publish does, with the intake's settings; its output."""
    port = int(urlsplit(json.loads((tmp_path / "links-base.json").read_text())).port or 0)
    env = service_env(notice_env(tmp_path, smtp, port))
    done = subprocess.run(
        [sys.executable, "-m", "pelican.plugins.reader_comments.moderation", "notify", "--settings", str(REPO / "pelicanconf.py"),
         "--content", str(site / "content"), "--previous", str(previous), "--manifest", str(current)],
        cwd=site, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def stored(tmp_path: Path) -> list[str]:
    """Addresses in the subscribers database, read with sqlite3 directly."""
    with sqlite3.connect(tmp_path / "state" / "subscribers.sqlite3") as db:
        return [row[0] for row in db.execute("SELECT address FROM addresses")]


def test_alert_link_decision_notices_and_privacy(site: Path, intake: IntakeServer, smtp: SmtpServer, tmp_path: Path) -> None:
    """The whole loop, as a reader and a moderator live it."""
    folder = site / "content" / "comments" / SLUG
    posted = time.monotonic()
    status, answer = post(intake.port, "Ada Reader", "Should I bring flowers?", email=READER,
                          notify_published="1", notify_replies="1")
    assert status == 201, answer
    first = answer["id"]
    [alert] = smtp.inbox.wait(MODERATOR)
    alert_delay = time.monotonic() - posted
    [confirmation] = smtp.inbox.wait(READER)
    assert "confirm" in confirmation.message["Subject"].lower()
    assert confirmation.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = text_of(alert.message)
    assert "The Dinner Guest" in text and "Ada Reader" in text and "Should I bring flowers?" in text
    assert READER not in alert.raw.decode()
    actions = links_in(text)
    assert set(actions) == {"Approve", "Reject", "Spam"}
    path = folder / f"{first}.yaml"
    wait_for(lambda: first in run_git(tmp_path / "remote.git", "log", "--format=%s", "main"), what="the pending commit pushed")
    before = path.read_bytes()

    status, page = open_link(actions["Approve"])
    assert status == 200 and "Approve this comment?" in page and "Should I bring flowers?" in page
    assert path.read_bytes() == before, "opening the link changed the file"
    tampered = actions["Approve"][:-3] + ("AAA" if not actions["Approve"].endswith("AAA") else "BBB")
    assert open_link(tampered, "POST")[0] == 403
    assert path.read_bytes() == before

    status, page = open_link(actions["Approve"], "POST")
    assert status == 200 and "approved" in page
    after = path.read_text(encoding="utf-8")
    assert re.search(r'^status: "?approved"?$', after, re.M) and 'moderator: "Mona Moderator"' in after
    wait_for(lambda: f"Approve {SLUG}/{first}" in run_git(tmp_path / "remote.git", "log", "--format=%s", "main"),
             what="the decision pushed")
    assert open_link(actions["Approve"], "POST")[0] == 410, "a used link worked again"
    status, page = open_link(actions["Reject"])
    assert status == 410 and "no longer applies" in page
    assert re.search(r'^status: "?approved"?$', path.read_text(encoding="utf-8"), re.M)

    confirm = links_in(text_of(confirmation.message))["confirm"]
    assert open_link(confirm)[0] == 200
    assert open_link(confirm, "POST")[0] == 200

    manifests = tmp_path / "manifests"
    manifests.mkdir()
    publish(manifests / "0.json", {})
    publish(manifests / "1.json", {first: "Ada Reader"})
    published_at = time.monotonic()
    notify(site, tmp_path, smtp, manifests / "0.json", manifests / "1.json")
    notices = smtp.inbox.wait(READER, 2)
    notice_delay = time.monotonic() - published_at
    assert "is published" in notices[1].message["Subject"]
    assert f"/2011/dinner-guest/#comment-{first}" in text_of(notices[1].message)
    notify(site, tmp_path, smtp, manifests / "0.json", manifests / "1.json")
    assert len(smtp.inbox.to(READER)) == 2, "a republish sent the notice again"

    publish(tmp_path / "manifest.json", {first: "Ada Reader"})
    time.sleep(0.05)
    status, answer = post(intake.port, "Ben Second", "Yes, always flowers.", reply_to=first, email=SECOND, notify_published="1")
    assert status == 201, answer
    reply = answer["id"]
    [reply_alert] = smtp.inbox.wait(MODERATOR, 2)[1:]
    assert "In reply" in text_of(reply_alert.message) or "Replies to: Ada Reader" in text_of(reply_alert.message)
    assert open_link(links_in(text_of(reply_alert.message))["Approve"], "POST")[0] == 200
    publish(manifests / "2.json", {first: "Ada Reader", reply: "Ben Second"})
    notify(site, tmp_path, smtp, manifests / "1.json", manifests / "2.json")
    reply_notice = smtp.inbox.wait(READER, 3)[2]
    assert "Ben Second replied" in reply_notice.message["Subject"]
    assert f"#comment-{reply}" in text_of(reply_notice.message)
    assert len(smtp.inbox.to(SECOND)) == 1, "an unconfirmed address got more than the confirmation"

    leave = reply_notice.message["List-Unsubscribe"].strip("<>")
    assert open_link(leave)[0] == 200
    assert READER in stored(tmp_path), "opening the unsubscribe link deleted the address by itself"
    assert open_link(leave, "POST", "List-Unsubscribe=One-Click")[0] == 200
    assert READER not in stored(tmp_path)

    status, answer = post(intake.port, "Cy", "Bad address.", email="not an address", notify_replies="1")
    assert status == 400 and "email" in answer["errors"]

    private = [site / "content", intake.log, *[p for p in (tmp_path / "manifests").iterdir()], tmp_path / "manifest.json"]
    history = run_git(site, "log", "--all", "-p", "--format=%an %ae %s %b") + run_git(tmp_path / "remote.git", "log", "--all", "-p")
    for address in ADDRESSES:
        assert address not in history
        for place in private:
            for file in ([place] if place.is_file() else [p for p in place.rglob("*") if p.is_file()]):
                assert address not in file.read_text(encoding="utf-8", errors="replace"), f"{address} in {file}"
    print(json.dumps({"post_to_alert_s": round(alert_delay, 3), "publish_to_notice_s": round(notice_delay, 3)}))


def test_a_refusing_mail_server_fails_no_post_and_loses_nothing_across_a_restart(
        site: Path, intake: IntakeServer, smtp: SmtpServer, tmp_path: Path) -> None:
    """The post succeeds while the server refuses; after a restart and the server's return the alert arrives once."""
    smtp.inbox.refuse = "451 4.3.0 mailbox busy"
    status, answer = post(intake.port, "Dora Patient", "Waiting for the mail.")
    assert status == 201, answer
    wait_for(lambda: smtp.inbox.refused >= 1, what="the server refusing the alert")
    queued = list((tmp_path / "state" / "mail-queue").glob("*.json"))
    assert len(queued) == 1
    intake.stop()
    smtp.inbox.refuse = None
    intake.start()
    [alert] = smtp.inbox.wait(MODERATOR, timeout=60)
    assert "Dora Patient" in text_of(alert.message)
    time.sleep(1)
    assert len(smtp.inbox.to(MODERATOR)) == 1
    assert not list((tmp_path / "state" / "mail-queue").glob("*.json"))


def test_expired_and_forged_links_change_nothing(site: Path, intake: IntakeServer, smtp: SmtpServer, tmp_path: Path) -> None:
    """A link past COMMENTS_LINK_DAYS, or signed with another secret, gets a clear page and the file stays."""
    from pelican.plugins.reader_comments.notify.links import Signer

    status, answer = post(intake.port, "Eli Late", "Too late to approve.")
    assert status == 201
    path = site / "content" / "comments" / SLUG / f"{answer['id']}.yaml"
    smtp.inbox.wait(MODERATOR)
    before = path.read_bytes()
    real = links_in(text_of(smtp.inbox.to(MODERATOR)[0].message))["Approve"]
    extra = json.loads(__import__("base64").urlsafe_b64decode(_payload(real) + "==="))["d"]
    secret = (tmp_path / "state" / "secret").read_text().strip().encode()
    base = real.split("?")[0]
    old = Signer(secret).sign("moderate", f"{SLUG}/{answer['id']}", 7, "pending", extra, now=time.time() - 8 * 86400)
    other = Signer(b"x" * 64).sign("moderate", f"{SLUG}/{answer['id']}", 7, "pending", extra)
    for token, status_wanted, words in ((old, 410, "expired"), (other, 403, "does not work")):
        url = f"{base}?{urlencode({'t': token})}"
        status, page = open_link(url)
        assert status == status_wanted and words in page and "Nothing was changed" in page
        assert open_link(url, "POST")[0] == status_wanted
    assert path.read_bytes() == before


def _payload(url: str) -> str:
    """The payload part of a link's token."""
    from urllib.parse import parse_qs

    return parse_qs(urlsplit(url).query)["t"][0].split(".")[0]


def test_a_secret_inside_the_site_stops_the_intake_with_a_clear_message(site: Path, tmp_path: Path) -> None:
    """COMMENTS_SECRET_FILE in the site's folder: the intake does not start, says why, shows no traceback, creates nothing."""
    inside = REPO / "link-secret-that-must-not-exist"
    server = IntakeServer(site / "content" / "comments", tmp_path / "manifest.json", log=tmp_path / "refused.log",
                          env={"COMMENTS_STATE_PATH": str(tmp_path / "state"), "COMMENTS_SECRET_FILE": str(inside)})
    with pytest.raises(RuntimeError, match="exited with 2"):
        server.start(timeout=30)
    log = (tmp_path / "refused.log").read_text()
    assert "cannot start: COMMENTS_SECRET_FILE" in log and "outside the repository" in log
    assert "Traceback" not in log and not inside.exists()
