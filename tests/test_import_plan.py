"""Planning an import, in the test's own process: which comments become files, with which ids, and what the report says."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from pelican.plugins.reader_comments.comment_format import parse
from pelican.plugins.reader_comments.importers import matching, plan
from pelican.plugins.reader_comments.importers.source import Export, SourceComment, SourceThread
from pelican.plugins.reader_comments.site_model import Site
from support.importing import tiny_site

DATE = "2024-01-02T10:00:00+00:00"


def comment(sid: str, parent: str | None = None, author: str = "Reader", body: str = "Hi.", status: str = "approved",
            deleted: bool = False) -> SourceComment:
    """A source comment with the fields every file needs."""
    return SourceComment(sid, parent, {"author": author, "date": DATE, "status": status, "body": body}, deleted)


@pytest.fixture
def site(tmp_path: Path) -> Site:
    """The tiny site: articles hats (by Ann Lee and Bo Ma), gloves and undated."""
    return tiny_site(tmp_path)


def planned(site: Site, export: Export, authors: bool = False) -> plan.Plan:
    """The plan of `export` against the site's own articles."""
    return plan.plan_import(export, site, matching.load_articles(site), "test source", authors)


def values(new: plan.comment_format.NewFile) -> dict[str, str]:
    """A planned file's fields as the loader reads them."""
    return parse(new.path, new.data.decode()).values


def test_matched_threads_become_files_with_prefixed_ids_and_reply_links(site: Site) -> None:
    export = Export("wp", threads=[
        SourceThread("Hats", "https://old.example/2019/hats/", comments=[comment("1"), comment("2", "1", status="pending")]),
    ])
    result = planned(site, export)
    assert [new.path for new in result.files] == [site.comments / "hats" / "wp-1.yaml", site.comments / "hats" / "wp-2.yaml"]
    assert values(result.files[0]) == {"author": "Reader", "date": DATE, "status": "approved", "body": "Hi."}
    assert values(result.files[1])["reply_to"] == "wp-1"
    report = result.report
    assert (report.source, report.imported, report.present, report.problems) == (
        "test source", Counter({"approved": 1, "pending": 1}), 0, [])
    assert (report.unmatched, report.orphans, report.placeholders, report.skipped) == ([], [], [], Counter())


def test_empty_and_unmatched_threads_are_counted_and_the_export_s_own_findings_kept(site: Site) -> None:
    export = Export("", threads=[
        SourceThread("empty one"), SourceThread("empty two", "https://old.example/2019/hats/"),
        SourceThread("Lost post", "https://old.example/lost/", comments=[comment("a"), comment("b")]),
    ], skipped=Counter({"pingback": 3}), problems=["source.xml:4: a broken entry"])
    report = planned(site, export).report
    assert report.skipped == Counter({"pingback": 3, "no-comments": 2})
    assert report.unmatched == [("Lost post", 2)]
    assert report.problems == ["source.xml:4: a broken entry"]


def test_comments_already_imported_are_counted_and_their_replies_find_them(site: Site) -> None:
    folder = site.comments / "gloves"
    folder.mkdir(parents=True)
    (folder / "disqus-1.yaml").write_text(f"author: A\ndate: {DATE}\nstatus: approved\nbody: Old.\n")
    (folder / ".disqus-3.yaml").write_text("hidden, not a comment file\n")
    (folder / "disqus-4.txt").write_text("not a comment file\n")
    export = Export("disqus", threads=[SourceThread("Gloves", None, ("gloves",), [
        comment("1"), comment("2", "1"), comment("5", "3"), comment("6", "4"),
    ])])
    result = planned(site, export)
    assert [new.path.name for new in result.files] == ["disqus-2.yaml", "disqus-5.yaml", "disqus-6.yaml"]
    assert values(result.files[0])["reply_to"] == "disqus-1"
    assert "reply_to" not in values(result.files[1]) and "reply_to" not in values(result.files[2])
    assert result.report.present == 1
    assert result.report.orphans == ["gloves/disqus-5 (its parent 3 is not in the export)",
                                     "gloves/disqus-6 (its parent 4 is not in the export)"]


def test_an_id_taken_twice_or_not_valid_is_a_problem_naming_the_file(site: Site) -> None:
    export = Export("", threads=[
        SourceThread("one", None, ("hats",), [comment("c1")]),
        SourceThread("two", None, ("hats",), [comment("c1"), comment("bad id")]),
        SourceThread("three", None, ("gloves",), [comment("c1")]),
    ])
    result = planned(site, export)
    folder = site.comments / "hats"
    assert result.report.problems == [
        f"{folder / 'c1'}.yaml: comment id 'c1' is not unique or not valid",
        f"{folder / 'bad id'}.yaml: comment id 'bad id' is not unique or not valid",
    ]
    assert [new.path for new in result.files] == [folder / "c1.yaml", site.comments / "gloves" / "c1.yaml"]


