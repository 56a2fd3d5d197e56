"""Files on disk: the modes the intake creates, and comment files or article folders that are symbolic links.

- Intake-written files were created with mode 0600, so a moderator or a build
  running as another user could not read them; they must honour the umask.
- A comment file that is a symbolic link (to a file anywhere) was published by
  the build and ignored by the check, while approve refused it; the same for a
  symlinked article folder. Never published; reported by check and the queue.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from hostile_support import DATE
from support.build import REPO, build_site, copy_fixture
from support.comments import write_comment
from support.intake import launch, post_form

MODERATION = "pelican.plugins.reader_comments.moderation"


def _umask(mask: int):
    """A preexec_fn setting the service's umask."""
    return lambda: os.umask(mask)


@pytest.mark.parametrize(("mask", "mode"), [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600), (0o002, 0o664)])
def test_intake_files_honour_the_umask(tmp_path: Path, mask: int, mode: int) -> None:
    server = launch(tmp_path, {"COMMENTS_RATE_LIMIT": "0"}, preexec_fn=_umask(mask))
    before = set(server.content.glob("*/*.yaml"))
    try:
        reply = post_form(server.port, {"article": "dinner-guest", "author": "Ann Reader", "body": "Mode check."})
        assert reply.status == 201, reply.body
    finally:
        server.stop()
    (new,) = set(server.content.glob("*/*.yaml")) - before
    assert stat.S_IMODE(new.stat().st_mode) == mode


# ---------------------------------------------------------------- symbolic links


def _approved(path: Path, marker: str) -> None:
    """An approved comment whose body is `marker`."""
    write_comment(path.parent, path.name, {"author": "Linked", "date": DATE, "status": "approved", "body": marker})


@pytest.fixture(scope="module")
def linked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the fixture site with a symlinked comment file and a symlinked article folder."""
    base = tmp_path_factory.mktemp("linked")
    content = copy_fixture(base / "content")
    _approved(base / "outside" / "secret.yaml", "LINKED-FILE-SECRET")
    (content / "comments" / "alpha" / "zz-link.yaml").symlink_to(base / "outside" / "secret.yaml")
    _approved(base / "elsewhere" / "d1.yaml", "LINKED-FOLDER-SECRET")
    (content / "comments" / "delta").symlink_to(base / "elsewhere", target_is_directory=True)
    _approved(content / "comments" / "beta" / "target.yaml", "LINKED-SIBLING")
    (content / "comments" / "beta" / "twin.yaml").symlink_to("target.yaml")
    return content


def test_build_never_publishes_symlinks_and_names_them(linked: Path, tmp_path: Path) -> None:
    build = build_site(linked, tmp_path / "out")
    text = build.all_text()
    assert "LINKED-FILE-SECRET" not in text and "LINKED-FOLDER-SECRET" not in text
    beta = (tmp_path / "out" / "2020/beta/index.html").read_text(encoding="utf-8")
    assert 'id="comment-target"' in beta and 'id="comment-twin"' not in beta
    warnings = "\n".join(build.messages())
    for name in ("alpha/zz-link.yaml", "comments/delta", "beta/twin.yaml"):
        assert name in warnings and "symbolic link" in warnings, (name, warnings)


def _moderation(content: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A moderation command on `content`, as the Makefile runs it."""
    env = {**os.environ, "COLUMNS": "200"}
    return subprocess.run(
        [sys.executable, "-m", MODERATION, *args, "--settings", str(REPO / "pelicanconf.py"), "--content", str(content)],
        cwd=content.parent, env=env, capture_output=True, text=True, timeout=120,
    )


@pytest.mark.parametrize("command", ["check", "queue"])
def test_check_and_queue_report_symlinks(linked: Path, command: str) -> None:
    result = _moderation(linked, command)
    output = result.stdout + result.stderr
    assert result.returncode == (1 if command == "check" else 0), output
    for name in ("alpha/zz-link.yaml", "comments/delta", "beta/twin.yaml"):
        assert name in output, (name, output)
    assert "LINKED-FILE-SECRET" not in output
