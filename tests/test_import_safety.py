"""Importer safety: dry runs, repeat runs, bad sources, all-or-nothing writes, MAP files and field rules."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from xml.etree import ElementTree

import pytest
import yaml

from pelican.plugins.reader_comments.importers.xmlfile import texts
from support.build import REPO
from support.importing import IMPORT_FIXTURES, SETTINGS, command, isso_database, site
from support.needs import require_tmpfs_mount

WXR = IMPORT_FIXTURES / "wordpress.xml"
DISQUS = IMPORT_FIXTURES / "disqus.xml"


def snapshot(content: Path) -> dict[str, bytes]:
    """Every file under the comments folder and its bytes."""
    folder = content / "comments"
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def fields(content: Path, name: str) -> dict:
    """One written comment file's fields."""
    return yaml.safe_load((content / "comments" / name).read_text(encoding="utf-8"))


def test_dry_run_prints_the_report_and_writes_nothing(tmp_path):
    content = site(tmp_path)
    before = snapshot(content)
    run = command(content, "import", "wordpress", str(WXR), "--dry-run")
    assert run.code == 0, run.err
    assert "would import 8 comments (1 pending, 5 approved, 1 rejected, 1 spam)" in run.out
    assert "https://old.example/2019/gone-for-good/ (1 comment)" in run.out
    assert "Dry run: nothing was written." in run.out
    assert snapshot(content) == before


def test_second_run_adds_and_changes_nothing(tmp_path):
    content = site(tmp_path)
    assert command(content, "import", "disqus", str(DISQUS)).code == 0
    after_first = snapshot(content)
    again = command(content, "import", "disqus", str(DISQUS))
    assert again.code == 0, again.err
    assert "imported 0 comments" in again.out
    assert "already present, left unchanged: 7" in again.out
    assert "made top-level: 0" in again.out
    assert snapshot(content) == after_first


