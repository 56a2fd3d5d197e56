"""The post checks in the test's own process: Pelican itself run here with the plugin, and its pieces called directly.

`tests/test_post_checks.py` runs the `pelican` command as an author does; no mutant of
the plugin reaches that process. Here Pelican builds a tiny site in-process with the
plugin module given in PLUGINS, so a changed word, level or setting shows.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from pelican import Pelican, signals
from pelican.contents import Article, Page, SkipStub
from pelican.log import FatalLogger
from pelican.readers import Readers
from pelican.settings import read_settings

import post_checks
from post_checks import front_matter, links, plugin
from support.logs import forget_logged_warnings

# The comments plugin's classes as the checks themselves import them (a mutation run stages the checks alone).
Problem, Field = plugin.Problem, front_matter.Field

@pytest.fixture(autouse=True)
def _fresh_log_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees its own warnings, whatever was logged before it."""
    forget_logged_warnings(monkeypatch)


GOOD = "Title: One\nDate: 2024-01-01 10:00\nCategory: Everyday\n\nSee [one]({filename}/posts/one.md).\n"


def settings_for(root: Path, **extra: object) -> dict:
    """Pelican's settings for a tiny site under `root` with the post checks as its only plugin."""
    return read_settings(None, override={
        "PATH": str(root / "content"), "OUTPUT_PATH": str(root / "output"), "PLUGINS": [post_checks],
        "ARTICLE_PATHS": ["posts"], "PAGE_PATHS": ["pages"], "TIMEZONE": "UTC", "CACHE_CONTENT": False,
        "FEED_ALL_ATOM": None, "CATEGORY_FEED_ATOM": None, "AUTHOR_FEED_ATOM": None, "AUTHOR_FEED_RSS": None,
        "TRANSLATION_FEED_ATOM": None, "SITEURL": "", **extra,
    })


def site(root: Path, posts: dict[str, str], pages: dict[str, str] | None = None) -> None:
    """The tiny site's posts and pages."""
    for folder, files in (("posts", posts), ("pages", pages or {})):
        (root / "content" / folder).mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            (root / "content" / folder / name).write_text(text, encoding="utf-8")


def build(root: Path, caplog: pytest.LogCaptureFixture, **extra: object) -> list[tuple[str, str]]:
    """Run Pelican here; the plugin's log lines as (level, message), paths shown relative to `root`."""
    caplog.clear()
    # Connected by an earlier build in this process: this build's own registration is what is under test.
    signals.readers_init.disconnect(plugin.check_reads)
    signals.all_generators_finalized.disconnect(plugin.finish)
    try:
        with caplog.at_level(logging.INFO):
            Pelican(settings_for(root, **extra)).run()
    finally:
        # Left connected, they would also check every later build in this process, the site's own included.
        signals.readers_init.disconnect(plugin.check_reads)
        signals.all_generators_finalized.disconnect(plugin.finish)
    prefix = f"{root}/"
    return [(r.levelname, r.getMessage().replace(prefix, "")) for r in caplog.records if r.name.startswith("post_checks")]


READ_PROBLEMS = [
        ("ERROR", "content/pages/about.md:1: unknown field 'Titel'; did you mean 'Title'? The post has no 'Title' field. "
                  "The file is skipped."),
        ("ERROR", "content/posts/five.md:4: field 'Status' has 'drafty'; did you mean 'draft'? It must be one of "
                  "published, hidden, draft, skip. The file is skipped."),
        ("ERROR", "content/posts/four.md:2: field 'Date' has '2024-13-45', which is not a date (month must be in 1..12); "
                  "write it as year-month-day hour:minute, such as 'Date: 2024-05-01 09:00'. The file is skipped."),
        ("WARNING", "content/posts/three.md: no 'Category' field; add a line such as 'Category: …' to the front matter. "
                    "Without it the post is filed under 'posts'."),
        ("WARNING", "content/posts/three.md:3: unknown field 'Tgas'; did you mean 'Tags'?"),
        ("ERROR", "content/posts/two.md:2: unknown field 'Dat'; did you mean 'Date'? The post has no 'Date' field. "
                  "The file is skipped."),
]


