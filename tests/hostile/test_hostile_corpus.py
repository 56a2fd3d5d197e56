"""Every attack of the corpus as an approved comment in one real build: inert in the HTML, the feeds and Chromium.

All cases go on one open article of a copy of the fixture site (so the form and
the reply buttons are rendered too), built once. Each case is then checked twice:
in the built HTML parsed by html5lib, and in the DOM of the same page loaded once
in Chromium, where any dialog, call to `window.__pwned()`, "PWNED" console
message, page error or request leaving 127.0.0.1 is recorded.
"""

from __future__ import annotations

import json
import logging
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import feedparser
import html5lib
import pytest
from corpus import Attack, attack_ids, summary

from hostile_support import (
    attack_fields,
    body_problems,
    bounded,
    comment_yaml,
    dangerous_url,
    elements,
    has_class,
    local_name,
    page_problems,
    shown_name,
    text_of,
    write_bytes,
)
from pelican.plugins.reader_comments.render import render_body
from support.build import Build, build_site, copy_fixture
from support.expected_markup import ALLOWED_ATTRIBUTES, ALLOWED_TAGS, SAFE_PROTOCOLS
from support.web import chromium, require_chromium, serve

ARTICLE = "delta"
PAGE = "2020/delta/index.html"
CONTROL_PAGE = "2020/alpha/index.html"
CASES = attack_ids()
PUBLISHED = [(cid, attack) for cid, attack in CASES if not attack.refused]
# The same rel as links in comment bodies.
WEBSITE_REL = "nofollow ugc noopener noreferrer"


@dataclass
class CorpusSite:
    """The built corpus site: the build, where each case was written, and the parsed article."""

    build: Build
    files: dict[str, Path]
    lines: dict[str, int]
    tree: Any
    comments: dict[str, Any] = field(default_factory=dict)


def reply_targets() -> dict[str, str]:
    """Each published author case replies to the previous one, so names also appear in 'in reply to'."""
    targets: dict[str, str] = {}
    previous = None
    for cid, attack in PUBLISHED:
        if attack.field != "author":
            continue
        if previous is not None:
            targets[cid] = previous
        previous = cid
    return targets


def write_cases(folder: Path) -> tuple[dict[str, Path], dict[str, int]]:
    """Write every case as a comment file; return each file and the line of its hostile field."""
    targets = reply_targets()
    files, lines = {}, {}
    for cid, attack in CASES:
        fields = attack_fields(cid, attack, targets.get(cid))
        files[cid] = write_bytes(folder, f"{cid}.yaml", comment_yaml(fields).encode("utf-8"))
        lines[cid] = [name for name, value in fields.items() if value is not None].index(attack.field) + 1
    return files, lines


def comment_articles(tree: Any) -> dict[str, Any]:
    """The <article class="comment"> elements of a page by comment id."""
    found = {}
    for element in elements(tree):
        if element.tag == "article" and has_class(element, "comment"):
            found[element.get("id", "").removeprefix("comment-")] = element
    return found


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> CorpusSite:
    """The fixture site with every case as an approved comment on one article, built once."""
    base = tmp_path_factory.mktemp("corpus")
    content = copy_fixture(base / "content")
    files, lines = write_cases(content / "comments" / ARTICLE)
    # Every case in the JSON-LD, not only the first ten, so each hostile name is checked there too.
    build = build_site(content, base / "output", COMMENTS_JSONLD_MAX_COMMENTS=None)
    tree = build.tree(PAGE)
    return CorpusSite(build, files, lines, tree, comment_articles(tree))


def find(element: Any, tag: str, klass: str) -> Any | None:
    """The first descendant `tag` element with CSS class `klass`."""
    return next((e for e in elements(element) if e.tag == tag and has_class(e, klass)), None)


def comments_section(tree: Any) -> Any:
    """The page's comments section."""
    section = next((e for e in elements(tree) if e.tag == "section" and e.get("id") == "comments"), None)
    assert section is not None, "no comments section"
    return section


def template_markup(section: Any) -> tuple[set[str], set[str]]:
    """Tags and attribute names of a comments section outside the comment bodies: the template's own markup."""
    tags, attributes = set(), set()
    stack = [section]
    while stack:
        element = stack.pop()
        if element.tag == "div" and has_class(element, "comment-body"):
            continue
        tags.add(local_name(element.tag))
        attributes.update(local_name(name) for name in element.attrib)
        stack.extend(e for e in element if isinstance(e.tag, str))
    return tags, attributes


# ---------------------------------------------------------------- the build itself


def test_build_reports_refusals_without_tracebacks(site: CorpusSite) -> None:
    for record in site.build.records:
        assert record.exc_info is None, record.getMessage()
    assert not any("Traceback" in message for message in site.build.messages(logging.DEBUG))


def scripts(tree: Any) -> list[tuple[str, str, str]]:
    """(type, src, text) of each script element; JSON-LD text left out, as it differs per page."""
    found = []
    for element in elements(tree):
        if element.tag == "script":
            kind = element.get("type", "")
            found.append((kind, element.get("src", ""), "" if kind == "application/ld+json" else element.text or ""))
    return found


