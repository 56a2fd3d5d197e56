"""Explain what is wrong with a post's front matter, read by the comments plugin's one front-matter reader."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path

from pelican.utils import get_date

from pelican.plugins.reader_comments.errors import Problem
from pelican.plugins.reader_comments.site_model import MARKDOWN_EXTENSIONS, Field
from pelican.plugins.reader_comments.site_model import read_fields as read_front_matter

# Fields Pelican itself reads; a site adds its own through POST_CHECKS_EXTRA_FIELDS.
PELICAN_FIELDS = (
    "Title", "Date", "Modified", "Category", "Tags", "Slug", "Author", "Authors", "Summary",
    "Status", "Lang", "Translation", "Template", "Save_as", "Url",
)
DATE_FIELDS = ("date", "modified")
DATE_EXAMPLE = "2024-05-01 09:00"
SIMILAR = 0.75


def read_fields(path: Path) -> list[Field]:
    """The front matter fields of a Markdown file, in order; empty for other formats."""
    if path.suffix.lower() not in MARKDOWN_EXTENSIONS:
        return []
    return read_front_matter(path, errors="replace")


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice most like `word` (ignoring case), if one is close enough to be a likely typo."""
    by_lower = {choice.lower(): choice for choice in choices}
    match = difflib.get_close_matches(word.lower(), list(by_lower), n=1, cutoff=SIMILAR)
    return by_lower[match[0]] if match else None


def unknown_fields(path: Path, fields: list[Field], known: Iterable[str]) -> list[Problem]:
    """Fields that are not known but look like a typo of one that is."""
    known = list(known)
    lowered = {name.lower() for name in known}
    problems = []
    for field in fields:
        if field.name.lower() in lowered:
            continue
        guess = closest(field.name, known)
        if guess:
            problems.append(Problem(path, f"unknown field '{field.name}'; did you mean '{guess}'?", field.line))
    return problems


def date_reason(value: str) -> str | None:
    """Why Pelican cannot read `value` as a date, or None when it can."""
    try:
        get_date(value)
    except ValueError as error:
        cause = str(error.__context__ or error).split(":")[0]
        return cause[:1].lower() + cause[1:]
    return None


def bad_dates(path: Path, fields: list[Field]) -> list[Problem]:
    """Date fields whose value is not a date Pelican can read."""
    problems = []
    for field in fields:
        reason = field.name.lower() in DATE_FIELDS and date_reason(field.value)
        if reason:
            problems.append(Problem(
                path,
                f"field '{field.name}' has '{field.value}', which is not a date ({reason}); "
                f"write it as year-month-day hour:minute, such as '{field.name}: {DATE_EXAMPLE}'.",
                field.line,
            ))
    return problems


def missing_field(path: Path, name: str, hints: list[Problem]) -> Problem:
    """A required field is absent: point at the likely misspelling, or say what to add."""
    label = name.capitalize()
    for hint in hints:
        if hint.message.endswith(f"did you mean '{label}'?"):
            return Problem(path, f"{hint.message} The post has no '{label}' field.", hint.line)
    example = f"{label}: {DATE_EXAMPLE}" if name in DATE_FIELDS else f"{label}: …"
    return Problem(path, f"no '{label}' field; add a line such as '{example}' to the front matter.")


def bad_status(path: Path, fields: list[Field], status: str, allowed: Iterable[str]) -> Problem:
    """A Status Pelican does not know."""
    allowed = list(allowed)
    line = next((f.line for f in fields if f.name.lower() == "status"), None)
    guess = closest(status, allowed)
    hint = f" did you mean '{guess}'?" if guess else ""
    return Problem(path, f"field 'Status' has '{status}';{hint} It must be one of {', '.join(allowed)}.", line)
