"""The pages the intake service answers a browser with, over real HTTP, on the real site's build."""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from urllib.parse import urlencode

import html5lib
import pytest

from support.intake import IntakeServer, Reply, send, write_manifest
from support.reader_site import ARTICLE, ARTICLE_TITLE, ARTICLE_URL, PUBLISHED, ReaderSite, form_values, reader_site

FORM = "application/x-www-form-urlencoded"
# Typed by a reader: quotes, markup and even the pages' own placeholder syntax stay plain text.
TYPED = {
    "article": ARTICLE,
    "author": 'Ann "A." <b>Lee</b> [[intake:body]]',
    "website": "not an address",
    "reply_to": PUBLISHED,
    "body": "First line & more.\n</textarea><script>alert(1)</script>\nLast line.",
}


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReaderSite]:
    """The site and its intake, with a limit of three comments per client in ten minutes."""
    with reader_site(tmp_path_factory.mktemp("reader"), rate_limit=3) as running:
        yield running


def post(reader: ReaderSite, fields: dict[str, str], source: str | None = None, **headers: str) -> Reply:
    """A browser's form post (from the local address `source`, when given)."""
    sent = {"Accept": "text/html,application/xhtml+xml", "Content-Type": FORM,
            **{name.replace("_", "-"): value for name, value in headers.items()}}
    return send(reader.intake.port, "POST", "/comments", urlencode(fields), sent, source)


def test_the_error_page_keeps_every_field_in_the_sites_look(reader):
    reply = post(reader, TYPED)
    assert reply.status == 400
    page = reply.text
    kept = form_values(page)
    for name in ("article", "author", "website", "reply_to", "body"):
        assert kept[name] == TYPED[name], name
    assert "<script>alert" not in page and "<b>Lee" not in page
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    assert tree.find(".//base").get("href") == f"{reader.site}/"
    styles = {link.get("href") for link in tree.iter("link") if link.get("rel") == "stylesheet"}
    assert "/theme/css/main.css" in styles
    assert tree.find(".//header[@class='site-header']") is not None
    errors = [" ".join("".join(li.itertext()).split()) for li in tree.find(".//ul[@class='intake-errors']")]
    assert len(errors) == 1 and errors[0].startswith("Website must be a web address starting with http:// or https://")
    back = next(a for a in tree.iter("a") if "".join(a.itertext()) == "Back to the article")
    assert back.get("href") == f"{reader.site}/{ARTICLE_URL}"
    policy = reply.headers["content-security-policy"]
    assert f"style-src {reader.site}" in policy and "form-action 'self'" in policy


def test_the_received_page_links_back_to_the_article(reader):
    fields = {**TYPED, "website": "", "author": "Ann Lee", "body": "Thank you."}
    reply = post(reader, fields)
    assert reply.status == 303
    location = reply.headers["location"]
    assert location.startswith(f"comments/received?article={ARTICLE}&t=")
    page = send(reader.intake.port, "GET", f"/{location}")
    assert page.status == 200
    tree = html5lib.parse(page.text, namespaceHTMLElements=False)
    back = [a for a in tree.iter("a") if a.get("href") == f"{reader.site}/{ARTICLE_URL}"]
    assert back and ARTICLE_TITLE in "".join(back[0].itertext())
    assert "waiting for moderation" in page.text
    # The reader's private link, shown as its own text so it can be copied or bookmarked, opens the comment's form.
    shown = tree.find(".//a[@class='intake-edit-address']")
    assert shown is not None and shown.text == shown.get("href") and "/comments/edit?t=" in shown.get("href")
    edit = send(reader.intake.port, "GET", "/comments/edit?" + shown.get("href").split("?", 1)[1])
    assert edit.status == 200
    edit_tree = html5lib.parse(edit.text, namespaceHTMLElements=False)
    assert edit_tree.find(".//header[@class='site-header']") is not None
    form = edit_tree.find(".//form[@id='comment-edit-form']")
    assert form.find(".//input[@name='author']").get("value") == "Ann Lee"
    assert (form.find(".//textarea").text or "").strip() == "Thank you."


def test_an_unknown_article_on_the_received_page_goes_to_the_sites_thank_you_page(reader):
    reply = send(reader.intake.port, "GET", "/comments/received?article=https://elsewhere.example/")
    assert reply.status == 303 and reply.headers["location"] == f"{reader.site}/comment-received/"


def test_a_refused_origin_is_named_in_the_page_and_the_log(reader):
    stranger = "http://127.0.0.1:9"
    reply = post(reader, {**TYPED, "website": ""}, Origin=stranger)
    assert reply.status == 403
    [message] = [" ".join("".join(li.itertext()).split())
                 for li in html5lib.parse(reply.text, namespaceHTMLElements=False).find(".//ul[@class='intake-errors']")]
    assert stranger in message and reader.site in message
    log = reader.log.read_text(encoding="utf-8")
    assert any(stranger in line and "origin" in line for line in log.splitlines()), log