def test_page_wide_rules(site: CorpusSite) -> None:
    assert page_problems(site.tree) == []
    assert sorted(scripts(site.tree)) == sorted(scripts(site.build.tree(CONTROL_PAGE)))


def test_comments_section_holds_only_the_templates_markup(site: CorpusSite) -> None:
    known_tags, known_attributes = template_markup(comments_section(site.build.tree(CONTROL_PAGE)))
    tags, attributes = template_markup(comments_section(site.tree))
    assert tags <= known_tags, tags - known_tags
    assert attributes <= known_attributes, attributes - known_attributes


def test_every_published_case_is_on_the_page_and_nothing_else_is_lost(site: CorpusSite) -> None:
    assert {cid for cid in site.comments if cid.startswith("x-")} == {cid for cid, _ in PUBLISHED}
    assert f">{len(PUBLISHED)} comments</a>" in site.build.page("index.html")
    assert "First! A" in site.build.page(CONTROL_PAGE)


# ---------------------------------------------------------------- each case in the HTML


@pytest.mark.parametrize(("cid", "attack"), CASES, ids=[cid for cid, _ in CASES])
def test_case_in_html(site: CorpusSite, cid: str, attack: Attack) -> None:
    if attack.refused:
        assert cid not in site.comments
        where = f"{site.files[cid]}:{site.lines[cid]}: "
        assert any(where in message for message in site.build.messages()), f"no warning naming {where}"
    else:
        article = site.comments[cid]
        body = find(article, "div", "comment-body")
        assert body is not None
        assert body_problems(body) == []
        assert page_problems(article) == []
        check_fields(site, cid, attack, article)
    if attack.field == "body":
        check_direct_render(attack.value)


def check_direct_render(body: str) -> None:
    """The renderer alone keeps a body to the allowlist; text with lone surrogates it refuses outright."""
    if any("\ud800" <= char <= "\udfff" for char in body):
        with pytest.raises(UnicodeEncodeError):
            render_body(body)
        return
    fragment = html5lib.parseFragment(render_body(body), namespaceHTMLElements=False)
    assert body_problems(fragment) == []


def check_fields(site: CorpusSite, cid: str, attack: Attack, article: Any) -> None:
    """A published case's name and website come out exactly as written: text and attribute values, never markup."""
    name = find(article, "h3", "comment-author")
    assert name is not None
    links = [e for e in elements(name) if e.tag == "a"]
    if attack.field == "author":
        assert text_of(name) == shown_name(attack.value)
        button = find(article, "button", "comment-reply")
        assert button is not None and button.get("data-reply-name") == shown_name(attack.value)
    if attack.field == "website":
        assert [(a.get("href"), a.get("rel")) for a in links] == [(attack.value, WEBSITE_REL)]
        assert not dangerous_url(attack.value)
    else:
        assert links == []
    target = reply_targets().get(cid)
    if target is not None:
        parent = find(article, "a", "comment-parent")
        assert parent is not None and parent.get("href") == f"#comment-{target}"
        assert text_of(parent) == f"in reply to {shown_name(dict(CASES)[target].value)}"


# ---------------------------------------------------------------- feeds and JSON-LD


ATOM = "{http://www.w3.org/2005/Atom}"


def feed_entries(site: CorpusSite) -> Iterator[tuple[str, str, str]]:
    """(comment id, summary HTML, author name) of each entry in the article's feed and the recent-comments feed."""
    for relative in (f"feeds/comments/{ARTICLE}.atom.xml", "feeds/comments.atom.xml"):
        path = site.build.output / relative
        feed = feedparser.parse(path.read_bytes())
        assert not feed.bozo, (relative, feed.bozo_exception)
        for entry in ET.parse(path).getroot().iter(f"{ATOM}entry"):
            link = entry.find(f"{ATOM}link").get("href")
            summary = entry.findtext(f"{ATOM}summary") or ""
            yield link.rsplit("#comment-", 1)[1], summary, entry.findtext(f"{ATOM}author/{ATOM}name") or ""


def test_feeds_are_well_formed_and_carry_only_allowed_markup(site: CorpusSite) -> None:
    by_id = dict(CASES)
    seen = 0
    for cid, text, author in feed_entries(site):
        fragment = html5lib.parseFragment(text, namespaceHTMLElements=False)
        assert body_problems(fragment) == [], cid
        attack = by_id.get(cid)
        if attack is not None and attack.field == "author":
            assert author == shown_name(attack.value)
        seen += cid in by_id
    assert seen >= len(PUBLISHED)


def test_json_ld_names_are_text(site: CorpusSite) -> None:
    scripts = [e for e in elements(site.tree) if e.tag == "script" and e.get("type") == "application/ld+json"]
    posting = next(d for d in (json.loads(s.text) for s in scripts) if d.get("@type") == "BlogPosting")
    names = {item["@id"].rsplit("#comment-", 1)[1]: item["author"]["name"] for item in posting["comment"]}
    for cid, attack in PUBLISHED:
        if attack.field == "author":
            assert names[cid] == shown_name(attack.value)


