"""HTML comment bodies to CommonMark: what survives, what becomes text, and that no raw HTML is left."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup, Tag
from markdown_it import MarkdownIt

from pelican.plugins.reader_comments.importers.converter import _Tag
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
    # Text that Markdown would read as HTML, an entity, a heading or a quote, each alone in its text.
    ("<p>a &lt;b and &lt;/i&gt; &amp;lt; x &amp;#1; &amp; y</p>", "a \\<b and \\</i> \\&lt; x \\&#1; & y"),
    ("<p>&gt; not a quote</p>", "\\> not a quote"),
    ("<p>a\n# b\n  &gt; c</p>", "a\n\\# b\n\\> c"),
    ("<p>a # b &gt; c</p>", "a # b > c"),
    ("<p>*star* _u_</p>", "\\*star\\* \\_u\\_"),
    # Links: only web pages and mail, whatever the case or the spaces around the address.
    ('<a href="  https://x.example/">x</a>', "[x](  https://x.example/)"),
    ('<a href="HTTPS://X.EXAMPLE/">x</a>', "[x](HTTPS://X.EXAMPLE/)"),
    ('<a href="mailto:a@b.example">mail</a>', "[mail](mailto:a@b.example)"),
    ("<a>no href</a>", "no href"),
    ('<a href="ftp://x.example/">ftp</a>', "ftp"),
    # Images become their (escaped) alt text, or nothing.
    ('<p>a<img src="x.png">b</p>', "ab"),
    ('<img alt="&lt;b&gt; *x*">', "\\<b> \\*x\\*"),
    # Rules, headings and tables become paragraphs; other elements their text.
    ("<p>a</p><hr><p>b</p>", "a\n\nb"),
    ("<h1>T</h1>x", "T\n\nx"),
    ("<table><tr><th> h </th><td> a </td></tr><tr><td>b</td></tr></table>", "h  a\n\nb"),
    ("x<table><tr><td>a</td></tr></table>y", "x\n\na\n\ny"),
    ("<del>d</del><s>s</s><sub>1</sub><sup>2</sup><dl><dt>t</dt><dd>d</dd></dl><figure><figcaption>c</figcaption></figure>", "ds12tdc"),
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


def test_a_tag_finds_its_closest_parent_by_name_as_beautiful_soup_does() -> None:
    soup = BeautifulSoup('<div class="o"><p><div class="i"><b>x</b></div></p></div>', "html.parser", element_classes={Tag: _Tag})
    bold = soup.b
    assert isinstance(bold, _Tag)
    assert bold.find_parent("div")["class"] == ["i"]
    assert bold.find_parent("p").name == "p"
    assert bold.find_parent("table") is None
    assert bold.find_parent("div", {"class": "o"})["class"] == ["o"]
    assert bold.find_parent("div", class_="o")["class"] == ["o"]
    assert bold.find_parent(["p", "table"]).name == "p"
