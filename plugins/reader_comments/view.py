"""What templates see: threads turned into plain view objects, with bodies rendered once.

Cache files under Pelican's CACHE_PATH make warm builds cheap: rendered bodies
(HTML and plain text) keyed on the SHA-256 of the body text, valid comment files
keyed on their path and the SHA-256 of their bytes (comment_file.ReadCache), and
article comment feeds (feeds.FeedCache). Each file's name carries a fingerprint
of the plugin's loaded code and schema, the libraries' and Python's versions,
the COMMENTS_* settings and TIMEZONE, so any change there starts afresh.

Bodies missing from the cache are rendered in one go before the views are
built; when there are many (a cold build), a forked helper process renders
half of them meanwhile, on Linux and only while no other thread runs.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import platform
import sys
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .avatar import avatar_svg
from .cache import JsonCache
from .comment_file import SCHEMA_PATH, ReadCache
from .model import Comment, Problem
from .names import display_name
from .render import cost_problems, plain_text, render_body
from .settings import resolve, site_timezone, site_url
from .threads import Node, Thread, steps

_LIBRARIES = ("markdown-it-py", "nh3", "pyyaml", "jsonschema", "feedgenerator")
# With fewer bodies to render than this, a helper process costs more than it saves.
PARALLEL_MIN = 1000


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
    body_text: str = ""
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


class BodyCache(JsonCache):
    """Rendered comment bodies (sanitized HTML and its plain text), by SHA-256 of the Markdown, kept across builds."""

    kind = "bodies"

    def __init__(self, path: Path | None, parallel: bool = True) -> None:
        """Load the bodies kept at `path`; with `parallel`, a cold build may render in two processes."""
        super().__init__(path)
        self.parallel = parallel
        self.fresh: dict[str, list[str]] = {}
        self.misses = 0

    @staticmethod
    def valid(value: Any) -> bool:
        """Whether a stored value is an [html, text] pair."""
        return isinstance(value, list) and len(value) == 2 and all(isinstance(part, str) for part in value)

    def prefill(self, bodies: Iterable[str]) -> None:
        """Render at once every body the cache lacks (in two processes when there are many)."""
        todo: dict[str, str] = {}
        for body in bodies:
            key = _body_key(body)
            if key not in self.entries:
                todo.setdefault(key, body)
        self.fresh.update(zip(todo, render_pairs(list(todo.values()), self.parallel), strict=True))

    def render(self, body: str) -> tuple[str, str]:
        """The sanitized HTML of `body` and its plain text, from the cache when possible."""
        key = _body_key(body)
        entry = self.entries.get(key)
        if entry is None:
            entry = self.fresh.get(key) or _render_pairs([body])[0]
            self.misses += 1
        else:
            self.hits += 1
        self.used[key] = entry
        return entry[0], entry[1]


def _body_key(body: str) -> str:
    """The cache key of a body: the SHA-256 of its text."""
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def _render_pairs(bodies: list[str]) -> list[list[str]]:
    """[sanitized HTML, plain text] of each body."""
    pairs = []
    for body in bodies:
        html = render_body(body)
        pairs.append([html, plain_text(html)])
    return pairs


def _send_pairs(sender: Any, bodies: list[str]) -> None:
    """In the helper process: render `bodies` and send the pairs back."""
    sender.send(_render_pairs(bodies))
    sender.close()


def _can_fork() -> bool:
    """Whether a helper process may render: Linux (fork), two or more CPUs, and no other thread running."""
    return (
        sys.platform.startswith("linux")
        and (os.cpu_count() or 1) > 1
        and threading.active_count() == 1
        and "fork" in multiprocessing.get_all_start_methods()
    )


def render_pairs(bodies: list[str], parallel: bool = True) -> list[list[str]]:
    """Render many bodies; with PARALLEL_MIN or more, a forked helper renders the second half meanwhile.

    The output does not depend on which process rendered a body. If the helper
    dies, this process renders its half itself.
    """
    if not parallel or len(bodies) < PARALLEL_MIN or not _can_fork():
        return _render_pairs(bodies)
    half = len(bodies) // 2
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    helper = context.Process(target=_send_pairs, args=(sender, bodies[half:]), daemon=True)
    helper.start()
    sender.close()
    try:
        mine = _render_pairs(bodies[:half])
        try:
            theirs = receiver.recv()
        except EOFError:
            theirs = _render_pairs(bodies[half:])
    finally:
        receiver.close()
        helper.join()
    return mine + theirs


def code_files() -> list[Path]:
    """The schema and the source of every module of this plugin loaded in this process (what a build runs)."""
    package = __name__.rpartition(".")[0]
    modules = [m for name, m in list(sys.modules.items()) if name == package or name.startswith(package + ".")]
    sources = {Path(m.__file__) for m in modules if getattr(m, "__file__", None)}
    return sorted(sources | {SCHEMA_PATH})


def fingerprint(settings: dict[str, Any]) -> str:
    """A digest of the plugin's loaded code and schema, its libraries, the COMMENTS_* settings and TIMEZONE."""
    digest = hashlib.sha256()
    for path in code_files():
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    for package in _LIBRARIES:
        digest.update(version(package).encode())
    digest.update(platform.python_version().encode())
    # Strictness changes what fails a build, never what a comment looks like: leaving it out
    # lets `make html` and `make publish` share their caches.
    options = {k: v for k, v in resolve(settings).items() if k != "COMMENTS_STRICT"}
    digest.update(repr(sorted(options.items())).encode())
    digest.update(repr(settings.get("TIMEZONE")).encode())
    return digest.hexdigest()[:16]


