"""Very deep reply chains: the page's nesting stays bounded, and Chromium keeps every reply in place.

A 400-deep chain of approved replies built into lists nested about 800 elements
deep. Chromium stops nesting at 512 and re-parents everything below, so replies
landed under the wrong comments. Past a fixed depth the lists must stop nesting
(replies follow their parent, and "in reply to" names it), with the visual
indentation still capped by COMMENTS_MAX_INDENT.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import html5lib
import pytest

from hostile_support import bounded, elements, has_class
from support.build import build_site, copy_fixture
from support.comments import comment_yaml
from support.web import chromium, require_chromium, serve

CHAIN = 400
PAGE = "2020/delta/index.html"
# Far below Chromium's 512, with room for the theme's own wrappers.
MAX_PAGE_DEPTH = 150


def _chain(folder: Path) -> dict[str, str | None]:
    """A 400-deep chain c0 <- c1 <- ... plus side branches at depths 50, 200 and 399; ids to parents."""
    parents: dict[str, str | None] = {}
    for n in range(CHAIN):
        parents[f"c{n:03d}"] = f"c{n - 1:03d}" if n else None
    for depth in (50, 200, 399):
        parents[f"side{depth}"] = f"c{depth - 1:03d}"
        parents[f"side{depth}x"] = f"side{depth}"
    folder.mkdir(parents=True)
    for n, (cid, parent) in enumerate(parents.items()):
        fields = {"author": f"Reader {cid}", "date": f"2020-02-01T09:{n // 60 % 60:02d}:{n % 60:02d}",
                  "status": "approved", "body": f"BODY-{cid}", "reply_to": parent}
        (folder / f"{cid}.yaml").write_text(comment_yaml(fields), encoding="utf-8")
    return parents


@pytest.fixture(scope="module")
def deep(tmp_path_factory) -> tuple[Path, dict[str, str | None]]:
    """The fixture site with the deep chain on the delta article, built with COMMENTS_MAX_INDENT=4."""
    base = tmp_path_factory.mktemp("deep")
    content = copy_fixture(base / "content")
    parents = _chain(content / "comments" / "delta")
    build = build_site(content, base / "output", COMMENTS_MAX_INDENT=4)
    assert not build.messages(), build.messages()
    return base / "output", parents


def _depths(root: Any) -> dict[int, int]:
    """The depth of every element below `root` (html5lib etree), by id()."""
    depth = {id(root): 1}
    stack = [root]
    while stack:
        element = stack.pop()
        for child in element:
            depth[id(child)] = depth[id(element)] + 1
            stack.append(child)
    return depth


def _ancestors(parents: dict[str, str | None], cid: str) -> list[str]:
    """The chain of comments `cid` answers, nearest first."""
    out = []
    while (cid := parents[cid]) is not None:
        out.append(cid)
    return out


def test_built_page_nests_no_deeper_than_a_bound(deep) -> None:
    output, parents = deep
    root = html5lib.parse((output / PAGE).read_text(encoding="utf-8"), namespaceHTMLElements=False)
    depth = _depths(root)
    assert max(depth.values()) <= MAX_PAGE_DEPTH, max(depth.values())
    items = [e for e in elements(root) if e.tag == "li" and has_class(e, "comment-item")]
    ids = [item.find("article").get("id").removeprefix("comment-") for item in items]
    assert sorted(ids) == sorted(parents)


def test_every_reply_names_its_parent_and_follows_it(deep) -> None:
    output, parents = deep
    page = (output / PAGE).read_text(encoding="utf-8")
    position = {cid: page.index(f'id="comment-{cid}"') for cid in parents}
    for cid, parent in parents.items():
        if parent is None:
            continue
        assert position[parent] < position[cid], cid
        assert f'href="#comment-{parent}">in reply to <bdi>Reader {parent}</bdi>' in page[position[cid]:], cid


CHECK = """() => {
  let deepest = 0;
  for (const e of document.querySelectorAll("*")) {
    let d = 0;
    for (let n = e; n; n = n.parentElement) d++;
    deepest = Math.max(deepest, d);
  }
  const items = {};
  for (const article of document.querySelectorAll("article.comment")) {
    const li = article.closest("li.comment-item");
    const outer = li && li.parentElement ? li.parentElement.closest("li.comment-item") : null;
    const first = outer ? outer.querySelector("article.comment") : null;
    items[article.id.slice(8)] = {outer: first ? first.id.slice(8) : null, left: article.getBoundingClientRect().left};
  }
  return {deepest, items};
}"""


def _in_chromium(output: Path) -> dict[str, Any]:
    """The page's deepest element and each comment's enclosing comment and left edge, as Chromium built it."""
    with serve(output) as base, chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 800})
        page.goto(f"{base}/{PAGE.removesuffix('index.html')}", wait_until="load")
        result = page.evaluate(CHECK)
        page.close()
    return result


def test_chromium_keeps_every_reply_under_its_own_thread(deep) -> None:
    require_chromium()
    output, parents = deep
    result, _ = bounded(120, _in_chromium, output)
    assert result["deepest"] <= MAX_PAGE_DEPTH, result["deepest"]
    items = result["items"]
    assert sorted(items) == sorted(parents)
    wrong = [cid for cid, item in items.items()
             if item["outer"] != parents[cid] and item["outer"] not in _ancestors(parents, cid)]
    assert not wrong, f"{len(wrong)} comments sit inside a comment they do not answer, e.g. {wrong[:3]}"
    # indentation stops at depth 4 and stays there
    lefts = [items[f"c{n:03d}"]["left"] for n in range(CHAIN)]
    assert lefts[:4] == sorted(set(lefts[:4])), lefts[:5]
    assert set(lefts[3:]) == {lefts[3]}, sorted(set(lefts[3:]))
