"""Every COMMENTS_* setting and its default, in one place.

Pelican settings (pelicanconf.py) override these; the intake service also lets an
environment variable of the same name override each one.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

DEFAULTS: dict[str, Any] = {
    # Folder of comment files, relative to Pelican's PATH.
    "COMMENTS_PATH": "comments",
    # Fail the build (non-zero exit) on any bad comment file instead of skipping it.
    "COMMENTS_STRICT": False,
    # Reply lists indent this many levels; deeper replies stay at that level.
    "COMMENTS_MAX_INDENT": 4,
    # Default for articles without `Comments:` metadata: open, closed or off.
    "COMMENTS_DEFAULT_MODE": "open",
    # Close an article's comments this many days after it is published (None: never).
    "COMMENTS_CLOSE_AFTER_DAYS": None,
    # strftime format of the visible comment date.
    "COMMENTS_DATE_FORMAT": "%B %-d, %Y at %-I:%M %p",
    # Show a locally generated avatar (an inline SVG; no third-party requests).
    "COMMENTS_AVATARS": True,
    # Per-article Atom feed of comments; {slug} is the article's slug. None turns it off.
    "COMMENTS_FEED_ATOM": "feeds/comments/{slug}.atom.xml",
    # Site-wide feed of recent comments. None turns it off.
    "COMMENTS_FEED_RECENT_ATOM": "feeds/comments.atom.xml",
    "COMMENTS_FEED_MAX_ITEMS": 50,
    # Where the build writes the list of articles and published comments for the intake service.
    "COMMENTS_MANIFEST_SAVE_AS": "comments-manifest.json",
    # Cache valid comment files, rendered bodies and comment feeds across builds in CACHE_PATH.
    "COMMENTS_RENDER_CACHE": True,
    # On a cold build with many bodies to render, let a forked helper process render half.
    "COMMENTS_PARALLEL_RENDER": True,
    # URL the comment form posts to; None renders no form.
    "COMMENTS_SUBMIT_URL": None,
    # Shown instead of the form when there is no COMMENTS_SUBMIT_URL.
    "COMMENTS_CONTACT_EMAIL": None,
    # Intake service: page (relative to SITEURL) a browser is sent to after posting.
    "COMMENTS_THANKS_URL": "comment-received/",
    # Intake service: Origins allowed to post (besides SITEURL's own); requests with no Origin pass.
    "COMMENTS_ALLOWED_ORIGINS": [],
    # Intake service: submissions per client address per window; 0 turns limiting off.
    "COMMENTS_RATE_LIMIT": 5,
    "COMMENTS_RATE_WINDOW": 60,
    # Intake service: proxies whose X-Forwarded-For is believed (addresses).
    "COMMENTS_TRUSTED_PROXIES": [],
    # Intake service: largest request body in bytes, checked before parsing. Percent-encoding
    # can triple a 10,000-character comment in non-Latin script, hence 128 KiB.
    "COMMENTS_MAX_REQUEST_BYTES": 128 * 1024,
    # Intake service: at most this many pending comments per article.
    "COMMENTS_MAX_PENDING": 200,
}

MODES = ("open", "closed", "off")


def resolve(settings: dict[str, Any]) -> dict[str, Any]:
    """The COMMENTS_* settings with defaults filled in."""
    return {name: settings.get(name, default) for name, default in DEFAULTS.items()}


def site_timezone(settings: dict[str, Any]) -> ZoneInfo:
    """The site's TIMEZONE, in which offset-less comment dates are read."""
    return ZoneInfo(settings.get("TIMEZONE") or "UTC")


def site_url(settings: dict[str, Any]) -> str:
    """SITEURL without a trailing slash ("" in development)."""
    return (settings.get("SITEURL") or "").rstrip("/")
