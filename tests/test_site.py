"""The real site, built by Pelican into a temporary folder with both settings files."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from urllib.parse import unquote, urldefrag, urlsplit

import feedparser
import html5lib
import pytest

from support.build import REPO, Build, build_site, copy_fixture

# The text the seed article and its thread were made from, kept beside the other fixtures.
SEED = REPO / "tests" / "fixtures" / "seed" / "thank-you-note.txt"
# Pending, rejected and spam comments the tests add to a copy of the content, each with a marker.
UNPUBLISHED = REPO / "tests" / "fixtures" / "unpublished"
SITEURL = "https://gracious-guide.example"
ARTICLE = "2010/thank-you-note/index.html"
CLAY = "20100601T144200-clay-morgan"
DSCHWARTZ = "20100601T170500-dschwartz"


def site_content(base: Path) -> Path:
    """A copy of the site's content with the planted unpublished comments added."""
    content = shutil.copytree(REPO / "content", base / "content")
    shutil.copytree(UNPUBLISHED, content / "comments", dirs_exist_ok=True)
    return content


@pytest.fixture(scope="module")
def dev(tmp_path_factory) -> Build:
    """The site as `make html` builds it."""
    base = tmp_path_factory.mktemp("dev")
    return build_site(site_content(base), base / "output")


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> Build:
    """The site as `make publish` builds it."""
    base = tmp_path_factory.mktemp("publish")
    return build_site(site_content(base), base / "output", conf="publishconf.py")


def html_pages(build: Build) -> list[Path]:
    """Every HTML file of a build."""
    return sorted(build.output.rglob("*.html"))


def words(text: str) -> str:
    """Text with all runs of white space (no-break spaces included) folded to one space."""
    return " ".join(text.split())


def visible_text(element) -> str:
    """The text content of a parsed element."""
    return words("".join(element.itertext()))


@pytest.mark.parametrize("which", ["dev", "published"])
def test_build_logs_no_warnings(which, request):
    build = request.getfixturevalue(which)
    assert build.messages() == []


@pytest.mark.parametrize("which", ["dev", "published"])
def test_every_page_is_valid_html5_with_one_h1(which, request):
    build = request.getfixturevalue(which)
    pages = html_pages(build)
    assert len(pages) > 20
    for page in pages:
        parser = html5lib.HTMLParser(strict=False, namespaceHTMLElements=False)
        tree = parser.parse(page.read_bytes())
        assert parser.errors == [], (page, parser.errors[:3])
        assert len(list(tree.iter("h1"))) == 1, page
        assert tree.find("body") is not None


def links_of(tree):
    """Every URL an HTML page links to or loads."""
    for element in tree.iter():
        for attribute in ("href", "src"):
            value = element.get(attribute)
            if value:
                yield element.tag, value


def resolve_target(output: Path, page: Path, url: str, siteurl: str) -> Path | None:
    """The output file an internal URL points to, or None for an external one."""
    url, _fragment = urldefrag(url)
    if siteurl and url.startswith(siteurl):
        url = "/" + url[len(siteurl):].lstrip("/")
    parts = urlsplit(url)
    if parts.scheme or parts.netloc:
        return None
    path = unquote(parts.path)
    if not path:
        return page
    target = (output / path.lstrip("/")) if path.startswith("/") else (page.parent / path)
    target = target.resolve()
    return target / "index.html" if target.is_dir() or path.endswith("/") else target


@pytest.mark.parametrize("which", ["dev", "published"])
def test_every_internal_link_and_asset_resolves(which, request):
    build = request.getfixturevalue(which)
    siteurl = SITEURL if which == "published" else ""
    missing = []
    for page in html_pages(build):
        tree = html5lib.parse(page.read_bytes(), namespaceHTMLElements=False)
        ids = {e.get("id") for e in tree.iter() if e.get("id")}
        for tag, url in links_of(tree):
            if url.startswith(("mailto:", "#")):
                if url.startswith("#") and len(url) > 1 and url[1:] not in ids:
                    missing.append((page, url))
                continue
            target = resolve_target(build.output, page, url, siteurl)
            if target is None:
                assert tag == "a", f"{page}: {tag} loads {url} from another host"
                continue
            if not target.is_file():
                missing.append((page.relative_to(build.output), url))
    assert missing == []


def test_no_request_leaves_the_site(published):
    for page in html_pages(published):
        text = page.read_text()
        for match in re.finditer(r'<(?:link|script|img|iframe|source|video|audio)\b[^>]*(?:href|src)="([^"]+)"', text):
            url = match.group(1)
            assert not url.startswith(("http://", "https://", "//")) or url.startswith(SITEURL), (page, url)
        assert "@import" not in text


def seed_article() -> tuple[str, str]:
    """The seed's title and article text (the paragraph before the author's name)."""
    lines = SEED.read_text(encoding="utf-8").split("\n")
    title = lines[0].strip()
    body = next(line for line in lines[1:] if line.strip())
    return title, words(body)


