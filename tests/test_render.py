"""Rendering comment bodies: CommonMark, then the nh3 allowlist, each layer also checked alone.

Expected markup comes from tests/support/expected_markup.py and from literal outputs here, never
from render.py, so a wider allowlist in the renderer fails these tests.
"""

import html5lib
import pytest

from pelican.plugins.reader_comments.render import (
    Cost,
    cost,
    cost_problems,
    longest_link,
    markdown_html,
    plain_text,
    render_body,
    sanitize,
)
from support.expected_markup import ALLOWED_TAGS, LINK_REL, SAFE_SCHEMES, allowed_attributes

# The cost caps, written out here: link addresses of at most 2,048 characters once percent-encoded,
# link titles of at most 300 characters, and body HTML of at most 10 bytes per source byte plus
# 2,000, never over 100,000.
MAX_LINK = 2_048
MAX_TITLE = 300
MAX_HTML = 100_000

HOSTILE = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;avascript&#x3A;alert(1))",
    "[x]( javascript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "![x](javascript:alert(1))",
    "![x](http://example.com/x.png)",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<svg onload=alert(1)>",
    "<iframe src=javascript:alert(1)></iframe>",
    "<a href=\"javascript:alert(1)\">x</a>",
    "<style>body{display:none}</style>",
    "<form action=http://evil/><button>x</button></form>",
    "<base href=http://evil/>",
    "<meta http-equiv=refresh content=0;url=http://evil/>",
    '[x](http://example.com "a\\" onmouseover=\\"alert(1))',
    "[x](http://example.com){: onclick=alert(1)}",
    "<div markdown=1 onclick=alert(1)>*x*</div>",
    "`<script>alert(1)</script>`",
    "    <script>alert(1)</script>",
]

# What the Markdown layer alone may emit: the body allowlist plus headings and rules, which nh3 flattens.
MARKDOWN_TAGS = ALLOWED_TAGS | {"h1", "h2", "h3", "h4", "h5", "h6", "hr"}

# Raw HTML given straight to nh3, and exactly what must come out.
SANITIZED = [
    ("<script>alert(1)</script>ok", "ok"),
    ("<style>body{display:none}</style>after", "after"),
    ("<p onclick=alert(1) onmouseover=x>hi</p>", "<p>hi</p>"),
    ('<p style="background:url(javascript:alert(1))">s</p>', "<p>s</p>"),
    ('<a href="javascript:alert(1)">x</a>', f'<a rel="{LINK_REL}">x</a>'),
    ('<a href="JaVaScRiPt:alert(1)">x</a>', f'<a rel="{LINK_REL}">x</a>'),
    ('<a href=" javascript:alert(1)">x</a>', f'<a rel="{LINK_REL}">x</a>'),
    ('<a href="\x01javascript:alert(1)">x</a>', f'<a rel="{LINK_REL}">x</a>'),
    ('<a href="&#106;avascript:alert(1)">x</a>', f'<a rel="{LINK_REL}">x</a>'),
    ('<a href="&#x6A;avascript&#x3A;alert(1)">x</a>', f'<a rel="{LINK_REL}">x</a>'),
    ('<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116'
     '&#0000058alert(1)">x</a>', f'<a rel="{LINK_REL}">x</a>'),
    ('<a href="java&#09;script:alert(1)">x</a>', f'<a rel="{LINK_REL}">x</a>'),
    ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', f'<a rel="{LINK_REL}">x</a>'),
    ('<a href="vbscript:msgbox(1)">x</a>', f'<a rel="{LINK_REL}">x</a>'),
    ('<a href="ftp://files.example/">x</a>', f'<a rel="{LINK_REL}">x</a>'),
    ('<a href="/relative">x</a>', f'<a rel="{LINK_REL}">x</a>'),
    ('<a href="//evil.example/">x</a>', f'<a rel="{LINK_REL}">x</a>'),
    ('<a href="https://example.com/" rel="opener" target="_blank" onclick="x">x</a>',
     f'<a href="https://example.com/" rel="{LINK_REL}">x</a>'),
    ('<a href="http://a.example" title="t" class="c" id="i" style="color:red" lang="en">x</a>',
     f'<a href="http://a.example" title="t" rel="{LINK_REL}">x</a>'),
    ('<a href="mailto:a@b.example">x</a>', f'<a href="mailto:a@b.example" rel="{LINK_REL}">x</a>'),
    ("<img src=x onerror=alert(1)>", ""),
    ('<img src="https://example.com/a.png" alt="pic">', ""),
    ("<svg onload=alert(1)><circle/></svg>", ""),
    ('<svg><a xlink:href="javascript:alert(1)">x</a></svg>', ""),
    ("<math><mtext><script>alert(1)</script></mtext></math>", ""),
    ('<iframe src="https://example.com"></iframe>', ""),
    ('<object data="x"></object><embed src="x">', ""),
    ('<base href="https://evil.example/">', ""),
    ('<meta http-equiv="refresh" content="0;url=https://evil.example/">', ""),
    ("<template><script>alert(1)</script></template>", ""),
    ('<form action="https://e.example"><input name=a><button>b</button></form>', "b"),
    ("<h1>Big</h1><div>d</div><span>s</span><table><tr><td>t</td></tr></table>", "Bigdst"),
    ("<b>b</b><i>i</i><u>u</u>", "biu"),
    ("<!-- c --><p>c</p>", "<p>c</p>"),
    ('<ol start="3" reversed type="a"><li value="2">x</li></ol>', '<ol start="3"><li>x</li></ol>'),
    ('<ul class="x" title="t" lang="fr"><li>y</li></ul>', "<ul><li>y</li></ul>"),
    ('<em title="t" lang="en">e</em><strong id="s">s</strong>', "<em>e</em><strong>s</strong>"),
    ('<blockquote cite="https://x.example">q</blockquote>', "<blockquote>q</blockquote>"),
    ('<pre><code class="language-py">x</code></pre>', "<pre><code>x</code></pre>"),
    ("<p>a<br>b</p>", "<p>a<br>b</p>"),
    ("<textarea><script>alert(1)</script></textarea>", "&lt;script&gt;alert(1)&lt;/script&gt;"),
    ('<noscript><p title="</noscript><img src=x onerror=alert(1)>"></noscript>', "&lt;p title=\"\"&gt;"),
]


