"""A published comment's private link over the real intake and real git: the author asks the editors to remove it.

The bare remote runs the site's own push gate (deploy/pre-receive) and the intake
pushes with the intake's identity, so an accepted request is one the gate lets
through. Every bad case leaves the file, the commits and the remote as they were.
The link's posts are checked like a submission (origin, rate limit), an edit is
screened by the spam rules, and the confirmation message carries the link.
"""

from __future__ import annotations

import base64
import hashlib
import html
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import yaml

from support.git import REPO, comments_repository, sh, wait_for
from support.intake import FORM, IntakeServer, free_port, send, write_manifest
from support.private_link import SLUG, act, post_comment, remote_log, token_of
from support.smtp import SmtpServer, text_of

REASON = "I wrote it in haste.\nPlease take it down — merci."


def git(cwd: Path, *args: str) -> str:
    """Run git; its output."""
    return sh(cwd, "git", *args).stdout


def publish(tmp_path: Path, comments: dict[str, str]) -> None:
    """Write the manifest a build would, with `comments` (id -> author) published."""
    write_manifest(tmp_path / "manifest.json", {SLUG: {"title": "The Dinner Guest", "url": "2011/dinner-guest/",
                                                       "mode": "open", "comments": comments}})


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A clone of a bare remote guarded by the site's push gate, with one open article."""
    clone = comments_repository(tmp_path / "site", SLUG, tmp_path / "remote.git")
    shutil.copy2(REPO / "deploy" / "pre-receive", tmp_path / "remote.git" / "hooks" / "pre-receive")
    publish(tmp_path, {})
    return clone


def intake_env(tmp_path: Path, port: int, **more: str) -> dict[str, str]:
    """The intake committing and pushing as the intake's key, its links signed with a secret in its state folder."""
    return {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_GIT_COMMIT": "true", "COMMENTS_GIT_PUSH": "origin",
            "COMMENTS_PUSHER": "intake", "COMMENTS_STATE_PATH": str(tmp_path / "state"),
            "COMMENTS_SUBMIT_URL": f"http://127.0.0.1:{port}/comments", **more}


@pytest.fixture
def intake(site: Path, tmp_path: Path) -> Iterator[IntakeServer]:
    """The intake of `site`."""
    port = free_port()
    with IntakeServer(site / "content" / "comments", tmp_path / "manifest.json", env=intake_env(tmp_path, port),
                      log=tmp_path / "intake.log", fixed_port=port) as server:
        yield server






def look(intake: IntakeServer, link: str) -> tuple[int, str]:
    """GET the private link; the status and the page, unescaped."""
    parts = urlsplit(link)
    reply = send(intake.port, "GET", f"{parts.path}?{parts.query}")
    return reply.status, html.unescape(reply.text)


def approve_on_remote(site: Path, tmp_path: Path, comment_id: str) -> None:
    """A moderator approves the comment in a clone of their own and pushes it (the gate lets a moderator's key through)."""
    mine = tmp_path / "moderator"
    if not mine.exists():
        git(tmp_path, "clone", "--quiet", str(site.parent / "remote.git"), str(mine))
    git(mine, "pull", "--quiet", "--rebase", "origin", "main")
    path = mine / "content" / "comments" / SLUG / f"{comment_id}.yaml"
    text = path.read_text().replace("status: pending", "status: approved")
    path.write_text(text + 'moderated_at: "2026-12-07T06:00:00+00:00"\nmoderator: "Mona"\n')
    git(mine, "commit", "--quiet", "-am", f"Approve {SLUG}/{comment_id}")
    git(mine, "push", "--quiet", "origin", "main")


@pytest.fixture
def published(site: Path, intake: IntakeServer, tmp_path: Path) -> tuple[Path, str, str]:
    """One comment approved by a moderator, published, and brought into the intake's clone: its file, id and link."""
    comment_id, link = post_comment(intake, "Ann Lee", "Thank you for the lovely dinner.")
    wait_for(lambda: remote_log(site)[0] == f"Comment pending moderation: {SLUG}/{comment_id}", what="the push")
    approve_on_remote(site, tmp_path, comment_id)
    publish(tmp_path, {comment_id: "Ann Lee"})
    path = site / "content" / "comments" / SLUG / f"{comment_id}.yaml"
    # Opening the link after a publish brings the moderators' decisions into the intake's clone.
    wait_for(lambda: look(intake, link)[0] == 200 and "status: approved" in path.read_text(), what="the sync")
    return path, comment_id, link