def cache_file(settings: dict[str, Any], kind: str, key: str | None = None) -> Path | None:
    """Where the `kind` cache lives (None when COMMENTS_RENDER_CACHE is off or there is no CACHE_PATH)."""
    if not (resolve(settings)["COMMENTS_RENDER_CACHE"] and settings.get("CACHE_PATH")):
        return None
    return Path(settings["CACHE_PATH"]) / "reader_comments" / f"{kind}-{key or fingerprint(settings)}.json"


class CommentRenderer:
    """Turns threads into the attributes articles carry into templates."""

    def __init__(self, settings: dict[str, Any], cache: BodyCache, reads: ReadCache | None = None) -> None:
        """Render for `settings` through the body cache and the file read cache."""
        self.settings = settings
        self.options = resolve(settings)
        self.cache = cache
        self.reads = reads if reads is not None else ReadCache(None)
        self.tz = site_timezone(settings)
        self._avatars: dict[str, Markup] = {}
        self._avatars_on = bool(self.options["COMMENTS_AVATARS"])
        self._date_format = self.options["COMMENTS_DATE_FORMAT"]
        self.cache_key = ""

    @classmethod
    def for_settings(cls, settings: dict[str, Any]) -> CommentRenderer:
        """A renderer with the render and read caches the settings ask for (COMMENTS_RENDER_CACHE)."""
        key = fingerprint(settings)
        bodies = BodyCache(cache_file(settings, "bodies", key), parallel=bool(resolve(settings)["COMMENTS_PARALLEL_RENDER"]))
        renderer = cls(settings, bodies, ReadCache(cache_file(settings, "files", key)))
        renderer.cache_key = key
        return renderer

    def prefill(self, comments: Iterable[Comment]) -> None:
        """Render every body of `comments` the cache lacks, all at once."""
        self.cache.prefill(comment.body for comment in comments)

    def too_costly(self, comments: Iterable[Comment]) -> list[Problem]:
        """A problem for each comment whose body costs too much to publish (see render.cost_problems)."""
        problems = []
        for comment in comments:
            html, _ = self.cache.render(comment.body)
            problems.extend(Problem(comment.path, message) for message in cost_problems(comment.body, html))
        return problems

    def save(self) -> None:
        """Persist the render and read caches."""
        self.cache.save()
        self.reads.save()

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
        html, text = self.cache.render(comment.body)
        author = display_name(comment.author)
        return CommentView(
            id=comment.id, anchor=anchor, url=url, depth=node.depth, placeholder=False, parent=parent,
            author=author, website=comment.website, role=comment.role,
            date=local, date_iso=local.isoformat(), date_display=local.strftime(self._date_format),
            body_html=Markup(html), body_text=text,
            avatar=self._avatar(author) if self._avatars_on else None,
        )

    def attach(self, article, thread: Thread, mode: str) -> None:
        """Set the comment attributes an article's templates read."""
        article_url = f"{site_url(self.settings)}/{article.url}"
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
            "datePublished": view.date_iso,
            "author": author,
            "text": view.body_text,
        }
        if view.parent is not None and not view.parent.placeholder:
            item["parentItem"] = {"@id": view.parent.url}
        return item
