"""Git as the comments' transport: commit each accepted comment file alone, push in batches.

The intake calls a `GitRecorder`: `start()` once (it commits comment files a crash
left uncommitted), `record()` after each comment file it writes, and `close()` on
shutdown. A background thread pushes the branch to the remote, batching commits
that arrive close together; a rejected push is fetched, rebased and retried, an
unreachable remote is retried with growing pauses. Never a force push.

Everything goes through the git command line, so the repository behaves exactly as
it does for the people who moderate it (hooks, config, credentials and ssh alike).
With a branch configured, comments go to that branch in a worktree of their own
inside the repository's git folder, and the checked-out branch is never touched.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import comment_format
from .errors import ReaderCommentsError, SettingsError
from .settings import DEFAULTS, Options

logger = logging.getLogger(__name__)

AUTHOR_FORM = re.compile(r"\s*(?P<name>[^<>\n]*[^<>\s])\s*<(?P<email>[^<>\s]+)>\s*")
GIT_TIMEOUT = float(DEFAULTS["COMMENTS_GIT_TIMEOUT"])
FETCH_SECONDS = float(DEFAULTS["COMMENTS_GIT_FETCH_SECONDS"])
LOCK_RETRIES = 20
# While a reader waits: this many tries at the index lock, and this long for each git command; past
# either, the comment file (already stored) is committed in the background instead.
READER_LOCK_RETRIES = 3
READER_GIT_SECONDS = 5.0
# An index.lock at least this old, with no git process working in the repository, was left by one that died.
STALE_LOCK_SECONDS = 10.0
BATCH_SECONDS = 0.3
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 300.0
REBASE_ATTEMPTS = 5
# At shutdown, how long the last push may run before it is killed (well inside a service manager's stop timeout).
CLOSE_SECONDS = 8.0
INBOX_WORKTREES = "comments-inbox"
COMMIT_PREFIX = "Comment pending moderation: "
# A fast-forward in `git push --porcelain`: <flag>\t<from>:<to>\t<old>..<new>
PUSHED_RANGE = re.compile(r"\t(?P<old>[0-9a-f]{4,})\.\.(?P<new>[0-9a-f]{4,})$", re.M)
PUSH_NAMES_LOGGED = 10
# Where the intake keeps the last commit it knows the remote's branch had (refs/comments-intake/remote/<branch>).
KNOWN_REMOTE = "refs/comments-intake/remote"
# ssh as the intake runs it unless told otherwise: give up on a host that does not answer, notice
# a connection that went silent, and never wait for a password or a host key question.
SSH_COMMAND = "ssh -o ConnectTimeout=15 -o ServerAliveInterval=15 -o ServerAliveCountMax=4 -o BatchMode=yes"

# The git commands running now, each the leader of its own process group.
_running: set[subprocess.Popen[str]] = set()
_running_lock = threading.Lock()


class GitError(ReaderCommentsError, RuntimeError):
    """A git command failed; the message holds its standard error."""


@dataclass(frozen=True, slots=True)
class GitOptions:
    """What to do with git, from the COMMENTS_GIT_* settings."""

    name: str
    email: str
    push: str | None
    branch: str | None
    timeout: float = GIT_TIMEOUT
    fetch_seconds: float = FETCH_SECONDS


def options_from(options: Options) -> GitOptions | None:
    """The git options of the resolved COMMENTS_* settings, or None when committing is off."""
    if not options.git_commit:
        return None
    author = str(options.git_author or "")
    match = AUTHOR_FORM.fullmatch(author)
    if match is None:
        raise SettingsError(f"COMMENTS_GIT_AUTHOR must look like 'Name <address>', not {author!r}")
    push = str(options.git_push or "").strip() or None
    branch = str(options.git_branch or "").strip() or None
    if branch is not None and not valid_branch(branch):
        raise SettingsError(f"COMMENTS_GIT_BRANCH: {branch!r} is not a valid branch name")
    timeout = _seconds(options.git_timeout, "COMMENTS_GIT_TIMEOUT")
    fetch_seconds = _seconds(options.git_fetch_seconds, "COMMENTS_GIT_FETCH_SECONDS")
    return GitOptions(match["name"], match["email"], push, branch, timeout, fetch_seconds)


def _seconds(value: Any, name: str) -> float:
    """A setting in seconds, at least one (its default when unset); SettingsError names it when it is not a number."""
    try:
        return max(1.0, float(value or DEFAULTS[name]))
    except ValueError:
        raise SettingsError(f"{name} must be a number of seconds, not {value!r}") from None


def valid_branch(name: str) -> bool:
    """Whether git accepts `name` as a branch name."""
    done = subprocess.run(["git", "check-ref-format", "--branch", name], capture_output=True, check=False)
    return done.returncode == 0 and not name.startswith("-")


def git(
    cwd: Path, args: Sequence[str], env: Mapping[str, str] | None = None, check: bool = True, timeout: float = GIT_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run one git command in `cwd`, in a process group of its own; raise GitError when it fails and `check` is set.

    Past `timeout` the whole group is killed: git and what it started (ssh, the remote side), not git alone.
    """
    try:
        process = subprocess.Popen(
            ["git", *args], cwd=cwd, env={**os.environ, **(env or {})}, stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
    except OSError as exc:
        raise GitError(f"git {' '.join(args)}: {exc}") from None
    with _running_lock:
        _running.add(process)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise GitError(f"git {' '.join(args)}: no answer in {timeout:g} s; stopped it and everything it started") from None
    finally:
        with _running_lock:
            _running.discard(process)
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    if check and done.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {(done.stderr or done.stdout).strip()}")
    return done


def _kill_group(process: subprocess.Popen[str]) -> None:
    """Kill a git command's whole process group and reap it, without waiting on pipes its children may hold."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def stop_running() -> int:
    """Kill every git command still running, with all it started; return how many there were."""
    with _running_lock:
        running = list(_running)
    for process in running:
        _kill_group(process)
    return len(running)


def git_at_work(folders: Sequence[Path]) -> bool:
    """Whether a git process runs with its working folder in one of `folders` (read from /proc)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if not (entry / "comm").read_text().startswith("git"):
                continue
            cwd = (entry / "cwd").resolve()
        except OSError:
            continue
        if any(cwd == folder or folder in cwd.parents for folder in folders):
            return True
    return False


def ssh_defaults(top: Path) -> dict[str, str]:
    """GIT_SSH_COMMAND with SSH_COMMAND's time limits, unless ssh is already set up for git in the environment or config."""
    if os.environ.get("GIT_SSH_COMMAND") or os.environ.get("GIT_SSH"):
        return {}
    if git(top, ["config", "--get", "core.sshCommand"], check=False).stdout.strip():
        return {}
    return {"GIT_SSH_COMMAND": SSH_COMMAND}


def is_comment_path(relative: str) -> bool:
    """Whether a path inside the comments folder is a comment file: <slug>/<id>.yaml, no dot-names."""
    parts = relative.split("/")
    return len(parts) == 2 and not parts[0].startswith(".") and comment_format.is_comment_name(parts[1])


def _places(comments: Path, options: GitOptions) -> tuple[Path, Path, str]:
    """The checked-out tree's top, the top of the tree commits are made in, and the comments folder inside either.

    With a branch, commits are made in the inbox worktree; without one, in the checked-out tree itself.
    """
    top = Path(git(comments, ["rev-parse", "--show-toplevel"]).stdout.strip())
    inside = comments.resolve().relative_to(top.resolve()).as_posix()
    if not options.branch:
        return top, top, inside
    common = Path(git(top, ["rev-parse", "--path-format=absolute", "--git-common-dir"]).stdout.strip())
    return top, common / INBOX_WORKTREES / options.branch.replace("/", "-"), inside


def recorded_folder(comments: Path, options: GitOptions) -> Path:
    """Where the intake writes comment files so they are committed: `comments`, or its twin in the inbox worktree."""
    _, top, inside = _places(comments, options)
    return top / inside


class GitRecorder:
    """Commits comment files one by one in the repository that holds them, and pushes them."""

    def __init__(self, comments: Path, options: GitOptions) -> None:
        """Record comments written under `comments` (a folder inside a git working tree); raise GitError if that cannot be."""
        self.options = options
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._sweep_needed = False
        self._sync_needed = False
        self._abandoned = threading.Event()
        self._index_lock = Path()
        self._origin_top, self.top, self._inside = _places(comments, options)
        self.folder = self.top / self._inside
        self.env = {
            "GIT_AUTHOR_NAME": options.name, "GIT_AUTHOR_EMAIL": options.email,
            "GIT_COMMITTER_NAME": options.name, "GIT_COMMITTER_EMAIL": options.email,
            "GIT_TERMINAL_PROMPT": "0",
            **ssh_defaults(self._origin_top),
        }
        if options.branch:
            self._prepare_worktree(options.branch)
        self.branch = self._current_branch()
        lock = git(self.top, ["rev-parse", "--path-format=absolute", "--git-path", "index.lock"]).stdout.strip()
        self._index_lock = Path(lock)
        self._git_dirs = (self.top.resolve(), self._index_lock.parent.resolve(),
                          Path(git(self.top, ["rev-parse", "--path-format=absolute", "--git-common-dir"]).stdout.strip()).resolve())

    # ------------------------------------------------------------ committing

    def start(self) -> None:
        """Commit comment files a crash left uncommitted (or leave them to the background), and start the git worker."""
        self.clear_stale_lock()
        try:
            committed = self.sweep()
        except GitError as exc:
            logger.warning("cannot commit comment files left uncommitted yet (they are kept and retried): %s", exc)
            self._sweep_needed = True
        else:
            if committed:
                logger.warning("committed %d comment files left uncommitted by an interrupted run", committed)
        logger.info(
            "committing comments on branch %s in %s%s", self.branch, self.top,
            f", pushing to {self.options.push}" if self.options.push else "",
        )
        self._thread = threading.Thread(target=self._work_loop, name="comments-git", daemon=True)
        self._thread.start()
        self._wake.set()

    def record(self, path: Path, slug: str, comment_id: str) -> bool:
        """Commit the comment file at `path` alone, quickly; when git is busy or fails, leave it to the background. True when committed."""
        if not self._lock.acquire(timeout=1.0):
            return self._later()
        try:
            self._commit(path.resolve().relative_to(self.top.resolve()).as_posix(), slug, comment_id, reader_waits=True)
        except (GitError, ValueError) as exc:
            logger.warning("comment %s/%s is stored; committing it in the background: %s", slug, comment_id, exc)
            return self._later()
        finally:
            self._lock.release()
        self._wake.set()
        return True

    def commit_files(self, paths: Sequence[Path], message: str) -> None:
        """Commit the changed files `paths` alone with `message` (a moderation decision), then push; raise GitError."""
        relative = [path.resolve().relative_to(self.top.resolve()).as_posix() for path in paths]
        with self._lock:
            self._retrying(["add", "--", *relative])
            self._retrying(["commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", message, "--only", "--", *relative])
        self._wake.set()
    def _later(self) -> bool:
        """Leave comment files to the background worker's next sweep; False (not committed yet)."""
        self._sweep_needed = True
        self._wake.set()
        return False

    def sweep(self) -> int:
        """Commit every comment file that is untracked, or added but not committed; return how many."""
        with self._lock:
            listed = git(self.top, ["ls-files", "-z", "--others", "--exclude-standard", "--", self._inside]).stdout
            staged = git(self.top, ["diff", "--cached", "-z", "--name-only", "--diff-filter=A", "--", self._inside]).stdout
            count = 0
            for relative in sorted(set(filter(None, listed.split("\0") + staged.split("\0")))):
                inner = relative[len(self._inside) + 1:] if self._inside != "." else relative
                if is_comment_path(inner):
                    slug, name = inner.split("/")
                    self._commit(relative, slug, Path(name).stem)
                    count += 1
            self._sweep_needed = False
            return count

    def _commit(self, relative: str, slug: str, comment_id: str, reader_waits: bool = False) -> None:
        """Stage one path and commit only that path, leaving everything else staged or not as it was."""
        message = f"{COMMIT_PREFIX}{slug}/{comment_id}"
        self._retrying(["add", "--", relative], reader_waits)
        self._retrying(["commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", message, "--only", "--", relative], reader_waits)

    def _retrying(self, args: list[str], reader_waits: bool = False) -> None:
        """Run a git command, waiting a little while another git process holds the index lock, clearing a stale one."""
        attempts = READER_LOCK_RETRIES if reader_waits else LOCK_RETRIES
        timeout = READER_GIT_SECONDS if reader_waits else GIT_TIMEOUT
        for attempt in range(attempts):
            done = git(self.top, args, self.env, check=False, timeout=timeout)
            if done.returncode == 0:
                return
            # "Unable to create '…/index.lock': File exists." is another git at work; any other reason (a full disk) is not.
            held = "index.lock" in done.stderr and "File exists" in done.stderr
            if not held or attempt == attempts - 1:
                raise GitError(f"git {' '.join(args)}: {done.stderr.strip()}")
            if not self.clear_stale_lock():
                time.sleep(0.05 * (attempt + 1))

    def clear_stale_lock(self) -> bool:
        """Remove the index lock when a git process that died left it: old enough, and no git at work here. True if removed."""
        try:
            age = time.time() - self._index_lock.stat().st_mtime
        except OSError:
            return False
        if age < STALE_LOCK_SECONDS or git_at_work(self._git_dirs):
            return False
        try:
            self._index_lock.unlink()
        except FileNotFoundError:
            return False
        logger.warning("removed %s, left %.0f s ago by a git process that is gone", self._index_lock, age)
        return True

    def _current_branch(self) -> str:
        """The branch checked out where comments are committed; refuse a detached HEAD."""
        done = git(self.top, ["symbolic-ref", "--quiet", "--short", "HEAD"], check=False)
        if done.returncode != 0:
            raise GitError(f"{self.top} is not on a branch (detached HEAD); check out a branch to commit comments on")
        return done.stdout.strip()

    def _prepare_worktree(self, branch: str) -> None:
        """Check `branch` out in the recorder's own worktree: the local branch, the remote's, or a new one from HEAD."""
        if (self.top / ".git").exists():
            return
        base = self._origin_top
        exists = git(base, ["rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"], check=False).returncode == 0
        if not exists and self.options.push:
            fetched = git(base, ["fetch", "--quiet", self.options.push, f"refs/heads/{branch}"], self.env, check=False)
            if fetched.returncode == 0:
                git(base, ["branch", branch, "FETCH_HEAD"])
                exists = True
        self.top.parent.mkdir(parents=True, exist_ok=True)
        if exists:
            git(base, ["worktree", "add", "--quiet", str(self.top), branch], self.env)
        else:
            git(base, ["worktree", "add", "--quiet", "-b", branch, str(self.top), "HEAD"], self.env)
        logger.info("comments go to branch %s, checked out in %s", branch, self.top)

    # ------------------------------------------------------------ pushing

    def close(self, timeout: float = CLOSE_SECONDS) -> None:
        """Stop the pusher after one last push of what is committed; past `timeout`, kill the git still running."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._abandoned.set()
            if self._thread.is_alive() and stop_running():
                logger.warning("stopped a push still running after %.0f s at shutdown; it is retried at the next start", timeout)
                self._thread.join(5.0)

    def _work_loop(self) -> None:
        """Commit what readers' requests left, and push, batching commits that land close together; back off while git fails."""
        backoff = 0.0
        while True:
            if not self._wake.wait(self.options.fetch_seconds if self.options.push else None):
                self._sync_needed = True
            stopping = self._stop.is_set()
            if not stopping:
                time.sleep(BATCH_SECONDS)
            self._wake.clear()
            try:
                self._work()
                backoff = 0.0
            except GitError as exc:
                backoff = min(BACKOFF_MAX, max(BACKOFF_FIRST, backoff * 2))
                if self._sweep_needed:
                    logger.warning("cannot commit comment files yet (they are kept); retrying in %.0f s: %s", backoff, exc)
                else:
                    logger.warning("push to %s failed; retrying in %.0f s: %s", self.options.push, backoff, exc)
                if not stopping:
                    self._stop.wait(backoff)
                    self._wake.set()
            if stopping or self._abandoned.is_set():
                return

    def _work(self) -> None:
        """One round of the worker: clear a stale lock, commit leftover comment files, push."""
        self.clear_stale_lock()
        if self._sweep_needed:
            self.sweep()
        if self.options.push:
            if self._sync_needed:
                self._sync_needed = False
                self._catch_up(str(self.options.push))
            self.push()

    def sync(self) -> None:
        """Bring the remote's changes (moderators' decisions) into the clone soon, in the background."""
        if self.options.push:
            self._sync_needed = True
            self._wake.set()

    def _catch_up(self, remote: str) -> None:
        """Fetch the remote branch and, when it holds commits the clone lacks, rebase onto it."""
        self._fetch(remote)
        if git(self.top, ["merge-base", "--is-ancestor", "FETCH_HEAD", f"refs/heads/{self.branch}"], check=False).returncode == 0:
            return
        logger.info("the remote branch %s moved on; bringing its changes in", self.branch)
        self._replay(remote)

    def push(self) -> None:
        """Push the branch; when the remote moved on, fetch, rebase onto it and push again. Log what each push carried."""
        remote = str(self.options.push)
        refspec = f"refs/heads/{self.branch}:refs/heads/{self.branch}"
        started = time.monotonic()
        for rebases in range(REBASE_ATTEMPTS):
            # --quiet would hide the pushed range the log names
            done = git(self.top, ["push", "--porcelain", remote, refspec], self.env, check=False, timeout=self.options.timeout)
            if done.returncode == 0:
                git(self.top, ["update-ref", f"{KNOWN_REMOTE}/{self.branch}", f"refs/heads/{self.branch}"])
                self._log_push(done.stdout, remote, time.monotonic() - started, rebases)
                return
            report = done.stdout + done.stderr
            if "[rejected]" not in report and "non-fast-forward" not in report and "fetch first" not in report:
                raise GitError(report.strip())
            logger.info("the remote branch %s moved on; rebasing comments onto it", self.branch)
            self._rebase(remote)
        raise GitError(f"the remote kept moving; gave up after {REBASE_ATTEMPTS} rebases")

    def _log_push(self, porcelain: str, remote: str, seconds: float, rebases: int) -> None:
        """One line per push that carried commits: how many, which comments, how long it took (rebases included)."""
        match = PUSHED_RANGE.search(porcelain)
        if match is None:
            if "[new branch]" in porcelain:
                logger.info("pushed the new branch %s to %s in %.2f s", self.branch, remote, seconds)
            return
        subjects = git(self.top, ["log", "--format=%s", f"{match['old']}..{match['new']}"], check=False).stdout.split("\n")
        names = [subject.rpartition(": ")[2] for subject in subjects if subject.startswith(COMMIT_PREFIX)]
        shown = ", ".join(names[:PUSH_NAMES_LOGGED]) + (f" and {len(names) - PUSH_NAMES_LOGGED} more" if len(names) > PUSH_NAMES_LOGGED else "")
        count = len([subject for subject in subjects if subject])
        logger.info("pushed %d commit%s to %s in %.2f s%s: %s", count, "s" * (count != 1), remote, seconds,
                    f" after {rebases} rebase{'s' * (rebases != 1)}" if rebases else "", shown or "no comment files")

    def _rebase(self, remote: str) -> None:
        """Fetch the remote branch and replay local commits on it."""
        self._fetch(remote)
        self._replay(remote)

    def _fetch(self, remote: str) -> None:
        """Fetch the remote branch into FETCH_HEAD."""
        git(self.top, ["fetch", "--quiet", remote, f"refs/heads/{self.branch}"], self.env, timeout=self.options.timeout)

    def _replay(self, remote: str) -> None:
        """Replay local commits on FETCH_HEAD unless the remote's history was rewritten; local edits are kept as they were."""
        self._check_not_rewritten(remote)
        with self._lock:
            dirty = bool(git(self.top, ["status", "--porcelain", "--untracked-files=no"]).stdout.strip())
            if dirty:
                git(self.top, ["stash", "push", "--quiet", "-m", "kept aside while comments were rebased"], self.env)
            done = git(self.top, ["rebase", "--quiet", "FETCH_HEAD"], self.env, check=False)
            if done.returncode != 0:
                git(self.top, ["rebase", "--abort"], self.env, check=False)
            if dirty:
                restored = git(self.top, ["stash", "pop", "--quiet", "--index"], self.env, check=False)
                if restored.returncode != 0:
                    logger.error("local changes in %s could not be put back; they are in `git stash list`", self.top)
            if done.returncode != 0:
                raise GitError(f"rebase onto {remote} failed: {(done.stderr or done.stdout).strip()}")

    def _check_not_rewritten(self, remote: str) -> None:
        """Refuse to rebase when the fetched branch no longer holds the last commit the remote was known to have."""
        known_ref = f"{KNOWN_REMOTE}/{self.branch}"
        known = git(self.top, ["rev-parse", "--verify", "--quiet", known_ref], check=False).stdout.strip()
        if known and git(self.top, ["merge-base", "--is-ancestor", known, "FETCH_HEAD"], check=False).returncode != 0:
            message = (
                f"the history of {self.branch} on {remote} was rewritten: {known[:12]}, which it had, is no longer in it."
                " Nothing is replayed or pushed; comments are still taken and committed here. To go on, stop the intake and run"
                f" `git -C {self.top} fetch {remote} {self.branch}` then `git -C {self.top} rebase --onto FETCH_HEAD {known} {self.branch}`"
                " (only the comments taken since that commit), and start it again (docs/deploying.md, What git history keeps)"
            )
            logger.error("%s", message)
            raise GitError(message)
        git(self.top, ["update-ref", known_ref, "FETCH_HEAD"])