def test_a_comment_the_format_refuses_is_a_problem_naming_the_file_and_source_id(site: Site) -> None:
    export = Export("wp", threads=[SourceThread("Hats", None, ("hats",), [comment("7", status="maybe"), comment("8")])])
    result = planned(site, export)
    assert [new.path.name for new in result.files] == ["wp-8.yaml"]
    assert len(result.report.problems) == 1
    assert result.report.problems[0].startswith(f"{site.comments / 'hats' / 'wp-7.yaml'} (source id 7): ")
    assert "status" in result.report.problems[0] and result.report.imported == Counter({"approved": 1})


def test_placeholder_bodies_are_listed(site: Site) -> None:
    export = Export("", threads=[SourceThread("Hats", None, ("hats",), [
        comment("d", body="*This comment was deleted.*"), comment("e", body="*This comment had no text.*"), comment("f"),
    ])])
    assert planned(site, export).report.placeholders == ["hats/d", "hats/e"]


def test_a_reply_cycle_among_new_comments_is_a_problem_but_an_old_file_s_own_problem_is_not(site: Site) -> None:
    folder = site.comments / "hats"
    folder.mkdir(parents=True)
    for name, parent in (("old1", "old2"), ("old2", "old1")):
        (folder / f"{name}.yaml").write_text(f"author: A\ndate: {DATE}\nstatus: approved\nreply_to: {parent}\nbody: Old.\n")
    export = Export("", threads=[SourceThread("Hats", None, ("hats",), [comment("c1", "c2"), comment("c2", "c1")])])
    assert planned(site, export).report.problems == [f"{folder / 'c1.yaml'}: reply_to forms a cycle (see {folder / 'c2.yaml'})"]


def test_authors_own_comments_are_marked_only_when_asked(site: Site) -> None:
    thread = SourceThread("Hats", None, ("hats",), [comment("1", author="Bo  Ma"), comment("2", author="Bo Mae"),
                                                   comment("3", author="Diane")])
    marked = planned(site, Export("", threads=[thread]), authors=True)
    assert [values(new).get("role") for new in marked.files] == ["author", None, None]
    thread = SourceThread("Gloves", None, ("gloves",), [comment("4", author="Diane")])
    assert [values(new).get("role") for new in planned(site, Export("", threads=[thread]), authors=True).files] == ["author"]
    thread = SourceThread("Hats", None, ("hats",), [comment("5", author="Bo Ma")])
    assert [values(new).get("role") for new in planned(site, Export("", threads=[thread])).files] == [None]


def test_authors_are_not_marked_by_default_nor_by_a_name_the_comment_lacks(site: Site) -> None:
    thread = SourceThread("Hats", None, ("hats",), [comment("1", author="Bo Ma")])
    result = plan.plan_import(Export("", threads=[thread]), site, matching.load_articles(site), "test source")
    assert [values(new).get("role") for new in result.files] == [None]
    nameless = comment("2")
    del nameless.fields["author"]
    chosen = [plan._Chosen(nameless, "2", None, site.comments / "hats"), plan._Chosen(comment("3"), "3", None, site.comments / "socks")]
    plan.mark_authors(chosen, matching.Articles(slugs={"hats"}, authors={"hats": ("None", "XXXX")}))
    assert "role" not in nameless.fields and "role" not in chosen[1].source.fields


def test_an_unmatched_thread_does_not_stop_the_threads_after_it(site: Site) -> None:
    export = Export("", threads=[SourceThread("Lost", "https://old.example/lost/", comments=[comment("a")]),
                                 SourceThread("Hats", None, ("hats",), [comment("b")])])
    result = planned(site, export)
    assert result.report.unmatched == [("Lost", 1)] and [new.path.name for new in result.files] == ["b.yaml"]


def test_html_bodies_are_converted_only_for_the_comments_written(site: Site) -> None:
    folder = site.comments / "hats"
    folder.mkdir(parents=True)
    (folder / "1.yaml").write_text(f"author: A\ndate: {DATE}\nstatus: approved\nbody: Old.\n")
    present, new = comment("1", body="<p>Old <b>one</b></p>"), comment("2", body="<p>Hi <b>there</b></p>")
    result = planned(site, Export("", html_bodies=True, threads=[SourceThread("Hats", None, ("hats",), [present, new])]))
    assert [values(f)["body"] for f in result.files] == ["Hi **there**"]
    assert present.fields["body"] == "<p>Old <b>one</b></p>"
    plain = comment("3", body="<p>Kept</p>")
    result = planned(site, Export("", threads=[SourceThread("Hats", None, ("hats",), [plain])]))
    assert [values(f)["body"] for f in result.files] == ["<p>Kept</p>"]


def test_the_files_of_a_folder_that_does_not_exist_are_none(tmp_path: Path) -> None:
    assert plan._files(tmp_path / "none") == []
    (tmp_path / "b.yml").write_text("")
    (tmp_path / "a.yaml").write_text("")
    (tmp_path / ".c.yaml").write_text("")
    (tmp_path / "d.json").write_text("")
    assert plan._files(tmp_path) == [tmp_path / "a.yaml", tmp_path / "b.yml"]
