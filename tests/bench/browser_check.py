"""Open the huge article in headless Chromium: how long it takes, and whether deep threads stay readable.

Uses the project's browser helpers (tests/support/web.py): Debian's Chromium driven
by Playwright, the output folder served on 127.0.0.1. Without Chromium the
checks cannot run, and huge.py counts that as a failed check.
"""

from __future__ import annotations

import importlib.util
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from runner import REPO

MAX_LOAD_SECONDS = 10.0
MIN_WIDTH_SHARE = 0.6
VIEWPORTS = ((1280, 900), (390, 844))

_MEASURE = """([first, deepest]) => {
  const width = (id) => document.getElementById(id).querySelector('.comment-body').getBoundingClientRect().width;
  return {comments: document.querySelectorAll('article.comment').length, first: width(first), deepest: width(deepest)};
}"""
_IN_VIEW = """(id) => {
  const box = document.getElementById(id).getBoundingClientRect();
  return box.top >= 0 && box.top < innerHeight;
}"""
_TIMING = """() => {
  const nav = performance.getEntriesByType('navigation')[0];
  return {dom: nav.domContentLoadedEventEnd, load: nav.loadEventEnd};
}"""


@dataclass
class BrowserFigures:
    """What Chromium saw: load times (ms), comments in the DOM, and body widths per viewport (px)."""

    wall_seconds: float
    dom_ms: float
    load_ms: float
    comments: int
    widths: dict[str, tuple[float, float]] = field(default_factory=dict)
    permalink_in_view: bool = False


def _helpers() -> Any | None:
    """tests/support/web.py, loaded from its file, or None when it or Chromium is missing."""
    spec = importlib.util.spec_from_file_location("support_web", REPO / "tests" / "support" / "web.py")
    if spec is None or spec.loader is None:
        return None
    webtools = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(webtools)
    except (ImportError, OSError):
        return None
    return webtools if webtools.chromium_path() else None


def _measure(page: Any, url: str, first: str, deepest: str) -> BrowserFigures:
    """Load the page once per viewport and take the figures."""
    start = time.perf_counter()
    page.goto(url, wait_until="load", timeout=120_000)
    wall = time.perf_counter() - start
    timing = page.evaluate(_TIMING)
    figures = BrowserFigures(wall, timing["dom"], timing["load"], 0)
    for width, height in VIEWPORTS:
        page.set_viewport_size({"width": width, "height": height})
        seen = page.evaluate(_MEASURE, [f"comment-{first}", f"comment-{deepest}"])
        figures.comments = seen["comments"]
        figures.widths[f"{width}x{height}"] = (seen["first"], seen["deepest"])
    figures.permalink_in_view = _jump(page, f"comment-{deepest}")
    return figures


def _jump(page: Any, anchor: str) -> bool:
    """Follow the permalink `#anchor` and wait (up to 5 s, for smooth scrolling) until it is in view."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page.evaluate("(id) => { location.hash = '#' + id; }", anchor)
    try:
        page.wait_for_function(_IN_VIEW, arg=anchor, timeout=5_000)
    except PlaywrightTimeout:
        return False
    return True


def open_in_chromium(output: Path, page_path: Path, first: str, deepest: str) -> BrowserFigures | None:
    """Serve `output`, open the page, and measure it; None when Chromium is not available."""
    webtools = _helpers()
    if webtools is None:
        return None
    from playwright.sync_api import sync_playwright

    url_path = page_path.relative_to(output).as_posix()
    with webtools.serve(output) as base, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=webtools.chromium_path(), headless=True, args=webtools.CHROMIUM_ARGS)
        try:
            return _measure(browser.new_page(), f"{base}/{url_path}", first, deepest)
        finally:
            browser.close()
