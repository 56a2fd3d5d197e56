"""Match a source thread to an article of this site: a MAP file, then the URL path, then the slug.

Articles are found by the moderation commands' own discovery (`find_articles`);
an article's URL comes from the site's ARTICLE_URL pattern, filled in from its
metadata the way Pelican fills it in. Nothing is guessed: a thread no rule
matches stays unmatched.
"""

from __future__ import annotations

import csv
import logging
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from string import Formatter
from typing import Any
from urllib.parse import unquote, urlsplit

from ..site_model import Site, find_articles, front_matter, slugify
from .source import SourceError, SourceThread

logger = logging.getLogger(__name__)

_PAGE_SUFFIXES = (".html", ".htm", ".php")


def url_path(url: str) -> str:
    """A URL's path without scheme, host, query, a trailing slash or `index.html`."""
    try:
        path = unquote(urlsplit(url.strip()).path)
    except ValueError:
        return ""
    if path == "index.html" or path.endswith("/index.html"):
        path = path[: -len("index.html")]
    return path.strip("/")


def last_segment(url: str) -> str:
    """The last segment of a URL's path, without a page suffix such as `.html`."""
    segment = url_path(url).rsplit("/", 1)[-1]
    for suffix in _PAGE_SUFFIXES:
        if segment.lower().endswith(suffix):
            return segment[: -len(suffix)]
    return segment


def map_key(value: str) -> str:
    """How a MAP entry and a thread are compared: a URL by path and query, anything else as written."""
    text = value.strip()
    if "://" not in text and not text.startswith("/"):
        return text
    try:
        query = urlsplit(text).query
    except ValueError:
        return text
    return url_path(text) + (f"?{query}" if query else "")


def article_url(slug: str, meta: dict[str, str], settings: dict[str, Any]) -> str | None:
    """The article's URL from ARTICLE_URL and its metadata, as Pelican fills it in; None if it cannot be filled."""
    from pelican.utils import get_date

    try:
        date = get_date(meta["date"]) if "date" in meta else datetime.now()
    except (ValueError, OverflowError):
        return None
    category = meta.get("category") or settings.get("DEFAULT_CATEGORY", "misc")
    author = meta.get("author") or settings.get("AUTHOR") or ""
    values = {
        **meta,
        "slug": slug,
        "lang": meta.get("lang") or settings.get("DEFAULT_LANG", "en"),
        "date": date,
        "category": slugify(category, settings),
        "author": slugify(author, settings) if author else "",
    }
    try:
        return Formatter().vformat(settings.get("ARTICLE_URL", "{slug}.html"), (), values)
    except (KeyError, IndexError, ValueError, AttributeError):
        return None


@dataclass(slots=True)
class Articles:
    """This site's articles, by slug and by URL path, and the MAP overrides."""

    slugs: set[str] = field(default_factory=set)
    by_path: dict[str, str] = field(default_factory=dict)
    overrides: dict[str, str] = field(default_factory=dict)
    # Each article's authors, by slug: `--mark-authors` gives their own comments `role: author`.
    authors: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def match(self, thread: SourceThread) -> str | None:
        """The slug of the article a thread belongs to, or None."""
        candidates = ([thread.url] if thread.url else []) + list(thread.identifiers)
        for value in candidates:
            slug = self.overrides.get(value.strip()) or self.overrides.get(map_key(value))
            if slug:
                return slug
        if thread.url:
            path = url_path(thread.url)
            if path and path in self.by_path:
                return self.by_path[path]
        for value in [*thread.identifiers, last_segment(thread.url or "")]:
            if value.strip() in self.slugs:
                return value.strip()
        return None


def load_articles(site: Site) -> Articles:
    """Every article of the site with the URL paths it is reached at."""
    found, problems = find_articles(site)
    for problem in problems:
        logger.warning("%s", problem)
    prefix = url_path(site.settings.get("SITEURL") or "")
    articles = Articles(slugs=set(found), authors={slug: article.authors for slug, article in found.items()})
    for slug, article in found.items():
        meta, _ = front_matter(article.source)
        url = article_url(slug, {key: value for key, (value, _) in meta.items()}, site.settings)
        if url is None:
            continue
        path = url_path(url)
        if path:
            articles.by_path.setdefault(path, slug)
            if prefix:
                articles.by_path.setdefault(f"{prefix}/{path}", slug)
    return articles


def read_map(path: Path, articles: Articles) -> dict[str, str]:
    """The MAP file: rows of `old URL or identifier, slug`; a header row is allowed."""
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle))
    except FileNotFoundError:
        raise SourceError(f"{path}: map file not found") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SourceError(f"{path}: cannot read the map file: {exc}") from None
    overrides: dict[str, str] = {}
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if len(cells) != 2 or not cells[0] or not cells[1]:
            raise SourceError(f"{path}:{number}: a map row is `old URL or identifier,article slug`")
        if number == 1 and cells[1].lower() == "slug":
            continue
        if cells[1] not in articles.slugs:
            raise SourceError(f"{path}:{number}: no article has the slug {cells[1]!r}")
        for key in {cells[0], map_key(cells[0])} - {""}:
            overrides[key] = cells[1]
    return overrides
