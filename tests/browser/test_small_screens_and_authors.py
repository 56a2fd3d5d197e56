"""What authors and readers see in Chromium.

Target sizes at 320 px, the menu with a fifth section, the draft label, and the comment form's length limit and counter.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from support.browser import Visit
from support.build import REPO, build_site
from support.comments import write_comment
from support.web import serve

from .test_pages import AXE_OPTIONS, describe_violations

FIFTH_SECTION = """Title: Birthday Parties for Grown-Ups
Date: 2012-05-01 09:00
Category: Celebrations
Slug: birthday-parties

Whether to mark the day, and how.
"""


@pytest.mark.parametrize("path", ["/2010/thank-you-note/", "/2010/reply-all/"])
def test_comment_links_are_large_enough_targets_at_320_px(visit: Callable[..., Visit], path: str) -> None:
    """The axe WCAG 2.2 target-size rule (and the rest of WCAG A/AA) on threads at phone width."""
    view = visit(viewport={"width": 320, "height": 800})
    view.goto(path)
    assert view.page.locator(".comment-parent").count() > 0
    violations = Axe().run(view.page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe_violations(violations)


@contextmanager
def served_with(base: Path, posts: dict[str, str], comments: dict[str, dict[str, Any]] | None = None) -> Iterator[str]:
    """The real site with `posts` (file name: text) and `comments` (slug/file name: fields) added, built and served."""
    content = shutil.copytree(REPO / "content", base / "content")
    for name, text in posts.items():
        (content / "posts" / name).write_text(text, encoding="utf-8")
    for where, fields in (comments or {}).items():
        slug, name = where.split("/")
        write_comment(content / "comments" / slug, name, fields)
    build = build_site(content, base / "output")
    with serve(build.output) as url:
        yield url


@pytest.fixture(scope="module")
def five_sections(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real site with a post in a fifth category, served on 127.0.0.1."""
    with served_with(tmp_path_factory.mktemp("five-sections"), {"birthday-parties.md": FIFTH_SECTION}) as url:
        yield url


