"""The intake's git path run in this process with real git: settings, the git runner, locks, the inbox branch, pushes.

tests/test_gitsync.py drives the same code through a running intake; these call it directly, so a
mutation of gitsync.py is run by them (tests/mutation/parts/gitsync.cfg).
"""

from __future__ import annotations

import os
import subprocess
import threading
import time
from pathlib import Path

import pytest

from pelican.plugins.reader_comments.errors import SettingsError
from pelican.plugins.reader_comments.gitsync import (
    GitError,
    GitOptions,
    GitRecorder,
    GitTimeout,
    git,
    is_comment_path,
    options_from,
    recorded_folder,
    stop_running,
    valid_branch,
)
from pelican.plugins.reader_comments.settings import options_of
from support.git import comments_repository, files_on, in_process_git, live_git, logged, sh, wait_for
from support.logs import forget_logged_warnings

SLUG = "first"
PENDING = 'author: "A"\ndate: "2024-01-01T00:00:00+00:00"\nstatus: pending\nbody: "x"\n'
LOGGER = "pelican.plugins.reader_comments.gitsync"
# How long a test waits for the background worker: ample for real git, short for a mutant that never does it.
WAIT = 10.0


@pytest.fixture(autouse=True)
def plain_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user or system git configuration reaches the recorder's git; a git run without a folder runs in tmp_path.

    Each log line is seen afresh: Pelican's filter would drop one an earlier test (or mutation run) logged.
    """
    in_process_git(monkeypatch, tmp_path)
    forget_logged_warnings(monkeypatch)
    for key in ("GIT_SSH_COMMAND", "GIT_SSH"):
        monkeypatch.delenv(key, raising=False)


def settings(**values: object) -> GitOptions | None:
    """The git options of COMMENTS_* `values` (committing on unless given)."""
    return options_from(options_of({"COMMENTS_GIT_COMMIT": True, **{f"COMMENTS_{k.upper()}": v for k, v in values.items()}}))


def test_settings_give_the_author_remote_branch_and_times() -> None:
    """The author splits into name and address; blanks mean none; seconds are at least one; committing off gives None."""
    assert settings(git_author="  Ann Example  <ann@example.org> ", git_push=" origin ", git_branch=" comments/inbox ",
                    git_timeout="2.5", git_fetch_seconds=0.2) == GitOptions(
        "Ann Example", "ann@example.org", "origin", "comments/inbox", 2.5, 1.0)
    assert settings(git_push="  ", git_branch="") == GitOptions("Comment intake", "intake@localhost", None, None, 120.0, 60.0)
    assert settings(git_commit=False) is None
    assert settings(git_push=None, git_branch=None) == GitOptions("Comment intake", "intake@localhost", None, None, 120.0, 60.0)


@pytest.mark.parametrize(("values", "message"), [
    ({"git_author": "Ann"}, "COMMENTS_GIT_AUTHOR must look like 'Name <address>', not 'Ann'"),
    ({"git_author": "<ann@example.org>"}, "COMMENTS_GIT_AUTHOR must look like"),
    ({"git_author": ""}, "COMMENTS_GIT_AUTHOR must look like 'Name <address>', not ''"),
    ({"git_branch": "two..dots"}, "COMMENTS_GIT_BRANCH: 'two..dots' is not a valid branch name"),
    ({"git_timeout": "soon"}, "COMMENTS_GIT_TIMEOUT must be a number of seconds, not 'soon'"),
    ({"git_fetch_seconds": "often"}, "COMMENTS_GIT_FETCH_SECONDS must be a number of seconds, not 'often'"),
])
def test_bad_settings_are_named(values: dict[str, object], message: str) -> None:
    """Each bad setting stops with its name and value."""
    with pytest.raises(SettingsError) as raised:
        settings(**values)
    assert str(raised.value).startswith(message)


def test_branch_names_are_checked_by_git_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    """A name git takes is valid; one it refuses, or one that reads as an option, is not; nothing reaches the terminal."""
    assert valid_branch("comments/inbox") and valid_branch("inbox")
    assert not valid_branch("-inbox") and not valid_branch("a b") and not valid_branch("x.lock")
    assert capfd.readouterr() == ("", "")


def test_comment_paths_are_slug_and_file_name() -> None:
    """Only <slug>/<id>.yaml counts; dot-folders, deeper paths and other files do not."""
    assert is_comment_path("first/20240101T000000-a.yaml")
    assert not is_comment_path(".hidden/20240101T000000-a.yaml")
    assert not is_comment_path("first/sub/20240101T000000-a.yaml")
    assert not is_comment_path("20240101T000000-a.yaml")
    assert not is_comment_path("first/notes.md")


def test_the_runner_reports_failures_and_stops_a_command_past_its_time(tmp_path: Path) -> None:
    """A failing command raises with git's words, unless told not to check; one past its time is killed with its children."""
    with pytest.raises(GitError, match=r"^git rev-parse --verify nothing: fatal: "):
        git(tmp_path, ["rev-parse", "--verify", "nothing"])
    assert git(tmp_path, ["rev-parse", "--verify", "nothing"], check=False).returncode != 0
    assert git(tmp_path, ["hash-object", "--stdin"], given="x\n").stdout.strip() == "587be6b4c3f93f93c489c0111bba5596147a26cb"
    sh(tmp_path, "git", "init", "--quiet")
    sh(tmp_path, "git", "config", "alias.wait", "!sleep 30")
    started = time.monotonic()
    with pytest.raises(GitTimeout, match=r"^git wait: no answer in 0.5 s; stopped it and everything it started$"):
        git(tmp_path, ["wait"], timeout=0.5)
    assert time.monotonic() - started < 10
    left = subprocess.run(["pgrep", "-f", "^sleep 30$"], capture_output=True, text=True, check=False).stdout.split()
    assert not [pid for pid in left if Path(f"/proc/{pid}/cwd").resolve() == tmp_path.resolve()]


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")
def test_stop_running_kills_every_git_still_running(tmp_path: Path) -> None:
    """A git command still running at shutdown is killed, and counted; then none is left."""
    sh(tmp_path, "git", "init", "--quiet")
    sh(tmp_path, "git", "config", "alias.wait", "!sleep 30")
    ended: list[int] = []

    def wait() -> None:
        ended.append(git(tmp_path, ["wait"], check=False).returncode)  # its own thread reaps it and reads its pipes

    thread = threading.Thread(target=wait)
    started = time.monotonic()
    thread.start()
    wait_for(lambda: stop_running() == 1, timeout=WAIT, what="the running git to be stopped")
    thread.join(10)
    assert not thread.is_alive() and ended == [-9] and time.monotonic() - started < 20
    assert stop_running() == 0


