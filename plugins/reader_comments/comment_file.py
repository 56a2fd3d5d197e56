"""Read, validate and write comment files: the one parser of the format.

A comment file is `<comments>/<article-slug>/<comment-id>.yaml` holding one YAML
mapping. Every scalar is read as text (no YAML 1.1 guessing), anchors, aliases,
tags and duplicate keys are refused, and the mapping is checked against
`comment.schema.json` plus the rules a schema cannot say (real dates, surrogates).
"""

from __future__ import annotations

import difflib
import hashlib
import json
import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from jsonschema import Draft202012Validator

from .model import Comment, Problem

logger = logging.getLogger(__name__)

SCHEMA_PATH = Path(__file__).with_name("comment.schema.json")
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
FIELDS = tuple(SCHEMA["properties"])
EXTENSIONS = (".yaml", ".yml")
ID_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")
MAX_FILE_BYTES = 128 * 1024
MAX_PROBLEMS = 10
MAX_NESTING = 64
SCHEMA_HEADER = "# yaml-language-server: $schema=../../../plugins/reader_comments/comment.schema.json\n"

_VALIDATOR = Draft202012Validator(SCHEMA)
# Dates a day or more inside datetime's range, so converting to any time zone cannot overflow.
_EARLIEST = datetime.min.replace(tzinfo=timezone.utc) + timedelta(days=2)
_LATEST = datetime.max.replace(tzinfo=timezone.utc) - timedelta(days=2)
_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description"})
_FIELD_KEYWORDS = frozenset({"description", "type", "minLength", "maxLength", "pattern", "enum"})
_BaseLoader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_NULLS = frozenset({"", "~", "null", "Null", "NULL"})
_LINE_BREAKS = re.compile("\r\n|[\r\n\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_YAML_SPECIAL = re.compile("[\x80-\x9f\u2028\u2029\ufeff]")
_NAME_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff\ufffe\uffff]")


class CommentFileError(ValueError):
    """A comment file that cannot be read; carries the Problem to report."""

    def __init__(self, problem: Problem) -> None:
        super().__init__(str(problem))
        self.problem = problem


@dataclass(slots=True)
class Parsed:
    """A file's fields as text, with the line each key stands on."""

    values: dict[str, Any]
    lines: dict[str, int]
    start_line: int


@dataclass(slots=True)
class Tree:
    """Every comment under the comments folder, grouped by article slug."""

    by_article: dict[str, list[Comment]] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    def comments(self) -> Iterator[Comment]:
        """All valid comments, article by article."""
        for comments in self.by_article.values():
            yield from comments


def is_valid_id(value: str) -> bool:
    """Whether `value` is a legal comment id (and so a safe file name and fragment)."""
    return bool(ID_PATTERN.match(value))


def comment_id(path: Path) -> str:
    """The comment id a file name stands for."""
    return path.name.rsplit(".", 1)[0]


def _fail(path: Path, message: str, line: int | None = None) -> CommentFileError:
    """Build the error for `path`, ready to raise."""
    return CommentFileError(Problem(path, message, line))


def decode(path: Path, data: bytes) -> str:
    """Decode file bytes as UTF-8 without a byte-order mark, or raise a clear error."""
    if len(data) > MAX_FILE_BYTES:
        raise _fail(path, f"file is too large; a comment file may be at most {MAX_FILE_BYTES:,} bytes")
    if data.startswith(b"\xef\xbb\xbf"):
        raise _fail(path, "file starts with a byte-order mark; save it as UTF-8 without BOM", 1)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise _fail(path, f"file is not valid UTF-8 (byte {exc.start})", line) from None


