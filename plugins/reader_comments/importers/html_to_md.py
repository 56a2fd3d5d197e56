"""HTML comment bodies (WordPress, Disqus) to CommonMark, with markdownify.

Paragraphs, line breaks, emphasis, links, lists, blockquotes and code keep their
Markdown form; every other element is reduced to its text (images to their alt
text; scripts and styles dropped). Entities are decoded, and text that would
read as HTML or as an entity in Markdown is backslash-escaped, so no raw HTML is
left in a body.
"""

from __future__ import annotations

import itertools
import os
import re
from concurrent.futures import ProcessPoolExecutor

from . import fields
from .source import SourceComment

_PRE = re.compile(r"<pre[\s>].*?</pre\s*>", re.IGNORECASE | re.DOTALL)
_BLANK_LINES = re.compile(r"\n[ \t]*\n+")
# A block tag, or the stand-in for a <pre> block set aside while paragraphs are found.
_BLOCK = r"(?:</?(?:p|div|ul|ol|li|blockquote|pre|h[1-6]|table|thead|tbody|tr|td|th|hr|dl|dt|dd|figure)\b[^>]*>|\x00[0-9]+\x00)"
_BLOCK_TAG_END = re.compile(_BLOCK + r"\s*\Z", re.IGNORECASE)
_BLOCK_TAG_START = re.compile(r"\s*" + _BLOCK, re.IGNORECASE)
_EXTRA_BLANKS = re.compile(r"\n{3,}")
# Converting this many bodies or more is shared with a second process (markdownify is pure Python).
PARALLEL_FROM = 400
_CHUNK = 250


def _lines_to_breaks(chunk: str) -> str:
    """Single newlines become <br>, except beside a block tag (a list's lines stay a list)."""
    lines = chunk.strip().split("\n")
    out = [lines[0]]
    for before, after in itertools.pairwise(lines):
        beside_block = _BLOCK_TAG_END.search(before) or _BLOCK_TAG_START.match(after)
        out.append(("\n" if beside_block else "<br>\n") + after)
    return "".join(out)


def autop(html: str) -> str:
    """WordPress's stored form to HTML: blank lines part paragraphs and single newlines are line breaks."""
    kept: list[str] = []

    def hold(match: re.Match[str]) -> str:
        """Set a <pre> block aside so its blank lines stay inside it."""
        kept.append(match.group(0))
        return f"\x00{len(kept) - 1}\x00"

    text = _PRE.sub(hold, html.replace("\r\n", "\n").replace("\r", "\n"))
    chunks = [
        _lines_to_breaks(chunk) if _BLOCK_TAG_START.match(chunk) else f"<div>{_lines_to_breaks(chunk)}</div>"
        for chunk in _BLANK_LINES.split(text.strip()) if chunk.strip()
    ]
    return re.sub("\x00([0-9]+)\x00", lambda m: kept[int(m.group(1))], "\n".join(chunks))


def to_markdown(html: str) -> str:
    """CommonMark for an HTML fragment, trimmed, with at most one blank line in a row."""
    from .converter import CONVERTER  # markdownify and Beautiful Soup are loaded only when a body is converted

    markdown = CONVERTER.convert(html)
    return _EXTRA_BLANKS.sub("\n\n", markdown).strip()


def to_markdown_all(fragments: list[str]) -> list[str]:
    """`to_markdown` of every fragment, in order; a large batch is split across the machine's cores."""
    workers = min(os.cpu_count() or 1, 4)
    if not fragments:
        return []
    from . import converter  # noqa: F401 (loaded once here, not again in each worker)

    if len(fragments) < PARALLEL_FROM or workers < 2:
        return [to_markdown(fragment) for fragment in fragments]
    try:
        with ProcessPoolExecutor(workers) as pool:
            return list(pool.map(to_markdown, fragments, chunksize=_CHUNK))
    except (OSError, RuntimeError):  # no processes to be had: convert here
        return [to_markdown(fragment) for fragment in fragments]


def convert_bodies(comments: list[SourceComment]) -> None:
    """Turn the bodies of `comments`, read as HTML, into Markdown (a placeholder when nothing is left)."""
    converted = to_markdown_all([comment.fields["body"] or "" for comment in comments])
    for comment, markdown in zip(comments, converted, strict=True):
        comment.fields["body"] = fields.body(markdown, deleted=comment.deleted)