def repository(tmp_path: Path) -> Path:
    """A clone of a bare remote with one article's comments folder."""
    return comments_repository(tmp_path / "site", SLUG, remote=tmp_path / "remote.git")


def write(site: Path, name: str, folder: Path | None = None) -> Path:
    """A pending comment file named `name`.yaml in the article's folder (under `folder`, else the site's)."""
    path = (folder or site / "content" / "comments") / SLUG / f"{name}.yaml"
    path.write_text(PENDING)
    return path


def test_a_stale_lock_is_cleared_and_a_fresh_or_live_one_is_kept(tmp_path: Path) -> None:
    """An old index.lock no git holds goes (and is logged); a new one, or one a live git works beside, stays."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", GitOptions("I", "i@localhost", None, None))
    assert recorder.clear_stale_lock() is False
    lock = site / ".git" / "index.lock"
    lock.write_text("")
    assert recorder.clear_stale_lock() is False and lock.exists()
    os.utime(lock, (time.time() - 9, time.time() - 9))
    assert recorder.clear_stale_lock() is False and lock.exists()
    os.utime(lock, (time.time() - 11, time.time() - 11))
    working = live_git(site)
    try:
        assert recorder.clear_stale_lock() is False and lock.exists()
    finally:
        working.kill()
        working.wait()
    elsewhere = tmp_path / "elsewhere"
    sh(tmp_path, "git", "init", "--quiet", str(elsewhere))
    unrelated = live_git(elsewhere)
    try:
        with logged() as lines:
            assert recorder.clear_stale_lock() is True
    finally:
        unrelated.kill()
        unrelated.wait()
    assert not lock.exists()
    assert f"removed {lock}, left 11 s ago by a git process that is gone" in lines


def test_a_lock_held_while_a_reader_waits_leaves_the_file_to_the_sweep(tmp_path: Path) -> None:
    """A fresh index.lock: the post is not committed (False), the file stays; once the lock is gone the sweep commits it."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", GitOptions("I", "i@localhost", None, None))
    lock = site / ".git" / "index.lock"
    lock.write_text("")
    path = write(site, "20240101T000000-a")
    assert recorder.record(path, SLUG, "20240101T000000-a") is False
    lock.unlink()
    assert recorder.sweep() == 1
    assert sh(site, "git", "log", "-1", "--format=%s").stdout == f"Comment pending moderation: {SLUG}/20240101T000000-a\n"
    assert recorder.sweep() == 0


