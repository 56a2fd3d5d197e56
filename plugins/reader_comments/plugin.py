"""Pelican glue: read the comment files, attach published threads to articles, write feeds.

Handlers are connected in `register()`. Everything a build learns is kept on that
build's generator context, so autoreload starts from nothing each time, and
comments are attached after Pelican's content cache (`article_generator_finalized`),
so a cached article never carries stale comments.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from jinja2 import FileSystemLoader, TemplateNotFound
from pelican import signals

from . import feeds, manifest, reader_pages, sections
from .build_cache import BodyCache, BuildCaches
from .comment_format import LIMITS, PUBLISHED, Comment, Listing, ReadCache, Tree, comment_files, folder_files, folder_listing, load_tree
from .errors import Problem
from .render import LINK_REL
from .settings import DEFAULTS, MODES, OPTIONS_KEY, Options, comments_folder, options_of, site_timezone
from .site_model import front_matter, mode_message
from .threads import Thread, build
from .view import CommentRenderer, Views

logger = logging.getLogger(__name__)

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"
CONTEXT_KEY = "reader_comments"
ORDERS = ("oldest", "newest")


class CommentsBuildError(SystemExit):
    """Strict mode found bad comment files: stop the build with exit status 1, no traceback."""


def set_defaults(pelican) -> None:
    """Give every COMMENTS_* setting its default, so templates can read them all; resolve them once into Options."""
    for name, value in DEFAULTS.items():
        pelican.settings.setdefault(name, value)
    pelican.settings[OPTIONS_KEY] = Options.from_settings(pelican.settings)


def add_template_folder(generator) -> None:
    """Append the plugin's templates last, so the theme can override any of them; give them the links' rel and body limit."""
    generator.env.loader.loaders.append(FileSystemLoader(str(TEMPLATES)))
    generator.env.globals["COMMENT_LINK_REL"] = LINK_REL
    generator.env.globals["COMMENT_BODY_MAX"] = LIMITS["body"]
    generator.env.globals["comments_section"] = sections.render_uncached


def mode_problem(article, value: str) -> Problem:
    """A wrong `Comments:` value, as a front matter mistake of the post: its path as typed, and its line."""
    source = Path(article.source_path)
    meta, _ = front_matter(source)
    line = meta.get("comments", ("", None))[1]
    return Problem(_typed(source), f"{mode_message(value)} The article's comments are closed until it is corrected.", line)


def article_mode(article, options: Options, now: datetime) -> tuple[str, Problem | None]:
    """Whether an article's comments are open, closed or off, from metadata and age."""
    raw = str(article.metadata.get("comments", options.default_mode)).strip().lower()
    problem = None
    if raw not in MODES:
        problem = mode_problem(article, raw)
        raw = "closed"
    days = options.close_after_days
    if raw == "open" and days is not None and now - article.date > timedelta(days=days):
        raw = "closed"
    return raw, problem


def article_order(article) -> tuple[bool, Problem | None]:
    """Whether an article lists its top-level comments newest first (`Comments-Order: newest`)."""
    raw = str(article.metadata.get("comments-order", "oldest")).strip().lower()
    if raw in ORDERS:
        return raw == "newest", None
    return False, Problem(Path(article.source_path), f"'Comments-Order: {raw}' must be one of {', '.join(ORDERS)}")


def _articles_by_slug(generator) -> tuple[dict[str, list], set[str]]:
    """Published articles (with translations) by slug, and every slug known in any state."""
    published: dict[str, list] = {}
    for article in [*generator.articles, *generator.translations]:
        published.setdefault(article.slug, []).append(article)
    known = set(published)
    for name in ("drafts", "drafts_translations", "hidden_articles", "hidden_translations"):
        known.update(a.slug for a in getattr(generator, name, []))
    return published, known


def _about_approved(problem: Problem, status: dict[Path, str]) -> bool:
    """Whether a problem concerns an approved comment, or a file whose status is unknown (it may be approved)."""
    return any(status.get(path, PUBLISHED) == PUBLISHED for path in (problem.path, *problem.related))


