"""Pending replies to removed comments: a strict publish stops only for approved comments.

MODERATING.md tells moderators to delete a comment on a removal request. A
reply accepted while that comment was published then points at nothing; while
the reply is pending, that is the moderator's business, not the publish's.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from hostile_support import DATE
from support.build import REPO, copy_fixture
from support.comments import comment_yaml


def _publish(content: Path, output: Path) -> subprocess.CompletedProcess[str]:
    """`make publish` on `content`: publishconf.py with warnings fatal."""
    env = {**os.environ, "COLUMNS": "300"}
    return subprocess.run(
        [sys.executable, "-m", "pelican", str(content), "-o", str(output), "-s", str(REPO / "publishconf.py"),
         "--fatal", "warnings"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )


def _write(folder: Path, name: str, status: str, reply_to: str | None = None) -> Path:
    """One comment file named `name` in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    fields = {"author": name.title(), "date": DATE, "status": status, "body": f"Text of {name}.", "reply_to": reply_to}
    path.write_text(comment_yaml(fields), encoding="utf-8")
    return path


def test_pending_reply_to_a_deleted_comment_does_not_stop_a_publish(tmp_path: Path) -> None:
    content = copy_fixture(tmp_path / "content")
    folder = content / "comments" / "delta"
    parent = _write(folder, "removed", "approved")
    _write(folder, "answer", "pending", reply_to="removed")
    _write(folder, "rejected-answer", "rejected", reply_to="removed")
    _write(folder, "spam-loop-a", "spam", reply_to="spam-loop-b")
    _write(folder, "spam-loop-b", "spam", reply_to="spam-loop-a")
    _write(content / "comments" / "no-such-article", "orphan", "pending")
    assert _publish(content, tmp_path / "before").returncode == 0
    parent.unlink()
    result = _publish(content, tmp_path / "after")
    log = result.stdout + result.stderr
    assert result.returncode == 0, log


def test_approved_reply_to_a_deleted_comment_still_stops_a_publish(tmp_path: Path) -> None:
    content = copy_fixture(tmp_path / "content")
    folder = content / "comments" / "delta"
    _write(folder, "answer", "approved", reply_to="removed")
    result = _publish(content, tmp_path / "out")
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert "comments/delta/answer.yaml" in log and "Traceback" not in log


def test_approved_comments_under_a_missing_article_still_stop_a_publish(tmp_path: Path) -> None:
    content = copy_fixture(tmp_path / "content")
    _write(content / "comments" / "no-such-article", "stray", "approved")
    result = _publish(content, tmp_path / "out")
    assert result.returncode != 0
    assert "no-such-article" in result.stdout + result.stderr
