"""make publish and make deploy in a copy of the project: production builds beside the development one."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from support.git import copy_project, files_on, sh

VENV = Path(sys.executable).parent.parent
BROKEN_POST = "Title: Broken on purpose\nDate: someday\n\nA post whose date cannot be read.\n"


def make(site: Path, *args: str, ok: bool = True):
    """Run make in a copy of the project with this checkout's Python environment, never reinstalling it."""
    return sh(site, "make", "--no-print-directory", f"VENV={VENV}", "-o", f"{VENV}/.plugin-installed-stamp", *args, ok=ok)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A copy of the project in a git repository of its own."""
    return copy_project(tmp_path / "site")


def test_publish_leaves_the_development_build_alone_and_a_failure_keeps_the_last_good_site(site: Path) -> None:
    """public/ links to the good build and output/ is untouched; a broken post fails the next publish and the link stays."""
    make(site, "html")
    stylesheet = '<link rel="stylesheet" href="../../theme/css/main.css">'
    development = (site / "output" / "2010" / "thank-you-note" / "index.html").read_bytes()
    assert stylesheet.encode() in development
    make(site, "publish")
    assert (site / "output" / "2010" / "thank-you-note" / "index.html").read_bytes() == development
    assert (site / "output" / "theme" / "css" / "main.css").is_file()
    good = os.readlink(site / "public")
    assert good.startswith(".public-builds/")
    published = (site / "public" / "2010" / "thank-you-note" / "index.html").read_text()
    assert 'href="https://gracious-guide.example/theme/css/main.css"' in published
    assert (site / "public" / "comments-manifest.json").is_file()
    (site / "content" / "posts" / "broken.md").write_text(BROKEN_POST)
    done = make(site, "publish", ok=False)
    assert done.returncode != 0
    assert "not a date" in done.stdout + done.stderr and "still serves" in done.stderr
    assert os.readlink(site / "public") == good and (site / "public" / "comments-manifest.json").is_file()
    assert len(list((site / ".public-builds").iterdir())) == 1


def test_deploy_says_it_pushed_nothing_without_a_remote_and_pushes_with_one(site: Path, tmp_path: Path) -> None:
    """Without origin, make deploy fails saying nothing was pushed; with one, gh-pages reaches it."""
    done = make(site, "deploy", ok=False)
    assert done.returncode != 0 and "pushed NOTHING" in done.stderr and "no git remote 'origin'" in done.stderr
    remote = tmp_path / "pages.git"
    sh(tmp_path, "git", "init", "--quiet", "--bare", str(remote))
    sh(site, "git", "remote", "add", "origin", str(remote))
    done = make(site, "deploy")
    assert "pushed it to origin" in done.stdout
    assert {"index.html", ".nojekyll", "404.html"} <= files_on(remote, "gh-pages")