def _typed(path: Path) -> Path:
    """`path` as typed from the current folder (the site's root) when it lies there; symbolic links are named, not followed."""
    absolute = Path(os.path.abspath(path))
    try:
        return absolute.relative_to(Path(os.path.abspath(Path.cwd())))
    except ValueError:
        return absolute


def _shown(problem: Problem) -> Problem:
    """The problem with its paths as typed from the current folder (the site's root), not the build machine's absolute ones."""
    return replace(problem, path=_typed(problem.path), related=tuple(_typed(p) for p in problem.related))


def _report(problems: list[Problem], strict: bool, status: dict[Path, str]) -> None:
    """Log every problem; in strict mode stop the build after listing all those that may concern approved comments.

    Problems only of comments that are not approved (a pending reply whose parent
    was deleted, say) are logged at info level: nothing is skipped, and they never
    stop a publish, even under --fatal warnings. `make check-comments` lists them.
    """
    blocking = 0
    for problem in problems:
        if not _about_approved(problem, status):
            logger.info("Comment not approved, with a problem: %s", _shown(problem))
        elif strict:
            blocking += 1
            logger.critical("Comment error: %s", _shown(problem))
        else:
            logger.warning("Skipped comment: %s", _shown(problem))
    if blocking:
        logger.critical("%d comment error(s); strict mode (COMMENTS_STRICT) stops the build", blocking)
        raise CommentsBuildError(1)


def _report_posts(problems: list[Problem], strict: bool) -> bool:
    """Log each post's wrong `Comments:` line as front matter is reported (`path:line: …`); whether strict mode must stop."""
    for problem in problems:
        logger.log(logging.CRITICAL if strict else logging.WARNING, "%s", problem)
    return strict and bool(problems)


def _listings(root: Path, published: dict[str, list]) -> dict[str, Listing | None]:
    """The listing of each published article's comment folder (None: not a plain folder of regular files)."""
    listings: dict[str, Listing | None] = {}
    for slug in published:
        folder = root / slug
        listings[slug] = folder_listing(folder) if folder.is_dir() and not folder.is_symlink() else None
    return listings


def _variant(renderer: CommentRenderer, article, mode: str, newest: bool) -> str:
    """What an article's views are made from besides its comments: its address, slug, mode and order."""
    return "\0".join((renderer.article_url(article), article.slug, mode, str(newest)))


def _thread_digest(comments: list[Comment], variant: str) -> str:
    """A digest of everything an article's comment views are made from (the fingerprint aside): each file's bytes, the variant."""
    digest = hashlib.sha256(variant.encode("utf-8", "surrogatepass"))
    for comment in sorted(comments, key=lambda c: c.path.name):
        digest.update(f"\0{comment.path.name}\0{comment.digest}".encode("utf-8", "surrogateescape"))
    return digest.hexdigest()[:32]


def _kept_loader(root: Path, slug: str, caches: BuildCaches, renderer: CommentRenderer, article, newest: bool, tz):
    """Reads, threads and views an unchanged folder when something asks for its views (a section not kept, a feed)."""

    def load() -> Views:
        """The article's views, from its folder's files."""
        tree = load_tree(root, tz, paths=list(folder_files(str(root / slug))), cache=caches.reads)
        return renderer.views(renderer.article_url(article), build(tree.by_article.get(slug, [])), newest)

    return load


# Folders to read, as a share of those kept, up to which their files are read without the read and body caches.
FEW_FOLDERS = 0.1
# Comment files read, threaded and viewed at a time: their parsed comments are let go before the next ones are read.
CHUNK_FILES = 4000


def _chunks(paths: Iterator[Path]) -> Iterator[list[Path]]:
    """`paths` in lists of about CHUNK_FILES, each article folder's files all in one list."""
    chunk: list[Path] = []
    for path in paths:
        if len(chunk) >= CHUNK_FILES and os.path.dirname(path) != os.path.dirname(chunk[-1]):
            yield chunk
            chunk = []
        chunk.append(path)
    if chunk:
        yield chunk


