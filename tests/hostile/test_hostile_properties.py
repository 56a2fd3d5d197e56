"""Property-based tests of the renderer and the threader (hypothesis).

The renderer: whatever text a reader writes, the output holds only allowlisted
tags and attributes and safe links, and sanitizing is idempotent; the Markdown
layer and the nh3 layer each hold that line alone too. The threader: any graph
of reply_to pointers (missing, self, cycles, any status) threads without error
and loses no approved comment that is not itself in a bad link. The oracles
(allowlist, statuses, bad links) are written here, never read from the code.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import html5lib
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hostile_support import body_problems
from pelican.plugins.reader_comments.comment_format import Comment
from pelican.plugins.reader_comments.render import markdown_html, render_body, sanitize
from pelican.plugins.reader_comments.threads import build, steps, walk
from support.expected_markup import ALLOWED_TAGS, LINK_REL

SETTINGS = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
START = datetime(2020, 1, 1, tzinfo=UTC)

# Characters and pieces Markdown and HTML give meaning to, so generated text is mostly syntax.
SYNTAX = '<>[]()!&#;:"\'=/\\`*_ \n\t-+.~|{}%'
TOKENS = [
    "javascript:", "JaVaScRiPt:", "vbscript:", "data:text/html,", "http://", "https://x.example/", "mailto:",
    "&#106;", "&#x6A;", "&colon;", "&#09;", "&Tab;", "&quot;", "&lt;", "<script>", "</script>", "<img src=x ",
    "onerror=", "onclick=", "<a href=", "<svg ", "<math>", "<iframe ", "<style>", "<!--", "-->", "<![CDATA[",
    "](", "][", "[x]: ", "![", "<http://a>", "{: ", "markdown=1", "```", "    ", "> ", "- ", "1. ", "\n\n",
    "title=", "\"", "'", "\u202e", "\u200b", "\u0301", "\x00", "\x85", "\u2028",
]
# Written out here, not read from the model: only "approved" comments are ever shown.
STATUSES = ("pending", "approved", "rejected", "spam")
SHOWN_STATUS = "approved"
# What the Markdown layer alone may emit: the body allowlist plus headings and rules, which nh3 flattens.
MARKDOWN_TAGS = ALLOWED_TAGS | {"h1", "h2", "h3", "h4", "h5", "h6", "hr"}


def hostile_text() -> st.SearchStrategy[str]:
    """Text made of Markdown/HTML syntax, dangerous tokens, letters and arbitrary characters."""
    piece = st.one_of(
        st.sampled_from(TOKENS),
        st.text(alphabet=SYNTAX + "abcjsrptv", min_size=1, max_size=6),
        st.characters(codec="utf-8"),
    )
    return st.lists(piece, max_size=40).map("".join)


def fragment_problems(fragment: str, tags: frozenset[str] = ALLOWED_TAGS, rel: str | None = LINK_REL) -> list[str]:
    """Allowlist problems in an HTML fragment, as html5lib parses it."""
    return body_problems(html5lib.parseFragment(fragment, namespaceHTMLElements=False), tags, rel)


@SETTINGS
@given(hostile_text())
def test_rendered_text_stays_inside_the_allowlist(text: str) -> None:
    assert fragment_problems(render_body(text)) == []


@SETTINGS
@given(hostile_text())
def test_sanitized_html_stays_inside_the_allowlist(text: str) -> None:
    assert fragment_problems(sanitize(text)) == []


@SETTINGS
@given(hostile_text())
def test_markdown_layer_alone_makes_no_unsafe_markup(text: str) -> None:
    # A fenced block's info string becomes <code class="language-..."> (nh3 drops it): harmless text in an attribute.
    problems = fragment_problems(markdown_html(text), MARKDOWN_TAGS, rel=None)
    assert [p for p in problems if p != "<code class> is not allowed"] == []


@SETTINGS
@given(hostile_text())
def test_sanitizing_twice_changes_nothing(text: str) -> None:
    once = sanitize(text)
    assert sanitize(once) == once


@SETTINGS
@given(hostile_text())
def test_rendered_output_is_already_sanitized(text: str) -> None:
    out = render_body(text)
    assert sanitize(out) == out


# ---------------------------------------------------------------- the threader


@st.composite
def comment_graphs(draw: st.DrawFn) -> list[Comment]:
    """Comments with unique ids whose reply_to may be none, another id, themselves, or missing."""
    ids = draw(st.lists(st.text(alphabet="abcdef", min_size=1, max_size=2), max_size=24, unique=True))
    comments = []
    for cid in ids:
        parent = draw(st.one_of(st.none(), st.sampled_from(ids), st.just(cid), st.sampled_from(["x", "zz", "gone"])))
        status = draw(st.sampled_from(STATUSES))
        minutes = draw(st.integers(0, 3))
        comments.append(Comment(id=cid, article="post", path=Path(f"post/{cid}.yaml"), author=cid, status=status,
                                date=START + timedelta(minutes=minutes), body="b", reply_to=parent))
    return comments


def bad_links(comments: list[Comment]) -> set[str]:
    """Ids whose reply_to is missing, themselves, or on a cycle (an independent oracle)."""
    by_id = {c.id: c for c in comments}
    bad = set()
    for comment in comments:
        parent = comment.reply_to
        if parent is None:
            continue
        if parent == comment.id or parent not in by_id:
            bad.add(comment.id)
            continue
        current, steps_left = parent, len(comments)
        while current is not None and current in by_id and steps_left:
            if current == comment.id:
                bad.add(comment.id)
                break
            current, steps_left = by_id[current].reply_to, steps_left - 1
    return bad


@settings(max_examples=300, deadline=None)
@given(comment_graphs())
def test_any_reply_graph_threads_and_keeps_every_good_approved_comment(comments: list[Comment]) -> None:
    thread = build(list(comments))
    bad = bad_links(comments)
    expected = {c.id for c in comments if c.status == SHOWN_STATUS and c.id not in bad}
    published = [node.id for node in thread.published]
    assert len(published) == len(set(published))
    assert set(published) == expected
    nodes = list(walk(thread.roots))
    assert len(nodes) == len({id(node) for node in nodes})
    by_id = {c.id: c for c in comments}
    for node in nodes:
        assert node.published == (node.id in expected)
        assert node.published or any(n.published for n in walk(node.children)), f"empty placeholder {node.id}"
        if node.parent is None:
            assert node.depth == 1
        else:
            assert node.depth == node.parent.depth + 1
            assert node.comment.reply_to == node.parent.id
        parent = by_id[node.id].reply_to
        if node.published and parent is not None and node.id not in bad:
            assert node.parent is not None and node.parent.id == parent, f"{node.id} lost its place"
    named = {p.path for p in thread.problems} | {r for p in thread.problems for r in p.related}
    assert {Path(f"post/{cid}.yaml") for cid in bad} <= named
    flat = list(steps(thread.roots, 4))
    assert sum(s.node is None for s in flat) == sum(s.opens_replies for s in flat if s.node is not None)
