"""The git path's edges in this process with real git: what it says when git fails, and what a remote and a hook are given.

Each test drives one failure git really has (an object it cannot write, maintenance it cannot run, changes that
cannot be put back, a remote that hangs) or reads, from a hook or the remote's side, the environment git ran with.
"""

from __future__ import annotations

import gc
import os
import re
import stat
import subprocess
import threading
import time
import warnings
from pathlib import Path

import pytest
from test_gitsync_group import maintenance_due_after_every_object, packed_objects, record_held
from test_gitsync_inprocess import SLUG, WAIT, moderator_commits, plain_git, repository, write

from pelican.plugins.reader_comments import gitsync
from pelican.plugins.reader_comments.gitsync import GitError, GitOptions, GitRecorder, GitTimeout, git, names_in, ssh_defaults
from support.git import files_on, live_git, logged, sh, wait_for
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
# The start of every `git add` the recorder runs for a post: automatic maintenance off.
ADD = "git -c maintenance.auto=false -c gc.auto=0 add -- "


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


def test_comments_are_committed_under_the_intakes_name_and_address_as_author_and_committer(tmp_path: Path) -> None:
    """Both identities of a comment's commit are the configured intake's, name and address."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", AUTHOR)
    assert recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a") is True
    assert sh(site, "git", "log", "-1", "--format=%an|%ae|%cn|%ce").stdout == "Ivy Intake|ivy@localhost|Ivy Intake|ivy@localhost\n"


def test_ssh_already_set_up_for_git_is_left_to_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """GIT_SSH_COMMAND, GIT_SSH or the repository's core.sshCommand each win over the intake's ssh limits, which apply otherwise."""
    site = repository(tmp_path)
    assert ssh_defaults(site) == {"GIT_SSH_COMMAND": SSH}
    monkeypatch.setenv("GIT_SSH", "/usr/local/bin/deploy-ssh")
    assert ssh_defaults(site) == {}
    monkeypatch.delenv("GIT_SSH")
    monkeypatch.setenv("GIT_SSH_COMMAND", "ssh -i deploy-key")
    assert ssh_defaults(site) == {}
    monkeypatch.delenv("GIT_SSH_COMMAND")
    sh(site, "git", "config", "core.sshCommand", "ssh -i deploy-key")
    assert ssh_defaults(site) == {}
    remote, log = telling_remote(tmp_path, site)
    recorder = GitRecorder(site / "content" / "comments", with_push(remote))
    recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a")
    recorder.push()
    assert log.read_text() == "0||Ivy Intake\n"  # git reads core.sshCommand itself; the intake sets no GIT_SSH_COMMAND


def test_a_lock_held_a_moment_costs_a_reader_three_tries_and_the_background_none(tmp_path: Path) -> None:
    """Another git's index.lock, gone after a second and a half: the post gives up after its few quick tries; the sweep waits it out."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", AUTHOR)
    lock = site / ".git" / "index.lock"
    path = write(site, "20240101T000000-a")
    lock.write_text("")
    release = threading.Timer(1.5, lock.unlink)
    release.start()
    try:
        with logged() as lines:
            assert recorder.record(path, SLUG, "20240101T000000-a") is False
        assert lock.exists()  # it gave up while the lock stood
    finally:
        release.join()
    [line] = lines
    said = f"comment {SLUG}/20240101T000000-a is stored; committing it in the background: {ADD}content/comments/{SLUG}/20240101T000000-a.yaml: "
    assert line.startswith(f"{said}fatal: Unable to create '") and "index.lock': File exists." in line, line
    lock.write_text("")
    release = threading.Timer(1.5, lock.unlink)
    release.start()
    try:
        assert recorder.sweep() == 1
    finally:
        release.join()
    assert sh(site, "git", "log", "-1", "--format=%s").stdout == f"Comment pending moderation: {SLUG}/20240101T000000-a\n"


