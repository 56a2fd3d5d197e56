"""Take comments off the site (`make remove`), as a reader's removal request asks: the file goes, or only its words.

A comment nothing answers is deleted. A comment with replies becomes a stub, so
the replies keep their place under "comment not shown" as under a rejected
comment: status rejected, the author's name, text, website and request replaced
or dropped, its date and place in the thread kept. Either way the words stay in
git history until it is rewritten (docs/deploying.md, "What git history keeps").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from .. import comment_format
from ..comment_format import Comment, CommentFileError
from ..decisions import ModerationError, Record, label, moderator_name, record_decision, resolve_id
from ..fileio import atomic_write
from ..site_model import Site

STUB_AUTHOR = "(removed)"
STUB_BODY = "This comment was removed."


@dataclass(slots=True)
class Removal:
    """What `remove` did: the comments deleted, those left as stubs for their replies, and the git record."""

    deleted: list[str] = field(default_factory=list)
    stubbed: list[str] = field(default_factory=list)
    record: Record | None = None


def stub_text(comment: Comment, date: str, moderator: str, now: datetime) -> str:
    """The file that keeps a removed comment's place for its replies: none of its words, status rejected."""
    asked = " at its author's request" if comment.extra.get("removal_requested") else ""
    return comment_format.dump({
        "author": STUB_AUTHOR, "date": date, "status": "rejected", "body": STUB_BODY, "reply_to": comment.reply_to,
        "moderated_at": now.isoformat(timespec="seconds"), "moderator": moderator,
        "note": f"Removed from the site{asked} (make remove); its text is still in git history.",
    })


def _targets(site: Site, ids: Sequence[str]) -> tuple[list[tuple[Comment, str]], list[str]]:
    """Each named comment, read and valid, with its date as written; and what is wrong with the others."""
    found: list[tuple[Comment, str]] = []
    errors: list[str] = []
    for raw in ids:
        path, error = resolve_id(site, raw)
        if path is None:
            errors.append(error or f"{raw!r}: unknown")
            continue
        try:
            data = comment_format.read_bytes(path)
        except CommentFileError as exc:
            errors.append(str(exc))
            continue
        comment, problems = comment_format.read(path, site.tz, data)
        if comment is None:
            errors.extend(str(problem) for problem in problems)
        elif all(comment.path.resolve() != seen.path.resolve() for seen, _ in found):
            found.append((comment, str(comment_format.parse(path, comment_format.decode(path, data)).values["date"])))
    return found, errors


def remove(site: Site, ids: Sequence[str], commit: bool = False, moderator: str | None = None,
           now: datetime | None = None) -> Removal:
    """Take the named comments off the site; check all of them first and touch nothing (ModerationError) if any is bad."""
    if not ids:
        raise ModerationError(["name at least one comment: <article-slug>/<comment-id> or a file path"])
    targets, errors = _targets(site, ids)
    if moderator is None:
        moderator, error = moderator_name(site.content)
        errors.extend([error] if error else [])
    if errors:
        raise ModerationError(errors)
    going = {(comment.article, comment.id) for comment, _ in targets}
    answered = {(c.article, c.reply_to) for c in comment_format.load_tree(site.comments, site.tz).comments()
                if c.reply_to and (c.article, c.id) not in going}
    when = (now or datetime.now(site.tz)).astimezone(site.tz)
    stubs: dict[Path, bytes] = {}
    for comment, date in targets:
        if (comment.article, comment.id) in answered:
            new, problems = comment_format.check_new(comment.path, stub_text(comment, date, moderator or "", when), site.tz)
            if new is None:
                raise ModerationError([str(problem) for problem in problems])
            stubs[comment.path] = new.data
    removal = Removal()
    changed: list[Path] = []
    for comment, _ in targets:
        if comment.path in stubs:
            atomic_write(comment.path, stubs[comment.path])
            removal.stubbed.append(label(comment.path))
        else:
            comment.path.unlink()
            removal.deleted.append(label(comment.path))
        changed.append(comment.path)
    names = [label(path) for path in changed]
    removal.record = record_decision(changed, "removed", commit, f"Remove {', '.join(names)}")
    return removal