def elements(fragment: str):
    """Every element of an HTML fragment, as html5lib parses it."""
    tree = html5lib.parseFragment(fragment, namespaceHTMLElements=False)
    return list(tree.iter())[1:]


def unsafe_markup(fragment: str, tags: frozenset[str]) -> list[str]:
    """Elements outside `tags`, handlers, attributes outside the allowlist, links with unsafe schemes."""
    problems = []
    for element in elements(fragment):
        if element.tag not in tags:
            problems.append(f"<{element.tag}>")
        for name, value in element.attrib.items():
            if name not in allowed_attributes(element.tag):
                problems.append(f"<{element.tag} {name}>")
            if name == "href" and not value.lower().startswith(SAFE_SCHEMES):
                problems.append(f"href={value!r}")
    return problems


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_yields_only_allowed_markup(source):
    out = render_body(source)
    assert unsafe_markup(out, ALLOWED_TAGS) == [], out
    assert all(e.get("rel") == LINK_REL for e in elements(out) if e.tag == "a"), out


@pytest.mark.parametrize("source", HOSTILE)
def test_markdown_layer_alone_makes_no_unsafe_markup(source):
    out = markdown_html(source)
    assert unsafe_markup(out, MARKDOWN_TAGS) == [], out


@pytest.mark.parametrize(("raw", "expected"), SANITIZED, ids=[raw[:40] for raw, _ in SANITIZED])
def test_sanitize_alone_reduces_raw_html_to_the_allowlist(raw, expected):
    assert sanitize(raw) == expected


def test_every_allowed_tag_and_attribute_survives_sanitizing():
    raw = ('<p>p<br><em>e</em><strong>s</strong><code>c</code></p><pre>r</pre><blockquote>q</blockquote>'
           '<ul><li>u</li></ul><ol start="2"><li>o</li></ol><a href="https://x.example/" title="T">a</a>')
    expected = ('<p>p<br><em>e</em><strong>s</strong><code>c</code></p><pre>r</pre><blockquote>q</blockquote>'
                f'<ul><li>u</li></ul><ol start="2"><li>o</li></ol><a href="https://x.example/" title="T" rel="{LINK_REL}">a</a>')
    assert sanitize(raw) == expected
    assert {e.tag for e in elements(expected)} == ALLOWED_TAGS