def test_a_detached_head_or_a_folder_outside_git_is_refused(tmp_path: Path) -> None:
    """The recorder will not commit on a detached HEAD, nor outside a repository."""
    site = repository(tmp_path)
    sh(site, "git", "checkout", "--quiet", "--detach")
    with pytest.raises(GitError, match="is not on a branch \\(detached HEAD\\); check out a branch to commit comments on"):
        GitRecorder(site / "content" / "comments", GitOptions("I", "i@localhost", None, None))
    outside = tmp_path / "outside"
    outside.mkdir()
    with pytest.raises(GitError, match="not a git repository"):
        GitRecorder(outside, GitOptions("I", "i@localhost", None, None))


def test_the_inbox_branch_gets_the_comments_in_its_own_worktree(tmp_path: Path) -> None:
    """With a branch, files are written and committed in the inbox worktree; the checked-out branch stays; pushes go to it."""
    site = repository(tmp_path)
    options = GitOptions("I", "i@localhost", "origin", "comments/inbox")
    folder = recorded_folder(site / "content" / "comments", options)
    assert folder == (site / ".git" / "comments-inbox" / "comments-inbox" / "content" / "comments").resolve()
    recorder = GitRecorder(site / "content" / "comments", options)
    assert recorder.branch == "comments/inbox" and recorder.folder.resolve() == folder
    path = write(site, "20240101T000000-a", folder)
    assert recorder.record(path, SLUG, "20240101T000000-a") is True
    recorder.push()
    on_inbox = files_on(tmp_path / "remote.git", "comments/inbox")
    assert f"content/comments/{SLUG}/20240101T000000-a.yaml" in on_inbox
    assert f"content/comments/{SLUG}/20240101T000000-a.yaml" not in files_on(tmp_path / "remote.git", "main")
    assert sh(site, "git", "symbolic-ref", "--short", "HEAD").stdout.strip() == "main"
    again = GitRecorder(site / "content" / "comments", options)
    assert again.top == recorder.top


def test_the_inbox_branch_is_taken_from_the_remote_when_only_it_has_it(tmp_path: Path) -> None:
    """A clone without the branch checks out the remote's, comments already on it included."""
    site = repository(tmp_path)
    options = GitOptions("I", "i@localhost", "origin", "inbox")
    first = GitRecorder(site / "content" / "comments", options)
    first.record(write(site, "20240101T000000-a", first.folder), SLUG, "20240101T000000-a")
    first.push()
    other = tmp_path / "other"
    sh(tmp_path, "git", "clone", "--quiet", str(tmp_path / "remote.git"), str(other))
    second = GitRecorder(other / "content" / "comments", options)
    assert (second.folder / SLUG / "20240101T000000-a.yaml").is_file()


def test_a_local_inbox_branch_is_checked_out_again_beside_another(tmp_path: Path) -> None:
    """A branch the clone (and the remote) already has is reused, its comments kept; two inbox branches live side by side."""
    site = repository(tmp_path)
    sh(site, "git", "branch", "inbox")
    sh(site, "git", "push", "--quiet", "origin", "inbox")
    with logged() as lines:
        recorder = GitRecorder(site / "content" / "comments", GitOptions("I", "i@localhost", "origin", "inbox"))
    assert recorder.branch == "inbox"
    assert f"comments go to branch inbox, checked out in {recorder.top}" in lines
    other = GitRecorder(site / "content" / "comments", GitOptions("I", "i@localhost", None, "second"))
    assert other.top.parent == recorder.top.parent and other.branch == "second"
    sh(site, "git", "worktree", "remove", "--force", str(recorder.top))
    alone = GitRecorder(site / "content" / "comments", GitOptions("I", "i@localhost", None, "inbox"))
    assert alone.branch == "inbox"


