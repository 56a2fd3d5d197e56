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
from typing import Any

from bs4 import Tag
from markdownify import BACKSLASH, STRIP, MarkdownConverter

from . import fields
from .source import SourceComment

_LINK_SCHEMES = ("http://", "https://", "mailto:")
_TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_LINE_START = re.compile(r"(?m)^([ \t]*)([#>])")
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


class _Tag(Tag):
    """Beautiful Soup's tag, finding a parent by its name alone without building a search filter each time."""

    def find_parent(self, name: Any = None, attrs: Any = None, **kwargs: Any) -> Any:
        """The closest parent named `name`, as `Tag.find_parent` finds it (markdownify asks once per tag)."""
        if isinstance(name, str) and attrs is None and not kwargs:
            return next((parent for parent in self.parents if parent.name == name), None)
        return super().find_parent(name, attrs, **kwargs)


class _Converter(MarkdownConverter):
    """markdownify with only the comment-sized subset of Markdown; the rest becomes text."""

    def escape(self, text: str, parent_tags: Any) -> str:
        """Escape emphasis markers as markdownify does, plus anything Markdown would read as HTML."""
        text = super().escape(text, parent_tags)
        if "<" in text:
            text = _TAG_LIKE.sub(r"\\<", text)
        if "&" in text:
            text = _ENTITY_LIKE.sub(r"\\&", text)
        return _LINE_START.sub(r"\1\\\2", text) if "#" in text or ">" in text else text

    def convert_a(self, el: Any, text: str, parent_tags: Any) -> str:
        """Links only to web pages and mail; any other link is its text."""
        href = (el.get("href") or "").strip()
        if not href.lower().startswith(_LINK_SCHEMES):
            return text
        return super().convert_a(el, text, parent_tags)

    def convert_img(self, el: Any, text: str, parent_tags: Any) -> str:
        """An image becomes its alt text."""
        return self.escape(el.get("alt") or "", parent_tags)

    def convert_hN(self, n: int, el: Any, text: str, parent_tags: Any) -> str:  # noqa: N802 (markdownify's name)
        """A heading becomes a plain paragraph."""
        return self.convert_p(el, text, parent_tags)

    def convert_hr(self, el: Any, text: str, parent_tags: Any) -> str:
        """A rule is a paragraph break."""
        return "\n\n"

    def convert_td(self, el: Any, text: str, parent_tags: Any) -> str:
        """A table cell is its text."""
        return f" {text.strip()} "

    convert_th = convert_td

    def convert_tr(self, el: Any, text: str, parent_tags: Any) -> str:
        """A table row is a line of text."""
        return f"{text.strip()}\n\n"

    def convert_table(self, el: Any, text: str, parent_tags: Any) -> str:
        """A table is its rows as paragraphs."""
        return f"\n\n{text.strip()}\n\n"

    def _text_only(self, el: Any, text: str, parent_tags: Any) -> str:
        """Elements without a Markdown form keep their text."""
        return text

    convert_del = convert_s = convert_sub = convert_sup = convert_video = _text_only
    convert_dl = convert_dt = convert_dd = convert_caption = convert_figcaption = _text_only


_CONVERTER = _Converter(
    heading_style="atx", bullets="-", newline_style=BACKSLASH, escape_misc=False, autolinks=True, strip_document=STRIP,
    bs4_options={"features": "html.parser", "element_classes": {Tag: _Tag}},
)


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
    markdown = _CONVERTER.convert(html)
    return _EXTRA_BLANKS.sub("\n\n", markdown).strip()


def to_markdown_all(fragments: list[str]) -> list[str]:
    """`to_markdown` of every fragment, in order; a large batch is split across the machine's cores."""
    workers = min(os.cpu_count() or 1, 4)
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
