"""Threading: linear reply matching, orphans, cycles, placeholders and depth."""

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from pelican.plugins.reader_comments.comment_format import Comment
from pelican.plugins.reader_comments.threads import build, order_roots, steps, walk

START = datetime(2010, 6, 1, tzinfo=UTC)


def make(cid: str, reply_to: str | None = None, status: str = "approved", minutes: int = 0,
         pinned: bool = False) -> Comment:
    """A comment with the fields threading looks at."""
    return Comment(id=cid, article="post", path=Path(f"post/{cid}.yaml"), author=cid.upper(),
                   date=START + timedelta(minutes=minutes), status=status, body="b", reply_to=reply_to,
                   pinned=pinned)


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
    assert [str(p) for p in thread.problems] == [
        "post/a.yaml: reply_to 'missing': no such comment in this article",
        "post/s.yaml: comment replies to itself",
    ]
    # the orphan itself is not published, but its reply keeps its place under a placeholder
    assert shape(thread.roots) == [("a", [("b", [])])]
    assert [n.id for n in thread.published] == ["b"]


def test_cycles_are_reported_with_every_file():
    thread = build([make("a", "c"), make("b", "a"), make("c", "b"), make("x", "a"), make("ok")])
    assert [(p.message, p.line) for p in thread.problems] == [("reply_to forms a cycle", None)]
    named = {thread.problems[0].path, *thread.problems[0].related}
    assert named == {Path("post/a.yaml"), Path("post/b.yaml"), Path("post/c.yaml")}
    assert len(thread.problems[0].related) == 2
    assert {n.id for n in thread.published} == {"x", "ok"}


def test_depth_of_thousands_does_not_recurse():
    depth = max(sys.getrecursionlimit() * 3, 5000)
    comments = [make("n0")] + [make(f"n{i}", f"n{i - 1}", minutes=i) for i in range(1, depth)]
    thread = build(list(reversed(comments)))
    assert thread.count == depth
    deepest = list(walk(thread.roots))[-1]
    assert deepest.depth == depth
    flat = list(steps(thread.roots, max_indent=4))
    assert len([s for s in flat if s.node is None]) == 31  # lists nest 32 levels, no deeper
    assert [s.node.id for s in flat if s.node is not None] == [f"n{i}" for i in range(depth)]
    assert len([s for s in steps(thread.roots, max_indent=4, max_nesting=depth)]) == 2 * depth - 1
    assert [s.flat for s in flat if s.node is not None][:5] == [False, False, False, True, True]


def test_steps_open_and_close_every_reply_list():
    thread = build([make("a"), make("b", "a", minutes=1), make("c", "b", minutes=2), make("d", minutes=3)])
    kinds = ["close" if s.node is None else (s.node.id + ("+" if s.opens_replies else "")) for s in steps(thread.roots, 4)]
    assert kinds == ["a+", "b+", "c", "close", "close", "d"]


def test_steps_at_a_nesting_of_one_or_less_open_no_reply_list():
    thread = build([make("a"), make("b", "a", minutes=1), make("c", "b", minutes=2), make("d", minutes=3)])
    for max_nesting in (1, 0, -5):
        kinds = [(s.node.id, s.opens_replies) for s in steps(thread.roots, 4, max_nesting=max_nesting)]
        assert kinds == [("a", False), ("b", False), ("c", False), ("d", False)]
    two = ["close" if s.node is None else (s.node.id + ("+" if s.opens_replies else "")) for s in steps(thread.roots, 4, 2)]
    assert two == ["a+", "b", "c", "close", "d"]


class CountingId(str):
    """A comment id that counts how often it is hashed or compared, and fails past `limit`."""

    uses = 0
    limit = 0

    def _use(self) -> None:
        """Count one use; fail at once past the limit, so quadratic work fails fast instead of hanging."""
        CountingId.uses += 1
        if CountingId.uses > CountingId.limit:
            raise AssertionError(f"threading used ids more than {CountingId.limit} times")

    def __hash__(self) -> int:
        """The string's hash, counted."""
        self._use()
        return str.__hash__(self)

    def __eq__(self, other: object) -> bool:
        """String equality, counted."""
        self._use()
        return str.__eq__(self, other)