def test_a_file_left_to_the_background_is_committed_by_the_worker(tmp_path: Path) -> None:
    """While a fresh index.lock stands the post is left to the worker; once the lock goes, the worker commits the file."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", GitOptions("I", "i@localhost", None, None))
    recorder.start()
    try:
        lock = site / ".git" / "index.lock"
        lock.write_text("")
        path = write(site, "20240101T000000-a")
        assert recorder.record(path, SLUG, "20240101T000000-a") is False
        lock.unlink()
        wait_for(lambda: sh(site, "git", "status", "--porcelain", "--", "content").stdout == "", timeout=WAIT, what="the worker's commit")
    finally:
        recorder.close()


def moderator_commits(tmp_path: Path, name: str) -> str:
    """A moderator's clone commits `name` and pushes it to main; the commit."""
    moderator = tmp_path / "moderator"
    if not moderator.exists():
        sh(tmp_path, "git", "clone", "--quiet", str(tmp_path / "remote.git"), str(moderator))
    sh(moderator, "git", "pull", "--quiet", "--rebase", "origin", "main")
    (moderator / name).write_text("be kind\n")
    sh(moderator, "git", "add", name)
    sh(moderator, "git", "commit", "--quiet", "-m", f"Add {name}")
    sh(moderator, "git", "push", "--quiet", "origin", "main")
    return sh(moderator, "git", "rev-parse", "HEAD").stdout.strip()


def test_a_push_after_the_remote_moved_rebases_keeps_local_edits_and_logs_it(
        tmp_path: Path) -> None:
    """The moderator's commit stays under the comment's; a local edit and a staged change survive; the log says one rebase."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", GitOptions("I", "i@localhost", "origin", None))
    recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a")
    recorder.push()
    theirs = moderator_commits(tmp_path, "policy.txt")
    (site / "content" / "comments" / SLUG / ".keep").write_text("edited\n")
    (site / "staged.txt").write_text("staged\n")
    sh(site, "git", "add", "staged.txt")
    recorder.record(write(site, "20240101T000001-b"), SLUG, "20240101T000001-b")
    with logged() as lines:
        recorder.push()
    sh(tmp_path / "remote.git", "git", "merge-base", "--is-ancestor", theirs, "main")
    assert f"content/comments/{SLUG}/20240101T000001-b.yaml" in files_on(tmp_path / "remote.git")
    assert sorted(sh(site, "git", "status", "--porcelain").stdout.splitlines()) == [
        f" M content/comments/{SLUG}/.keep", "A  staged.txt"]
    assert "the remote branch main moved on; rebasing comments onto it" in lines
    assert any(line.startswith("pushed 1 commit to origin in ") and line.endswith(
        f" s after 1 rebase: {SLUG}/20240101T000001-b") for line in lines), lines


def test_catching_up_brings_the_moderators_work_in_and_a_rewritten_remote_is_refused(
        tmp_path: Path) -> None:
    """A sync fetches and rebases onto the remote; when the remote lost a commit it had, nothing is replayed."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", GitOptions("I", "i@localhost", "origin", None))
    recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a")
    recorder.push()
    moderator_commits(tmp_path, "policy.txt")
    recorder._catch_up("origin")
    assert (site / "policy.txt").read_text() == "be kind\n"
    after = sh(site, "git", "rev-parse", "main").stdout.strip()
    recorder._catch_up("origin")
    assert sh(site, "git", "rev-parse", "main").stdout.strip() == after
    known = after
    sh(tmp_path / "remote.git", "git", "update-ref", "refs/heads/main", f"{known}~2")
    moderator_commits(tmp_path, "other.txt")
    recorder.record(write(site, "20240101T000001-b"), SLUG, "20240101T000001-b")
    rewritten = f"the history of main on origin was rewritten: {known[:12]}, which it had, is no longer in it."
    with pytest.raises(GitError, match=rewritten.replace(".", r"\.")):
        recorder.push()
    assert f"content/comments/{SLUG}/20240101T000001-b.yaml" not in files_on(tmp_path / "remote.git")


