"""isso SQLite databases: threads by URI, comments with isso's modes and reply links."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..site_model import Site
from . import fields
from .source import Export, SourceComment, SourceError, SourceThread, require_file

PREFIX = "isso"
MODES = {1: "approved", 2: "pending", 4: "rejected"}
DELETED = 4
_THREADS = "SELECT id, uri FROM threads ORDER BY id"
_COMMENTS = "SELECT tid, id, parent, created, mode, text, author, website FROM comments ORDER BY id"


def _rows(path: Path) -> tuple[list[tuple], list[tuple]]:
    """The threads and comments tables, read from the database opened read-only."""
    require_file(path)
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise SourceError(f"{path}: cannot open the database: {exc}") from None
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"threads", "comments"} <= tables:
            raise SourceError(f"{path}: not an isso database: it has no threads and comments tables")
        return connection.execute(_THREADS).fetchall(), connection.execute(_COMMENTS).fetchall()
    except sqlite3.Error as exc:
        raise SourceError(f"{path}: not an isso database ({exc})") from None
    finally:
        connection.close()


def _comment(path: Path, row: tuple, export: Export) -> SourceComment | None:
    """One comments row, or None when it is broken (reported)."""
    _, source_id, parent, created, mode, text, author, website = row
    if mode not in MODES:
        export.problems.append(f"{path}: comment {source_id}: unknown mode {mode!r}")
        return None
    try:
        date = fields.from_timestamp(created)
    except (TypeError, ValueError, OverflowError, OSError):
        export.problems.append(f"{path}: comment {source_id}: 'created' {created!r} is not a Unix time")
        return None
    return SourceComment(
        fields.source_id(source_id),
        fields.source_id(parent) if parent is not None else None,
        {
            "author": fields.author(author),
            "date": date,
            "status": MODES[mode],
            "body": fields.body(text, deleted=mode == DELETED),
            "website": fields.website(website),
        },
    )


def read(path: Path, site: Site) -> Export:
    """Every thread of an isso database with its comments."""
    thread_rows, comment_rows = _rows(path)
    export = Export(PREFIX)
    threads = {tid: SourceThread(label=str(uri), url=str(uri)) for tid, uri in thread_rows}
    for row in comment_rows:
        thread = threads.get(row[0])
        if thread is None:
            thread = threads[row[0]] = SourceThread(label=f"thread {row[0]} (not in the threads table)")
        comment = _comment(path, row, export)
        if comment is not None:
            thread.comments.append(comment)
    export.threads.extend(threads.values())
    return export
