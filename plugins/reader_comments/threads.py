"""Thread one article's comments: linear reply matching, cycle detection, placeholders.

Everything here is iterative, so a thread of any depth stays clear of Python's
recursion limit, and every comment is visited a bounded number of times.
"""

from __future__ import annotations

from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field

from .comment_format import Comment
from .errors import Problem

# Reply lists nest in the page at most this deep; deeper replies follow their parent in its list.
# Browsers stop nesting elements at some depth (Chromium at 512) and re-parent everything below.
MAX_NESTING = 32


@dataclass(eq=False, slots=True)
class Node:
    """A place in a thread: a published comment, or a placeholder for a hidden parent."""

    comment: Comment
    published: bool
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    depth: int = 1

    @property
    def id(self) -> str:
        """The comment id, also the permalink fragment `comment-<id>`."""
        return self.comment.id


@dataclass(slots=True)
class Step:
    """One step of a flattened thread: open an item, close a reply list, or fold the replies that follow.

    A step with no node closes a reply list (`closes_more`: a folded one, inside
    its <details>); `more` > 0 starts the fold of that many further replies.
    """

    node: Node | None
    opens_replies: bool = False
    flat: bool = False
    more: int = 0
    closes_more: bool = False


@dataclass(slots=True)
class Thread:
    """An article's published discussion, ready to render."""

    roots: list[Node]
    published: list[Node]
    problems: list[Problem]

    @property
    def count(self) -> int:
        """How many comments are published."""
        return len(self.published)


def _sort_key(comment: Comment) -> tuple:
    """Siblings run oldest first; the id breaks ties so order is stable."""
    return (comment.date, comment.id)


def _pinned_first(nodes: list[Node]) -> list[Node]:
    """`nodes` with the published pinned ones moved to the front, each group keeping its order."""
    return sorted(nodes, key=lambda node: not (node.published and node.comment.pinned))


def order_roots(roots: Sequence[Node], newest: bool) -> list[Node]:
    """Top-level comments as an article wants them: pinned first, then oldest (or newest) first.

    Replies keep conversation order under their parent whatever the article's order.
    """
    ordered = sorted(roots, key=lambda node: _sort_key(node.comment), reverse=newest)
    return _pinned_first(ordered)


def _find_bad_links(by_id: dict[str, Comment]) -> tuple[set[str], list[Problem]]:
    """Ids whose reply_to is missing, themselves, or part of a cycle; one pass up each chain."""
    bad: set[str] = set()
    problems: list[Problem] = []
    state: dict[str, int] = {}  # 1 = on the current walk, 2 = settled
    for start in by_id:
        path: list[str] = []
        current: str | None = start
        while current is not None and state.get(current) is None:
            state[current] = 1
            path.append(current)
            parent = by_id[current].reply_to
            if parent is None:
                current = None
            elif parent == current:
                bad.add(current)
                problems.append(Problem(by_id[current].path, "comment replies to itself"))
                current = None
            elif parent not in by_id:
                bad.add(current)
                problems.append(Problem(by_id[current].path, f"reply_to {parent!r}: no such comment in this article"))
                current = None
            else:
                current = parent
        if current is not None and state.get(current) == 1:
            cycle = path[path.index(current):]
            bad.update(cycle)
            paths = [by_id[c].path for c in cycle]
            problems.append(Problem(paths[0], "reply_to forms a cycle", related=tuple(paths[1:])))
        for visited in path:
            state[visited] = 2
    return bad, problems


def build(comments: Sequence[Comment], withheld: Collection[str] = ()) -> Thread:
    """Thread comments of one article; unpublished parents of published replies become placeholders.

    Comments whose ids are in `withheld` are treated as unpublished (the build found them too costly).
    """
    by_id = {c.id: c for c in comments}
    bad, problems = _find_bad_links(by_id)
    nodes = {
        c.id: Node(c, published=c.published and c.id not in bad and c.id not in withheld)
        for c in sorted(comments, key=_sort_key)
    }
    roots: list[Node] = []
    for node in nodes.values():
        reply_to = node.comment.reply_to
        if reply_to is None or node.id in bad:
            roots.append(node)
        else:
            node.parent = nodes[reply_to]
            node.parent.children.append(node)
    _prune_and_depth(roots)
    roots = _pinned_first([r for r in roots if _visible(r)])
    published = [n for n in walk(roots) if n.published]
    return Thread(roots, published, problems)


def _visible(node: Node) -> bool:
    """A node is shown if published or if it keeps a published reply in place."""
    return node.published or bool(node.children)


def _prune_and_depth(roots: list[Node]) -> None:
    """Drop unpublished leaves bottom-up and set each node's depth, without recursion."""
    order: list[Node] = []
    stack = list(roots)
    for root in roots:
        root.depth = 1
    while stack:
        node = stack.pop()
        order.append(node)
        for child in node.children:
            child.depth = node.depth + 1
            stack.append(child)
    for node in reversed(order):  # children come after parents in `order`
        node.children = _pinned_first([c for c in node.children if _visible(c)])


def walk(roots: list[Node]) -> Iterator[Node]:
    """Every node in reading order (depth first, siblings oldest first)."""
    stack = list(reversed(roots))
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children))


def steps(
    roots: list[Node], max_indent: int, max_nesting: int = MAX_NESTING, collapse_after: int | None = None
) -> Iterator[Step]:
    """Flatten a thread into open/close steps, so templates nest lists without recursion.

    Reply lists below `max_indent` levels are marked flat: they no longer indent.
    Comments at `max_nesting` levels or deeper open no reply list: their replies
    follow them in the same list, in reading order (the "in reply to" link keeps
    the relation), so the page nests no deeper however long the chain.
    A reply list longer than `collapse_after` shows that many replies, then a
    step with `more` set folds the rest (closed by a step with `closes_more`).
    """
    stack: list[Node | Step] = list(reversed(roots))
    while stack:
        item = stack.pop()
        if isinstance(item, Step):
            yield item
            continue
        node = item
        opens = bool(node.children) and node.depth < max(1, max_nesting)
        yield Step(node, opens_replies=opens, flat=node.depth >= max_indent)
        children = node.children
        folded = opens and collapse_after is not None and len(children) > max(1, collapse_after)
        if opens:
            stack.append(Step(None, closes_more=folded))
        if folded:
            shown = max(1, collapse_after or 0)
            stack.extend(reversed(children[shown:]))
            stack.append(Step(None, flat=node.depth >= max_indent, more=len(children) - shown))
            children = children[:shown]
        stack.extend(reversed(children))
