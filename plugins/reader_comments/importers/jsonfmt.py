"""This project's own export (see `export.py`) read back: every field as it was, ids unchanged."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import comment_format
from ..site_model import Site
from .export import FORMAT, VERSION
from .source import Export, SourceComment, SourceError, SourceThread, require_file


def _load(path: Path) -> list[Any]:
    """The export's list of comments, or a one-line SourceError."""
    require_file(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text ({exc.reason})") from None
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}:{exc.lineno}: not a complete JSON file ({exc.msg})") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the file: {exc.strerror}") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("comments"), list):
        raise SourceError(f"{path}: not a comments export (a JSON object with \"format\": \"{FORMAT}\")")
    if data.get("version") != VERSION:
        raise SourceError(f"{path}: export version {data.get('version')!r} is not {VERSION}")
    return data["comments"]


def _entry(path: Path, number: int, entry: Any, export: Export) -> tuple[str, SourceComment] | None:
    """One exported comment and its slug, or None when it is malformed (reported)."""
    where = f"{path}: comment #{number}"
    if not isinstance(entry, dict) or not all(isinstance(v, str) for v in entry.values()):
        export.problems.append(f"{where}: must be an object of text fields")
        return None
    slug, cid = entry.get("slug", ""), entry.get("id", "")
    unknown = set(entry) - {"slug", "id", *comment_format.FIELDS}
    if not slug or not cid or unknown:
        export.problems.append(f"{where}: needs 'slug' and 'id'" + (f"; unknown fields {sorted(unknown)}" if unknown else ""))
        return None
    values = {name: entry.get(name) for name in comment_format.FIELDS if name != "reply_to"}
    return slug, SourceComment(cid, entry.get("reply_to"), values)


def read(path: Path, site: Site) -> Export:
    """The comments of an export, one thread per article slug."""
    export = Export(prefix="")
    threads: dict[str, SourceThread] = {}
    for number, entry in enumerate(_load(path), start=1):
        found = _entry(path, number, entry, export)
        if found is None:
            continue
        slug, comment = found
        thread = threads.setdefault(slug, SourceThread(label=f"slug {slug}", identifiers=(slug,)))
        thread.comments.append(comment)
    export.threads.extend(threads.values())
    return export