def test_a_build_names_each_mistake_with_its_file_line_and_fix(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    site(tmp_path, {
        "one.md": GOOD.replace("({filename}/posts/one.md)", "({filename}/posts/tow.md) and [x]({filename}/posts/one.md)"),
        "two.md": "Title: Two\nDat: 2024-01-01 10:00\nCategory: Everyday\n\nTwo.\n",
        "three.md": "Title: Three\nDate: 2024-01-01 10:00\nTgas: a\n\nThree.\n",
        "four.md": "Title: Four\nDate: 2024-13-45\nCategory: Everyday\n\nFour.\n",
        "five.md": "Title: Five\nDate: 2024-01-01 10:00\nCategory: Everyday\nStatus: drafty\n\nFive.\n",
    }, {"about.md": "Titel: About\n\nAbout.\n"})
    logged = build(tmp_path, caplog)
    # Files are read in the order the file system lists them; the links are checked after, the summary comes last.
    assert sorted(logged[:6]) + logged[6:] == sorted(READ_PROBLEMS) + [
        ("WARNING", "content/posts/one.md:5: the link '{filename}/posts/tow.md' points to no file; "
                    "did you mean '{filename}/posts/one.md'?"),
        ("ERROR", "1 page skipped: content/pages/about.md; "
                  "3 posts skipped: content/posts/five.md, content/posts/four.md, content/posts/two.md"),
    ]
    assert (tmp_path / "output" / "one.html").is_file() and not (tmp_path / "output" / "two.html").exists()


def test_strict_stops_the_build_after_naming_every_mistake(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    site(tmp_path, {"one.md": GOOD, "three.md": "Title: Three\nDate: 2024-01-01 10:00\nTgas: a\nCategory: E\n\nThree.\n"})
    with pytest.raises(plugin.FrontMatterBuildError) as caught:
        build(tmp_path, caplog, POST_CHECKS_STRICT=True)
    assert caught.value.code == 1
    logged = [(r.levelname, r.getMessage().replace(f"{tmp_path}/", "")) for r in caplog.records if r.name.startswith("post_checks")]
    assert logged == [("CRITICAL", "content/posts/three.md:3: unknown field 'Tgas'; did you mean 'Tags'?"),
                      ("CRITICAL", "The build stops: correct the posts named above.")]


def test_strict_with_a_skipped_file_names_it_before_stopping(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    site(tmp_path, {"one.md": GOOD, "two.md": "Title: Two\nCategory: E\n\nTwo.\n"})
    with pytest.raises(plugin.FrontMatterBuildError):
        build(tmp_path, caplog, POST_CHECKS_STRICT=True)
    logged = [r.getMessage().replace(f"{tmp_path}/", "") for r in caplog.records if r.name.startswith("post_checks")]
    assert logged == ["content/posts/two.md: no 'Date' field; add a line such as 'Date: 2024-05-01 09:00' to the front matter.",
                      "1 post with front matter mistakes: content/posts/two.md",
                      "The build stops: correct the posts named above."]


def test_a_clean_site_builds_without_a_word_and_extra_fields_are_known(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    site(tmp_path, {"one.md": GOOD.replace("Category:", "Slugs: closed\nCategory:")})
    assert build(tmp_path, caplog, POST_CHECKS_STRICT=True, POST_CHECKS_EXTRA_FIELDS=["Slugs"]) == []
    assert build(tmp_path, caplog) == [("WARNING", "content/posts/one.md:3: unknown field 'Slugs'; did you mean 'Slug'?")]


@pytest.mark.parametrize(("value", "strict"), [(True, True), (1, True), ("yes", True), (False, False), (None, False), (0, False)])
def test_the_strict_setting_is_read_as_a_truth_value(value: object, strict: bool) -> None:
    settings = {"POST_CHECKS_STRICT": value}
    report = plugin.report_for(settings)
    assert report.strict is strict and plugin.report_for(settings) is report
    assert plugin.report_for({}).strict is False
    plugin._REPORTS.clear()


def test_a_problem_is_a_warning_an_error_when_it_skips_and_critical_when_strict_or_fatal(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    problem = Problem(Path("posts/x.md"), "something is off", 3)
    relaxed = plugin.Report(strict=False)
    with caplog.at_level(logging.INFO, logger=plugin.__name__):
        plugin.log_problem(relaxed, problem)
        plugin.log_problem(relaxed, problem, skips=True)
        assert not relaxed.failed
        monkeypatch.setattr(FatalLogger, "fatal_lvl", logging.ERROR)
        plugin.log_problem(relaxed, Problem(Path("posts/y.md"), "fatal errors", 1), skips=True)
        assert relaxed.failed
        strict = plugin.Report(strict=True)
        monkeypatch.setattr(FatalLogger, "fatal_lvl", logging.CRITICAL + 1)
        plugin.log_problem(strict, Problem(Path("posts/z.md"), "strict", 2))
        assert strict.failed
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "posts/x.md:3: something is off"),
        ("ERROR", "posts/x.md:3: something is off The file is skipped."),
        ("CRITICAL", "posts/y.md:1: fatal errors"),
        ("CRITICAL", "posts/z.md:2: strict"),
    ]


def test_the_summary_counts_posts_and_pages_and_stops_a_failed_build(caplog: pytest.LogCaptureFixture) -> None:
    report = plugin.Report(strict=False, skipped={"posts": [Path("b.md"), Path("a.md")], "pages": [Path("p.md")]})
    with caplog.at_level(logging.INFO, logger=plugin.__name__):
        plugin.summarize(report)
        plugin.summarize(plugin.Report(strict=False))
        with pytest.raises(plugin.FrontMatterBuildError):
            plugin.summarize(plugin.Report(strict=True, failed=True))
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", "1 page skipped: p.md; 2 posts skipped: a.md, b.md"),
        ("CRITICAL", "The build stops: correct the posts named above."),
    ]


def test_finish_without_generators_does_nothing() -> None:
    plugin.finish([])


def test_a_path_is_shown_relative_to_the_working_folder_when_inside_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert plugin.shown_path(tmp_path / "content" / "a.md") == Path("content/a.md")
    assert plugin.shown_path(Path("/elsewhere/a.md")) == Path("/elsewhere/a.md")
    assert plugin.known_fields({"POST_CHECKS_EXTRA_FIELDS": ("Comments",)})[-2:] == ["Url", "Comments"]
    assert plugin.known_fields({}) == list(front_matter.PELICAN_FIELDS)


def test_reading_through_the_checks_leaves_static_files_and_other_classes_alone(tmp_path: Path) -> None:
    site(tmp_path, {"one.md": GOOD, "bad.md": "Title: Bad\n\nNo date.\n"})
    settings = settings_for(tmp_path)
    readers = Readers(settings)
    plugin.check_reads(readers)
    base = str(tmp_path / "content")
    article = readers.read_file(base, "posts/one.md", content_class=Article)
    assert isinstance(article, Article) and article.title == "One"
    assert isinstance(readers.read_file(base, "posts/bad.md", content_class=Article), SkipStub)
    page = readers.read_file(base, "posts/bad.md", content_class=Page)
    assert isinstance(page, Page), "a page needs no date"
    plugin._REPORTS.clear()


# ---------------------------------------------------------------- front matter


def test_a_close_word_is_a_likely_typo_ignoring_case() -> None:
    assert front_matter.closest("dat", ["Title", "Date"]) == "Date"
    assert front_matter.closest("TITEL", ["Title", "Date"]) == "Title"
    assert front_matter.closest("banana", ["Title", "Date"]) is None
    assert front_matter.closest("abcde", ["abcxy"]) is None, "alike by 0.6, under the 0.75 needed"
    assert front_matter.closest("abcd", ["abxy"]) is None and front_matter.closest("abcdefgh", ["abcdefgx"]) == "abcdefgx"


def test_a_date_reason_is_pelican_s_own_in_lower_case() -> None:
    assert front_matter.date_reason("2024-05-01 09:00") is None
    assert front_matter.date_reason("2024-13-45") == "month must be in 1..12"
    reason = front_matter.date_reason("tomorrow")
    assert reason is not None and reason[:1].islower()


def test_a_missing_field_points_at_its_likely_misspelling_or_says_what_to_add() -> None:
    path = Path("p.md")
    hint = Problem(path, "unknown field 'Dat'; did you mean 'Date'?", 2)
    assert front_matter.missing_field(path, "date", [hint]) == Problem(
        path, "unknown field 'Dat'; did you mean 'Date'? The post has no 'Date' field.", 2)
    assert front_matter.missing_field(path, "modified", [hint]) == Problem(
        path, "no 'Modified' field; add a line such as 'Modified: 2024-05-01 09:00' to the front matter.")
    assert front_matter.missing_field(path, "title", []) == Problem(
        path, "no 'Title' field; add a line such as 'Title: …' to the front matter.")


def test_a_bad_status_names_its_line_and_the_allowed_ones() -> None:
    path = Path("p.md")
    fields = [Field("Title", "T", 1), Field("STATUS", "drafty", 2), Field("Status", "again", 3)]
    assert front_matter.bad_status(path, fields, "drafty", ["published", "draft"]) == Problem(
        path, "field 'Status' has 'drafty'; did you mean 'draft'? It must be one of published, draft.", 2)
    assert front_matter.bad_status(path, [], "zzz", ("published",)) == Problem(
        path, "field 'Status' has 'zzz'; It must be one of published.", None)


def test_only_markdown_files_have_front_matter_read(tmp_path: Path) -> None:
    rst = tmp_path / "a.rst"
    rst.write_text(":title: A\n")
    assert front_matter.read_fields(rst) == []
    md = tmp_path / "a.MD"
    md.write_bytes(b"Title: A\xff\n\nText.\n")
    assert [(f.name, f.value, f.line) for f in front_matter.read_fields(md)] == [("Title", "A\ufffd", 1)]


# ---------------------------------------------------------------- links


def test_pelican_s_unnamed_missing_link_warning_is_held_back_and_others_pass() -> None:
    held = links.HeldBack()
    record = logging.LogRecord("pelican.contents", logging.WARNING, __file__, 1, links.PELICAN_MESSAGE, ("x.md",), None)
    assert held.filter(record) is False and held.found is None
    held.found = []
    assert held.filter(record) is False and held.found == ["x.md"]
    other = logging.LogRecord("pelican.contents", logging.WARNING, __file__, 1, "other %s", ("x",), None)
    assert held.filter(other) is True and held.found == ["x.md"]


def test_the_held_back_filter_goes_first_on_pelican_s_content_logger_once(monkeypatch: pytest.MonkeyPatch) -> None:
    contents = logging.getLogger("pelican.contents")
    others = [f for f in contents.filters if f is not links.HELD]
    monkeypatch.setattr(contents, "filters", list(others))
    links.hold_back_pelican_warning()
    links.hold_back_pelican_warning()
    assert contents.filters == [links.HELD, *others] and others, "before Pelican's own duplicate limiter"
    assert links.HELD not in logging.getLogger().filters and links.HELD not in logging.getLogger("pelican").filters


def test_the_line_of_a_link_is_the_first_holding_it(tmp_path: Path) -> None:
    path = tmp_path / "a.md"
    path.write_text("\ufeffone\ntwo {x}\nthree {x}\n", encoding="utf-8")
    assert links.line_of(path, "{x}") == 2 and links.line_of(path, "one") == 1 and links.line_of(path, "none") is None
    assert links.line_of(tmp_path / "missing.md", "x") is None
    path.write_bytes(b"caf\xe9\nthe {x} link\n")
    assert links.line_of(path, "{x}") == 2, "a byte that is not UTF-8 does not stop the search"


def test_every_broken_link_of_every_post_is_named_with_a_guess_only_when_one_is_close(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    site(tmp_path, {
        "abc.md": GOOD.replace("({filename}/posts/one.md)", "({filename}/posts/xyz.md)").replace("Title: One", "Title: Abc"),
        "second-post.md": GOOD.replace("({filename}/posts/one.md)", "({filename}/posts/zzzzzzzzzzzz.md)").replace("One", "Two"),
    })
    (tmp_path / "content" / "images").mkdir()
    (tmp_path / "content" / "images" / "seal.png").write_bytes(b"\x89PNG\r\n")
    logged = build(tmp_path, caplog)
    assert logged == [
        ("WARNING", "content/posts/abc.md:5: the link '{filename}/posts/xyz.md' points to no file; "
                    "did you mean '{filename}/posts/abc.md'?"),
        ("WARNING", "content/posts/second-post.md:5: the link '{filename}/posts/zzzzzzzzzzzz.md' points to no file"),
    ]
    assert (tmp_path / "output" / "images" / "seal.png").read_bytes() == b"\x89PNG\r\n"


def test_a_broken_link_whose_path_holds_a_brace_is_matched_on_the_whole_path(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    site(tmp_path, {"abc.md": GOOD.replace("({filename}/posts/one.md)", "({filename}/posts/a}bc.md)")})
    assert build(tmp_path, caplog) == [
        ("WARNING", "content/posts/abc.md:5: the link '{filename}/posts/a}bc.md' points to no file; "
                    "did you mean '{filename}/posts/abc.md'?")]


def test_strict_names_skipped_posts_and_pages_in_one_line(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    site(tmp_path, {"one.md": GOOD, "two.md": "Title: Two\nCategory: E\n\nTwo.\n"}, {"about.md": "Text: About\n\nAbout.\n"})
    with pytest.raises(plugin.FrontMatterBuildError):
        build(tmp_path, caplog, POST_CHECKS_STRICT=True)
    logged = [r.getMessage().replace(f"{tmp_path}/", "") for r in caplog.records if r.name.startswith("post_checks")]
    assert logged[-2:] == ["1 page with front matter mistakes: content/pages/about.md; "
                           "1 post with front matter mistakes: content/posts/two.md",
                           "The build stops: correct the posts named above."]


def test_a_link_s_leading_slash_alone_is_dropped_before_guessing(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    """`X/b.md` is close to `X/a.md`; with its X taken as well (`b.md`) it would not be."""
    site(tmp_path, {"one.md": GOOD.replace("({filename}/posts/one.md)", "({filename}/X/b.md)")})
    (tmp_path / "content" / "X").mkdir()
    (tmp_path / "content" / "X" / "a.md").write_text(GOOD.replace("Title: One", "Title: Ex"))
    assert build(tmp_path, caplog, ARTICLE_PATHS=["posts", "X"]) == [
        ("WARNING", "content/posts/one.md:5: the link '{filename}/X/b.md' points to no file; did you mean '{filename}/X/a.md'?")]
