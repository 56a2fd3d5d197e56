"""The git path's edges in this process with real git: what it says when git fails, and what a remote and a hook are given.

Each test drives one failure git really has (an object it cannot write, maintenance it cannot run, changes that
cannot be put back, a remote that hangs) or reads, from a hook or the remote's side, the environment git ran with.
"""

from __future__ import annotations

import re
import stat
import threading
import time
from pathlib import Path

import pytest
from test_gitsync_group import maintenance_due_after_every_object, packed_objects
from test_gitsync_inprocess import SLUG, WAIT, moderator_commits, plain_git, repository, write

from pelican.plugins.reader_comments import gitsync
from pelican.plugins.reader_comments.gitsync import GitError, GitOptions, GitRecorder, GitTimeout, git, names_in
from support.git import files_on, logged, sh, wait_for
from support.logs import forget_logged_warnings

__all__ = ["plain_git"]  # the autouse fixture: no user or system git configuration, git's search stopped above tmp_path

AUTHOR = GitOptions("Ivy Intake", "ivy@localhost", None, None)
# What the intake gives ssh unless told otherwise, as its documentation states it.
SSH = "ssh -o ConnectTimeout=15 -o ServerAliveInterval=15 -o ServerAliveCountMax=4 -o BatchMode=yes"
# A script that appends what it was given (prompting off, ssh, author) to a file, then runs the rest of its arguments.
TELLS = '#!/bin/sh\nprintf "%s|%s|%s\\n" "$GIT_TERMINAL_PROMPT" "$GIT_SSH_COMMAND" "$GIT_AUTHOR_NAME" >> {log}\n{then}\n'
# The lines the worker logs when it brings the remote's changes in: on its own (a fetch), or because a push was refused.
CAUGHT_UP = "the remote branch main moved on; bringing its changes in"
REBASED = "the remote branch main moved on; rebasing comments onto it"


def with_push(remote: str, branch: str | None = None, timeout: float = 120.0) -> GitOptions:
    """The test's author, pushing to `remote` (on `branch`), each network command limited to `timeout`."""
    return GitOptions(AUTHOR.name, AUTHOR.email, remote, branch, timeout)


def telling_remote(tmp_path: Path, site: Path, delay: float = 0.0) -> tuple[str, Path]:
    """A remote that is the bare remote.git reached through a script noting its environment (after `delay` s); its URL and log."""
    log = tmp_path / "remote-side.log"
    script = tmp_path / "remote-side"
    script.write_text(TELLS.format(log=log, then=f'echo "$1" >> {services(log)}\nsleep {delay:g}\nexec git "$1" "$2"'))
    script.chmod(script.stat().st_mode | stat.S_IXUSR)
    sh(site, "git", "config", "protocol.ext.allow", "always")
    return f"ext::{script} %s {tmp_path / 'remote.git'}", log


def gitsync_running() -> list[object]:
    """The git commands the recorder's runner has going now."""
    with gitsync._running_lock:
        return list(gitsync._running)


def services(log: Path) -> Path:
    """Where the telling remote lists what it was asked for, one a line: upload-pack for a fetch, receive-pack for a push."""
    return log.with_suffix(".services")


def wait_pushed(tmp_path: Path, comment_id: str) -> None:
    """Wait until the comment `comment_id` is on the bare remote's main branch."""
    wanted = f"content/comments/{SLUG}/{comment_id}.yaml"
    wait_for(lambda: wanted in files_on(tmp_path / "remote.git"), timeout=WAIT, what=f"{comment_id} pushed")


def test_names_are_read_one_a_line_from_the_intakes_own_messages_only() -> None:
    """A name is read whole, to its last letter; a group lists one a line; a message that does not begin with a prefix names none."""
    assert names_in("Comment pending moderation: first/20240101T000000-aX\n") == ["first/20240101T000000-aX"]
    assert names_in("Comments pending moderation: 2 files\n\nXfirst/a b\nfirst/cX\n") == ["Xfirst/a b", "first/cX"]
    assert names_in(" Comment pending moderation: first/a\n") == []
    assert names_in("\nComment pending moderation: first/a\n") == ["first/a"]


