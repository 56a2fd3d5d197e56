"""Readers' removal requests for the moderators: `make comments` lists them first, `make remove` takes comments off the site.

Runs the real make targets on a copy of the project in its own git repository,
then a real Pelican build: a comment nothing answers is deleted; one with a reply
becomes a stub holding none of its words, and the reply keeps its place.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from support.build import build_site
from support.git import copy_project, sh

FOLDER = "content/comments/dinner-guest"
HANNAH = "dinner-guest/20110421T011500-hannah-brooks"
MARCUS = "dinner-guest/20110421T143000-marcus-webb"
OSCAR = "dinner-guest/20110422T120500-oscar-lindqvist"
ENV = {"COMMENTS_MODERATOR": "Mona Moderator"}


def path_of(site: Path, name: str) -> Path:
    """The file of `slug/id` in the copy."""
    return site / "content" / "comments" / f"{name}.yaml"


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The project copied into a git repository, with two published comments whose authors asked for removal."""
    site = copy_project(tmp_path / "site")
    requests = {HANNAH: ("2026-12-01T09:00:00+00:00", 'removal_reason: "Posted under my full name.\\nPlease remove."\n'),
                OSCAR: ("2026-12-03T09:00:00+00:00", "")}
    for name, (when, reason) in requests.items():
        path = path_of(site, name)
        path.write_text(path.read_text() + f'removal_requested: "{when}"\n' + reason)
    sh(site, "git", "commit", "--quiet", "-am", "Removal requested")
    return site


def make(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a make target in the copy with this test's Python environment, successful or not."""
    venv = Path(sys.executable).parent.parent
    return subprocess.run(
        ["make", "--no-print-directory", f"VENV={venv}", "-o", f"{venv}/.plugin-installed-stamp", *args],
        cwd=site, env={**os.environ, **ENV}, capture_output=True, text=True, timeout=300, check=False)


def test_the_queue_lists_removal_requests_first(site: Path) -> None:
    done = make(site, "comments")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0] == "Removal requests by their authors, oldest first (2):"
    where = [i for i, line in enumerate(lines) if line.strip() in (f"{FOLDER}/20110421T011500-hannah-brooks.yaml",
                                                                   f"{FOLDER}/20110422T120500-oscar-lindqvist.yaml")]
    assert [lines[i].strip().rsplit("/", 1)[1] for i in where] == ["20110421T011500-hannah-brooks.yaml",
                                                                    "20110422T120500-oscar-lindqvist.yaml"]
    # The reason on one line, its line break spelled out so it cannot start a line of its own.
    assert "removal requested: asked 2026-12-01 09:00; reason: Posted under my full name.<U+000A>Please remove.\n" in done.stdout
    assert "removal requested: asked 2026-12-03 09:00; reason: (none given)" in done.stdout
    assert "make remove ID=<slug/id>" in done.stdout
    assert done.stdout.index("Removal requests") < done.stdout.index("By status:")


def test_remove_deletes_a_comment_nothing_answers_in_its_own_commit(site: Path) -> None:
    head = sh(site, "git", "rev-parse", "HEAD").stdout.strip()
    done = make(site, "remove", f"ID={OSCAR}", "COMMIT=1")
    assert done.returncode == 0, done.stderr
    assert f"removed {OSCAR}: its file is deleted" in done.stdout and "What git history keeps" in done.stdout
    assert not path_of(site, OSCAR).exists()
    assert sh(site, "git", "log", "-1", "--format=%s").stdout.strip() == f"Remove {OSCAR}"
    assert sh(site, "git", "rev-parse", "HEAD~1").stdout.strip() == head
    assert sh(site, "git", "show", "--name-status", "--format=", "HEAD").stdout.split() == ["D", f"{FOLDER}/20110422T120500-oscar-lindqvist.yaml"]
    assert sh(site, "git", "status", "--porcelain").stdout == ""


def test_remove_keeps_the_place_of_a_comment_with_replies_without_its_words(site: Path, tmp_path: Path) -> None:
    reply_before = path_of(site, MARCUS).read_text()
    done = make(site, "remove", f"ID={HANNAH}", "COMMIT=1")
    assert done.returncode == 0, done.stderr
    assert f"removed {HANNAH}: its replies keep their place" in done.stdout
    stub = yaml.safe_load(path_of(site, HANNAH).read_text())
    assert stub == {"author": "(removed)", "date": "2011-04-20T21:15:00-04:00", "status": "rejected",
                    "body": "This comment was removed.", "moderated_at": stub["moderated_at"], "moderator": "Mona Moderator",
                    "note": "Removed from the site at its author's request (make remove); its text is still in git history."}
    assert path_of(site, MARCUS).read_text() == reply_before
    assert sh(site, "git", "log", "-1", "--format=%s").stdout.strip() == f"Remove {HANNAH}"
    assert sh(site, "git", "show", "--name-status", "--format=", "HEAD").stdout.split() == ["M", f"{FOLDER}/20110421T011500-hannah-brooks.yaml"]
    page = (build_site(site / "content", tmp_path / "out").output / "2011" / "dinner-guest" / "index.html").read_text()
    assert "Hannah Brooks" not in page and "hunting for vases" not in page and "Posted under my full name" not in page
    assert "This comment is not shown." in page and "A jar is perfect." in page


def test_remove_of_an_unknown_comment_changes_nothing(site: Path) -> None:
    head = sh(site, "git", "rev-parse", "HEAD").stdout.strip()
    done = make(site, "remove", f"ID={OSCAR} dinner-guest/20990101T000000-nobody", "COMMIT=1")
    assert done.returncode == 2 and "no comment '20990101T000000-nobody'" in done.stderr and "No file was changed." in done.stderr
    assert path_of(site, OSCAR).exists()
    assert sh(site, "git", "rev-parse", "HEAD").stdout.strip() == head and sh(site, "git", "status", "--porcelain").stdout == ""