def _compose(path: Path, text: str) -> yaml.Node:
    """Compose exactly one YAML document into a node tree, keeping line numbers."""
    if not text.strip():
        raise _fail(path, "file is empty; a comment file holds one YAML mapping")
    loader = _BaseLoader(text)
    try:
        _check_nesting(path, text)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        if "expected a single document" in str(exc):
            what = "file holds more than one YAML document; keep one mapping per file"
        raise _fail(path, f"invalid YAML: {what}", line) from None
    except yaml.reader.ReaderError as exc:
        code = ord(exc.character) if isinstance(exc.character, str) else exc.character
        raise _fail(path, f"invalid YAML: character #x{code:04x}: {exc.reason}", _line_at(text, exc.position)) from None
    except yaml.YAMLError as exc:
        raise _fail(path, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if node is None:
        raise _fail(path, "file is empty; a comment file holds one YAML mapping")
    return node


def _check_nesting(path: Path, text: str) -> None:
    """Refuse collections nested over MAX_NESTING deep, before libyaml's composer recurses on the C stack."""
    # A few thousand `[` would crash the process. Every level needs one of these
    # characters, so most files skip the scan; it stops at the first level too deep.
    if sum(text.count(c) for c in "[{-?:") <= MAX_NESTING:
        return
    loader = _BaseLoader(text)
    depth = 0
    try:
        while (event := loader.get_event()) is not None:
            if isinstance(event, (yaml.SequenceStartEvent, yaml.MappingStartEvent)):
                depth += 1
                if depth > MAX_NESTING:
                    raise _fail(path, f"values are nested more than {MAX_NESTING} levels deep", event.start_mark.line + 1)
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    finally:
        loader.dispose()


def _line_at(text: str, position: int) -> int:
    """The line of a reader error's position (a UTF-8 byte offset under libyaml, else a character index)."""
    if _BaseLoader is not yaml.BaseLoader:
        text = text.encode("utf-8", "surrogatepass")[:position].decode("utf-8", "ignore")
        position = len(text)
    return len(_LINE_BREAKS.findall(text, 0, position)) + 1


def _check_nodes(path: Path, root: yaml.Node) -> None:
    """Refuse aliases and explicit tags anywhere in the tree, without expanding aliases."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise _fail(path, "anchors and aliases (& and *) are not allowed", node.start_mark.line + 1)
        seen.add(id(node))
        if node.tag not in (_STR, _MAP, _SEQ):
            raise _fail(path, f"YAML tags such as {node.tag!r} are not allowed", node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                stack.extend((key, value))
        elif isinstance(node, yaml.SequenceNode):
            stack.extend(node.value)


def _scalar(node: yaml.Node) -> Any:
    """A value as plain data: text for scalars, empty containers standing for the others."""
    if isinstance(node, yaml.ScalarNode):
        if not node.style and node.value in _NULLS:  # plain: style None, or "" from libyaml
            return None
        return node.value
    return [] if isinstance(node, yaml.SequenceNode) else {}


def parse(path: Path, text: str) -> Parsed:
    """Parse a file's text into its top-level fields, all as text; raise CommentFileError."""
    root = _compose(path, text)
    _check_nodes(path, root)
    if not isinstance(root, yaml.MappingNode):
        raise _fail(path, "a comment file must be a mapping of fields (author: ..., body: ...)", root.start_mark.line + 1)
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise _fail(path, "field names must be plain words", line)
        key = key_node.value
        if key in values:
            raise _fail(path, f"field {key!r} appears twice (first on line {lines[key]})", line)
        values[key] = _scalar(value_node)
        lines[key] = line
    return Parsed(values, lines, root.start_mark.line + 1)


def _schema_message(error: Any) -> str:
    """Turn a jsonschema error into a sentence a moderator can act on."""
    name = error.path[0] if error.path else None
    kind = error.validator
    if kind == "required":
        missing = error.message.split("'")[1]
        return f"required field {missing!r} is missing"
    if kind == "type":
        return f"{name!r} must be text" if "string" in str(error.validator_value) else f"{name!r} has the wrong type"
    if kind == "maxLength":
        return f"{name!r} is longer than {error.validator_value:,} characters"
    if kind == "minLength":
        return f"{name!r} is empty"
    if kind == "enum":
        allowed = ", ".join(str(v) for v in error.validator_value if v is not None)
        return f"{name!r} must be one of: {allowed} (got {error.instance!r})"
    if kind == "pattern":
        return f"{name!r} is not valid: {SCHEMA['properties'][name]['description']}"
    return f"{name!r}: {error.message}" if name else error.message


def _parse_date(value: str, tz: tzinfo) -> datetime | None:
    """Parse an ISO 8601 date-time; one without an offset is read in `tz`."""
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=tz)
    return moment if _EARLIEST <= moment <= _LATEST else None