def test_a_path_outside_the_repository_is_left_to_the_background_and_said(tmp_path: Path) -> None:
    """A file the recorder cannot name inside its repository is not committed (False); the warning names the comment."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", AUTHOR)
    stray = tmp_path / "stray.yaml"
    stray.write_text("x\n")
    with logged() as lines:
        assert recorder.record(stray, SLUG, "20240101T000000-a") is False
    assert [line.partition(": ")[0] for line in lines] == [f"comment {SLUG}/20240101T000000-a is stored; committing it in the background"]
    assert str(stray) in lines[0]


def blocked_leftover(site: Path, name: str) -> tuple[Path, Path]:
    """A comment file `name` whose object git cannot store (a file stands where its folder goes: not a lock); it and that file."""
    path = write(site, name)
    for n in range(256):
        sha = sh(site, "git", "hash-object", str(path)).stdout.strip()
        blocker = site / ".git" / "objects" / sha[:2]
        if not blocker.exists():
            blocker.write_text("")
            return path, blocker
        path.write_text(f"{path.read_text()}# {n}\n")
    raise AssertionError("every object folder is taken")


def test_leftovers_that_cannot_be_committed_at_start_are_said_kept_and_committed_later(tmp_path: Path) -> None:
    """At start a leftover git cannot store: a warning says so, the file stays; once git can, the worker commits it."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", AUTHOR)
    left, blocker = blocked_leftover(site, "20240101T000000-left")
    with logged() as lines:
        recorder.start()
        try:
            warned = "cannot commit comment files left uncommitted yet (they are kept and retried): "
            [warning] = [line for line in lines if line.startswith(warned)]
            assert f" add -- content/comments/{SLUG}/20240101T000000-left.yaml: " in warning
            assert left.is_file() and sh(site, "git", "status", "--porcelain", "--", "content").stdout != ""
            retrying = ("cannot commit comment files yet (they are kept); retrying in 1 s: git -c maintenance.auto=false -c gc.auto=0"
                        f" add -- content/comments/{SLUG}/20240101T000000-left.yaml: ")
            wait_for(lambda: any(line.startswith(retrying) for line in lines), timeout=WAIT, what="the worker's first retry")
            blocker.unlink()
            wait_for(lambda: sh(site, "git", "log", "-1", "--format=%s").stdout
                     == f"Comment pending moderation: {SLUG}/20240101T000000-left\n", timeout=WAIT, what="the leftover committed")
        finally:
            recorder.close()
    assert not [line for line in lines if line.startswith("committed ")]
    assert f"committing comments on branch main in {site}" in lines
    assert recorder._thread is not None and recorder._thread.name == "comments-git" and recorder._thread.daemon


def test_maintenance_that_fails_is_said_and_tried_again_later(tmp_path: Path) -> None:
    """Git maintenance failing at a quiet time does not stop the recorder: it logs git's reason and counts the run."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", AUTHOR)
    assert recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a") is True
    with logged() as lines:
        assert recorder.upkeep(idle=True) is True
    assert lines == []
    sh(site, "git", "config", "maintenance.gc.enabled", "maybe")
    assert recorder.record(write(site, "20240101T000001-b"), SLUG, "20240101T000001-b") is True
    with logged() as lines:
        assert recorder.upkeep(idle=True) is True
    assert lines == ["git maintenance failed (it is tried again later): "
                     "fatal: bad boolean config value 'maybe' for 'maintenance.gc.enabled'"]
    assert recorder.upkeep(idle=True) is False


def test_catching_up_says_so_only_when_the_remote_moved_and_names_the_remote_when_refused(tmp_path: Path) -> None:
    """Up to date: nothing logged. Moved on: one line, and its commit comes in. Rewritten: the whole refusal, naming the remote."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", with_push("origin"))
    recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a")
    recorder.push()
    with logged() as lines:
        recorder._catch_up("origin")
    assert lines == []
    moderator_commits(tmp_path, "policy.txt")
    with logged() as lines:
        recorder._catch_up("origin")
    assert lines == [CAUGHT_UP]
    known = sh(site, "git", "rev-parse", "main").stdout.strip()
    sh(tmp_path / "remote.git", "git", "update-ref", "refs/heads/main", f"{known}~2")
    moderator_commits(tmp_path, "other.txt")
    top = recorder.top
    refusal = (
        f"the history of main on origin was rewritten: {known[:12]}, which it had, is no longer in it. Nothing is replayed"
        " or pushed; comments are still taken and committed here. To go on, stop the intake and run"
        f" `git -C {top} fetch origin main` then `git -C {top} rebase --onto FETCH_HEAD {known} main`"
        " (only the comments taken since that commit), and start it again (docs/deploying.md, What git history keeps)"
    )
    with logged() as lines, pytest.raises(GitError) as raised:
        recorder._catch_up("origin")
    assert str(raised.value) == refusal
    assert lines[-1] == refusal


