"""Matching source threads to articles, in the test's own process: URL paths, MAP files, ARTICLE_URL, slugs."""

from __future__ import annotations

import logging
from datetime import datetime
from pathlib import Path

import pytest

from pelican.plugins.reader_comments.importers import matching
from pelican.plugins.reader_comments.importers.matching import Articles
from pelican.plugins.reader_comments.importers.source import SourceError, SourceThread
from support.importing import tiny_site
from support.logs import forget_logged_warnings


@pytest.fixture(autouse=True)
def _fresh_log_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees its own warnings, whatever was logged before it."""
    forget_logged_warnings(monkeypatch)


@pytest.mark.parametrize(("url", "path"), [
    ("https://old.example/2019/05/hats/", "2019/05/hats"),
    ("  https://old.example/2019/hats/index.html  ", "2019/hats"),
    ("https://old.example/index.html", ""),
    ("index.html", ""),
    ("https://old.example/a/myindex.html", "a/myindex.html"),
    ("https://old.example/a%20b/c.html?p=1#top", "a b/c.html"),
    ("/2019/hats", "2019/hats"),
    ("http://[::1/hats", ""),
    ("https://old.example/Xmas/X", "Xmas/X"),
])
def test_a_url_path_drops_scheme_host_query_slashes_and_index(url: str, path: str) -> None:
    assert matching.url_path(url) == path


@pytest.mark.parametrize(("url", "segment"), [
    ("https://old.example/2019/hats.html", "hats"),
    ("https://old.example/2019/05/hats.html", "hats"),
    ("https://old.example/2019/hats.HTM", "hats"),
    ("https://old.example/hats.php", "hats"),
    ("https://old.example/hats.html.php", "hats.html"),
    ("https://old.example/2019/hats/", "hats"),
    ("https://old.example/hats.htmlx", "hats.htmlx"),
    ("hats", "hats"),
    ("", ""),
])
def test_the_last_segment_drops_a_page_suffix(url: str, segment: str) -> None:
    assert matching.last_segment(url) == segment


@pytest.mark.parametrize(("value", "key"), [
    ("  disqus-id 12 ", "disqus-id 12"),
    ("hats", "hats"),
    ("/2019/hats/", "2019/hats"),
    ("https://old.example/2019/hats/?p=1", "2019/hats?p=1"),
    ("https://old.example/?p=12", "?p=12"),
    ("ftp://old.example/hats", "hats"),
    ("http://[::1/hats", "http://[::1/hats"),
])
def test_a_map_key_is_a_url_s_path_and_query_or_the_value_as_written(value: str, key: str) -> None:
    assert matching.map_key(value) == key


HATS = {"date": "2019-05-04 10:00", "title": "Hats"}


@pytest.mark.parametrize(("pattern", "meta", "settings", "url"), [
    ("{date:%Y}/{slug}/", HATS, {}, "2019/hats/"),
    (None, HATS, {}, "hats.html"),
    ("{category}/{slug}.html", {**HATS, "category": "Dinner Parties"}, {"DEFAULT_CATEGORY": "Other"}, "dinner parties/hats.html"),
    ("{category}/{slug}.html", HATS, {"DEFAULT_CATEGORY": "Misc Things"}, "misc things/hats.html"),
    ("{category}/{slug}.html", HATS, {}, "misc/hats.html"),
    ("{category}/{slug}.html", HATS, {"SLUGIFY_PRESERVE_CASE": True}, "misc/hats.html"),
    ("{author}/{slug}", {**HATS, "author": "Ann Lee"}, {"AUTHOR": "Bo Ma"}, "ann lee/hats"),
    ("{author}/{slug}", HATS, {"AUTHOR": "Bo Ma"}, "bo ma/hats"),
    ("{author}/{slug}", HATS, {}, "/hats"),
    ("{author}/{slug}", HATS, {"SLUG_REGEX_SUBSTITUTIONS": [(r"\A", "by-")]}, "/hats"),
    ("{lang}/{slug}", {**HATS, "lang": "fr"}, {"DEFAULT_LANG": "de"}, "fr/hats"),
    ("{lang}/{slug}", HATS, {"DEFAULT_LANG": "de"}, "de/hats"),
    ("{lang}/{slug}", HATS, {}, "en/hats"),
    ("{title}-{slug}", {**HATS, "slug": "other"}, {}, "Hats-hats"),
    ("{date:%Y}/{slug}", {"date": "someday"}, {}, None),
    ("{date:%Y}/{slug}", {"date": "99999-01-01"}, {}, None),
    ("{nope}/{slug}", HATS, {}, None),
    ("{0}/{slug}", HATS, {}, None),
    ("{slug!x}", HATS, {}, None),
    ("{slug.nope}", HATS, {}, None),
])
def test_an_article_url_is_filled_in_as_pelican_fills_it(  # the slugs use the site's own (here none) substitutions
    pattern: str | None, meta: dict[str, str], settings: dict[str, str], url: str | None
) -> None:
    given = {**settings, **({"ARTICLE_URL": pattern} if pattern else {})}
    assert matching.article_url("hats", meta, given) == url


def test_an_article_without_a_date_is_dated_now() -> None:
    year = datetime.now().year
    assert matching.article_url("hats", {}, {"ARTICLE_URL": "{date:%Y}/{slug}"}) in (f"{year}/hats", f"{year + 1}/hats")


def thread(url: str | None = None, *identifiers: str) -> SourceThread:
    """A thread with a URL and identifiers and no comments."""
    return SourceThread("a thread", url, identifiers)


def test_a_thread_matches_by_map_then_url_path_then_slug() -> None:
    articles = Articles(slugs={"hats", "gloves", "scarves"}, by_path={"2019/hats": "hats", "": "scarves"},
                        overrides={"https://old.example/p/7": "gloves", "ident-9": "gloves", "p/8": "scarves"})
    assert articles.match(thread("https://old.example/2019/hats/")) == "hats"
    assert articles.match(thread("https://old.example/2019/hats/", "ident-9")) == "gloves"
    assert articles.match(thread(None, "x", " ident-9 ")) == "gloves"
    assert articles.match(thread("https://old.example/p/8/")) == "scarves"
    assert articles.match(thread("  https://old.example/p/7 ")) == "gloves"
    assert articles.match(thread("https://old.example/2020/gloves.html")) == "gloves"
    assert articles.match(thread("https://old.example/2020/other.html", " hats ")) == "hats"
    assert articles.match(thread(None, "gloves")) == "gloves"
    assert articles.match(thread("https://old.example/")) is None, "an empty path matches nothing"
    assert articles.match(thread("https://old.example/2020/mittens.html", "12")) is None
    assert articles.match(thread(None)) is None
    assert Articles(slugs={"XXXX"}).match(thread(None)) is None, "no URL has no last segment"


def test_a_url_path_matches_even_when_its_last_segment_is_no_slug() -> None:
    articles = Articles(slugs={"hats"}, by_path={"2019/05/beret": "hats"})
    assert articles.match(thread("https://old.example/2019/05/beret/")) == "hats"


def test_an_empty_last_segment_or_identifier_matches_no_slug() -> None:
    articles = Articles(slugs={"hats"})
    assert articles.match(thread("https://old.example/", " ")) is None
    assert articles.match(thread(None, "hats ")) == "hats"


def test_articles_are_found_with_their_paths_and_authors(tmp_path: Path) -> None:
    articles = matching.load_articles(tiny_site(tmp_path))
    assert articles.slugs == {"hats", "gloves", "undated"}
    assert articles.by_path == {"2019/hats": "hats", "2020/gloves": "gloves"}
    assert articles.authors == {"hats": ("Ann Lee", "Bo Ma"), "gloves": ("Diane",), "undated": ("Diane",)}
    assert articles.overrides == {}


def test_with_a_site_url_under_a_folder_the_paths_below_it_match_too(tmp_path: Path) -> None:
    articles = matching.load_articles(tiny_site(tmp_path, siteurl="https://site.example/blog/"))
    assert articles.by_path == {"2019/hats": "hats", "blog/2019/hats": "hats",
                                "2020/gloves": "gloves", "blog/2020/gloves": "gloves"}


def test_a_url_that_is_only_the_site_root_gives_no_path(tmp_path: Path) -> None:
    articles = matching.load_articles(tiny_site(tmp_path, url="index.html"))
    assert articles.by_path == {}


def test_two_articles_at_one_path_keep_the_first(tmp_path: Path) -> None:
    articles = matching.load_articles(tiny_site(tmp_path, url="{date:%Y}/"))
    assert articles.by_path == {"2019": "hats", "2020": "gloves"}


def test_an_article_no_url_can_be_made_for_does_not_stop_the_others(tmp_path: Path) -> None:
    site = tiny_site(tmp_path)
    (site.content / "posts" / "a-first.md").write_text("Title: First\nDate: someday\n\nNo date.\n")
    assert matching.load_articles(site).by_path == {"2019/hats": "hats", "2020/gloves": "gloves"}


def test_an_unreadable_article_is_logged_and_left_out(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    site = tiny_site(tmp_path)
    (site.content / "posts" / "broken.md").write_bytes(b"Title: Br\xffoken\n\nText.\n")
    with caplog.at_level(logging.WARNING, logger=matching.__name__):
        articles = matching.load_articles(site)
    assert articles.slugs == {"hats", "gloves", "undated"}
    assert [record.getMessage().split(": cannot read the article's metadata: ")[0] for record in caplog.records] == [
        str((site.content / "posts" / "broken.md").resolve())]


def write_map(folder: Path, text: str | bytes) -> Path:
    """A MAP file with the given text."""
    path = folder / "map.csv"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


KNOWN = Articles(slugs={"hats", "gloves"})


def test_a_map_without_a_header_loses_its_byte_order_mark_and_keeps_breaks_inside_quotes(tmp_path: Path) -> None:
    path = write_map(tmp_path, b'\xef\xbb\xbfident-12,gloves\r\n"two\r\nlines",hats\r\n')
    assert matching.read_map(path, KNOWN) == {"ident-12": "gloves", "two\r\nlines": "hats"}


def test_a_map_gives_each_url_by_itself_and_by_its_path(tmp_path: Path) -> None:
    path = write_map(tmp_path, "\ufeffOld URL , Slug\n\n# a note, hats\n  #another\n https://old.example/2019/hats/?p=3 , hats\n"
                               "ident-12,gloves\n/,gloves\n,\n")
    assert matching.read_map(path, KNOWN) == {
        "https://old.example/2019/hats/?p=3": "hats", "2019/hats?p=3": "hats", "ident-12": "gloves", "/": "gloves"}


@pytest.mark.parametrize(("text", "message"), [
    ("only-one-cell\n", ":1: a map row is `old URL or identifier,article slug`"),
    ("a,hats,extra\n", ":1: a map row is `old URL or identifier,article slug`"),
    ("a,hats\nb, \n", ":2: a map row is `old URL or identifier,article slug`"),
    (" ,hats\n", ":1: a map row is `old URL or identifier,article slug`"),
    ("a,hats\nold,slug\n", ":2: no article has the slug 'slug'"),
    ("a,mittens\n", ":1: no article has the slug 'mittens'"),
])
def test_a_bad_map_row_is_refused_naming_the_line(tmp_path: Path, text: str, message: str) -> None:
    path = write_map(tmp_path, text)
    with pytest.raises(SourceError) as caught:
        matching.read_map(path, KNOWN)
    assert str(caught.value) == f"{path}{message}"


def test_a_map_that_cannot_be_read_says_so(tmp_path: Path) -> None:
    missing = tmp_path / "none.csv"
    with pytest.raises(SourceError) as caught:
        matching.read_map(missing, KNOWN)
    assert str(caught.value) == f"{missing}: map file not found"
    for path in (write_map(tmp_path, b"a,h\xffats\n"), tmp_path, write_map(tmp_path, "a," + "x" * 200_000 + "\n")):
        with pytest.raises(SourceError) as caught:
            matching.read_map(path, KNOWN)
        assert str(caught.value).startswith(f"{path}: cannot read the map file: ")
