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

import functools
import hashlib
import json
from collections.abc import Callable
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

    def write(self, head: dict[str, Any], make_items: Callable[[], list[dict[str, Any]]], path: Path, durable: bool,
              digest: str | None = None) -> None:
        """Write the feed `head` + `make_items()` to `path`, unless the file there is this very feed from an earlier build.

        `digest`, when given, stands for everything the items are made from, so they
        are made only when the feed must be written.
        """
        items = make_items() if digest is None else None
        key = self._key(head, items if items is not None else digest)
        if key is None:
            _write(_atom(head, items if items is not None else make_items()), path, durable)
            return
        known = self.entries.get(key)
        if known is not None and known == _file_digest(path):
            self.hits += 1
            self.used[key] = known
            return
        data = _atom(head, items if items is not None else make_items()).encode("utf-8")
        write_if_changed(path, data, durable=durable)
        self.used[key] = hashlib.sha256(data).hexdigest()

    def _key(self, head: dict[str, Any], items: list[dict[str, Any]] | str | None) -> str | None:
        """The feed's cache key, from its items or the digest of what they are made from; None when it is not kept.

        Not kept: when caching is off, the feed is dated by the build, or it cannot be keyed.
        """
        if self.path is None or not (items or head.get("quiet_since")):
            return None
        try:
            return _feed_key(head, items)
        except TypeError:
            return None


class RecentCache(JsonCache):
    """The entries of the last build's recent-comments feed, keyed by their article's thread digest, title and comment id."""

    kind = "recent"

    @staticmethod
    def valid(value: Any) -> bool:
        """Whether a stored value is an entry's arguments (dates as text)."""
        return isinstance(value, dict) and all(isinstance(value.get(k), str) for k in _DATES)

    def items(self, chosen: list[tuple[str, Any, str]]) -> list[dict[str, Any]]:
        """The entries of the recent-comments feed, for each (article title, article, comment id) in `chosen`.

        An entry is taken from the last build's when its article's thread digest and
        title are the same, so the views of unchanged articles are not made.
        """
        items = []
        for title, article, cid in chosen:
            digest = getattr(article, "comments_digest", None)
            key = f"{digest}\0{title}\0{cid}"
            entry = self.entries.get(key) if digest and self.path is not None else None
            item = _item_from_json(entry) if entry else _item(title, next(v for v in article.comments if v.id == cid))
            if digest:
                self.used[key] = entry or _item_to_json(item)
            items.append(item)
        return items


_DATES = ("pubdate", "updateddate")


def _item_to_json(item: dict[str, Any]) -> dict[str, Any]:
    """A feed entry's arguments as JSON-ready data (dates as ISO 8601)."""
    return {k: v.isoformat() if k in _DATES else v for k, v in item.items()}


def _item_from_json(entry: dict[str, Any]) -> dict[str, Any]:
    """A kept feed entry's arguments, dates read back."""
    return {k: datetime.fromisoformat(v) if k in _DATES else v for k, v in entry.items()}


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


def _feed_key(head: dict[str, Any], items: list[dict[str, Any]] | str | None) -> str:
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


def write_feeds(output: Path, settings: dict[str, Any], articles: dict[str, list], cache: FeedCache | None = None,
                recent_cache: RecentCache | None = None) -> None:
    """Write each article's comment feed (through `cache` when given) and the recent-comments feed (its entries through `recent_cache`)."""
    options = options_of(settings)
    site = site_url(settings)
    pattern = options.feed_atom
    cache = cache if cache is not None else FeedCache(None)
    recent: list[tuple[datetime, str, Any, str]] = []
    newest: datetime | None = None
    for group in articles.values():
        for article in group:
            if article.comments_mode == "off":
                continue
            title = plain_title(article.title)
            newest = _content_date(article) if newest is None else max(newest, _content_date(article))
            recent.extend((datetime.fromisoformat(when), title, article, cid) for when, cid in article.comments_recent)
            if pattern:
                path = pattern.format(slug=article.slug)
                head = _head(settings, f"Comments on “{title}”", f"{site}/{article.url}", f"{site}/{path}")
                head["quiet_since"] = _content_date(article)
                digest = getattr(article, "comments_digest", None)
                cache.write(head, functools.partial(_items, title, article), output / path, options.sync_output, digest)
    recent_path = options.feed_recent_atom
    if recent_path:
        head = _head(settings, f"{settings.get('SITENAME', '')}: recent comments", f"{site}/", f"{site}/{recent_path}")
        # Dated by the newest article while empty; its own address as id (the site's is the posts feed's).
        head.update(quiet_since=newest, feed_guid=head["feed_url"])
        recent.sort(key=lambda entry: entry[0], reverse=True)
        recent_cache = recent_cache if recent_cache is not None else RecentCache(None)
        items = recent_cache.items([entry[1:] for entry in recent[: options.feed_max_items]])
        _write(_atom(head, items), output / recent_path, options.sync_output)


def _items(title: str, article: Any) -> list[dict[str, Any]]:
    """The entries of an article's feed."""
    return [_item(title, view) for view in article.comments]
