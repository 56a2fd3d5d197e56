"""The one-huge-article case: thousands of comments, deep threads, one page that must stay usable.

Checks made on the built page (each is reported, and any failure fails the bench):

- the build exits 0 and logs no warning or error;
- the page parses as HTML5 with no parse error (html5lib, the algorithm browsers use);
- every published comment, and every hidden comment kept as a placeholder because
  a published reply hangs below it, appears exactly once, and no other comment's
  id appears anywhere in the page;
- each comment's <li> sits inside its parent's, as reply_to says (roots at top level);
- the deepest element nesting stays below 512, where Chromium's parser stops nesting;
- reply lists are marked flat exactly from COMMENTS_MAX_INDENT down, so deep replies do not shrink to a sliver;
- the JSON-LD block parses, counts every published comment and lists the first ten;
- the page weighs at most MAX_BYTES_PER_COMMENT per comment shown;
- in headless Chromium (when installed, see browser_check.py): the page loads
  within MAX_LOAD_SECONDS, every comment is in the DOM, the deepest reply's text
  keeps at least MIN_WIDTH_SHARE of a top-level comment's width on a desktop
  and a phone viewport, and its permalink scrolls it into view.
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import html5lib
from browser_check import MAX_LOAD_SECONDS, MIN_WIDTH_SHARE, BrowserFigures, open_in_chromium
from pelican.settings import read_settings
from runner import REPO, build
from sitegen import CommentRef, SiteSpec, generate

MAX_BYTES_PER_COMMENT = 3072
BROWSER_DEPTH_LIMIT = 512
MAX_INDENT = int(read_settings(str(REPO / "pelicanconf.py")).get("COMMENTS_MAX_INDENT", 4))
_JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


@dataclass
class Check:
    """One named check and its outcome."""

    name: str
    ok: bool
    detail: str = ""


@dataclass
class HugeResult:
    """Figures and checks for the huge article."""

    comments: int
    shown: int
    published: int
    placeholders: int
    max_depth: int
    cold_seconds: float = 0.0
    warm_seconds: float = 0.0
    cold_maxrss_mb: float = 0.0
    page_bytes: int = 0
    jsonld_bytes: int = 0
    body_bytes: int = 0
    parse_seconds: float = 0.0
    dom_depth: int = 0
    browser: BrowserFigures | None = None
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when every check passed."""
        return all(check.ok for check in self.checks)
# Comments the JSON-LD lists in full (COMMENTS_JSONLD_MAX_COMMENTS' default).
JSONLD_LISTED = 10


def expected_shown(refs: list[CommentRef]) -> tuple[set[str], set[str]]:
    """Published ids, and hidden ids kept as placeholders (a published reply hangs below them)."""
    parent = {r.id: r.reply_to for r in refs}
    published = {r.id for r in refs if r.status == "approved"}
    placeholders: set[str] = set()
    for cid in published:
        up = parent[cid]
        while up is not None and up not in published and up not in placeholders:
            placeholders.add(up)
            up = parent[up]
    return published, placeholders


@dataclass
class PageShape:
    """What the parsed page holds: comment items, their enclosing comments, nesting depth, mis-flattened lists."""

    ids: Counter = field(default_factory=Counter)
    parents: dict[str, str | None] = field(default_factory=dict)
    deepest: int = 0
    wrong_flat: list[str] = field(default_factory=list)


def _walk(root: Any) -> PageShape:
    """Walk the parsed page without recursion, noting every comment item and reply list."""
    shape = PageShape()
    stack: list[tuple[Any, str | None, int, int]] = [(root, None, 0, 0)]
    while stack:
        element, parent_id, depth, comment_depth = stack.pop()
        shape.deepest = max(shape.deepest, depth)
        for child in element:
            if not isinstance(child.tag, str):
                continue
            classes = child.get("class", "").split()
            if child.tag == "li" and "comment-item" in classes:
                cid = child.find("article").get("id").removeprefix("comment-")
                shape.ids[cid] += 1
                shape.parents[cid] = parent_id
                stack.append((child, cid, depth + 1, comment_depth + 1))
                continue
            if "comment-replies" in classes and ("comment-replies--flat" in classes) != (comment_depth >= MAX_INDENT):
                shape.wrong_flat.append(parent_id or "?")
            stack.append((child, parent_id, depth + 1, comment_depth))
    return shape


