"""Atom feeds of published comments: one per article, and one of recent comments site-wide."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from feedgenerator import Atom1Feed
from markupsafe import Markup

from .settings import resolve


def plain_title(text: str) -> str:
    """Plain text of a title that may carry typogrify markup (tags and no-break spaces)."""
    return " ".join(Markup(text).striptags().split())


def _new_feed(settings: dict[str, Any], title: str, link: str, feed_url: str) -> Atom1Feed:
    """An empty Atom feed."""
    return Atom1Feed(
        title=title,
        link=link,
        feed_url=feed_url,
        description=settings.get("SITESUBTITLE", "") or "",
        language=settings.get("DEFAULT_LANG", "en"),
    )


def _add(feed: Atom1Feed, article, view) -> None:
    """Add one comment; names and bodies are escaped as XML by feedgenerator."""
    feed.add_item(
        title=f"{view.author} on “{plain_title(article.title)}”",
        link=view.url,
        unique_id=view.url,
        description=str(view.body_html),
        author_name=view.author,
        author_link=view.website,
        pubdate=view.date,
        updateddate=view.date,
    )


def _write(feed: Atom1Feed, path: Path) -> None:
    """Write a feed file, creating its folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as handle:
        feed.write(handle, "utf-8")


def write_feeds(output: Path, settings: dict[str, Any], articles: dict[str, list]) -> None:
    """Write each article's comment feed and the recent-comments feed."""
    options = resolve(settings)
    site = (settings.get("SITEURL") or "").rstrip("/")
    pattern = options["COMMENTS_FEED_ATOM"]
    recent: list[tuple[Any, Any]] = []
    for group in articles.values():
        for article in group:
            if article.comments_mode == "off":
                continue
            recent.extend((article, view) for view in article.comments)
            if pattern:
                path = pattern.format(slug=article.slug)
                feed = _new_feed(settings, f"Comments on “{plain_title(article.title)}”", f"{site}/{article.url}", f"{site}/{path}")
                for view in article.comments:
                    _add(feed, article, view)
                _write(feed, output / path)
    recent_path = options["COMMENTS_FEED_RECENT_ATOM"]
    if recent_path:
        feed = _new_feed(settings, f"{settings.get('SITENAME', '')}: recent comments", f"{site}/", f"{site}/{recent_path}")
        recent.sort(key=lambda pair: pair[1].date, reverse=True)
        for article, view in recent[: options["COMMENTS_FEED_MAX_ITEMS"]]:
            _add(feed, article, view)
        _write(feed, output / recent_path)
