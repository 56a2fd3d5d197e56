"""Comment threads as a reader sees them in Chromium: nesting, permalinks, phones, and no JavaScript needed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from playwright.sync_api import expect

from support.browser import DEEP_LEVELS, DEEP_URL, LONG_AUTHOR, MAX_INDENT, Visit, deep_comment_id

THREADS = {"reply-all": "/2010/reply-all/", "deep-thread": DEEP_URL}
PHONE = {"width": 320, "height": 700}

# Every comment with its box, and the comment it replies to (from the nesting of the lists).
LAYOUT = """() => Array.from(document.querySelectorAll("li.comment-item > article.comment")).map((e) => {
  const box = (node) => {
    const r = node.getBoundingClientRect();
    return {left: r.left, top: r.top, bottom: r.bottom, width: r.width};
  };
  const outer = e.parentElement.parentElement.closest("li.comment-item");
  const parent = outer ? outer.querySelector(":scope > article.comment") : null;
  const link = e.querySelector(".comment-parent");
  return {
    id: e.id,
    box: box(e),
    parent: parent ? parent.id : null,
    parentBox: parent ? box(parent) : null,
    flat: e.parentElement.parentElement.classList.contains("comment-replies--flat"),
    inReplyTo: link ? link.getAttribute("href") : null,
  };
})"""


def layout(visit: Visit, path: str) -> list[dict[str, Any]]:
    """The comments of `path` with their boxes and parents."""
    visit.goto(path)
    return visit.page.evaluate(LAYOUT)


def misplaced(comments: list[dict[str, Any]]) -> list[str]:
    """Replies that are not below their parent, not indented from it, or (when flat) not marked as replies."""
    problems = []
    for item in (c for c in comments if c["parent"]):
        box, parent = item["box"], item["parentBox"]
        if box["top"] < parent["bottom"] - 1:
            problems.append(f"{item['id']} starts at y={box['top']:.0f}, above its parent's end {parent['bottom']:.0f}")
        indent = box["left"] - parent["left"]
        if indent < (0 if item["flat"] else 8):
            problems.append(f"{item['id']} is indented {indent:.0f}px from its parent")
        if item["inReplyTo"] != f"#{item['parent']}":
            problems.append(f"{item['id']} has 'in reply to' {item['inReplyTo']}, not #{item['parent']}")
    return problems


@pytest.mark.parametrize("width", [320, 1280])
@pytest.mark.parametrize("thread", list(THREADS))
def test_replies_sit_under_their_parent_and_indented(visit: Callable[..., Visit], thread: str, width: int) -> None:
    """Each reply's box starts below its parent's and further right (up to the indent limit)."""
    comments = layout(visit(viewport={"width": width, "height": 800}), THREADS[thread])
    replies = [c for c in comments if c["parent"]]
    assert len(replies) >= 4, comments
    assert not misplaced(comments), misplaced(comments)


def test_deep_thread_nests_every_level_and_indents_up_to_the_limit(visit: Callable[..., Visit]) -> None:
    """The 10-deep thread: each comment answers the one before; COMMENTS_MAX_INDENT columns, then flat."""
    comments = {c["id"]: c for c in layout(visit(viewport=PHONE), DEEP_URL)}
    chain = [f"comment-{deep_comment_id(level)}" for level in range(1, DEEP_LEVELS + 1)]
    assert [comments[anchor]["parent"] for anchor in chain] == [None, *chain[:-1]]
    lefts = [comments[anchor]["box"]["left"] for anchor in chain]
    assert lefts[:MAX_INDENT] == sorted(set(lefts[:MAX_INDENT])), lefts
    assert set(lefts[MAX_INDENT:]) == {lefts[MAX_INDENT - 1]}, lefts


@pytest.mark.parametrize("thread", list(THREADS))
def test_comments_stay_readable_on_a_phone(visit: Callable[..., Visit], thread: str) -> None:
    """At 320 px even the deepest comment keeps two thirds of the screen for its text."""
    comments = layout(visit(viewport=PHONE), THREADS[thread])
    narrow = [(c["id"], round(c["box"]["width"])) for c in comments if c["box"]["width"] < PHONE["width"] * 2 / 3]
    assert not narrow, narrow


@pytest.mark.parametrize(
    ("path", "comment_id"),
    [
        ("/2010/reply-all/", "20101006T164500-lena-ortiz"),
        ("/2010/thank-you-note/", "20100601T144200-clay-morgan"),
        (DEEP_URL, deep_comment_id(DEEP_LEVELS)),
    ],
)
def test_permalink_shows_the_comment_and_focuses_it(visit: Callable[..., Visit], path: str, comment_id: str) -> None:
    """Opening url#comment-<id> shows that comment and moves keyboard focus to it."""
    view = visit(viewport=PHONE)
    view.goto(f"{path}#comment-{comment_id}")
    target = view.page.locator(f"#comment-{comment_id}")
    expect(target).to_be_in_viewport()
    expect(target).to_be_focused()
    assert view.page.evaluate("document.activeElement.id") == f"comment-{comment_id}"


def test_in_reply_to_link_moves_focus_to_the_parent(visit: Callable[..., Visit]) -> None:
    """Following a reply's 'in reply to' link with the keyboard lands on the parent comment."""
    view = visit(viewport=PHONE)
    view.goto(DEEP_URL)
    child, parent = (f"comment-{deep_comment_id(level)}" for level in (DEEP_LEVELS, DEEP_LEVELS - 1))
    view.page.locator(f"#{child} .comment-parent").focus()
    view.page.keyboard.press("Enter")
    expect(view.page).to_have_url(f"{view.base}{DEEP_URL}#{parent}")
    expect(view.page.locator(f"#{parent}")).to_be_in_viewport()
    expect(view.page.locator(f"#{parent}")).to_be_focused()