def _text_problems(values: dict[str, Any]) -> Iterator[tuple[str, str]]:
    """Rules on text a schema cannot express: control characters and lone surrogates."""
    for name, value in values.items():
        if not isinstance(value, str):
            continue
        pattern = _CONTROL if name in ("body", "note") else _NAME_CONTROL
        if pattern.search(value):
            yield name, f"{name!r} contains control characters or invalid Unicode"


def _field_check(rules: dict[str, Any]) -> Callable[[Any], bool] | None:
    """A predicate true only where the schema's rules for one field surely pass; None for other keywords."""
    if not set(rules) <= _FIELD_KEYWORDS:
        return None
    kinds = rules.get("type", ("string", "null"))
    kinds = (kinds,) if isinstance(kinds, str) else tuple(kinds)
    low, high = rules.get("minLength", 0), rules.get("maxLength")
    pattern = re.compile(rules["pattern"]) if "pattern" in rules else None
    choices = rules.get("enum")

    def check(value: Any) -> bool:
        """Whether `value` meets every rule (text and null only; anything else goes to jsonschema)."""
        if value is None:
            return "null" in kinds and (choices is None or None in choices)
        if not isinstance(value, str) or "string" not in kinds:
            return False
        if len(value) < low or (high is not None and len(value) > high):
            return False
        if pattern is not None and not pattern.search(value):
            return False
        return choices is None or value in choices

    return check


def _schema_check(schema: dict[str, Any]) -> Callable[[dict[str, Any]], bool] | None:
    """A quick test that a mapping surely passes `schema`, or None when the schema needs jsonschema itself.

    It understands only type, length, pattern and enum rules on text or null
    fields, exactly as jsonschema applies them; whenever it answers False,
    jsonschema validates the file and words the problems.
    """
    if not set(schema) <= _ANNOTATIONS | {"type", "additionalProperties", "required", "properties"}:
        return None
    if schema.get("type", "object") != "object":
        return None
    checks = {name: _field_check(rules) for name, rules in schema.get("properties", {}).items()}
    if any(check is None for check in checks.values()):
        return None
    required = tuple(schema.get("required", ()))

    def valid(values: dict[str, Any]) -> bool:
        """Whether `values` surely has no schema error."""
        if any(name not in values for name in required):
            return False
        return all(name in checks and checks[name](value) for name, value in values.items())

    return valid


_QUICK_SCHEMA = _schema_check(SCHEMA)


