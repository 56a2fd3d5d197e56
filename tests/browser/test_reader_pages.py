"""A reader's comment refused, in Chromium at 320 px: the service's page in the site's look, the form kept."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from support.reader_site import ARTICLE_URL, ReaderSite, reader_site

from .test_pages import AXE_OPTIONS, describe_violations

NAME = 'Ann "A." Lee'
BODY = "A long first line that a phone must wrap rather than scroll sideways, " * 3 + "\nSecond line."


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReaderSite]:
    """The site and its intake service, on the port the site's form posts to."""
    with reader_site(tmp_path_factory.mktemp("reader-browser"), rate_limit=0) as running:
        yield running


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_refused_comment_comes_back_whole_at_320_px(browser: Any, reader: ReaderSite, scheme: str) -> None:
    context = browser.new_context(viewport={"width": 320, "height": 700}, color_scheme=scheme)
    errors: list[str] = []
    failed: list[str] = []
    try:
        page = context.new_page()
        # The refusal itself is an HTTP error, which Chromium logs as "Failed to load resource";
        # every other console error (a style or script the page's policy blocks) and every failed
        # request for the page's parts counts.
        page.on("console", lambda message: errors.append(message.text)
                if message.type == "error" and not message.text.startswith("Failed to load resource") else None)
        page.on("response", lambda response: failed.append(response.url)
                if response.status >= 400 and not response.request.is_navigation_request() else None)
        page.goto(f"{reader.site}/{ARTICLE_URL}")
        page.fill("#comment-author", NAME)
        page.fill("#comment-website", "my blog")
        page.fill("#comment-body", BODY)
        # The browser would stop a bad address itself; the service must answer it too.
        page.evaluate("document.getElementById('comment-form').noValidate = true")
        with page.expect_navigation():
            page.click("button.comment-submit")
        assert page.url.startswith(f"http://127.0.0.1:{reader.intake.port}/")
        assert page.title().startswith("Your comment was not sent")
        assert "Website must be a web address" in page.locator(".intake-errors").inner_text()
        assert page.input_value("#comment-author") == NAME
        assert page.input_value("#comment-website") == "my blog"
        assert page.input_value("#comment-body") == BODY.strip()
        width, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width <= client, f"{width} px wide in a {client} px window"
        # The site's style sheet applies: the masthead is laid out as on every page of the site.
        assert page.evaluate("getComputedStyle(document.querySelector('.site-header')).display") != "inline"
        assert page.evaluate("document.styleSheets.length") >= 2
        assert errors == [] and failed == []
        violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
        assert not violations, describe_violations(violations)
        page.click("text=Back to the article")
        page.wait_for_url(f"{reader.site}/{ARTICLE_URL}")
    finally:
        context.close()


def test_without_javascript_a_long_comment_is_not_cut_and_the_service_says_so(browser: Any, reader: ReaderSite) -> None:
    """No maxlength cuts the text: the service refuses it naming the limit and the length, and gives all of it back."""
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{reader.site}/{ARTICLE_URL}")
        text = "word " * 2_010
        page.fill("#comment-author", NAME)
        page.fill("#comment-body", text)
        assert page.input_value("#comment-body") == text
        with page.expect_navigation():
            page.click("button.comment-submit")
        assert page.url.startswith(f"http://127.0.0.1:{reader.intake.port}/")
        message = " ".join(page.locator(".intake-errors").inner_text().split())
        assert "10,000" in message and f"{len(text.strip()):,}" in message
        assert page.input_value("#comment-body").strip() == text.strip()
    finally:
        context.close()
