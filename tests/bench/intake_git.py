"""The intake load test with git on: every comment committed and pushed to a bare remote.

`intake_load --git` (make bench-intake-git) calls these: a clone of a new bare
remote around the comments folder, a watcher that notes when each comment id
first appears on the remote, and the figures: delay from the intake's answer to
the remote (p50, p99, max), files and commits on the remote, `git fsck --strict`.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tests.support.git import files_on, sh

ENV = {"COMMENTS_GIT_COMMIT": "true", "COMMENTS_GIT_PUSH": "origin"}


def setup_git(base: Path, folder: Path) -> Path:
    """Make `base` a clone of a new bare remote, with `folder` committed in it; return the remote."""
    remote = base / "remote.git"
    sh(base, "git", "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    sh(base, "git", "init", "--quiet", "--initial-branch=main")
    sh(base, "git", "remote", "add", "origin", str(remote))
    (folder / ".keep").write_text("")
    (base / ".gitignore").write_text("service.log\ncomments-manifest.json\nremote.git/\n")
    sh(base, "git", "add", ".")
    sh(base, "git", "commit", "--quiet", "-m", "Comments folder")
    sh(base, "git", "push", "--quiet", "origin", "main")
    return remote


class RemoteWatcher:
    """Polls the remote's branch and notes when each comment id first appears there."""

    def __init__(self, remote: Path, interval: float = 0.1) -> None:
        """Watch `remote`'s main branch."""
        self.remote = remote
        self.interval = interval
        self.seen: dict[str, float] = {}
        self._tip: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def start(self) -> None:
        """Start polling."""
        self._thread.start()

    def _poll(self) -> None:
        """Read the branch's file list until stopped."""
        while not self._stop.wait(self.interval):
            self.look()

    def look(self) -> None:
        """Note the time for every comment id newly on the remote; its files are listed only when the branch moved.

        The tip is read from the loose ref (no process), so polling costs the machine nothing while the intake works.
        """
        ref = self.remote / "refs" / "heads" / "main"
        tip = ref.read_text() if ref.exists() else None
        if tip is not None and tip == self._tip:
            return
        self._tip = tip
        names = files_on(self.remote)
        now = time.perf_counter()
        for name in names:
            stem = Path(name).stem
            if name.endswith(".yaml") and stem not in self.seen:
                self.seen[stem] = now

    def wait_for(self, ids: set[str], timeout: float = 300.0) -> None:
        """Wait until every id is on the remote (or the timeout passes)."""
        deadline = time.perf_counter() + timeout
        while not ids <= set(self.seen) and time.perf_counter() < deadline:
            time.sleep(self.interval)

    def stop(self) -> None:
        """Stop polling, after one last look."""
        self._stop.set()
        self._thread.join()
        self.look()


def remote_delays(watcher: RemoteWatcher, answered: Sequence[tuple[str, float]]) -> list[float]:
    """Seconds from each accepted answer (id, time) to its comment's arrival on the remote."""
    return [watcher.seen[cid] - at for cid, at in answered if cid in watcher.seen]


def git_figures(remote: Path, clone: Path) -> dict[str, Any]:
    """Comment files and commits on the remote, and git fsck of both repositories."""
    on_remote = [name for name in files_on(remote) if name.endswith(".yaml")]
    commits = int(sh(remote, "git", "rev-list", "--count", "main").stdout)
    fsck = [subprocess.run(["git", "fsck", "--strict", "--no-progress"], cwd=repo, capture_output=True, text=True, check=False)
            for repo in (remote, clone)]
    return {
        "remote_files": len(on_remote),
        "remote_commits": commits,
        "fsck_clean": all(done.returncode == 0 and not done.stdout.strip() for done in fsck),
        "fsck_output": [(done.stdout + done.stderr).strip() for done in fsck],
    }


def git_rows(result: dict[str, Any]) -> list[tuple[str, str]]:
    """Table rows for the git figures, when the run used git."""
    if "remote_files" not in result:
        return []
    return [
        ("on the remote", f"{result['remote_files']:,} files in {result['remote_commits']:,} commits"),
        ("to remote p50", f"{result['remote_delay_p50_ms']} ms after the answer"),
        ("to remote p99", f"{result['remote_delay_p99_ms']} ms"),
        ("to remote max", f"{result['remote_delay_max_ms']} ms"),
        ("git fsck", "clean" if result["fsck_clean"] else f"PROBLEMS {result['fsck_output']}"),
    ]


def git_passed(result: dict[str, Any]) -> bool:
    """With git on: every file reached the remote and fsck is clean (always true without git)."""
    return result.get("remote_files", result["submissions"]) == result["submissions"] and result.get("fsck_clean", True)
