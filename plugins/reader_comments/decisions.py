"""Approve, reject and spam: find the named files, plan every change, then write them one by one.

The core every way of deciding shares: the moderation commands, and the links in
the moderators' alerts (`notify.actions`).

Nothing here prints: `moderate` returns an `Outcome` (or raises `ModerationError`
when nothing could be changed) and the command line (`cli`) says what happened.
"""

from __future__ import annotations

import logging
import os
import shlex
import time
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from pathlib import Path

from . import comment_format
from .comment_format import LIMITS, PUBLISHED, Comment, edit_fields
from .errors import Problem, ReaderCommentsError
from .fileio import atomic_write, read_capped
from .gitsync import GitError, git
from .site_model import Site, display_path

logger = logging.getLogger(__name__)

MODERATOR_ENV = "COMMENTS_MODERATOR"
MODERATOR_MAX = LIMITS["moderator"]
MAX_ATTEMPTS = 8
DECISION_VERBS = {"approved": "Approve", "rejected": "Reject", "spam": "Mark as spam"}
DECISION_NAMES_SHOWN = 5

BeforeWrite = Callable[[Path, int], None]


class ModerationError(ReaderCommentsError):
    """Comments that cannot be moderated as asked; no file was changed. `messages` says why, one each."""

    def __init__(self, messages: Sequence[str]) -> None:
        """Carry every reason; the message is the first."""
        super().__init__(messages[0] if messages else "nothing to moderate")
        self.messages = list(messages)


@dataclass(frozen=True, slots=True)
class Written:
    """What became of one planned file: its status before (None when it was not changed), or why it failed."""

    label: str
    old: str | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Record:
    """How the decision is recorded in git: committed with `message`, or the `command` that would commit it."""

    message: str
    committed: bool
    command: str | None = None
    error: str | None = None
    # The `git add` a file git does not know yet needs before that commit.
    add: str | None = None


@dataclass(slots=True)
class Outcome:
    """What a moderation run did: warnings first, each file's result, then how git records it."""

    status: str
    warnings: list[str] = field(default_factory=list)
    written: list[Written] = field(default_factory=list)
    record: Record | None = None

    @property
    def failed(self) -> bool:
        """Whether a write or the commit failed."""
        return any(w.error for w in self.written) or bool(self.record and self.record.error)

    @property
    def changed(self) -> bool:
        """Whether any file was changed."""
        return any(w.old is not None and w.old != self.status and not w.error for w in self.written)


def _inside(path: Path, folder: Path) -> bool:
    """Whether `path` is a file directly inside an article folder of `folder` (symlinks resolved)."""
    return path.resolve().parent.parent == folder.resolve()


def resolve_id(site: Site, raw: str) -> tuple[Path | None, str | None]:
    """The file an id names (`<article-slug>/<comment-id>` or a path), or an error message."""
    text = raw.strip()
    if text.endswith(comment_format.EXTENSIONS):
        return _resolve_path(site, Path(text), raw)
    parts = text.split("/")
    if len(parts) == 1 and comment_format.is_valid_id(text):
        hits = sorted(p.parent.name for ext in comment_format.EXTENSIONS for p in site.comments.glob(f"*/{text}{ext}"))
        hint = f"; did you mean {hits[0]}/{text}?" if len(hits) == 1 else ""
        return None, f"{raw!r}: give the article too, as <article-slug>/<comment-id>{hint}"
    slug, cid = parts if len(parts) == 2 else ("", "")
    if not comment_format.is_valid_id(cid) or not slug or slug.startswith(".") or "\\" in slug:
        return None, f"{raw!r} is not a comment id: use <article-slug>/<comment-id> (as make comments shows) or a file path"
    folder = site.comments / slug
    if not folder.is_dir():
        return None, f"{raw!r}: no article folder {folder}"
    found = [folder / f"{cid}{ext}" for ext in comment_format.EXTENSIONS if (folder / f"{cid}{ext}").is_file()]
    if not found:
        return None, f"{raw!r}: no comment {cid!r} in {folder}"
    if len(found) > 1:
        return None, f"{raw!r}: both {found[0].name} and {found[1].name} exist; remove one"
    return _resolve_path(site, found[0], raw)


def _resolve_path(site: Site, path: Path, raw: str) -> tuple[Path | None, str | None]:
    """Check that a path names an existing comment file under the comments folder."""
    if not path.exists() and not path.is_absolute() and (site.comments / path).exists():
        path = site.comments / path
    if not path.exists():
        return None, f"{raw!r}: no such file"
    if path.is_symlink():
        return None, f"{raw!r} is a symbolic link; name the comment file itself"
    if not path.is_file() or not _inside(path, site.comments):
        return None, f"{raw!r} is not a comment file: it must be {site.comments}/<article-slug>/<comment-id>.yaml"
    return display_path(path), None


