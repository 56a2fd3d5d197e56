"""Pin and unpin: set the moderator-only `pinned` field in place, every other byte kept.

Nothing here prints: `set_pinned` returns a `Pinned` (or raises `ModerationError`
when nothing could be changed) and the command line says what happened.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .. import comment_format
from ..comment_format import PUBLISHED, edit_fields
from ..decisions import ModerationError, Record, label, record_decision, resolve_id
from ..errors import Problem
from ..fileio import atomic_write, read_capped
from ..site_model import Site


@dataclass(slots=True)
class Pinned:
    """What pin or unpin did: the files changed, those already so, warnings, and how git records it."""

    pinned: bool
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    record: Record | None = None


def _planned(site: Site, raw: str, pinned: bool) -> tuple[Path, bytes | None, str | None] | Problem | str:
    """The file `raw` names, its new bytes (None when already so) and a warning; or why it cannot change."""
    path, error = resolve_id(site, raw)
    if path is None:
        return error or f"{raw!r}: unknown"
    data = read_capped(path, comment_format.MAX_FILE_BYTES)
    comment, problems = comment_format.read(path, site.tz, data)
    if comment is None:
        return problems[0]
    if comment.pinned == pinned:
        return path, None, None
    text = comment_format.decode(path, data)
    # The status line anchors the edit: a file without `pinned` gets it on the line after.
    changes = {"status": comment.status, "pinned": "true" if pinned else "false"}
    edited = edit_fields(path, text, comment_format.parse(path, text), changes)
    if isinstance(edited, Problem):
        return edited
    after = data[: len(data) - len(data.removeprefix(comment_format.BOM))] + edited.encode("utf-8")
    checked, problems = comment_format.read(path, site.tz, after)
    if checked is None:
        return problems[0]
    warning = None
    if pinned and comment.status != PUBLISHED:
        warning = f"{label(path)} is {comment.status}: it shows first only once it is approved"
    return path, after, warning


def set_pinned(site: Site, ids: Sequence[str], pinned: bool, commit: bool = False) -> Pinned:
    """Pin (or unpin) every named comment; check all of them first and change nothing (ModerationError) if any is bad."""
    if not ids:
        raise ModerationError(["name at least one comment: <article-slug>/<comment-id> or a file path"])
    plans, errors = [], []
    for raw in ids:
        try:
            planned = _planned(site, raw, pinned)
        except OSError as exc:
            planned = f"cannot read {raw!r}: {exc.strerror}"
        if isinstance(planned, tuple):
            plans.append(planned)
        else:
            errors.append(str(planned))
    if errors:
        raise ModerationError(errors)
    result = Pinned(pinned)
    for path, after, warning in plans:
        if warning:
            result.warnings.append(warning)
        if after is None:
            result.unchanged.append(label(path))
            continue
        atomic_write(path, after)
        result.changed.append(label(path))
    if result.changed:
        paths = [path for path, after, _ in plans if after is not None]
        verb = "Pin" if pinned else "Unpin"
        result.record = record_decision(paths, PUBLISHED, commit, f"{verb} {', '.join(result.changed[:5])}")
    return result
