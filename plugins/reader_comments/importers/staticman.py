"""Staticman data folders: one folder per post, one YAML (or JSON) file per comment."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import yaml

from ..site_model import Site
from . import fields
from .source import Export, SourceComment, read_folders

PREFIX = "staticman"
EXTENSIONS = (".yml", ".yaml", ".json")
PARENT_KEYS = ("_parent", "replying_to")
_MILLISECONDS = 10**11  # a timestamp this large counts milliseconds (Staticman's "timestamp" format)


def _load(path: Path) -> Any:
    """One data file's content (YAML or JSON; YAML is read with the safe loader)."""
    text = path.read_text(encoding="utf-8-sig")
    if path.suffix == ".json":
        return json.loads(text)
    return yaml.safe_load(text)


def date_of(value: Any, site: Site) -> str | None:
    """Staticman's date: ISO 8601 text, a YAML timestamp, or Unix seconds or milliseconds."""
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return fields.from_timestamp(value / 1000 if value > _MILLISECONDS else value)
    if isinstance(value, datetime):
        return fields.iso(value if value.tzinfo else value.replace(tzinfo=UTC))
    if isinstance(value, date):
        return fields.iso(datetime.combine(value, time(), site.tz))
    if isinstance(value, str) and value.strip().isdigit():
        return date_of(int(value.strip()), site)
    return fields.from_text(value, site.tz) if isinstance(value, str) else None


def _text(data: dict[str, Any], key: str) -> str:
    """A field as text ('' when absent)."""
    value = data.get(key)
    return "" if value is None else str(value)


def _comment(path: Path, site: Site, export: Export) -> SourceComment | None:
    """One data file as a comment, or None when it is broken (reported)."""
    try:
        data = _load(path)
    except (OSError, UnicodeDecodeError, ValueError, RecursionError, yaml.YAMLError) as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else f"{path}"
        export.problems.append(f"{where}: cannot read the Staticman entry: {getattr(exc, 'problem', None) or exc}")
        return None
    if not isinstance(data, dict) or "message" not in data:
        export.problems.append(f"{path}: not a Staticman entry (a mapping with at least a 'message')")
        return None
    date = date_of(data.get("date"), site)
    if date is None:
        export.problems.append(f"{path}: 'date' {data.get('date')!r} is not a date")
        return None
    parent = next((_text(data, key).strip() for key in PARENT_KEYS if _text(data, key).strip()), None)
    return SourceComment(
        fields.source_id(_text(data, "_id").strip() or path.stem),
        fields.source_id(parent) if parent else None,
        {
            "author": fields.author(_text(data, "name")),
            "date": date,
            "status": "approved",
            "body": fields.body(_text(data, "message")),
            "website": fields.website(_text(data, "url")),
        },
    )


def read(path: Path, site: Site) -> Export:
    """Every post folder of a Staticman data folder with its comments."""
    return read_folders(path, PREFIX, EXTENSIONS, lambda file, export: _comment(file, site, export), "Staticman")
