"""Long threads in Chromium: replies past COMMENTS_COLLAPSE_AFTER folded, with JavaScript off and on; axe at 320 px."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from support.build import REPO, build_site
from support.comments import write_comment
from support.web import serve

from .test_pages import AXE_OPTIONS, describe_violations

SLUG = "long-thread"
URL = f"/2011/{SLUG}/"
REPLIES = 13  # three past the default COMMENTS_COLLAPSE_AFTER of 10
POST = f"""Title: Who Pays for the Birthday Dinner
Date: 2011-06-01 09:00
Category: Table
Slug: {SLUG}
Author: Diane Schwartz

When friends gather for a birthday, who picks up the bill?
"""


def reply_id(number: int) -> str:
    """The id of the reply `number` (1-based) to the first comment."""
    return f"r{number:02d}"


@pytest.fixture(scope="module")
def long_thread(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real site plus an article whose first comment has 13 replies, the 12th answered in turn; served."""
    base = tmp_path_factory.mktemp("long-thread")
    content = Path(shutil.copytree(REPO / "content", base / "content"))
    (content / "posts" / f"{SLUG}.md").write_text(POST, encoding="utf-8")
    folder = content / "comments" / SLUG
    common = {"status": "approved"}
    write_comment(folder, "top.yaml", {**common, "author": "Opening Reader", "date": "2011-06-02T10:00:00-04:00",
                                       "body": "We always split it evenly."})
    for number in range(1, REPLIES + 1):
        write_comment(folder, f"{reply_id(number)}.yaml", {
            **common, "author": f"Reader {number}", "date": f"2011-06-03T10:{number:02d}:00-04:00",
            "reply_to": "top", "body": f"Reply number {number}: the birthday person never pays.",
        })
    write_comment(folder, "deep.yaml", {**common, "author": "Late Reader", "date": "2011-06-04T10:00:00-04:00",
                                        "reply_to": reply_id(12), "body": "Answer hidden in the fold: agreed."})
    build = build_site(content, base / "output")
    assert not build.messages(), build.messages()
    with serve(build.output) as url:
        yield url


def open_page(browser: Any, url: str, javascript: bool, width: int = 1280) -> Any:
    """A page of a fresh context, with JavaScript on or off."""
    context = browser.new_context(java_script_enabled=javascript, viewport={"width": width, "height": 900})
    return context.new_page()


FOLD = "li.comment-item:has(> #comment-top) > details.comment-more"


def test_without_javascript_the_rest_is_folded_but_in_the_page(browser, long_thread):
    page = open_page(browser, long_thread + URL, javascript=False)
    try:
        page.goto(long_thread + URL)
        fold = page.locator(FOLD)
        assert fold.count() == 1
        assert page.locator(f"{FOLD} > summary").inner_text().strip() == "3 more replies"
        assert fold.get_attribute("open") is None
        shown = [f"comment-{reply_id(n)}" for n in range(1, 11)]
        folded = [f"comment-{reply_id(n)}" for n in range(11, REPLIES + 1)] + ["comment-deep"]
        for anchor in shown:
            assert page.locator(f"#{anchor}").is_visible(), anchor
        for anchor in folded:
            assert not page.locator(f"#{anchor}").is_visible(), anchor
        html = page.content()
        assert "Answer hidden in the fold: agreed." in html and "Reply number 13" in html
        page.locator(f"{FOLD} > summary").click()
        for anchor in folded:
            assert page.locator(f"#{anchor}").is_visible(), anchor
    finally:
        page.context.close()


def test_a_link_to_a_folded_comment_opens_the_fold(browser, long_thread):
    page = open_page(browser, long_thread + URL, javascript=True)
    try:
        page.goto(long_thread + URL)
        assert not page.locator("#comment-deep").is_visible()
        page.evaluate("location.hash = '#comment-deep'")
        page.wait_for_function("document.querySelector('#comment-deep').checkVisibility()", timeout=5000)
        assert page.locator(FOLD).get_attribute("open") is not None
        assert page.evaluate("document.activeElement.id") == "comment-deep"
    finally:
        page.context.close()


def test_the_script_opens_the_folds_around_the_comment_named_by_the_hash(browser, long_thread):
    """Chromium opens a fold itself on a fragment navigation; other browsers rely on folds.js, checked here alone.

    The address changes without a navigation (replaceState), so only the script's hashchange handler can open it.
    """
    page = open_page(browser, long_thread + URL, javascript=True)
    try:
        page.goto(long_thread + URL)
        page.evaluate("history.replaceState(null, '', '#comment-deep'); dispatchEvent(new HashChangeEvent('hashchange'))")
        assert page.locator(FOLD).get_attribute("open") is not None
        assert page.locator("#comment-deep").is_visible()
        assert page.evaluate("document.activeElement.id") == "comment-deep"
    finally:
        page.context.close()


def test_a_page_opened_on_a_folded_comment_shows_it(browser, long_thread):
    page = open_page(browser, long_thread + URL, javascript=True)
    try:
        page.goto(f"{long_thread}{URL}#comment-{reply_id(13)}")
        # Shown, and scrolled to (the scroll may come after the load).
        page.wait_for_function(f"""(() => {{
            const target = document.querySelector('#comment-{reply_id(13)}');
            const top = target.getBoundingClientRect().top;
            return target.checkVisibility() && top >= 0 && top < innerHeight;
        }})()""", timeout=5000)
    finally:
        page.context.close()


@pytest.mark.parametrize("opened", [False, True])
def test_axe_clean_at_320_px(browser, long_thread, opened):
    page = open_page(browser, long_thread + URL, javascript=True, width=320)
    try:
        page.goto(long_thread + URL)
        if opened:
            page.locator(f"{FOLD} > summary").click()
        violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
        assert not violations, describe_violations(violations)
        assert page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]") == [320, 320]
    finally:
        page.context.close()
