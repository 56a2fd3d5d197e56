"""Read, validate and write comment files: the one parser of the format.

A comment file is `<comments>/<article-slug>/<comment-id>.yaml` holding one YAML
mapping. Every scalar is read as text (no YAML 1.1 guessing), anchors, aliases,
tags and duplicate keys are refused, and the mapping is checked against
`comment.schema.json` plus the rules a schema cannot say (real dates, surrogates).
"""

from __future__ import annotations

import difflib
import errno
import functools
import hashlib
import logging
import os
import stat
import time
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any, NamedTuple

from ..cache import JsonCache
from ..errors import Problem
from ..fileio import atomic_write, create_all, read_capped
from ..names import is_blank
from .edit import edit_fields
from .model import Comment, CommentFileError
from .rules import (
    CONTROL,
    EXTENSIONS,
    FIELDS,
    LINE_CONTROL,
    MULTI_LINE,
    REMOVAL_FIELDS,
    SCHEMA,
    YAML_SPECIAL,
    comment_id,
    is_http_url,
    is_valid_id,
    plain_or_quote,
    quote,
    schema_check,
    schema_message,
)
from .yaml_text import BOM, MAX_FILE_BYTES, Parsed, decode, fail, parse

logger = logging.getLogger(__name__)

MAX_PROBLEMS = 10
LINK_MESSAGE = "is a symbolic link, so it is never published; put the comment file (or article folder) itself here"
# Fields written without quotes when safe, as MODERATING.md shows them (`status: pending`).
PLAIN_FIELDS = ("status", "reply_to", "role", "pinned")
SCHEMA_HEADER = "# yaml-language-server: $schema=../../../plugins/reader_comments/comment.schema.json\n"

# Dates a day or more inside datetime's range, so converting to any time zone cannot overflow.
_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=2)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=2)