def test_local_changes_that_cannot_be_put_back_stay_in_the_stash_and_are_said(tmp_path: Path) -> None:
    """The moderator changed a file edited here: the rebase goes on, the edit is kept in the stash under the intake's name."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", with_push("origin"))
    recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a")
    recorder.push()
    theirs = moderator_commits(tmp_path, "policy.txt")
    recorder._catch_up("origin")
    (tmp_path / "moderator" / "policy.txt").write_text("be kinder\n")
    sh(tmp_path / "moderator", "git", "commit", "--quiet", "-am", "Kinder")
    sh(tmp_path / "moderator", "git", "push", "--quiet", "origin", "main")
    (site / "policy.txt").write_text("local edit\n")
    with logged() as lines:
        recorder._catch_up("origin")
    assert lines[-1] == f"local changes in {recorder.top} could not be put back; they are in `git stash list`"
    sh(site, "git", "merge-base", "--is-ancestor", theirs, "main")
    assert sh(site, "git", "stash", "list", "--format=%an|%s").stdout == (
        "Ivy Intake|On main: kept aside while comments were rebased\n")
    assert sh(site, "git", "show", "stash@{0}:policy.txt").stdout == "local edit\n"


def test_a_rebase_that_cannot_start_says_why_and_leaves_the_file_in_its_way(tmp_path: Path) -> None:
    """An untracked file where the remote now has one: the rebase is refused with git's reason, nothing to abort, the file kept."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", with_push("origin"))
    recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a")
    recorder.push()
    moderator_commits(tmp_path, "policy.txt")
    (site / "policy.txt").write_text("mine\n")
    with pytest.raises(GitError, match=r"(?s)^rebase onto origin failed: .*\bpolicy\.txt\b"):
        recorder._catch_up("origin")
    assert (site / "policy.txt").read_text() == "mine\n"
    assert sh(site, "git", "status", "--porcelain").stdout == "?? policy.txt\n"


def test_the_remote_and_the_hooks_are_given_the_intakes_identity_no_prompt_and_ssh_limits(tmp_path: Path) -> None:
    """Fetching and pushing the inbox branch, and the hook of its new worktree, all run without prompts, with ssh's limits."""
    site = repository(tmp_path)
    remote, log = telling_remote(tmp_path, site)
    hook = site / ".git" / "hooks" / "post-checkout"
    hook.write_text(TELLS.format(log=tmp_path / "hook.log", then="exit 0"))
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    sh(site, "git", "push", "--quiet", "origin", "main:inbox")
    recorder = GitRecorder(site / "content" / "comments", with_push(remote, "inbox"))
    assert (tmp_path / "hook.log").read_text() == f"0|{SSH}|Ivy Intake\n"
    assert log.read_text() == f"0|{SSH}|Ivy Intake\n"
    recorder.record(write(site, "20240101T000000-a", recorder.folder), SLUG, "20240101T000000-a")
    recorder.push()
    recorder._catch_up(remote)
    assert log.read_text() == f"0|{SSH}|Ivy Intake\n" * 3