def label(path: Path) -> str:
    """The `<article-slug>/<comment-id>` a file stands for."""
    return f"{path.parent.name}/{comment_format.comment_id(path)}"


@dataclass(frozen=True, slots=True)
class Plan:
    """A checked change to one comment file: its bytes before and after (None: nothing to change)."""

    path: Path
    comment: Comment
    before: bytes
    after: bytes | None


def plan_change(path: Path, data: bytes, status: str, stamp: dict[str, str], tz: tzinfo) -> tuple[Plan | None, list[Problem]]:
    """Check a file and work out its new bytes: `status` and the stamp fields changed, all else kept."""
    comment, problems = comment_format.read(path, tz, data)
    if comment is None:
        return None, problems
    if comment.status == status:
        return Plan(path, comment, data, None), []
    text = comment_format.decode(path, data)
    edited = edit_fields(path, text, comment_format.parse(path, text), {"status": status, **stamp})
    if isinstance(edited, Problem):
        return None, [edited]
    # A byte-order mark the file started with stays, like every other byte not changed.
    new_bytes = data[: len(data) - len(data.removeprefix(comment_format.BOM))] + edited.encode("utf-8")
    checked, problems = comment_format.read(path, tz, new_bytes)
    if checked is None:
        return None, problems
    return Plan(path, comment, data, new_bytes), []


def moderator_name(cwd: Path | None = None) -> tuple[str | None, str | None]:
    """Who is moderating: $COMMENTS_MODERATOR, else git's user.name, else the login name."""
    name = os.environ.get(MODERATOR_ENV, "").strip()
    source = f"${MODERATOR_ENV}"
    if not name:
        name, source = _git_user_name(cwd), "git config user.name"
    if not name:
        name, source = _login_name(), "the login name"
    if not name:
        return None, f"cannot tell who is moderating; set {MODERATOR_ENV}=\"Your Name\""
    if len(name) > MODERATOR_MAX or any(unicodedata.category(c) == "Cc" for c in name):
        return None, f"the moderator name from {source} must be one line of at most {MODERATOR_MAX} characters"
    return name, None


def _git_user_name(cwd: Path | None) -> str:
    """Git's user.name, or '' when git or the setting is missing."""
    try:
        done = git(cwd or Path.cwd(), ["config", "user.name"], check=False)
    except GitError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def _login_name() -> str:
    """The operating system's name for the current user, or ''."""
    import getpass

    try:
        return getpass.getuser().strip()
    except (OSError, KeyError):
        return ""


def _read_bytes(path: Path) -> tuple[bytes | None, str | None]:
    """A file's bytes (at most one byte over the size limit), or an error message."""
    try:
        return read_capped(path, comment_format.MAX_FILE_BYTES), None
    except OSError as exc:
        return None, f"cannot read {path}: {exc.strerror}"


def _parent_warnings(site: Site, plans: Sequence[Plan], status: str) -> list[str]:
    """Warnings for approved replies whose parent stays unpublished."""
    if status != PUBLISHED or not any(p.comment.reply_to for p in plans):
        return []
    tree = comment_format.load_tree(site.comments, site.tz)
    approving = {(p.comment.article, p.comment.id) for p in plans}
    warnings = []
    for plan in plans:
        parent_id = plan.comment.reply_to
        if parent_id is None or (plan.comment.article, parent_id) in approving:
            continue
        siblings = {c.id: c for c in tree.by_article.get(plan.comment.article, [])}
        parent = siblings.get(parent_id)
        who = f"{plan.comment.article}/{parent_id}"
        if parent is None:
            warnings.append(
                f"{label(plan.path)} replies to {who}, which is missing or invalid: the reply stays hidden "
                "until that is fixed (make check-comments shows the problem)"
            )
        elif parent.status != PUBLISHED:
            warnings.append(
                f"{label(plan.path)} replies to {who}, which is {parent.status}: the reply is published under "
                "a placeholder until its parent is approved"
            )
    return warnings


def write_plan(
    plan: Plan, status: str, stamp: dict[str, str], tz: tzinfo, before_write: BeforeWrite | None = None
) -> tuple[str | None, str | None]:
    """Write one planned change atomically; if the file changed meanwhile, plan again from its new bytes.

    The file is replaced only when the bytes read just before the rename are the
    bytes the change was made from, so an edit saved while the command runs is
    kept (the change is applied to it) rather than overwritten. Only a write that
    lands in the instant between that last read and the rename can still be
    lost; even then the file is always one whole, valid version, never a mix.
    Returns the status the file had before, or an error message.
    """
    expected: bytes | None = plan.before
    after, old_status = plan.after, plan.comment.status
    last_error = "the file kept changing while it was being written"
    for attempt in range(1, MAX_ATTEMPTS + 1):
        if before_write is not None:
            before_write(plan.path, attempt)
        current, error = _read_bytes(plan.path)
        if current is None:
            return None, error
        if current == expected:
            if after is None:
                return old_status, None
            try:
                atomic_write(plan.path, after)
            except OSError as exc:
                return None, f"cannot write {plan.path}: {exc.strerror}"
            return old_status, None
        logger.warning("%s changed while it was being moderated; reading it again", plan.path)
        fresh, problems = plan_change(plan.path, current, status, stamp, tz)
        if fresh is None:
            last_error = f"the file changed and is now invalid: {problems[0]}"
            expected = None  # wait for a valid version before writing anything
            time.sleep(0.02 * attempt)
            continue
        expected, after, old_status = fresh.before, fresh.after, fresh.comment.status
    return None, last_error


