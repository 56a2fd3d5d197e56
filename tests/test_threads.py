"""Threading: linear reply matching, orphans, cycles, placeholders and depth."""

import sys
from datetime import datetime, timedelta, UTC
from pathlib import Path

from pelican.plugins.reader_comments.model import Comment
from pelican.plugins.reader_comments.threads import build, steps, walk

START = datetime(2010, 6, 1, tzinfo=UTC)


def make(cid: str, reply_to: str | None = None, status: str = "approved", minutes: int = 0) -> Comment:
    """A comment with the fields threading looks at."""
    return Comment(id=cid, article="post", path=Path(f"post/{cid}.yaml"), author=cid.upper(),
                   date=START + timedelta(minutes=minutes), status=status, body="b", reply_to=reply_to)


def shape(roots) -> list:
    """A thread as nested (id, [children]) pairs, for easy comparison."""
    return [(n.id, shape(n.children)) for n in roots]


def test_replies_nest_and_siblings_run_oldest_first():
    thread = build([make("c", minutes=3), make("a", minutes=1), make("b", "a", minutes=2),
                    make("d", "a", minutes=1), make("e", "b", minutes=5)])
    assert shape(thread.roots) == [("a", [("d", []), ("b", [("e", [])])]), ("c", [])]
    assert [n.depth for n in walk(thread.roots)] == [1, 2, 2, 3, 1]
    assert thread.count == 5
    assert thread.problems == []


def test_unpublished_comments_vanish_unless_they_hold_a_reply():
    thread = build([make("a", status="pending"), make("b", "a"), make("c", status="spam"),
                    make("d", status="rejected"), make("e", "d", status="pending")])
    assert shape(thread.roots) == [("a", [("b", [])])]
    placeholder = thread.roots[0]
    assert not placeholder.published
    assert [n.id for n in thread.published] == ["b"]


def test_placeholders_chain_through_several_hidden_levels():
    thread = build([make("a", status="spam"), make("b", "a", status="pending"), make("c", "b")])
    assert shape(thread.roots) == [("a", [("b", [("c", [])])])]
    assert thread.count == 1


def test_orphans_and_self_replies_are_reported_and_their_replies_kept():
    thread = build([make("a", "missing"), make("b", "a"), make("s", "s")])
    messages = [p.message for p in thread.problems]
    assert any("'missing': no such comment" in m for m in messages)
    assert any("replies to itself" in m for m in messages)
    # the orphan itself is not published, but its reply keeps its place under a placeholder
    assert shape(thread.roots) == [("a", [("b", [])])]
    assert [n.id for n in thread.published] == ["b"]


def test_cycles_are_reported_with_every_file():
    thread = build([make("a", "c"), make("b", "a"), make("c", "b"), make("x", "a"), make("ok")])
    cycle = [p for p in thread.problems if "cycle" in p.message]
    assert len(cycle) == 1
    named = {cycle[0].path, *cycle[0].related}
    assert named == {Path("post/a.yaml"), Path("post/b.yaml"), Path("post/c.yaml")}
    assert {n.id for n in thread.published} == {"x", "ok"}


def test_depth_of_thousands_does_not_recurse():
    depth = max(sys.getrecursionlimit() * 3, 5000)
    comments = [make("n0")] + [make(f"n{i}", f"n{i - 1}", minutes=i) for i in range(1, depth)]
    thread = build(list(reversed(comments)))
    assert thread.count == depth
    deepest = list(walk(thread.roots))[-1]
    assert deepest.depth == depth
    flat = list(steps(thread.roots, max_indent=4))
    assert len([s for s in flat if s.node is None]) == depth - 1
    assert [s.flat for s in flat if s.node is not None][:5] == [False, False, False, True, True]


def test_steps_open_and_close_every_reply_list():
    thread = build([make("a"), make("b", "a", minutes=1), make("c", "b", minutes=2), make("d", minutes=3)])
    kinds = ["close" if s.node is None else (s.node.id + ("+" if s.opens_replies else "")) for s in steps(thread.roots, 4)]
    assert kinds == ["a+", "b+", "c", "close", "close", "d"]


def test_linear_matching_scales():
    # 50,000 comments in long chains and wide fans thread in one pass each.
    comments = []
    for i in range(50_000):
        parent = None if i % 100 == 0 else f"c{i - 1 if i % 2 else i - (i % 100)}"
        comments.append(make(f"c{i}", parent, minutes=i))
    thread = build(comments)
    assert thread.count == 50_000
    assert len(thread.roots) == 500