def _settle(tree: Tree, settled: dict[str, list[tuple]], known: set[str], renderer: CommentRenderer,
            caches: BuildCaches, listings: dict[str, Listing | None]) -> tuple[list[Problem], dict[str, int]]:
    """Check, thread and attach the comments of `tree` (some article folders) to their articles; their problems and published counts."""
    problems = list(tree.problems)
    approved = [c for slug in tree.by_article if slug in settled for c in tree.by_article[slug] if c.published]
    renderer.prefill(approved)
    costly = renderer.too_costly(approved)
    problems.extend(costly)
    withheld = {p.path for p in costly}
    threads: dict[str, Thread] = {}
    for slug, comments in tree.by_article.items():
        if slug not in known:
            problems.append(Problem(comments[0].path.parent, f"no article has the slug {slug!r}"))
            continue
        thread = build(comments, {c.id for c in comments if c.path in withheld})
        problems.extend(thread.problems)
        threads[slug] = thread
    troubled = {problem.path.parent.name for problem in problems}
    for slug, thread in threads.items():
        if slug in settled:
            listing = listings.get(slug) if slug not in troubled else None
            _attach(slug, settled[slug], tree.by_article[slug], thread, renderer, caches, listing)
    return problems, {slug: thread.count for slug, thread in threads.items()}


def _folder_statuses(tree: Tree, known: set[str]) -> Iterator[tuple[Path, str]]:
    """For each folder with no article: published when any of its comments is, so its problem is reported as such."""
    for slug, comments in tree.by_article.items():
        if slug not in known:
            yield comments[0].path.parent, PUBLISHED if any(c.published for c in comments) else "pending"


def _attach(slug: str, plans: list[tuple], comments: list[Comment], thread: Thread, renderer: CommentRenderer,
            caches: BuildCaches, listing: Listing | None) -> None:
    """Attach a thread read this build to its articles; remember what they show while the folder stays unchanged."""
    summaries = {}
    for article, mode, newest, variant in plans:
        summaries[variant] = renderer.attach(article, thread, mode, newest, _thread_digest(comments, variant))
    if listing is None:
        return
    fresh = {c.path.name: c.digest for c in comments if c.path.name in listing.fresh}
    if len(fresh) == len(listing.fresh):  # every fresh file was read: its bytes can be checked next time
        bodies = caches.bodies.keys(c.body for c in comments if c.published)
        caches.threads.record(slug, listing, (thread.count, bodies, fresh), summaries)


