"""What validators, feed readers and search engines see in the production build of the real site.

Every check reads the built files: the HTML (and the Nu Html Checker over the
whole tree), the Atom feeds, the JSON-LD and the sitemap.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path

import html5lib
import pytest

from support.build import REPO, Build, build_site
from support.vnu import check_tree

SITEURL = "https://gracious-guide.example"
ARTICLE = "2010/thank-you-note/index.html"
ATOM = "{http://www.w3.org/2005/Atom}"
SITEMAP = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# The thank-you-note article is dated 2010-06-01; its last published comment (Ellie's) is this.
LAST_THANK_YOU_COMMENT = "2010-06-04T11:30:00-04:00"
# The newest article (video-calls, without comments).
NEWEST = "2020-04-22T09:00:00-04:00"
THANK_YOU_AUTHORS = ["Clay Morgan", "dschwartz", "Marie Kirkland", "Daniel", "Ellie"]


def publish(base: Path, content: Path | None = None) -> Build:
    """The production build (publishconf.py) of a copy of the site's content."""
    content = content or shutil.copytree(REPO / "content", base / "content")
    return build_site(content, base / "output", conf="publishconf.py")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The site as `make publish` builds it."""
    return publish(tmp_path_factory.mktemp("published"))


def tree(build: Build, relative: str):
    """One output page parsed as HTML5 (no namespaces)."""
    return html5lib.parse((build.output / relative).read_bytes(), namespaceHTMLElements=False)


def text_of(element) -> str:
    """An element's text, white space folded."""
    return " ".join("".join(element.itertext()).split())


def json_ld(build: Build, relative: str) -> dict:
    """The BlogPosting of an article page."""
    blocks = [json.loads(s.text) for s in tree(build, relative).iter("script") if s.get("type") == "application/ld+json"]
    return next(b for b in blocks if b.get("@type") == "BlogPosting")


def feeds(build: Build) -> list[Path]:
    """Every Atom feed of a build."""
    return sorted(build.output.rglob("*.atom.xml"))


def sitemap_dates(build: Build) -> dict[str, str]:
    """The sitemap's <lastmod> by <loc>."""
    root = ET.parse(build.output / "sitemap.xml").getroot()
    return {url.findtext(f"{SITEMAP}loc"): url.findtext(f"{SITEMAP}lastmod") for url in root.iter(f"{SITEMAP}url")}


def test_the_nu_html_checker_finds_nothing_in_the_whole_published_tree(site):
    messages = check_tree(site.output)
    assert [(m.get("url", "").rsplit(str(site.output), 1)[-1], m.get("lastLine"), m.get("message")) for m in messages] == []


def test_the_intakes_page_templates_are_not_published_as_pages(site):
    placeholders = [p.relative_to(site.output) for p in site.output.rglob("*.html") if "[[intake:" in p.read_text()]
    assert placeholders == []
    assert not (site.output / "comments").exists()
    for name in ("error", "received"):
        template = site.output / "comments-intake" / f"{name}.html.in"
        assert "[[intake:back]]" in template.read_text(), "the intake needs its templates"
    assert not [loc for loc in sitemap_dates(site) if "intake" in loc]


def test_every_feed_has_an_id_of_its_own_and_says_its_language(site):
    found = feeds(site)
    assert len(found) == 16
    ids = {}
    for path in found:
        root = ET.parse(path).getroot()
        assert root.get(XML_LANG) == "en", path
        ids[path.relative_to(site.output).as_posix()] = root.findtext(f"{ATOM}id")
    assert len(set(ids.values())) == len(ids), ids
    assert ids["feeds/all.atom.xml"] == f"{SITEURL}/feeds/all.atom.xml"
    assert ids["feeds/category/work.atom.xml"] == f"{SITEURL}/feeds/category/work.atom.xml"
    assert ids["feeds/comments.atom.xml"] == f"{SITEURL}/feeds/comments.atom.xml"
    # The article comment feeds keep the ids their subscribers know.
    assert ids["feeds/comments/thank-you-note.atom.xml"] == f"{SITEURL}/2010/thank-you-note/"