def test_linear_matching_scales():
    # 50,000 comments in long chains and wide fans thread in one pass each: a bounded number
    # of id lookups per comment (17 today), where matching replies by search would need billions.
    count = 50_000
    comments = []
    CountingId.uses, CountingId.limit = 0, 10 * count
    for i in range(count):
        parent = None if i % 100 == 0 else CountingId(f"c{i - 1 if i % 2 else i - (i % 100)}")
        comments.append(make(CountingId(f"c{i}"), parent, minutes=i))
    CountingId.uses, CountingId.limit = 0, 25 * count
    thread = build(comments)
    assert thread.count == count
    assert len(thread.roots) == 500


def step_list(roots, **options) -> list[tuple]:
    """Each step as (id or None, opens_replies, flat, more, closes_more)."""
    return [(s.node.id if s.node else None, s.opens_replies, s.flat, s.more, s.closes_more)
            for s in steps(roots, **options)]


def five_replies():
    """One comment with five replies, oldest first r1..r5, and a second top-level comment."""
    return build([make("a"), *(make(f"r{i}", "a", minutes=i) for i in range(1, 6)), make("z", minutes=9)]).roots


def test_a_long_reply_list_shows_the_first_replies_then_folds_the_rest():
    assert step_list(five_replies(), max_indent=4, collapse_after=2) == [
        ("a", True, False, 0, False),
        ("r1", False, False, 0, False), ("r2", False, False, 0, False),
        (None, False, False, 3, False),
        ("r3", False, False, 0, False), ("r4", False, False, 0, False), ("r5", False, False, 0, False),
        (None, False, False, 0, True),
        ("z", False, False, 0, False),
    ]


def test_the_fold_is_flat_where_its_list_no_longer_indents():
    folded = step_list(five_replies(), max_indent=1, collapse_after=4)
    assert folded == [
        ("a", True, True, 0, False),
        ("r1", False, True, 0, False), ("r2", False, True, 0, False), ("r3", False, True, 0, False),
        ("r4", False, True, 0, False),
        (None, False, True, 1, False),
        ("r5", False, True, 0, False),
        (None, False, False, 0, True),
        ("z", False, True, 0, False),
    ]


def test_a_list_no_longer_than_the_limit_is_not_folded_and_a_limit_below_one_shows_one():
    whole = [(f"r{i}", False, False, 0, False) for i in range(1, 6)]
    unfolded = [("a", True, False, 0, False), *whole, (None, False, False, 0, False), ("z", False, False, 0, False)]
    assert step_list(five_replies(), max_indent=4, collapse_after=5) == unfolded
    assert step_list(five_replies(), max_indent=4, collapse_after=None) == unfolded
    for limit in (1, 0):
        assert step_list(five_replies(), max_indent=4, collapse_after=limit) == [
            ("a", True, False, 0, False), ("r1", False, False, 0, False), (None, False, False, 4, False),
            *whole[1:], (None, False, False, 0, True), ("z", False, False, 0, False)]


def test_two_replies_fold_after_one_but_one_reply_never_folds():
    two = build([make("a"), make("b", "a", minutes=1), make("c", "a", minutes=2)]).roots
    assert step_list(two, max_indent=4, collapse_after=1) == [
        ("a", True, False, 0, False), ("b", False, False, 0, False), (None, False, False, 1, False),
        ("c", False, False, 0, False), (None, False, False, 0, True)]
    one = build([make("a"), make("b", "a", minutes=1)]).roots
    assert step_list(one, max_indent=4, collapse_after=1) == [
        ("a", True, False, 0, False), ("b", False, False, 0, False), (None, False, False, 0, False)]


def test_published_pinned_comments_come_first_and_each_group_keeps_its_order():
    thread = build([make("old", minutes=0), make("held", status="pending", minutes=1, pinned=True),
                    make("reply", "held", minutes=2), make("pin1", minutes=3, pinned=True), make("mid", minutes=4),
                    make("pin2", minutes=5, pinned=True)])
    assert [n.id for n in order_roots(thread.roots, newest=False)] == ["pin1", "pin2", "old", "held", "mid"]
    assert [n.id for n in order_roots(thread.roots, newest=True)] == ["pin2", "pin1", "mid", "held", "old"]


def test_a_pinned_reply_leads_its_siblings_only_when_published():
    thread = build([make("a"), make("r1", "a", minutes=1), make("r2", "a", minutes=2, pinned=True),
                    make("r3", "a", minutes=3, status="rejected", pinned=True), make("r4", "r3", minutes=4)])
    assert shape(thread.roots) == [("a", [("r2", []), ("r1", []), ("r3", [("r4", [])])])]