def truncated(tmp_path: Path, source: Path) -> Path:
    """The first two thirds of an XML export, as an interrupted download leaves it."""
    data = source.read_bytes()
    path = tmp_path / f"cut-{source.name}"
    path.write_bytes(data[: len(data) * 2 // 3])
    return path


BAD_SOURCES = {
    "wordpress truncated": ("wordpress", lambda tmp: truncated(tmp, WXR), "not a complete WordPress export XML file"),
    "disqus truncated": ("disqus", lambda tmp: truncated(tmp, DISQUS), "not a complete Disqus export XML file"),
    "disqus given as wordpress": ("wordpress", lambda tmp: DISQUS, "not a WordPress export (WXR)"),
    "wordpress given as disqus": ("disqus", lambda tmp: WXR, "not a Disqus export"),
    "xml given as isso": ("isso", lambda tmp: WXR, "not an isso database"),
    "empty sqlite given as isso": ("isso", lambda tmp: _empty_db(tmp), "not an isso database"),
    "isso given as json": ("json", lambda tmp: isso_database(tmp), "not UTF-8 text"),
    "json of another kind": ("json", lambda tmp: _write(tmp / "x.json", '{"comments": []}'), "not a comments export"),
    "truncated json": ("json", lambda tmp: _write(tmp / "x.json", '{"format": "reader-comments", "comm'), "not a complete JSON file"),
    "file given as staticman": ("staticman", lambda tmp: WXR, "not a folder"),
    "empty staticman folder": ("staticman", lambda tmp: _folder(tmp / "empty"), "no Staticman comments found"),
    "missing wordpress": ("wordpress", lambda tmp: tmp / "nope.xml", "file not found"),
    "missing disqus": ("disqus", lambda tmp: tmp / "nope.xml", "file not found"),
    "missing isso": ("isso", lambda tmp: tmp / "nope.db", "file not found"),
    "missing staticman": ("staticman", lambda tmp: tmp / "nope", "folder not found"),
    "missing pcs": ("pcs", lambda tmp: tmp / "nope", "folder not found"),
    "missing json": ("json", lambda tmp: tmp / "nope.json", "file not found"),
    "folder given as isso": ("isso", lambda tmp: tmp, "is a folder"),
    "entity bomb": ("wordpress", lambda tmp: _write(tmp / "bomb.xml", BOMB), "refused"),
}
BOMB = '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]><rss>&b;</rss>'


def _write(path: Path, text: str) -> Path:
    """Write a small source file for a test."""
    path.write_text(text, encoding="utf-8")
    return path


def _folder(path: Path) -> Path:
    """An empty folder."""
    path.mkdir()
    return path


def _empty_db(tmp: Path) -> Path:
    """A valid SQLite database without isso's tables."""
    import sqlite3

    path = tmp / "other.db"
    sqlite3.connect(path).execute("CREATE TABLE t (x)").connection.close()
    return path


@pytest.mark.parametrize("case", sorted(BAD_SOURCES))
def test_bad_source_is_one_clear_line_and_writes_nothing(case, tmp_path):
    kind, make, message = BAD_SOURCES[case]
    content = site(tmp_path)
    before = snapshot(content)
    source = make(tmp_path)
    run = command(content, "import", kind, str(source))
    assert run.code == 2
    assert run.out == ""
    lines = run.err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"error: {source}"), run.err
    assert message in lines[0]
    assert "Traceback" not in run.err
    assert snapshot(content) == before


def test_truncated_xml_names_the_line(tmp_path):
    source = truncated(tmp_path, DISQUS)
    run = command(site(tmp_path), "import", "disqus", str(source))
    line = source.read_text(encoding="utf-8").count("\n") + 1  # the file ends inside its last line
    assert run.err.startswith(f"error: {source}:{line}: not a complete Disqus export XML file (")


def test_one_bad_comment_stops_the_whole_import(tmp_path):
    content = site(tmp_path)
    before = snapshot(content)
    wxr = WXR.read_text(encoding="utf-8")
    broken = wxr.replace("<![CDATA[WP-REPLY-ONE: glad you liked it.]]>", "<![CDATA[" + "long words " * 1000 + "]]>")
    broken = broken.replace("<wp:comment_approved><![CDATA[spam]]>", "<wp:comment_approved><![CDATA[held]]>")
    source = _write(tmp_path / "broken.xml", broken)
    run = command(content, "import", "wordpress", str(source))
    assert run.code == 1
    assert "wp-102.yaml (source id 102): 'body' is longer than 10,000 characters" in run.err
    assert f"error: {source}: comment 105: unknown wp:comment_approved 'held'" in run.err
    assert "nothing was written" in run.err
    assert "Traceback" not in run.err
    assert snapshot(content) == before


def test_broken_staticman_entries_are_named_and_stop_the_import(tmp_path):
    source = tmp_path / "data"
    shutil.copytree(IMPORT_FIXTURES / "staticman", source)
    (source / "alpha" / "broken.yml").write_text("name: x\nmessage: [unclosed\n", encoding="utf-8")
    (source / "alpha" / "deep.yml").write_text("message: " + "[" * 5000, encoding="utf-8")
    (source / "alpha" / "list.yml").write_text("- just a list\n", encoding="utf-8")
    (source / "alpha" / "nodate.yml").write_text("message: hi\ndate: someday\n", encoding="utf-8")
    content = site(tmp_path)
    before = snapshot(content)
    run = command(content, "import", "staticman", str(source))
    assert run.code == 1
    assert f"error: {source / 'alpha' / 'broken.yml'}:3: cannot read the Staticman entry" in run.err
    assert f"error: {source / 'alpha' / 'deep.yml'}" in run.err
    assert f"error: {source / 'alpha' / 'list.yml'}: not a Staticman entry" in run.err
    assert f"error: {source / 'alpha' / 'nodate.yml'}: 'date' 'someday' is not a date" in run.err
    assert "Traceback" not in run.err
    assert snapshot(content) == before


def test_map_overrides_url_and_slug_matching(tmp_path):
    content = site(tmp_path)
    mapping = _write(tmp_path / "map.csv", "old,slug\nhttps://old.example/2019/gone-for-good/,delta\nalpha-and-omega,beta\n")
    run = command(content, "import", "wordpress", str(WXR), "--map", str(mapping))
    assert run.code == 0, run.err
    assert "unmatched threads: 0" in run.out
    assert fields(content, "delta/wp-51.yaml")["body"] == "WP-UNMATCHED"
    assert (content / "comments/beta/wp-101.yaml").is_file()
    assert not (content / "comments/alpha/wp-101.yaml").exists()


def test_map_naming_an_unknown_slug_is_refused(tmp_path):
    content = site(tmp_path)
    mapping = _write(tmp_path / "map.csv", "https://old.example/2019/gone-for-good/,no-such-slug\n")
    run = command(content, "import", "wordpress", str(WXR), "--map", str(mapping))
    assert run.code == 2
    assert run.err.strip() == f"error: {mapping}:1: no article has the slug 'no-such-slug'"


def test_fields_are_normalised(tmp_path):
    content = site(tmp_path)
    assert command(content, "import", "wordpress", str(WXR)).code == 0
    top = fields(content, "alpha/wp-101.yaml")
    assert top["author"] == "Wendy Writer"
    assert top["date"] == "2020-01-02T14:00:00+00:00"
    assert top["website"] == "https://wendy.example/"
    assert "website" not in fields(content, "alpha/wp-102.yaml")  # javascript: dropped
    pending = fields(content, "alpha/wp-104.yaml")
    assert pending == {"author": "Anonymous", "date": "2020-01-04T08:00:00-05:00", "status": "pending",
                       "body": "WP-PENDING waiting for a moderator."}
    assert fields(content, "alpha/wp-106.yaml")["status"] == "rejected"
    assert fields(content, "alpha/wp-103.yaml")["reply_to"] == "wp-102"
    assert "reply_to" not in fields(content, "alpha/wp-109.yaml")


def test_isso_fields(tmp_path):
    content = site(tmp_path)
    assert command(content, "import", "isso", str(isso_database(tmp_path))).code == 0
    assert fields(content, "alpha/isso-1.yaml")["date"] == "2020-01-02T16:00:00+00:00"
    assert fields(content, "alpha/isso-2.yaml") == {"author": "Anonymous", "date": "2020-01-02T17:00:00+00:00",
                                                    "status": "rejected", "body": "*This comment was deleted.*"}
    assert "website" not in fields(content, "alpha/isso-3.yaml")  # "not a url"
    assert "website" not in fields(content, "alpha/isso-4.yaml")  # ftp:
    assert fields(content, "alpha/isso-5.yaml")["status"] == "pending"


def test_make_targets(tmp_path):
    missing = subprocess.run(["make", "-s", "import", "FROM=disqus", f"FILE={tmp_path / 'nope.xml'}"],
                             cwd=REPO, capture_output=True, text=True, timeout=120)
    assert missing.returncode != 0
    assert f"error: {tmp_path / 'nope.xml'}: file not found" in missing.stderr
    assert "Traceback" not in missing.stderr
    exported = subprocess.run(["make", "-s", "export", f"FILE={tmp_path / 'all.json'}"],
                              cwd=REPO, capture_output=True, text=True, timeout=120)
    assert exported.returncode == 0, exported.stderr
    assert (tmp_path / "all.json").is_file()


def test_a_reply_cycle_stops_the_import(tmp_path):
    entries = [
        {"slug": "delta", "id": "c1", "author": "A", "date": "2020-01-05T10:00:00Z", "status": "approved", "body": "x", "reply_to": "c2"},
        {"slug": "delta", "id": "c2", "author": "B", "date": "2020-01-05T11:00:00Z", "status": "approved", "body": "y", "reply_to": "c1"},
    ]
    source = _write(tmp_path / "cycle.json", json.dumps({"format": "reader-comments", "version": 1, "comments": entries}))
    content = site(tmp_path)
    run = command(content, "import", "json", str(source))
    assert run.code == 1
    assert "c1.yaml" in run.err and "cycle" in run.err
    assert not (content / "comments" / "delta").exists()


def disqus_without(tmp_path: Path, name: str, dropped: set[str]) -> Path:
    """The Disqus fixture with some posts (by dsq:id) taken out."""
    internals = "{http://disqus.com/disqus-internals}id"
    ElementTree.register_namespace("", "http://disqus.com")
    ElementTree.register_namespace("dsq", "http://disqus.com/disqus-internals")
    tree = ElementTree.parse(DISQUS)
    root = tree.getroot()
    for post in root.findall("{http://disqus.com}post"):
        if post.get(internals) in dropped:
            root.remove(post)
    path = tmp_path / name
    tree.write(path, encoding="utf-8", xml_declaration=True)
    return path


def test_a_reply_finds_its_parent_imported_on_an_earlier_run(tmp_path):
    content = site(tmp_path)
    first = command(content, "import", "disqus", str(disqus_without(tmp_path, "first.xml", {"9103", "9104"})))
    assert first.code == 0, first.err
    second = command(content, "import", "disqus", str(disqus_without(tmp_path, "second.xml", {"9101", "9102"})))
    assert second.code == 0, second.err
    assert "imported 2 comments" in second.out
    assert "made top-level: 0" in second.out
    assert fields(content, "alpha/disqus-9103.yaml")["reply_to"] == "disqus-9102"
    assert fields(content, "alpha/disqus-9104.yaml")["reply_to"] == "disqus-9103"


def test_a_failed_write_leaves_the_comments_folder_as_it_was(tmp_path):
    content = site(tmp_path)
    _write(content / "comments" / "delta", "a file where the article folder should be\n")
    before = snapshot(content)
    run = command(content, "import", "disqus", str(DISQUS))
    assert run.code == 1, run.out + run.err
    assert f"error: cannot write {content / 'comments' / 'delta'}: File exists; nothing was written" in run.err
    assert "Traceback" not in run.err
    assert snapshot(content) == before
    assert sorted(p.name for p in (content / "comments").iterdir()) == ["alpha", "beta", "delta", "gamma"]


def test_a_repeated_field_is_read_from_its_first_element():
    raw = ElementTree.fromstring('<comment xmlns:wp="http://wordpress.org/export/1.2/"><wp:comment_id> 7 </wp:comment_id>'
                                 "<wp:comment_id>8</wp:comment_id><wp:comment_parent/></comment>")
    assert texts(raw) == {"comment_id": "7", "comment_parent": ""}


def test_a_disk_that_fills_during_the_write_leaves_no_file_and_says_so(tmp_path):
    """The comments folder on a tmpfs with room for a few files: the import fails, names the cause, and leaves no file."""
    require_tmpfs_mount()
    content = site(tmp_path)
    source = tmp_path / "many.json"
    comments = [{"slug": "alpha", "id": f"many-{n:02d}", "author": f"Reader {n}", "date": "2020-01-02T09:30:00-05:00",
                 "status": "approved", "body": f"Comment number {n}.\n"} for n in range(24)]
    source.write_text(json.dumps({"format": "reader-comments", "version": 1, "comments": comments}))
    # In a mount namespace of its own: a 32 KiB tmpfs over the comments folder (eight 4 KiB pages), the
    # import run there, then every file the import left on it listed.
    script = ('mount -t tmpfs -o size=32k tmpfs "$0" && "$@"; echo "exit=$?"; '
              'cd "$0" && find . -type f | sort | sed "s/^/left: /"')
    done = subprocess.run(
        ["unshare", "-Urm", "sh", "-c", script, str(content / "comments"), sys.executable, "-m",
         "pelican.plugins.reader_comments.importers", "import", "--settings", str(SETTINGS), "--content", str(content),
         "json", str(source)],
        cwd=REPO, capture_output=True, text=True, timeout=120, check=False,
    )
    assert "exit=1" in done.stdout, done.stdout + done.stderr
    assert "No space left on device; nothing was written" in done.stderr, done.stderr
    assert "Traceback" not in done.stderr
    assert [line for line in done.stdout.splitlines() if line.startswith("left: ")] == []
