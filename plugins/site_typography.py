"""Give the site's name and subtitle the curly quotes and apostrophes TYPOGRIFY gives every title.

Pelican typographs titles and text but not settings, so "Diane's Guide" kept a
straight apostrophe beside "A Host’s Guide". The name is changed once, as
characters (not HTML entities), so pages, feeds and JSON-LD all read the same.
"""

from __future__ import annotations

import html

import smartypants
from pelican import signals

NAMES = ("SITENAME", "SITESUBTITLE")


def curly(text: str) -> str:
    """`text` with typographic quotes and apostrophes, as characters."""
    return html.unescape(smartypants.smartypants(text, smartypants.Attr.q))


def typograph_names(pelican) -> None:
    """With TYPOGRIFY on, curl the quotes of the site's name and subtitle."""
    settings = pelican.settings
    if not settings.get("TYPOGRIFY"):
        return
    for name in NAMES:
        if isinstance(settings.get(name), str):
            settings[name] = curly(settings[name])


def register() -> None:
    """Run when Pelican has read the settings."""
    signals.initialized.connect(typograph_names)
