"""Render a comment body safely: CommonMark with raw HTML off, then an nh3 allowlist.

Comment bodies never touch the site's own Markdown pipeline. markdown-it-py
turns them into HTML (raw HTML stays text, links only for allowed schemes), and
nh3 then removes anything outside a short allowlist, so a bug in either layer
alone cannot let markup through.

What one comment may cost is bounded here too. Markdown copies a reference
definition into every use of it, percent-encoded, so a short body could expand
a thousandfold: a link address longer than MAX_LINK_LENGTH once encoded never
becomes a link, and `cost_problems` refuses a body with such an address or whose
HTML is larger than MAX_RENDERED_BYTES, or than RENDERED_RATIO times its own size
plus RENDERED_ALLOWANCE. The intake, the moderation check and the build all ask it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import normalizeLink
from markdown_it.rules_core import StateCore

ALLOWED_TAGS = frozenset({"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"})
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "ol": {"start"}}
URL_SCHEMES = frozenset({"http", "https", "mailto"})
LINK_REL = "nofollow ugc noopener noreferrer"
_SAFE_URL = re.compile(r"(?:https?://|mailto:)", re.IGNORECASE)
# Characters of a link's address once percent-encoded; a longer address stays text.
MAX_LINK_LENGTH = 2048
# Characters of a link's title; a longer title is dropped (a reference copies it into every use).
MAX_TITLE_LENGTH = 300
# A body's sanitized HTML may take at most this many UTF-8 bytes...
MAX_RENDERED_BYTES = 100_000
# ...and at most RENDERED_RATIO times the body's own UTF-8 size plus RENDERED_ALLOWANCE.
RENDERED_RATIO = 10
RENDERED_ALLOWANCE = 2_000
# What may be a link address in the source: a scheme the renderer links, up to a space or a bracket.
_ADDRESS = re.compile(r"(?:https?:|mailto:)[^\s<>]*", re.IGNORECASE)
# Addresses up to this many characters have their percent-encoded form remembered (the same sites recur across comments).
MEMO_LINK_LENGTH = 256

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


@dataclass(frozen=True, slots=True)
class Cost:
    """What a body costs once rendered: its own size, its HTML's size and its links."""

    source_bytes: int
    html_bytes: int
    links: int

    @property
    def allowed_bytes(self) -> int:
        """The most HTML a body of this size may render to."""
        return min(MAX_RENDERED_BYTES, RENDERED_RATIO * self.source_bytes + RENDERED_ALLOWANCE)


def _validate_link(url: str) -> bool:
    """Make links only for absolute http(s) and mailto URLs of bounded length; the rest stay text."""
    return len(url) <= MAX_LINK_LENGTH and bool(_SAFE_URL.match(url.strip()))


def _drop_long_titles(state: StateCore) -> None:
    """Remove link titles longer than MAX_TITLE_LENGTH, before they are copied into the HTML."""
    for block in state.tokens:
        for token in block.children or ():
            if token.type == "link_open" and len(str(token.attrs.get("title", ""))) > MAX_TITLE_LENGTH:
                del token.attrs["title"]


@lru_cache(maxsize=1024)
def _normalized_short(url: str) -> str:
    """The percent-encoded form of a short link address, computed once per address."""
    return normalizeLink(url)


def _normalize_link(url: str) -> str:
    """A link address percent-encoded (and its host in punycode) as markdown-it-py does, short ones remembered."""
    return _normalized_short(url) if len(url) <= MEMO_LINK_LENGTH else normalizeLink(url)


@lru_cache(maxsize=1)
def _parser() -> MarkdownIt:
    """The CommonMark parser for comments: no raw HTML, no images, no typographer."""
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.disable(["image", "html_block", "html_inline"])
    md.validateLink = _validate_link  # type: ignore[method-assign]  # markdown-it-py's documented way to vet links
    md.normalizeLink = _normalize_link  # type: ignore[method-assign]  # the same function, remembered for short addresses
    md.core.ruler.push("drop_long_titles", _drop_long_titles)
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


def cost(body: str, fragment: str) -> Cost:
    """The cost of `body`, given the HTML it rendered to."""
    return Cost(len(body.encode("utf-8", "surrogatepass")), len(fragment.encode("utf-8", "surrogatepass")), fragment.count("<a "))


def longest_link(body: str) -> int:
    """The length, percent-encoded, of the longest link address the source may hold (0 when none)."""
    if ":" not in body:  # every address has its scheme's colon: a body without one needs no scan
        return 0
    return max((len(_normalize_link(match.group())) for match in _ADDRESS.finditer(body)), default=0)


def cost_problems(body: str, fragment: str | None = None) -> list[str]:
    """Why a body costs too much to publish (an overlong link address, too much HTML); empty when it does not."""
    problems = []
    longest = longest_link(body)
    if longest > MAX_LINK_LENGTH:
        problems.append(f"'body' has a link address of {longest:,} characters once encoded; at most {MAX_LINK_LENGTH:,} are allowed")
    spent = cost(body, render_body(body) if fragment is None else fragment)
    if spent.html_bytes > spent.allowed_bytes:
        problems.append(
            f"'body' renders to {spent.html_bytes:,} bytes of HTML, more than the {spent.allowed_bytes:,} allowed for "
            f"its {spent.source_bytes:,} bytes ({spent.links:,} links); use fewer links or repeat them less"
        )
    return problems