def moderate(
    site: Site,
    ids: Sequence[str],
    status: str,
    moderator: str | None = None,
    now: datetime | None = None,
    before_write: BeforeWrite | None = None,
    commit: bool = False,
) -> Outcome:
    """Set `status` on every named comment; check all of them first and touch nothing (ModerationError) if any is bad."""
    if not ids:
        raise ModerationError(["name at least one comment: <article-slug>/<comment-id> or a file path"])
    errors: list[str] = []
    if moderator is None:
        moderator, error = moderator_name(site.content)
        if error:
            errors.append(error)
    stamp = {
        "moderated_at": (now or datetime.now(site.tz)).astimezone(site.tz).isoformat(timespec="seconds"),
        "moderator": moderator or "",
    }
    plans: list[Plan] = []
    seen: set[Path] = set()
    for raw in ids:
        path, error = resolve_id(site, raw)
        if path is None:
            errors.append(error or f"{raw!r}: unknown")
            continue
        if path.resolve() in seen:
            continue
        seen.add(path.resolve())
        data, error = _read_bytes(path)
        if data is None:
            errors.append(error or f"cannot read {path}")
            continue
        plan, problems = plan_change(path, data, status, stamp, site.tz)
        if plan is None:
            errors.extend(str(p) for p in problems)
            continue
        plans.append(plan)
    if errors:
        raise ModerationError(errors)
    outcome = Outcome(status, _parent_warnings(site, [p for p in plans if p.after is not None], status))
    _write_all(site, plans, stamp, before_write, outcome)
    written = [plan.path for plan, result in zip(plans, outcome.written, strict=True) if result.old not in (None, status)]
    if written:
        outcome.record = record_decision(written, status, commit)
    return outcome


def _write_all(site: Site, plans: Sequence[Plan], stamp: dict[str, str], before_write: BeforeWrite | None, outcome: Outcome) -> None:
    """Write every planned change, noting each file's result in `outcome`."""
    for plan in plans:
        old, error = write_plan(plan, outcome.status, stamp, site.tz, before_write)
        outcome.written.append(Written(label(plan.path), old, None if old is not None else error))


def decision_message(status: str, names: Sequence[str]) -> str:
    """The commit message recording a moderation decision on the comments `names` (slug/id)."""
    shown = ", ".join(names[:DECISION_NAMES_SHOWN])
    more = len(names) - DECISION_NAMES_SHOWN
    return f"{DECISION_VERBS.get(status, status)} {shown}" + (f" and {more} more" if more > 0 else "")


def work_tree(folder: Path) -> Path | None:
    """The top of the git working tree holding `folder`, or None outside git."""
    try:
        done = git(folder, ["rev-parse", "--show-toplevel"], check=False)
    except GitError:
        return None
    return Path(done.stdout.strip()) if done.returncode == 0 else None


def _tracked(top: Path, path: Path) -> bool:
    """Whether git knows the file already (a `git commit -- path` of a file it does not know fails)."""
    try:
        return git(top, ["ls-files", "--error-unmatch", "--", str(path.resolve())], check=False).returncode == 0
    except GitError:
        return False


def record_decision(paths: Sequence[Path], status: str, commit: bool, message: str | None = None) -> Record | None:
    """Commit the changed comment files alone, or give the git command that would; None outside git."""
    top = work_tree(paths[0].parent)
    if top is None:
        return None
    message = message or decision_message(status, [label(path) for path in paths])
    if not commit:
        relative = [os.path.relpath(path.resolve(), Path.cwd()) for path in paths]
        new = [shown for path, shown in zip(paths, relative, strict=True) if not _tracked(top, path)]
        add = shlex.join(["git", "add", "--", *new]) if new else None
        return Record(message, False, shlex.join(["git", "commit", "-m", message, "--", *relative]), add=add)
    absolute = [str(path.resolve()) for path in paths]
    try:
        git(top, ["add", "--", *absolute])
        git(top, ["commit", "--quiet", "--no-verify", "-m", message, "--only", "--", *absolute])
    except GitError as exc:
        return Record(message, False, error=f"the files were changed but not committed: {exc}")
    return Record(message, True)
