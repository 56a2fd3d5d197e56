"""Rendering comment bodies: CommonMark, then the nh3 allowlist."""

import html5lib
import pytest

from pelican.plugins.reader_comments.render import ALLOWED_TAGS, LINK_REL, plain_text, render_body, sanitize

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


def elements(fragment: str):
    """Every element of an HTML fragment, as html5lib parses it."""
    tree = html5lib.parseFragment(fragment, namespaceHTMLElements=False)
    return list(tree.iter())[1:]


@pytest.mark.parametrize("source", HOSTILE)
def test_hostile_markdown_yields_only_allowed_markup(source):
    out = render_body(source)
    for element in elements(out):
        assert element.tag in ALLOWED_TAGS, out
        for name, value in element.attrib.items():
            assert not name.lower().startswith("on"), out
            assert name in {"href", "title", "rel", "start"}, out
            if name == "href":
                assert value.lower().startswith(("http://", "https://", "mailto:")), out
    assert "javascript:" not in "".join(e.get("href", "") for e in elements(out)).lower()


def test_allowed_markdown_survives():
    out = render_body("**b** _e_ `c`\n\n> q\n\n1. one\n2. two\n\n- x\n\n```\ncode <b>\n```\n\nline  \nbreak [l](https://example.com/?a=1&b=2)")
    for tag in ("<strong>b</strong>", "<em>e</em>", "<code>c</code>", "<blockquote>", "<ol>", "<ul>", "<pre><code>code &lt;b&gt;", "<br>"):
        assert tag in out, out
    assert f'<a href="https://example.com/?a=1&amp;b=2" rel="{LINK_REL}">l</a>' in out


def test_relative_links_are_not_links():
    assert "<a" not in render_body("[home](/index.html) [x](x.html) [f](//evil.example/)")


def test_mailto_is_kept_with_rel():
    assert f'href="mailto:ann@example.com" rel="{LINK_REL}"' in render_body("<mailto:ann@example.com>")


def test_headings_and_images_are_flattened():
    out = render_body("# Big\n\n![alt](https://example.com/a.png)")
    assert "<h1" not in out and "<img" not in out
    assert "Big" in out


def test_sanitize_is_idempotent_on_rendered_output():
    out = render_body("*a* [b](https://x.example) <i>c</i>")
    assert sanitize(out) == out


def test_plain_text_unescapes_once():
    assert plain_text(render_body("a & <b> **c**")) == "a & <b> c"
