"""What a build keeps across builds: one JSON file of entries per kind, under Pelican's CACHE_PATH.

Each cache reads its file once, when first asked (a build that needs none of
its entries never reads it, and leaves it as it is), remembers the entries this
build used, and writes only those back (atomically, dropping older files of its kind), so
entries for comments and feeds that no longer exist fall away by themselves.
"""

from __future__ import annotations

import json
import logging
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from .fileio import atomic_write

logger = logging.getLogger(__name__)


class JsonCache:
    """Entries of one kind from earlier builds, keyed by a digest of what they were made from."""

    #: Prefix of this kind's cache files (`<kind>-<fingerprint>.json`).
    kind = "cache"

    def __init__(self, path: Path | None) -> None:
        """Load the entries kept at `path` (none when `path` is None: caching is off)."""
        self.path = path
        self._entries: dict[str, Any] | None = None
        self.used: dict[str, Any] = {}
        self.hits = 0
        # Entries already used and written out to a scratch file (see `spill`).
        self._scratch: BinaryIO | None = None

    @property
    def entries(self) -> dict[str, Any]:
        """The entries kept by earlier builds, read from the file the first time they are asked for."""
        if self._entries is None:
            self._entries = self._load(self.path)
        return self._entries

    @entries.setter
    def entries(self, value: dict[str, Any]) -> None:
        """Replace the earlier entries (as read from the file)."""
        self._entries = value

    @property
    def loaded(self) -> bool:
        """Whether this build has read the cache file (saving an unread cache leaves the file as it is)."""
        return self._entries is not None

    def keep(self, keys: Iterable[str]) -> None:
        """Keep these earlier entries (those of things this build did not need to look at) when the cache is saved."""
        for key in keys:
            value = self.entries.get(key)
            if value is not None:
                self.used[key] = value

    @staticmethod
    def valid(value: Any) -> bool:
        """Whether a stored value has the shape this kind keeps (a damaged cache is never trusted)."""
        return True

    def _load(self, path: Path | None) -> dict[str, Any]:
        """A cache file's entries; none when there is no file, or when it is unreadable or holds anything not valid."""
        if path is None or not path.is_file():
            return {}
        try:
            entries = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            entries = None
        if not isinstance(entries, dict) or not all(self.valid(v) for v in entries.values()):
            logger.info("Comment cache %s is unreadable; starting afresh", path)
            return {}
        return entries

    def _unchanged(self) -> bool:
        """Whether this build used exactly the entries kept (an entry's key is a digest of what its value is made from)."""
        return self.used.keys() == self.entries.keys()

    def spill(self) -> bool:
        """Write the entries used so far to a scratch file and let them go (when there are SPILL_MIN or more); whether it did.

        A build reading many files need not hold all their entries until `save`,
        which writes the scratch file's entries first.
        """
        if self.path is None or len(self.used) < SPILL_MIN:
            return False
        if self._scratch is None:
            self._scratch = tempfile.TemporaryFile()
        self._scratch.writelines(_json_batches(self.used, first=self._scratch.tell() == 0))
        self.used = {}
        return True

    def save(self) -> None:
        """Keep only this build's entries, written atomically; skip the write when nothing changed or nothing was looked up."""
        if self.path is None:
            return
        if self._scratch is None and ((self._entries is None and not self.used) or self._unchanged()):
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        for old in self.path.parent.glob(f"{self.kind}-*.json"):
            if old != self.path:
                old.unlink(missing_ok=True)
        # Not flushed to disk: a cache lost in a crash is only a slower next build.
        atomic_write(self.path, self._pieces(), durable=False)
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None

    def _pieces(self) -> Iterator[bytes]:
        """The cache file's text in pieces: the entries spilled to the scratch file, then those used since."""
        yield b"{"
        spilled = False
        if self._scratch is not None:
            self._scratch.seek(0)
            while block := self._scratch.read(1 << 20):
                spilled = True
                yield block
        yield from _json_batches(self.used, first=not spilled)
        yield b"}"


# Entries serialised at a time when a cache is saved: the whole file is never one string in memory.
SAVE_BATCH = 256
# Entries a cache must hold before `spill` writes them out.
SPILL_MIN = 4096


def _json_batches(entries: dict[str, Any], first: bool) -> Iterator[bytes]:
    """`entries` as the members of a JSON object, in pieces of at most SAVE_BATCH entries (`first`: no comma before them)."""
    items = list(entries.items())
    for start in range(0, len(items), SAVE_BATCH):
        batch = json.dumps(dict(items[start : start + SAVE_BATCH]))[1:-1]
        yield (("" if first and not start else ",") + batch).encode("utf-8")
