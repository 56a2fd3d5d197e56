"""The comment preview, over real HTTP, on the real site's build: rendered as the build renders, nothing stored."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import html5lib
import pytest

from support.intake import Reply, send
from support.reader_site import ARTICLE, ARTICLE_URL, ReaderSite, form_values, reader_site

FORM = "application/x-www-form-urlencoded"
TYPED = {
    "article": ARTICLE,
    "author": 'Ann "A." <b>Lee</b>',
    "website": "https://ann.example/",
    "reply_to": "",
    "body": "Thank you **so much**.\n\n<script>alert(1)</script>\n\n[trap](javascript:alert(2)) [[intake:author]]",
}


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReaderSite]:
    """The site and its intake, with a limit of two posts per client in ten minutes."""
    with reader_site(tmp_path_factory.mktemp("preview"), rate_limit=2) as running:
        yield running


def stored(reader: ReaderSite) -> set[Path]:
    """Every file in the article's comment folder."""
    return set((reader.intake.content / ARTICLE).iterdir())


def post(reader: ReaderSite, path: str, fields: dict[str, str], source: str, accept: str = "text/html",
         **headers: str) -> Reply:
    """A browser's form post to `path` from the local address `source`."""
    sent = {"Accept": accept, "Content-Type": FORM, **{name.replace("_", "-"): value for name, value in headers.items()}}
    return send(reader.intake.port, "POST", path, urlencode(fields), sent, source)


def preview_of(page: str) -> Any:
    """The preview's rendered body on the page."""
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    return tree.find(".//div[@class='comment-body comment-preview-body']")


def test_the_preview_page_renders_the_comment_sanitized_and_keeps_the_form(reader):
    before = stored(reader)
    reply = post(reader, "/comments/preview", TYPED, "127.0.0.2")
    assert reply.status == 200, reply.text
    body = preview_of(reply.text)
    assert body is not None
    assert [strong.text for strong in body.iter("strong")] == ["so much"]
    # Markup typed in the comment is shown as text, never run: the build's renderer escapes it.
    assert not list(body.iter("script")) and "<script>alert" not in reply.text
    assert "<script>alert(1)</script>" in "".join(body.itertext())
    links = [a.get("href") for a in body.iter("a")]
    assert all(not (href or "").startswith("javascript:") for href in links)
    # The reader's text that looks like a placeholder stays text.
    assert "[[intake:author]]" in "".join(body.itertext())
    kept = form_values(reply.text)
    for name in ("article", "author", "website", "body"):
        assert kept[name] == TYPED[name], name
    tree = html5lib.parse(reply.text, namespaceHTMLElements=False)
    back = next(a for a in tree.iter("a") if "".join(a.itertext()) == "Back to the article")
    assert back.get("href") == f"{reader.site}/{ARTICLE_URL}"
    assert stored(reader) == before


def test_the_preview_answers_a_script_with_the_rendered_html(reader):
    before = stored(reader)
    reply = post(reader, "/comments/preview", TYPED, "127.0.0.3", accept="application/json", origin=reader.site)
    assert reply.status == 200
    rendered = reply.json()["html"]
    assert "<strong>so much</strong>" in rendered
    assert "<script" not in rendered and "&lt;script&gt;alert(1)" in rendered and "href=\"javascript" not in rendered
    assert reply.headers["access-control-allow-origin"] == reader.site
    assert stored(reader) == before


def test_a_preview_from_another_origin_is_refused_and_stores_nothing(reader):
    before = stored(reader)
    reply = post(reader, "/comments/preview", TYPED, "127.0.0.4", origin="https://elsewhere.example")
    assert reply.status == 403
    assert "access-control-allow-origin" not in reply.headers
    assert "Comments are not accepted from the page at https://elsewhere.example" in reply.text
    assert stored(reader) == before


def test_a_preview_that_breaks_a_rule_says_so_and_keeps_the_text(reader):
    long_body = "x" * 10_001
    reply = post(reader, "/comments/preview", {**TYPED, "body": long_body, "author": "\u200b"}, "127.0.0.5")
    assert reply.status == 400
    text = " ".join(reply.text.split())
    assert "Comment must be at most" in text and "Name must have something visible" in text
    assert form_values(reply.text)["body"] == long_body


def test_previews_are_rate_limited_but_never_use_up_a_submission(reader):
    before = stored(reader)
    for _ in range(2):
        assert post(reader, "/comments/preview", TYPED, "127.0.0.6").status == 200
    assert post(reader, "/comments/preview", TYPED, "127.0.0.6").status == 429
    assert stored(reader) == before
    sent = post(reader, "/comments", {**TYPED, "homepage": ""}, "127.0.0.6")
    assert sent.status == 303, sent.text
    assert len(stored(reader) - before) == 1
