"""Each article's discussion section, rendered once and reused while nothing it is made from changes.

`comments/section.html` calls `comments_section()`, which renders
`comments/discussion.html` (the section itself) or takes its HTML from an earlier
build. The key is a digest of everything those templates can read: their source and
that of every template they include, the value of each name they take from the page's
context (for `article`, each attribute they read: its comment views carry the
rendered bodies, the mode and the counts; when the article has a `comments_digest`,
that digest of its unchanged comment folder and of its mode, order and address stands
for all those made from its thread), and the build's fingerprint (the plugin's
code, its libraries, the COMMENTS_* settings). A template that uses `article` whole,
or includes a template named at run time, cannot be keyed: its sections are rendered
every time. Other pages, posts and objects in the context are keyed by their address,
slug, title and language.

Sections are kept one file each under `CACHE_PATH/reader_comments/sections-<fingerprint>/`,
so a build holds in memory only the section being written; after the build, the
files it did not use are removed, so the folder holds at most one file per article.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from datetime import date
from importlib.metadata import version
from operator import attrgetter
from pathlib import Path
from typing import Any

from jinja2 import Environment, TemplateNotFound, meta, nodes, pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from .fileio import atomic_write

logger = logging.getLogger(__name__)

SECTION = "comments/discussion.html"
KIND = "sections"
# Attributes by which an object other than the article is keyed (pages, posts, authors...).
_OBJECT_FIELDS = ("url", "slug", "title", "lang", "name")
# The article's attributes made from its thread (view.CommentRenderer): when the article carries
# `comments_digest`, a digest of all they are made from, that digest keys them instead of their values.
THREAD_ATTRIBUTES = frozenset({
    "comments", "comment_steps", "comment_count", "comments_folded", "comments_jsonld", "comments_mode",
    "comments_feed_url", "comment_authors", "comments_newest", "comments_recent", "comments_digest",
})


@pass_context
def render_uncached(context: Context) -> Markup:
    """The discussion section for the page being written, rendered afresh."""
    return _render(context)


def _render(context: Context) -> Markup:
    """Render the section's template with the context of the page that includes it."""
    return Markup(context.environment.get_template(SECTION).render(context.get_all()))


@dataclasses.dataclass(frozen=True, slots=True)
class Reads:
    """What the section's templates read: their sources' digest, the context names, the article's attributes."""

    sources: str
    names: tuple[str, ...]
    article: tuple[str, ...]


def template_reads(env: Environment) -> Reads | None:
    """What the section's templates (and those they include) read; None when that cannot be known."""
    digest = hashlib.sha256()
    names: set[str] = set()
    attributes: set[str] = set()
    todo, seen = [SECTION], set()
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        try:
            source, _, _ = env.loader.get_source(env, name) if env.loader else ("", None, None)
        except TemplateNotFound:
            return None
        digest.update(f"{len(name)}:{name}{len(source)}:{source}".encode("utf-8", "surrogatepass"))
        tree = env.parse(source)
        included = list(meta.find_referenced_templates(tree))
        whole = _article_used_whole(tree, attributes)
        if None in included or whole:
            return None
        todo.extend(str(n) for n in included)
        names |= meta.find_undeclared_variables(tree)
    names.discard("article")
    return Reads(digest.hexdigest(), tuple(sorted(names)), tuple(sorted(attributes)))


def _article_used_whole(tree: nodes.Template, attributes: set[str]) -> bool:
    """Add the attributes of `article` that `tree` reads; whether it also uses `article` other than by attribute."""
    by_attribute = 0
    for node in tree.find_all(nodes.Getattr):
        if isinstance(node.node, nodes.Name) and node.node.name == "article":
            attributes.add(node.attr)
            by_attribute += 1
    used = sum(1 for node in tree.find_all(nodes.Name) if node.name == "article")
    return used != by_attribute


# For each kind of view met so far: a getter of all its fields at once, and where its `parent` is
# (dataclasses.fields is slow to ask thousands of times).
_FIELDS: dict[type, tuple[attrgetter, int | None]] = {}


def _plain(value: Any) -> Any:
    """A JSON-ready stand-in for a value a template reads (json.dumps' default)."""
    if isinstance(value, date):
        return value.isoformat()
    known = _FIELDS.get(type(value))
    if known is None and dataclasses.is_dataclass(value) and not isinstance(value, type):
        names = tuple(f.name for f in dataclasses.fields(value))
        known = _FIELDS[type(value)] = (attrgetter(*names, "__class__"), names.index("parent") if "parent" in names else None)
    if known is not None:
        getter, parent = known
        values = list(getter(value))
        if parent is not None and values[parent] is not None:
            # A comment's parent stands for its id: its own step carries it in full.
            values[parent] = ["parent", getattr(values[parent], "id", None)]
        values[-1] = type(value).__name__
        return values
    if isinstance(value, set | frozenset | tuple):
        return sorted(map(repr, value)) if isinstance(value, set | frozenset) else list(value)
    if hasattr(value, "url") or hasattr(value, "slug"):
        return {name: str(getattr(value, name, None)) for name in _OBJECT_FIELDS}
    text = repr(value)
    return type(value).__name__ if " at 0x" in text else text


class SectionCache:
    """Rendered discussion sections by digest, one file each in `folder` (None: every section is rendered)."""

    def __init__(self, folder: Path | None, fingerprint: str) -> None:
        """Reuse the sections kept in `folder` for builds with this fingerprint."""
        self.folder = folder
        self.fingerprint = fingerprint + "".join(version(p) for p in ("jinja2", "pelican", "markupsafe"))
        self.used: set[str] = set()
        self.hits = 0
        self.misses = 0
        self._reads: dict[int, Reads | None] = {}

    @pass_context
    def render(self, context: Context) -> Markup:
        """The discussion section for the page being written: kept from an earlier build when its digest matches."""
        if self.folder is None:
            return _render(context)
        env = context.environment
        if id(env) not in self._reads:
            self._reads[id(env)] = template_reads(env)
        reads = self._reads[id(env)]
        if reads is None:
            return _render(context)
        key = self.key(context, reads)
        path = self.folder / f"{key}.html"
        self.used.add(path.name)
        try:
            html = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            html = None
        if html is not None:
            self.hits += 1
            return Markup(html)
        self.misses += 1
        fresh = _render(context)
        self.folder.mkdir(parents=True, exist_ok=True)
        # Not flushed to disk: a section lost in a crash is only rendered again.
        atomic_write(path, str(fresh).encode("utf-8"), durable=False)
        return fresh

    def key(self, context: Context, reads: Reads) -> str:
        """The digest of everything the section is made from, for the page being written."""
        article = context.get("article")
        digest = getattr(article, "comments_digest", None)
        made_of = {
            "fingerprint": self.fingerprint,
            "templates": reads.sources,
            "names": {name: context.get(name) for name in reads.names},
            "article": {
                name: ["thread", digest] if digest and name in THREAD_ATTRIBUTES else getattr(article, name, None)
                for name in reads.article
            },
        }
        text = json.dumps(made_of, default=_plain, sort_keys=True, ensure_ascii=False)
        return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:32]

    def save(self) -> None:
        """Remove the kept sections this build did not use, and the folders of other fingerprints."""
        if self.folder is None or not self.folder.is_dir():
            return
        for path in self.folder.iterdir():
            if path.name not in self.used:
                path.unlink(missing_ok=True)
        for other in self.folder.parent.glob(f"{KIND}-*"):
            if other != self.folder and other.is_dir():
                for path in other.iterdir():
                    path.unlink(missing_ok=True)
                other.rmdir()