@pytest.mark.parametrize("thread", list(THREADS))
def test_thread_reads_without_javascript(visit: Callable[..., Visit], thread: str) -> None:
    """Without JavaScript every comment is shown, the reply buttons stay hidden and the form still posts."""
    view = visit(java_script_enabled=False)
    view.goto(THREADS[thread])
    comments = view.page.locator("article.comment")
    assert comments.count() >= (DEEP_LEVELS if thread == "deep-thread" else 6)
    for index in range(comments.count()):
        expect(comments.nth(index).locator(".comment-body")).to_be_visible()
    assert view.page.locator(".comment-reply").count() > 0
    assert view.page.locator(".comment-reply:visible").count() == 0
    expect(view.page.get_by_role("button", name="Post comment")).to_be_visible()


def test_script_shows_a_labelled_reply_button_for_each_comment(visit: Callable[..., Visit]) -> None:
    """With JavaScript each comment gets a visible 'Reply to <name>' button."""
    view = visit()
    view.goto("/2010/reply-all/")
    authors = view.page.locator("article.comment:not(.comment--placeholder) .comment-author").all_inner_texts()
    for author in authors:
        expect(view.page.get_by_role("button", name=f"Reply to {author}").first).to_be_visible()


def test_replying_to_a_long_name_on_a_phone_does_not_scroll_sideways(visit: Callable[..., Visit]) -> None:
    """'Replying to <80-character name>' in the form still fits a 320 px screen."""
    view = visit(viewport=PHONE)
    view.goto(DEEP_URL)
    name = f"{LONG_AUTHOR}{DEEP_LEVELS:02d}"
    view.page.get_by_role("button", name=f"Reply to {name}").click()
    expect(view.page.locator("#comment-form-replying")).to_contain_text(f"Replying to {name}")
    scroll, client = view.widths()
    assert scroll <= client, f"scrollWidth {scroll} > {client}"


ITEMS_STYLE = """() => Array.from(document.querySelectorAll("li.comment-item"),
    (e) => [e.querySelector(":scope > article.comment").id, getComputedStyle(e).contentVisibility,
            getComputedStyle(e).containIntrinsicSize])"""


def test_comments_below_the_fold_wait_to_be_painted(visit: Callable[..., Visit]) -> None:
    """Every comment, replies too, is laid out only near the viewport, and keeps a placeholder height until then."""
    view = visit()
    view.goto("/2010/reply-all/")
    styles = view.page.evaluate(ITEMS_STYLE)
    nested = view.page.locator("ol.comment-replies > li.comment-item").count()
    assert len(styles) == 11 and nested == 7
    assert {(visibility, size) for _, visibility, size in styles} == {("auto", "auto 120px")}, styles


def test_every_comment_is_laid_out_while_a_comment_is_the_target(visit: Callable[..., Visit]) -> None:
    """With #comment-… in the address nothing is skipped, so the comment stays where the browser scrolled."""
    view = visit(viewport=PHONE)
    view.goto("/2010/reply-all/#comment-20101006T164500-lena-ortiz")
    styles = view.page.evaluate(ITEMS_STYLE)
    assert len(styles) == 11 and {visibility for _, visibility, _ in styles} == {"visible"}, styles


def test_a_focused_comment_and_those_around_it_are_not_contained_so_its_focus_ring_shows(visit: Callable[..., Visit]) -> None:
    """Containment would clip a focused comment's outline at its list item's edges: that item and its ancestors are shown whole."""
    view = visit()
    view.goto("/2010/reply-all/")
    view.page.focus("#comment-20101006T121000-gwen-adair")
    visible = sorted(cid for cid, visibility, _ in view.page.evaluate(ITEMS_STYLE) if visibility == "visible")
    assert visible == ["comment-20101005T203000-gwen-adair", "comment-20101006T005500-raymond-k", "comment-20101006T121000-gwen-adair"]


# Every comment's and list's box, read with the comment items contained as the theme contains them, or not at all.
BOXES = """(contained) => {
  const style = document.createElement("style");
  const contain = contained ? "layout style paint" : "none";
  style.textContent = `.comment-item { content-visibility: visible !important; contain: ${contain} !important; }`;
  document.head.append(style);
  const boxes = Array.from(document.querySelectorAll(".comment, .comment-item, .comment-replies, .comment-thread"), (e) => {
    const r = e.getBoundingClientRect();
    return [e.id || e.className, r.x, r.y + window.scrollY, r.width, r.height];
  });
  style.remove();
  return boxes;
}"""


@pytest.mark.parametrize("width", [320, 1280])
@pytest.mark.parametrize("thread", list(THREADS))
def test_containing_the_comments_moves_none_of_them(visit: Callable[..., Visit], thread: str, width: int) -> None:
    """The containment that lets the browser skip far comments changes no comment's place or size once they are shown."""
    view = visit(viewport={"width": width, "height": 800})
    view.goto(THREADS[thread])
    contained, plain = view.page.evaluate(BOXES, True), view.page.evaluate(BOXES, False)
    assert len(plain) > 20
    assert [a for a, b in zip(contained, plain, strict=True) if a != b] == []
