"""HTML comment bodies to CommonMark: what survives, what becomes text, and that no raw HTML is left."""

from __future__ import annotations

import pytest
from markdown_it import MarkdownIt

from pelican.plugins.reader_comments.importers.html_to_md import autop, to_markdown, to_markdown_all

CASES = [
    ("<p>One &amp; two</p><p>Three</p>", "One & two\n\nThree"),
    ("<p>a<br>b</p>", "a\\\nb"),
    ("<p><em>e</em> <i>i</i> <strong>s</strong> <b>b</b></p>", "*e* *i* **s** **b**"),
    ('<p><a href="https://x.example/?a=1&amp;b=2">x</a></p>', "[x](https://x.example/?a=1&b=2)"),
    ("<ul><li>one</li><li>two</li></ul>", "- one\n- two"),
    ("<ol><li>one</li><li>two</li></ol>", "1. one\n2. two"),
    ("<blockquote><p>q</p></blockquote>", "> q"),
    ("<p>use <code>x()</code></p>", "use `x()`"),
    ("<pre><code>a\n\nb</code></pre>", "```\na\n\nb\n```"),
    ('<p><a href="javascript:alert(1)">click</a></p>', "click"),
    ('<p><img src="x.png" alt="a cat"> <span style="x">span</span></p>', "a cat span"),
    ("<h2>Title</h2><p>text</p>", "Title\n\ntext"),
    ("<p>x</p><script>alert(1)</script><style>p{}</style>", "x"),
    ("<p>&lt;b&gt;bold?&lt;/b&gt; &amp;amp; &#8220;q&#8221;</p>", "\\<b>bold?\\</b> \\&amp; “q”"),
    ("<p># not a heading</p>", "\\# not a heading"),
    ("<table><tr><td>a</td><td>b</td></tr></table>", "a  b"),
]


@pytest.mark.parametrize(("html", "markdown"), CASES)
def test_conversion(html, markdown):
    assert to_markdown(html) == markdown


def test_wordpress_newlines_become_paragraphs_and_breaks():
    stored = "Line one\nline two\n\nPara two:\n<ul>\n<li>a</li>\n<li>b</li>\n</ul>\n\n<pre>x\n\ny</pre>\nafter"
    assert to_markdown(autop(stored)) == "Line one\\\nline two\n\nPara two:\n\n- a\n- b\n\n```\nx\n\ny\n```\n\nafter"


def test_no_raw_html_reaches_the_rendered_body():
    hostile = ('<p>&lt;script&gt;alert(1)&lt;/script&gt; <iframe src="https://e.example"></iframe> '
               '<b onclick="x()">b</b> &lt;img src=x onerror=alert(1)&gt;</p>')
    html = MarkdownIt("commonmark").render(to_markdown(hostile))
    assert "<script" not in html and "<img" not in html and "<iframe" not in html and "onclick" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_a_large_batch_converts_in_order_as_one_by_one():
    fragments = [f"<p>Comment {i} with <em>emphasis</em> &amp; <a href='https://e.example/{i}'>a link</a></p>" for i in range(600)]
    converted = to_markdown_all(fragments)
    assert converted == [f"Comment {i} with *emphasis* & [a link](https://e.example/{i})" for i in range(600)]


def test_lines_inside_a_pre_block_stay_apart_around_inner_tags():
    # Inside <pre>, markdownify keeps the newlines on both sides of a nested tag (it looks for a <pre> parent).
    assert to_markdown("<pre><code>x\n<b>\ny</b></code></pre>") == "```\nx\n\ny\n```"
