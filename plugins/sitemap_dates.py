"""The sitemap (pelican-sitemap, with its SITEMAP setting), each page dated by its own content.

pelican-sitemap dates an article by its `modified` or `date` and every other page
by the time of the build. Here a page's <lastmod> is the newest of the dates of
what it shows: an article's own date and its newest published comment (a page
whose discussion changed has changed); a listing's articles, the same way; a
page with no date of its own, the newest date on the site. A rebuild with no
change therefore changes no date. This replaces `pelican.plugins.sitemap` in
PLUGINS; format, exclude, priorities and change frequencies are its own. Each
build writes its own sitemap (i18n subsites, which share one, are not supported).
"""

from __future__ import annotations

import copy
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.request import pathname2url

from pelican import signals
from pelican.plugins.sitemap.sitemap import SitemapGenerator


@dataclass
class Listing:
    """A page that is no article or page (an index, an archive, a tag): its address and newest date."""

    url: str
    modified: datetime | None


def article_date(article: Any) -> datetime | None:
    """The newest of an article's own date and its published comments' dates."""
    dates = [getattr(article, "modified", None) or getattr(article, "date", None)]
    if hasattr(article, "comments_newest"):
        # Set by reader_comments with its comments, so they need not be looked at (or read) one by one.
        dates.append(article.comments_newest)
    else:
        dates.extend(getattr(comment, "date", None) for comment in getattr(article, "comments", None) or ())
    return newest(dates)


def newest(dates: Iterable[datetime | None]) -> datetime | None:
    """The latest of some dates, ignoring missing ones."""
    known = [d for d in dates if d is not None]
    return max(known) if known else None


def shown_articles(context: dict[str, Any]) -> list[Any]:
    """The articles a listing page shows: this page's share when it is paginated, else all it was given."""
    page = context.get("articles_page")
    if page is not None:
        return list(page.object_list)
    return list(context.get("dates") or context.get("articles") or ())


class DatedSitemap(SitemapGenerator):
    """pelican-sitemap, fed each page with the date of its content."""

    # Set by pelican-sitemap when a build starts: the date it gives a page with none.
    now: datetime
    # The pages written by this build, with what dates each.
    page_queue: list[tuple[str, Any]]

    def init(self, pelican: Any) -> None:
        """Start each build's sitemap afresh, so a build that stopped early leaves no pages or owner behind."""
        # pelican-sitemap keeps the first build as the sitemap's owner until that build finishes; one
        # stopped by an error never does, and no later build in the process (autoreload, a second
        # Pelican) would write a sitemap again. This site has no i18n subsites, so every build owns its own.
        self._main_pelican = None
        self.page_queue = []
        super().init(pelican)

    def queue_page(self, path: str, context: dict[str, Any]) -> None:
        """Queue one written page, carrying the newest date of what it shows."""
        obj = context.get("article") or context.get("page")
        if obj is not None:
            dated = copy.copy(obj)
            dated.modified = article_date(obj)
        else:
            relative = pathname2url(os.path.relpath(path, context.get("OUTPUT_PATH") or os.curdir))
            dated = Listing(relative, newest(article_date(a) for a in shown_articles(context)))
        self.page_queue.append((path, dated))

    def finalize(self, pelican: Any) -> None:
        """Write the sitemap; a page with no date at all gets the site's newest date, not the time of the build."""
        if pelican == self._main_pelican:
            dates = [getattr(obj, "modified", None) or getattr(obj, "date", None) for _path, obj in self.page_queue]
            self.now = newest(dates) or self.now
        super().finalize(pelican)


generator = DatedSitemap()


def register() -> None:
    """Connect the sitemap to Pelican's signals, as pelican-sitemap does."""
    signals.get_generators.connect(generator.init)
    signals.content_written.connect(generator.queue_page)
    signals.finalized.connect(generator.finalize)
