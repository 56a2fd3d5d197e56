"""The reader's private link (intake/edits.py) in the test's own process: what each action writes, refuses and logs.

tests/test_intake_app.py drives the whole application; these tests pin what it
leaves open about the link itself: the exact bytes a removal request adds, the
refusals of a link naming a hidden or empty folder or a file that cannot be read,
the rate limit's refund of a refused action, the write that fails, the commit
that fails, and every log line. Each runs `create_app` through Starlette's test
client on a real comments folder (and real git where a path commits), so a
mutant of edits.py is seen; a refusal is pinned by its status, its exact words
and what is on disk afterwards.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import re
import resource
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import yaml
from test_intake_app import (
    EDIT_ACTION,
    HOSTILE,
    HOSTILE_SHOWN,
    LONG_LINK,
    LONG_LINK_SAID,
    PUBLISHED_FILE,
    PUBLISHED_ID,
    SITE,
    SLUG,
    Factory,
    Intake,
    changed,
    digest,
    disconnected,
    edit_page,
    filled,
    intake,
    make_intake,
    page,
    subjects,
    submitted,
)

from pelican.plugins.reader_comments.comment_format import CommentFileError, check_new
from pelican.plugins.reader_comments.errors import Problem
from pelican.plugins.reader_comments.intake import edits
from support.git import sh, wait_for

__all__ = ["intake", "make_intake"]  # the application's fixtures, used here as there

NOT_OURS = "This link is not one we sent, or it was cut short or changed."
PUBLISHED_SAYS = ("A moderator has approved this comment and it is published, so it can no longer be changed or withdrawn "
                  "here. You can ask the editors to remove it; a reason is optional and only the editors see it.")
NOT_CHANGED = "Your comment could not be changed; please try again later."
EDIT_LOG = "pelican.plugins.reader_comments.intake.edits"


def show(intake: Intake, token: str) -> tuple[int, dict[str, str]]:
    """GET the private link's page: its status and what each placeholder was filled with."""
    reply = intake.client.get(f"/comments/edit?{urlencode({'t': token})}")
    return reply.status_code, filled(reply.text, "edit")


def sign(intake: Intake, subject: str) -> str:
    """A genuine link token of the service's own for `subject` (`<folder>/<id>`)."""
    assert intake.service.edits is not None
    return intake.service.edits.signer.sign("edit", subject, 7)


def approve(path: Path) -> bytes:
    """A moderator's approval of a pending file, as the file's bytes afterwards."""
    path.write_bytes(path.read_bytes().replace(b"status: pending", b"status: approved"))
    return path.read_bytes()