def test_seed_article_text_is_faithful(dev):
    title, body = seed_article()
    tree = dev.tree(ARTICLE)
    main = tree.find(".//main")
    text = visible_text(main)
    assert words(title) in text
    assert body in text
    assert "Diane Schwartz" in text


def test_seed_thread_with_badged_reply(dev):
    tree = dev.tree(ARTICLE)
    items = {}
    for li in tree.iter("li"):
        article = li.find("article")
        if article is not None and article.get("id", "").startswith("comment-"):
            items[article.get("id")] = li
    assert len(items) == 5
    clay = items[f"comment-{CLAY}"]
    nested = [a.get("id") for a in clay.iter("article")]
    assert nested == [f"comment-{CLAY}", f"comment-{DSCHWARTZ}"]
    reply = next(a for a in clay.iter("article") if a.get("id") == f"comment-{DSCHWARTZ}")
    assert "comment--author" in reply.get("class")
    assert "Post author" in visible_text(reply)
    authors = [visible_text(a.find(".//*[@class='comment-author']")) for a in tree.iter("article") if a.get("id", "").startswith("comment-")]
    assert authors == ["Clay Morgan", "dschwartz", "Marie Kirkland", "Daniel", "Ellie"]
    seed = words(SEED.read_text(encoding="utf-8"))
    for article in items.values():
        body = visible_text(article.find(".//*[@class='comment-body']"))
        assert body in seed, body


@pytest.mark.parametrize("which", ["dev", "published"])
def test_unpublished_comments_appear_nowhere(which, request):
    text = request.getfixturevalue(which).all_text()
    for marker in ("PENDING-MARKER", "REJECTED-MARKER", "SPAM-MARKER", "Planted", "spam-marker.example",
                   "Olivia Grant", "informational interviews", "Best Watch Deals", "cheap-watches"):
        assert marker not in text, marker


def test_drafts_are_not_published(published):
    assert not list(published.output.rglob("*tipping-abroad*"))
    assert "tipping-abroad" not in (published.output / "sitemap.xml").read_text()


def test_feeds_parse_and_titles_are_plain(published):
    feeds = sorted((published.output / "feeds").rglob("*.xml"))
    assert any(f.name == "all.atom.xml" for f in feeds)
    assert len([f for f in feeds if f.parent.name == "category"]) >= 3
    for path in feeds:
        feed = feedparser.parse(path.read_text())
        assert not feed.bozo, (path, feed.bozo_exception)
        assert "<span" not in feed.feed.get("title", "")
        for entry in feed.entries:
            assert "<span" not in entry.title and "&nbsp;" not in entry.title, (path, entry.title)


def test_titles_and_json_ld_carry_no_typogrify_markup(published):
    tree = published.tree(ARTICLE)
    title = tree.find(".//title").text
    assert "<" not in title and "Thank-You Note" in words(title)
    blocks = [json.loads(s.text) for s in tree.iter("script") if s.get("type") == "application/ld+json"]
    posting = next(b for b in blocks if b.get("@type") == "BlogPosting")
    assert "<span" not in json.dumps(posting)
    assert posting["headline"].startswith("Linking, Following, Friending")
    assert posting["commentCount"] == 5
    assert posting["author"]["name"] == "Diane Schwartz"
    for meta in tree.iter("meta"):
        assert "<span" not in (meta.get("content") or "")


def test_open_graph_and_feeds_in_head(published):
    page = published.page(ARTICLE)
    assert '<meta property="og:type" content="article">' in page
    assert f'<meta property="og:url" content="{SITEURL}/2010/thank-you-note/">' in page
    assert 'type="application/atom+xml"' in page


def test_sitemap_lists_pages_and_articles(published):
    sitemap = (published.output / "sitemap.xml").read_text()
    assert f"{SITEURL}/2010/thank-you-note/" in sitemap
    assert "#comment" not in sitemap and "comments-manifest" not in sitemap
    assert "tipping-abroad" not in sitemap


def test_listing_pages_exist_and_paginate(dev):
    for page in ("index.html", "page/2/index.html", "archives/index.html", "categories/index.html",
                 "tags/index.html", "authors/index.html", "category/work/index.html",
                 "author/diane-schwartz/index.html", "2010/index.html", "404.html"):
        assert (dev.output / page).is_file(), page
    assert len({p.parent for p in (dev.output / "category").rglob("index.html")}) >= 3


def test_skip_link_and_landmarks(dev):
    for page in ("index.html", ARTICLE, "about/index.html", "404.html"):
        tree = dev.tree(page)
        first_link = next(tree.iter("a"))
        assert first_link.get("href") == "#content", page
        main = tree.find(".//main")
        assert main is not None and main.get("id") == "content", page
        assert tree.find(".//header") is not None and tree.find(".//footer") is not None
        assert tree.find(".//nav") is not None
        assert tree.get("lang") == "en"


def listing_description(build: Build, page: str) -> str:
    """The one-line description under a listing page's heading, spaces collapsed."""
    (paragraph,) = [p for p in build.tree(page).iter("p") if p.get("class") == "listing-description"]
    return " ".join("".join(paragraph.itertext()).split())