def test_raw_html_in_markdown_stays_text():
    assert markdown_html("a <b>x</b> <img src=x onerror=alert(1)>") == (
        "<p>a &lt;b&gt;x&lt;/b&gt; &lt;img src=x onerror=alert(1)&gt;</p>\n")
    assert render_body("<div>\n<script>x</script>\n</div>") == "<p>&lt;div&gt;\n&lt;script&gt;x&lt;/script&gt;\n&lt;/div&gt;</p>\n"


def test_markdown_links_only_for_absolute_http_and_mailto():
    assert markdown_html("[a](https://x.example/)") == '<p><a href="https://x.example/">a</a></p>\n'
    assert markdown_html("[a](HTTP://x.example/)") == '<p><a href="HTTP://x.example/">a</a></p>\n'
    assert markdown_html("[m](MAILTO:a@b.example)") == '<p><a href="MAILTO:a@b.example">m</a></p>\n'
    for text in ("[a](ftp://x.example/)", "[a](xhttp://x.example/)", "[a](https:x)", "[a](/home)", "[a](#top)"):
        assert markdown_html(text) == f"<p>{text}</p>\n"


def test_allowed_markdown_survives():
    out = render_body("**b** _e_ `c`\n\n> q\n\n1. one\n2. two\n\n- x\n\n```\ncode <b>\n```\n\nline  \nbreak [l](https://example.com/?a=1&b=2)")
    assert out == (
        "<p><strong>b</strong> <em>e</em> <code>c</code></p>\n<blockquote>\n<p>q</p>\n</blockquote>\n"
        "<ol>\n<li>one</li>\n<li>two</li>\n</ol>\n<ul>\n<li>x</li>\n</ul>\n<pre><code>code &lt;b&gt;\n</code></pre>\n"
        f'<p>line<br>\nbreak <a href="https://example.com/?a=1&amp;b=2" rel="{LINK_REL}">l</a></p>\n'
    )


def test_link_title_and_list_start_are_kept():
    assert render_body('[a](https://x.example "T")') == f'<p><a href="https://x.example" title="T" rel="{LINK_REL}">a</a></p>\n'
    assert render_body("3. x\n4. y") == '<ol start="3">\n<li>x</li>\n<li>y</li>\n</ol>\n'


def test_relative_links_are_not_links():
    assert "<a" not in render_body("[home](/index.html) [x](x.html) [f](//evil.example/)")


def test_mailto_is_kept_with_rel():
    assert render_body("<mailto:ann@example.com>") == (
        f'<p><a href="mailto:ann@example.com" rel="{LINK_REL}">mailto:ann@example.com</a></p>\n')


def test_headings_and_images_are_flattened():
    image = f'<p>!<a href="https://example.com/a.png" rel="{LINK_REL}">alt</a></p>\n'
    assert render_body("# Big\n\n![alt](https://example.com/a.png)\n\n---") == f"Big\n{image}\n"


def test_no_typographer_and_no_linkify():
    text = 'a -- b "q" (c) www.example.com https://x.example'
    assert render_body(text) == f"<p>{text}</p>\n"


def test_sanitize_is_idempotent_on_rendered_output():
    out = render_body("*a* [b](https://x.example) <i>c</i>")
    assert sanitize(out) == out


def test_plain_text_unescapes_once():
    assert plain_text(render_body("a & <b> **c**")) == "a & <b> c"


def test_plain_text_drops_tags_script_and_style_and_outer_space():
    assert plain_text("  <p>a</p><p>b</p>\n") == "ab"
    assert plain_text("<script>x</script>y<style>s</style>") == "y"
    assert plain_text("&amp;lt; &#106;") == "&lt; j"
    assert plain_text("") == ""


# ---------------------------------------------------------------- what a body may cost


def link_of(length: int) -> str:
    """An https address of exactly `length` ASCII characters (so the same once percent-encoded)."""
    head = "https://e.example/"
    return head + "a" * (length - len(head))


def test_a_link_address_at_the_cap_is_a_link_and_one_character_more_is_text():
    at_cap, over = link_of(MAX_LINK), link_of(MAX_LINK + 1)
    assert render_body(f"[a]({at_cap})") == f'<p><a href="{at_cap}" rel="{LINK_REL}">a</a></p>\n'
    assert render_body(f"[a]({over})") == f"<p>[a]({over})</p>\n"


