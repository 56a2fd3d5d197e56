"""Read a Markdown file's front matter as written, and explain what is wrong with it."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from pelican.utils import get_date

# Fields Pelican itself reads; a site adds its own through POST_CHECKS_EXTRA_FIELDS.
PELICAN_FIELDS = (
    "Title", "Date", "Modified", "Category", "Tags", "Slug", "Author", "Authors", "Summary",
    "Status", "Lang", "Translation", "Template", "Save_as", "Url",
)
DATE_FIELDS = ("date", "modified")
DATE_EXAMPLE = "2024-05-01 09:00"
MARKDOWN_SUFFIXES = (".md", ".markdown", ".mkd", ".mdown")
KEY_LINE = re.compile(r"^ {0,3}(?P<key>[A-Za-z0-9_-]+):\s*(?P<value>.*)$")
FENCE = re.compile(r"^(-{3}|\.{3})\s*$")
SIMILAR = 0.75


@dataclass(frozen=True)
class Field:
    """One `Key: value` line of front matter, as the author wrote it."""

    name: str
    value: str
    line: int


@dataclass(frozen=True)
class Problem:
    """One mistake in a file's front matter; `skips` when Pelican will leave the file out."""

    path: Path
    line: int | None
    text: str
    skips: bool = True

    def __str__(self) -> str:
        """`path, line N: text`, as the build prints it."""
        where = f"{self.path}, line {self.line}" if self.line else str(self.path)
        return f"{where}: {self.text}"


def read_fields(path: Path) -> list[Field]:
    """The front matter fields of a Markdown file, in order; empty for other formats."""
    if path.suffix.lower() not in MARKDOWN_SUFFIXES:
        return []
    with path.open(encoding="utf-8-sig", errors="replace") as lines:
        return _header_fields(line.rstrip("\r\n") for line in lines)


def _header_fields(lines: Iterable[str]) -> list[Field]:
    """The `Key: value` lines at the top, up to the first blank line (read no further)."""
    fields: list[Field] = []
    for number, line in enumerate(lines, start=1):
        if number == 1 and FENCE.match(line):
            continue
        if not line.strip() or FENCE.match(line):
            break
        match = KEY_LINE.match(line)
        if match:
            fields.append(Field(match["key"], match["value"].strip(), number))
        elif fields and line.startswith("    "):
            last = fields.pop()
            fields.append(Field(last.name, f"{last.value} {line.strip()}", last.line))
        else:
            break
    return fields


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
            problems.append(Problem(path, field.line, f"unknown field '{field.name}'; did you mean '{guess}'?", skips=False))
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
                path, field.line,
                f"field '{field.name}' has '{field.value}', which is not a date ({reason}); "
                f"write it as year-month-day hour:minute, such as '{field.name}: {DATE_EXAMPLE}'.",
            ))
    return problems


def missing_field(path: Path, name: str, hints: list[Problem]) -> Problem:
    """A required field is absent: point at the likely misspelling, or say what to add."""
    label = name.capitalize()
    for hint in hints:
        if hint.text.endswith(f"did you mean '{label}'?"):
            return Problem(path, hint.line, f"{hint.text} The post has no '{label}' field.")
    example = f"{label}: {DATE_EXAMPLE}" if name in DATE_FIELDS else f"{label}: …"
    return Problem(path, None, f"no '{label}' field; add a line such as '{example}' to the front matter.")


def bad_status(path: Path, fields: list[Field], status: str, allowed: Iterable[str]) -> Problem:
    """A Status Pelican does not know."""
    allowed = list(allowed)
    line = next((f.line for f in fields if f.name.lower() == "status"), None)
    guess = closest(status, allowed)
    hint = f" did you mean '{guess}'?" if guess else ""
    return Problem(path, line, f"field 'Status' has '{status}';{hint} It must be one of {', '.join(allowed)}.")
