"""What templates see: threads turned into plain view objects, with bodies rendered once.

Rendered bodies are kept in a cache file under Pelican's CACHE_PATH, keyed on the
body text; the file's name carries a fingerprint of the plugin's code, the
libraries' versions and the COMMENTS_* settings, so any change there starts afresh.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .avatar import avatar_svg
from .render import plain_text, render_body
from .settings import resolve, site_timezone
from .threads import Node, Thread, steps

logger = logging.getLogger(__name__)

_CODE_FILES = sorted(Path(__file__).parent.glob("*.py"))


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
    date: datetime | None = None
    date_iso: str = ""
    date_display: str = ""
    body_html: Markup = Markup("")
    avatar: Markup | None = None
    parent: CommentView | None = None

    @property
    def is_post_author(self) -> bool:
        """True only for comments a moderator marked `role: author`."""
        return self.role == "author"


@dataclass(slots=True)
class StepView:
    """One step of a flattened thread: an item to open, or (comment None) a reply list to close."""

    comment: CommentView | None
    opens_replies: bool = False
    flat: bool = False


class BodyCache:
    """Rendered comment bodies, by SHA-256 of the Markdown, kept across builds."""

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, str] = {}
        self.used: dict[str, str] = {}
        self.hits = 0
        if path is not None and path.is_file():
            try:
                self.entries = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, ValueError):
                logger.info("Comment render cache %s is unreadable; starting afresh", path)

    def render(self, body: str) -> str:
        """The sanitized HTML of `body`, from the cache when possible."""
        key = hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()
        html = self.entries.get(key)
        if html is None:
            html = render_body(body)
        else:
            self.hits += 1
        self.used[key] = html
        return html

    def save(self) -> None:
        """Keep only this build's entries, written atomically."""
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for stale in self.path.parent.glob("bodies-*.json"):
            if stale != self.path:
                stale.unlink(missing_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.used, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)


def fingerprint(settings: dict[str, Any]) -> str:
    """A digest of the plugin's code, the renderer libraries and the COMMENTS_* settings."""
    digest = hashlib.sha256()
    for path in _CODE_FILES:
        digest.update(path.read_bytes())
    for package in ("markdown-it-py", "nh3"):
        digest.update(version(package).encode())
    digest.update(repr(sorted(resolve(settings).items())).encode())
    return digest.hexdigest()[:16]


def _site_url(settings: dict[str, Any]) -> str:
    """SITEURL without a trailing slash."""
    return (settings.get("SITEURL") or "").rstrip("/")


class CommentRenderer:
    """Turns threads into the attributes articles carry into templates."""

    def __init__(self, settings: dict[str, Any], cache: BodyCache) -> None:
        self.settings = settings
        self.options = resolve(settings)
        self.cache = cache
        self.tz = site_timezone(settings)

    @classmethod
    def for_settings(cls, settings: dict[str, Any]) -> CommentRenderer:
        """A renderer with the render cache the settings ask for."""
        options = resolve(settings)
        path = None
        if options["COMMENTS_RENDER_CACHE"] and settings.get("CACHE_PATH"):
            path = Path(settings["CACHE_PATH"]) / "reader_comments" / f"bodies-{fingerprint(settings)}.json"
        return cls(settings, BodyCache(path))

    def save(self) -> None:
        """Persist the render cache."""
        self.cache.save()

    def _view(self, node: Node, article_url: str, parent: CommentView | None) -> CommentView:
        """The view of one node; placeholders carry no author and no text."""
        comment = node.comment
        anchor = f"comment-{comment.id}"
        view = CommentView(
            id=comment.id, anchor=anchor, url=f"{article_url}#{anchor}", depth=node.depth,
            placeholder=not node.published, parent=parent,
        )
        if view.placeholder:
            return view
        local = comment.date.astimezone(self.tz)
        view.author = comment.author
        view.website = comment.website
        view.role = comment.role
        view.date = local
        view.date_iso = local.isoformat()
        view.date_display = local.strftime(self.options["COMMENTS_DATE_FORMAT"])
        view.body_html = Markup(self.cache.render(comment.body))
        if self.options["COMMENTS_AVATARS"]:
            view.avatar = avatar_svg(comment.author)
        return view

    def attach(self, article, thread: Thread, mode: str) -> None:
        """Set the comment attributes an article's templates read."""
        article_url = f"{_site_url(self.settings)}/{article.url}"
        views: dict[int, CommentView] = {}
        flat: list[StepView] = []
        for step in steps(thread.roots, self.options["COMMENTS_MAX_INDENT"]):
            if step.node is None:
                flat.append(StepView(None))
                continue
            parent = views.get(id(step.node.parent)) if step.node.parent else None
            view = self._view(step.node, article_url, parent)
            views[id(step.node)] = view
            flat.append(StepView(view, step.opens_replies, step.flat))
        published = [s.comment for s in flat if s.comment is not None and not s.comment.placeholder]
        visible = mode != "off"
        article.comments_mode = mode
        article.comment_count = len(published) if visible else 0
        article.comments = published if visible else []
        article.comment_steps = flat if visible else []
        article.comments_jsonld = [self._jsonld(v) for v in published] if visible else []
        pattern = self.options["COMMENTS_FEED_ATOM"]
        article.comments_feed_url = pattern.format(slug=article.slug) if pattern and visible else None

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
            "author": author,
            "text": plain_text(view.body_html),
        }
        if view.parent is not None and not view.parent.placeholder:
            item["parentItem"] = {"@id": view.parent.url}
        return item