def test_menu_with_five_sections_stays_on_one_line_at_1280_px(browser: Any, five_sections: str) -> None:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(five_sections + "/")
        items = page.evaluate("""Array.from(document.querySelectorAll('.site-nav li'))
            .map((li) => [li.textContent.trim(), Math.round(li.getBoundingClientRect().top)])""")
    finally:
        context.close()
    names = [name for name, _top in items]
    assert "Celebrations" in names and names[-1] == "Archives"
    assert len({top for _name, top in items}) == 1, items


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_a_draft_preview_says_it_is_a_draft(visit: Callable[..., Visit], scheme: str) -> None:
    view = visit()
    view.page.emulate_media(color_scheme=scheme)
    view.goto("/drafts/tipping-abroad.html")
    assert view.page.title().startswith("Draft:")
    label = view.page.locator(".draft-label")
    assert label.is_visible() and label.inner_text().startswith("DRAFT")
    violations = Axe().run(view.page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe_violations(violations)
    view.goto("/2010/thank-you-note/")
    assert view.page.locator(".draft-label").count() == 0
    assert not view.page.title().startswith("Draft")


def test_the_form_states_the_limit_and_counts_down(visit: Callable[..., Visit]) -> None:
    view = visit()
    view.goto("/2010/thank-you-note/")
    help_text = " ".join(view.page.locator("#comment-body-help").inner_text().split())
    assert "Up to 10,000 characters" in help_text
    assert view.page.locator("#comment-body").get_attribute("maxlength") == "10000"
    counter = view.page.locator("#comment-body-counter")
    assert counter.is_visible()
    assert counter.inner_text() == "10,000 characters left"
    view.page.locator("#comment-body").fill("Thank you for this.")
    view.page.wait_for_function("document.getElementById('comment-body-counter').textContent.startsWith('9,981')")
    assert counter.inner_text() == "9,981 characters left"
    assert "comment-body-counter" in view.page.locator("#comment-body").get_attribute("aria-describedby")


def test_without_javascript_the_limit_is_still_stated(visit: Callable[..., Visit]) -> None:
    view = visit(java_script_enabled=False)
    view.goto("/2010/thank-you-note/")
    assert "Up to 10,000 characters" in " ".join(view.page.locator("#comment-body-help").inner_text().split())
    assert not view.page.locator("#comment-body-counter").is_visible()


CODE_POST = """Title: Seating Charts, Automated
Date: 2012-06-01 09:00
Category: Celebrations
Slug: seating-code

A small program that seats guests:

```python
def seat(guests):
    for guest in guests:
        place_guest_at_the_table_farthest_from_their_former_spouse(guest, tables=the_tables)
    return tables
```
"""
CODE_COMMENT = {
    "author": "Cody Reader", "date": "2012-06-02T09:00:00+00:00", "status": "approved",
    "body": "Mine:\n\n    if guest.arrives_late_and_wants_a_seat_next_to_the_host_anyway:\n        politely_decline()\n",
}
LINES_OF = """(pre) => {
  /* The top of each rendered line box of the block's text, and where each starts. */
  const walker = document.createTreeWalker(pre, NodeFilter.SHOW_TEXT);
  const starts = {};
  const range = document.createRange();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let i = 0; i < node.length; i++) {
      range.setStart(node, i); range.setEnd(node, i + 1);
      const box = range.getClientRects()[0];
      if (box && node.data[i] !== '\\n' && !(Math.round(box.top) in starts)) starts[Math.round(box.top)] = node.data[i];
    }
  }
  return Object.keys(starts).length;
}"""


@pytest.fixture(scope="module")
def code_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The real site with a post and a comment holding code lines wider than a phone, served on 127.0.0.1."""
    posts, comments = {"seating-code.md": CODE_POST}, {"seating-code/20120602T090000-cody.yaml": CODE_COMMENT}
    with served_with(tmp_path_factory.mktemp("code"), posts, comments) as url:
        yield url


def test_code_scrolls_sideways_at_320_px_instead_of_wrapping(browser: Any, code_site: str) -> None:
    """Each source line stays one line (no wrapped line at column 0), the block scrolls, the keyboard reaches it, axe is clean."""
    context = browser.new_context(viewport={"width": 320, "height": 800})
    try:
        page = context.new_page()
        page.goto(code_site + "/2012/seating-code/")
        # A post's block scrolls itself; a comment's body scrolls (its code may carry no attribute of the page's).
        for code, scroller, source_lines in ((".entry-content pre", ".entry-content pre", 4),
                                             (".comment-body pre", ".comment-body:has(pre)", 2)):
            assert page.locator(code).count() == 1 and page.locator(code).evaluate(LINES_OF) == source_lines
            box = page.locator(scroller)
            assert box.evaluate("(el) => el.scrollWidth > el.clientWidth")
            assert box.get_attribute("tabindex") == "0"
            box.focus()
            page.keyboard.press("ArrowRight")
            box.evaluate("(el) => new Promise((done) => { const t0 = Date.now(); (function wait() {"
                         " if (el.scrollLeft > 0 || Date.now() - t0 > 2000) done(); else requestAnimationFrame(wait); })(); })")
            assert box.evaluate("(el) => el.scrollLeft") > 0
        assert page.locator(".comment-body[tabindex]").count() == 1, "only a body holding code is a tab stop"
        width, client = page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]")
        assert width <= client
        violations = Axe().run(page, options=AXE_OPTIONS).response["violations"]
        assert not violations, describe_violations(violations)
    finally:
        context.close()


def test_a_paste_cut_to_the_limit_is_said_with_how_much_was_left_out(visit: Callable[..., Visit]) -> None:
    """A real paste (Ctrl+V) of 50 characters too many: the field keeps 10,000 and a notice names the 50 left out."""
    view = visit(permissions=["clipboard-read", "clipboard-write"])
    view.goto("/2010/thank-you-note/")
    body = view.page.locator("#comment-body")
    notice = view.page.locator("#comment-body-cut")
    assert not notice.is_visible()
    text = "x" * 9_990 + "\n" + "y" * 59
    view.page.evaluate("(text) => navigator.clipboard.writeText(text)", text)
    body.focus()
    view.page.keyboard.press("Control+V")
    view.page.wait_for_function("document.getElementById('comment-body').value.length > 0")
    assert len(body.input_value()) == 10_000
    assert notice.is_visible() and notice.get_attribute("role") == "alert"
    said = " ".join(notice.inner_text().split())
    assert f" {len(text) - 10_000} characters" in said and "10,000" in said
    assert "comment-body-cut" in body.get_attribute("aria-describedby")
    view.page.wait_for_function("document.getElementById('comment-body-counter').textContent.startsWith('0 ')")
    body.fill("Short.")
    view.page.keyboard.press("Control+A")
    view.page.evaluate("navigator.clipboard.writeText('A short paste.')")
    view.page.keyboard.press("Control+V")
    assert not notice.is_visible()
    violations = Axe().run(view.page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe_violations(violations)
