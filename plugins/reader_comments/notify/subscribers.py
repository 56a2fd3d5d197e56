"""Readers' addresses and what each asked to hear about, in SQLite outside the repository.

An address is stored only with at least one wish (to hear that a comment was
published, or that it was answered). It is confirmed by a link before anything
but that link is sent; unconfirmed addresses are deleted after
UNCONFIRMED_HOURS. A wish ends once it is fulfilled (the published notice is
sent), when its comment is rejected, when replies are no longer expected, or on
unsubscribing, and an address with no wish left is deleted at once. The `told`
table records each notice sent (by comment, never by address), so a notice goes
out once however often the site is published.
"""

from __future__ import annotations

import logging
import os
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

logger = logging.getLogger(__name__)

UNCONFIRMED_HOURS = 48
# An unconfirmed address is asked again at most this often, so the form cannot be used to flood a mailbox.
ASK_AGAIN_SECONDS = 24 * 3600
SCHEMA = """
CREATE TABLE IF NOT EXISTS addresses (
    id INTEGER PRIMARY KEY AUTOINCREMENT, address TEXT UNIQUE NOT NULL,
    created REAL NOT NULL, confirmed REAL, asked REAL NOT NULL);
CREATE TABLE IF NOT EXISTS wishes (
    address_id INTEGER NOT NULL REFERENCES addresses(id) ON DELETE CASCADE,
    article TEXT NOT NULL, comment TEXT NOT NULL,
    published INTEGER NOT NULL, replies INTEGER NOT NULL, created REAL NOT NULL,
    PRIMARY KEY (article, comment));
CREATE TABLE IF NOT EXISTS told (notice TEXT PRIMARY KEY, at REAL NOT NULL);
"""


@dataclass(frozen=True, slots=True)
class Wish:
    """What one confirmed or unconfirmed address asked about one comment."""

    address_id: int
    address: str
    confirmed: bool
    published: bool
    replies: bool
    created: float


class Subscribers:
    """The subscribers database at `path` (created 0600 in a 0700 folder)."""

    def __init__(self, path: Path) -> None:
        """Open, creating the file and its tables when missing."""
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._db() as db:
            db.executescript(SCHEMA)
        os.chmod(path, 0o600)

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """One transaction on a connection that enforces foreign keys and waits for other writers."""
        db = sqlite3.connect(self.path, timeout=30)
        try:
            db.execute("PRAGMA foreign_keys = ON")
            with db:
                yield db
        finally:
            db.close()

    def add(self, address: str, article: str, comment: str, published: bool, replies: bool,
            now: float | None = None) -> tuple[int, bool]:
        """Record a wish; return the address's row id and whether a confirmation request should be sent now."""
        now = time.time() if now is None else now
        with self._db() as db:
            row = db.execute("SELECT id, confirmed, asked FROM addresses WHERE address = ?", (address,)).fetchone()
            if row is None:
                address_id = int(db.execute("INSERT INTO addresses (address, created, asked) VALUES (?, ?, ?)",
                                            (address, now, now)).lastrowid or 0)
                ask = True
            else:
                address_id, confirmed, asked = row
                ask = confirmed is None and now - asked >= ASK_AGAIN_SECONDS
                if ask:
                    db.execute("UPDATE addresses SET asked = ? WHERE id = ?", (now, address_id))
            db.execute("INSERT OR REPLACE INTO wishes VALUES (?, ?, ?, ?, ?, ?)",
                       (address_id, article, comment, int(published), int(replies), now))
        return address_id, ask

    def confirm(self, address_id: int, now: float | None = None) -> bool:
        """Confirm an address; False when it is gone (deleted, or never existed)."""
        with self._db() as db:
            done = db.execute("UPDATE addresses SET confirmed = COALESCE(confirmed, ?) WHERE id = ?",
                              (time.time() if now is None else now, address_id))
            return done.rowcount == 1

    def exists(self, address_id: int) -> bool:
        """Whether the address is still stored."""
        with self._db() as db:
            return db.execute("SELECT 1 FROM addresses WHERE id = ?", (address_id,)).fetchone() is not None

    def remove(self, address_id: int) -> bool:
        """Delete an address and every wish it made; False when it was already gone."""
        with self._db() as db:
            return db.execute("DELETE FROM addresses WHERE id = ?", (address_id,)).rowcount == 1

    def wishes(self, article: str, comment: str) -> list[Wish]:
        """The wish recorded for one comment (none or one)."""
        with self._db() as db:
            rows = db.execute(
                "SELECT a.id, a.address, a.confirmed IS NOT NULL, w.published, w.replies, w.created "
                "FROM wishes w JOIN addresses a ON a.id = w.address_id WHERE w.article = ? AND w.comment = ?",
                (article, comment)).fetchall()
        return [Wish(r[0], r[1], bool(r[2]), bool(r[3]), bool(r[4]), r[5]) for r in rows]

    def wished(self) -> list[tuple[str, str]]:
        """(article, comment) of every wish."""
        with self._db() as db:
            return [(str(a), str(c)) for a, c in db.execute("SELECT article, comment FROM wishes").fetchall()]

    def fulfilled(self, article: str, comment: str, kind: str) -> None:
        """End one kind of wish ('published', 'replies' or 'all') for a comment; delete what is left with nothing."""
        columns = {"published": "published = 0", "replies": "replies = 0", "all": "published = 0, replies = 0"}
        with self._db() as db:
            db.execute(f"UPDATE wishes SET {columns[kind]} WHERE article = ? AND comment = ?", (article, comment))
            self._tidy(db)

    def first_time(self, notice: str, now: float | None = None) -> bool:
        """Record that `notice` (a comment, never an address) was handled; False when it was before."""
        with self._db() as db:
            try:
                db.execute("INSERT INTO told VALUES (?, ?)", (notice, time.time() if now is None else now))
            except sqlite3.IntegrityError:
                return False
        return True

    def purge(self, reply_days: float, now: float | None = None) -> int:
        """Delete unconfirmed addresses past UNCONFIRMED_HOURS and wishes past their time; return addresses deleted."""
        now = time.time() if now is None else now
        with self._db() as db:
            before = db.execute("SELECT COUNT(*) FROM addresses").fetchone()[0]
            db.execute("DELETE FROM addresses WHERE confirmed IS NULL AND created < ?", (now - UNCONFIRMED_HOURS * 3600,))
            db.execute("UPDATE wishes SET published = 0, replies = 0 WHERE created < ?", (now - reply_days * 86400,))
            self._tidy(db)
            after = db.execute("SELECT COUNT(*) FROM addresses").fetchone()[0]
        if before > after:
            logger.info("deleted %d addresses with nothing left to receive", before - after)
        return int(before - after)

    @staticmethod
    def _tidy(db: sqlite3.Connection) -> None:
        """Delete wishes with nothing left and addresses with no wish left."""
        db.execute("DELETE FROM wishes WHERE published = 0 AND replies = 0")
        db.execute("DELETE FROM addresses WHERE id NOT IN (SELECT address_id FROM wishes)")