def test_the_rate_limit_counts_only_accepted_posts_and_says_how_long_to_wait(reader):
    reader_address = "127.0.0.3"  # a client of its own: the limit is per address
    for _ in range(5):
        assert post(reader, TYPED, reader_address).status == 400
    accepted = 0
    while (reply := post(reader, {**TYPED, "website": "", "body": f"Note {accepted}."}, reader_address)).status == 303:
        accepted += 1
        assert accepted < 10
    assert reply.status == 429
    assert accepted == 3
    wait = int(reply.headers["retry-after"])
    [message] = [" ".join("".join(li.itertext()).split())
                 for li in html5lib.parse(reply.text, namespaceHTMLElements=False).find(".//ul[@class='intake-errors']")]
    said = re.search(r"wait (\d+) (seconds|minutes)", message)
    assert said, message
    amount = int(said.group(1)) * (60 if said.group(2) == "minutes" else 1)
    assert wait <= amount <= wait + 60
    assert form_values(reply.text)["body"] == "Note 3."


def heading_and_advice(page: str) -> tuple[str, str, str]:
    """The page's title, its h1, and the paragraph above the list of problems, each as one line of text."""
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    title = " ".join("".join(tree.find(".//title").itertext()).split())
    heading = " ".join("".join(tree.find(".//h1").itertext()).split())
    advice = " ".join("".join(tree.find(".//div[@class='entry-content']/p").itertext()).split())
    return title, heading, advice


def test_each_refusal_pages_heading_and_advice_fit_its_cause(reader):
    """A form mistake asks for a correction; a wait or a refused page does not say 'correct' what has no mistake."""
    mistake = heading_and_advice(post(reader, TYPED).text)
    valid = {**TYPED, "website": ""}
    address = "127.0.0.4"
    while (reply := post(reader, {**valid, "body": f"Note {address}."}, address)).status == 303:
        pass
    assert reply.status == 429
    waiting = heading_and_advice(reply.text)
    refused = post(reader, valid, Origin="http://elsewhere.example")
    assert refused.status == 403
    elsewhere = heading_and_advice(refused.text)
    for page in (mistake, waiting, elsewhere):
        assert page[0].startswith(page[1]), page
    assert len({mistake[1], waiting[1], elsewhere[1]}) == 3
    fix_it = mistake[2].split(". ", 1)[1]
    assert fix_it and fix_it not in waiting[2] and fix_it not in elsewhere[2]
    assert "wait" in waiting[2].lower()


def test_a_title_with_quotation_marks_is_not_nested_in_the_same_marks(reader, tmp_path):
    """The site's own received page, served by a real service whose manifest titles an article with “Quick”: ‘Quick’ inside “…”."""
    output = tmp_path / "output"
    (output / "comments-intake").mkdir(parents=True)
    built = reader.intake.manifest.parent / "comments-intake" / "received.html.in"
    shutil.copy(built, output / "comments-intake" / "received.html.in")
    title = "The Napkin, Folded: A Host\u2019s \u201cQuick\u201d Guide"
    manifest = write_manifest(output / "comments-manifest.json", {"napkin": {"title": title, "url": "2011/napkin/", "mode": "open"}})
    (tmp_path / "comments").mkdir()
    with IntakeServer(tmp_path / "comments", manifest, env={"COMMENTS_RATE_LIMIT": "0"}) as server:
        page = send(server.port, "GET", "/comments/received?article=napkin")
    assert page.status == 200
    tree = html5lib.parse(page.text, namespaceHTMLElements=False)
    [link] = [a for a in tree.iter("a") if (a.get("href") or "").endswith("/2011/napkin/")]
    text = "".join(link.itertext())
    assert text.count("\u201c") == 1 and text.count("\u201d") == 1, text
    assert "\u2018Quick\u2019" in text and "Host\u2019s" in text
    assert text.index("\u201c") < text.index("The Napkin") and text.rstrip().endswith("Guide\u201d")


def test_values_that_need_escaping_reach_the_pages_as_text(reader, tmp_path):
    """A title and address from the manifest, and a refused origin, holding markup, quotes and ampersands, read back as typed."""
    output = tmp_path / "output"
    shutil.copytree(reader.intake.manifest.parent / "comments-intake", output / "comments-intake")
    title = 'Tea & <b>Toast</b>: a "Plain" Guide'
    entry = {"title": title, "url": "2011/tea&toast/?q=\"x\"<i>", "mode": "open"}
    manifest = write_manifest(output / "comments-manifest.json", {"tea": entry})
    (tmp_path / "comments").mkdir()
    origin = 'http://elsewhere.example/"><script>alert(1)</script>&amp;'
    with IntakeServer(tmp_path / "comments", manifest, env={"COMMENTS_RATE_LIMIT": "0"}) as server:
        received = send(server.port, "GET", "/comments/received?article=tea")
        refused = send(server.port, "POST", "/comments", urlencode({**TYPED, "article": "tea", "website": ""}),
                       {"Accept": "text/html", "Content-Type": FORM, "Origin": origin})
    assert received.status == 200 and refused.status == 403
    for page in (received.text, refused.text):
        assert "<b>" not in page and "<i>" not in page and "<script>" not in page
    tree = html5lib.parse(received.text, namespaceHTMLElements=False)
    [link] = [a for a in tree.iter("a") if title in "".join(a.itertext())]
    assert link.get("href").endswith('/2011/tea&toast/?q="x"<i>')
    tree = html5lib.parse(refused.text, namespaceHTMLElements=False)
    [message] = ["".join(li.itertext()) for li in tree.find(".//ul[@class='intake-errors']")]
    assert origin in message, message