def test_a_remote_that_hangs_is_stopped_at_the_configured_time(tmp_path: Path) -> None:
    """With COMMENTS_GIT_TIMEOUT at one second, a fetch from or a push to a remote that answers after four is stopped within it."""
    site = repository(tmp_path)
    remote, _ = telling_remote(tmp_path, site, delay=4)
    recorder = GitRecorder(site / "content" / "comments", with_push(remote, timeout=1.0))
    started = time.monotonic()
    with pytest.raises(GitTimeout, match=r"no answer in 1 s"):
        recorder._catch_up(remote)
    assert time.monotonic() - started < 3.5
    recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a")
    started = time.monotonic()
    with pytest.raises(GitTimeout, match=r"^git push --porcelain .*: no answer in 1 s"):
        recorder.push()
    assert time.monotonic() - started < 3.5


def test_the_worker_fetches_every_interval_and_when_asked_not_at_each_push(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every fetch interval, and after sync(), the worker brings the moderators' commits in itself; a comment's push alone fetches nothing."""
    site = repository(tmp_path)
    remote, log = telling_remote(tmp_path, site)
    recorder = GitRecorder(site / "content" / "comments", GitOptions(AUTHOR.name, AUTHOR.email, remote, None, 120.0, 600.0))
    with logged() as lines:
        recorder.start()
        try:
            assert recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a") is True
            wait_pushed(tmp_path, "20240101T000000-a")
            assert set(services(log).read_text().split()) == {"receive-pack"}
            moderator_commits(tmp_path, "policy.txt")
            recorder.sync()
            wait_for(lambda: (site / "policy.txt").exists(), timeout=WAIT, what="the moderator's commit fetched")
            fetched = services(log).read_text().split().count("upload-pack")
            assert recorder.record(write(site, "20240101T000002-c"), SLUG, "20240101T000002-c") is True
            wait_pushed(tmp_path, "20240101T000002-c")
            assert services(log).read_text().split().count("upload-pack") == fetched
        finally:
            recorder.close()
    assert CAUGHT_UP in lines and REBASED not in lines
    forget_logged_warnings(monkeypatch)
    timed = GitRecorder(site / "content" / "comments", GitOptions(AUTHOR.name, AUTHOR.email, "origin", None, 120.0, 1.0))
    with logged() as lines:
        timed.start()
        try:
            assert timed.record(write(site, "20240101T000001-b"), SLUG, "20240101T000001-b") is True
            wait_pushed(tmp_path, "20240101T000001-b")
            moderator_commits(tmp_path, "other.txt")
            wait_for(lambda: (site / "other.txt").exists(), timeout=WAIT, what="the moderator's commit fetched in time")
        finally:
            timed.close()
    assert CAUGHT_UP in lines and REBASED not in lines


@pytest.mark.filterwarnings("error::pytest.PytestUnhandledThreadExceptionWarning")  # the worker ends cleanly
def test_closing_stops_a_push_that_hangs_and_leaves_other_git_alone(tmp_path: Path) -> None:
    """close() waits its time for the last push, then kills it and says so; a git of someone else's still runs to its end."""
    site = repository(tmp_path)
    sh(site, "git", "config", "alias.pause", "!sleep 2")
    quiet = GitRecorder(site / "content" / "comments", AUTHOR)
    quiet.start()
    others: list[int] = []
    thread = threading.Thread(target=lambda: others.append(git(site, ["pause"], check=False).returncode))
    thread.start()
    wait_for(lambda: bool(gitsync_running()), timeout=WAIT, what="the other git running")
    with logged() as lines:
        quiet.close()
    thread.join(10)
    assert others == [0] and lines == []
    remote, _ = telling_remote(tmp_path, site, delay=20)
    hanging = GitRecorder(site / "content" / "comments", with_push(remote))
    hanging.start()
    hanging.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a")
    wait_for(lambda: bool(gitsync_running()), timeout=WAIT, what="the push running")
    started = time.monotonic()
    with logged() as lines:
        hanging.close(timeout=1.0)
    assert time.monotonic() - started < 6
    assert hanging._thread is not None and not hanging._thread.is_alive()
    assert lines[0] == "stopped a push still running after 1 s at shutdown; it is retried at the next start"


def test_a_new_inbox_branch_checks_out_with_the_intakes_environment(tmp_path: Path) -> None:
    """A branch neither the clone nor the remote has is made from HEAD; the checkout's hook runs with the intake's settings."""
    site = repository(tmp_path)
    hook = site / ".git" / "hooks" / "post-checkout"
    hook.write_text(TELLS.format(log=tmp_path / "hook.log", then="exit 0"))
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    recorder = GitRecorder(site / "content" / "comments", AUTHOR.__class__(AUTHOR.name, AUTHOR.email, None, "fresh"))
    assert recorder.branch == "fresh"
    assert (tmp_path / "hook.log").read_text() == f"0|{SSH}|Ivy Intake\n"


def pushed_line(lines: list[str]) -> str:
    """The one line that says what a push carried."""
    [line] = [line for line in lines if line.startswith("pushed ")]
    return line


def test_the_push_line_names_ten_comments_and_counts_the_rest_or_says_none(tmp_path: Path) -> None:
    """Up to ten names, then how many more; a new branch is said as such; a push of no comment file says so."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", with_push("origin", "inbox"))
    for n in range(10):
        write(site, f"20240101T0000{n:02d}-a", recorder.folder)
    assert recorder.sweep() == 10
    with logged() as lines:
        recorder.push()
    took = re.fullmatch(r"pushed the new branch inbox to origin in (\d+\.\d\d) s", pushed_line(lines))
    assert took is not None and float(took[1]) < 60, lines  # how long the push took, not a clock reading
    for n in range(10, 22):
        write(site, f"20240101T0000{n:02d}-a", recorder.folder)
    assert recorder.sweep() == 12
    with logged() as lines:
        recorder.push()
    named = ", ".join(f"{SLUG}/20240101T0000{n:02d}-a" for n in range(21, 11, -1))  # newest first
    assert re.fullmatch(rf"pushed 12 commits to origin in \d+\.\d\d s: {named} and 2 more", pushed_line(lines)), lines
    for n in range(22, 32):
        write(site, f"20240101T0000{n:02d}-a", recorder.folder)
    assert recorder.sweep() == 10
    with logged() as lines:
        recorder.push()
    named = ", ".join(f"{SLUG}/20240101T0000{n:02d}-a" for n in range(31, 21, -1))
    assert re.fullmatch(rf"pushed 10 commits to origin in \d+\.\d\d s: {named}", pushed_line(lines)), lines
    decided = recorder.folder / SLUG / "20240101T000000-a.yaml"
    decided.write_text(decided.read_text().replace("pending", "approved"))
    recorder.commit_files([decided], "Approve one comment")
    with logged() as lines:
        recorder.push()
    assert re.fullmatch(r"pushed 1 commit to origin in \d+\.\d\d s: no comment files", pushed_line(lines)), lines


def test_the_sweep_takes_staged_comment_files_not_ignored_ones_and_works_at_the_top(tmp_path: Path) -> None:
    """Files added but not committed are swept, two at once; an ignored one is not; a repository that is the comments folder works."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", AUTHOR)
    staged = [write(site, "20240101T000000-a"), write(site, "20240101T000001-b")]
    sh(site, "git", "add", *map(str, staged))
    ignored = write(site, "20240101T000002-c")
    (ignored.parent / ".gitignore").write_text(f"{ignored.name}\n")
    sh(site, "git", "add", str(ignored.parent / ".gitignore"))
    sh(site, "git", "commit", "--quiet", "-m", "Ignore one", "--", str(ignored.parent / ".gitignore"))
    assert recorder.sweep() == 2
    assert sh(site, "git", "status", "--porcelain", "--ignored", "--", "content").stdout == f"!! content/comments/{SLUG}/{ignored.name}\n"
    alone = tmp_path / "alone"
    (alone / SLUG).mkdir(parents=True)
    sh(alone, "git", "init", "--quiet", "--initial-branch=main")
    sh(alone, "git", "commit", "--quiet", "--allow-empty", "-m", "Start")
    (alone / SLUG / "20240101T000000-a.yaml").write_text("x\n")
    assert GitRecorder(alone, AUTHOR).sweep() == 1
    assert sh(alone, "git", "log", "-1", "--format=%s").stdout == f"Comment pending moderation: {SLUG}/20240101T000000-a\n"


