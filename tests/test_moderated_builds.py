"""Moderation reaching the site: the moderation command, then a rebuild with warm caches.

A second route to rules test_plugin_build.py checks on one build: a comment is in
the feeds only once approved, and a rebuild that reuses the caches still follows
every change to a comment file, even one that keeps the file's size and mtime.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

from support.build import REPO, build_site, copy_fixture

ALPHA = "2020/alpha/index.html"
ALPHA_FEED = "feeds/comments/alpha.atom.xml"
RECENT_FEED = "feeds/comments.atom.xml"
SITEURL = "https://blog.example"


def moderate(content: Path, *args: str) -> subprocess.CompletedProcess:
    """The moderation command, as `make approve` runs it."""
    env = {**os.environ, "COMMENTS_MODERATOR": "Mod Erator"}
    result = subprocess.run(
        [sys.executable, "-m", "pelican.plugins.reader_comments.moderation", "--content", str(content),
         "--settings", str(REPO / "pelicanconf.py"), *args],
        cwd=content.parent, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def build(content: Path, output: Path):
    """A real build of `content` into `output`, reusing the caches beside it."""
    return build_site(content, output, SITEURL=SITEURL, RELATIVE_URLS=False)


def feed_ids(site, relative: str) -> set[str]:
    """The comment ids a feed links to."""
    feed = feedparser.parse(site.page(relative))
    assert not feed.bozo, feed.bozo_exception
    return {entry.link.rsplit("#comment-", 1)[1] for entry in feed.entries}


@pytest.fixture
def content(tmp_path: Path) -> Path:
    """A writable copy of the fixture site."""
    return copy_fixture(tmp_path / "content")


def test_a_comment_reaches_the_feeds_only_once_approved(content: Path, tmp_path: Path) -> None:
    before = build(content, tmp_path / "out")
    assert "a4" not in feed_ids(before, ALPHA_FEED) | feed_ids(before, RECENT_FEED)
    assert "PENDING-SECRET" not in before.page(ALPHA_FEED) + before.page(RECENT_FEED)
    moderate(content, "approve", "alpha/a4")
    after = build(content, tmp_path / "out")
    assert feed_ids(after, ALPHA_FEED) == {"a1", "a2", "a3", "a4", "a6", "a7"}
    assert "a4" in feed_ids(after, RECENT_FEED)
    assert "PENDING-SECRET" in after.page(ALPHA_FEED)


def test_a_rejected_comment_leaves_page_and_feeds_on_rebuild(content: Path, tmp_path: Path) -> None:
    before = build(content, tmp_path / "out")
    assert "a3" in feed_ids(before, ALPHA_FEED)
    moderate(content, "reject", "alpha/a3")
    after = build(content, tmp_path / "out")
    assert feed_ids(after, ALPHA_FEED) == {"a1", "a2", "a6", "a7"}
    assert "a3" not in feed_ids(after, RECENT_FEED)
    for relative in (ALPHA, ALPHA_FEED, RECENT_FEED, "comments-manifest.json"):
        assert "earns no badge" not in after.page(relative), relative
    assert ">4 comments</a>" in after.page(ALPHA)


def test_warm_rebuild_follows_an_edit_that_keeps_size_and_mtime(content: Path, tmp_path: Path) -> None:
    first = build(content, tmp_path / "out")
    assert "earns no badge" in first.page(ALPHA)
    path = content / "comments/alpha/a3.yaml"
    stat = path.stat()
    edited = path.read_bytes().replace(b"status: approved", b"status: rejected")
    assert len(edited) == stat.st_size
    path.write_bytes(edited)
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    second = build(content, tmp_path / "out")
    assert "earns no badge" not in second.page(ALPHA) + second.page(ALPHA_FEED)
    body = path.read_bytes().replace(b"status: rejected", b"status: approved")
    path.write_bytes(body.replace(b"earns no badge", b"earns NO badge"))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    third = build(content, tmp_path / "out")
    assert "earns NO badge" in third.page(ALPHA) and "earns NO badge" in third.page(ALPHA_FEED)


def test_approval_through_the_command_changes_only_the_status_line(content: Path) -> None:
    path = content / "comments/alpha/a4.yaml"
    original = path.read_bytes()
    moderate(content, "approve", "alpha/a4")
    lines = path.read_bytes().split(b"\n")
    assert b"\n".join(lines[:-3]) + b"\n" == original.replace(b"status: pending\n", b"status: approved\n")
    assert re.fullmatch(rb'moderated_at: "\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d"', lines[-3])
    assert lines[-2:] == [b'moderator: "Mod Erator"', b""]
