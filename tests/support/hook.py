"""A site pushed to a bare repository with the publishing hook installed, as `make install-hook` sets it up."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from support.git import PEOPLE, copy_project, sh

VENV = Path(sys.executable).parent.parent
PENDING = 'author: "Ann"\ndate: "2024-01-01T10:00:00-05:00"\nstatus: pending\nbody: "Hello."\n'


@dataclass(frozen=True)
class Hooked:
    """A clone of the site pushing to a bare repository whose hook publishes to `live`."""

    site: Path
    bare: Path
    live: Path

    def commit(self, message: str, files: dict[str, str] | None = None, links: dict[str, str] | None = None) -> None:
        """Write `files` and symbolic `links` (path: target) in the clone and commit them all."""
        for name, text in (files or {}).items():
            (self.site / name).parent.mkdir(parents=True, exist_ok=True)
            (self.site / name).write_text(text)
        for name, target in (links or {}).items():
            (self.site / name).parent.mkdir(parents=True, exist_ok=True)
            (self.site / name).symlink_to(target)
        sh(self.site, "git", "add", "--all")
        sh(self.site, "git", "commit", "--quiet", "-m", message)

    def push(self, timeout: float = 120.0) -> tuple[str, float]:
        """Push main; the push's output (the hook's included) and how long it took in seconds."""
        started = time.monotonic()
        done = self.try_push(timeout=timeout)
        assert done.returncode == 0, done.stderr
        return done.stdout + done.stderr, time.monotonic() - started

    def try_push(self, *options: str, env: dict[str, str] | None = None, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        """Push main with `options` and extra `env` (as sshd would set it for the key), successful or not."""
        return subprocess.run(
            ["git", "push", *options, str(self.bare), "main"], cwd=self.site, env={**os.environ, **PEOPLE, **(env or {})},
            capture_output=True, text=True, timeout=timeout, check=False,
        )

    def tip(self) -> str:
        """The commit main points to in the bare repository."""
        return sh(self.bare, "git", "rev-parse", "main").stdout.strip()

    def served(self) -> str:
        """The build LIVE points to."""
        return os.readlink(self.live)

    def builds(self) -> set[str]:
        """The build folders beside LIVE."""
        return {entry.name for entry in (self.live.parent / ".live-builds").iterdir()}


def hooked(tmp_path: Path, **settings: str) -> Hooked:
    """The site pushed to a new bare repository with the hook installed (and published once) with `settings`."""
    site = copy_project(tmp_path / "site")
    bare, live = tmp_path / "site.git", tmp_path / "www" / "live"
    sh(tmp_path, "git", "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    sh(site, "git", "push", "--quiet", str(bare), "main")
    sh(site, "make", "--no-print-directory", "install-hook", f"REPO={bare}", f"LIVE={live}",
       env={"PYTHON_VENV": str(VENV), **settings})
    return Hooked(site, bare, live)
