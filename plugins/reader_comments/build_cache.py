"""What a build keeps across builds, and where: one fingerprinted file per kind under Pelican's CACHE_PATH.

Valid comment files are kept by path and the SHA-256 of their bytes
(`comment_format.ReadCache`), rendered bodies (HTML and plain text) by the SHA-256
of the body text (`BodyCache`), article comment feeds' digests
(`feeds.FeedCache`) and discussion sections (`sections.SectionCache`, a folder). Each file's name carries a fingerprint of the plugin's loaded
code and schema, the libraries' and Python's versions, the COMMENTS_* settings and
TIMEZONE, so any change there starts afresh. `BuildCaches` owns those locations,
as Pelican's FileDataCacher owns its own.

Bodies missing from the cache are rendered in one go; when there are many (a cold
build), a forked helper process renders half of them meanwhile, on Linux and only
while no other thread runs.
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
from importlib.metadata import version
from pathlib import Path
from typing import Any

from markupsafe import Markup

from .cache import JsonCache
from .comment_format import SCHEMA_PATH, Listing, ReadCache, content_digest
from .render import cost_problems, render_body
from .sections import KIND as SECTIONS
from .sections import SectionCache
from .settings import options_of, resolve

_LIBRARIES = ("markdown-it-py", "nh3", "pyyaml", "jsonschema", "feedgenerator")
# With fewer bodies to render than this, a helper process costs more than it saves.
PARALLEL_MIN = 1000
FOLDER = "reader_comments"


@dataclass(slots=True)
class BuildCaches:
    """One build's caches: the read, body, thread and section caches, and where the feed caches live (None: caching is off)."""

    key: str
    reads: ReadCache
    bodies: BodyCache
    feeds: Path | None
    sections: SectionCache
    threads: ThreadCache
    recent: Path | None

    @classmethod
    def for_settings(cls, settings: dict[str, Any]) -> BuildCaches:
        """The caches the settings ask for (COMMENTS_RENDER_CACHE and CACHE_PATH), named by this build's fingerprint."""
        options = options_of(settings)
        key = fingerprint(settings)
        folder = Path(settings["CACHE_PATH"]) / FOLDER if options.render_cache and settings.get("CACHE_PATH") else None

        def place(kind: str) -> Path | None:
            """The file of one kind, or None when caching is off."""
            return folder / f"{kind}-{key}.json" if folder else None

        bodies = BodyCache(place(BodyCache.kind), parallel=options.parallel_render)
        sections = SectionCache(folder / f"{SECTIONS}-{key}" if folder else None, key)
        return cls(key, ReadCache(place(ReadCache.kind)), bodies, place("feeds"), sections, ThreadCache(place(ThreadCache.kind)),
                   place("recent"))

    def save(self, kept: dict[str, str]) -> None:
        """Keep what this build read and rendered, and the entries of the article folders in `kept` (slug: folder), not read."""
        if self.reads.loaded:
            self.reads.keep_folders(set(kept.values()))
        if self.bodies.loaded:
            self.bodies.keep(key for slug in kept for key in self.threads.used[slug]["bodies"])
        self.bodies.save()
        self.reads.save()
        self.threads.save()


# What an article's kept summary holds (view.CommentRenderer._summary and the digest of its thread).
SUMMARY_KEYS = frozenset({"digest", "count", "folded", "jsonld", "authors", "newest", "recent"})


