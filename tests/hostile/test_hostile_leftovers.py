"""Git's leftovers: a stale index.lock, comment files left uncommitted; the reader is answered at once all the same."""

from __future__ import annotations

import os
import time
from pathlib import Path

from support.git import comments_repository, live_git, sh, wait_for
from support.intake import IntakeServer, open_articles, write_manifest
from support.intake import post_comment as post

PENDING = 'author: "A"\ndate: "2024-01-01T00:00:00+00:00"\nstatus: pending\nbody: "x"\n'
# Well inside nginx's proxy_read_timeout, whatever git is doing.
ANSWER_SECONDS = 3.0


def repository(tmp_path: Path) -> Path:
    """A repository with one article's comments folder, committed."""
    site = comments_repository(tmp_path / "site")
    write_manifest(tmp_path / "manifest.json", open_articles("first"))
    return site


def intake(site: Path) -> IntakeServer:
    """The intake committing in `site`, logging beside it."""
    env = {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_GIT_COMMIT": "true"}
    return IntakeServer(site / "content" / "comments", site.parent / "manifest.json", env=env, log=site.parent / "intake.log")


def stale_lock(site: Path, age: float = 120.0) -> Path:
    """An index.lock as a killed git leaves it, `age` seconds old."""
    lock = site / ".git" / "index.lock"
    lock.write_text("")
    os.utime(lock, (time.time() - age, time.time() - age))
    return lock


def committed(site: Path, comment_id: str) -> bool:
    """Whether a commit on main holds comment `comment_id`."""
    return f"first/{comment_id}" in sh(site, "git", "log", "--format=%s", "main").stdout


def timed_post(server: IntakeServer, author: str) -> tuple[str, float]:
    """Post a comment; its id and how long the answer took."""
    started = time.monotonic()
    comment_id = post(server.port, "first", author)
    return comment_id, time.monotonic() - started


def test_a_stale_index_lock_is_cleared_and_the_reader_answered_at_once(tmp_path: Path) -> None:
    """A lock left by a dead git: the post is answered at once, the lock removed (and said so), the comment committed."""
    site = repository(tmp_path)
    with intake(site) as server:
        lock = stale_lock(site)
        comment_id, took = timed_post(server, "Ann")
        assert took < ANSWER_SECONDS
        wait_for(lambda: committed(site, comment_id), timeout=15, what="the comment to be committed")
        assert not lock.exists()
    assert "index.lock, left" in (tmp_path / "intake.log").read_text()


def test_a_lock_a_live_git_holds_is_left_alone_and_readers_are_still_answered(tmp_path: Path) -> None:
    """While a git process works in the repository its lock stays; the post is stored and answered, and committed once git is done."""
    site = repository(tmp_path)
    with intake(site) as server:
        lock = stale_lock(site)
        working = live_git(site)
        try:
            comment_id, took = timed_post(server, "Bob")
            assert took < ANSWER_SECONDS
            assert (site / "content" / "comments" / "first" / f"{comment_id}.yaml").is_file()
            time.sleep(2)
            assert lock.exists() and not committed(site, comment_id)
        finally:
            working.kill()
            working.wait()
        wait_for(lambda: committed(site, comment_id), timeout=30, what="the comment to be committed once git is gone")


def test_start_up_never_fails_on_leftover_comment_files_and_a_lock(tmp_path: Path) -> None:
    """A restart after a kill (uncommitted comment files, a stale lock) starts, commits them, and takes comments."""
    site = repository(tmp_path)
    (site / "content" / "comments" / "first" / "20240101T000000-left.yaml").write_text(PENDING)
    stale_lock(site)
    with intake(site) as server:
        wait_for(lambda: committed(site, "20240101T000000-left"), timeout=15, what="the leftover file to be committed")
        comment_id, _ = timed_post(server, "Cleo")
        wait_for(lambda: committed(site, comment_id), timeout=15, what="a new comment to be committed")


def test_a_lock_held_at_start_up_by_a_live_git_does_not_stop_the_intake(tmp_path: Path) -> None:
    """Leftover files and a lock a live git holds: the intake still starts and answers; the files are committed later."""
    site = repository(tmp_path)
    (site / "content" / "comments" / "first" / "20240101T000000-left.yaml").write_text(PENDING)
    stale_lock(site)
    working = live_git(site)
    try:
        with intake(site) as server:
            comment_id, took = timed_post(server, "Dan")
            assert took < ANSWER_SECONDS
            working.kill()
            working.wait()
            wait_for(lambda: committed(site, "20240101T000000-left") and committed(site, comment_id), timeout=30,
                     what="both comments to be committed")
    finally:
        if working.poll() is None:
            working.kill()
            working.wait()