def unchanged(site: Path, path: Path, before: str, log: list[str]) -> None:
    """The file, the commits and the remote are as they were."""
    assert path.read_text() == before
    assert remote_log(site) == log
    assert git(site, "status", "--porcelain") == ""


def test_a_removal_request_is_recorded_committed_and_pushed_once(site: Path, intake: IntakeServer,
                                                                 published: tuple[Path, str, str]) -> None:
    path, comment_id, link = published
    status, page = look(intake, link)
    assert status == 200 and "Ask the editors to remove this comment" in page and 'name="body"' not in page
    before = path.read_text()
    status, page = act(intake, {"t": token_of(link), "action": "remove", "reason": f"  {REASON}\r\n"})
    assert status == 200 and "Your request was sent" in page, page
    after = path.read_text()
    # Every byte kept, and exactly two lines added at the end: the request's time and the reason.
    assert after.startswith(before)
    added = after[len(before):].splitlines()
    assert [line.split(":")[0] for line in added] == ["removal_requested", "removal_reason"]
    old, new = yaml.safe_load(before), yaml.safe_load(after)
    assert new == {**old, "removal_requested": new["removal_requested"], "removal_reason": REASON}
    assert new["status"] == "approved" and new["body"] == "Thank you for the lovely dinner."
    wait_for(lambda: remote_log(site)[0] == f"Removal requested: {SLUG}/{comment_id}", what="the push")
    changed = git(site.parent / "remote.git", "show", "--name-status", "--format=", "main").split()
    assert changed == ["M", f"content/comments/{SLUG}/{comment_id}.yaml"]
    assert git(site.parent / "remote.git", "show", f"main:content/comments/{SLUG}/{comment_id}.yaml") == after
    # The page now says the request is in; asking again changes nothing.
    status, page = look(intake, link)
    assert status == 200 and "You asked on" in page and 'value="remove"' not in page
    log = remote_log(site)
    status, page = act(intake, {"t": token_of(link), "action": "remove", "reason": "Once more."})
    assert status == 200 and "already received" in page
    time.sleep(1)
    unchanged(site, path, after, log)


def test_a_request_without_a_reason_adds_only_its_time(site: Path, intake: IntakeServer,
                                                       published: tuple[Path, str, str]) -> None:
    path, comment_id, link = published
    before = path.read_text()
    status, page = act(intake, {"t": token_of(link), "action": "remove", "reason": "   "})
    assert status == 200, page
    added = path.read_text()[len(before):].splitlines()
    assert len(added) == 1 and added[0].startswith('removal_requested: "20')
    wait_for(lambda: remote_log(site)[0] == f"Removal requested: {SLUG}/{comment_id}", what="the push")


def test_bad_removal_requests_change_nothing_and_keep_the_reason(site: Path, intake: IntakeServer,
                                                                 published: tuple[Path, str, str]) -> None:
    path, comment_id, link = published
    before, log, token = path.read_text(), remote_log(site), token_of(link)
    payload, signature = token.split(".")
    tampered = payload[:-2] + ("A" if payload[-2] != "A" else "B") + payload[-1] + "." + signature
    fields = {"t": token, "action": "remove", "reason": "Kept whatever happens."}
    cases = [
        ({**fields, "t": tampered}, 403, "not one we sent"),
        ({**fields, "t": "nonsense"}, 403, "not one we sent"),
        ({**fields, "t": ""}, 403, "not one we sent"),
        ({**fields, "reason": "Kept whatever happens. " + "x" * 1000}, 400, "Reason must be at most 1,000 characters"),
        ({**fields, "reason": "Kept whatever happens. Write to ann@mail.example"}, 400, "must not hold an e-mail address"),
        ({**fields, "reason": "Kept whatever happens.\x1b[31m"}, 400, "Reason contains control characters"),
    ]
    for sent, status, words in cases:
        got, page = act(intake, sent)
        assert (got, words in page) == (status, True), (sent["t"][:10], page[:3000])
        assert sent["reason"][:60] in page
        unchanged(site, path, before, log)