def test_a_group_of_two_with_one_file_gone_commits_the_other_alone_and_says_so(tmp_path: Path) -> None:
    """Two files wait together and one vanishes: the group's failure is said, the other is committed alone, the gone one left."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", AUTHOR)
    first, gone = "20240101T000000-a", "20240101T000001-b"
    items = [(write(site, first), first), (write(site, gone), gone)]
    with logged() as lines:
        assert record_held(recorder, items, before_release=items[1][0].unlink) == [True, False]
    paths = [f"content/comments/{SLUG}/{name}.yaml" for name in (first, gone)]
    group = [line for line in lines if line.startswith("a commit of 2 comment files failed; committing them one by one: ")]
    assert len(group) == 1 and any(group[0].endswith(f"{ADD}{' '.join(order)}: fatal: pathspec '{paths[1]}' did not match any files")
                                   for order in (paths, paths[::-1])), lines
    assert lines[1:] == [f"comment {SLUG}/{gone} is stored; committing it in the background: {ADD}{paths[1]}: "
                         f"fatal: pathspec '{paths[1]}' did not match any files"]
    assert sh(site, "git", "log", "-1", "--format=%s").stdout == f"Comment pending moderation: {SLUG}/{first}\n"


def slow_to_add(site: Path, seconds: float, once: Path | None = None) -> None:
    """Make git take `seconds` to read each comment file (a clean filter that waits); with `once`, only the first time (it marks `once`)."""
    wait = f"sleep {seconds:g}" if once is None else f"if [ ! -e {once} ]; then touch {once}; sleep {seconds:g}; fi"
    sh(site, "git", "config", "filter.slow.clean", f"{wait}; cat")
    (site / ".git" / "info").mkdir(exist_ok=True)
    (site / ".git" / "info" / "attributes").write_text("*.yaml filter=slow\n")


def test_a_group_past_the_readers_time_is_left_whole_to_the_background_which_has_its_own(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A group commit stopped at the reader's time limit is not tried again file by file; the sweep, with git's limit, commits both."""
    monkeypatch.setattr(gitsync, "READER_GIT_SECONDS", 0.2)
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", AUTHOR)
    slow_to_add(site, 0.6)
    names = ["20240101T000000-a", "20240101T000001-b"]
    with logged() as lines:
        assert record_held(recorder, [(write(site, name), name) for name in names]) == [False, False]
    said = {f"comment {', '.join(f'{SLUG}/{n}' for n in order)} is stored; committing it in the background: {ADD}"
            f"{' '.join(f'content/comments/{SLUG}/{n}.yaml' for n in order)}: no answer in 0.2 s; stopped it and everything it started"
            for order in (names, names[::-1])}
    assert len(lines) == 1 and lines[0] in said, lines
    lock = site / ".git" / "index.lock"
    if lock.exists():  # left by the git that was stopped: stale once no git works here
        os.utime(lock, (time.time() - 60, time.time() - 60))
    assert recorder.sweep() == 2
    assert sh(site, "git", "status", "--porcelain", "--", "content").stdout == ""


