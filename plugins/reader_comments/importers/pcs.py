"""pelican-comment-system folders: one folder per article slug, one Markdown file with metadata per comment."""

from __future__ import annotations

from pathlib import Path

from ..site_model import MARKDOWN_EXTENSIONS, Site, front_matter
from . import fields
from .source import Export, SourceComment, read_folders

PREFIX = "pcs"


def comment_name(file_name: str, site: Site) -> str:
    """The id pelican-comment-system gives a file: its slugified name (`1.md` is `1md`)."""
    from pelican.utils import slugify

    return slugify(file_name, regex_subs=site.settings.get("SLUG_REGEX_SUBSTITUTIONS", []))


def _date(value: str, site: Site) -> str | None:
    """A metadata date as Pelican reads one (many forms); without an offset it is in the site's time zone."""
    from pelican.utils import get_date

    try:
        moment = get_date(value)
    except (ValueError, OverflowError):
        return None
    return fields.iso(moment if moment.tzinfo else moment.replace(tzinfo=site.tz))


def _body(path: Path) -> str:
    """The Markdown after the metadata block (everything after the first blank line)."""
    text = path.read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    lines = text.split("\n")
    start = next((i for i, line in enumerate(lines) if not line.strip()), len(lines))
    return "\n".join(lines[start + 1:])


def _comment(path: Path, site: Site, export: Export) -> SourceComment | None:
    """One comment file, or None when it is broken (reported)."""
    meta, error = front_matter(path)
    if error:
        export.problems.append(f"{path}: {error}")
        return None
    values = {key: value for key, (value, _) in meta.items()}
    date = _date(values.get("date", ""), site)
    if date is None:
        line = meta["date"][1] if "date" in meta else None
        export.problems.append(f"{path}{f':{line}' if line else ''}: 'date' {values.get('date')!r} is not a date")
        return None
    parent = values.get("replyto", "").strip()
    return SourceComment(
        fields.source_id(comment_name(path.name, site)),
        fields.source_id(parent) if parent else None,
        {
            "author": fields.author(values.get("author")),
            "date": date,
            "status": "approved",
            "body": fields.body(_body(path)),
            "website": fields.website(values.get("website")),
        },
    )


def read(path: Path, site: Site) -> Export:
    """Every article folder of a pelican-comment-system comments folder."""
    return read_folders(path, PREFIX, MARKDOWN_EXTENSIONS, lambda file, export: _comment(file, site, export), "pelican-comment-system")
