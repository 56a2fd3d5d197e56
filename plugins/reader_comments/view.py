"""What templates see: threads turned into plain view objects, with bodies rendered once.

The bodies come from the build's body cache (`build_cache.BodyCache`), filled in
one go before the views are built.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup

from .avatar import avatar_svg
from .build_cache import BodyCache
from .comment_format import Comment
from .errors import Problem
from .names import display_name
from .render import plain_text
from .settings import options_of, site_timezone, site_url
from .threads import Node, Thread, order_roots, steps


@dataclass(slots=True)
class CommentView:
    """One comment (or placeholder) as the templates use it."""

    id: str
    anchor: str
    url: str
    depth: int
    placeholder: bool
    author: str = ""
    website: str | None = None
    role: str | None = None
    pinned: bool = False
    date: datetime | None = None
    date_iso: str = ""
    date_display: str = ""
    body_html: Markup = Markup("")
    avatar: Markup | None = None
    parent: CommentView | None = None

    @property
    def body_text(self) -> str:
        """The body's visible text (for the JSON-LD), made from its HTML when asked: most comments never need it."""
        return plain_text(self.body_html)

    @property
    def is_post_author(self) -> bool:
        """True only for comments a moderator marked `role: author`."""
        return self.role == "author"


@dataclass(slots=True)
class StepView:
    """One step of a flattened thread: an item to open, or (comment None) a reply list to close or to fold.

    With `more` set, the replies that follow are folded into a <details> saying how
    many they are; `closes_more` closes that fold with its list.
    """

    comment: CommentView | None
    opens_replies: bool = False
    flat: bool = False
    more: int = 0
    closes_more: bool = False


