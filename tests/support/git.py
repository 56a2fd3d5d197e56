"""Helpers for tests that drive real git: commands as a person runs them, and a copy of the project."""

from __future__ import annotations

import atexit
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from .build import _Collector
from .needs import missing

REPO = Path(__file__).resolve().parents[2]
# A moderator's identity, and no user or system git configuration.
PEOPLE = {
    "GIT_AUTHOR_NAME": "Mona Moderator", "GIT_AUTHOR_EMAIL": "mona@example.org",
    "GIT_COMMITTER_NAME": "Mona Moderator", "GIT_COMMITTER_EMAIL": "mona@example.org",
    "GIT_CONFIG_GLOBAL": "/dev/null", "GIT_CONFIG_NOSYSTEM": "1",
}


def sh(cwd: Path, *args: str, env: dict[str, str] | None = None, ok: bool = True) -> subprocess.CompletedProcess[str]:
    """Run a command as a person at the terminal would; check it succeeded when `ok`."""
    if args[0] == "git" and shutil.which("git") is None:
        missing("git")
    done = subprocess.run(
        list(args), cwd=cwd, env={**os.environ, **PEOPLE, **(env or {})}, capture_output=True, text=True, timeout=180, check=False
    )
    if ok:
        assert done.returncode == 0, f"{' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done


def wait_for(check: Callable[[], bool], timeout: float = 30.0, what: str = "condition") -> None:
    """Poll `check` until it holds, or fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def live_git(folder: Path) -> subprocess.Popen[bytes]:
    """A git process that stays at work in `folder`, returned once /proc shows it there under its own name."""
    process = subprocess.Popen(["git", "cat-file", "--batch"], cwd=folder, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL)
    proc = Path("/proc") / str(process.pid)

    def there() -> bool:
        """Whether the exec is complete: the name is git's and the working folder is `folder`."""
        try:
            return (proc / "comm").read_text().startswith("git") and (proc / "cwd").resolve() == folder.resolve()
        except OSError:
            return False

    wait_for(there, timeout=10, what="git to start in " + str(folder))
    return process


def copy_project(destination: Path) -> Path:
    """The project's files as they are in this checkout (tracked and new, not ignored), in a new git repository."""
    listed = sh(REPO, "git", "ls-files", "-z", "--cached", "--others", "--exclude-standard").stdout
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    sh(destination, "git", "init", "--quiet", "--initial-branch=main")
    sh(destination, "git", "add", ".")
    sh(destination, "git", "commit", "--quiet", "-m", "The site")
    return destination


def files_on(repo: Path, branch: str = "main") -> set[str]:
    """Files on `branch` of a repository (empty while the branch does not exist)."""
    done = subprocess.run(["git", "ls-tree", "-r", "--name-only", branch], cwd=repo, capture_output=True, text=True, check=False)
    return set(done.stdout.split()) if done.returncode == 0 else set()


# Clones with their bare remotes made once per process, by slug: a test copies one instead of running six git commands.
_TEMPLATES: dict[str, Path] = {}


def comments_repository(site: Path, slug: str = "first", remote: Path | None = None) -> Path:
    """A repository at `site` with one article's comments folder committed; with `remote`, a clone of that new bare repository, pushed."""
    if remote is not None:
        return _copied_clone(site, slug, remote)
    return _new_repository(site, slug, None)


def _copied_clone(site: Path, slug: str, remote: Path) -> Path:
    """A copy of the process's template clone and its bare remote at `site` and `remote`, the clone's origin pointed at `remote`."""
    template = _TEMPLATES.get(slug)
    if template is None:
        template = Path(tempfile.mkdtemp(prefix="comments-repository-"))
        atexit.register(_remove_template, template, os.getpid())
        _new_repository(template / "site", slug, template / "remote.git")
        _TEMPLATES[slug] = template
    shutil.copytree(template / "remote.git", remote, symlinks=True)
    shutil.copytree(template / "site", site, symlinks=True)
    sh(site, "git", "remote", "set-url", "origin", str(remote))
    return site


def _remove_template(template: Path, made_by: int) -> None:
    """Remove a template at exit of the process that made it (not of one forked from it)."""
    if os.getpid() == made_by:
        shutil.rmtree(template, ignore_errors=True)


def _new_repository(site: Path, slug: str, remote: Path | None) -> Path:
    """comments_repository made with git, command by command."""
    if remote is not None:
        sh(site.parent, "git", "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
        sh(site.parent, "git", "clone", "--quiet", str(remote), str(site))
        sh(site, "git", "checkout", "--quiet", "-B", "main")
    folder = site / "content" / "comments" / slug
    folder.mkdir(parents=True)
    (folder / ".keep").write_text("")
    if remote is None:
        sh(site, "git", "init", "--quiet", "--initial-branch=main")
    sh(site, "git", "add", ".")
    sh(site, "git", "commit", "--quiet", "-m", "Site")
    if remote is not None:
        sh(site, "git", "push", "--quiet", "origin", "main")
    return site


@contextmanager
def logged(name: str = "pelican.plugins.reader_comments.gitsync") -> Iterator[list[str]]:
    """The messages logger `name` emits at INFO and above while the block runs, from any thread, in order."""
    logger = logging.getLogger(name)
    collector = _Collector()
    collector.setLevel(logging.INFO)
    lines: list[str] = []
    collector.emit = lambda record: lines.append(record.getMessage())  # type: ignore[method-assign]
    old_level, old_disabled = logger.level, logger.disabled
    logger.addHandler(collector)
    logger.setLevel(logging.INFO)
    logger.disabled = False
    try:
        yield lines
    finally:
        logger.removeHandler(collector)
        logger.setLevel(old_level)
        logger.disabled = old_disabled


def in_process_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Run git in this process's tests as `sh` does (no user or system configuration), from `tmp_path`.

    git's search for a repository stops above tmp_path, so a mutant that drops a git command's folder
    cannot reach the repository the tests run from.
    """
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    for key in ("GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM"):
        monkeypatch.setenv(key, PEOPLE[key])