def test_a_link_title_at_the_cap_is_kept_and_a_longer_one_dropped():
    kept, dropped = "t" * MAX_TITLE, "t" * (MAX_TITLE + 1)
    assert render_body(f'[a](https://x.example "{kept}")') == (
        f'<p><a href="https://x.example" title="{kept}" rel="{LINK_REL}">a</a></p>\n')
    assert render_body(f'[a](https://x.example "{dropped}")') == f'<p><a href="https://x.example" rel="{LINK_REL}">a</a></p>\n'
    # a reference copies its title into every use: each use loses it
    assert render_body(f'[a] [a]\n\n[a]: https://x.example "{dropped}"') == (
        f'<p><a href="https://x.example" rel="{LINK_REL}">a</a> <a href="https://x.example" rel="{LINK_REL}">a</a></p>\n')


def test_cost_counts_utf8_bytes_of_body_and_html_and_the_links():
    fragment = '<p><a href="https://x.example/">é</a> <a href="https://y.example/">b</a> <A HREF="z">c</A></p>'
    assert cost("é€😀", fragment) == Cost(source_bytes=2 + 3 + 4, html_bytes=len(fragment) + 1, links=2)
    assert cost("\ud800", "") == Cost(source_bytes=3, html_bytes=0, links=0)


def test_longest_link_is_the_longest_address_percent_encoded():
    assert longest_link("no address here, only text: https") == 0
    assert longest_link("") == 0
    body = "see https://e.example/éé and <http://x.y> or mailto:ann@b.example"
    assert longest_link(body) == len("https://e.example/") + 2 * len("%C3%A9")
    # A scheme alone, any case, and an address with no slash at all are counted too.
    assert longest_link("HTTPS:") == len("HTTPS:")
    assert longest_link("write to MailTo:ann@b.example please") == len("MailTo:ann@b.example")


def test_only_short_link_addresses_are_remembered_so_the_memo_stays_small():
    # Addresses of up to 256 characters keep their encoded form between bodies; a longer one is
    # encoded each time and never held (a few long addresses must not fill memory).
    from pelican.plugins.reader_comments import render

    memo = render._normalized_short
    memo.cache_clear()
    at_limit = "https://e.example/" + "é" * (256 - len("https://e.example/"))
    encoded_length = len("https://e.example/") + len("%C3%A9") * (256 - len("https://e.example/"))
    assert longest_link(f"see {at_limit} now") == encoded_length
    assert memo.cache_info().currsize == 1
    assert longest_link(f"see {at_limit}é now") == encoded_length + len("%C3%A9")
    assert memo.cache_info().currsize == 1
    assert render_body(f"[x]({at_limit})").count("%C3%A9") == 256 - len("https://e.example/")
    assert memo.cache_info().hits >= 1


def test_a_cheap_body_costs_nothing():
    assert cost_problems("Thanks, *Ann*: see [this](https://x.example/).") == []
    assert cost_problems(f"<{link_of(MAX_LINK)}>") == []


def test_a_link_address_over_the_cap_is_refused_with_its_length():
    assert cost_problems(f"<{link_of(MAX_LINK + 1)}>") == [
        "'body' has a link address of 2,049 characters once encoded; at most 2,048 are allowed"]


def test_html_over_ten_times_the_body_plus_2000_is_refused():
    body = "a" * 10  # 10 * 10 + 2,000 = 2,100 bytes of HTML allowed
    assert cost_problems(body, "x" * 2_100) == []
    assert cost_problems(body, '<a href="h">' + "x" * 2_089) == [
        "'body' renders to 2,101 bytes of HTML, more than the 2,100 allowed for its 10 bytes (1 links); "
        "use fewer links or repeat them less"]


def test_html_is_never_allowed_over_100000_bytes():
    body = "a" * 10_000  # ten times that plus 2,000 would be 102,000
    assert cost_problems(body, "x" * MAX_HTML) == []
    assert cost_problems(body, "x" * (MAX_HTML + 1)) == [
        "'body' renders to 100,001 bytes of HTML, more than the 100,000 allowed for its 10,000 bytes (0 links); "
        "use fewer links or repeat them less"]


def test_without_html_given_the_body_is_rendered_to_measure_it():
    bomb = "[r]: https://a.example/\n\n" + "[r] " * 600  # 2,425 bytes, each use some 60 bytes of HTML
    assert len(bomb.encode()) == 2_425
    problems = cost_problems(bomb)
    assert len(problems) == 1 and problems[0].startswith("'body' renders to ")
    assert problems[0].endswith(" allowed for its 2,425 bytes (600 links); use fewer links or repeat them less")
    assert cost_problems(bomb, "<p>short</p>") == []
