"""An article page with 1,000 approved comments: its HTML size, raw and compressed, and its first paint in Chromium.

It copies the site's content, adds one article with 1,000 approved comments
(seeded: 250 top-level, some with long reply lists, some chains 12 deep), and
builds it twice with the project's settings: with replies folded after
COMMENTS_COLLAPSE_AFTER (the default, 10) and with folding off (None), as
before folds existed. For each build it reports the page's bytes raw and
gzip-compressed at level 5 (as deploy/nginx.conf serves it), the deepest element
nesting and the element count, and, in headless Chromium, first paint and first
contentful paint (the median of --runs loads, each in a fresh context, from a
local server).

    make bench-page            # or: .venv/bin/python tests/bench/page_bench.py [--runs 7] [--json FILE]

With --comments N the article has N comments (a quarter of them top-level), and
two more builds are measured: the same article without comments, and with the
whole discussion in the JSON-LD (COMMENTS_JSONLD_MAX_COMMENTS None, as before it
was bounded). The pages load in alternating rounds, one of each per round, and
the report gives each page's first paint as a ratio to the page without
comments in the same round (median and smallest of the rounds), and its HTML as
a share of the page with the full JSON-LD.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))

from support.build import build_site  # noqa: E402
from support.comments import write_comment  # noqa: E402
from support.web import chromium, serve  # noqa: E402

SLUG = "a-thousand-comments"
URL = f"2012/{SLUG}/"
COMMENTS = 1000
TOP_LEVEL = 250
# The page must stay usable: these are the targets the figures are compared with.
MAX_GZIP_BYTES = 400_000
MAX_FIRST_PAINT_MS = 1500.0
MAX_DEPTH = 512
POST = f"""Title: A Thousand Opinions on Tipping
Date: 2012-02-01 09:00
Category: Table
Slug: {SLUG}
Author: Diane Schwartz

How much to tip, and whom: a question every reader has an answer to.
"""
WORDS = ("tip", "waiter", "service", "kind", "bill", "percent", "generous", "custom", "travel", "cash", "card",
         "counter", "coffee", "dinner", "manners", "always", "never", "usually", "abroad", "delivery")
# The paint timings, once Chromium has recorded both (they can come after the load event on a quick page),
# or what there is after five seconds.
PAINT = """() => new Promise((resolve) => {
  const seen = {};
  const done = () => resolve(seen);
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) seen[entry.name] = entry.startTime;
    if ('first-paint' in seen && 'first-contentful-paint' in seen) done();
  }).observe({type: 'paint', buffered: true});
  setTimeout(done, 5000);
})"""
SHAPE = """() => {
  let deepest = 0;
  const walk = [[document.documentElement, 1]];
  while (walk.length) {
    const [node, depth] = walk.pop();
    deepest = Math.max(deepest, depth);
    for (const child of node.children) walk.push([child, depth + 1]);
  }
  return {depth: deepest, elements: document.getElementsByTagName('*').length,
          comments: document.querySelectorAll('article.comment').length,
          folds: document.querySelectorAll('details.comment-more').length};
}"""


def body(rng: random.Random, number: int) -> str:
    """A comment of two to five sentences, with a link now and then."""
    sentences = []
    for _ in range(rng.randint(2, 5)):
        words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
        sentences.append(" ".join(words).capitalize() + ".")
    if number % 17 == 0:
        sentences.append("See [this guide](https://example.com/tipping).")
    return " ".join(sentences)


def add_article(content: Path, seed: int = 22, count: int = COMMENTS) -> None:
    """The article and its approved comments: top-level ones, long reply lists and deep chains."""
    rng = random.Random(seed)
    (content / "posts" / f"{SLUG}.md").write_text(POST, encoding="utf-8")
    folder = content / "comments" / SLUG
    ids: list[str] = []
    for number in range(count):
        cid = f"c{number:04d}"
        if number < count // 4:
            parent = None
        elif number < 400:  # long reply lists under the first ten comments
            parent = ids[number % 10]
        elif number < 460:  # five chains twelve deep
            parent = ids[number - 5] if number >= 405 else ids[20 + number - 400]
        else:
            parent = ids[rng.randrange(len(ids))]
        minute = number % 60
        fields = {"author": f"Reader {rng.randrange(400)}", "date": f"2012-02-{2 + number // 60:02d}T10:{minute:02d}:00-05:00",
                  "status": "approved", "reply_to": parent, "body": body(rng, number)}
        write_comment(folder, f"{cid}.yaml", fields)
        ids.append(cid)


def load_once(browser: Any, url: str) -> tuple[dict[str, float], dict[str, Any]]:
    """The paint timings and the DOM's shape of one fresh load of `url`."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(url, wait_until="load", timeout=120_000)
        return page.evaluate(PAINT), page.evaluate(SHAPE)
    finally:
        context.close()


def figures(paints: list[dict[str, float]], shape: dict[str, Any]) -> dict[str, Any]:
    """Median first paint and first contentful paint of the loads, every first paint, and the DOM's shape."""
    return {
        "first_paint_ms": statistics.median(p.get("first-paint", float("nan")) for p in paints),
        "first_contentful_paint_ms": statistics.median(p.get("first-contentful-paint", float("nan")) for p in paints),
        "first_paints_ms": [p.get("first-paint", float("nan")) for p in paints],
        **shape,
    }


def measure(browser: Any, url: str, runs: int) -> dict[str, Any]:
    """Median first paint and first contentful paint over `runs` fresh loads, and the DOM's shape."""
    loads = [load_once(browser, url) for _ in range(runs)]
    return figures([p for p, _ in loads], loads[-1][1])


