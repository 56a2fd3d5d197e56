"""Time a Pelican build stage by stage, by wrapping the functions each stage runs.

Each wrapped call is charged its own time minus the time of wrapped calls inside
it, so the stages add up to the build (the rest is reported as "other").
"""

from __future__ import annotations

import functools
import importlib
import time
from collections import defaultdict
from collections.abc import Callable
from typing import Any

Label = str | Callable[[tuple[Any, ...]], str]

# (module, attribute path, label): the stages of a build with comments.
STAGES: tuple[tuple[str, str, Label], ...] = (
    ("pelican", "Pelican.__init__", "setup: settings, plugins"),
    ("pelican.generators", "ArticlesGenerator.generate_context", "articles: read Markdown (or content cache)"),
    ("pelican.generators", "PagesGenerator.generate_context", "pages: read"),
    ("pelican.generators", "StaticGenerator.generate_context", "static files"),
    ("pelican.generators", "StaticGenerator.generate_output", "static files"),
    ("pelican.writers", "Writer.write_file", "write pages to disk"),
    ("jinja2.environment", "Template.render", lambda args: f"template {args[0].name}"),
    ("pelican.plugins.reader_comments.plugin", "attach_comments", "comments: attach (other)"),
    ("pelican.plugins.reader_comments.plugin", "load_tree", "comments: list + read files"),
    ("pelican.plugins.reader_comments.comment_format.files", "parse", "comments: YAML parse"),
    ("pelican.plugins.reader_comments.comment_format.files", "validate", "comments: validate"),
    ("pelican.plugins.reader_comments.plugin", "build", "comments: threading"),
    ("pelican.plugins.reader_comments.view", "CommentRenderer.attach", "comments: views, dates, avatars, JSON-LD"),
    ("pelican.plugins.reader_comments.build_cache", "render_pairs", "comments: render bodies (markdown-it + nh3)"),
    ("pelican.plugins.reader_comments.build_cache", "render_body", "comments: render bodies (markdown-it + nh3)"),
    ("pelican.plugins.reader_comments.build_cache", "BodyCache.__init__", "comments: caches load/save"),
    ("pelican.plugins.reader_comments.build_cache", "BodyCache.save", "comments: caches load/save"),
    ("pelican.plugins.reader_comments.comment_format.files", "ReadCache.__init__", "comments: caches load/save"),
    ("pelican.plugins.reader_comments.comment_format.files", "ReadCache.save", "comments: caches load/save"),
    ("pelican.plugins.reader_comments.feeds", "FeedCache.__init__", "comments: caches load/save"),
    ("pelican.plugins.reader_comments.feeds", "FeedCache.save", "comments: caches load/save"),
    ("pelican.plugins.reader_comments.build_cache", "fingerprint", "comments: caches load/save"),
    ("pelican.plugins.reader_comments.plugin", "write_outputs", "comments: write outputs (other)"),
    ("pelican.plugins.reader_comments.feeds", "write_feeds", "comments: Atom feeds"),
    ("pelican.plugins.reader_comments.manifest", "write_manifest", "comments: manifest"),
)


class StageTimer:
    """Exclusive time per stage label, accumulated over the whole build."""

    def __init__(self) -> None:
        """Start with no time counted."""
        self.totals: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)
        self._stack: list[list[float]] = []

    def _wrap(self, function: Callable[..., Any], label: Label) -> Callable[..., Any]:
        """A wrapper charging `function`'s exclusive time to `label`."""
        timer = self

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            """Time one call."""
            name = label(args) if callable(label) else label
            timer._stack.append([0.0])
            start = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                elapsed = time.perf_counter() - start
                inner = timer._stack.pop()[0]
                timer.totals[name] += elapsed - inner
                timer.calls[name] += 1
                if timer._stack:
                    timer._stack[-1][0] += elapsed

        return wrapper

    def install(self, stages: tuple[tuple[str, str, Label], ...] = STAGES) -> list[str]:
        """Wrap every stage function that exists; return the ones that do not."""
        missing = []
        for module_name, path, label in stages:
            try:
                owner: Any = importlib.import_module(module_name)
            except ImportError:
                missing.append(f"{module_name}:{path}")
                continue
            *parents, attribute = path.split(".")
            for parent in parents:
                owner = getattr(owner, parent, None)
            if owner is None or not callable(getattr(owner, attribute, None)):
                missing.append(f"{module_name}:{path}")
                continue
            setattr(owner, attribute, self._wrap(getattr(owner, attribute), label))
        return missing

    def report(self, total: float) -> dict[str, float]:
        """Seconds per stage, largest first, plus the unaccounted rest as "other"."""
        out = dict(sorted(self.totals.items(), key=lambda item: -item[1]))
        out["other (Pelican core, sitemap, context)"] = max(0.0, total - sum(self.totals.values()))
        return out
