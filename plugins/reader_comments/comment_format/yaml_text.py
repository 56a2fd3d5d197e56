"""The strict YAML reader of comment files: one mapping of text fields, with line numbers.

Every scalar is read as text (no YAML 1.1 guessing); anchors, aliases, tags,
duplicate keys and deep nesting are refused before anything is built from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import Problem
from .hints import explain
from .model import CommentFileError
from .rules import LINE_BREAK, NULL_WORDS

MAX_FILE_BYTES = 128 * 1024
MAX_NESTING = 64
# A UTF-8 byte-order mark: YAML allows one at the start, and Windows Notepad writes one.
BOM = b"\xef\xbb\xbf"

_BaseLoader = getattr(yaml, "CBaseLoader", yaml.BaseLoader)
_STR = "tag:yaml.org,2002:str"
_MAP = "tag:yaml.org,2002:map"
_SEQ = "tag:yaml.org,2002:seq"
_NULLS = frozenset({"", "~"}) | NULL_WORDS


@dataclass(slots=True)
class Parsed:
    """A file's fields as text, with the line each key stands on."""

    values: dict[str, Any]
    lines: dict[str, int]
    start_line: int


def fail(path: Path, message: str, line: int | None = None) -> CommentFileError:
    """Build the error for `path`, ready to raise."""
    return CommentFileError(Problem(path, message, line))


def decode(path: Path, data: bytes) -> str:
    """Decode file bytes as UTF-8, a leading byte-order mark dropped, or raise a clear error."""
    if len(data) > MAX_FILE_BYTES:
        raise fail(path, f"file is too large; a comment file may be at most {MAX_FILE_BYTES:,} bytes")
    text = data.removeprefix(BOM)
    try:
        return text.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = text[: exc.start].count(b"\n") + 1
        raise fail(path, f"file is not valid UTF-8 (byte {exc.start})", line) from None


def _compose(path: Path, text: str) -> yaml.Node:
    """Compose exactly one YAML document into a node tree, keeping line numbers."""
    if not text.strip():
        raise fail(path, "file is empty; a comment file holds one YAML mapping")
    loader = _BaseLoader(text)
    try:
        _check_nesting(path, text)
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = exc.problem or exc.context or "invalid YAML"
        hint = explain(text, line)
        if "expected a single document" in str(exc):
            what, hint = "file holds more than one YAML document; keep one mapping per file", None
        if hint is not None:
            what, line = hint.message, hint.line
        raise fail(path, f"invalid YAML: {what}", line) from None
    except yaml.reader.ReaderError as exc:
        code = ord(exc.character) if isinstance(exc.character, str) else exc.character
        raise fail(path, f"invalid YAML: character #x{code:04x}: {exc.reason}", _line_at(text, exc.position)) from None
    except yaml.YAMLError as exc:
        raise fail(path, f"invalid YAML: {exc}") from None
    finally:
        loader.dispose()
    if node is None:
        raise fail(path, "file is empty; a comment file holds one YAML mapping")
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
                    raise fail(path, f"values are nested more than {MAX_NESTING} levels deep", event.start_mark.line + 1)  # type: ignore[union-attr]  # a loader's events carry marks
            elif isinstance(event, (yaml.SequenceEndEvent, yaml.MappingEndEvent)):
                depth -= 1
    finally:
        loader.dispose()


def _line_at(text: str, position: int) -> int:
    """The line of a reader error's position (a UTF-8 byte offset under libyaml, else a character index)."""
    if _BaseLoader is not yaml.BaseLoader:
        text = text.encode("utf-8", "surrogatepass")[:position].decode("utf-8", "ignore")
        position = len(text)
    return len(LINE_BREAK.findall(text, 0, position)) + 1


def _check_nodes(path: Path, root: yaml.Node) -> None:
    """Refuse aliases and explicit tags anywhere in the tree, without expanding aliases."""
    seen: set[int] = set()
    stack = [root]
    while stack:
        node = stack.pop()
        if id(node) in seen:
            raise fail(path, "anchors and aliases (& and *) are not allowed", node.start_mark.line + 1)
        seen.add(id(node))
        if node.tag not in (_STR, _MAP, _SEQ):
            raise fail(path, f"YAML tags such as {node.tag!r} are not allowed", node.start_mark.line + 1)
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
        raise fail(path, "a comment file must be a mapping of fields (author: ..., body: ...)", root.start_mark.line + 1)
    values: dict[str, Any] = {}
    lines: dict[str, int] = {}
    for key_node, value_node in root.value:
        line = key_node.start_mark.line + 1
        if not isinstance(key_node, yaml.ScalarNode):
            raise fail(path, "field names must be plain words", line)
        key = key_node.value
        if key in values:
            raise fail(path, f"field {key!r} appears twice (first on line {lines[key]})", line)
        values[key] = _scalar(value_node)
        lines[key] = line
    return Parsed(values, lines, root.start_mark.line + 1)