@contextmanager
def files_limited_to(size: int) -> Iterator[None]:
    """No file may grow past `size` bytes meanwhile: a write fails with EFBIG, as on a full disk."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (size, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, handler)


@contextmanager
def article_held(intake: Intake) -> Iterator[asyncio.Lock]:
    """The article's lock, taken in the application's own event loop: an action on the article waits until the block ends."""
    portal = intake.client.portal
    assert portal is not None
    lock = intake.service._locks.setdefault(SLUG, asyncio.Lock())
    portal.call(lock.acquire)
    try:
        yield lock
    finally:
        portal.call(lock.release)


def meanwhile(intake: Intake, sent: dict[str, str], change: Callable[[], object]) -> Any:
    """POST `sent` while the article is held; once the action waits for it, `change` the file; the answer."""
    answers: list[Any] = []
    with article_held(intake) as lock:
        thread = threading.Thread(target=lambda: answers.append(intake.post("/comments/edit", sent)))
        thread.start()
        # asyncio keeps a lock's waiting tasks in `_waiters`: the action has read the file once and now waits.
        wait_for(lambda: bool(lock._waiters), timeout=10, what="the action waiting for the article")  # type: ignore[attr-defined]
        change()
    thread.join(30)
    assert answers, "no answer"
    return answers[0]


# ---------------------------------------------------------------- what a link names


@pytest.mark.parametrize("folder", ["", ".hats"])
def test_a_link_naming_an_empty_or_hidden_folder_is_refused_as_forged_even_where_the_file_is(
        make_intake: Factory, folder: str) -> None:
    with make_intake() as intake:
        path, _ = submitted(intake)
        # The same file where such a link would lead, were its folder taken as it is.
        where = intake.comments / folder / path.name
        where.parent.mkdir(exist_ok=True)
        where.write_bytes(path.read_bytes())
        before = intake.files()
        token = sign(intake, f"{folder}/{path.stem}")
        assert show(intake, token) == (403, page(heading="This link cannot change the comment", form_hidden="hidden",
                                                 back=f"{SITE}/", removal_hidden="hidden",
                                                 message=f"{NOT_OURS} Nothing was changed."))
        reply = intake.post("/comments/edit", {"t": token, "digest": digest(where), "action": "withdraw"})
        assert reply.status_code == 403
        assert intake.files() == before


def test_a_link_naming_a_file_whose_name_is_not_an_id_is_refused_as_forged(intake: Intake) -> None:
    path, _ = submitted(intake)
    (intake.comments / SLUG / "my notes.yaml").write_bytes(path.read_bytes())
    before = intake.files()
    status, shown = show(intake, sign(intake, f"{SLUG}/my notes"))
    assert (status, shown["message"]) == (403, f"{NOT_OURS} Nothing was changed.")
    assert intake.files() == before


def test_a_link_without_a_token_is_refused_as_forged(intake: Intake) -> None:
    submitted(intake)
    before = intake.files()
    reply = intake.client.get("/comments/edit")
    assert (reply.status_code, filled(reply.text, "edit")) == (403, page(
        heading="This link cannot change the comment", form_hidden="hidden", back=f"{SITE}/", removal_hidden="hidden",
        message=f"{NOT_OURS} Nothing was changed."))
    assert intake.post("/comments/edit", {"action": "withdraw"}).status_code == 403
    assert intake.files() == before


def test_a_link_finds_its_comment_in_a_yml_file_and_an_edit_rewrites_that_file(intake: Intake) -> None:
    path, token = submitted(intake)
    yml = path.with_suffix(".yml")
    path.rename(yml)
    assert show(intake, token) == (200, edit_page(yml, token, author="Ann", body="Hello *there*."))
    sent = {"t": token, "digest": digest(yml), "action": "save", "author": "Ann", "body": "Changed."}
    assert intake.post("/comments/edit", sent).status_code == 200
    assert yaml.safe_load(yml.read_text(encoding="utf-8"))["body"] == "Changed."
    assert set(intake.files()) == {f"{SLUG}/{PUBLISHED_ID}.yaml", f"{SLUG}/{yml.name}"}


def test_a_link_to_a_file_that_cannot_be_read_says_why_and_changes_nothing(intake: Intake) -> None:
    path, token = submitted(intake)
    path.write_bytes(path.read_bytes().replace(b"status: pending", b"status: maybe"))
    before = intake.files()
    said = ("The comment this link names cannot be read (&#x27;status&#x27; must be one of: pending, approved, rejected, "
            "spam (got &#x27;maybe&#x27;)). Nothing was changed.")
    status, shown = show(intake, token)
    assert (status, shown["message"]) == (403, said)
    reply = intake.post("/comments/edit", {"t": token, "digest": digest(path), "action": "save", "author": "A", "body": "B"})
    assert (reply.status_code, filled(reply.text, "edit")["message"]) == (403, said)
    assert intake.files() == before


# ---------------------------------------------------------------- the form as shown


def test_a_preview_keeps_the_digest_the_form_carried_and_a_form_without_one_is_given_the_file_s(intake: Intake) -> None:
    path, token = submitted(intake)
    sent = {"t": token, "digest": "0" * 32, "action": "preview", "author": "Ann", "body": "New."}
    reply = intake.post("/comments/edit", sent)
    assert reply.status_code == 200
    assert filled(reply.text, "edit")["digest"] == "0" * 32
    del sent["digest"]
    reply = intake.post("/comments/edit", sent)
    assert filled(reply.text, "edit") == edit_page(path, token, heading="Preview of your changed comment", author="Ann",
                                                   body="New.", preview="<p>New.</p>\n")


def test_an_edit_missing_its_fields_is_refused_with_each_and_shows_them_empty(intake: Intake) -> None:
    path, token = submitted(intake)
    before = intake.files()
    reply = intake.post("/comments/edit", {"t": token, "digest": digest(path), "action": "save"})
    assert reply.status_code == 400
    assert filled(reply.text, "edit") == edit_page(path, token, heading="Your comment was not changed",
                                                   errors="<li>Name is required.</li><li>Comment is required.</li>")
    assert intake.files() == before


def test_an_edit_is_checked_with_the_comment_s_own_article_and_parent_not_the_form_s(intake: Intake) -> None:
    path, token = submitted(intake, reply_to=PUBLISHED_ID)
    sent = {"t": token, "digest": digest(path), "action": "save", "author": "Ann", "body": "Changed.",
            "article": "../elsewhere", "reply_to": "not an id"}
    assert intake.post("/comments/edit", sent).status_code == 200
    stored = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert (stored["body"], stored["reply_to"], path.parent.name) == ("Changed.", PUBLISHED_ID, SLUG)


def test_an_edit_of_a_published_comment_is_answered_with_its_removal_form(intake: Intake) -> None:
    path, token = submitted(intake)
    approved = approve(path)
    for action in ("save", "withdraw", "preview"):
        sent = {"t": token, "digest": digest(path), "action": action, "author": "Ann", "body": "Changed."}
        reply = intake.post("/comments/edit", sent)
        assert (reply.status_code, filled(reply.text, "edit")) == (409, page(
            heading="Your comment is published", form_hidden="hidden", token=token, action=EDIT_ACTION, back=f"{SITE}/",
            message=PUBLISHED_SAYS)), action
    assert path.read_bytes() == approved


def test_an_edit_too_costly_to_publish_is_refused_with_the_reason_and_changes_nothing(intake: Intake) -> None:
    path, token = submitted(intake)
    before = intake.files()
    for action in ("save", "preview"):
        sent = {"t": token, "digest": digest(path), "action": action, "author": "Ann", "body": LONG_LINK}
        reply = intake.post("/comments/edit", sent)
        assert reply.status_code == 400
        assert filled(reply.text, "edit") == edit_page(path, token, heading="Your comment was not changed", author="Ann",
                                                       body=LONG_LINK, errors=f"<li>{LONG_LINK_SAID}</li>")
    assert intake.files() == before


def test_asking_a_pending_comment_s_removal_is_answered_with_its_form_and_changes_nothing(intake: Intake) -> None:
    path, token = submitted(intake, author=HOSTILE)
    before = intake.files()
    reply = intake.post("/comments/edit", {"t": token, "action": "remove", "reason": "Why not"})
    assert reply.status_code == 409
    assert filled(reply.text, "edit") == edit_page(path, token, author=HOSTILE_SHOWN, body="Hello *there*.")
    assert intake.files() == before


def test_a_spam_comment_is_said_to_be_declined_and_cannot_be_withdrawn(intake: Intake) -> None:
    path, token = submitted(intake)
    path.write_bytes(path.read_bytes().replace(b"status: pending", b"status: spam"))
    before = intake.files()
    declined = page(heading="Your comment was declined", form_hidden="hidden", back=f"{SITE}/", removal_hidden="hidden",
                    message="A moderator has declined this comment, so it can no longer be changed or withdrawn here.")
    assert show(intake, token) == (200, declined)
    reply = intake.post("/comments/edit", {"t": token, "digest": digest(path), "action": "withdraw"})
    assert (reply.status_code, filled(reply.text, "edit")) == (409, declined)
    assert intake.files() == before


# ---------------------------------------------------------------- the guard: refusals, the limit and its refunds


def test_a_refused_action_is_not_counted_against_the_reader_and_a_done_one_is(make_intake: Factory) -> None:
    with make_intake(COMMENTS_RATE_LIMIT=3) as intake:
        path, token = submitted(intake)  # 1 of 3
        invalid = {"t": token, "digest": digest(path), "action": "save", "author": "", "body": "B"}
        assert intake.post("/comments/edit", invalid).status_code == 400
        forged = {"t": sign(intake, f"{SLUG}/20240101T000000000000-zzzzzz"), "action": "withdraw"}
        assert intake.post("/comments/edit", forged).status_code == 410
        for body in ("Two.", "Three."):  # 2 and 3 of 3
            sent = {"t": token, "digest": digest(path), "action": "save", "author": "Ann", "body": body}
            assert intake.post("/comments/edit", sent).status_code == 200, body
        late = intake.post("/comments/edit", {**sent, "digest": digest(path), "body": HOSTILE, "reason": HOSTILE})
        assert (late.status_code, late.headers["retry-after"]) == (429, "600")
        assert filled(late.text, "edit") == page(
            heading="Nothing was changed", form_hidden="hidden", back=f"{SITE}/", removal_hidden="hidden",
            body=HOSTILE_SHOWN, reason=HOSTILE_SHOWN,
            message="You have sent several comments in a short time; please wait 10 minutes and send it again.")
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["body"] == "Three."


def test_a_refused_preview_is_not_counted_against_the_reader_s_previews(make_intake: Factory) -> None:
    with make_intake(COMMENTS_RATE_LIMIT=1) as intake:
        path, token = submitted(intake)
        sent = {"t": token, "digest": digest(path), "action": "preview", "author": "Ann", "body": LONG_LINK}
        assert intake.post("/comments/edit", sent).status_code == 400
        assert intake.post("/comments/edit", {**sent, "body": "Fine."}).status_code == 200
        assert intake.post("/comments/edit", {**sent, "body": "Again."}).status_code == 429


def test_a_post_from_a_foreign_page_is_turned_away_without_a_time_to_wait(intake: Intake) -> None:
    path, token = submitted(intake)
    before = intake.files()
    sent = {"t": token, "digest": digest(path), "action": "withdraw", "body": "B", "reason": "R"}
    reply = intake.post("/comments/edit", sent, origin="https://evil.example")
    assert reply.status_code == 403 and "retry-after" not in reply.headers
    assert filled(reply.text, "edit") == page(
        heading="Nothing was changed", form_hidden="hidden", back=f"{SITE}/", removal_hidden="hidden",
        message="Comments are not accepted from the page at https://evil.example; this service takes them from "
                "https://guide.example.")
    assert intake.files() == before


def test_a_form_with_fields_sent_twice_is_turned_away_with_every_reason(intake: Intake) -> None:
    path, token = submitted(intake)
    before = intake.files()
    fields = [("t", token), ("digest", digest(path)), ("action", "save"), ("author", "Ann"), ("author", "Eve"),
              ("body", "One."), ("body", HOSTILE)]
    reply = intake.post("/comments/edit", content=urlencode(fields).encode(), content_type="application/x-www-form-urlencoded")
    assert (reply.status_code, filled(reply.text, "edit")) == (400, page(
        heading="Nothing was changed", form_hidden="hidden", back=f"{SITE}/", removal_hidden="hidden",
        message="Name was sent more than once. Comment was sent more than once."))
    assert intake.files() == before


def test_a_reader_going_away_mid_form_is_answered_as_incomplete_and_changes_nothing(intake: Intake) -> None:
    submitted(intake)
    before = intake.files()
    assert disconnected(intake, "/comments/edit") == (400, b"incomplete request")
    assert intake.files() == before


# ---------------------------------------------------------------- saving, withdrawing: the log and the failures


def test_an_edit_and_a_withdrawal_are_logged_by_the_comment_s_name_alone(make_intake: Factory, tmp_path: Path,
                                                                          caplog: pytest.LogCaptureFixture) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("spam:\n  phrases: [casino bonus]\n", encoding="utf-8")
    with make_intake(COMMENTS_SPAM_RULES=str(rules), COMMENTS_RATE_LIMIT=0) as intake:
        path, token = submitted(intake, author=HOSTILE)
        label = f"{SLUG}/{path.stem}"
        with caplog.at_level(logging.INFO, logger=EDIT_LOG):
            sent = {"t": token, "digest": digest(path), "action": "save", "author": HOSTILE, "body": "casino bonus"}
            assert intake.post("/comments/edit", sent).status_code == 200
            sent = {"t": token, "digest": digest(path), "action": "withdraw"}
            assert intake.post("/comments/edit", sent).status_code == 200
    assert [(r.name, r.levelname, r.getMessage()) for r in caplog.records] == [
        (EDIT_LOG, "INFO", f"comment {label}: the edit matched the spam rules (spam)"),
        (EDIT_LOG, "INFO", f"comment {label} edited by its author before moderation"),
        (EDIT_LOG, "INFO", f"comment {label} withdrawn by its author before moderation"),
    ]
    assert not path.exists()


def test_an_edit_that_cannot_be_written_keeps_the_file_and_the_reader_s_text(intake: Intake,
                                                                               caplog: pytest.LogCaptureFixture) -> None:
    path, token = submitted(intake)
    before = intake.files()
    sent = {"t": token, "digest": digest(path), "action": "save", "author": "Ann", "body": HOSTILE}
    with caplog.at_level(logging.INFO, logger=EDIT_LOG), files_limited_to(64):
        reply = intake.post("/comments/edit", sent)
    assert reply.status_code == 503
    assert filled(reply.text, "edit") == edit_page(path, token, heading="Your comment was not changed", author="Ann",
                                                   body=HOSTILE_SHOWN, errors=f"<li>{NOT_CHANGED}</li>")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", f"comment {SLUG}/{path.stem} could not be changed: [Errno 27] File too large")]
    assert intake.files() == before


def test_an_edit_git_cannot_commit_is_kept_and_logged(make_intake: Factory, caplog: pytest.LogCaptureFixture) -> None:
    with make_intake(COMMENTS_GIT_COMMIT=True, COMMENTS_RATE_LIMIT=0) as intake:
        path, token = submitted(intake)
        (intake.root / ".git" / "index").write_bytes(b"not an index")
        sent = {"t": token, "digest": digest(path), "action": "save", "author": "Ann", "body": "Kept."}
        with caplog.at_level(logging.ERROR, logger=EDIT_LOG):
            assert intake.post("/comments/edit", sent).status_code == 200
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["body"] == "Kept."
        said, _, error = caplog.records[0].getMessage().partition(": hats/")
        assert (len(caplog.records), said) == (1, "Comment edited before moderation")
        assert error.startswith(f"{path.stem} saved but not committed: ") and error.endswith(
            "fatal: .git/index: index file smaller than expected"), error
        time.sleep(1.0)


# ---------------------------------------------------------------- a published comment: the removal request


def requested_at(written: bytes) -> datetime:
    """The moment a removal request records, read from its file (an offset required)."""
    found = re.search(rb'^removal_requested: "(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d)"\n', written, re.M)
    assert found is not None, written
    return datetime.fromisoformat(found[1].decode())


def test_a_removal_request_without_a_reason_adds_its_moment_in_the_site_s_zone_alone(
        make_intake: Factory, caplog: pytest.LogCaptureFixture) -> None:
    with make_intake(TIMEZONE="Asia/Kolkata") as intake:
        path, token = submitted(intake)
        approved = approve(path)
        before = datetime.now(UTC).replace(microsecond=0)
        with caplog.at_level(logging.INFO, logger=EDIT_LOG):
            reply = intake.post("/comments/edit", {"t": token, "action": "remove", "reason": "  "})
        assert reply.status_code == 200
        written = path.read_bytes()
        moment = requested_at(written)
        assert moment.utcoffset() == timedelta(hours=5, minutes=30)
        assert before <= moment <= datetime.now(UTC)
        stamp = moment.isoformat()
        assert written == approved + f'removal_requested: "{stamp}"\n'.encode()
        asked = (f"A moderator has approved this comment, so it can no longer be changed here. You asked on {stamp[:10]} "
                 "for it to be removed: the editors have your request and will take it off the site; nothing more is needed.")
        assert filled(reply.text, "edit") == page(heading="Your request was sent", form_hidden="hidden", token=token,
                                                  action=EDIT_ACTION, back=f"{SITE}/", removal_hidden="hidden", message=asked)
        assert show(intake, token) == (200, page(heading="Your comment is published", form_hidden="hidden", token=token,
                                                 action=EDIT_ACTION, back=f"{SITE}/", removal_hidden="hidden",
                                                 message=asked))
        assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
            ("INFO", f"comment {SLUG}/{path.stem}: its author asked for its removal")]


def test_a_removal_reason_with_an_address_is_refused_shown_escaped_and_nothing_is_recorded(intake: Intake) -> None:
    path, token = submitted(intake)
    approved = approve(path)
    reason = f"{HOSTILE} write to ann@example.org"
    reply = intake.post("/comments/edit", {"t": token, "action": "remove", "reason": reason, "body": HOSTILE})
    assert reply.status_code == 400
    assert filled(reply.text, "edit") == page(
        heading="Your request was not sent", form_hidden="hidden", token=token, action=EDIT_ACTION, back=f"{SITE}/",
        message=PUBLISHED_SAYS, reason=f"{HOSTILE_SHOWN} write to ann@example.org", body=HOSTILE_SHOWN,
        errors="<li>Reason must not hold an e-mail address: it is kept with the comment, where no address is kept.</li>")
    assert path.read_bytes() == approved


def test_a_removal_request_that_cannot_be_written_keeps_the_file(intake: Intake, caplog: pytest.LogCaptureFixture) -> None:
    path, token = submitted(intake)
    approved = approve(path)
    with caplog.at_level(logging.INFO, logger=EDIT_LOG), files_limited_to(64):
        reply = intake.post("/comments/edit", {"t": token, "action": "remove", "reason": "Haste."})
    assert reply.status_code == 503
    assert filled(reply.text, "edit") == page(
        heading="Your comment is published", form_hidden="hidden", token=token, action=EDIT_ACTION, back=f"{SITE}/",
        message=PUBLISHED_SAYS, reason="Haste.", errors=f"<li>{NOT_CHANGED}</li>")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", f"comment {SLUG}/{path.stem} could not be changed: [Errno 27] File too large")]
    assert path.read_bytes() == approved


def test_with_git_a_removal_request_is_committed_alone(make_intake: Factory) -> None:
    with make_intake(COMMENTS_GIT_COMMIT=True, COMMENTS_RATE_LIMIT=0) as intake:
        path, token = submitted(intake)
        approved = approve(path)
        where = f"content/comments/{SLUG}/{path.name}"
        sh(intake.root, "git", "commit", "--quiet", "-am", "Approve it")
        assert intake.post("/comments/edit", {"t": token, "action": "remove"}).status_code == 200
        written = path.read_bytes()
        assert written == approved + f'removal_requested: "{requested_at(written).isoformat()}"\n'.encode()
        assert (subjects(intake.root)[0], changed(intake.root)) == (f"Removal requested: {SLUG}/{path.stem}", ["M", where])
        assert sh(intake.root, "git", "status", "--porcelain", "content").stdout == ""
        time.sleep(1.0)


def test_an_edit_of_a_comment_dated_without_an_offset_reads_it_in_the_site_s_zone(make_intake: Factory) -> None:
    with make_intake(TIMEZONE="Asia/Kolkata") as intake:
        path, token = submitted(intake)
        text, dates = re.subn(rb'^date: "([^"]*)[+]05:30"$', rb'date: "\1"', path.read_bytes(), flags=re.M)
        assert dates == 1
        path.write_bytes(text)
        sent = {"t": token, "digest": digest(path), "action": "save", "author": "Ann", "body": "Changed."}
        assert intake.post("/comments/edit", sent).status_code == 200
        assert path.read_bytes() == text.replace(b"Hello *there*.", b"Changed.")


def test_a_removal_request_on_a_comment_dated_without_an_offset_reads_it_in_the_site_s_zone(
        make_intake: Factory) -> None:
    with make_intake(TIMEZONE="Asia/Kolkata") as intake:
        path, token = submitted(intake)
        text, dates = re.subn(rb'^date: "([^"]*)[+]05:30"$', rb'date: "\1"', approve(path), flags=re.M)
        assert dates == 1
        path.write_bytes(text)
        assert intake.post("/comments/edit", {"t": token, "action": "remove", "reason": "Haste."}).status_code == 200
        written = path.read_bytes()
        stamp = requested_at(written).isoformat()
        assert written == text + f'removal_requested: "{stamp}"\nremoval_reason: "Haste."\n'.encode()


# ---------------------------------------------------------------- what changed while an action waited for the article


@pytest.mark.parametrize("action", ["remove", "save", "withdraw"])
def test_a_comment_removed_while_an_action_waited_is_gone_and_nothing_is_written(intake: Intake, action: str) -> None:
    path, token = submitted(intake)
    if action == "remove":
        approve(path)
    sent = {"t": token, "digest": digest(path), "action": action, "author": "Ann", "reason": "Haste.", "body": "B"}
    reply = meanwhile(intake, sent, path.unlink)
    assert (reply.status_code, filled(reply.text, "edit")) == (410, page(
        heading="This link cannot change the comment", form_hidden="hidden", back=f"{SITE}/", removal_hidden="hidden",
        body="B", reason="Haste.",
        message="The comment this link names is no longer here: it was withdrawn or removed. Nothing was changed."))
    assert intake.files() == {f"{SLUG}/{PUBLISHED_ID}.yaml": PUBLISHED_FILE}


@pytest.mark.parametrize("action", ["remove", "save", "withdraw"])
def test_a_comment_decided_while_an_action_waited_is_said_so_and_kept_as_decided(intake: Intake, action: str) -> None:
    path, token = submitted(intake)
    decided = {"remove": b"status: rejected", "save": b"status: spam", "withdraw": b"status: rejected"}[action]
    if action == "remove":
        approve(path)
    before = path.read_bytes()

    def decide() -> None:
        path.write_bytes(before.replace(b"status: approved", decided).replace(b"status: pending", decided))

    sent = {"t": token, "digest": digest(path), "action": action, "author": "Ann", "body": "Changed.", "reason": "R"}
    reply = meanwhile(intake, sent, decide)
    assert (reply.status_code, filled(reply.text, "edit")) == (409, page(
        heading="Your comment was declined", form_hidden="hidden", back=f"{SITE}/", removal_hidden="hidden",
        message="A moderator has declined this comment, so it can no longer be changed or withdrawn here."))
    assert path.read_bytes() == before.replace(b"status: approved", decided).replace(b"status: pending", decided)


def test_a_comment_approved_while_its_edit_waited_is_answered_with_its_removal_form(intake: Intake) -> None:
    path, token = submitted(intake)
    sent = {"t": token, "digest": digest(path), "action": "save", "author": "Ann", "body": "Changed."}
    reply = meanwhile(intake, sent, lambda: approve(path))
    assert (reply.status_code, filled(reply.text, "edit")) == (409, page(
        heading="Your comment is published", form_hidden="hidden", token=token, action=EDIT_ACTION, back=f"{SITE}/",
        message=PUBLISHED_SAYS))
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["body"] == "Hello *there*."


def test_a_comment_put_back_to_pending_while_its_removal_request_waited_is_shown_in_its_form(intake: Intake) -> None:
    path, token = submitted(intake)
    pending = path.read_bytes()
    approve(path)
    reply = meanwhile(intake, {"t": token, "action": "remove", "reason": "Haste."}, lambda: path.write_bytes(pending))
    assert (reply.status_code, filled(reply.text, "edit")) == (409, edit_page(path, token, author="Ann",
                                                                               body="Hello *there*."))
    assert path.read_bytes() == pending


def test_a_comment_submitted_before_the_service_restarted_can_be_edited_withdrawn_or_asked_removed(
        make_intake: Factory) -> None:
    with make_intake(COMMENTS_RATE_LIMIT=0) as intake:
        edited, edit_token = submitted(intake)
        withdrawn, withdraw_token = submitted(intake)
        asked, ask_token = submitted(intake)
    approve(asked)
    # A new service: the articles' locks it keeps are made by the link's own actions.
    with make_intake(COMMENTS_RATE_LIMIT=0) as intake:
        sent = {"t": edit_token, "digest": digest(edited), "action": "save", "author": "Ann", "body": "Changed."}
        assert intake.post("/comments/edit", sent).status_code == 200
    with make_intake(COMMENTS_RATE_LIMIT=0) as intake:
        sent = {"t": withdraw_token, "digest": digest(withdrawn), "action": "withdraw"}
        assert intake.post("/comments/edit", sent).status_code == 200
    with make_intake(COMMENTS_RATE_LIMIT=0) as intake:
        assert intake.post("/comments/edit", {"t": ask_token, "action": "remove"}).status_code == 200
    assert yaml.safe_load(edited.read_text(encoding="utf-8"))["body"] == "Changed."
    assert not withdrawn.exists()
    assert b"\nremoval_requested: " in asked.read_bytes()


def test_a_withdrawal_the_disk_refuses_keeps_the_file_and_says_so(intake: Intake, monkeypatch: pytest.MonkeyPatch,
                                                                  caplog: pytest.LogCaptureFixture) -> None:
    path, token = submitted(intake)
    before = intake.files()
    unlink = Path.unlink

    def refused(self: Path, missing_ok: bool = False) -> None:
        """The disk turned read-only under the comments folder (as root, no permission can refuse the removal)."""
        if self == path:
            raise OSError(errno.EROFS, "Read-only file system", str(self))
        unlink(self, missing_ok)

    monkeypatch.setattr(Path, "unlink", refused)
    with caplog.at_level(logging.INFO, logger=EDIT_LOG):
        reply = intake.post("/comments/edit", {"t": token, "digest": digest(path), "action": "withdraw", "body": HOSTILE})
    assert reply.status_code == 503
    assert filled(reply.text, "edit") == edit_page(path, token, heading="Your comment was not changed", body=HOSTILE_SHOWN,
                                                   errors=f"<li>{NOT_CHANGED}</li>")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", f"comment {SLUG}/{path.stem} could not be changed: [Errno 30] Read-only file system: '{path}'")]
    assert intake.files() == before


# ---------------------------------------------------------------- the checked write


def test_a_checked_write_writes_the_new_file_s_bytes_or_raises_its_first_problem_and_writes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "c.yaml"
    text = 'author: "Ann"\ndate: "2024-01-01T00:00:00+00:00"\nstatus: pending\nbody: |-\n  Hi.\n'
    edits.write_checked(path, *check_new(path, text, UTC))
    assert path.read_bytes() == text.encode()
    first, second = Problem(path, 2, "first"), Problem(path, 3, "second")
    other = tmp_path / "d.yaml"
    with pytest.raises(CommentFileError) as raised:
        edits.write_checked(other, None, [first, second])
    assert raised.value.problem == first
    assert list(tmp_path.iterdir()) == [path]
