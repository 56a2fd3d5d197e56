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
import subprocess
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from . import comment_format
from .errors import ReaderCommentsError, SettingsError
from .settings import Options

logger = logging.getLogger(__name__)

AUTHOR_FORM = re.compile(r"\s*(?P<name>[^<>\n]*[^<>\s])\s*<(?P<email>[^<>\s]+)>\s*")
GIT_TIMEOUT = 120.0
LOCK_RETRIES = 20
BATCH_SECONDS = 0.3
BACKOFF_FIRST = 1.0
BACKOFF_MAX = 300.0
REBASE_ATTEMPTS = 5
INBOX_WORKTREES = "comments-inbox"
COMMIT_PREFIX = "Comment pending moderation: "
# A fast-forward in `git push --porcelain`: <flag>\t<from>:<to>\t<old>..<new>
PUSHED_RANGE = re.compile(r"\t(?P<old>[0-9a-f]{4,})\.\.(?P<new>[0-9a-f]{4,})$", re.M)
PUSH_NAMES_LOGGED = 10


class GitError(ReaderCommentsError, RuntimeError):
    """A git command failed; the message holds its standard error."""


@dataclass(frozen=True, slots=True)
class GitOptions:
    """What to do with git, from the COMMENTS_GIT_* settings."""

    name: str
    email: str
    push: str | None
    branch: str | None


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
    return GitOptions(match["name"], match["email"], push, branch)


def valid_branch(name: str) -> bool:
    """Whether git accepts `name` as a branch name."""
    done = subprocess.run(["git", "check-ref-format", "--branch", name], capture_output=True, check=False)
    return done.returncode == 0 and not name.startswith("-")


def git(cwd: Path, args: Sequence[str], env: Mapping[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run one git command in `cwd`; raise GitError when it fails and `check` is set."""
    try:
        done = subprocess.run(
            ["git", *args], cwd=cwd, env={**os.environ, **(env or {})},
            capture_output=True, text=True, timeout=GIT_TIMEOUT, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise GitError(f"git {' '.join(args)}: {exc}") from None
    if check and done.returncode != 0:
        raise GitError(f"git {' '.join(args)}: {(done.stderr or done.stdout).strip()}")
    return done


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
        self._origin_top, self.top, self._inside = _places(comments, options)
        self.folder = self.top / self._inside
        self.env = {
            "GIT_AUTHOR_NAME": options.name, "GIT_AUTHOR_EMAIL": options.email,
            "GIT_COMMITTER_NAME": options.name, "GIT_COMMITTER_EMAIL": options.email,
            "GIT_TERMINAL_PROMPT": "0",
        }
        if options.branch:
            self._prepare_worktree(options.branch)
        self.branch = self._current_branch()

    # ------------------------------------------------------------ committing

    def start(self) -> None:
        """Commit comment files a crash left uncommitted, and start the pusher."""
        committed = self.sweep()
        if committed:
            logger.warning("committed %d comment files left uncommitted by an interrupted run", committed)
        logger.info(
            "committing comments on branch %s in %s%s", self.branch, self.top,
            f", pushing to {self.options.push}" if self.options.push else "",
        )
        if self.options.push:
            self._thread = threading.Thread(target=self._push_loop, name="comments-git-push", daemon=True)
            self._thread.start()
            self._wake.set()

    def record(self, path: Path, slug: str, comment_id: str) -> bool:
        """Commit the comment file at `path` alone; on failure log it and retry later. True when committed."""
        try:
            with self._lock:
                self._commit(path.resolve().relative_to(self.top.resolve()).as_posix(), slug, comment_id)
            if self._sweep_needed:
                self.sweep()
        except (GitError, ValueError) as exc:
            logger.error("cannot commit comment %s/%s (kept on disk, retried later): %s", slug, comment_id, exc)
            self._sweep_needed = True
            self._wake.set()
            return False
        self._wake.set()
        return True

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
        message = f"{COMMIT_PREFIX}{slug}/{comment_id}"
        self._retrying(["add", "--", relative])
        self._retrying(["commit", "--quiet", "--no-verify", "--no-gpg-sign", "-m", message, "--only", "--", relative])

    def _retrying(self, args: list[str]) -> None:
        """Run a git command, waiting a little while another git process holds the index lock."""
        for attempt in range(LOCK_RETRIES):
            done = git(self.top, args, self.env, check=False)
            if done.returncode == 0:
                return
            if "index.lock" not in done.stderr or attempt == LOCK_RETRIES - 1:
                raise GitError(f"git {' '.join(args)}: {done.stderr.strip()}")
            time.sleep(0.05 * (attempt + 1))

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

    def close(self, timeout: float = 30.0) -> None:
        """Stop the pusher after one last push of what is committed."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _push_loop(self) -> None:
        """Push whenever commits land, batching those that arrive close together; back off while the remote fails."""
        backoff = 0.0
        while True:
            self._wake.wait()
            stopping = self._stop.is_set()
            if not stopping:
                time.sleep(BATCH_SECONDS)
            self._wake.clear()
            if self._sweep_needed:
                try:
                    self.sweep()
                except GitError as exc:
                    logger.error("cannot commit leftover comment files: %s", exc)
            try:
                self.push()
                backoff = 0.0
            except GitError as exc:
                backoff = min(BACKOFF_MAX, max(BACKOFF_FIRST, backoff * 2))
                logger.warning("push to %s failed; retrying in %.0f s: %s", self.options.push, backoff, exc)
                if not stopping:
                    self._stop.wait(backoff)
                    self._wake.set()
            if stopping:
                return

    def push(self) -> None:
        """Push the branch; when the remote moved on, fetch, rebase onto it and push again. Log what each push carried."""
        remote = str(self.options.push)
        refspec = f"refs/heads/{self.branch}:refs/heads/{self.branch}"
        started = time.monotonic()
        for rebases in range(REBASE_ATTEMPTS):
            done = git(self.top, ["push", "--porcelain", remote, refspec], self.env, check=False)  # --quiet hides the pushed range
            if done.returncode == 0:
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
        """Fetch the remote branch and replay local commits on it; local edits, staged or not, are kept as they were."""
        git(self.top, ["fetch", "--quiet", remote, f"refs/heads/{self.branch}"], self.env)
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
