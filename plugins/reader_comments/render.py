"""Render a comment body safely: CommonMark with raw HTML off, then an nh3 allowlist.

Comment bodies never touch the site's own Markdown pipeline. markdown-it-py
turns them into HTML (raw HTML stays text, links only for allowed schemes), and
nh3 then removes anything outside a short allowlist, so a bug in either layer
alone cannot let markup through.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = frozenset({"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener noreferrer"
_SAFE_URL = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)

_CLEANER = nh3.Cleaner(
    tags=set(ALLOWED_TAGS),
    clean_content_tags={"script", "style"},
    # "*" empty: nh3 would otherwise allow `title` and `lang` on every tag.
    attributes={"*": set(), **{k: set(v) for k, v in ALLOWED_ATTRIBUTES.items()}},
    url_schemes=set(URL_SCHEMES),
    link_rel=LINK_REL,
    url_relative="deny",
    strip_comments=True,
)
_TEXT_ONLY = nh3.Cleaner(tags=set(), clean_content_tags={"script", "style"}, attributes={})


def _validate_link(url: str) -> bool:
    """Make links only for absolute http(s) and mailto URLs; the rest stay text."""
    return bool(_SAFE_URL.match(url.strip()))


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """The CommonMark parser for comments: no raw HTML, no images, no typographer."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["image", "html_block", "html_inline"])
    md.validateLink = _validate_link
    return md


def sanitize(fragment: str) -> str:
    """Reduce an HTML fragment to the comment allowlist."""
    return _CLEANER.clean(fragment)


def markdown_html(markdown: str) -> str:
    """The Markdown layer alone: CommonMark to HTML, raw HTML kept as text, unsafe links left as text."""
    return _parser().render(markdown)


def render_body(markdown: str) -> str:
    """Turn a comment's Markdown into sanitized HTML."""
    return sanitize(markdown_html(markdown))


def plain_text(fragment: str) -> str:
    """The visible text of an HTML fragment, unescaped, for feeds' titles and JSON-LD."""
    return html.unescape(_TEXT_ONLY.clean(fragment)).strip()