def check_page(result: HugeResult, page: Path, refs: list[CommentRef]) -> None:
    """Run the usability checks on the built page and record the figures."""
    data = page.read_bytes()
    text = data.decode("utf-8")
    result.page_bytes = len(data)
    published, placeholders = expected_shown(refs)
    shown = published | placeholders
    start = time.perf_counter()
    parser = html5lib.HTMLParser(namespaceHTMLElements=False)
    root = parser.parse(data)
    result.parse_seconds = time.perf_counter() - start
    errors = [str(e) for e in parser.errors[:3]]
    result.checks.append(Check("parses as HTML5 without errors", not parser.errors, f"{len(parser.errors)} errors {errors}"))
    shape = _walk(root)
    twice = [cid for cid, n in shape.ids.items() if n > 1]
    leaked = [r.id for r in refs if r.id not in shown and (f'comment-{r.id}"' in text or f'"{r.id}"' in text)]
    result.checks.append(Check(
        "each shown comment appears once, no other comment's id appears", set(shape.ids) == shown and not twice and not leaked,
        f"{len(shape.ids)} comments on the page, expected {len(shown)}; {len(twice)} repeated; {len(leaked)} hidden ids found",
    ))
    reply_to = {r.id: r.reply_to for r in refs}
    wrong = [cid for cid in shown if shape.parents.get(cid, "missing") != reply_to[cid]]
    result.checks.append(Check("replies nest inside their parent", not wrong, f"{len(wrong)} misplaced"))
    result.dom_depth = shape.deepest
    result.checks.append(Check(f"element nesting below {BROWSER_DEPTH_LIMIT}", shape.deepest < BROWSER_DEPTH_LIMIT, f"deepest {shape.deepest}"))
    result.checks.append(Check(f"reply lists flat from depth {MAX_INDENT} on", not shape.wrong_flat, f"{len(shape.wrong_flat)} wrong"))
    _check_jsonld(result, text, published)
    result.body_bytes = sum(len(m.encode()) for m in re.findall(r'<div class="comment-body">\n(.*?)\n\s*</div>', text, re.S))
    per = result.page_bytes / max(1, len(shown))
    result.checks.append(Check(f"at most {MAX_BYTES_PER_COMMENT} bytes per comment shown", per <= MAX_BYTES_PER_COMMENT, f"{per:,.0f} bytes"))


def _check_jsonld(result: HugeResult, text: str, published: set[str]) -> None:
    """The structured data parses, counts every published comment and lists at most JSONLD_LISTED of them, all published."""
    match = _JSONLD.search(text)
    if match is None:
        result.checks.append(Check("JSON-LD counts the published comments", False, "no JSON-LD block"))
        return
    result.jsonld_bytes = len(match.group(1).encode())
    data = json.loads(match.group(1))
    listed = {item["@id"].rsplit("#comment-", 1)[1] for item in data.get("comment", [])}
    ok = listed <= published and len(listed) == min(JSONLD_LISTED, len(published)) and data.get("commentCount") == len(published)
    shown = f"{len(listed)} listed, count {data.get('commentCount')}"
    result.checks.append(Check(f"JSON-LD counts the published comments, lists {JSONLD_LISTED}", ok, shown))