def run_beside(runs: int, count: int) -> dict[str, Any]:
    """An article with `count` comments beside the same article without them and with its full JSON-LD, loads alternating."""
    builds: dict[str, dict[str, Any]] = {
        "no comments": {"COMMENTS_COLLAPSE_AFTER": 10},
        "folded after 10": {"COMMENTS_COLLAPSE_AFTER": 10},
        "not folded": {"COMMENTS_COLLAPSE_AFTER": None},
        "full JSON-LD": {"COMMENTS_COLLAPSE_AFTER": 10, "COMMENTS_JSONLD_MAX_COMMENTS": None},
    }
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="page-bench-") as tmp:
        base = Path(tmp)
        bare = Path(shutil.copytree(REPO / "content", base / "bare"))
        (bare / "posts" / f"{SLUG}.md").write_text(POST, encoding="utf-8")
        content = Path(shutil.copytree(REPO / "content", base / "content"))
        add_article(content, count=count)
        pages: dict[str, bytes] = {}
        for name, settings in builds.items():
            output = base / f"out-{len(pages)}"
            build_site(bare if name == "no comments" else content, output, **settings)
            pages[name] = (output / URL / "index.html").read_bytes()
        loads: dict[str, list[tuple[dict[str, float], dict[str, Any]]]] = {name: [] for name in builds}
        with chromium() as browser, serve(base) as server:
            for _ in range(runs):
                for number, name in enumerate(builds):
                    loads[name].append(load_once(browser, f"{server}/out-{number}/{URL}"))
        bare_paints = [p.get("first-paint", float("nan")) for p, _ in loads["no comments"]]
        for name, page in pages.items():
            mine = figures([p for p, _ in loads[name]], loads[name][-1][1])
            ratios = [m / b for m, b in zip(mine["first_paints_ms"], bare_paints, strict=True)]
            results[name] = {"html_bytes": len(page), "gzip5_bytes": len(gzip.compress(page, compresslevel=5)), **mine,
                             "paint_ratio_median": statistics.median(ratios), "paint_ratio_min": min(ratios),
                             "html_share_of_full_jsonld": len(page) / len(pages["full JSON-LD"])}
    return results


def report_beside(results: dict[str, Any], count: int) -> tuple[str, bool]:
    """The side-by-side figures, and whether the page with comments paints within 10% and weighs at most 70%."""
    lines = [f"Article page with {count:,} approved comments beside the same article without comments:", ""]
    lines.append(f"{'build':<16}{'HTML':>10}{'share':>7}{'first paint':>13}{'x bare (median, min)':>22}{'comments':>10}")
    for name, r in results.items():
        lines.append(f"{name:<16}{r['html_bytes']:>10,}{r['html_share_of_full_jsonld']:>7.0%}{r['first_paint_ms']:>11.0f}ms"
                     f"{r['paint_ratio_median']:>13.2f}x {r['paint_ratio_min']:.2f}x{r['comments']:>10}")
    folded = results["folded after 10"]
    ok = folded["paint_ratio_median"] <= 1.10 and folded["html_share_of_full_jsonld"] <= 0.70 and folded["comments"] == count
    lines.append("")
    lines.append(f"Targets: first paint within 10% of the page without comments (median of the rounds), HTML at most 70% "
                 f"of the page with the full JSON-LD: {'met' if ok else 'NOT MET'}")
    return "\n".join(lines) + "\n", ok


def run(runs: int) -> dict[str, Any]:
    """Build both ways, measure both pages; the figures by build."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="page-bench-") as tmp:
        base = Path(tmp)
        content = Path(shutil.copytree(REPO / "content", base / "content"))
        add_article(content)
        with chromium() as browser:
            for name, collapse in (("folded after 10", 10), ("not folded", None)):
                output = base / f"out-{collapse}"
                build_site(content, output, COMMENTS_COLLAPSE_AFTER=collapse)
                page = (output / URL / "index.html").read_bytes()
                with serve(output) as server:
                    figures = measure(browser, f"{server}/{URL}", runs)
                results[name] = {"html_bytes": len(page), "gzip5_bytes": len(gzip.compress(page, compresslevel=5)), **figures}
    return results


def report(results: dict[str, Any]) -> tuple[str, bool]:
    """The figures as a table, and whether every target is met."""
    lines = [f"Article page with {COMMENTS:,} approved comments (median of the loads):", ""]
    lines.append(f"{'build':<16}{'HTML':>12}{'gzip -5':>11}{'first paint':>13}{'FCP':>9}{'depth':>7}{'elements':>10}{'folds':>7}")
    ok = True
    for name, r in results.items():
        lines.append(f"{name:<16}{r['html_bytes']:>12,}{r['gzip5_bytes']:>11,}{r['first_paint_ms']:>11.0f}ms"
                     f"{r['first_contentful_paint_ms']:>7.0f}ms{r['depth']:>7}{r['elements']:>10,}{r['folds']:>7}")
        ok &= r["comments"] == COMMENTS and r["gzip5_bytes"] <= MAX_GZIP_BYTES and r["depth"] < MAX_DEPTH
        ok &= r["first_paint_ms"] <= MAX_FIRST_PAINT_MS
    lines.append("")
    lines.append(f"Targets: every comment in the page, gzip at most {MAX_GZIP_BYTES:,} bytes, depth below {MAX_DEPTH}, "
                 f"first paint within {MAX_FIRST_PAINT_MS:.0f} ms: {'met' if ok else 'NOT MET'}")
    return "\n".join(lines) + "\n", ok


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; exit 1 when a target is missed."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--comments", type=int, default=None, help="comments on the article, measured beside the bare article")
    args = parser.parse_args(argv)
    if args.comments is not None:
        results = run_beside(args.runs, args.comments)
        text, ok = report_beside(results, args.comments)
    else:
        results = run(args.runs)
        text, ok = report(results)
    sys.stdout.write(text)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
