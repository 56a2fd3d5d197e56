"""Export every comment file, with its article slug, id and every field, as one JSON file."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .. import comment_format
from ..comment_format import CommentFileError
from ..errors import ReaderCommentsError
from ..fileio import atomic_write
from ..site_model import Site

FORMAT = "reader-comments"
VERSION = 1
# The export holds every comment, rejected and spam ones and private notes included: for its owner's eyes only.
PRIVATE = 0o600


def collect(site: Site) -> tuple[list[dict[str, Any]], list[str]]:
    """Every comment's fields exactly as written in its file, and the problems of files that are not valid."""
    entries: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in comment_format.comment_files(site.comments):
        try:
            data = comment_format.read_bytes(path)
        except CommentFileError as exc:
            problems.append(str(exc.problem))
            continue
        comment, found = comment_format.read(path, site.tz, data)
        if comment is None:
            problems.extend(str(p) for p in found)
            continue
        try:
            values = comment_format.parse(path, comment_format.decode(path, data)).values
        except CommentFileError as exc:
            problems.append(str(exc.problem))
            continue
        kept = {name: values[name] for name in comment_format.FIELDS if values.get(name) is not None}
        entries.append({"slug": comment.article, "id": comment.id, **kept})
    return entries, problems


def document(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The export's JSON document."""
    return {"format": FORMAT, "version": VERSION, "comments": entries}


class ExportError(ReaderCommentsError):
    """The export was not written: invalid comment files (`problems`), or the file could not be written."""

    def __init__(self, message: str, problems: list[str] | None = None) -> None:
        """Say why; carry the invalid files' problems, if that is why."""
        super().__init__(message)
        self.problems = problems or []


def write_export(site: Site, path: Path) -> int:
    """Write the export and return how many comments it holds; refuse (writing nothing) while any file is invalid."""
    entries, problems = collect(site)
    if problems:
        raise ExportError("Fix these files first (make check-comments): nothing was written.", problems)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, (json.dumps(document(entries), ensure_ascii=False, indent=1) + "\n").encode("utf-8"), mode=PRIVATE)
    except OSError as exc:
        raise ExportError(f"cannot write {path}: {exc.strerror}") from exc
    return len(entries)
