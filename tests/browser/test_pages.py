"""Every kind of page in Chromium: accessibility (axe), console, requests, overflow and keyboard focus."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe

from support.browser import DEEP_URL, Visit

PAGES = {
    "index": "/",
    "article": "/2010/thank-you-note/",
    "thread": "/2010/reply-all/",
    "deep-thread": DEEP_URL,
    "category": "/category/correspondence/",
    "tag": "/tag/reply-all/",
    "archives": "/archives/",
    "page": "/about/",
    "404": "/404.html",
}
WIDTHS = (320, 768, 1280)
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}

OVERFLOWING = """() => {
  const limit = document.documentElement.clientWidth;
  return Array.from(document.querySelectorAll("body *"))
    .filter((e) => e.getBoundingClientRect().right > limit + 0.5)
    .slice(0, 8)
    .map((e) => `${e.tagName} .${e.className} right=${Math.round(e.getBoundingClientRect().right)}`);
}"""

LABEL_FOCUSABLES = """() => {
  const found = document.querySelectorAll("a[href], button, input, select, textarea, [tabindex]");
  found.forEach((e, i) => { e.dataset.probe = String(i); });
  return Array.from(document.querySelectorAll("a[href], button.comment-reply"))
    .filter((e) => e.checkVisibility({visibilityProperty: true}))
    .map((e) => e.dataset.probe);
}"""

FOCUSED = """() => {
  const e = document.activeElement;
  if (!e || e === document.body || e === document.documentElement) return null;
  if (!e.dataset.probe) {
    window.extraProbes = (window.extraProbes || 0) + 1;
    e.dataset.probe = `extra-${window.extraProbes}`;
  }
  const s = getComputedStyle(e);
  return {
    probe: e.dataset.probe,
    what: `${e.tagName}#${e.id} .${e.className} "${(e.textContent || "").trim().slice(0, 40)}"`,
    isSkipLink: e.classList.contains("skip-link"),
    outlineStyle: s.outlineStyle,
    outlineWidth: parseFloat(s.outlineWidth) || 0,
    boxShadow: s.boxShadow,
  };
}"""


def describe_violations(violations: list[dict[str, Any]]) -> str:
    """Axe violations as readable text: rule, impact, help, and each offending node."""
    lines = [f"{len(violations)} axe violation(s):"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation['impact']}): {violation['help']} <{violation['helpUrl']}>")
        for node in violation["nodes"]:
            lines.append(f"    at {' '.join(map(str, node['target']))}: {node['html'][:160]}")
            lines.extend(f"      {line}" for line in (node.get("failureSummary") or "").splitlines())
    return "\n".join(lines)


def has_focus_ring(state: dict[str, Any]) -> bool:
    """Whether a focused element draws an outline or a box-shadow ring."""
    outlined = state["outlineStyle"] != "none" and state["outlineWidth"] > 0
    return outlined or state["boxShadow"] not in ("", "none")


def tab_through(visit: Visit, limit: int) -> list[dict[str, Any]]:
    """Press Tab from the top of the page until focus leaves the page or comes round again."""
    seen: list[dict[str, Any]] = []
    for _ in range(limit):
        visit.page.keyboard.press("Tab")
        state = visit.page.evaluate(FOCUSED)
        if state is None or (seen and state["probe"] == seen[0]["probe"]):
            break
        seen.append(state)
    return seen


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("kind", list(PAGES))
def test_axe_finds_no_wcag_violations(visit: Callable[..., Visit], kind: str, scheme: str) -> None:
    """WCAG 2.0, 2.1 and 2.2 A and AA: no violations, in light and in emulated dark mode."""
    view = visit()
    view.page.emulate_media(color_scheme=scheme)
    view.goto(PAGES[kind])
    assert view.page.evaluate("matchMedia('(prefers-color-scheme: dark)').matches") == (scheme == "dark")
    violations = Axe().run(view.page, options=AXE_OPTIONS).response["violations"]
    assert not violations, describe_violations(violations)


@pytest.mark.parametrize("kind", list(PAGES))
def test_no_console_errors_and_nothing_leaves_the_machine(visit: Callable[..., Visit], kind: str) -> None:
    """The page logs no error and requests nothing but the local server."""
    view = visit()
    view.page.goto(view.base + PAGES[kind], wait_until="networkidle")
    assert view.requests, "no request was recorded"
    assert not view.errors, view.errors
    assert not view.outside_requests(), view.outside_requests()


@pytest.mark.parametrize("kind", list(PAGES))
def test_no_horizontal_scrolling(visit: Callable[..., Visit], kind: str) -> None:
    """At 320, 768 and 1280 px the page is never wider than the window."""
    view = visit()
    view.goto(PAGES[kind])
    problems = {}
    for width in WIDTHS:
        view.page.set_viewport_size({"width": width, "height": 800})
        scroll, client = view.widths()
        if scroll > client:
            problems[width] = f"scrollWidth {scroll} > {client}: {view.page.evaluate(OVERFLOWING)}"
    assert not problems, problems


@pytest.mark.parametrize("kind", list(PAGES))
def test_tab_reaches_skip_link_then_every_link_with_a_focus_ring(visit: Callable[..., Visit], kind: str) -> None:
    """Tab from the top: the skip link first, then every link and reply button, each with a focus ring."""
    view = visit()
    view.goto(PAGES[kind])
    expected = view.page.evaluate(LABEL_FOCUSABLES)
    visited = tab_through(view, limit=len(expected) + 40)
    assert visited and visited[0]["isSkipLink"], f"first Tab stop: {visited[:1]}"
    reached = {state["probe"] for state in visited}
    missed = view.page.evaluate(
        "(ids) => ids.map((id) => document.querySelector(`[data-probe='${id}']`).outerHTML.slice(0, 120))",
        [probe for probe in expected if probe not in reached],
    )
    assert not missed, f"never reached with Tab: {missed}"
    unringed = [state["what"] for state in visited if not has_focus_ring(state)]
    assert not unringed, f"no visible focus indicator: {unringed}"
