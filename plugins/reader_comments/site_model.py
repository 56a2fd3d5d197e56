"""The site as the commands and the service see it: settings, folders, and articles read from their front matter.

This is the core the three commands (moderation, intake, importers) share with
the post checks: `load_site` reads the settings, `read_fields` is the one reader
of a Markdown file's front matter, and `find_articles` gives every article by slug.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import tzinfo
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from .comment_format import near_choice
from .errors import Problem, SiteError
from .settings import MODES, comments_folder, load_settings, site_timezone

logger = logging.getLogger(__name__)

DEFAULT_SETTINGS = Path("pelicanconf.py")
MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mkd", ".mdown")
# Python-Markdown's meta extension, as Pelican reads it: an optional opening fence, `Key: value` lines,
# continuation lines indented four spaces, up to a blank line or a closing fence.
_META = re.compile(r"[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)")
_META_MORE = re.compile(r"[ ]{4,}(?P<value>.*)")
_META_BEGIN = re.compile(r"-{3}(\s.*)?")
_META_END = re.compile(r"(-{3}|\.{3})(\s.*)?")


@dataclass(frozen=True, slots=True)
class Site:
    """Where the content and the comments live, and the site's time zone."""

    content: Path
    comments: Path
    tz: tzinfo
    settings: dict[str, Any]


@dataclass(frozen=True, slots=True)
class Article:
    """An article as its source file's front matter describes it."""

    slug: str
    title: str
    source: Path
    comments_mode: str | None = None
    mode_line: int | None = None
    authors: tuple[str, ...] = ()


def display_path(path: Path) -> Path:
    """`path` relative to the working folder when it lies inside it (short, clickable output)."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve())
    except ValueError:
        return absolute


def load_site(settings_file: Path | None = None, content: Path | None = None) -> Site:
    """Read the Pelican settings (pelicanconf.py by default) into the site; SiteError says what is wrong."""
    if settings_file is None and DEFAULT_SETTINGS.is_file():
        settings_file = DEFAULT_SETTINGS
    elif settings_file is not None and not settings_file.is_file():
        raise SiteError(f"settings file {settings_file} not found")
    override: dict[str, Any] = {}
    if content is not None or settings_file is None:
        folder = content if content is not None else Path("content")
        if not folder.is_dir():
            raise SiteError(f"content folder {folder} not found")
        override["PATH"] = str(folder.resolve())
    try:
        settings = load_settings(settings_file, os.environ, override)
        tz = site_timezone(settings)
    except (OSError, ValueError, KeyError, SyntaxError, ImportError) as exc:
        raise SiteError(f"cannot use the settings in {settings_file or 'Pelican defaults'}: {exc}") from exc
    content_dir = display_path(Path(settings["PATH"]))
    return Site(content_dir, comments_folder(settings, content_dir), tz, settings)


def article_sources(site: Site) -> Iterator[Path]:
    """Every Markdown file Pelican reads as an article: ARTICLE_PATHS minus excludes and IGNORE_FILES."""
    settings = site.settings
    root = Path(settings["PATH"])
    excluded = {os.path.normpath(root / name) for name in settings.get("ARTICLE_EXCLUDES", [])}
    ignores = settings.get("IGNORE_FILES", [])
    for sub in settings.get("ARTICLE_PATHS", [""]):
        top = root / sub if sub else root
        for dirpath, dirs, files in os.walk(top, followlinks=True):
            dirs[:] = sorted(
                d for d in dirs
                if os.path.normpath(os.path.join(dirpath, d)) not in excluded
                and not any(fnmatch(d, pattern) for pattern in ignores)
            )
            for name in sorted(files):
                if name.lower().endswith(MARKDOWN_EXTENSIONS) and not any(fnmatch(name, p) for p in ignores):
                    yield Path(dirpath, name)


@dataclass(frozen=True, slots=True)
class Field:
    """One `Key: value` line of front matter, as the author wrote it (continuation lines joined)."""

    name: str
    value: str
    line: int


def read_fields(path: Path, errors: str = "strict") -> list[Field]:
    """The front matter fields of a Markdown file, in order; OSError or UnicodeDecodeError when it cannot be read."""
    with path.open(encoding="utf-8-sig", errors=errors) as handle:
        return header_fields(raw.rstrip("\r\n") for raw in handle)


def header_fields(lines: Iterable[str]) -> list[Field]:
    """The `Key: value` lines at the top, up to the first blank line or closing fence (read no further)."""
    fields: list[Field] = []
    for number, line in enumerate(lines, start=1):
        if number == 1 and _META_BEGIN.fullmatch(line):
            continue
        if not line.strip() or _META_END.fullmatch(line):
            break
        if match := _META.match(line):
            fields.append(Field(match["key"], match["value"].strip(), number))
        elif fields and (match := _META_MORE.match(line)):
            last = fields.pop()
            fields.append(Field(last.name, f"{last.value} {match['value'].strip()}".strip(), last.line))
        else:
            break
    return fields


def front_matter(path: Path) -> tuple[dict[str, tuple[str, int]], str | None]:
    """Front matter by lowercased key (the first of repeated keys), with line numbers; or why it cannot be read."""
    try:
        fields = read_fields(path)
    except (OSError, UnicodeDecodeError) as exc:
        return {}, f"cannot read the article's metadata: {exc}"
    meta: dict[str, tuple[str, int]] = {}
    for field in fields:
        meta.setdefault(field.name.lower(), (field.value, field.line))
    return meta, None


def mode_message(value: str) -> str:
    """What is wrong with an article's `Comments:` value, with the mode it was probably meant as."""
    meant = near_choice(value, list(MODES))
    return f"'Comments: {value}' must be one of {', '.join(MODES)}" + (f"; did you mean '{meant}'?" if meant else "")