class ThreadCache(JsonCache):
    """What each unchanged article folder gave the last build, by slug: its listing's digest, its bodies' keys, each article's summary.

    A record is kept only for a folder whose files were all valid (see
    `comment_format.folder_listing`); while the listing's digest is the same,
    the folder is neither read nor threaded, and its articles take their
    summaries (`view.CommentRenderer.attach_kept`), keyed by everything else their
    views are made from (address, slug, mode, order), each with the digest of
    its thread that keys its section and feed. A file changed so recently that an
    edit might not move its listing (one a moderator just approved) is recorded
    with the digest of the bytes that were read, and its bytes are checked
    against it before the record is trusted.
    """

    kind = "threads"

    @staticmethod
    def valid(value: Any) -> bool:
        """Whether a stored value is a folder's record."""
        return (
            isinstance(value, dict)
            and isinstance(value.get("listing"), str)
            and isinstance(value.get("bodies"), list)
            and isinstance(value.get("articles"), dict)
            and isinstance(value.get("fresh"), dict)
            and all(isinstance(digest, str) for digest in value["fresh"].values())
        )

    def _unchanged(self) -> bool:
        """Whether every folder's record is the one kept (records are keyed by slug, so their values are compared)."""
        return self.used == self.entries

    def summaries(self, folder: Path, listing: Listing | None, variants: list[str]) -> list[dict[str, Any]] | None:
        """The kept summaries of a folder's articles, or None unless the folder is unchanged and all of them are kept.

        `variants`: for each article, what else its views are made from (address, slug, mode, order).
        """
        if listing is None:
            return None
        record = self.entries.get(folder.name)
        if record is None or record["listing"] != listing.digest:
            return None
        found = [record["articles"].get(variant) for variant in variants]
        if not all(isinstance(summary, dict) and SUMMARY_KEYS <= summary.keys() for summary in found):
            return None
        if not listing.fresh <= record["fresh"].keys():
            return None
        if any(content_digest(folder / name) != digest for name, digest in record["fresh"].items()):
            return None
        # Files still now are trusted by their listing from here on; those still fresh are checked again next time.
        fresh = {name: digest for name, digest in record["fresh"].items() if name in listing.fresh}
        self.used[folder.name] = record if fresh == record["fresh"] else {**record, "fresh": fresh}
        return found

    def record(self, slug: str, listing: Listing, thread: tuple[int, list[str], dict[str, str]],
               summaries: dict[str, dict[str, Any]]) -> None:
        """Remember what a folder, read whole this build, gave: its count, bodies' keys and fresh files' digests, its summaries."""
        count, bodies, fresh = thread
        self.used[slug] = {"listing": listing.digest, "count": count, "bodies": bodies, "fresh": fresh, "articles": summaries}

    def count(self, slug: str) -> int:
        """How many comments the kept folder `slug` publishes."""
        return int(self.used[slug].get("count", 0))


class BodyCache(JsonCache):
    """Rendered comment bodies (sanitized HTML, why it costs too much), by SHA-256 of the Markdown.

    The plain text of a body is not kept: only the few comments in an article's
    JSON-LD need it (`view.CommentView.body_text`), made from the HTML when asked.
    """

    kind = "bodies"

    def __init__(self, path: Path | None, parallel: bool = True) -> None:
        """Load the bodies kept at `path`; with `parallel`, a cold build may render in two processes."""
        super().__init__(path)
        self.parallel = parallel
        self.fresh: dict[str, list[Any]] = {}
        self.misses = 0

    @staticmethod
    def valid(value: Any) -> bool:
        """Whether a stored value is [html, [cost problems]]."""
        return (
            isinstance(value, list)
            and len(value) == 2
            and isinstance(value[0], str)
            and isinstance(value[1], list)
            and all(isinstance(problem, str) for problem in value[1])
        )

    def prefill(self, bodies: Iterable[str]) -> None:
        """Render at once every body the cache lacks (in two processes when there are many)."""
        todo: dict[str, str] = {}
        for body in bodies:
            key = _body_key(body)
            if key not in self.entries:
                todo.setdefault(key, body)
        self.fresh.update(zip(todo, render_pairs(list(todo.values()), self.parallel), strict=True))

    @staticmethod
    def keys(bodies: Iterable[str]) -> list[str]:
        """The cache keys of these bodies."""
        return [_body_key(body) for body in bodies]

    def render(self, body: str) -> Markup:
        """The sanitized HTML of `body` (as Markup, one object however often it is asked)."""
        entry = self._entry(body)
        if not isinstance(entry[0], Markup):
            entry[0] = Markup(entry[0])
        return entry[0]

    def problems(self, body: str) -> list[str]:
        """Why `body` costs too much to publish (render.cost_problems), kept with its render."""
        return list(self._entry(body)[1])

    def _entry(self, body: str) -> list[Any]:
        """The cache entry of `body`, rendered now when missing."""
        key = _body_key(body)
        entry = self.entries.get(key)
        if entry is None:
            entry = self.fresh.get(key) or _render_pairs([body])[0]
            self.misses += 1
        else:
            self.hits += 1
        self.used[key] = entry
        return entry


def _body_key(body: str) -> str:
    """The cache key of a body: the SHA-256 of its text."""
    return hashlib.sha256(body.encode("utf-8", "surrogatepass")).hexdigest()


def _render_pairs(bodies: list[str]) -> list[list[Any]]:
    """[sanitized HTML, cost problems] of each body."""
    pairs = []
    for body in bodies:
        html = render_body(body)
        pairs.append([html, cost_problems(body, html)])
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


def render_pairs(bodies: list[str], parallel: bool = True) -> list[list[Any]]:
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
    sources = {Path(file) for m in modules if (file := getattr(m, "__file__", None))}
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
    # Strictness and flushing change what fails a build and how it writes, never what a comment looks
    # like: leaving them out lets `make html` and `make publish` share their caches.
    options = {k: v for k, v in resolve(settings).items() if k not in ("COMMENTS_STRICT", "COMMENTS_SYNC_OUTPUT")}
    digest.update(repr(sorted(options.items())).encode())
    digest.update(repr(settings.get("TIMEZONE")).encode())
    return digest.hexdigest()[:16]
