"""An erased comment must not come back: the intake notices a rewritten remote history and replays nothing."""

from __future__ import annotations

import time
from pathlib import Path

from support.git import comments_repository, files_on, sh, wait_for
from support.intake import IntakeServer, open_articles, write_manifest
from support.intake import post_comment as post


def remote_and_clone(tmp_path: Path) -> tuple[Path, Path]:
    """A bare remote holding one article's comments folder, and the intake's clone of it."""
    bare, site = tmp_path / "remote.git", tmp_path / "site"
    comments_repository(site, remote=bare)
    write_manifest(tmp_path / "manifest.json", open_articles("first"))
    return bare, site


def intake(site: Path) -> IntakeServer:
    """The intake committing in the clone and pushing to origin, logging beside it."""
    env = {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_GIT_COMMIT": "true", "COMMENTS_GIT_PUSH": "origin"}
    return IntakeServer(site / "content" / "comments", site.parent / "manifest.json", env=env, log=site.parent / "intake.log")


def path_of(comment_id: str) -> str:
    """Where comment `comment_id` lives in the repository."""
    return f"content/comments/first/{comment_id}.yaml"


def erase(bare: Path, tmp_path: Path, comment_id: str) -> None:
    """A moderator removes the comment's commit from history (it is the newest) and force-pushes, with a commit of their own."""
    moderator = tmp_path / "moderator"
    sh(tmp_path, "git", "clone", "--quiet", str(bare), str(moderator))
    assert path_of(comment_id) in files_on(moderator)
    sh(moderator, "git", "reset", "--quiet", "--hard", "HEAD~1")
    (moderator / "policy.txt").write_text("be kind\n")
    sh(moderator, "git", "add", "policy.txt")
    sh(moderator, "git", "commit", "--quiet", "-m", "Policy")
    sh(moderator, "git", "push", "--quiet", "--force", "origin", "main")


def test_a_rewritten_remote_history_is_not_replayed_and_comments_keep_coming(tmp_path: Path) -> None:
    """After an erasure the intake refuses to rebase, says what to do, keeps committing; the documented steps then resume it."""
    bare, site = remote_and_clone(tmp_path)
    log = tmp_path / "intake.log"
    with intake(site) as server:
        erased = post(server.port, "first", "Ann")
        wait_for(lambda: path_of(erased) in files_on(bare), what="the first comment on the remote")
        erase(bare, tmp_path, erased)
        later = post(server.port, "first", "Bob")
        wait_for(lambda: "was rewritten" in log.read_text(), timeout=30, what="the rewrite to be noticed")
        after = post(server.port, "first", "Cleo")
        time.sleep(2)
        on_remote = files_on(bare)
        assert path_of(erased) not in on_remote and path_of(later) not in on_remote and "policy.txt" in on_remote
        assert {path_of(later), path_of(after)} <= files_on(site)
    assert "rebase --onto FETCH_HEAD" in log.read_text()
    known = sh(site, "git", "rev-parse", "refs/comments-intake/remote/main").stdout.strip()
    sh(site, "git", "fetch", "--quiet", "origin", "main")
    sh(site, "git", "rebase", "--quiet", "--onto", "FETCH_HEAD", known, "main")
    with intake(site):
        wait_for(lambda: {path_of(later), path_of(after)} <= files_on(bare), timeout=30, what="the later comments on the remote")
    assert path_of(erased) not in files_on(bare) and "policy.txt" in files_on(bare)