def test_a_post_that_waits_past_its_second_behind_a_slow_commit_is_left_to_the_worker(tmp_path: Path) -> None:
    """While one post's commit is slow, the next gives up waiting for its turn (False); the worker commits its file soon after."""
    site = repository(tmp_path)
    marker = tmp_path / "adding"
    slow_to_add(site, 2.5, once=marker)
    recorder = GitRecorder(site / "content" / "comments", AUTHOR)
    recorder.start()
    try:
        results: list[bool] = []
        slow = threading.Thread(target=lambda: results.append(recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a")))
        slow.start()
        wait_for(marker.exists, timeout=WAIT, what="the first post's commit under way")
        assert recorder.record(write(site, "20240101T000001-b"), SLUG, "20240101T000001-b") is False
        slow.join(WAIT)
        assert results == [True]
        wait_for(lambda: sh(site, "git", "status", "--porcelain", "--", "content").stdout == "", timeout=WAIT, what="the worker's commit")
    finally:
        recorder.close()
    assert sh(site, "git", "log", "-2", "--format=%s").stdout == (
        f"Comment pending moderation: {SLUG}/20240101T000001-b\nComment pending moderation: {SLUG}/20240101T000000-a\n")


def test_the_repositorys_commit_hooks_and_signing_neither_stop_nor_change_the_intakes_commits(tmp_path: Path) -> None:
    """A pre-commit hook that refuses, a commit-msg hook that adds a line, signing with no key: a post and a decision commit as given."""
    site = repository(tmp_path)
    for name, body in (("pre-commit", "exit 1"), ("commit-msg", 'echo "Checked-by: hook" >> "$1"')):
        hook = site / ".git" / "hooks" / name
        hook.write_text(f"#!/bin/sh\n{body}\n")
        hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    sh(site, "git", "config", "commit.gpgSign", "true")
    sh(site, "git", "config", "gpg.program", "false")
    recorder = GitRecorder(site / "content" / "comments", AUTHOR)
    path = write(site, "20240101T000000-a")
    assert recorder.record(path, SLUG, "20240101T000000-a") is True
    path.write_text(path.read_text().replace("pending", "approved"))
    recorder.commit_files([path], "Approve one comment")
    assert sh(site, "git", "log", "-2", "--format=%B%G?").stdout == (
        f"Approve one comment\nN\nComment pending moderation: {SLUG}/20240101T000000-a\nN\n")  # N: not signed


def test_a_recorder_never_started_closes_quietly_and_owes_no_maintenance(tmp_path: Path) -> None:
    """close() before start() returns at once and says nothing; nothing committed yet means no maintenance to run."""
    recorder = GitRecorder(repository(tmp_path) / "content" / "comments", AUTHOR)
    assert recorder.upkeep(idle=True) is False
    with logged() as lines:
        recorder.close()
    assert lines == []


def test_a_git_that_cannot_start_is_a_git_error_naming_the_command_and_why(tmp_path: Path) -> None:
    """A folder that is gone: GitError with the command and the system's reason, not an OSError."""
    with pytest.raises(GitError, match=r"^git status --short: \[Errno 2\] No such file or directory: "):
        git(tmp_path / "gone", ["status", "--short"])


def test_a_commit_s_message_reaches_git_on_its_standard_input_never_its_command_line(tmp_path: Path) -> None:
    """What git commit was run with, as a hook reads it: options, `--only`, `--` and the paths; no word of the message."""
    site = repository(tmp_path)
    seen = tmp_path / "commit-lines"
    hook = site / ".git" / "hooks" / "post-commit"
    hook.write_text(f'#!/bin/sh\ntr "\\000" " " < /proc/$PPID/cmdline >> {seen}\necho >> {seen}\n')
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    recorder = GitRecorder(site / "content" / "comments", AUTHOR)
    path = write(site, "20240101T000000-a")
    assert recorder.record(path, SLUG, "20240101T000000-a") is True
    path.write_text(path.read_text().replace("pending", "approved"))
    recorder.commit_files([path], "Approve -m 'a reader wrote this' --author=x")
    command = ("git -c maintenance.auto=false -c gc.auto=0 commit --quiet --no-verify --no-gpg-sign -F - --only --"
               f" content/comments/{SLUG}/20240101T000000-a.yaml \n")
    assert seen.read_text() == command * 2
    assert sh(site, "git", "log", "-2", "--format=%s").stdout == (
        f"Approve -m 'a reader wrote this' --author=x\nComment pending moderation: {SLUG}/20240101T000000-a\n")


def ended_unreaped(pid: int) -> bool:
    """Whether process `pid` has ended and waits to be reaped (a zombie: its /proc entry has no working folder)."""
    return (Path("/proc") / str(pid) / "stat").read_text().rpartition(") ")[2].startswith("Z")


def test_a_git_that_ended_unreaped_does_not_hide_a_live_one_from_the_stale_lock_check(tmp_path: Path) -> None:
    """A finished git not yet reaped, listed ahead of a live git at work here: the old lock is still kept."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", AUTHOR)
    lock = site / ".git" / "index.lock"
    lock.write_text("")
    os.utime(lock, (time.time() - 11, time.time() - 11))
    ended = subprocess.Popen(["git", "version"], stdout=subprocess.DEVNULL)  # not waited for: unreaped until wait()
    try:
        wait_for(lambda: ended_unreaped(ended.pid), timeout=WAIT, what="git version to end")
        working = live_git(site)
        try:
            assert working.pid > ended.pid  # /proc lists processes by number: the ended one first
            assert recorder.clear_stale_lock() is False and lock.exists()
        finally:
            working.kill()
            working.wait()
    finally:
        ended.wait()
    assert recorder.clear_stale_lock() is True and not lock.exists()


def test_a_git_stopped_past_its_time_leaves_no_pipe_open(tmp_path: Path) -> None:
    """The runner closes the pipes of a git it killed at once: none is left for the collector to find open."""
    sh(tmp_path, "git", "init", "--quiet")
    sh(tmp_path, "git", "config", "alias.wait", "!sleep 30")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        try:
            git(tmp_path, ["wait"], timeout=0.5)
        except GitTimeout:
            pass
        gc.collect()
    assert [str(warning.message) for warning in caught if issubclass(warning.category, ResourceWarning)] == []


def test_a_reader_waits_on_the_commit_step_no_longer_than_on_the_add(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A post-commit hook that takes its time: the post stops waiting at the reader's limit (False); its commit is made all the same."""
    monkeypatch.setattr(gitsync, "READER_GIT_SECONDS", 0.5)
    site = repository(tmp_path)
    hook = site / ".git" / "hooks" / "post-commit"
    hook.write_text("#!/bin/sh\nsleep 2\n")
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR)
    recorder = GitRecorder(site / "content" / "comments", AUTHOR)
    with logged() as lines:
        assert recorder.record(write(site, "20240101T000000-a"), SLUG, "20240101T000000-a") is False
    [line] = lines
    assert line.startswith(f"comment {SLUG}/20240101T000000-a is stored; committing it in the background: git ") and line.endswith(
        f" commit --quiet --no-verify --no-gpg-sign -F - --only -- content/comments/{SLUG}/20240101T000000-a.yaml:"
        " no answer in 0.5 s; stopped it and everything it started"), line
    assert sh(site, "git", "log", "-1", "--format=%s").stdout == f"Comment pending moderation: {SLUG}/20240101T000000-a\n"


def test_a_git_at_work_in_the_repository_s_git_folder_keeps_an_inbox_worktree_s_old_lock(tmp_path: Path) -> None:
    """With an inbox branch, a git working in the shared git folder (not the worktree's) still counts as git at work here."""
    site = repository(tmp_path)
    recorder = GitRecorder(site / "content" / "comments", GitOptions(AUTHOR.name, AUTHOR.email, None, "inbox"))
    lock = recorder._index_lock
    lock.write_text("")
    os.utime(lock, (time.time() - 11, time.time() - 11))
    working = live_git(site / ".git")
    try:
        assert recorder.clear_stale_lock() is False and lock.exists()
    finally:
        working.kill()
        working.wait()
    assert recorder.clear_stale_lock() is True and not lock.exists()
