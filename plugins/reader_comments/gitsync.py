"""Git as the comments' transport: commit accepted comment files together as they wait, push in batches.

The intake calls a `GitRecorder`: `start()` once (it commits comment files a crash
left uncommitted), `record()` after each comment file it writes, and `close()` on
shutdown. `record()` returns once the file is committed: comment files that wait
for the git lock while another commit runs are committed together by the next
request to take it, in one `git add` and one `git commit` whose message lists each
`<slug>/<id>` (one file alone keeps the one-line message). The answer to a reader
does not wait for the push. A background thread pushes the branch to the remote,
batching commits that arrive close together; a rejected push is fetched, rebased
and retried, an unreachable remote is retried with growing pauses. Never a force push.

git's automatic maintenance (gc, repacking) is off for the commands a reader may
wait on; the background thread runs it when no comment is waiting, or after
UPKEEP_FILES files committed, without holding the lock commits take.

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
from dataclasses import dataclass, field
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
# How long a post waits for its turn to commit (and for the commit lock) before its file is left to the background.
LOCK_SECONDS = 1.0
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
# The subject of a commit of several comment files; its body lists each <slug>/<id>, one a line.
GROUP_PREFIX = "Comments pending moderation: "
# At most this many comment files in one commit (the command line stays short).
GROUP_MAX = 200
# How long a request that gave up waiting for the lock waits for the group commit that already took its file.
GROUP_WAIT = 60.0
# Automatic maintenance off for the commands a post waits on: no `git maintenance run --auto` after each commit.
QUIET = ("-c", "maintenance.auto=false", "-c", "gc.auto=0")
# git's own maintenance runs after this many files committed, even while comments keep arriving.
UPKEEP_FILES = 200
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


class GitTimeout(GitError):
    """A git command did not finish in time and was stopped."""


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
    given: str | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run one git command in `cwd`, in a process group of its own; raise GitError when it fails and `check` is set.

    `given` is written to its standard input (a commit message for `-F -`). Past `timeout` the whole group is
    killed: git and what it started (ssh, the remote side), not git alone.
    """
    try:
        process = subprocess.Popen(
            ["git", *args], cwd=cwd, env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL if given is None else subprocess.PIPE,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
        )
    except OSError as exc:
        raise GitError(f"git {' '.join(args)}: {exc}") from None
    with _running_lock:
        _running.add(process)
    try:
        stdout, stderr = process.communicate(given, timeout=timeout)
    except subprocess.TimeoutExpired:
        _kill_group(process)
        raise GitTimeout(f"git {' '.join(args)}: no answer in {timeout:g} s; stopped it and everything it started") from None
    finally:
        with _running_lock:
            _running.discard(process)
    done = subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)
    if check and done.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {(done.stderr or done.stdout).strip()}")
    return done


def _signal_group(process: subprocess.Popen[str]) -> None:
    """Kill a git command's whole process group (its own thread then sees it end)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _kill_group(process: subprocess.Popen[str]) -> None:
    """Kill a git command's whole process group and reap it, without waiting on pipes its children may hold."""
    _signal_group(process)
    process.wait()
    for pipe in (process.stdout, process.stderr):
        if pipe is not None:
            pipe.close()


def stop_running() -> int:
    """Kill every git command still running, with all it started; return how many there were.

    Only the signal is sent: the thread that runs each command is reading its pipes,
    so that thread reaps it and closes them, and sees the command fail.
    """
    with _running_lock:
        running = list(_running)
    for process in running:
        _signal_group(process)
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


def commit_message(names: Sequence[str]) -> str:
    """The message of a commit of pending comment files named `<slug>/<id>`: one line for one, a list for several."""
    if len(names) == 1:
        return f"{COMMIT_PREFIX}{names[0]}\n"
    return f"{GROUP_PREFIX}{len(names)} files\n\n" + "".join(f"{name}\n" for name in names)


def names_in(message: str) -> list[str]:
    """The `<slug>/<id>` names a commit message of the intake lists (none for any other message)."""
    subject, _, body = message.strip("\n").partition("\n")
    if subject.startswith(COMMIT_PREFIX):
        return [subject.rpartition(": ")[2]]
    if subject.startswith(GROUP_PREFIX):
        return [line for line in body.split("\n") if line]
    return []


