"""Atom feeds of published comments: one per article, and one of recent comments site-wide.

Each article's feed is known across builds (`FeedCache`) by a digest of every
argument it is made with, mapped to the SHA-256 of the text written: when both
match the feed file in the output, the feed is neither generated nor written
again. Only digests are kept, never the feeds' text, so the cache stays small. A feed without items is dated by its article (or, site-wide,
by the newest article) rather than by the build, so a rebuild with nothing new
writes the same text. The site-wide feed's id is its own address: the site's
address is the id of the posts feed.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from feedgenerator import Atom1Feed

from .cache import JsonCache
from .fileio import write_if_changed
from .settings import options_of, site_url
from .titles import plain_title


class DatedAtom(Atom1Feed):
    """An Atom feed whose <updated>, when it has no entries, is the `quiet_since` of its head (if any), not the time of the build."""

    def latest_post_date(self) -> datetime:
        """The newest entry's date; without entries, the date the feed's content last changed."""
        quiet = self.feed.get("quiet_since")
        if not self.items and quiet is not None:
            return quiet
        return super().latest_post_date()


class FeedCache(JsonCache):
    """The SHA-256 of each article comment feed written by earlier builds, by digest of what the feed is made from."""

    kind = "feeds"

    @staticmethod
    def valid(value: Any) -> bool:
        """Whether a stored value is a digest (of a feed's text)."""
        return isinstance(value, str)

    def write(self, head: dict[str, Any], items: list[dict[str, Any]], path: Path, durable: bool) -> None:
        """Write the feed `head` + `items` to `path`, unless the file there is this very feed from an earlier build."""
        key = self._key(head, items)
        if key is None:
            _write(_atom(head, items), path, durable)
            return
        known = self.entries.get(key)
        if known is not None and known == _file_digest(path):
            self.hits += 1
            self.used[key] = known
            return
        data = _atom(head, items).encode("utf-8")
        write_if_changed(path, data, durable=durable)
        self.used[key] = hashlib.sha256(data).hexdigest()

    def _key(self, head: dict[str, Any], items: list[dict[str, Any]]) -> str | None:
        """The feed's cache key; None when caching is off, the feed is dated by the build, or it cannot be keyed."""
        if self.path is None or not (items or head.get("quiet_since")):
            return None
        try:
            return _feed_key(head, items)
        except TypeError:
            return None


def _file_digest(path: Path) -> str | None:
    """The SHA-256 of a file's bytes, or None when it cannot be read."""
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        return None


def _plain(value: Any) -> str:
    """Dates as ISO 8601 for the feed key; any other object is not keyed (TypeError)."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot key a feed holding {type(value).__name__}")


def _feed_key(head: dict[str, Any], items: list[dict[str, Any]]) -> str:
    """A digest of every argument the feed and its items are made with."""
    data = json.dumps([head, items], default=_plain, sort_keys=True)
    return hashlib.sha256(data.encode("utf-8", "surrogatepass")).hexdigest()


def _head(settings: dict[str, Any], title: str, link: str, feed_url: str) -> dict[str, Any]:
    """The arguments of an Atom feed."""
    return {
        "title": title,
        "link": link,
        "feed_url": feed_url,
        "description": settings.get("SITESUBTITLE", "") or "",
        "language": settings.get("DEFAULT_LANG", "en"),
    }


def _content_date(article) -> datetime:
    """When an article's own text last changed: its modified date, else its date."""
    return getattr(article, "modified", None) or article.date


def _item(title: str, view) -> dict[str, Any]:
    """The arguments of one comment's entry, on the article titled `title` (plain text)."""
    pinned = "Pinned by the editors: " if view.pinned else ""
    return {
        "title": f"{pinned}{view.author} on “{title}”",
        "link": view.url,
        "unique_id": view.url,
        "description": str(view.body_html),
        "author_name": view.author,
        "author_link": view.website,
        "pubdate": view.date,
        "updateddate": view.date,
    }


def _atom(head: dict[str, Any], items: list[dict[str, Any]]) -> str:
    """The feed as Atom text; feedgenerator escapes names and bodies."""
    feed = DatedAtom(**head)
    for item in items:
        feed.add_item(**item)
    return feed.writeString("utf-8")


def _write(text: str, path: Path, durable: bool) -> None:
    """Write a feed file atomically, creating its folder, unless it holds this text already (flushed when `durable`)."""
    write_if_changed(path, text.encode("utf-8"), durable=durable)


def write_feeds(output: Path, settings: dict[str, Any], articles: dict[str, list], cache: FeedCache | None = None) -> None:
    """Write each article's comment feed (through `cache` when given) and the recent-comments feed."""
    options = options_of(settings)
    site = site_url(settings)
    pattern = options.feed_atom
    cache = cache if cache is not None else FeedCache(None)
    recent: list[tuple[str, Any]] = []
    newest: datetime | None = None
    for group in articles.values():
        for article in group:
            if article.comments_mode == "off":
                continue
            title = plain_title(article.title)
            newest = _content_date(article) if newest is None else max(newest, _content_date(article))
            recent.extend((title, view) for view in article.comments)
            if pattern:
                path = pattern.format(slug=article.slug)
                head = _head(settings, f"Comments on “{title}”", f"{site}/{article.url}", f"{site}/{path}")
                head["quiet_since"] = _content_date(article)
                cache.write(head, [_item(title, view) for view in article.comments], output / path, options.sync_output)
    recent_path = options.feed_recent_atom
    if recent_path:
        head = _head(settings, f"{settings.get('SITENAME', '')}: recent comments", f"{site}/", f"{site}/{recent_path}")
        # Dated by the newest article while empty; its own address as id (the site's is the posts feed's).
        head.update(quiet_since=newest, feed_guid=head["feed_url"])
        recent.sort(key=lambda pair: pair[1].date, reverse=True)
        _write(_atom(head, [_item(title, view) for title, view in recent[: options.feed_max_items]]), output / recent_path, options.sync_output)
