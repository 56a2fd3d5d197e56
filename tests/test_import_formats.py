"""Each format end to end: import a fixture, check every file, publish strictly, and find the thread nested on the page."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import html5lib
import pytest
import yaml

from support.importing import IMPORT_FIXTURES, check, command, isso_database, nested_under, publish, site, top_level

ALPHA = "2020/alpha/index.html"
DELTA = "2020/delta/index.html"
STATIC_TOP = "staticman-0b5c7a40-2d3f-11ea-9a6b-8d3f2e1c0a01"
STATIC_REPLY = "staticman-1c6d8b50-2d47-11ea-9a6b-8d3f2e1c0a02"
STATIC_DEEP = "staticman-2d7e9c60-2d4f-11ea-9a6b-8d3f2e1c0a03"

CASES = {
    "wordpress": dict(
        source=lambda tmp: IMPORT_FIXTURES / "wordpress.xml",
        summary="imported 8 comments (1 pending, 5 approved, 1 rejected, 1 spam)",
        report=["pingbacks and trackbacks skipped: 2", "threads without comments: 1",
                "https://old.example/2019/gone-for-good/ (1 comment)", "alpha/wp-109 (its parent 99 is not in the export)"],
        nested=[("wp-102", "wp-101"), ("wp-103", "wp-102")],
        top=["wp-101", "wp-109"],
        shown=["WP-REPLY-ONE", "WP-REPLY-TWO", "WP-ORPHAN", "Wendy Writer"],
        hidden=["WP-PENDING", "WP-SPAM", "WP-TRASH", "PINGBACK-TEXT", "TRACKBACK-TEXT", "WP-UNMATCHED"],
        delta="WP-DELTA-TOP",
    ),
    "disqus": dict(
        source=lambda tmp: IMPORT_FIXTURES / "disqus.xml",
        summary="imported 7 comments (5 approved, 1 rejected, 1 spam)",
        report=["threads without comments: 1", "https://old.example/2018/not-moved/ (1 comment)",
                "alpha/disqus-9106 (its parent 8000 is not in the export)", "alpha/disqus-9102"],
        nested=[("disqus-9102", "disqus-9101"), ("disqus-9103", "disqus-9102"), ("disqus-9104", "disqus-9103")],
        top=["disqus-9101", "disqus-9106"],
        shown=["DQ-LIVE-REPLY", "DQ-DEEP", "DQ-ORPHAN", "Dee Disqus"],
        hidden=["DQ-SPAM", "DQ-UNMATCHED", "This comment was deleted"],
        delta="DQ-DELTA",
    ),
    "isso": dict(
        source=isso_database,
        summary="imported 7 comments (1 pending, 5 approved, 1 rejected)",
        report=["threads without comments: 1", "/2017/left-behind/ (1 comment)", "alpha/isso-6 (its parent 77 is not in the export)"],
        nested=[("isso-3", "isso-2"), ("isso-4", "isso-3")],
        top=["isso-1", "isso-2", "isso-6"],
        shown=["ISSO-TOP", "ISSO-LIVE-REPLY", "ISSO-DEEP", "ISSO-ORPHAN", "Ivy Isso"],
        hidden=["ISSO-PENDING", "ISSO-UNMATCHED"],
        delta="ISSO-DELTA",
    ),
    "staticman": dict(
        source=lambda tmp: IMPORT_FIXTURES / "staticman",
        summary="imported 4 comments (4 approved)",
        report=["an-old-post (", "replies whose parent is missing, made top-level: 0"],
        nested=[(STATIC_REPLY, STATIC_TOP), (STATIC_DEEP, STATIC_REPLY)],
        top=[STATIC_TOP],
        shown=["STATIC-TOP", "STATIC-REPLY", "STATIC-DEEP", "Sam Static"],
        hidden=["STATIC-UNMATCHED"],
        delta="STATIC-DELTA",
    ),
    "pcs": dict(
        source=lambda tmp: IMPORT_FIXTURES / "pcs",
        summary="imported 4 comments (4 approved)",
        report=["missing-article (", "replies whose parent is missing, made top-level: 0"],
        nested=[("pcs-2md", "pcs-1md"), ("pcs-3md", "pcs-2md")],
        top=["pcs-1md"],
        shown=["PCS-TOP", "PCS-REPLY", "PCS-DEEP", "Paula Comment"],
        hidden=["PCS-UNMATCHED"],
        delta="PCS-DELTA",
    ),
    "json": dict(
        source=lambda tmp: IMPORT_FIXTURES / "comments.json",
        summary="imported 5 comments (4 approved, 1 spam)",
        report=["slug retired-post (1 comment)"],
        nested=[("j-reply", "j-top"), ("j-deep", "j-reply")],
        top=["j-top"],
        shown=["JSON-TOP", "JSON-REPLY", "JSON-DEEP", "Jo Json"],
        hidden=["JSON-SPAM", "JSON-UNMATCHED", "JSON-NOTE-SECRET"],
        delta="JSON-DELTA",
    ),
}
PRIVATE = ("@mail.example", "@spam.example", "203.0.113.", "198.51.100.", "192.0.2.", "3f2c7d0e6a0c4b1e9d8f7a6b5c4d3e2f")


@dataclass
class Imported:
    """One site with every format imported into it, checked and published strictly once."""

    runs: dict
    check: object
    content: Path
    output: Path
    published: object

    def page(self, relative: str) -> str:
        """One page of the published site."""
        return (self.output / relative).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def imported(tmp_path_factory) -> Imported:
    """Import every fixture (each format its own ids) into one copy of the fixture site, check it, publish it."""
    base = tmp_path_factory.mktemp("import-all")
    content = site(base)
    runs = {kind: command(content, "import", kind, str(case["source"](base))) for kind, case in sorted(CASES.items())}
    output = base / "output"
    return Imported(runs, check(content), content, output, publish(content, output))


def test_every_file_passes_the_check_and_a_strict_publish(imported):
    assert imported.check.code == 0, imported.check.out
    assert imported.published.returncode == 0, imported.published.stdout + imported.published.stderr


@pytest.mark.parametrize("kind", sorted(CASES))
def test_import_report(kind: str, imported) -> None:
    case, run = CASES[kind], imported.runs[kind]
    assert run.code == 0, run.out + run.err
    assert case["summary"] in run.out
    for line in case["report"]:
        assert line in run.out, line


@pytest.mark.parametrize("kind", sorted(CASES))
def test_thread_is_nested_on_the_published_page(kind: str, imported) -> None:
    case = CASES[kind]
    page = imported.page(ALPHA)
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    for child, parent in case["nested"]:
        assert nested_under(tree, child, parent), (child, parent)
    for cid in case["top"]:
        assert top_level(tree, cid), cid
    for text in case["shown"]:
        assert text in page, text
    assert case["delta"] in imported.page(DELTA)


def test_hidden_and_private_text_never_comes_through(imported) -> None:
    everything = "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in imported.output.rglob("*") if p.is_file())
    written = "\n".join(p.read_text(encoding="utf-8") for p in (imported.content / "comments").rglob("*.yaml"))
    reports = "\n".join(run.out + run.err for run in imported.runs.values())
    for kind, case in CASES.items():
        for text in case["hidden"]:
            assert text not in everything, (kind, text)
    for secret in PRIVATE:
        assert secret not in written and secret not in everything and secret not in reports, secret


def test_the_authors_own_replies_are_marked_and_no_longer_warned_about(tmp_path) -> None:
    """Without AUTHORS=1 an exact name is 'the same name as' the author; with it the reply gets role: author and check is silent."""
    plain = site(tmp_path / "plain")
    assert command(plain, "import", "wordpress", str(IMPORT_FIXTURES / "wordpress.xml")).code == 0
    reply = plain / "comments" / "alpha" / "wp-102.yaml"
    assert "role" not in yaml.safe_load(reply.read_text(encoding="utf-8"))
    warned = [line for line in check(plain).out.splitlines() if line.startswith(f"{reply}: warning")]
    assert len(warned) == 1 and "is the same name as 'Pat Example'" in warned[0] and "resembles" not in warned[0]
    marked = site(tmp_path / "marked")
    assert command(marked, "import", "wordpress", str(IMPORT_FIXTURES / "wordpress.xml"), "--mark-authors").code == 0
    fields = yaml.safe_load((marked / "comments" / "alpha" / "wp-102.yaml").read_text(encoding="utf-8"))
    assert fields["role"] == "author" and fields["author"] == "Pat Example"
    others = [p for p in (marked / "comments" / "alpha").glob("wp-*.yaml") if p.name != "wp-102.yaml"]
    assert others and all("role" not in yaml.safe_load(p.read_text(encoding="utf-8")) for p in others)
    result = check(marked)
    assert result.code == 0 and "/wp-" not in result.out, result.out
