"""Export every comment file, with its article slug, id and every field, as one JSON file."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from .. import comment_file
from ..comment_file import CommentFileError
from ..fileio import atomic_write
from ..moderation import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE
from ..moderation.articles import Site

FORMAT = "reader-comments"
VERSION = 1
# The export holds every comment, rejected and spam ones and private notes included: for its owner's eyes only.
PRIVATE = 0o600


def collect(site: Site) -> tuple[list[dict[str, Any]], list[str]]:
    """Every comment's fields exactly as written in its file, and the problems of files that are not valid."""
    entries: list[dict[str, Any]] = []
    problems: list[str] = []
    for path in comment_file.comment_files(site.comments):
        try:
            data = comment_file.read_bytes(path)
        except CommentFileError as exc:
            problems.append(str(exc.problem))
            continue
        comment, found = comment_file.read(path, site.tz, data)
        if comment is None:
            problems.extend(str(p) for p in found)
            continue
        try:
            values = comment_file.parse(path, comment_file.decode(path, data)).values
        except CommentFileError as exc:
            problems.append(str(exc.problem))
            continue
        kept = {name: values[name] for name in comment_file.FIELDS if values.get(name) is not None}
        entries.append({"slug": comment.article, "id": comment.id, **kept})
    return entries, problems


def document(entries: list[dict[str, Any]]) -> dict[str, Any]:
    """The export's JSON document."""
    return {"format": FORMAT, "version": VERSION, "comments": entries}


def run_export(site: Site, path: Path) -> int:
    """Write the export; refuse (writing nothing) while any comment file is invalid."""
    entries, problems = collect(site)
    if problems:
        for problem in problems:
            print(f"error: {problem}", file=sys.stderr)
        print("Fix these files first (make check-comments): nothing was written.", file=sys.stderr)
        return EXIT_PROBLEMS
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(path, (json.dumps(document(entries), ensure_ascii=False, indent=1) + "\n").encode("utf-8"), mode=PRIVATE)
    except OSError as exc:
        print(f"error: cannot write {path}: {exc.strerror}", file=sys.stderr)
        return EXIT_USAGE
    print(f"Exported {len(entries)} comments to {path}.")
    return EXIT_OK