# ---------------------------------------------------------------- the same page in Chromium

INIT_SCRIPT = """
window.__pwnedCalls = [];
window.__pwned = function () { window.__pwnedCalls.push(String(arguments[0])); };
"""

DOM_SUMMARY = """
() => {
  const out = {};
  for (const article of document.querySelectorAll("article.comment")) {
    const body = article.querySelector(".comment-body");
    const inner = body ? Array.from(body.querySelectorAll("*")) : [];
    const all = Array.from(article.querySelectorAll("*"));
    const button = article.querySelector("button.comment-reply");
    let replying = null;
    if (button && !button.hidden) {
      button.click();
      replying = document.querySelector(".comment-form-replying-text").textContent;
    }
    const bdi = article.querySelector(".comment-author bdi");
    out[article.id.replace(/^comment-/, "")] = {
      tags: inner.map((e) => e.localName),
      attributes: inner.flatMap((e) => Array.from(e.attributes).map((a) => e.localName + " " + a.name)),
      protocols: inner.filter((e) => e.localName === "a").map((e) => e.protocol),
      handlers: all.flatMap((e) => Array.from(e.attributes).filter((a) => /^on/i.test(a.name)).map((a) => a.name)),
      author: bdi ? bdi.textContent : null,
      replying: replying,
    };
  }
  return out;
}
"""


@dataclass
class BrowserRun:
    """What one load of the corpus page in Chromium showed."""

    comments: dict[str, dict[str, Any]]
    dialogs: list[str] = field(default_factory=list)
    pwned: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)


def load_in_chromium(output: Path, relative: str) -> BrowserRun:
    """Open one built page in Chromium, in a thread of its own (clear of any Playwright session the suite holds)."""
    require_chromium()
    run, _ = bounded(180, load_page, output, relative)
    return run


def load_page(output: Path, relative: str) -> BrowserRun:
    """Open one built page once in headless Chromium, recording every sign of script running."""
    run = BrowserRun({})
    with serve(output) as base, chromium() as browser:
        page = browser.new_page()
        page.add_init_script(INIT_SCRIPT)
        page.on("dialog", lambda dialog: (run.dialogs.append(f"{dialog.type}: {dialog.message}"), dialog.dismiss()))
        page.on("console", lambda message: run.console.append(message.text))
        page.on("pageerror", lambda error: run.errors.append(str(error)))

        def gate(route: Any) -> None:
            """Let requests to the local server through; record and abort anything else."""
            url = route.request.url
            if url.startswith(base + "/") or url == base:
                route.continue_()
            else:
                run.foreign.append(url)
                route.abort()

        page.route("**/*", gate)
        page.goto(f"{base}/{relative.removesuffix('index.html')}", wait_until="load")
        page.wait_for_timeout(300)
        run.comments = page.evaluate(DOM_SUMMARY)
        page.wait_for_timeout(200)
        run.pwned = page.evaluate("window.__pwnedCalls")
        page.close()
    return run


@pytest.fixture(scope="module")
def browser_run(site: CorpusSite) -> BrowserRun:
    """The corpus page, loaded once in Chromium."""
    return load_in_chromium(site.build.output, PAGE)


def test_no_injected_script_ran_in_chromium(browser_run: BrowserRun) -> None:
    assert browser_run.dialogs == []
    assert browser_run.pwned == []
    assert [m for m in browser_run.console if "PWNED" in m] == []
    assert browser_run.errors == []
    assert browser_run.foreign == []


@pytest.mark.parametrize(("cid", "attack"), PUBLISHED, ids=[cid for cid, _ in PUBLISHED])
def test_case_in_chromium(browser_run: BrowserRun, cid: str, attack: Attack) -> None:
    seen = browser_run.comments.get(cid)
    assert seen is not None, "comment missing from the live DOM"
    assert set(seen["tags"]) <= ALLOWED_TAGS, seen["tags"]
    allowed = {f"{tag} {name}" for tag, names in ALLOWED_ATTRIBUTES.items() for name in names}
    assert set(seen["attributes"]) <= allowed, seen["attributes"]
    assert set(seen["protocols"]) <= SAFE_PROTOCOLS, seen["protocols"]
    assert seen["handlers"] == []
    if attack.field == "author":
        assert seen["author"] == shown_name(attack.value)
        assert seen["replying"] == f"Replying to {shown_name(attack.value)}"


# ---------------------------------------------------------------- the README's table


def test_readme_counts_match_the_corpus() -> None:
    readme = (Path(__file__).parent / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in readme.splitlines():
        cells = [cell.strip().strip("*") for cell in line.strip("|").split("|")]
        if len(cells) >= 4 and cells[1].isdigit():
            rows[cells[0]] = (int(cells[1]), int(cells[2]), int(cells[3]))
    for line in summary().splitlines()[1:]:
        title, cases, refused, accepted = line.rsplit(None, 3)
        assert rows.get(title.strip()) == (int(cases), int(refused), int(accepted)), title