def validate(path: Path, parsed: Parsed, tz: tzinfo) -> tuple[Comment | None, list[Problem]]:
    """Check parsed fields against the schema and the format's rules; build the Comment."""
    values, lines = parsed.values, parsed.lines
    problems: list[Problem] = []
    for name in values:
        if name not in SCHEMA["properties"]:
            hint = difflib.get_close_matches(name, FIELDS, n=1)
            suggestion = f"; did you mean {hint[0]!r}?" if hint else ""
            problems.append(Problem(path, f"unknown field {name!r}{suggestion}", lines[name]))
    known = {k: v for k, v in values.items() if k in SCHEMA["properties"]}
    flagged: set[str] = set()
    schema_errors = () if _QUICK_SCHEMA is not None and _QUICK_SCHEMA(known) else _VALIDATOR.iter_errors(known)
    for error in schema_errors:
        name = error.path[0] if error.path else None
        flagged.add(name)
        problems.append(Problem(path, _schema_message(error), lines.get(name, parsed.start_line)))
    for name, message in _text_problems(known):
        problems.append(Problem(path, message, lines[name]))
        flagged.add(name)
    known = {k: v for k, v in known.items() if k not in flagged}
    cid = comment_id(path)
    if not is_valid_id(cid):
        problems.append(Problem(path, "the file name must be a comment id: 1 to 64 of A-Z a-z 0-9 _ -"))
    date = None
    if isinstance(known.get("date"), str):
        date = _parse_date(known["date"], tz)
        if date is None:
            problems.append(Problem(path, f"'date' is not a real date-time: {known['date']!r}", lines["date"]))
    website = known.get("website")
    if isinstance(website, str) and not _is_http_url(website):
        problems.append(Problem(path, "'website' must be an http or https URL with a host", lines["website"]))
    if known.get("reply_to") == cid:
        problems.append(Problem(path, "a comment cannot reply to itself", lines["reply_to"]))
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
        extra={k: known.get(k) for k in ("moderated_at", "moderator", "note") if known.get(k)},
    )


def _is_http_url(value: str) -> bool:
    """Whether `value` is an absolute http(s) URL with a host."""
    try:
        parts = urlsplit(value)
        return parts.scheme.lower() in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False


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
            data = _read_bytes(path)
        parsed = parse(path, decode(path, data))
    except CommentFileError as exc:
        return None, [exc.problem], {}
    comment, problems = validate(path, parsed, tz)
    if comment is None:
        return None, _at_most(problems, MAX_PROBLEMS), {}
    object.__setattr__(comment, "digest", digest or hashlib.sha256(data).hexdigest())
    return comment, problems, {k: v for k, v in parsed.values.items() if k in SCHEMA["properties"]}


class ReadCache:
    """Valid comment files from earlier builds, so unchanged files skip YAML parsing and validation.

    An entry is keyed on the file's path and the SHA-256 of its bytes, and holds
    the fields the validator accepted. Files with problems are never kept, so
    they are read and reported in full every time. The cache file's name must
    carry a fingerprint of the code and settings that reading depends on.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = load_json_entries(path, lambda value: isinstance(value, dict))
        self.used: dict[str, dict[str, Any]] = {}
        self.hits = 0

    def read(self, path: Path, tz: tzinfo) -> tuple[Comment | None, list[Problem]]:
        """Like `read()`, from the cache when this exact file was valid before."""
        try:
            data = _read_bytes(path)
        except CommentFileError as exc:
            return None, [exc.problem]
        digest = hashlib.sha256(data).hexdigest()
        key = f"{path}\0{digest}"
        fields = self.entries.get(key)
        date = _parse_date(fields["date"], tz) if fields is not None and _complete(fields) else None
        if fields is not None and date is not None:
            comment = _build(path, fields, date)
            object.__setattr__(comment, "digest", digest)
            self.hits += 1
        else:
            comment, problems, fields = _read_fields(path, tz, data, digest)
            if comment is None:
                return None, problems
        self.used[key] = fields
        return comment, []

    def save(self) -> None:
        """Keep only this build's entries, written atomically; skip the write when nothing changed."""
        if self.path is not None and self.used.keys() != self.entries.keys():
            save_json_entries(self.path, self.used, "files-*.json")


def _complete(fields: dict[str, Any]) -> bool:
    """Whether a cached entry has every required field as text (a damaged cache is never trusted)."""
    return all(isinstance(fields.get(name), str) for name in SCHEMA["required"])


