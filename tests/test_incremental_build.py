"""A rebuild reads no article folder whose comment files are unchanged, and still writes what a build from scratch writes.

Real Pelican builds into tmp_path. An article folder is known by the digest of its
listing (each comment file's name, size, modification and change times, inode)
once its files have been still for two seconds; most tests here set that wait to
zero (`still_now`), one waits for it. Which folders a build kept is read from the
plugin's debug line; what it wrote is compared, file by file, with a build of the
same content and settings with the plugin's caches off.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from pathlib import Path

import pytest

from pelican.plugins.reader_comments.comment_format import files as comment_files
from support.build import Build, build_site, copy_fixture, override_comment_template
from support.comments import write_comment
from support.logs import forget_logged_warnings

ALPHA = "2020/alpha/index.html"
BETA = "2020/beta/index.html"
FOLDERS = 3  # alpha, beta and gamma have comment folders; delta has none


@pytest.fixture
def still_now(monkeypatch):
    """Files count as still as soon as they are written, so the first build already knows every folder by its listing."""
    monkeypatch.setattr(comment_files, "STILL_NS", 0)


@pytest.fixture
def build(monkeypatch):
    """build_site, with the plugin's debug line (how many folders a build kept) in the build's records every time."""
    plugin = logging.getLogger("pelican.plugins.reader_comments.plugin")
    level = plugin.level
    plugin.setLevel(logging.DEBUG)

    def run(content: Path, output: Path, **settings) -> Build:
        """One build; Pelican forgets the messages it has logged, so the same line is logged again."""
        forget_logged_warnings(monkeypatch)
        return build_site(content, output, **settings)

    yield run
    plugin.setLevel(level)


def kept(build: Build) -> int:
    """How many article folders the build took from the cache without reading them."""
    lines = [m for m in build.messages(logging.DEBUG) if m.startswith("Comment caches:")]
    assert len(lines) == 1, lines
    found = re.match(r"Comment caches: (\d+) of (\d+) folders kept", lines[0])
    assert found, lines[0]
    return int(found.group(1))


def written(output: Path) -> dict[str, bytes]:
    """Every file of an output folder by its path inside it."""
    return {str(p.relative_to(output)): p.read_bytes() for p in sorted(output.rglob("*")) if p.is_file()}


def same_as_uncached(tmp_path: Path, content: Path, build: Build, **settings) -> None:
    """Assert that `build` wrote exactly what a build of `content` with no plugin caches writes."""
    plain = tmp_path / f"plain-{len(list(tmp_path.glob('plain-*')))}"
    build_site(content, plain, COMMENTS_RENDER_CACHE=False, **settings)
    mine, theirs = written(build.output), written(plain)
    assert mine.keys() == theirs.keys()
    assert [name for name in mine if mine[name] != theirs[name]] == []


def edit_keeping_size_and_time(path: Path, old: str, new: str) -> None:
    """Change `old` to `new` (as long) in a file, then set its modification time back: only its change time moves."""
    assert len(old) == len(new)
    before = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns, after.st_ino) == (before.st_size, before.st_mtime_ns, before.st_ino)


def test_an_unchanged_rebuild_reads_no_folder_and_writes_what_a_build_from_scratch_writes(build, tmp_path, still_now):
    content = copy_fixture(tmp_path / "content")
    first = build(content, tmp_path / "out")
    assert kept(first) == 0
    second = build(content, tmp_path / "out")
    assert kept(second) == FOLDERS
    same_as_uncached(tmp_path, content, second)
    # Nothing read, yet the pages carry their comments, counts and JSON-LD.
    page = second.page(ALPHA)
    assert "First! A" in page and 'id="comment-a7"' in page and '"commentCount": 5' in page


@pytest.mark.parametrize("change", ["same size and time", "added", "removed", "renamed"])
def test_a_changed_file_in_a_kept_folder_is_read_again(build, tmp_path, still_now, change):
    content = copy_fixture(tmp_path / "content")
    build(content, tmp_path / "out")
    assert kept(build(content, tmp_path / "out")) == FOLDERS
    folder = content / "comments/alpha"
    if change == "same size and time":
        edit_keeping_size_and_time(folder / "a1.yaml", "First! A", "EDITED!A")
        expected, gone = "EDITED!A", "First! A"
    elif change == "added":
        write_comment(folder, "a9.yaml", {"author": "Ninth", "date": "2021-01-01T09:00:00", "status": "approved", "body": "NINTH-ONE"})
        expected, gone = "NINTH-ONE", None
    elif change == "removed":
        (folder / "a7.yaml").unlink()
        expected, gone = None, 'id="comment-a7"'
    else:
        (folder / "a7.yaml").rename(folder / "a0.yaml")
        expected, gone = 'id="comment-a0"', 'id="comment-a7"'
    again = build(content, tmp_path / "out")
    assert kept(again) == FOLDERS - 1
    page = again.page(ALPHA)
    assert expected is None or expected in page
    assert gone is None or gone not in page
    same_as_uncached(tmp_path, content, again)
    # Read once, the folder is known by its new listing from then on.
    assert kept(build(content, tmp_path / "out")) == FOLDERS


def test_a_changed_setting_or_site_address_is_seen_in_kept_folders(build, tmp_path, still_now):
    content = copy_fixture(tmp_path / "content")
    build(content, tmp_path / "out")
    assert kept(build(content, tmp_path / "out")) == FOLDERS
    # A COMMENTS_* setting: the caches start afresh.
    dated = build(content, tmp_path / "out", COMMENTS_DATE_FORMAT="%Y/%m/%d")
    assert ">2020/01/02</time>" in dated.page(ALPHA)
    same_as_uncached(tmp_path, content, dated, COMMENTS_DATE_FORMAT="%Y/%m/%d")
    # The site's address is no COMMENTS_* setting, yet the comments' addresses (JSON-LD, feeds) are made from it.
    site = {"COMMENTS_DATE_FORMAT": "%Y/%m/%d", "SITEURL": "https://moved.example", "RELATIVE_URLS": False}
    build(content, tmp_path / "out", **site)
    moved = build(content, tmp_path / "out", **{**site, "SITEURL": "https://elsewhere.example"})
    assert "https://elsewhere.example/2020/alpha/#comment-a1" in moved.page(ALPHA)
    assert "moved.example" not in moved.page(ALPHA)
    same_as_uncached(tmp_path, content, moved, **{**site, "SITEURL": "https://elsewhere.example"})


def test_a_post_closed_in_its_front_matter_is_seen_while_its_folder_is_kept(build, tmp_path, still_now):
    content = copy_fixture(tmp_path / "content")
    build(content, tmp_path / "out")
    assert 'id="comment-form"' in build(content, tmp_path / "out").page(ALPHA)
    post = content / "posts/alpha.md"
    text = post.read_text(encoding="utf-8")
    post.write_text(text.replace("\n\n", "\nComments: closed\n\n", 1), encoding="utf-8")
    closed = build(content, tmp_path / "out")
    assert "Comments are closed." in closed.page(ALPHA) and "First! A" in closed.page(ALPHA)
    same_as_uncached(tmp_path, content, closed)


def test_a_changed_template_renders_a_kept_folders_section_from_its_files(build, tmp_path, still_now):
    content = copy_fixture(tmp_path / "content")
    overrides = tmp_path / "overrides"
    override_comment_template(overrides, "one")
    settings = {"THEME_TEMPLATES_OVERRIDES": [str(overrides)]}
    build(content, tmp_path / "out", **settings)
    assert kept(build(content, tmp_path / "out", **settings)) == FOLDERS
    override_comment_template(overrides, "two")
    second = build(content, tmp_path / "out", **settings)
    assert kept(second) == FOLDERS
    page = second.page(ALPHA)
    assert page.count('data-version="two"') == 5 and 'data-version="one"' not in page and "First! A" in page
    same_as_uncached(tmp_path, content, second, **settings)


def test_a_feed_missing_from_the_output_is_written_again_from_a_kept_folder(build, tmp_path, still_now):
    content = copy_fixture(tmp_path / "content")
    build(content, tmp_path / "out")
    (tmp_path / "out/feeds/comments/alpha.atom.xml").unlink()
    again = build(content, tmp_path / "out")
    assert kept(again) == FOLDERS
    assert "First! A" in (tmp_path / "out/feeds/comments/alpha.atom.xml").read_text(encoding="utf-8")
    same_as_uncached(tmp_path, content, again)


def test_a_new_comment_tops_the_recent_feed_the_others_kept(build, tmp_path, still_now):
    content = copy_fixture(tmp_path / "content")
    out = tmp_path / "out"
    build(content, out)
    build(content, out)
    write_comment(content / "comments/beta", "late.yaml",
                  {"author": "Late", "date": "2030-02-01T09:00:00", "status": "approved", "body": "LATE-ARRIVAL"})  # fmt: skip
    third = build(content, out)
    assert kept(third) == FOLDERS - 1
    recent = (out / "feeds/comments.atom.xml").read_text(encoding="utf-8")
    assert recent.index("LATE-ARRIVAL") < recent.index("First! A")
    same_as_uncached(tmp_path, content, third)


def test_an_edit_keeping_size_and_modification_time_is_seen_once_the_folder_is_still_again(build, tmp_path):
    content = copy_fixture(tmp_path / "content")
    time.sleep(2.1)  # the copied files' change times are now older than the two seconds a folder must be still
    build(content, tmp_path / "out")
    assert kept(build(content, tmp_path / "out")) == FOLDERS
    edit_keeping_size_and_time(content / "comments/alpha/a1.yaml", "First! A", "EDITED!A")
    time.sleep(2.1)
    again = build(content, tmp_path / "out")
    assert kept(again) == FOLDERS - 1
    assert "EDITED!A" in again.page(ALPHA) and "First! A" not in again.page(ALPHA)
    assert "EDITED!A" in (tmp_path / "out/feeds/comments/alpha.atom.xml").read_text(encoding="utf-8")



def test_a_folder_read_while_its_files_were_fresh_is_kept_by_the_next_build(build, tmp_path):
    content = copy_fixture(tmp_path / "content")  # every file just written: none has been still for two seconds
    out = tmp_path / "out"
    assert kept(build(content, out)) == 0
    second = build(content, out)
    assert kept(second) == FOLDERS
    same_as_uncached(tmp_path, content, second)
    # A moderator's edit: the next build reads its folder, and the one after keeps it while the file is still fresh.
    path = content / "comments/alpha/a1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("First! A", "Edited, A"), encoding="utf-8")
    third = build(content, out)
    assert kept(third) == FOLDERS - 1
    assert "Edited, A" in third.page(ALPHA)
    fourth = build(content, out)
    assert kept(fourth) == FOLDERS
    assert "Edited, A" in fourth.page(ALPHA) and "First! A" not in fourth.page(ALPHA)
    same_as_uncached(tmp_path, content, fourth)


def test_a_fresh_file_whose_bytes_changed_while_its_listing_stayed_is_read_again(build, tmp_path):
    content = copy_fixture(tmp_path / "content")
    out = tmp_path / "out"
    build(content, out)
    [store] = (tmp_path / "out-cache" / "reader_comments").glob("threads-*.json")
    records = json.loads(store.read_text(encoding="utf-8"))
    assert "a1.yaml" in records["alpha"]["fresh"]
    path = content / "comments/alpha/a1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("First! A", "EDITED!A"), encoding="utf-8")
    # An edit within the same tick of the clock moves nothing the listing covers: the record is made to match it.
    records["alpha"]["listing"] = comment_files.folder_listing(path.parent).digest
    store.write_text(json.dumps(records), encoding="utf-8")
    again = build(content, out)
    assert kept(again) == FOLDERS - 1
    assert "EDITED!A" in again.page(ALPHA) and "First! A" not in again.page(ALPHA)
    assert "EDITED!A" in (out / "feeds/comments/alpha.atom.xml").read_text(encoding="utf-8")
    same_as_uncached(tmp_path, content, again)


def test_a_kept_folder_s_fresh_files_are_checked_until_they_are_still(build, tmp_path, monkeypatch):
    monkeypatch.setattr(comment_files, "STILL_NS", 3600 * 10**9)  # nothing is still for an hour
    content = copy_fixture(tmp_path / "content")
    out = tmp_path / "out"
    build(content, out)
    assert kept(build(content, out)) == FOLDERS
    [store] = (tmp_path / "out-cache" / "reader_comments").glob("threads-*.json")
    records = json.loads(store.read_text(encoding="utf-8"))
    names = sorted(p.name for p in (content / "comments/alpha").glob("*.yaml"))
    assert sorted(records["alpha"]["fresh"]) == names and len(names) == 8
    monkeypatch.setattr(comment_files, "STILL_NS", 0)  # every file still: the listing alone is trusted from now on
    assert kept(build(content, out)) == FOLDERS
    records = json.loads(store.read_text(encoding="utf-8"))
    assert [record["fresh"] for record in records.values()] == [{}] * FOLDERS
    # Files fresh again that a record trusted as still (the clock was set back): no record is trusted for them.
    monkeypatch.setattr(comment_files, "STILL_NS", 3600 * 10**9)
    assert kept(build(content, out)) == 0


@pytest.mark.parametrize("damage", ["not json", "a summary cut short", "another listing"])
def test_a_damaged_thread_cache_reads_the_folders_again(build, tmp_path, still_now, damage):
    content = copy_fixture(tmp_path / "content")
    build(content, tmp_path / "out")
    [store] = (tmp_path / "out-cache" / "reader_comments").glob("threads-*.json")
    records = json.loads(store.read_text(encoding="utf-8"))
    assert sorted(records) == ["alpha", "beta", "gamma"]
    if damage == "not json":
        store.write_text("{not json", encoding="utf-8")
    elif damage == "a summary cut short":
        for record in records.values():
            for summary in record["articles"].values():
                del summary["jsonld"]
        store.write_text(json.dumps(records), encoding="utf-8")
    else:
        for record in records.values():
            record["listing"] = "0" * 64
        store.write_text(json.dumps(records), encoding="utf-8")
    again = build(content, tmp_path / "out")
    assert kept(again) == 0
    same_as_uncached(tmp_path, content, again)


def test_a_few_folders_to_read_beside_many_kept_are_read_without_the_big_caches(build, tmp_path, still_now, monkeypatch):
    from pelican.plugins.reader_comments import plugin

    content = copy_fixture(tmp_path / "content")
    build(content, tmp_path / "out")
    caches = tmp_path / "out-cache" / "reader_comments"
    big = {p: p.read_bytes() for kind in ("files", "bodies") for p in caches.glob(f"{kind}-*.json")}
    assert len(big) == 2
    monkeypatch.setattr(plugin, "FEW_FOLDERS", 1.0)  # one folder to read beside two kept counts as few
    edit_keeping_size_and_time(content / "comments/alpha/a1.yaml", "First! A", "EDITED!A")
    again = build(content, tmp_path / "out")
    assert kept(again) == FOLDERS - 1
    assert "EDITED!A" in again.page(ALPHA)
    same_as_uncached(tmp_path, content, again)
    # The read and body caches were neither loaded nor written: still what the first build left.
    assert {p: p.read_bytes() for kind in ("files", "bodies") for p in caches.glob(f"{kind}-*.json")} == big
    # Read, the edited folder was remembered again: the next build keeps every folder.
    assert kept(build(content, tmp_path / "out")) == FOLDERS
