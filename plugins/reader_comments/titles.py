"""Titles as plain text: what the manifest, the feeds and the intake's pages show of an article's title."""

from __future__ import annotations

from markupsafe import Markup


def plain_title(text: str) -> str:
    """Plain text of a title that may carry typogrify markup (tags and no-break spaces)."""
    return " ".join(Markup(text).striptags().split())