def run_huge(base: Path, comments: int = 5000, depth: int = 50) -> HugeResult:
    """Generate, build (cold, then warm) and check the huge article."""
    spec = SiteSpec(articles=1, comments=comments, max_depth=depth, seed=11)
    content = base / "content"
    stats = generate(content, spec)
    published, placeholders = expected_shown(stats.index)
    result = HugeResult(comments, len(published | placeholders), len(published), len(placeholders), stats.max_depth)
    output, cache = base / "output", base / "cache"
    cold = build(content, output, cache)
    warm = build(content, output, cache)
    result.cold_seconds, result.warm_seconds = cold.seconds, warm.seconds
    result.cold_maxrss_mb = cold.maxrss_kb / 1024
    logged = cold.warnings + cold.errors + warm.warnings + warm.errors
    result.checks.append(Check("builds without warnings or errors", logged == 0, "; ".join(cold.messages + warm.messages)))
    pages = sorted(output.glob(f"*/{stats.slugs[0]}/index.html"))
    if not pages:
        result.checks.append(Check("article page written", False, "no page found"))
        return result
    check_page(result, pages[0], stats.index)
    check_in_browser(result, output, pages[0], stats.index)
    return result


def _depths(refs: list[CommentRef]) -> dict[str, int]:
    """Each comment's depth in its thread (1 for a top-level comment)."""
    parent = {r.id: r.reply_to for r in refs}
    depths: dict[str, int] = {}
    for ref in refs:  # parents come before their replies
        depths[ref.id] = 1 if ref.reply_to is None else depths[parent[ref.id]] + 1
    return depths


def check_in_browser(result: HugeResult, output: Path, page: Path, refs: list[CommentRef]) -> None:
    """Open the page in Chromium and check it stays usable; without Chromium that is a failed check, not a skip."""
    published = [r for r in refs if r.status == "approved"]
    depths = _depths(refs)
    first = next(r.id for r in published if r.reply_to is None)
    deepest = max(published, key=lambda r: depths[r.id]).id
    figures = open_in_chromium(output, page, first, deepest)
    result.browser = figures
    if figures is None:
        result.checks.append(Check("Chromium checks ran", False, "Chromium or the browser helpers are not available"))
        return
    result.checks.append(Check(f"Chromium loads it within {MAX_LOAD_SECONDS:.0f} s", figures.wall_seconds <= MAX_LOAD_SECONDS,
                               f"{figures.wall_seconds:.1f} s; DOMContentLoaded {figures.dom_ms:,.0f} ms, load {figures.load_ms:,.0f} ms"))
    result.checks.append(Check("every comment is in Chromium's DOM", figures.comments == result.shown, f"{figures.comments:,}"))
    shares = {name: deep / top for name, (top, deep) in figures.widths.items()}
    result.checks.append(Check(
        f"deepest reply (depth {depths[deepest]}) keeps {MIN_WIDTH_SHARE:.0%} of a top-level comment's width",
        all(share >= MIN_WIDTH_SHARE for share in shares.values()),
        ", ".join(f"{name}: {figures.widths[name][1]:.0f} of {figures.widths[name][0]:.0f} px" for name in shares),
    ))
    result.checks.append(Check("its permalink scrolls it into view", figures.permalink_in_view))


def report(result: HugeResult) -> list[str]:
    """Lines describing the huge article's figures and checks."""
    lines = [
        f"One huge article: {result.comments:,} comment files, threads to depth {result.max_depth}; "
        f"{result.published:,} published + {result.placeholders:,} placeholders shown",
        f"  build: cold {result.cold_seconds:.2f} s, warm {result.warm_seconds:.2f} s, peak {result.cold_maxrss_mb:.0f} MB",
        f"  page: {result.page_bytes:,} bytes ({result.page_bytes / max(1, result.shown):,.0f} per comment shown; "
        f"JSON-LD {result.jsonld_bytes:,}, comment bodies {result.body_bytes:,}); "
        f"html5lib parse {result.parse_seconds:.1f} s; deepest nesting {result.dom_depth} elements",
    ]
    for check in result.checks:
        lines.append(f"  {'PASS' if check.ok else 'FAIL'}  {check.name}" + (f" ({check.detail})" if check.detail else ""))
    return lines