@dataclass(eq=False, slots=True)
class Waiting:
    """A comment file waiting to be committed: its path in the repository and its name, and what became of it."""

    relative: str
    name: str
    done: threading.Event = field(default_factory=threading.Event)
    committed: bool = False


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
    """Commits comment files in the repository that holds them, together when they wait together, and pushes them."""

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
        self._waiting: list[Waiting] = []
        # Guards the waiting list and who leads: the request committing the group now (the others wait for it).
        self._turn = threading.Condition()
        self._leading = False
        self._since_upkeep = 0
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
        """Commit the comment file at `path` with those waiting beside it, quickly; when git is busy or fails, leave it to the background.

        True when committed. One request at a time leads: it takes the lock and commits every file waiting then, its
        own included, in one commit; the others wait for it, return when their file was in its group, and one of those
        left leads next. Past LOCK_SECONDS without its turn or the lock, the file is left to the background.
        """
        try:
            waiting = Waiting(path.resolve().relative_to(self.top.resolve()).as_posix(), f"{slug}/{comment_id}")
        except ValueError as exc:
            logger.warning("comment %s/%s is stored; committing it in the background: %s", slug, comment_id, exc)
            return self._later()
        deadline = time.monotonic() + LOCK_SECONDS
        with self._turn:
            self._waiting.append(waiting)
            while self._leading and not waiting.done.is_set() and time.monotonic() < deadline:
                self._turn.wait(deadline - time.monotonic())
            lead = not self._leading and not waiting.done.is_set()
            self._leading = self._leading or lead
        if not lead:
            return waiting.committed if waiting.done.is_set() else self._gave_up(waiting)
        try:
            return self._lead(waiting, deadline)
        finally:
            with self._turn:
                self._leading = False
                self._turn.notify_all()

    def _lead(self, waiting: Waiting, deadline: float) -> bool:
        """Take the lock and commit the waiting group, `waiting` in it; give up at `deadline` if the lock stays busy."""
        if not self._lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
            return self._gave_up(waiting)
        try:
            while not waiting.done.is_set():  # more than GROUP_MAX waiting: the first groups, then its own
                self._commit_waiting()
        finally:
            self._lock.release()
        return waiting.committed

    def _gave_up(self, waiting: Waiting) -> bool:
        """The lock stayed busy: leave the file to the background, unless a group commit already took it (then await that)."""
        with self._turn:
            if waiting in self._waiting:
                self._waiting.remove(waiting)
                return self._later()
        waiting.done.wait(GROUP_WAIT)
        return waiting.committed

    def _commit_waiting(self) -> None:
        """Commit the comment files waiting now (the lock held) in one commit; one by one when that fails. Each is marked done."""
        with self._turn:
            group, self._waiting = self._waiting[:GROUP_MAX], self._waiting[GROUP_MAX:]
        try:
            self._commit_group(group)
        finally:
            for waiting in group:
                waiting.done.set()
        if any(waiting.committed for waiting in group):
            self._wake.set()

    def _commit_group(self, group: Sequence[Waiting]) -> None:
        """Commit `group` together; when that fails, each alone, so one bad file costs the others nothing."""
        try:
            self._commit_paths([w.relative for w in group], commit_message([w.name for w in group]), reader_waits=True)
        except GitError as exc:
            if len(group) > 1 and not isinstance(exc, GitTimeout):
                logger.warning("a commit of %d comment files failed; committing them one by one: %s", len(group), exc)
                for waiting in group:
                    self._commit_group([waiting])
                return
            logger.warning("comment %s is stored; committing it in the background: %s", ", ".join(w.name for w in group), exc)
            self._later()
            return
        for waiting in group:
            waiting.committed = True

    def commit_files(self, paths: Sequence[Path], message: str) -> None:
        """Commit the changed files `paths` alone with `message` (a moderation decision), then push; raise GitError."""
        relative = [path.resolve().relative_to(self.top.resolve()).as_posix() for path in paths]
        with self._lock:
            self._commit_paths(relative, message)
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

    def _commit(self, relative: str, slug: str, comment_id: str) -> None:
        """Stage one path and commit only that path, leaving everything else staged or not as it was."""
        self._commit_paths([relative], commit_message([f"{slug}/{comment_id}"]))

    def _commit_paths(self, relative: Sequence[str], message: str, reader_waits: bool = False) -> None:
        """Stage `relative` and commit only those paths with `message` (given on standard input), maintenance off."""
        self._retrying([*QUIET, "add", "--", *relative], reader_waits)
        self._retrying([*QUIET, "commit", "--quiet", "--no-verify", "--no-gpg-sign", "-F", "-", "--only", "--", *relative],
                       reader_waits, message)
        self._since_upkeep += len(relative)

    def _retrying(self, args: list[str], reader_waits: bool = False, given: str | None = None) -> None:
        """Run a git command, waiting a little while another git process holds the index lock, clearing a stale one."""
        attempts = READER_LOCK_RETRIES if reader_waits else LOCK_RETRIES
        timeout = READER_GIT_SECONDS if reader_waits else GIT_TIMEOUT
        for attempt in range(attempts):
            done = git(self.top, args, self.env, check=False, timeout=timeout, given=given)
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
            if not self._stop.is_set():
                time.sleep(BATCH_SECONDS)
            self._wake.clear()
            stopping = self._stop.is_set()  # read after the clear: a stop that came during the pause is not lost
            try:
                self._work()
                backoff = 0.0
            except GitError as exc:
                if self._abandoned.is_set():
                    return  # close() stopped the command and says so
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
        self.upkeep(idle=not self._wake.is_set())

    def upkeep(self, idle: bool) -> bool:
        """Run git's automatic maintenance at a quiet time: nothing waiting, or UPKEEP_FILES files since the last. True if run.

        It runs outside the commit lock, as git's own background maintenance does, so no post waits for it.
        """
        if self._stop.is_set() or not self._since_upkeep or (not idle and self._since_upkeep < UPKEEP_FILES):
            return False
        self._since_upkeep = 0
        done = git(self.top, ["maintenance", "run", "--auto", "--quiet"], self.env, check=False, timeout=self.options.timeout)
        if done.returncode != 0:
            logger.warning("git maintenance failed (it is tried again later): %s", (done.stderr or done.stdout).strip())
        return True

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
        messages = git(self.top, ["log", "-z", "--format=%B", f"{match['old']}..{match['new']}"], check=False).stdout.split("\0")
        names = [name for message in messages for name in names_in(message)]
        shown = ", ".join(names[:PUSH_NAMES_LOGGED]) + (f" and {len(names) - PUSH_NAMES_LOGGED} more" if len(names) > PUSH_NAMES_LOGGED else "")
        count = len([message for message in messages if message.strip()])
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
            done = git(self.top, [*QUIET, "rebase", "--quiet", "FETCH_HEAD"], self.env, check=False)
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