def test_the_worker_commits_leftovers_pushes_and_stops(tmp_path: Path) -> None:
    """start() commits a file a crash left; the worker pushes what is committed; close() ends the thread."""
    site = repository(tmp_path)
    write(site, "20240101T000000-left")
    recorder = GitRecorder(site / "content" / "comments", GitOptions("I", "i@localhost", "origin", None, fetch_seconds=600.0))
    with logged() as lines:
        recorder.start()
        try:
            assert sh(site, "git", "log", "-1", "--format=%s").stdout == f"Comment pending moderation: {SLUG}/20240101T000000-left\n"
            assert recorder.record(write(site, "20240101T000001-b"), SLUG, "20240101T000001-b") is True
            wait_for(lambda: {f"content/comments/{SLUG}/20240101T000000-left.yaml",
                              f"content/comments/{SLUG}/20240101T000001-b.yaml"} <= files_on(tmp_path / "remote.git"), timeout=WAIT)
            moderator_commits(tmp_path, "policy.txt")
            recorder.sync()
            wait_for(lambda: (site / "policy.txt").exists(), timeout=WAIT, what="the moderator's commit fetched")
        finally:
            recorder.close()
    assert recorder._thread is not None and not recorder._thread.is_alive()
    assert f"committing comments on branch main in {site}, pushing to origin" in lines
    assert "committed 1 comment files left uncommitted by an interrupted run" in lines


def test_an_unreachable_remote_is_retried_with_growing_pauses(tmp_path: Path) -> None:
    """While the remote is away the worker logs each failure with its pause; once back, the comment reaches it."""
    site = repository(tmp_path)
    (tmp_path / "remote.git").rename(tmp_path / "away.git")
    recorder = GitRecorder(site / "content" / "comments", GitOptions("I", "i@localhost", "origin", None))
    with logged() as lines:
        recorder.start()
        try:
            recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a")
            wait_for(lambda: "retrying in 2 s" in "\n".join(lines), timeout=WAIT, what="the second failed push")
            assert "push to origin failed; retrying in 1 s" in "\n".join(lines)
            (tmp_path / "away.git").rename(tmp_path / "remote.git")
            wait_for(lambda: f"content/comments/{SLUG}/20240101T000000-a.yaml" in files_on(tmp_path / "remote.git"), timeout=WAIT)
        finally:
            recorder.close()


def test_a_rebase_that_conflicts_is_abandoned_and_nothing_is_lost(tmp_path: Path) -> None:
    """The remote holds the same file with other text: the rebase is aborted, the local commit and local edits stay."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", GitOptions("I", "i@localhost", "origin", None))
    path = write(site, "20240101T000000-a")
    recorder.record(path, SLUG, "20240101T000000-a")
    mine = sh(site, "git", "rev-parse", "HEAD").stdout.strip()
    moderator = tmp_path / "moderator"
    sh(tmp_path, "git", "clone", "--quiet", str(tmp_path / "remote.git"), str(moderator))
    (moderator / "content" / "comments" / SLUG / path.name).write_text("other text\n")
    sh(moderator, "git", "add", ".")
    sh(moderator, "git", "commit", "--quiet", "-m", "Same name")
    sh(moderator, "git", "push", "--quiet", "origin", "main")
    (site / "content" / "comments" / SLUG / ".keep").write_text("edited\n")
    with pytest.raises(GitError, match="^rebase onto origin failed: "):
        recorder.push()
    assert sh(site, "git", "rev-parse", "HEAD").stdout.strip() == mine
    assert sh(site, "git", "symbolic-ref", "--short", "HEAD").stdout.strip() == "main"
    assert not (site / ".git" / "rebase-merge").exists() and not (site / ".git" / "rebase-apply").exists()
    assert path.read_text() == PENDING
    assert sh(site, "git", "status", "--porcelain").stdout == f" M content/comments/{SLUG}/.keep\n"
    assert sh(site, "git", "stash", "list").stdout == ""
    assert sh(site, "git", "reflog", "-1", "--format=%gn|%gs", "HEAD").stdout == "I|rebase (abort): returning to refs/heads/main\n"
