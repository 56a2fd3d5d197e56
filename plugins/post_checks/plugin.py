"""Pelican glue: check each post and page as it is read, skip the broken ones, sum up at the end."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from pelican import signals
from pelican.contents import Article, Page, SkipStub
from pelican.log import FatalLogger

from pelican.plugins.reader_comments.errors import Problem

from .front_matter import PELICAN_FIELDS, bad_dates, bad_status, missing_field, read_fields, unknown_fields
from .links import broken_links, hold_back_pelican_warning

logger = logging.getLogger(__name__)


class FrontMatterBuildError(SystemExit):
    """A strict build found front matter mistakes: stop with exit status 1, no traceback."""


@dataclass
class Report:
    """What one build found: every problem, and the files left out, by kind."""

    strict: bool
    failed: bool = False
    skipped: dict[str, list[Path]] = field(default_factory=dict)


_REPORTS: dict[int, Report] = {}


def shown_path(path: Path) -> Path:
    """A path as the author would type it: relative to the current folder when inside it."""
    try:
        return path.resolve().relative_to(Path.cwd())
    except ValueError:
        return path


def known_fields(settings: dict[str, Any]) -> list[str]:
    """Pelican's fields plus the site's own."""
    return [*PELICAN_FIELDS, *settings.get("POST_CHECKS_EXTRA_FIELDS", ())]


def report_for(settings: dict[str, Any]) -> Report:
    """The report of the build these settings belong to."""
    return _REPORTS.setdefault(id(settings), Report(strict=bool(settings.get("POST_CHECKS_STRICT"))))


def log_problem(report: Report, problem: Problem, skips: bool = False) -> None:
    """Log one problem (`skips`: Pelican leaves the file out); when the build must not go on with it, log it as critical."""
    level = logging.ERROR if skips else logging.WARNING
    if report.strict or level >= FatalLogger.fatal_lvl:
        report.failed = True
        logger.critical("%s", problem)
        return
    logger.log(level, "%s%s", problem, " The file is skipped." if skips else "")


def diagnose(content, content_class: Any, path: Path, fields: list, hints: list[Problem]) -> tuple[list[Problem], list[Problem]]:
    """Mistakes in the words of its front matter: those that make Pelican leave a file out, and those that file it wrongly."""
    skipping: list[Problem] = []
    filed_wrongly: list[Problem] = []
    for prop in content_class.mandatory_properties:
        if not hasattr(content, prop):
            skipping.append(missing_field(path, prop, hints))
    if issubclass(content_class, Article) and fields and not any(f.name.lower() == "category" for f in fields):
        missing = missing_field(path, "category", hints)
        filed = f" Without it the post is filed under '{content.category}'."
        filed_wrongly.append(replace(missing, message=missing.message + filed))
    allowed = getattr(content_class, "allowed_statuses", None)
    if allowed and getattr(content, "status", None) not in allowed:
        skipping.append(bad_status(path, fields, content.status, allowed))
    return skipping, filed_wrongly


def checked_read(read: Callable, settings: dict[str, Any], base_path: str, path: str,
                 content_class: type = Page, fmt: str | None = None, **kwargs):
    """Pelican's read_file, with every front matter mistake reported and the broken file skipped."""
    arguments = dict(base_path=base_path, path=path, content_class=content_class, fmt=fmt, **kwargs)
    if fmt == "static" or not issubclass(content_class, (Article, Page)):
        return read(**arguments)
    full = Path(base_path, path)
    shown = shown_path(full)
    fields = read_fields(full)
    hints = unknown_fields(shown, fields, known_fields(settings))
    problems: tuple[list[Problem], list[Problem]]
    try:
        content = read(**arguments)
    except ValueError:
        problems = (bad_dates(shown, fields), [])
        if not problems[0]:
            raise
    else:
        if isinstance(content, SkipStub):
            return content
        problems = diagnose(content, content_class, shown, fields, hints)
    report = report_for(settings)
    skipping, filed_wrongly = problems
    explained = {p.line for p in [*skipping, *filed_wrongly]}
    for problem in skipping:
        log_problem(report, problem, skips=True)
    for problem in [*filed_wrongly, *(h for h in hints if h.line not in explained)]:
        log_problem(report, problem)
    if not skipping:
        return content
    kind = "posts" if issubclass(content_class, Article) else "pages"
    report.skipped.setdefault(kind, []).append(shown)
    return SkipStub(content="", source_path=str(full))


def check_reads(readers) -> None:
    """Route a Readers object's read_file through the checks."""
    readers.read_file = partial(checked_read, readers.read_file, readers.settings)


def check_links(generators) -> None:
    """Report every internal link of a post or page that points to no file."""
    context = generators[0].context
    report = report_for(generators[0].settings)
    contents = {id(c): c for c in context.get("generated_content", {}).values() if isinstance(c, (Article, Page))}
    for content in sorted(contents.values(), key=lambda c: c.source_path):
        for problem in broken_links(content, shown_path(Path(content.source_path)), context):
            log_problem(report, problem)


def summarize(report: Report) -> None:
    """One line naming every skipped file; stop a strict build after it."""
    verb = "with front matter mistakes" if report.failed else "skipped"
    parts = []
    for kind, paths in sorted(report.skipped.items()):
        noun = kind if len(paths) != 1 else kind[:-1]
        parts.append(f"{len(paths)} {noun} {verb}: {', '.join(str(p) for p in sorted(paths))}")
    if report.failed:
        if parts:
            logger.critical("%s", "; ".join(parts))
        logger.critical("The build stops: correct the posts named above.")
        raise FrontMatterBuildError(1)
    if parts:
        logger.error("%s", "; ".join(parts))


def finish(generators) -> None:
    """After every file is read: check links, then sum up this build's problems."""
    if not generators:
        return
    check_links(generators)
    summarize(_REPORTS.pop(id(generators[0].settings)))


def register() -> None:
    """Connect the checks to Pelican's signals."""
    hold_back_pelican_warning()
    signals.readers_init.connect(check_reads)
    signals.all_generators_finalized.connect(finish)