def load_json_entries(path: Path | None, valid: Callable[[Any], bool]) -> dict[str, Any]:
    """A cache file's entries; none when there is no file, or when it is unreadable or holds anything not `valid`."""
    if path is None or not path.is_file():
        return {}
    try:
        entries = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        entries = None
    if not isinstance(entries, dict) or not all(valid(v) for v in entries.values()):
        logger.info("Comment cache %s is unreadable; starting afresh", path)
        return {}
    return entries


def save_json_entries(path: Path, entries: dict[str, Any], stale: str) -> None:
    """Write a cache file atomically (a build running beside this one never sees half a file); drop older ones."""
    path.parent.mkdir(parents=True, exist_ok=True)
    for old in path.parent.glob(stale):
        if old != path:
            old.unlink(missing_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(entries))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _read_bytes(path: Path) -> bytes:
    """Read a file's bytes, refusing oversized files before reading them whole."""
    chunks: list[bytes] = []
    size = 0
    try:
        fd = os.open(path, os.O_RDONLY)
        try:
            while size <= MAX_FILE_BYTES:
                chunk = os.read(fd, MAX_FILE_BYTES + 1 - size)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        finally:
            os.close(fd)
    except OSError as exc:
        raise _fail(path, f"cannot read file: {exc.strerror}") from None
    return b"".join(chunks)


def comment_files(folder: Path) -> Iterator[Path]:
    """Every comment file below `folder`, in a stable order; hidden and other files are skipped."""
    if not folder.is_dir():
        return
    for article_dir in _entries(folder):
        if article_dir.name.startswith(".") or not article_dir.is_dir():
            continue
        for entry in _entries(Path(article_dir.path)):
            name = entry.name
            if os.path.splitext(name)[1] in EXTENSIONS and not name.startswith(".") and entry.is_file():
                yield Path(os.path.join(article_dir.path, name))


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


def _quote(value: str) -> str:
    """A YAML double-quoted scalar for `value` (JSON string syntax is valid YAML).

    Characters YAML reads as line breaks or refuses unescaped (NEL, the Unicode
    line and paragraph separators, C1 controls, BOM) are written as escapes.
    """
    return _YAML_SPECIAL.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


def _block(value: str) -> str | None:
    """A literal block scalar for `value`, when one round-trips exactly."""
    lines = value.split("\n")
    if (
        not value.strip()
        or value != value.strip("\n") + "\n" * (value.endswith("\n"))
        or lines[0].startswith((" ", "\t"))
        or any(line != line.rstrip() for line in lines)
        or _CONTROL.search(value)
        or "\r" in value
        or "\t" in value
        or _YAML_SPECIAL.search(value)
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
        rendered = _block(value) if name in ("body", "note") else None
        out.append(f"{name}: {rendered or _quote(value)}\n")
    return "".join(out)


def write_new(path: Path, text: str, tz: tzinfo) -> Comment:
    """Validate `text` with the loader, then create `path` atomically; never overwrite."""
    data = text.encode("utf-8")
    comment, problems = read(path, tz, data)
    if comment is None:
        raise CommentFileError(problems[0])
    tmp = _write_temp(path, data)
    try:
        os.link(tmp, path)
    finally:
        os.unlink(tmp)
    _fsync_dir(path.parent)
    return comment


def replace(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically: a temporary file, fsync, then rename."""
    tmp = _write_temp(path, data)
    try:
        os.chmod(tmp, path.stat().st_mode & 0o7777)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_dir(path.parent)


def _write_temp(path: Path, data: bytes) -> str:
    """Write `data` to a hidden temporary file beside `path` and fsync it."""
    fd, tmp = tempfile.mkstemp(prefix=".tmp-", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return tmp


def _fsync_dir(folder: Path) -> None:
    """Make a rename or link in `folder` durable."""
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def clean_temp_files(folder: Path) -> int:
    """Remove temporary files a killed writer left behind; return how many."""
    removed = 0
    for path in folder.glob("*/.tmp-*.part"):
        path.unlink(missing_ok=True)
        removed += 1
    return removed
