"""markdownify set up for comment bodies: the comment-sized subset of Markdown, everything else as escaped text.

Imported only when a body is converted (`html_to_md.to_markdown`), so commands
that convert nothing never load markdownify and Beautiful Soup.
"""

from __future__ import annotations

import re
from typing import Any

import markdownify
from bs4 import Tag
from markdownify import BACKSLASH, STRIP

_LINK_SCHEMES = ("http://", "https://", "mailto:")
_TAG_LIKE = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY_LIKE = re.compile(r"&(?=#?[A-Za-z0-9]+;)")
_LINE_START = re.compile(r"(?m)^([ \t]*)([#>])")


class _Tag(Tag):
    """Beautiful Soup's tag, finding a parent by its name alone without building a search filter each time."""

    def find_parent(self, name: Any = None, attrs: Any = None, **kwargs: Any) -> Any:
        """The closest parent named `name`, as `Tag.find_parent` finds it (markdownify asks once per tag)."""
        if isinstance(name, str) and attrs is None and not kwargs:
            return next((parent for parent in self.parents if parent.name == name), None)
        return super().find_parent(name, attrs, **kwargs)


# markdownify's bundled stub leaves out the hooks a converter overrides (escape, convert_a, convert_p, ...).
_MarkdownConverter: Any = markdownify.MarkdownConverter


class _Converter(_MarkdownConverter):
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


CONVERTER = _Converter(
    heading_style="atx", bullets="-", newline_style=BACKSLASH, escape_misc=False, autolinks=True, strip_document=STRIP,
    bs4_options={"features": "html.parser", "element_classes": {Tag: _Tag}},
)