class CommentRenderer:
    """Turns threads into the attributes articles carry into templates."""

    def __init__(self, settings: dict[str, Any], cache: BodyCache) -> None:
        """Render for `settings` through the body cache."""
        self.settings = settings
        self.options = options_of(settings)
        self.cache = cache
        self.tz = site_timezone(settings)
        self._avatars: dict[str, Markup] = {}
        self._avatars_on = self.options.avatars
        self._date_format = self.options.date_format

    def prefill(self, comments: Iterable[Comment]) -> None:
        """Render every body of `comments` the cache lacks, all at once."""
        self.cache.prefill(comment.body for comment in comments)

    def too_costly(self, comments: Iterable[Comment]) -> list[Problem]:
        """A problem for each comment whose body costs too much to publish (see render.cost_problems)."""
        problems: list[Problem] = []
        for comment in comments:
            problems.extend(Problem(comment.path, message) for message in self.cache.problems(comment.body))
        return problems

    def _avatar(self, name: str) -> Markup:
        """The avatar of `name`, drawn once per build."""
        avatar = self._avatars.get(name)
        if avatar is None:
            avatar = self._avatars[name] = avatar_svg(name)
        return avatar

    def _view(self, node: Node, article_url: str, parent: CommentView | None) -> CommentView:
        """The view of one node; placeholders carry no author and no text."""
        comment = node.comment
        anchor = f"comment-{comment.id}"
        url = f"{article_url}#{anchor}"
        if not node.published:
            return CommentView(id=comment.id, anchor=anchor, url=url, depth=node.depth, placeholder=True, parent=parent)
        local = comment.date.astimezone(self.tz)
        html = self.cache.render(comment.body)
        author = display_name(comment.author)
        return CommentView(
            id=comment.id, anchor=anchor, url=url, depth=node.depth, placeholder=False, parent=parent,
            author=author, website=comment.website, role=comment.role, pinned=comment.pinned,
            date=local, date_iso=local.isoformat(), date_display=local.strftime(self._date_format),
            body_html=html,
            avatar=self._avatar(author) if self._avatars_on else None,
        )

    def article_url(self, article) -> str:
        """The address of an article, which its comments' addresses start with."""
        return f"{site_url(self.settings)}/{article.url}"

    def attach(self, article, thread: Thread, mode: str, newest: bool = False, digest: str | None = None) -> dict[str, Any]:
        """Set the comment attributes an article's templates read; `newest` puts recent top-level comments first.

        Returns the article's summary (what `attach_kept` sets again without the
        thread); `digest`, when given, stands for everything the views are made from.
        """
        flat, published = self.views(self.article_url(article), thread, newest)
        visible = mode != "off"
        summary = self._summary(published, flat) if visible else self._summary([], [])
        summary["digest"] = digest
        self._set(article, mode, summary)
        article.comments = published if visible else []
        article.comment_steps = flat if visible else []
        return summary

    def attach_kept(self, article, mode: str, summary: dict[str, Any], load: Callable[[], Views]) -> None:
        """Set an article's comment attributes from its kept summary; its views are made by `load` only if something reads them."""
        self._set(article, mode, summary)
        if mode == "off":
            article.comments, article.comment_steps = [], []
            return
        lazy = _Lazy(load)
        article.comments = LazyViews(lazy, 1)
        article.comment_steps = LazyViews(lazy, 0)

    def _set(self, article, mode: str, summary: dict[str, Any]) -> None:
        """The attributes made from an article's summary."""
        visible = mode != "off"
        article.comments_mode = mode
        article.comments_digest = summary["digest"]
        article.comment_count = summary["count"]
        article.comments_folded = summary["folded"]
        article.comments_jsonld = summary["jsonld"]
        article.comment_authors = summary["authors"]
        article.comments_newest = datetime.fromisoformat(summary["newest"]) if summary["newest"] else None
        article.comments_recent = summary["recent"]
        pattern = self.options.feed_atom
        article.comments_feed_url = pattern.format(slug=article.slug) if pattern and visible else None

    def _summary(self, published: list[CommentView], flat: list[StepView]) -> dict[str, Any]:
        """What an article shows of its thread outside the discussion section, as JSON-ready data."""
        newest = max((view.date for view in published if view.date), default=None)
        by_date = sorted(published, key=lambda view: view.date or datetime.min, reverse=True)[: self.options.feed_max_items]
        return {
            "count": len(published),
            "folded": any(step.more for step in flat),
            "jsonld": [self._jsonld(view) for view in published[: self.options.jsonld_max_comments]],
            "authors": [[view.id, view.author] for view in published],
            "newest": newest.isoformat() if newest else None,
            "recent": [[view.date_iso, view.id] for view in by_date],
        }

    def views(self, article_url: str, thread: Thread, newest: bool) -> Views:
        """The steps of a thread and its published comments, as views (`newest`: recent top-level comments first)."""
        views: dict[int, CommentView] = {}
        flat: list[StepView] = []
        roots = order_roots(thread.roots, newest)
        for step in steps(roots, self.options.max_indent, collapse_after=self.options.collapse_after):
            if step.node is None:
                flat.append(StepView(None, flat=step.flat, more=step.more, closes_more=step.closes_more))
                continue
            parent = views.get(id(step.node.parent)) if step.node.parent else None
            view = self._view(step.node, article_url, parent)
            views[id(step.node)] = view
            flat.append(StepView(view, step.opens_replies, step.flat))
        published = [s.comment for s in flat if s.comment is not None and not s.comment.placeholder]
        return flat, published

    @staticmethod
    def _jsonld(view: CommentView) -> dict[str, Any]:
        """A schema.org Comment for a published comment (serialised later with |tojson)."""
        author: dict[str, Any] = {"@type": "Person", "name": view.author}
        if view.website:
            author["url"] = view.website
        item: dict[str, Any] = {
            "@type": "Comment",
            "@id": view.url,
            "url": view.url,
            "dateCreated": view.date_iso,
            "datePublished": view.date_iso,
            "author": author,
            "text": view.body_text,
        }
        if view.parent is not None and not view.parent.placeholder:
            item["parentItem"] = {"@id": view.parent.url}
        return item


# An article's views: its thread's steps and its published comments.
Views = tuple[list[StepView], list[CommentView]]


class _Lazy:
    """An article's views, made the first time they are asked for."""

    __slots__ = ("load", "views")

    def __init__(self, load: Callable[[], Views]) -> None:
        """Make the views with `load` when first needed."""
        self.load: Callable[[], Views] | None = load
        self.views: Views | None = None

    def get(self) -> Views:
        """The views, made now if not yet."""
        if self.views is None and self.load is not None:
            self.views, self.load = self.load(), None
        return self.views or ([], [])


class LazyViews(Sequence[Any]):
    """`article.comments` or `article.comment_steps` of an article whose folder was not read: read when something looks."""

    __slots__ = ("lazy", "part")

    def __init__(self, lazy: _Lazy, part: int) -> None:
        """Part 0 (the steps) or 1 (the published comments) of the article's views."""
        self.lazy = lazy
        self.part = part

    def _items(self) -> list[Any]:
        """The list itself."""
        return self.lazy.get()[self.part]

    def __len__(self) -> int:
        """How many items."""
        return len(self._items())

    def __getitem__(self, index):
        """One item, or a slice as a list."""
        return self._items()[index]

    def __iter__(self) -> Iterator[Any]:
        """The items in order."""
        return iter(self._items())