def test_a_request_for_a_comment_no_longer_there_changes_nothing(site: Path, intake: IntakeServer) -> None:
    comment_id, link = post_comment(intake, "Ann Lee", "Soon withdrawn.")
    wait_for(lambda: remote_log(site)[0] == f"Comment pending moderation: {SLUG}/{comment_id}", what="the push")
    path = site / "content" / "comments" / SLUG / f"{comment_id}.yaml"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    assert act(intake, {"t": token_of(link), "digest": digest, "action": "withdraw"})[0] == 200
    wait_for(lambda: remote_log(site)[0] == f"Comment withdrawn before moderation: {SLUG}/{comment_id}", what="the push")
    log = remote_log(site)
    status, page = act(intake, {"t": token_of(link), "action": "remove", "reason": "Gone already?"})
    assert status == 410 and "no longer here" in page and "Gone already?" in page
    assert not path.exists() and remote_log(site) == log and git(site, "status", "--porcelain") == ""


def test_a_pending_comment_is_withdrawn_not_removed(site: Path, intake: IntakeServer) -> None:
    comment_id, link = post_comment(intake, "Ann Lee", "Still waiting.")
    wait_for(lambda: remote_log(site)[0] == f"Comment pending moderation: {SLUG}/{comment_id}", what="the push")
    path = site / "content" / "comments" / SLUG / f"{comment_id}.yaml"
    before, log = path.read_text(), remote_log(site)
    status, page = act(intake, {"t": token_of(link), "action": "remove", "reason": "Not yet published."})
    assert status == 409 and "Withdraw this comment" in page
    unchanged(site, path, before, log)


def test_an_expired_link_asks_for_nothing(site: Path, tmp_path: Path) -> None:
    """A link past COMMENTS_EDIT_DAYS (about two seconds here) is refused with a clear page; the reason is kept."""
    port = free_port()
    env = intake_env(tmp_path, port, COMMENTS_EDIT_DAYS="0.00002")
    with IntakeServer(site / "content" / "comments", tmp_path / "manifest.json", env=env,
                      log=tmp_path / "expiring.log", fixed_port=port) as server:
        comment_id, link = post_comment(server, "Ann Lee", "Soon too late.")
        wait_for(lambda: remote_log(site)[0] == f"Comment pending moderation: {SLUG}/{comment_id}", what="the push")
        approve_on_remote(site, tmp_path, comment_id)
        git(site, "pull", "--quiet", "--rebase", "origin", "main")
        path = site / "content" / "comments" / SLUG / f"{comment_id}.yaml"
        before, log = path.read_text(), remote_log(site)
        assert "status: approved" in before
        time.sleep(2.5)
        status, page = act(server, {"t": token_of(link), "action": "remove", "reason": "Too late to ask."})
        assert status == 410 and "This link has expired." in page and "Too late to ask." in page
        unchanged(site, path, before, log)


