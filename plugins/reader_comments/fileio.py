"""Careful file handling shared by every writer and reader of the plugin.

One atomic write (temporary file beside the target, fsync, rename or link, fsync
of the folder), so a reader never sees half a file and a crash leaves the old
one whole; its batch form for many new files, which flushes each folder once;
and one size-capped read, so an oversized file is refused before it is read
whole, and a symbolic link is never followed to a file elsewhere.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TEMP_PREFIX = ".tmp-"
TEMP_SUFFIX = ".part"
# Flushes a batch write keeps in flight at once: the disk can commit those together.
FLUSHERS = 8


def _umask() -> int:
    """The process's file-creation mask (read once, at import, before any thread starts)."""
    # Run at import, before mutmut picks a mutant, so a mutant here is never run: left out of mutation testing.
    mask = os.umask(0)  # pragma: no mutate
    os.umask(mask)  # pragma: no mutate
    return mask  # pragma: no mutate


_NEW_FILE_MODE = 0o666 & ~_umask()


def atomic_write(
    path: Path, data: bytes | Iterable[bytes], *, create: bool = False, mode: int | None = None, durable: bool = True
) -> None:
    """Write `data` (bytes, or pieces of bytes in order) to `path` atomically; with `create`, never replace a file (FileExistsError).

    A new file gets the usual permissions (0666 less the umask); a replaced one keeps its own;
    `mode` sets them instead (before the file appears under its name: never readable by others meanwhile).
    Without `durable` nothing is flushed to disk: a reader still never sees half a file, but a
    crash of the machine may lose the write (fine for what a build can write again).
    """
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.writelines((data,) if isinstance(data, bytes) else data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        if create:
            os.chmod(tmp, _NEW_FILE_MODE if mode is None else mode)
            os.link(tmp, path)
        else:
            os.chmod(tmp, _mode_of(path) if mode is None else mode)
            os.replace(tmp, path)
    finally:
        Path(tmp).unlink(missing_ok=True)
    if durable:
        fsync_path(path.parent)


def write_if_changed(path: Path, data: bytes, *, durable: bool = True) -> bool:
    """Write `data` to `path` atomically unless the file already holds exactly these bytes; whether it wrote."""
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, data, durable=durable)
    return True


def _mode_of(path: Path) -> int:
    """The permission bits `path` has, or those of a new file when it does not exist."""
    try:
        return path.stat().st_mode & 0o7777
    except FileNotFoundError:
        return _NEW_FILE_MODE


def create_all(files: Sequence[tuple[Path, bytes]]) -> None:
    """Create every file atomically and durably, all of them or none: FileExistsError or OSError leaves none.

    Each file's data goes to a temporary file beside it; once all are written,
    each is fsynced (several at a time) and linked into place (never replacing a
    file), and then each folder is fsynced once, not once per file. On any failure
    the files already linked and every temporary file are removed, and the error is raised.
    """
    temps: list[tuple[str, Path]] = []
    linked: list[Path] = []
    try:
        for path, data in files:
            temps.append((_write_temp(path, data), path))
        _fsync_all(tmp for tmp, _ in temps)
        for tmp, path in temps:
            os.link(tmp, path)
            linked.append(path)
        _fsync_all(dict.fromkeys(path.parent for _, path in temps))
    except BaseException:
        for path in linked:
            path.unlink(missing_ok=True)
        raise
    finally:
        for tmp, _ in temps:
            Path(tmp).unlink(missing_ok=True)


def _write_temp(path: Path, data: bytes) -> str:
    """A new file's data in a temporary file beside `path`, with a new file's permissions; its name."""
    fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, suffix=TEMP_SUFFIX, dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, _NEW_FILE_MODE)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _fsync_all(paths: Iterable[Path | str]) -> None:
    """Make every path durable, FLUSHERS at a time (an fsync waits on the disk, not the processor); raise the first OSError."""
    with ThreadPoolExecutor(FLUSHERS) as pool:
        for _ in pool.map(fsync_path, paths):
            pass


def fsync_path(path: Path | str) -> None:
    """Make a file's data, or a rename or link in a folder, durable."""
    fd = os.open(path, os.O_RDONLY)
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
