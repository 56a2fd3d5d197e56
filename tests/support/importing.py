"""Helpers for the importer tests: a writable fixture site, the commands run in-process, a strict publish."""

from __future__ import annotations

import contextlib
import io
import os
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from pelican.plugins.reader_comments.importers import cli
from pelican.plugins.reader_comments.moderation.cli import cmd_check
from pelican.plugins.reader_comments.site_model import Site, load_site

from .build import REPO, copy_fixture

IMPORT_FIXTURES = REPO / "tests" / "fixtures" / "import"
SETTINGS = REPO / "pelicanconf.py"


@dataclass
class Run:
    """One command's exit status and what it printed."""

    code: int
    out: str
    err: str


def command(content: Path, *args: str) -> Run:
    """Run `reader-comments-migrate ARGS` in-process against the site in `content`."""
    out, err = io.StringIO(), io.StringIO()
    command, *rest = args
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cli.main([command, "--settings", str(SETTINGS), "--content", str(content), *rest])
    return Run(code, out.getvalue(), err.getvalue())


def check(content: Path) -> Run:
    """`make check-comments` on the site in `content`, in-process."""
    site = load_site(SETTINGS, content)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = cmd_check(site)
    return Run(code, out.getvalue(), err.getvalue())


def site(tmp_path: Path) -> Path:
    """A writable copy of the fixture site's content."""
    return copy_fixture(tmp_path / "content")


def isso_database(folder: Path) -> Path:
    """The isso fixture database, built from its SQL."""
    path = folder / "isso.db"
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.executescript((IMPORT_FIXTURES / "isso.sql").read_text(encoding="utf-8"))
        connection.commit()
    return path


def publish(content: Path, output: Path) -> subprocess.CompletedProcess:
    """`make publish`: the real pelican command with publishconf.py and --fatal warnings."""
    env = {**os.environ, "COLUMNS": "300"}
    return subprocess.run(
        [sys.executable, "-m", "pelican", str(content), "-o", str(output), "-s", str(REPO / "publishconf.py"),
         "--fatal", "warnings"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=180,
    )


def nested_under(tree, child: str, parent: str) -> bool:
    """Whether comment `child` sits in the reply list of comment `parent` on a parsed page."""
    for item in tree.iter("li"):
        article = item.find("article")
        if article is not None and article.get("id") == f"comment-{parent}":
            return any(a.get("id") == f"comment-{child}" for ol in item.findall("ol") for a in ol.iter("article"))
    return False


def top_level(tree, cid: str) -> bool:
    """Whether comment `cid` is an item of the thread's outermost list."""
    for ol in tree.iter("ol"):
        if "comment-thread" in ol.get("class", ""):
            return any(li.find("article") is not None and li.find("article").get("id") == f"comment-{cid}" for li in ol.findall("li"))
    return False


TINY_SETTINGS = '''PATH = "content"
ARTICLE_PATHS = ["posts"]
TIMEZONE = "UTC"
COMMENTS_PATH = "comments"
AUTHOR = "Diane"
ARTICLE_URL = {url!r}
SITEURL = {siteurl!r}
'''


def tiny_site(root: Path, url: str = "{date:%Y}/{slug}/", siteurl: str = "") -> Site:
    """A site with three posts (one of them with a date no URL can be made of) and the given URL settings."""
    posts = root / "content" / "posts"
    posts.mkdir(parents=True)
    (posts / "hats.md").write_text("Title: Hats\nDate: 2019-05-04 10:00\nAuthor: Ann Lee, Bo Ma\n\nHats.\n")
    (posts / "gloves.md").write_text("Title: Gloves\nDate: 2020-01-02 10:00\n\nGloves.\n")
    (posts / "undated.md").write_text("Title: Undated\nDate: 2020-13-45\nSlug: undated\n\nNo date.\n")
    (root / "pelicanconf.py").write_text(TINY_SETTINGS.format(url=url, siteurl=siteurl))
    return load_site(root / "pelicanconf.py", root / "content")