def test_the_worker_runs_maintenance_once_quiet(tmp_path: Path) -> None:
    """With maintenance due after every object, the running worker packs the loose objects once no comment waits."""
    site = repository(tmp_path)
    maintenance_due_after_every_object(site)
    before = packed_objects(site)
    recorder = GitRecorder(site / "content" / "comments", AUTHOR)
    recorder.start()
    try:
        assert recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a") is True
        wait_for(lambda: packed_objects(site) > before, timeout=WAIT, what="the quiet-time maintenance")
    finally:
        recorder.close()


def test_after_a_push_that_worked_the_pauses_start_again_from_one_second(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An unreachable remote: 1 s, then 2 s; it comes back and takes the comment; away again, the next pause is 1 s again."""
    site = repository(tmp_path)
    remote, away = tmp_path / "remote.git", tmp_path / "away.git"
    remote.rename(away)
    recorder = GitRecorder(site / "content" / "comments", with_push("origin"))
    with logged() as lines:
        recorder.start()
        try:
            wait_for(lambda: any(line.startswith("push to origin failed; retrying in 1 s: ") for line in lines), timeout=WAIT)
            assert f"'{remote}' does not appear to be a git repository" in "\n".join(lines)
            away.rename(remote)
            recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a")
            wait_for(lambda: f"content/comments/{SLUG}/20240101T000000-a.yaml" in files_on(remote), timeout=WAIT)
            remote.rename(away)
            forget_logged_warnings(monkeypatch)  # the same failure is logged again
            del lines[:]
            recorder.record(write(site, "20240101T000001-b"), SLUG, "20240101T000001-b")
            wait_for(lambda: any(line.startswith("push to origin failed; retrying in ") for line in lines), timeout=WAIT)
        finally:
            recorder.close()
    assert [line for line in lines if line.startswith("push to origin failed")][0].startswith("push to origin failed; retrying in 1 s: ")
    assert REBASED not in lines  # a remote that is away is not one that moved on


def test_a_push_refused_as_no_fast_forward_is_rebased_too(tmp_path: Path) -> None:
    """The remote's new commit already fetched but not replayed: git refuses the push as not a fast-forward; it is rebased and pushed."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", with_push("origin"))
    theirs = moderator_commits(tmp_path, "policy.txt")
    recorder._fetch("origin")
    recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a")
    recorder.push()
    sh(tmp_path / "remote.git", "git", "merge-base", "--is-ancestor", theirs, "main")
    assert f"content/comments/{SLUG}/20240101T000000-a.yaml" in files_on(tmp_path / "remote.git")


def test_a_shutdown_during_the_worker_s_round_is_not_lost(tmp_path: Path) -> None:
    """close() soon after start() lands while the worker's first round runs; the worker still sees it and ends at once."""
    site = repository(tmp_path)
    for _ in range(3):
        recorder = GitRecorder(site / "content" / "comments", AUTHOR)
        recorder.start()
        time.sleep(gitsync.BATCH_SECONDS / 3)  # inside the round's pause, after the worker looked for a stop
        started = time.monotonic()
        recorder.close(timeout=3.0)
        assert recorder._thread is not None and not recorder._thread.is_alive()
        assert time.monotonic() - started < 2.5
