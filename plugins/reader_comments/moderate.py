"""Moderation commands: the queue, approve / reject / spam, and a fast check.

Run from the site's root folder (the Makefile wraps each command):

    python -m reader_comments.moderate queue
    python -m reader_comments.moderate approve <article-slug>/<comment-id> [...]
    python -m reader_comments.moderate reject  <article-slug>/<comment-id> [...]
    python -m reader_comments.moderate spam    <article-slug>/<comment-id> [...]
    python -m reader_comments.moderate check

Every file is read with the plugin's own loader and validator (`comment_file`).
A status change edits only the values on the lines the loader points at, reads
the result back through the same loader to prove nothing else moved, and
replaces the file atomically.

Exit status: 0 on success; 1 when `check` finds problems or a write fails;
2 for a usage error, an unknown id or an invalid file (then no file is touched).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shutil
import subprocess
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

from . import comment_file
from .comment_file import CommentFileError, Parsed, Tree
from .model import PUBLISHED, STATUSES, Comment, Problem
from .settings import MODES, resolve, site_timezone
from .threads import build

logger = logging.getLogger(__name__)

ACTIONS = {"approve": "approved", "reject": "rejected", "spam": "spam"}
DEFAULT_SETTINGS = Path("pelicanconf.py")
MODERATOR_ENV = "COMMENTS_MODERATOR"
MODERATOR_MAX = 80
MAX_ATTEMPTS = 8
MARKDOWN_EXTENSIONS = (".md", ".markdown", ".mkd", ".mdown")
EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE = 0, 1, 2

# A mapping key at the start of a line, as the loader reported it; `rest` is what follows the colon.
_KEY_LINE = re.compile(
    r"""(?P<indent>[ ]*)(?P<key>"[^"\\\n]*"|'[^'\n]*'|[A-Za-z0-9_-]+)[ \t]*:"""
    r"""(?P<rest>[^\r\n\x85\u2028\u2029]*)(?P<end>\r\n|[\n\r\x85\u2028\u2029]|)\Z"""
)
# YAML's own line breaks, so lines are counted exactly as the loader counts them.
_LINE_BREAK = re.compile(r"(\r\n|[\n\r\x85\u2028\u2029])")
_DOUBLE = re.compile(r'"(?:[^"\\]|\\.)*"')
_SINGLE = re.compile(r"'(?:[^']|'')*'")
_AFTER_VALUE = re.compile(r"(?:[ \t]+#.*)?[ \t]*\Z")
_PLAIN_SAFE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._+@/-]|:(?=\S)|[ ](?=[^ #]))*")
_NOT_EDITABLE = tuple("|>[{&*!%@`")
_META = re.compile(r"[ ]{0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)")
_META_MORE = re.compile(r"[ ]{4,}(?P<value>.*)")
_META_FENCE = re.compile(r"-{3}(\s.*)?")
_BIDI = re.compile(r"[\u200e\u200f\u202a-\u202e\u2066-\u2069]")

BeforeWrite = Callable[[Path, int], None]


# ---------------------------------------------------------------- the site


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


def _display_path(path: Path) -> Path:
    """`path` relative to the working folder when it lies inside it (short, clickable output)."""
    absolute = path.resolve()
    try:
        return absolute.relative_to(Path.cwd().resolve())
    except ValueError:
        return absolute


def load_site(settings_file: Path | None = None, content: Path | None = None) -> tuple[Site | None, str | None]:
    """Read the Pelican settings (pelicanconf.py by default); return the site or an error message."""
    from pelican.settings import read_settings

    if settings_file is None and DEFAULT_SETTINGS.is_file():
        settings_file = DEFAULT_SETTINGS
    elif settings_file is not None and not settings_file.is_file():
        return None, f"settings file {settings_file} not found"
    override: dict[str, Any] = {}
    if content is not None or settings_file is None:
        folder = content if content is not None else Path("content")
        if not folder.is_dir():
            return None, f"content folder {folder} not found"
        override["PATH"] = str(folder.resolve())
    quiet = logging.getLogger("pelican.settings")
    level = quiet.level
    quiet.setLevel(logging.ERROR)  # warnings about feeds and themes concern builds, not moderation
    try:
        settings = read_settings(str(settings_file) if settings_file else None, override=override)
        tz = site_timezone(settings)
    except (OSError, ValueError, KeyError, SyntaxError, ImportError) as exc:
        return None, f"cannot use the settings in {settings_file or 'Pelican defaults'}: {exc}"
    finally:
        quiet.setLevel(level)
    content_dir = _display_path(Path(settings["PATH"]))
    comments = content_dir / resolve(settings)["COMMENTS_PATH"]
    return Site(content_dir, comments, tz, settings), None


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


def front_matter(path: Path) -> tuple[dict[str, tuple[str, int]], str | None]:
    """The `Key: value` lines at the top of a Markdown file (keys lowercased, with line numbers)."""
    meta: dict[str, tuple[str, int]] = {}
    key = None
    try:
        with path.open(encoding="utf-8-sig") as handle:
            for number, raw in enumerate(handle, start=1):
                line = raw.rstrip("\r\n")
                if number == 1 and _META_FENCE.fullmatch(line):
                    continue
                if not line.strip():
                    break
                if match := _META.match(line):
                    key = match["key"].lower()
                    meta.setdefault(key, (match["value"].strip(), number))
                elif key and (match := _META_MORE.match(line)):
                    value, first = meta[key]
                    meta[key] = (f"{value} {match['value'].strip()}".strip(), first)
                else:
                    break
    except (OSError, UnicodeDecodeError) as exc:
        return {}, f"cannot read the article's metadata: {exc}"
    return meta, None


def _slug_for(path: Path, meta: dict[str, tuple[str, int]], settings: dict[str, Any]) -> str | None:
    """The article's slug: its `Slug:` metadata, or what Pelican derives from the title or file name."""
    if "slug" in meta:
        return meta["slug"][0]
    source = settings.get("SLUGIFY_SOURCE", "title")
    value = meta["title"][0] if source == "title" and "title" in meta else path.stem if source == "basename" else None
    if value is None:
        return None
    from pelican.utils import slugify

    return slugify(
        value,
        regex_subs=settings.get("SLUG_REGEX_SUBSTITUTIONS", []),
        preserve_case=settings.get("SLUGIFY_PRESERVE_CASE", False),
        use_unicode=settings.get("SLUGIFY_USE_UNICODE", False),
    )


def find_articles(site: Site) -> tuple[dict[str, Article], list[Problem]]:
    """Articles by slug (drafts and hidden ones included), and problems with their metadata."""
    articles: dict[str, Article] = {}
    problems: list[Problem] = []
    for path in article_sources(site):
        meta, error = front_matter(path)
        shown = _display_path(path)
        if error:
            problems.append(Problem(shown, error))
            continue
        slug = _slug_for(path, meta, site.settings)
        if not slug or "title" not in meta:
            continue
        mode, mode_line = meta.get("comments", (None, None))
        article = Article(slug, meta["title"][0], shown, mode, mode_line)
        articles.setdefault(slug, article)
        if mode is not None and mode.strip().lower() not in MODES:
            problems.append(Problem(shown, f"'Comments: {mode}' must be one of {', '.join(MODES)}", mode_line))
    return articles, problems


# ---------------------------------------------------------------- survey (queue and check)


@dataclass(slots=True)
class Survey:
    """Everything the queue and the check report: comments, articles and problems."""

    tree: Tree
    articles: dict[str, Article]
    problems: list[Problem]
    files: int

    def count_by_status(self) -> Counter[str]:
        """How many valid comments are in each status."""
        return Counter(c.status for c in self.tree.comments())

    @property
    def invalid_files(self) -> int:
        """How many comment files could not be read."""
        return len({p.path for p in self.tree.problems})


def misplaced_files(folder: Path) -> Iterator[Problem]:
    """Comment-like files the build never reads: outside an article folder, or with an odd extension."""
    if not folder.is_dir():
        return
    for path in sorted(folder.rglob("*")):
        parts = path.relative_to(folder).parts
        if path.suffix.lower() not in comment_file.EXTENSIONS or any(p.startswith(".") for p in parts):
            continue
        if not path.is_file():
            continue
        if len(parts) != 2:
            yield Problem(path, "never read: a comment file belongs in <comments folder>/<article-slug>/")
        elif path.suffix not in comment_file.EXTENSIONS:
            yield Problem(path, "never read: the extension must be .yaml or .yml in lowercase")


def survey(site: Site) -> Survey:
    """Load and check every comment file, its thread and its article, without building the site."""
    files = list(comment_file.comment_files(site.comments))
    tree = comment_file.load_tree(site.comments, site.tz, files)
    articles, problems = find_articles(site)
    problems = [*tree.problems, *problems, *misplaced_files(site.comments)]
    for slug, comments in sorted(tree.by_article.items()):
        if slug not in articles:
            problems.append(Problem(site.comments / slug, f"no article has the slug {slug!r}; these comments are never shown"))
        problems.extend(build(comments).problems)
    return Survey(tree, articles, problems, len(files))


# ---------------------------------------------------------------- the queue


def format_age(delta: timedelta) -> str:
    """A short age such as '45m', '5h', '3d' or '2y'."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "future"
    for unit, size in (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "0m"


def _char_width(char: str) -> int:
    """Terminal cells one character takes."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def text_width(text: str) -> int:
    """Terminal cells a string takes."""
    return sum(_char_width(c) for c in text)


def fit(text: str, width: int) -> str:
    """`text` cut (with an ellipsis) or padded to exactly `width` terminal cells."""
    if text_width(text) <= width:
        return text + " " * (width - text_width(text))
    out, used = [], 0
    for char in text:
        if used + _char_width(char) > width - 1:
            break
        out.append(char)
        used += _char_width(char)
    return "".join(out) + "…" + " " * (width - 1 - used)


def _clean(text: str) -> str:
    """Text safe to print in one table cell: no tabs, no direction overrides."""
    return _BIDI.sub("", text.replace("\t", " ")).strip()


def first_line(body: str) -> str:
    """The first line of a comment that holds any text."""
    return next((_clean(line) for line in body.splitlines() if line.strip()), "")


def format_queue(result: Survey, site: Site, now: datetime, width: int) -> str:
    """The moderation queue as a terminal table, then problems and counts by status."""
    pending = sorted((c for c in result.tree.comments() if c.status == "pending"), key=lambda c: (c.date, c.article, c.id))
    out: list[str] = []
    if pending:
        out.append(f"Pending comments, oldest first ({len(pending)}):")
        out.append("")
        out.extend(_table(pending, result.articles, site, now, width))
    else:
        out.append("No comments are waiting for moderation.")
    if result.problems:
        out.append("")
        out.append(f"Problems ({len(result.problems)}):")
        out.extend(f"  {problem}" for problem in result.problems)
    counts = result.count_by_status()
    out.append("")
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    invalid = result.invalid_files
    out.append(f"By status: {summary}" + (f"; {invalid} invalid file{'s' * (invalid != 1)}" if invalid else ""))
    if pending:
        out.append("To approve: set `status: approved` in the file, or run make approve ID=<file path or slug/id>.")
    return "\n".join(out) + "\n"


def _table(pending: Sequence[Comment], articles: dict[str, Article], site: Site, now: datetime, width: int) -> list[str]:
    """One row per pending comment, with its file path on the line below it."""
    rows = []
    for comment in pending:
        article = articles.get(comment.article)
        title = _clean(article.title) if article else f"(no article {comment.article!r})"
        local = comment.date.astimezone(site.tz)
        age = format_age(now - comment.date)
        rows.append((age, local.strftime("%Y-%m-%d %H:%M"), _clean(comment.author), title, first_line(comment.body)))
    headers = ("AGE", "DATE", "AUTHOR", "ARTICLE", "FIRST LINE")
    gap = "  "
    widths = column_widths(headers, rows, width - len(gap) * (len(headers) - 1))
    indent = " " * (widths[0] + len(gap))
    lines = [gap.join(fit(h, w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for comment, row in zip(pending, rows, strict=True):
        lines.append(gap.join(fit(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())
        lines.append(f"{indent}{comment.path}")
    return lines


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], room: int) -> list[int]:
    """Widths of age, date, author, article and text: names shrink before the text drops below 20 cells."""
    caps, floors = (8, 16, 22, 34), (3, 16, 10, 12)
    widths = [
        min(cap, max(text_width(header), *(text_width(row[i]) for row in rows)))
        for i, (header, cap) in enumerate(zip(headers, caps, strict=False))
    ]
    for index in (3, 2):  # shorten the article title first, then the author
        excess = sum(widths) + 20 - room
        if excess > 0:
            widths[index] = max(floors[index], widths[index] - excess)
    widths.append(max(10, room - sum(widths)))
    return widths


def cmd_queue(site: Site, now: datetime | None = None, width: int | None = None) -> int:
    """Print the moderation queue; informational, so it exits 0 even when problems are listed."""
    result = survey(site)
    width = width or shutil.get_terminal_size((100, 24)).columns
    sys.stdout.write(format_queue(result, site, now or datetime.now(site.tz), width))
    return EXIT_OK


def cmd_check(site: Site) -> int:
    """Print every problem with comment files, threads and articles; exit 1 if there is any."""
    result = survey(site)
    for problem in result.problems:
        print(problem)
    if result.problems:
        count = len(result.problems)
        print(f"{count} problem{'s' * (count != 1)} in {result.files} comment files under {site.comments}")
        return EXIT_PROBLEMS
    print(f"{result.files} comment files OK")
    return EXIT_OK


# ---------------------------------------------------------------- resolving ids


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path` is a file directly inside an article folder of `folder` (symlinks resolved)."""
    return path.resolve().parent.parent == folder.resolve()


def resolve_id(site: Site, raw: str) -> tuple[Path | None, str | None]:
    """The file an id names (`<article-slug>/<comment-id>` or a path), or an error message."""
    text = raw.strip()
    if text.endswith(comment_file.EXTENSIONS):
        return _resolve_path(site, Path(text), raw)
    parts = text.split("/")
    if len(parts) == 1 and comment_file.is_valid_id(text):
        hits = sorted(p.parent.name for ext in comment_file.EXTENSIONS for p in site.comments.glob(f"*/{text}{ext}"))
        hint = f"; did you mean {hits[0]}/{text}?" if len(hits) == 1 else ""
        return None, f"{raw!r}: give the article too, as <article-slug>/<comment-id>{hint}"
    slug, cid = parts if len(parts) == 2 else ("", "")
    if not comment_file.is_valid_id(cid) or not slug or slug.startswith(".") or "\\" in slug:
        return None, f"{raw!r} is not a comment id: use <article-slug>/<comment-id> (as make comments shows) or a file path"
    folder = site.comments / slug
    if not folder.is_dir():
        return None, f"{raw!r}: no article folder {folder}"
    found = [folder / f"{cid}{ext}" for ext in comment_file.EXTENSIONS if (folder / f"{cid}{ext}").is_file()]
    if not found:
        return None, f"{raw!r}: no comment {cid!r} in {folder}"
    if len(found) > 1:
        return None, f"{raw!r}: both {found[0].name} and {found[1].name} exist; remove one"
    return _resolve_path(site, found[0], raw)


def _resolve_path(site: Site, path: Path, raw: str) -> tuple[Path | None, str | None]:
    """Check that a path names an existing comment file under the comments folder."""
    if not path.exists() and not path.is_absolute() and (site.comments / path).exists():
        path = site.comments / path
    if not path.exists():
        return None, f"{raw!r}: no such file"
    if path.is_symlink():
        return None, f"{raw!r} is a symbolic link; name the comment file itself"
    if not path.is_file() or not _inside(path, site.comments):
        return None, f"{raw!r} is not a comment file: it must be {site.comments}/<article-slug>/<comment-id>.yaml"
    return _display_path(path), None


def label(path: Path) -> str:
    """The `<article-slug>/<comment-id>` a file stands for."""
    return f"{path.parent.name}/{comment_file.comment_id(path)}"


# ---------------------------------------------------------------- editing in place


def split_lines(text: str) -> list[str]:
    """Lines with their line breaks kept, split where YAML itself breaks lines."""
    pieces = _LINE_BREAK.split(text)
    lines = [pieces[i] + pieces[i + 1] for i in range(0, len(pieces) - 1, 2)]
    if pieces[-1]:
        lines.append(pieces[-1])
    return lines


def _unquote_key(key: str) -> str:
    """A mapping key as written, without its quotes."""
    return key[1:-1] if key[:1] in "\"'" else key


def _value_span(rest: str) -> tuple[int, int, str] | None:
    """Where the one-line value after a key's colon starts and ends, and its style; None if not editable."""
    stripped = rest.lstrip(" \t")
    start = len(rest) - len(stripped)
    if not stripped or stripped.startswith("#"):
        return start, start, "empty"
    first = stripped[0]
    if first in _NOT_EDITABLE:
        return None
    if first in "\"'":
        match = (_DOUBLE if first == '"' else _SINGLE).match(rest, start)
        if match is None or not _AFTER_VALUE.match(rest, match.end()):
            return None
        return start, match.end(), "double" if first == '"' else "single"
    comment = re.search(r"[ \t]#", stripped)
    value = stripped[: comment.start()] if comment else stripped
    return start, start + len(value.rstrip(" \t")), "plain"


def render_value(value: str, style: str) -> str:
    """`value` as a one-line YAML scalar, in `style` when that is safe, else double-quoted."""
    if style == "single" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    if style in ("plain", "empty") and _PLAIN_SAFE.fullmatch(value):
        return value
    return json.dumps(value, ensure_ascii=False)


def set_value(line: str, key: str, value: str, keep_style: bool = True) -> str | None:
    """`line` (holding `key: <one-line value>`) with the value replaced; None if it is not in that form."""
    match = _KEY_LINE.match(line)
    if match is None or _unquote_key(match["key"]) != key:
        return None
    rest = match["rest"]
    span = _value_span(rest)
    if span is None:
        return None
    start, end, style = span
    new = render_value(value, style if keep_style else "double")
    if style == "empty":
        new = (" " if start == 0 else "") + new + (" " if rest[start:] else "")
    head = line[: match.start("rest")]
    return head + rest[:start] + new + rest[end:] + match["end"]


def _newline(lines: Sequence[str], index: int) -> str:
    """The line break style to use: that of line `index`, else the file's first, else LF."""
    for line in (lines[index], *lines):
        match = _LINE_BREAK.search(line)
        if match:
            return match.group(0)
    return "\n"


@dataclass(frozen=True, slots=True)
class Plan:
    """A checked change to one comment file: its bytes before and after (None: nothing to change)."""

    path: Path
    comment: Comment
    before: bytes
    after: bytes | None


def _edits(
    path: Path, parsed: Parsed, text: str, changes: dict[str, str], keep_style: bool
) -> tuple[list[str], list[str], int] | Problem:
    """Lines with the present keys' values replaced, the lines to add for absent keys, and the status line index."""
    lines = split_lines(text)
    status_index = parsed.lines["status"] - 1
    added: list[str] = []
    indent = re.match(r"[ ]*", lines[status_index]).group(0)
    newline = _newline(lines, status_index)
    for key, value in changes.items():
        if key not in parsed.lines:
            added.append(f"{indent}{key}: {render_value(value, 'double')}{newline}")
            continue
        index = parsed.lines[key] - 1
        new = set_value(lines[index], key, value, keep_style) if index < len(lines) else None
        if new is None:
            return Problem(
                path, f"{key!r} is written in a form that cannot be changed in place "
                f"(a block scalar, a flow mapping or a value on the next line); write it as `{key}: <value>` on one line, "
                "or edit the file by hand", index + 1,
            )
        lines[index] = new
    return lines, added, status_index


def _candidates(lines: list[str], added: list[str], status_index: int) -> Iterator[str]:
    """New texts to try: new keys appended at the end, else right after the status line."""
    if not added:
        yield "".join(lines)
        return
    tail = lines[-1] if lines else ""
    end = [] if not tail or _LINE_BREAK.search(tail) else [_newline(lines, status_index)]
    yield "".join([*lines, *end, *added])
    status_line = lines[status_index]
    if not _LINE_BREAK.search(status_line):
        status_line += _newline(lines, status_index)
    yield "".join([*lines[:status_index], status_line, *added, *lines[status_index + 1:]])


def verify(path: Path, before: Parsed, text: str, changes: dict[str, str]) -> str | None:
    """Why `text` is not exactly `before` with `changes` applied (read back with the loader), or None."""
    try:
        after = comment_file.parse(path, text)
    except CommentFileError as exc:
        return f"the edit would break the file ({exc.problem.message})"
    for key, value in changes.items():
        if after.values.get(key) != value:
            return f"{key!r} would not read back as {value!r}"
    for key, value in before.values.items():
        if key not in changes and after.values.get(key) != value:
            return f"{key!r} would change too"
    if set(after.values) != set(before.values) | set(changes):
        return "fields would be added or lost"
    return None


def plan_change(path: Path, data: bytes, status: str, stamp: dict[str, str], tz: tzinfo) -> tuple[Plan | None, list[Problem]]:
    """Check a file and work out its new bytes: `status` and the stamp fields changed, all else kept."""
    comment, problems = comment_file.read(path, tz, data)
    if comment is None:
        return None, problems
    if comment.status == status:
        return Plan(path, comment, data, None), []
    text = comment_file.decode(path, data)
    parsed = comment_file.parse(path, text)
    changes = {"status": status, **stamp}
    reason = "no edit was possible"
    for keep_style in (True, False):
        edits = _edits(path, parsed, text, changes, keep_style)
        if isinstance(edits, Problem):
            return None, [edits]
        for candidate in _candidates(*edits):
            failure = verify(path, parsed, candidate, changes)
            if failure is None:
                new_bytes = candidate.encode("utf-8")
                checked, problems = comment_file.read(path, tz, new_bytes)
                if checked is None:
                    return None, problems
                return Plan(path, comment, data, new_bytes), []
            reason = failure
    line = parsed.lines["status"]
    return None, [Problem(path, f"cannot change 'status' in place: {reason}; edit the file by hand", line)]


# ---------------------------------------------------------------- approve, reject, spam


def moderator_name(cwd: Path | None = None) -> tuple[str | None, str | None]:
    """Who is moderating: $COMMENTS_MODERATOR, else git's user.name, else the login name."""
    name = os.environ.get(MODERATOR_ENV, "").strip()
    source = f"${MODERATOR_ENV}"
    if not name:
        name, source = _git_user_name(cwd), "git config user.name"
    if not name:
        name, source = _login_name(), "the login name"
    if not name:
        return None, f"cannot tell who is moderating; set {MODERATOR_ENV}=\"Your Name\""
    if len(name) > MODERATOR_MAX or any(unicodedata.category(c) == "Cc" for c in name):
        return None, f"the moderator name from {source} must be one line of at most {MODERATOR_MAX} characters"
    return name, None


def _git_user_name(cwd: Path | None) -> str:
    """git's user.name, or '' when git or the setting is missing."""
    try:
        done = subprocess.run(
            ["git", "config", "user.name"], cwd=cwd, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _login_name() -> str:
    """The operating system's name for the current user, or ''."""
    import getpass

    try:
        return getpass.getuser().strip()
    except (OSError, KeyError):
        return ""


def _read_bytes(path: Path) -> tuple[bytes | None, str | None]:
    """A file's bytes (at most one byte over the size limit), or an error message."""
    try:
        with path.open("rb") as handle:
            return handle.read(comment_file.MAX_FILE_BYTES + 1), None
    except OSError as exc:
        return None, f"cannot read {path}: {exc.strerror}"


def _parent_warnings(site: Site, plans: Sequence[Plan], status: str) -> list[str]:
    """Warnings for approved replies whose parent stays unpublished."""
    if status != PUBLISHED or not any(p.comment.reply_to for p in plans):
        return []
    tree = comment_file.load_tree(site.comments, site.tz)
    approving = {(p.comment.article, p.comment.id) for p in plans}
    warnings = []
    for plan in plans:
        parent_id = plan.comment.reply_to
        if parent_id is None or (plan.comment.article, parent_id) in approving:
            continue
        siblings = {c.id: c for c in tree.by_article.get(plan.comment.article, [])}
        parent = siblings.get(parent_id)
        who = f"{plan.comment.article}/{parent_id}"
        if parent is None:
            warnings.append(
                f"{label(plan.path)} replies to {who}, which is missing or invalid: the reply stays hidden "
                "until that is fixed (make check-comments shows the problem)"
            )
        elif parent.status != PUBLISHED:
            warnings.append(
                f"{label(plan.path)} replies to {who}, which is {parent.status}: the reply is published under "
                "a placeholder until its parent is approved"
            )
    return warnings


def write_plan(
    plan: Plan, status: str, stamp: dict[str, str], tz: tzinfo, before_write: BeforeWrite | None = None
) -> tuple[str | None, str | None]:
    """Write one planned change atomically; if the file changed meanwhile, plan again from its new bytes.

    The file is replaced only when the bytes read just before the rename are the
    bytes the change was made from, so an edit saved while the command runs is
    kept (the change is applied to it) rather than overwritten. Only a write that
    lands in the instant between that last read and the rename can still be
    lost; even then the file is always one whole, valid version, never a mix.
    Returns the status the file had before, or an error message.
    """
    expected, after, old_status = plan.before, plan.after, plan.comment.status
    last_error = "the file kept changing while it was being written"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        if before_write is not None:
            before_write(plan.path, attempt)
        current, error = _read_bytes(plan.path)
        if current is None:
            return None, error
        if current == expected:
            if after is None:
                return old_status, None
            try:
                comment_file.replace(plan.path, after)
            except OSError as exc:
                return None, f"cannot write {plan.path}: {exc.strerror}"
            return old_status, None
        logger.warning("%s changed while it was being moderated; reading it again", plan.path)
        fresh, problems = plan_change(plan.path, current, status, stamp, tz)
        if fresh is None:
            last_error = f"the file changed and is now invalid: {problems[0]}"
            expected = None  # wait for a valid version before writing anything
            time.sleep(0.02 * attempt)
            continue
        expected, after, old_status = fresh.before, fresh.after, fresh.comment.status
    return None, last_error


def cmd_moderate(
    site: Site,
    ids: Sequence[str],
    status: str,
    moderator: str | None = None,
    now: datetime | None = None,
    before_write: BeforeWrite | None = None,
) -> int:
    """Set `status` on every named comment; check all of them first and touch nothing if any is bad."""
    if not ids:
        print("error: name at least one comment: <article-slug>/<comment-id> or a file path", file=sys.stderr)
        return EXIT_USAGE
    errors: list[str] = []
    if moderator is None:
        moderator, error = moderator_name(site.content)
        if error:
            errors.append(error)
    stamp = {
        "moderated_at": (now or datetime.now(site.tz)).astimezone(site.tz).isoformat(timespec="seconds"),
        "moderator": moderator or "",
    }
    plans: list[Plan] = []
    seen: set[Path] = set()
    for raw in ids:
        path, error = resolve_id(site, raw)
        if path is None:
            errors.append(error or f"{raw!r}: unknown")
            continue
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        data, error = _read_bytes(path)
        if data is None:
            errors.append(error or f"cannot read {path}")
            continue
        plan, problems = plan_change(path, data, status, stamp, site.tz)
        if plan is None:
            errors.extend(str(p) for p in problems)
            continue
        plans.append(plan)
    if errors:
        for error in errors:
            print(f"error: {error}", file=sys.stderr)
        print("No file was changed.", file=sys.stderr)
        return EXIT_USAGE
    for warning in _parent_warnings(site, [p for p in plans if p.after is not None], status):
        print(f"warning: {warning}", file=sys.stderr)
    return _write_all(site, plans, status, stamp, before_write)


def _write_all(site: Site, plans: Sequence[Plan], status: str, stamp: dict[str, str], before_write: BeforeWrite | None) -> int:
    """Write every planned change, one line of output each; exit 1 if any write failed."""
    failed = changed = 0
    for plan in plans:
        old, error = write_plan(plan, status, stamp, site.tz, before_write)
        if old is None:
            failed += 1
            print(f"error: {label(plan.path)} not changed: {error}", file=sys.stderr)
        elif old == status:
            print(f"{label(plan.path)} is already {status}; left unchanged")
        else:
            changed += 1
            print(f"{status} {label(plan.path)} (was {old})")
    if changed:
        print("Rebuild the site (make html) to see the change.")
    return EXIT_PROBLEMS if failed else EXIT_OK


# ---------------------------------------------------------------- command line


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface: queue, approve, reject, spam and check."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--settings", type=Path, default=argparse.SUPPRESS, metavar="FILE",
                        help="Pelican settings file (default: pelicanconf.py in the current folder)")
    common.add_argument("--content", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                        help="content folder, overriding the settings' PATH")
    parser = argparse.ArgumentParser(
        prog="python -m reader_comments.moderate", parents=[common],
        description="Moderate reader comments: show the queue, change statuses, check every file.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("queue", parents=[common], help="show pending comments, problems and counts")
    for action, status in ACTIONS.items():
        sub = commands.add_parser(action, parents=[common], help=f"set status: {status}")
        sub.add_argument("ids", nargs="*", metavar="ID", help="<article-slug>/<comment-id> or a file path")
    commands.add_parser("check", parents=[common], help="validate every comment file; exit 1 on any problem")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit status."""
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.WARNING)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    args = build_parser().parse_args(argv)
    site, error = load_site(getattr(args, "settings", None), getattr(args, "content", None))
    if site is None:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "queue":
        return cmd_queue(site)
    if args.command == "check":
        return cmd_check(site)
    return cmd_moderate(site, args.ids, ACTIONS[args.command])


if __name__ == "__main__":
    sys.exit(main())