def attach_comments(generator) -> None:
    """Read, validate and thread every comment file; attach each thread to its article.

    An article folder unchanged since the last build (its listing's digest, see
    `ThreadCache`) is not read: its articles take their kept summaries, and their
    views are made only if something reads them.
    """
    options = options_of(generator.settings)
    tz = site_timezone(generator.settings)
    caches = BuildCaches.for_settings(generator.settings)
    root = comments_folder(generator.settings)
    renderer = CommentRenderer(generator.settings, caches.bodies)
    published, known = _articles_by_slug(generator)
    now = datetime.now(tz)
    listings = _listings(root, published) if caches.threads.path is not None else {}
    settled: dict[str, list[tuple]] = {}
    kept: dict[str, str] = {}
    post_problems: list[Problem] = []
    for slug, articles in published.items():
        plans = []
        for article in articles:
            mode, problem = article_mode(article, options, now)
            newest, order_problem = article_order(article)
            post_problems.extend(p for p in (problem, order_problem) if p)
            plans.append((article, mode, newest, _variant(renderer, article, mode, newest)))
        found = caches.threads.summaries(root / slug, listings.get(slug), [plan[3] for plan in plans])
        if found is None:
            settled[slug] = plans
            continue
        kept[slug] = str(root / slug)
        for (article, mode, newest, _), summary in zip(plans, found, strict=True):
            load = _kept_loader(root, slug, caches, renderer, article, newest, tz)
            renderer.attach_kept(article, mode, summary, load)
    reads, fresh = caches.reads, renderer
    if len(settled) <= FEW_FOLDERS * len(kept):
        # A few folders to read beside many kept: reading their files and rendering their bodies afresh costs
        # less than loading and saving the read and body caches of every comment (left as they are).
        reads, fresh = ReadCache(None), CommentRenderer(generator.settings, BodyCache(None, options.parallel_render))
    problems: list[Problem] = []
    status: dict[Path, str] = {}
    counts: dict[str, int] = {slug: caches.threads.count(slug) for slug in kept}
    for chunk in _chunks(comment_files(root, skip=kept)):
        tree = load_tree(root, tz, paths=chunk, cache=reads)
        met, published_counts = _settle(tree, settled, known, fresh, caches, listings)
        problems.extend(met)
        counts.update(published_counts)
        # Only the statuses of the files named in problems are looked up when they are reported.
        named = {path for problem in met for path in (problem.path, *problem.related)}
        status.update((c.path, c.status) for c in tree.comments() if c.path in named)
        status.update(_folder_statuses(tree, known))
        reads.spill()
    for slug, plans in settled.items():
        if slug not in counts:
            _attach(slug, plans, [], build([]), fresh, caches, listings.get(slug))
    caches.save(kept)
    generator.env.globals["comments_section"] = caches.sections.render
    logger.debug(
        "Comment caches: %d of %d folders kept; %d of %d files reused; %d bodies from cache, %d rendered",
        len(kept), len(published), reads.hits, reads.files, fresh.cache.hits, fresh.cache.misses,
    )
    generator.context[CONTEXT_KEY] = {
        "articles": published,
        "feed_cache": caches.feeds,
        "recent_cache": caches.recent,
        "sections": caches.sections,
    }
    stop = _report_posts(post_problems, options.strict)
    _report(problems, options.strict, status)
    if stop:
        logger.critical("The build stops: correct the posts' Comments: lines named above (COMMENTS_STRICT).")
        raise CommentsBuildError(1)
    logger.info("Comments: %d published on %d articles", sum(counts.values()), len(counts))


def write_outputs(generator, writer) -> None:
    """Write the comment feeds, the intake manifest and the reply script."""
    state = generator.context.get(CONTEXT_KEY)
    if state is None:
        return
    settings = generator.settings
    output = Path(settings["OUTPUT_PATH"])
    feed_cache, recent_cache = feeds.FeedCache(state.get("feed_cache")), feeds.RecentCache(state.get("recent_cache"))
    feeds.write_feeds(output, settings, state["articles"], feed_cache, recent_cache)
    feed_cache.save()
    recent_cache.save()
    state["sections"].save()
    logger.debug("Discussion sections: %d reused, %d rendered", state["sections"].hits, state["sections"].misses)
    manifest.write_manifest(output, settings, state["articles"])
    target = output / settings.get("THEME_STATIC_DIR", "theme") / "comments"
    target.mkdir(parents=True, exist_ok=True)
    for script in STATIC.glob("*.js"):
        (target / script.name).write_bytes(script.read_bytes())
    write_reader_pages(generator, writer)


def write_reader_pages(generator, writer) -> None:
    """Render the intake's reader pages from the theme's templates, where the theme has them and a form posts."""
    if not options_of(generator.settings).submit_url:
        return
    for page, template_name in reader_pages.TEMPLATES.items():
        try:
            template = generator.env.get_template(f"{template_name}.html")
        except TemplateNotFound:
            continue
        writer.write_file(reader_pages.SAVE_AS[page], template, generator.context, relative_urls=False,
                          intake=reader_pages.placeholders())


def register() -> None:
    """Connect the plugin's handlers to Pelican's signals."""
    signals.initialized.connect(set_defaults)
    signals.generator_init.connect(add_template_folder)
    signals.article_generator_finalized.connect(attach_comments)
    signals.article_writer_finalized.connect(write_outputs)