@dataclass(slots=True)
class Tree:
    """Every comment under the comments folder, grouped by article slug."""

    by_article: dict[str, list[Comment]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def comments(self) -> Iterator[Comment]:
        """All valid comments, article by article."""
        for comments in self.by_article.values():
            yield from comments


def _parse_date(value: str, tz: tzinfo) -> datetime | None:
    """Parse an ISO 8601 date-time; one without an offset is read in `tz`."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=tz)
    return moment if _EARLIEST <= moment <= _LATEST else None


def _text_problems(values: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Rules on text a schema cannot express: control characters, lone surrogates, names with nothing visible."""
    for name, value in values.items():
        if not isinstance(value, str):
            continue
        pattern = CONTROL if name in MULTI_LINE else LINE_CONTROL
        if pattern.search(value):
            yield name, f"{name!r} contains control characters or invalid Unicode"
        elif name == "author" and value.strip() and is_blank(value):  # all-space names fail the schema already
            yield name, f"{name!r} has nothing visible: only spaces or invisible characters"


_QUICK_SCHEMA = schema_check(SCHEMA)


@functools.cache
def _validator() -> Any:
    """The validator jsonschema builds for the schema, loaded the first time the quick check cannot vouch for a file."""
    from jsonschema import Draft202012Validator  # most runs never need it: importing it costs a tenth of a second

    return Draft202012Validator(SCHEMA)


def validate(path: Path, parsed: Parsed, tz: tzinfo) -> tuple[Comment | None, list[Problem]]:
    """Check parsed fields against the schema and the format's rules; build the Comment."""
    values, lines = parsed.values, parsed.lines
    problems: list[Problem] = []
    for name in values:
        if name not in SCHEMA["properties"]:
            hint = difflib.get_close_matches(name, FIELDS, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            problems.append(Problem(path, f"unknown field {name!r}{suggestion}", lines[name], field=name))
    known = {k: v for k, v in values.items() if k in SCHEMA["properties"]}
    flagged: set[str | None] = set()
    schema_errors = () if _QUICK_SCHEMA is not None and _QUICK_SCHEMA(known) else _validator().iter_errors(known)
    for error in schema_errors:
        field_name: Any = error.path[0] if error.path else None
        flagged.add(field_name)
        problems.append(Problem(path, schema_message(error), lines.get(field_name, parsed.start_line), field=field_name))
    for name, message in _text_problems(known):
        problems.append(Problem(path, message, lines[name], field=name))
        flagged.add(name)
    known = {k: v for k, v in known.items() if k not in flagged}
    cid = comment_id(path)
    if not is_valid_id(cid):
        problems.append(Problem(path, "the file name must be a comment id: 1 to 64 of A-Z a-z 0-9 _ -"))
    date = None
    if isinstance(known.get("date"), str):
        date = _parse_date(known["date"], tz)
        if date is None:
            problems.append(Problem(path, f"'date' is not a real date-time: {known['date']!r}", lines["date"], field="date"))
    website = known.get("website")
    if isinstance(website, str) and not is_http_url(website):
        problems.append(Problem(path, "'website' must be an http or https URL with a host", lines["website"], field="website"))
    if known.get("reply_to") == cid:
        problems.append(Problem(path, "a comment cannot reply to itself", lines["reply_to"], field="reply_to"))
    if problems or date is None:
        return None, sorted(set(problems), key=lambda p: (p.line or 0, p.message))
    return _build(path, known, date), []


def _build(path: Path, known: dict[str, Any], date: datetime) -> Comment:
    """The Comment for a file's valid fields."""
    return Comment(
        id=comment_id(path),
        article=path.parent.name,
        path=path,
        author=known["author"].strip(),
        date=date,
        status=known["status"],
        body=known["body"],
        reply_to=known.get("reply_to"),
        website=known.get("website"),
        role=known.get("role"),
        pinned=known.get("pinned") == "true",
        extra={k: known.get(k) for k in ("moderated_at", "moderator", "note", *REMOVAL_FIELDS) if known.get(k)},
    )


def _at_most(problems: list[Problem], limit: int) -> list[Problem]:
    """The first `limit` problems of a file, and one line counting the rest, so one file cannot flood a log."""
    if len(problems) <= limit:
        return problems
    return [*problems[:limit], Problem(problems[0].path, f"... and {len(problems) - limit} more problems in this file")]


def read(path: Path, tz: tzinfo, data: bytes | None = None) -> tuple[Comment | None, list[Problem]]:
    """Read and validate one comment file; problems are returned, never raised."""
    comment, problems, _ = _read_fields(path, tz, data)
    return comment, problems


def _read_fields(
    path: Path, tz: tzinfo, data: bytes | None, digest: str | None = None
) -> tuple[Comment | None, list[Problem], dict[str, Any]]:
    """Like `read`, also returning a valid file's schema fields as text (empty when invalid)."""
    try:
        if data is None:
            data = read_bytes(path)
        parsed = parse(path, decode(path, data))
    except CommentFileError as exc:
        return None, [exc.problem], {}
    comment, problems = validate(path, parsed, tz)
    if comment is None:
        return None, _at_most(problems, MAX_PROBLEMS), {}
    object.__setattr__(comment, "digest", digest or hashlib.sha256(data).hexdigest())
    return comment, problems, {k: v for k, v in parsed.values.items() if k in SCHEMA["properties"]}


class ReadCache(JsonCache):
    """Valid comment files from earlier builds, so unchanged files are neither read again nor parsed and validated.

    An entry is keyed on the file's path and the SHA-256 of its bytes, and holds
    the fields the validator accepted; a second entry maps the file's path and
    status (size, modification and change times, inode) to that digest, so an
    unchanged file is not even read. A file changed since is told by its status:
    the change time cannot be set back by hand, and a file is only known by its
    status once it has been still for STILL_NS when it was read (an edit within
    the clock's resolution of the read could otherwise go unseen). Files with
    problems are never kept, so they are read and reported in full every time.
    The cache file's name must carry a fingerprint of the code and settings that
    reading depends on.
    """

    kind = "files"
    _spilled_files = 0

    @staticmethod
    def valid(value: Any) -> bool:
        """Whether a stored value is a mapping of fields (or, for a file's status, a digest)."""
        return isinstance(value, (dict, str))

    @property
    def files(self) -> int:
        """How many valid files this build read (a file's status entry aside)."""
        return self._spilled_files + sum(not key.startswith("\0") for key in self.used)

    def spill(self) -> bool:
        """Write the entries used so far to a scratch file and let them go (JsonCache.spill), still counting the files."""
        files = self.files
        if not super().spill():
            return False
        self._spilled_files = files
        return True

    def read(self, path: Path, tz: tzinfo) -> tuple[Comment | None, list[Problem]]:
        """Like `read()`, from the cache when this exact file was valid before."""
        status = _status_key(path)
        known = self.entries.get(status) if status else None
        if status and isinstance(known, str):
            comment = self._cached(path, known, tz)
            if comment is not None:
                self.used[status] = known
                return comment, []
        try:
            data = read_bytes(path)
        except CommentFileError as exc:
            return None, [exc.problem]
        digest = hashlib.sha256(data).hexdigest()
        comment = self._cached(path, digest, tz)
        if comment is None:
            comment, problems, fields = _read_fields(path, tz, data, digest)
            if comment is None:
                return None, problems
            self.used[f"{path}\0{digest}"] = fields
        if status and _still(status):
            self.used[status] = digest
        return comment, []

    def keep_folders(self, folders: Collection[str]) -> None:
        """Keep the entries of the files in `folders` (article folders, as text, not read this build: known unchanged)."""
        for key, value in self.entries.items():
            parts = key.split("\0")
            path = parts[2] if key.startswith("\0status\0") else parts[0]
            if os.path.dirname(path) in folders:
                self.used[key] = value

    def _cached(self, path: Path, digest: str, tz: tzinfo) -> Comment | None:
        """The comment kept for `path` with bytes of this `digest`, or None."""
        key = f"{path}\0{digest}"
        fields = self.entries.get(key)
        date = _parse_date(fields["date"], tz) if isinstance(fields, dict) and _complete(fields) else None
        if fields is None or date is None:
            return None
        comment = _build(path, fields, date)
        object.__setattr__(comment, "digest", digest)
        self.hits += 1
        self.used[key] = fields
        return comment


# How long a file must have been unchanged when read before its status alone is trusted.
STILL_NS = 2_000_000_000


def _status_key(path: Path) -> str | None:
    """The cache key of a regular file's path and status (None for anything else, or when it cannot be seen)."""
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if not stat.S_ISREG(info.st_mode):
        return None
    return f"\0status\0{path}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_ino}"


def _still(status: str) -> bool:
    """Whether the file of a status key had been unchanged for STILL_NS (its modification and change times)."""
    parts = status.split("\0")
    now = time.time_ns()
    return max(int(parts[-3]), int(parts[-2])) < now - STILL_NS


def _complete(fields: dict[str, Any]) -> bool:
    """Whether a cached entry has every required field as text (a damaged cache is never trusted)."""
    return all(isinstance(fields.get(name), str) for name in SCHEMA["required"])


def read_bytes(path: Path) -> bytes:
    """Read a file's bytes, refusing oversized files before reading them whole; raise CommentFileError."""
    try:
        return read_capped(path, MAX_FILE_BYTES)
    except OSError as exc:
        if exc.errno == errno.ELOOP or os.path.islink(path):
            raise fail(path, LINK_MESSAGE) from None
        raise fail(path, f"cannot read file: {exc.strerror}") from None


def is_comment_name(name: str) -> bool:
    """Whether a file name inside an article folder names a comment file: .yaml or .yml, not hidden."""
    return os.path.splitext(name)[1] in EXTENSIONS and not name.startswith(".")


def comment_files(folder: Path, skip: Collection[str] = ()) -> Iterator[Path]:
    """Every comment file below `folder`, in a stable order; hidden and other files, and the article folders in `skip`, are skipped.

    Symbolic links are listed too, a linked article folder as itself, so the
    reader reports each of them (it never follows a link).
    """
    if not folder.is_dir():
        return
    for article_dir in _entries(folder):
        if article_dir.name.startswith(".") or article_dir.name in skip:
            continue
        if article_dir.is_symlink():
            yield Path(article_dir.path)
            continue
        if not article_dir.is_dir(follow_symlinks=False):
            continue
        yield from folder_files(article_dir.path)


def folder_files(article_dir: str) -> Iterator[Path]:
    """The comment files of one article folder, in a stable order (symbolic links too, to be reported)."""
    for entry in _entries(Path(article_dir)):
        if is_comment_name(entry.name) and (entry.is_symlink() or entry.is_file(follow_symlinks=False)):
            yield Path(os.path.join(article_dir, entry.name))


class Listing(NamedTuple):
    """An article folder's comment files as listed: a digest of each one's name, size, times and inode, and those not yet still."""

    digest: str
    fresh: frozenset[str]


def folder_listing(folder: Path) -> Listing | None:
    """The listing of an article folder's comment files (name, size, modification and change times, inode of each).

    `fresh` names the files changed within STILL_NS: an edit of one of those
    might not move what the digest covers, so whoever keeps what a folder gave
    must check their bytes (`content_digest`) before trusting the listing alone.
    None when any file is not a regular file, or the folder cannot be listed.
    """
    digest = hashlib.sha256()
    limit = time.time_ns() - STILL_NS
    fresh = []
    try:
        entries = _entries(folder)
        for entry in entries:
            if not is_comment_name(entry.name):
                continue
            info = entry.stat(follow_symlinks=False)
            if not stat.S_ISREG(info.st_mode):
                return None
            if max(info.st_mtime_ns, info.st_ctime_ns) >= limit:
                fresh.append(entry.name)
            line = f"{entry.name}\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_ino}\n"
            digest.update(line.encode("utf-8", "surrogateescape"))
    except OSError:
        return None
    return Listing(digest.hexdigest(), frozenset(fresh))


def content_digest(path: Path) -> str | None:
    """The digest a comment's file has as read (Comment.digest: the SHA-256 of its bytes); None when it cannot be read."""
    try:
        return hashlib.sha256(read_bytes(path)).hexdigest()
    except CommentFileError:
        return None


def _entries(folder: Path) -> list[os.DirEntry]:
    """A folder's entries sorted by name (scandir: no extra stat for the file type)."""
    with os.scandir(folder) as entries:
        return sorted(entries, key=lambda entry: entry.name)


def load_tree(folder: Path, tz: tzinfo, paths: Iterable[Path] | None = None, cache: ReadCache | None = None) -> Tree:
    """Read every comment file under `folder`; duplicate ids are reported and skipped."""
    tree = Tree()
    seen: dict[tuple[str, str], Path] = {}
    for path in paths if paths is not None else comment_files(folder):
        comment, problems = cache.read(path, tz) if cache is not None else read(path, tz)
        tree.problems.extend(problems)
        if comment is None:
            continue
        key = (comment.article, comment.id)
        if key in seen:
            tree.problems.append(Problem(path, f"duplicate comment id {comment.id!r} in {comment.article!r}", related=(seen[key],)))
            continue
        seen[key] = path
        tree.by_article.setdefault(comment.article, []).append(comment)
    return tree


# ---------------------------------------------------------------- writing


def _block(value: str) -> str | None:
    """A literal block scalar for `value`, when one round-trips exactly."""
    lines = value.split("\n")
    if (
        not value.strip()
        or value != value.strip("\n") + "\n" * (value.endswith("\n"))
        or lines[0].startswith((" ", "\t"))
        or any(line != line.rstrip() for line in lines)
        or CONTROL.search(value)
        or "\r" in value
        or "\t" in value
        or YAML_SPECIAL.search(value)
    ):
        return None
    chomp = "" if value.endswith("\n") else "-"
    text = value[:-1] if value.endswith("\n") else value
    body = "\n".join(("  " + line) if line else "" for line in text.split("\n"))
    return f"|{chomp}\n{body}"


def dump(fields: dict[str, str | None]) -> str:
    """Serialise comment fields as a comment file (schema header, one field a line)."""
    out = [SCHEMA_HEADER]
    for name in FIELDS:
        value = fields.get(name)
        if value is None:
            continue
        rendered = _block(value) if name in MULTI_LINE else None
        if name in PLAIN_FIELDS:
            rendered = plain_or_quote(value)
        out.append(f"{name}: {rendered or quote(value)}\n")
    return "".join(out)


@dataclass(frozen=True, slots=True)
class NewFile:
    """A comment file to create: its bytes, already read back by the loader as `comment` (see `check_new`)."""

    path: Path
    data: bytes
    comment: Comment


def check_new(path: Path, text: str, tz: tzinfo) -> tuple[NewFile | None, list[Problem]]:
    """`text` as the new file `path`, validated with the loader; None and the problems when it is not valid."""
    data = text.encode("utf-8")
    comment, problems = read(path, tz, data)
    return (None if comment is None else NewFile(path, data, comment)), problems


def write_new(path: Path, text: str, tz: tzinfo) -> Comment:
    """Validate `text` with the loader, then create `path` atomically; never overwrite (FileExistsError)."""
    new, problems = check_new(path, text, tz)
    if new is None:
        raise CommentFileError(problems[0])
    atomic_write(path, new.data, create=True)
    return new.comment


def write_new_all(files: Sequence[NewFile]) -> None:
    """Create every checked file, all of them or none (`fileio.create_all`); never overwrite (FileExistsError)."""
    create_all([(new.path, new.data) for new in files])


def changed_bytes(path: Path, data: bytes, changes: dict[str, str], tz: tzinfo) -> tuple[NewFile | None, list[Problem]]:
    """A valid file's bytes with `changes` made in place (every other byte kept), read back with the loader."""
    text = decode(path, data)
    edited = edit_fields(path, text, parse(path, text), changes)
    if isinstance(edited, Problem):
        return None, [edited]
    # A byte-order mark the file started with stays, like every other byte not changed.
    new = data[: len(data) - len(data.removeprefix(BOM))] + edited.encode("utf-8")
    comment, problems = read(path, tz, new)
    return (None if comment is None else NewFile(path, new, comment)), problems