def test_listing_pages_count_articles_in_the_right_number(fixture_build):
    assert listing_description(fixture_build, "tag/one/index.html").startswith("1 article tagged")
    assert listing_description(fixture_build, "category/table/index.html").startswith("2 articles on table.")
    assert listing_description(fixture_build, "author/pat-example/index.html") == "4 articles by Pat Example."
    kickers = {page: fixture_build.tree(page).find(".//p[@class='listing-kicker']").text for page in (
        "tag/one/index.html", "category/table/index.html", "author/pat-example/index.html")}
    assert kickers == {"tag/one/index.html": "Topic", "category/table/index.html": "Category", "author/pat-example/index.html": "Author"}


def test_sample_content_carries_no_test_markers():
    marked = [p.relative_to(REPO) for p in (REPO / "content").rglob("*")
              if p.is_file() and re.search(r"[A-Z]+-MARKER", p.read_text(encoding="utf-8", errors="replace"))]
    assert marked == []


README = REPO / "README.md"
# A 1×1 transparent PNG.
PIXEL = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c6360000002000154a24f5d0000000049454e44ae426082"
)


def test_images_go_where_the_readme_says(tmp_path):
    readme = words(README.read_text(encoding="utf-8"))
    assert "Images go in `content/images/`" in readme
    content = copy_fixture(tmp_path / "content")
    (content / "images").mkdir()
    (content / "images" / "table-setting.png").write_bytes(PIXEL)
    post = (content / "posts" / "alpha.md").read_text(encoding="utf-8")
    (content / "posts" / "alpha.md").write_text(post + "\n![A laid table]({static}/images/table-setting.png)\n",
                                                encoding="utf-8")
    build = build_site(content, tmp_path / "output")
    assert (build.output / "images" / "table-setting.png").read_bytes() == PIXEL
    page = next(p for p in build.output.rglob("index.html") if "A laid table" in p.read_text(encoding="utf-8"))
    img = next(e for e in html5lib.parse(page.read_bytes(), namespaceHTMLElements=False).iter("img")
               if e.get("alt") == "A laid table")
    assert resolve_target(build.output, page, img.get("src"), "").is_file()
    assert build.messages() == []


def test_readme_says_what_feeds_a_development_build_writes(dev):
    comment_feeds = sorted((dev.output / "feeds").rglob("*.atom.xml"))
    assert comment_feeds and all("comments" in str(p.relative_to(dev.output)) for p in comment_feeds)
    row = next(line for line in README.read_text(encoding="utf-8").splitlines() if line.startswith("| `pelicanconf.py`"))
    assert "no feeds" not in row
    assert "comment feeds on" in row and "post feeds off" in row


def test_robots_and_icons_are_copied_to_the_root(dev):
    assert "User-agent: *" in dev.page("robots.txt")
    assert (dev.output / "favicon.ico").read_bytes()[:4] == b"\x00\x00\x01\x00"
    assert "<svg" in dev.page("favicon.svg")
    assert not (dev.output / "extra").exists()


def test_the_site_name_gets_curly_apostrophes_like_the_titles(tmp_path):
    """SITENAME "Diane's Guide" reads Diane’s (U+2019) in the header, the <title>, JSON-LD and the feed, never as an entity."""
    build = build_site(copy_fixture(tmp_path / "content"), tmp_path / "output", SITENAME="Diane's \"Gracious\" Guide",
                       SITEURL="https://blog.example", RELATIVE_URLS=False, FEED_ALL_ATOM="feeds/all.atom.xml")
    curly = "Diane\u2019s \u201cGracious\u201d Guide"
    tree = build.tree("index.html")
    assert curly in tree.find(".//title").text
    header = tree.find(".//p[@class='site-title']/a")
    assert "".join(header.itertext()) == curly
    page = build.page("index.html")
    assert "Diane's" not in page and "&#8217;" not in page
    feed = feedparser.parse((build.output / "feeds" / "all.atom.xml").read_text(encoding="utf-8"))
    assert feed.feed.title == curly


def test_a_build_stopped_by_an_error_does_not_keep_the_next_from_writing_its_sitemap(tmp_path):
    """After a build in this process stops early (strict post checks), the next build still writes its own sitemap."""
    broken = copy_fixture(tmp_path / "broken")
    post = broken / "posts" / "alpha.md"
    post.write_text(post.read_text(encoding="utf-8").replace("Title:", "Tgas: x\nTitle:", 1), encoding="utf-8")
    with pytest.raises(SystemExit):
        build_site(broken, tmp_path / "stopped", "publishconf.py", POST_CHECKS_STRICT=True)
    good = build_site(copy_fixture(tmp_path / "good"), tmp_path / "out", "publishconf.py")
    sitemap = good.page("sitemap.xml")
    assert f"<loc>{SITEURL}/2020/alpha/</loc>" in sitemap
    assert sitemap.count(f"<loc>{SITEURL}/2020/alpha/</loc>") == 1
