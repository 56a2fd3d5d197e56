"""Pelican's post and category feeds, each with an id of its own and the site's language.

Pelican gives every feed the site's address as its Atom id, so the posts feed and
each category feed would share one id (RFC 4287 wants each unique, and feed
readers that merge by id would merge the subscriptions), and it writes no
xml:lang. Before each feed is written, this gives it its own address as its id
and DEFAULT_LANG as its language; everything else is Pelican's.
"""

from __future__ import annotations

from typing import Any

from feedgenerator import SyndicationFeed
from pelican import signals


def identify(context: dict[str, Any], feed: SyndicationFeed) -> None:
    """Give a feed Pelican made its own address as id, and the site's language."""
    if feed.feed.get("feed_url"):
        feed.feed["id"] = feed.feed["feed_url"]
    if context.get("DEFAULT_LANG"):
        feed.feed["language"] = str(context["DEFAULT_LANG"])


def register() -> None:
    """Run before every feed Pelican writes."""
    signals.feed_generated.connect(identify)