def test_the_links_posts_pass_the_origin_check_and_the_rate_limit(site: Path, tmp_path: Path) -> None:
    """A post from a foreign page is refused; past the submissions' limit, edits wait like submissions; refusals count for nothing."""
    port = free_port()
    env = intake_env(tmp_path, port, COMMENTS_RATE_LIMIT="3", COMMENTS_RATE_WINDOW="600")
    with IntakeServer(site / "content" / "comments", tmp_path / "manifest.json", env=env,
                      log=tmp_path / "limited.log", fixed_port=port) as server:
        comment_id, link = post_comment(server, "Ann Lee", "Counted once.")
        wait_for(lambda: remote_log(site)[0] == f"Comment pending moderation: {SLUG}/{comment_id}", what="the push")
        path = site / "content" / "comments" / SLUG / f"{comment_id}.yaml"
        fields = {"t": token_of(link), "action": "save", "author": "Ann Lee", "website": ""}

        def digest() -> str:
            """The digest of the file as it is now."""
            return hashlib.sha256(path.read_bytes()).hexdigest()[:32]

        before, log = path.read_text(), remote_log(site)
        status, page = act(server, {**fields, "digest": digest(), "body": "From elsewhere."},
                           {"Origin": "https://evil.example"})
        assert status == 403 and "not accepted from the page at https://evil.example" in page
        unchanged(site, path, before, log)
        status, page = act(server, {**fields, "t": "forged", "digest": digest(), "body": "Refused, so not counted."})
        assert status == 403
        # Neither refused post counted: two edits still fit in the limit of three.
        for text in ("Second post.", "Third post."):
            status, page = act(server, {**fields, "digest": digest(), "body": text},
                               {"Origin": f"http://127.0.0.1:{port}"})
            assert status == 200, page
        wait_for(lambda: remote_log(site)[0].startswith("Comment edited") and "Third post." in path.read_text(), what="the edits")
        wait_for(lambda: len(remote_log(site)) == len(log) + 2, what="the second push")
        before, log = path.read_text(), remote_log(site)
        status, page = act(server, {**fields, "digest": digest(), "body": "Fourth, too soon."})
        assert status == 429 and "please wait" in page and "Fourth, too soon." in page
        unchanged(site, path, before, log)


def test_an_edit_is_screened_by_the_spam_rules(site: Path, intake: IntakeServer) -> None:
    """An edit that brings in a phrase the site's rules call spam keeps it pending, with the verdict in the note."""
    comment_id, link = post_comment(intake, "Ann Lee", "A clean first version.")
    wait_for(lambda: remote_log(site)[0] == f"Comment pending moderation: {SLUG}/{comment_id}", what="the push")
    path = site / "content" / "comments" / SLUG / f"{comment_id}.yaml"
    assert "note" not in yaml.safe_load(path.read_text())
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:32]
    status, page = act(intake, {"t": token_of(link), "digest": digest, "action": "save", "author": "Ann Lee",
                                "website": "", "body": "Try our online casino tonight."})
    assert status == 200, page
    saved = yaml.safe_load(path.read_text())
    assert saved["status"] == "pending" and saved["body"] == "Try our online casino tonight."
    assert saved["note"] == "spam rules: spam: phrase 'online casino'"
    wait_for(lambda: remote_log(site)[0] == f"Comment edited before moderation: {SLUG}/{comment_id}", what="the push")


def test_the_confirmation_message_carries_the_private_link(site: Path, tmp_path: Path) -> None:
    """A reader who asks for notices gets the link in the confirmation message; it opens their comment; no address in it."""
    smtp = SmtpServer().start()
    port = free_port()
    env = intake_env(tmp_path, port, COMMENTS_NOTIFY_INTERVAL="0", COMMENTS_SMTP_HOST="127.0.0.1",
                     COMMENTS_SMTP_PORT=str(smtp.port), COMMENTS_SMTP_SECURITY="none",
                     COMMENTS_NOTIFY_MODERATORS="Mona Moderator <mona@mods.example>")
    try:
        with IntakeServer(site / "content" / "comments", tmp_path / "manifest.json", env=env,
                          log=tmp_path / "notices.log", fixed_port=port) as server:
            fields = {"article": SLUG, "author": "Ann Lee", "body": "Tell me when it is up.", "website": "",
                      "reply_to": "", "homepage": "", "email": "ann.reader@mail.example", "notify_published": "1"}
            reply = send(server.port, "POST", "/comments", urlencode(fields), {"Content-Type": FORM, "Accept": "application/json"})
            assert reply.status == 201, reply.body
            [confirmation] = smtp.inbox.wait("ann.reader@mail.example")
            lines = text_of(confirmation.message).replace("\r\n", "\n").split("\n")
            link = lines[lines.index("Change, withdraw or ask to remove your comment:") + 1]
            assert link.startswith(f"http://127.0.0.1:{port}/comments/edit?t=")
            assert f'href="{html.escape(link, quote=True)}"' in text_of(confirmation.message, "html")
            assert "mail.example" not in base64.urlsafe_b64decode(token_of(link).split(".")[0] + "==").decode()
            status, page = look(server, link)
            assert status == 200 and "Tell me when it is up." in page
    finally:
        smtp.stop()
