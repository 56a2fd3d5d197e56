"""A reader's private link over the real intake and real git: edit or withdraw a pending comment, and every bad case.

Each change that is saved is committed and pushed alone with its own message;
every refusal leaves the file, the commits and the remote exactly as they were.
"""

from __future__ import annotations

import hashlib
import html
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import yaml

from support.git import sh, wait_for
from support.intake import FORM, IntakeServer, free_port, send, write_manifest

SLUG = "dinner-guest"


def git(cwd: Path, *args: str) -> str:
    """Run git; its output."""
    return sh(cwd, "git", *args).stdout


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A clone of a bare remote with one open article and its comments folder."""
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    clone = tmp_path / "site"
    git(tmp_path, "clone", "--quiet", str(bare), str(clone))
    git(clone, "checkout", "--quiet", "-B", "main")
    (clone / "content" / "comments" / SLUG).mkdir(parents=True)
    (clone / "content" / "comments" / SLUG / ".keep").write_text("")
    git(clone, "add", ".")
    git(clone, "commit", "--quiet", "-m", "Site")
    git(clone, "push", "--quiet", "origin", "main")
    write_manifest(tmp_path / "manifest.json", {SLUG: {"title": "The Dinner Guest", "url": "2011/dinner-guest/",
                                                       "mode": "open", "comments": {}}})
    return clone


@pytest.fixture
def intake(site: Path, tmp_path: Path) -> Iterator[IntakeServer]:
    """The intake committing and pushing, its links signed with a secret in its state folder."""
    port = free_port()
    env = {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_GIT_COMMIT": "true", "COMMENTS_GIT_PUSH": "origin",
           "COMMENTS_STATE_PATH": str(tmp_path / "state"), "COMMENTS_SUBMIT_URL": f"http://127.0.0.1:{port}/comments"}
    server = IntakeServer(site / "content" / "comments", tmp_path / "manifest.json", env=env,
                          log=tmp_path / "intake.log", fixed_port=port)
    with server:
        yield server


def remote_log(site: Path) -> list[str]:
    """The remote's commit subjects, newest first."""
    return git(site.parent / "remote.git", "log", "--format=%s", "main").splitlines()


def post_comment(intake: IntakeServer, author: str, body: str) -> tuple[str, str]:
    """Post a comment as a JSON client; its id and its edit link."""
    fields = {"article": SLUG, "author": author, "body": body, "website": "", "reply_to": "", "homepage": ""}
    reply = send(intake.port, "POST", "/comments", urlencode(fields), {"Content-Type": FORM, "Accept": "application/json"})
    assert reply.status == 201, reply.body
    return reply.json()["id"], reply.json()["edit"]


def token_of(link: str) -> str:
    """The token in an edit link."""
    return urlsplit(link).query.removeprefix("t=")


