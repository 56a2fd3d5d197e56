"""A hostile isso database: computed columns, oversized values, unexpected types. One clear line, nothing written."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from pathlib import Path

import pytest

from support.importing import command, isso_database, site

# isso's comments table with `text` computed on every read: 4 MB of text per row from a few bytes on disk.
GENERATED = """
CREATE TABLE threads (id INTEGER PRIMARY KEY, uri VARCHAR(256) UNIQUE, title VARCHAR(256));
CREATE TABLE comments (tid INTEGER, id INTEGER PRIMARY KEY, parent INTEGER, created FLOAT NOT NULL, mode INTEGER,
    author VARCHAR, website VARCHAR, text VARCHAR GENERATED ALWAYS AS (printf('%.*c', 4000000, 'x')) VIRTUAL);
INSERT INTO threads VALUES (1, '/2020/alpha/', 'Alpha');
"""
ROWS = "INSERT INTO comments (tid, id, parent, created, mode, author, website) VALUES (1, {n}, NULL, 1577980800.0, 1, 'Ann', NULL);"


def snapshot(content: Path) -> dict[str, bytes]:
    """Every file under the comments folder and its bytes."""
    return {str(p): p.read_bytes() for p in sorted((content / "comments").rglob("*")) if p.is_file()}


def database(folder: Path, script: str) -> Path:
    """A SQLite database built from `script`."""
    path = folder / "hostile.db"
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.executescript(script)
        connection.commit()
    return path


def generated(folder: Path) -> Path:
    """A small database whose comment text is generated on read, over ten rows."""
    return database(folder, GENERATED + "\n".join(ROWS.format(n=n) for n in range(1, 11)))


def oversized(folder: Path) -> Path:
    """The fixture database with one comment's text made 3 MB long."""
    path = isso_database(folder)
    with contextlib.closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE comments SET text = printf('%.*c', 3000000, 'y') WHERE id = 1")
        connection.commit()
    return path


HOSTILE = {
    "generated text": (generated, "generated or hidden columns (text)"),
    "value over the cap": (oversized, "a value is larger than"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_a_hostile_database_is_refused_in_one_line(case: str, tmp_path: Path) -> None:
    """Refused at once with one line naming the file and why; no traceback, nothing written."""
    make, message = HOSTILE[case]
    content = site(tmp_path)
    before = snapshot(content)
    source = make(tmp_path)
    started = time.monotonic()
    run = command(content, "import", "isso", str(source))
    assert time.monotonic() - started < 10
    lines = run.err.strip().splitlines()
    assert run.code == 2 and len(lines) == 1 and lines[0].startswith(f"error: {source}: "), run.err
    assert message in lines[0] and "Traceback" not in run.err
    assert snapshot(content) == before


def test_values_of_unexpected_types_are_named_not_a_traceback(tmp_path: Path) -> None:
    """Blobs for text and author, text for a parent and a time: each comment named with its column; nothing written."""
    content = site(tmp_path)
    before = snapshot(content)
    source = isso_database(tmp_path)
    with contextlib.closing(sqlite3.connect(source)) as connection:
        connection.execute("UPDATE comments SET text = X'00FF' WHERE id = 1")
        connection.execute("UPDATE comments SET author = X'41', created = 'yesterday' WHERE id = 3")
        connection.execute("UPDATE comments SET parent = 'two' WHERE id = 4")
        connection.commit()
    run = command(content, "import", "isso", str(source))
    assert run.code == 1 and "Traceback" not in run.err, run.err
    assert f"{source}: comment 1: 'text' is a blob, not text" in run.err
    assert f"{source}: comment 3: 'created' is text, not an integer or a number" in run.err
    assert f"{source}: comment 4: 'parent' is text, not an integer" in run.err
    assert snapshot(content) == before
