"""Careful file handling shared by every writer and reader of the plugin.

One atomic write (temporary file beside the target, fsync, rename or link, fsync
of the folder), so a reader never sees half a file and a crash leaves the old
one whole; and one size-capped read, so an oversized file is refused before it
is read whole, and a symbolic link is never followed to a file elsewhere.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

TEMP_PREFIX = ".tmp-"
TEMP_SUFFIX = ".part"


def _umask() -> int:
    """The process's file-creation mask (read once, at import, before any thread starts)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


_NEW_FILE_MODE = 0o666 & ~_umask()


def atomic_write(path: Path, data: bytes, *, create: bool = False) -> None:
    """Write `data` to `path` atomically; with `create`, never replace a file (FileExistsError).

    A new file gets the usual permissions (0666 less the umask); a replaced one keeps its own.
    """
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if create:
            os.chmod(tmp, _NEW_FILE_MODE)
            os.link(tmp, path)
        else:
            os.chmod(tmp, _mode_of(path))
            os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    fsync_dir(path.parent)


def _mode_of(path: Path) -> int:
    """The permission bits `path` has, or those of a new file when it does not exist."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return _NEW_FILE_MODE


def fsync_dir(folder: Path) -> None:
    """Make a rename or link in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def read_capped(path: Path, limit: int) -> bytes:
    """A file's bytes, at most `limit` + 1 of them (so the caller sees it is too large); raise OSError.

    A symbolic link is never followed: opening one fails with ELOOP.
    """
    chunks: list[bytes] = []
    size = 0
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    try:
        while size <= limit:
            chunk = os.read(fd, limit + 1 - size)
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks)


def clean_temp_files(folder: Path) -> int:
    """Remove temporary files a killed writer left in the article folders of `folder`; return how many."""
    removed = 0
    for path in folder.glob(f"*/{TEMP_PREFIX}*{TEMP_SUFFIX}"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
