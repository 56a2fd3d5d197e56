"""Reply as the article's author or a moderator: an approved comment written through the one writer.

Nothing here prints: `write_reply` returns a `Replied` (or raises `ModerationError`
when nothing was written) and the command line says what happened. The body comes
from the command line, a file, or the moderator's editor, opened on a template
that shows the comment being answered below a scissors line, as `git commit` does.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from .. import comment_format
from ..comment_format import PUBLISHED, Comment
from ..decisions import ModerationError, Record, label, moderator_name, record_decision, resolve_id
from ..settings import options_of
from ..site_model import Article, Site, find_articles

ROLES = ("author", "moderator")
SCISSORS = "# ------------------------ >8 ------------------------"
EDITOR_ENV = ("VISUAL", "EDITOR")
DEFAULT_EDITOR = "vi"


@dataclass(frozen=True, slots=True)
class Target:
    """What a reply answers: an article, and the comment in it (None for a top-level comment)."""

    slug: str
    article: Article | None
    parent: Comment | None


@dataclass(frozen=True, slots=True)
class Replied:
    """The reply written, warnings about it, and how git records it."""

    comment: Comment
    warnings: list[str]
    record: Record | None


def find_target(site: Site, parent_id: str | None, article_slug: str | None) -> Target:
    """The comment (`<slug>/<id>`) or article a reply answers; raise ModerationError when there is none."""
    if bool(parent_id) == bool(article_slug):
        raise ModerationError(["say what to answer: ID=<article-slug>/<comment-id>, or ARTICLE=<article-slug> for a top-level comment"])
    articles, _ = find_articles(site)
    if article_slug:
        if article_slug not in articles:
            raise ModerationError([f"{article_slug!r}: no article has this slug"])
        return Target(article_slug, articles[article_slug], None)
    path, error = resolve_id(site, str(parent_id))
    if path is None:
        raise ModerationError([error or f"{parent_id!r}: unknown"])
    parent, problems = comment_format.read(path, site.tz)
    if parent is None:
        raise ModerationError([str(problem) for problem in problems])
    return Target(parent.article, articles.get(parent.article), parent)


def default_name(site: Site, target: Target, role: str) -> str | None:
    """The name a reply is signed with: the article's first author, or the first of COMMENTS_MODERATORS (else who moderates)."""
    if role == "author":
        authors = target.article.authors if target.article else ()
        return authors[0] if authors else site.settings.get("AUTHOR") or None
    moderators = options_of(site.settings).moderators
    if moderators:
        return str(moderators[0])
    name, _ = moderator_name(site.content)
    return name


def template(target: Target) -> str:
    """The text the editor opens on: room for the reply, then the comment being answered below the scissors."""
    lines = ["", SCISSORS, "# Write your reply above the line. Everything from the line down is left out;",
             "# an empty reply writes nothing."]
    title = target.article.title if target.article else target.slug
    if target.parent is None:
        lines.append(f"# A top-level comment on {title!r}.")
    else:
        lines.append(f"# Replying to {target.parent.author} on {title!r} ({target.slug}/{target.parent.id}):")
        lines.append("#")
        lines.extend(f"# > {line}".rstrip() for line in target.parent.body.split("\n"))
    return "\n".join(lines) + "\n"


def strip_template(text: str) -> str:
    """What was written above the scissors line, its ends trimmed."""
    kept = []
    for line in text.splitlines():
        if line.strip() == SCISSORS:
            break
        kept.append(line)
    return "\n".join(kept).strip()


def edit_body(target: Target, environ: dict[str, str] | os._Environ[str]) -> str:
    """Open $VISUAL or $EDITOR (else vi) on the template; the text written above the scissors."""
    command = next((environ[name] for name in EDITOR_ENV if environ.get(name, "").strip()), DEFAULT_EDITOR)
    with tempfile.TemporaryDirectory(prefix="reply-") as folder:
        path = Path(folder) / "REPLY.md"
        path.write_text(template(target), encoding="utf-8")
        try:
            done = subprocess.run([*shlex.split(command), str(path)], check=False)
        except OSError as exc:
            raise ModerationError([f"cannot run the editor {command!r}: {exc.strerror}; set EDITOR, or give BODY= or FILE="]) from None
        if done.returncode != 0:
            raise ModerationError([f"the editor {command!r} exited with status {done.returncode}; nothing was written"])
        return strip_template(path.read_text(encoding="utf-8", errors="replace"))


def read_body_file(path: Path) -> str:
    """A reply's body from a file, its ends trimmed; raise ModerationError when it cannot be read."""
    try:
        return path.read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "it is not UTF-8 text"
        raise ModerationError([f"cannot read {path}: {reason}"]) from None


def reply_fields(target: Target, name: str, role: str, body: str, when: datetime, moderator: str) -> dict[str, str | None]:
    """The fields of the reply's file: approved, with the role, stamped as moderated by who wrote it."""
    stamp = when.isoformat(timespec="seconds")
    return {
        "author": name,
        "date": stamp,
        "status": PUBLISHED,
        "body": body,
        "reply_to": target.parent.id if target.parent else None,
        "role": role,
        "moderated_at": stamp,
        "moderator": moderator,
    }


def write_reply(
    site: Site, target: Target, body: str, role: str = "author", name: str | None = None,
    now: datetime | None = None, commit: bool = False,
) -> Replied:
    """Write the reply as a new approved file through the one writer; raise ModerationError and write nothing if it is refused."""
    if role not in ROLES:
        raise ModerationError([f"ROLE must be one of: {', '.join(ROLES)} (got {role!r})"])
    if not body.strip():
        raise ModerationError(["the reply is empty; nothing was written"])
    name = (name or "").strip() or default_name(site, target, role)
    if not name:
        raise ModerationError(["cannot tell whose name to sign with; give NAME=\"Your Name\""])
    moderator, _ = moderator_name(site.content)
    when = (now or datetime.now(site.tz)).astimezone(site.tz)
    folder = site.comments / target.slug
    path = folder / f"{comment_format.new_id(when)}.yaml"
    text = comment_format.dump(reply_fields(target, name, role, body, when, moderator or name))
    new, problems = comment_format.check_new(path, text, site.tz)
    if new is None:
        raise ModerationError([str(problem) for problem in problems])
    folder.mkdir(parents=True, exist_ok=True)
    comment = comment_format.write_new(path, text, site.tz)
    warnings = []
    if target.parent is not None and target.parent.status != PUBLISHED:
        warnings.append(f"{target.slug}/{target.parent.id} is {target.parent.status}: the reply is shown under a "
                        "placeholder until it is approved")
    what = f"{target.slug}/{target.parent.id}" if target.parent else f"{target.slug} (top level)"
    record = record_decision([comment.path], PUBLISHED, commit, f"Reply to {what} as the {role}, {label(comment.path)}")
    return Replied(comment, warnings, record)