def test_json_ld_dates_comments_and_gives_articles_an_image_and_an_author_address(site):
    posting = json_ld(site, ARTICLE)
    assert posting["image"] == f"{SITEURL}/images/gracious-guide.png"
    assert (site.output / "images" / "gracious-guide.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert posting["author"] == {"@type": "Person", "name": "Diane Schwartz", "url": f"{SITEURL}/author/diane-schwartz/"}
    assert (site.output / "author" / "diane-schwartz" / "index.html").is_file()
    published = [c["datePublished"] for c in posting["comment"]]
    assert published == [c["dateCreated"] for c in posting["comment"]]
    assert published[0] == "2010-06-01T10:42:00-04:00" and published[-1] == LAST_THANK_YOU_COMMENT
    og_image = [m.get("content") for m in tree(site, ARTICLE).iter("meta") if m.get("property") == "og:image"]
    assert og_image == [f"{SITEURL}/images/gracious-guide.png"]


def test_an_article_with_a_picture_of_its_own_shows_that_one(tmp_path):
    content = shutil.copytree(REPO / "content", tmp_path / "content")
    (content / "images" / "table.png").write_bytes((REPO / "content" / "images" / "gracious-guide.png").read_bytes())
    post = content / "posts" / "dinner-guest.md"
    post.write_text(post.read_text() + "\n![A laid table]({static}/images/table.png)\n\n![Another](https://elsewhere.example/b.png)\n")
    build = publish(tmp_path, content)
    assert json_ld(build, "2011/dinner-guest/index.html")["image"] == f"{SITEURL}/images/table.png"
    assert json_ld(build, ARTICLE)["image"] == f"{SITEURL}/images/gracious-guide.png"


def test_the_sitemap_dates_a_page_by_its_discussion_too(site):
    dates = sitemap_dates(site)
    assert dates[f"{SITEURL}/2010/thank-you-note/"] == LAST_THANK_YOU_COMMENT
    assert dates[f"{SITEURL}/2010/06/"] == LAST_THANK_YOU_COMMENT
    assert dates[f"{SITEURL}/tag/social-media/"] == LAST_THANK_YOU_COMMENT
    # An article without comments keeps its own date; a listing takes its newest article's.
    assert dates[f"{SITEURL}/2020/video-calls/"] == NEWEST
    assert dates[f"{SITEURL}/category/work/"] == NEWEST
    # A page with no date of its own: the site's newest; no date comes from the build.
    assert dates[f"{SITEURL}/about/"] == NEWEST
    assert max(datetime.fromisoformat(d) for d in dates.values()) == datetime.fromisoformat(NEWEST)


def test_a_rebuild_with_no_change_changes_no_date(site, tmp_path):
    # Another process, a second later: a date taken from the clock would differ.
    time.sleep(1.1)
    again = tmp_path / "again"
    command = [sys.executable, "-m", "pelican", str(REPO / "content"), "-o", str(again), "-s", str(REPO / "publishconf.py"),
               "-e", f'CACHE_PATH="{tmp_path / "cache"}"']
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (again / "sitemap.xml").read_text() == (site.output / "sitemap.xml").read_text()
    for path in feeds(site):
        assert (again / path.relative_to(site.output)).read_text() == path.read_text(), path
    # An empty comment feed is dated by its article.
    root = ET.parse(site.output / "feeds" / "comments" / "video-calls.atom.xml").getroot()
    assert root.findall(f"{ATOM}entry") == [] and root.findtext(f"{ATOM}updated") == NEWEST


def headings(element) -> list[int]:
    """The levels of the h1-h6 headings under an element, in document order."""
    return [int(e.tag[1]) for e in element.iter() if isinstance(e.tag, str) and e.tag in ("h1", "h2", "h3", "h4", "h5", "h6")]


def test_the_comment_error_page_skips_no_heading_level(site):
    levels = headings(tree(site, "comments-intake/error.html.in"))
    assert levels[0] == 1 and 3 in levels
    assert all(later - earlier <= 1 for earlier, later in zip(levels, levels[1:], strict=False)), levels


def test_each_comment_is_headed_by_its_authors_name(site):
    comments = [a for a in tree(site, ARTICLE).iter("article") if a.get("id", "").startswith("comment-")]
    names = []
    for comment in comments:
        (heading,) = [e for e in comment.iter() if e.tag in ("h2", "h3", "h4")]
        names.append(text_of(heading))
    assert names == THANK_YOU_AUTHORS


def test_header_and_footer_repeat_no_role(site):
    roles = {(p.relative_to(site.output).as_posix(), e.tag) for p in site.output.rglob("*.html")
             for e in tree(site, p.relative_to(site.output).as_posix()).iter() if e.get("role") in ("banner", "contentinfo")}
    assert roles == set()
