"""isso SQLite databases: threads by URI, comments with isso's modes and reply links."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from ..site_model import Site
from . import fields
from .source import Export, SourceComment, SourceError, SourceThread, require_file

PREFIX = "isso"
MODES = {1: "approved", 2: "pending", 4: "rejected"}
DELETED = 4
_THREADS = "SELECT id, uri FROM threads ORDER BY id"
_COMMENTS = "SELECT tid, id, parent, created, mode, text, author, website FROM comments ORDER BY id"
# The largest value read (isso stores a comment's text in one): anything bigger is refused, not read.
MAX_VALUE_BYTES = 1 << 20
# The most time reading the database may take; a database that takes longer is refused.
MAX_READ_SECONDS = 30.0
# Column types isso writes, as Python reads them; None is NULL.
_COMMENT_TYPES: tuple[tuple[str, tuple[type, ...]], ...] = (
    ("tid", (int,)), ("id", (int,)), ("parent", (int, type(None))), ("created", (int, float)), ("mode", (int,)),
    ("text", (str, type(None))), ("author", (str, type(None))), ("website", (str, type(None))),
)
_KINDS = {int: "an integer", float: "a number", str: "text", bytes: "a blob", type(None): "empty"}


def _rows(path: Path) -> tuple[list[tuple], list[tuple]]:
    """The threads and comments tables, read from the database opened read-only."""
    require_file(path)
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise SourceError(f"{path}: cannot open the database: {exc}") from None
    connection.setlimit(sqlite3.SQLITE_LIMIT_LENGTH, MAX_VALUE_BYTES)
    deadline = time.monotonic() + MAX_READ_SECONDS
    connection.set_progress_handler(lambda: time.monotonic() > deadline, 10_000)
    try:
        tables = {row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if not {"threads", "comments"} <= tables:
            raise SourceError(f"{path}: not an isso database: it has no threads and comments tables")
        for table in ("threads", "comments"):
            _check_plain(connection, path, table)
        return connection.execute(_THREADS).fetchall(), connection.execute(_COMMENTS).fetchall()
    except sqlite3.DataError as exc:
        raise SourceError(f"{path}: a value is larger than {MAX_VALUE_BYTES} bytes ({exc}); refused") from None
    except sqlite3.OperationalError as exc:
        if time.monotonic() > deadline:
            raise SourceError(f"{path}: reading the database took over {MAX_READ_SECONDS:g} s; refused") from None
        raise SourceError(f"{path}: not an isso database ({exc})") from None
    except sqlite3.Error as exc:
        raise SourceError(f"{path}: not an isso database ({exc})") from None
    finally:
        connection.close()


def _check_plain(connection: sqlite3.Connection, path: Path, table: str) -> None:
    """Refuse a table isso would not have written: virtual, or with generated or hidden columns (computed on read)."""
    sql = connection.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", (table,)).fetchone()[0]
    if not str(sql or "").lstrip().upper().startswith("CREATE TABLE"):
        raise SourceError(f"{path}: table {table} is a virtual table, which isso never writes; refused")
    odd = [str(row[1]) for row in connection.execute(f"PRAGMA table_xinfo({table})") if row[6]]
    if odd:
        raise SourceError(f"{path}: table {table} has generated or hidden columns ({', '.join(odd)}), which isso never writes; refused")


def _wrong_type(row: tuple) -> str | None:
    """What is wrong with the types of a comments row ('text' is a blob, not text), or None."""
    for (name, kinds), value in zip(_COMMENT_TYPES, row, strict=True):
        if not isinstance(value, kinds) or isinstance(value, bool):
            expected = " or ".join(_KINDS[kind] for kind in kinds if kind is not type(None))
            return f"{name!r} is {_KINDS.get(type(value), type(value).__name__)}, not {expected}"
    return None


def _comment(path: Path, row: tuple, export: Export) -> SourceComment | None:
    """One comments row, or None when it is broken (reported)."""
    _, source_id, parent, created, mode, text, author, website = row
    wrong = _wrong_type(row)
    if wrong:
        export.problems.append(f"{path}: comment {source_id!r}: {wrong}")
        return None
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
    for tid, uri in thread_rows:
        if not isinstance(uri, str):
            raise SourceError(f"{path}: thread {tid!r}: 'uri' is {_KINDS.get(type(uri), type(uri).__name__)}, not text")
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