def digest(path: Path) -> str:
    """The digest of a file's bytes as the edit form carries it (first 32 hex digits of SHA-256)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:32]


def act(intake: IntakeServer, fields: dict[str, str]) -> tuple[int, str]:
    """POST the edit form; the status and the page, unescaped."""
    reply = send(intake.port, "POST", "/comments/edit", urlencode(fields), {"Content-Type": FORM, "Accept": "text/html"})
    return reply.status, html.unescape(reply.text)


@pytest.fixture
def pending(site: Path, intake: IntakeServer) -> tuple[Path, str, str]:
    """One pending comment, committed and pushed: its file, id and edit link."""
    comment_id, link = post_comment(intake, "Ann Lee", "Thank you for teh lovely dinner.")
    wait_for(lambda: remote_log(site)[0] == f"Comment pending moderation: {SLUG}/{comment_id}", what="the push")
    return site / "content" / "comments" / SLUG / f"{comment_id}.yaml", comment_id, link


def test_the_link_opens_the_pending_comment(intake: IntakeServer, pending: tuple[Path, str, str]) -> None:
    path, comment_id, link = pending
    assert urlsplit(link).path == "/comments/edit"
    parts = urlsplit(link)
    reply = send(intake.port, "GET", f"{parts.path}?{parts.query}")
    assert reply.status == 200
    assert "Thank you for teh lovely dinner." in html.unescape(reply.text)


def test_an_edit_rewrites_the_pending_file_and_is_committed_and_pushed(site: Path, intake: IntakeServer,
                                                                        pending: tuple[Path, str, str]) -> None:
    path, comment_id, link = pending
    before = path.read_text()
    status, page = act(intake, {"t": token_of(link), "digest": digest(path), "action": "save", "author": "Ann B. Lee",
                                "website": "https://ann.example/", "body": "Thank you for the lovely dinner."})
    assert status == 200, page
    old, new = yaml.safe_load(before), yaml.safe_load(path.read_text())
    assert new == {**old, "author": "Ann B. Lee", "website": "https://ann.example/",
                   "body": "Thank you for the lovely dinner."}
    assert new["status"] == "pending" and new["date"] == old["date"]
    wait_for(lambda: remote_log(site)[0] == f"Comment edited before moderation: {SLUG}/{comment_id}", what="the push")
    changed = git(site.parent / "remote.git", "show", "--name-status", "--format=", "main").split()
    assert changed == ["M", f"content/comments/{SLUG}/{comment_id}.yaml"]


def test_a_withdrawal_removes_the_file_in_its_own_commit(site: Path, intake: IntakeServer,
                                                         pending: tuple[Path, str, str]) -> None:
    path, comment_id, link = pending
    status, page = act(intake, {"t": token_of(link), "digest": digest(path), "action": "withdraw",
                                "author": "Ann Lee", "website": "", "body": "x"})
    assert status == 200 and "withdrawn" in page
    assert not path.exists()
    wait_for(lambda: remote_log(site)[0] == f"Comment withdrawn before moderation: {SLUG}/{comment_id}", what="the push")
    changed = git(site.parent / "remote.git", "show", "--name-status", "--format=", "main").split()
    assert changed == ["D", f"content/comments/{SLUG}/{comment_id}.yaml"]
    parts = urlsplit(link)
    gone = send(intake.port, "GET", f"{parts.path}?{parts.query}")
    assert gone.status == 410 and "no longer here" in gone.text


def unchanged(site: Path, path: Path, before: str, log: list[str]) -> None:
    """The file, the commits and the remote are as they were."""
    assert path.read_text() == before
    assert remote_log(site) == log
    assert git(site, "status", "--porcelain") == ""


TYPED = "My corrected text, kept whatever happens."


def test_bad_cases_change_nothing_and_keep_the_text(site: Path, intake: IntakeServer,
                                                    pending: tuple[Path, str, str]) -> None:
    path, comment_id, link = pending
    before, log, token = path.read_text(), remote_log(site), token_of(link)
    fields = {"t": token, "digest": digest(path), "action": "save", "author": "Ann Lee", "website": "", "body": TYPED}
    payload, signature = token.split(".")
    tampered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + signature
    cases = [
        ({**fields, "t": tampered}, 403, "not one we sent"),
        ({**fields, "t": "nonsense"}, 403, "not one we sent"),
        ({**fields, "author": "\u200b"}, 400, "Name must have something visible"),
        ({**fields, "body": "x" * 10_001}, 400, "Comment must be at most"),
        ({**fields, "digest": "0" * 32}, 409, "changed from another page"),
    ]
    for sent, status, words in cases:
        got, page = act(intake, sent)
        assert (got, words in page) == (status, True), (sent["t"][:10], page[:2000])
        assert sent["body"][:200] in page
        unchanged(site, path, before, log)
    # Two edits from two pages opened at once: the second, carrying the old digest, does not overwrite the first.
    first, _ = act(intake, {**fields, "body": "First tab's text."})
    assert first == 200
    second, page = act(intake, {**fields, "body": "Second tab's text."})
    assert second == 409 and "Second tab's text." in page and "First tab's text." in path.read_text()


def test_once_decided_the_comment_cannot_change(site: Path, intake: IntakeServer, pending: tuple[Path, str, str]) -> None:
    path, comment_id, link = pending
    path.write_text(path.read_text().replace("status: pending", "status: approved"))
    before, log = path.read_text(), remote_log(site)
    parts = urlsplit(link)
    page = send(intake.port, "GET", f"{parts.path}?{parts.query}")
    assert page.status == 200 and "A moderator has approved this comment" in page.text
    for action in ("save", "withdraw"):
        status, text = act(intake, {"t": token_of(link), "digest": digest(path), "action": action,
                                    "author": "Ann Lee", "website": "", "body": TYPED})
        assert status == 409 and "can no longer be changed" in text
        assert path.read_text() == before and remote_log(site) == log


def test_an_expired_link_changes_nothing(site: Path, tmp_path: Path) -> None:
    """A link past COMMENTS_EDIT_DAYS (here about two seconds) is refused with a clear page; the file stays."""
    port = free_port()
    env = {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_STATE_PATH": str(tmp_path / "state"), "COMMENTS_EDIT_DAYS": "0.00002",
           "COMMENTS_SUBMIT_URL": f"http://127.0.0.1:{port}/comments"}
    with IntakeServer(site / "content" / "comments", tmp_path / "manifest.json", env=env,
                      log=tmp_path / "expiring.log", fixed_port=port) as server:
        comment_id, link = post_comment(server, "Ann Lee", "Soon too late.")
        path = site / "content" / "comments" / SLUG / f"{comment_id}.yaml"
        before = path.read_text()
        time.sleep(2.5)
        status, page = act(server, {"t": token_of(link), "digest": digest(path), "action": "save",
                                    "author": "Ann Lee", "website": "", "body": TYPED})
        assert status == 410 and "This link has expired." in page and TYPED in page
        assert path.read_text() == before
