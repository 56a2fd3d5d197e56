"""What the intake service reads and writes on disk: the build's manifest and pending comment files."""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path
from typing import Any

from .. import comment_format
from ..comment_format import Comment, new_id
from ..errors import ManifestError
from ..manifest import read_manifest

__all__ = ["ManifestCache", "PendingCounter", "new_id", "write_comment"]

logger = logging.getLogger(__name__)

ID_ATTEMPTS = 5
RECOUNT_SECONDS = 60.0


class ManifestCache:
    """The build's manifest, re-read whenever the file changes; the last good one is kept."""

    def __init__(self, path: Path) -> None:
        """Watch the manifest at `path`."""
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._articles: dict[str, Any] | None = None
        # How many times a manifest was read: a new one means the site was published again.
        self.loads = 0

    def articles(self) -> dict[str, Any] | None:
        """Articles by slug, or None while no manifest could be read."""
        try:
            info = self.path.stat()
        except OSError:
            if self._stamp != (0, 0, 0):
                logger.warning("no manifest at %s yet; build the site to create it", self.path)
                self._stamp = (0, 0, 0)
            return self._articles
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        if stamp != self._stamp:
            self._stamp = stamp
            self._load()
        return self._articles

    def _load(self) -> None:
        """Read the manifest, keeping the previous one when it is unreadable."""
        try:
            articles = read_manifest(self.path).get("articles")
            if not isinstance(articles, dict):
                raise ManifestError("'articles' is not a mapping")
        except (OSError, ValueError) as exc:
            logger.warning("cannot read manifest %s: %s", self.path, exc)
            return
        self._articles = articles
        self.loads += 1
        logger.info("manifest %s: %d articles", self.path, len(articles))


def _mtime(folder: Path) -> int:
    """A folder's modification time in nanoseconds, or -1 when it does not exist."""
    try:
        return folder.stat().st_mtime_ns
    except FileNotFoundError:
        return -1


class PendingCounter:
    """Comments awaiting moderation per article: counted on disk, then tracked in memory.

    The count is read again from disk whenever the article's folder was changed by
    other hands (a moderator approving, say) and at least every RECOUNT_SECONDS;
    the service's own writes just add one. Callers hold the article's lock.
    """

    def __init__(self, folder: Path, tz: tzinfo, clock: Callable[[], float] = time.monotonic) -> None:
        """Count pending comments in the article folders under `folder`."""
        self.folder = folder
        self.tz = tz
        self._clock = clock
        self._counts: dict[str, tuple[int, int, float]] = {}

    def current(self, slug: str) -> int:
        """How many comments of `slug` await moderation (unreadable files count too)."""
        folder = self.folder / slug
        stamp = _mtime(folder)
        known = self._counts.get(slug)
        if known is not None and known[0] == stamp and self._clock() - known[2] < RECOUNT_SECONDS:
            return known[1]
        count = self._count(folder)
        self._counts[slug] = (stamp, count, self._clock())
        return count

    def added(self, slug: str, count: int) -> None:
        """Record the new count after the service wrote one more pending comment."""
        counted_at = self._counts.get(slug, (0, 0, self._clock()))[2]
        self._counts[slug] = (_mtime(self.folder / slug), count, counted_at)

    def _count(self, folder: Path) -> int:
        """Read every comment file in `folder` and count those that are pending or invalid."""
        if not folder.is_dir():
            return 0
        count = 0
        for path in folder.iterdir():
            if path.suffix in comment_format.EXTENSIONS and not path.name.startswith(".") and path.is_file():
                comment, _ = comment_format.read(path, self.tz)
                count += comment is None or comment.status == "pending"
        return count


def write_comment(folder: Path, text: str, tz: tzinfo) -> Comment:
    """Create a new comment file in `folder` under a fresh id, never overwriting one."""
    folder.mkdir(exist_ok=True)
    for _ in range(ID_ATTEMPTS):
        path = folder / f"{new_id()}.yaml"
        try:
            return comment_format.write_new(path, text, tz)
        except FileExistsError:
            logger.warning("comment id %s is taken; drawing another", path.stem)
    raise FileExistsError(errno.EEXIST, "no free comment id", str(folder))