def _slug_for(path: Path, meta: dict[str, tuple[str, int]], settings: dict[str, Any]) -> str | None:
    """The article's slug: its `Slug:` metadata, or what Pelican derives from the title or file name."""
    if "slug" in meta:
        return meta["slug"][0]
    source = settings.get("SLUGIFY_SOURCE", "title")
    value = meta["title"][0] if source == "title" and "title" in meta else path.stem if source == "basename" else None
    return None if value is None else slugify(value, settings)


def slugify(value: str, settings: dict[str, Any]) -> str:
    """Pelican's slug for a title, file name, author or category, with the site's slug settings."""
    from pelican.utils import slugify as pelican_slugify

    return pelican_slugify(
        value,
        regex_subs=settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
        preserve_case=settings.get("SLUGIFY_PRESERVE_CASE", False),
        use_unicode=settings.get("SLUGIFY_USE_UNICODE", False),
    )


def _authors(meta: dict[str, tuple[str, int]], settings: dict[str, Any]) -> tuple[str, ...]:
    """An article's authors as Pelican reads them: `Authors:` or `Author:` split on commas, else the AUTHOR setting."""
    raw = (meta.get("authors") or meta.get("author") or (settings.get("AUTHOR") or "", 0))[0]
    return tuple(name.strip() for name in raw.split(",") if name.strip())


def find_articles(site: Site) -> tuple[dict[str, Article], list[Problem]]:
    """Articles by slug (drafts and hidden ones included), and problems with their metadata."""
    articles: dict[str, Article] = {}
    problems: list[Problem] = []
    for path in article_sources(site):
        meta, error = front_matter(path)
        shown = display_path(path)
        if error:
            problems.append(Problem(shown, error))
            continue
        slug = _slug_for(path, meta, site.settings)
        if not slug or "title" not in meta:
            continue
        mode, mode_line = meta.get("comments", (None, None))
        article = Article(slug, meta["title"][0], shown, mode, mode_line, _authors(meta, site.settings))
        articles.setdefault(slug, article)
        if mode is not None and mode.strip().lower() not in MODES:
            problems.append(Problem(shown, mode_message(mode), mode_line))
    return articles, problems
