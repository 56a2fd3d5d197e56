"""In-place editing of comment files: change a few fields' values and keep every other byte.

A value is replaced only on the line the loader says its key stands on, and only
in a one-line form (plain, single- or double-quoted); fields a file lacks are
added as new lines. Every candidate text is read back with the loader, and is
used only when exactly the requested fields changed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..errors import Problem
from .model import CommentFileError
from .rules import BREAK_CHARS, LINE_BREAK, plain_or_quote, quote
from .yaml_text import Parsed, parse

# A mapping key at the start of a line, as the loader reported it; `rest` is what follows the colon.
_KEY_LINE = re.compile(
    r"""(?P<indent>[ ]*)(?P<key>"[^"\\\n]*"|'[^'\n]*'|[A-Za-z0-9_-]+)[ \t]*:"""
    rf"""(?P<rest>[^{BREAK_CHARS}]*)(?P<end>{LINE_BREAK.pattern}|)\Z"""
)
# YAML's own line breaks, kept when splitting, so lines are counted exactly as the loader counts them.
_SPLIT = re.compile(f"({LINE_BREAK.pattern})")
_DOUBLE = re.compile(r'"(?:[^"\\]|\\.)*"')
_SINGLE = re.compile(r"'(?:[^']|'')*'")
_AFTER_VALUE = re.compile(r"(?:[ \t]+#.*)?[ \t]*\Z")
_NOT_EDITABLE = tuple("|>[{&*!%@`")


def split_lines(text: str) -> list[str]:
    """Lines with their line breaks kept, split where YAML itself breaks lines."""
    pieces = _SPLIT.split(text)
    lines = [pieces[i] + pieces[i + 1] for i in range(0, len(pieces) - 1, 2)]
    if pieces[-1]:
        lines.append(pieces[-1])
    return lines


def _unquote_key(key: str) -> str:
    """A mapping key as written, without its quotes."""
    return key[1:-1] if key[:1] in "\"'" else key


def _value_span(rest: str) -> tuple[int, int, str] | None:
    """Where the one-line value after a key's colon starts and ends, and its style; None if not editable."""
    stripped = rest.lstrip(" \t")
    start = len(rest) - len(stripped)
    if not stripped or stripped.startswith("#"):
        return start, start, "empty"
    first = stripped[0]
    if first in _NOT_EDITABLE:
        return None
    if first in "\"'":
        match = (_DOUBLE if first == '"' else _SINGLE).match(rest, start)
        if match is None or not _AFTER_VALUE.match(rest, match.end()):
            return None
        return start, match.end(), "double" if first == '"' else "single"
    comment = re.search(r"[ \t]#", stripped)
    value = stripped[: comment.start()] if comment else stripped
    return start, start + len(value.rstrip(" \t")), "plain"


def render_value(value: str, style: str) -> str:
    """`value` as a one-line YAML scalar, in `style` when that is safe, else double-quoted."""
    if style == "single" and "\n" not in value:
        return "'" + value.replace("'", "''") + "'"
    if style in ("plain", "empty"):
        return plain_or_quote(value)
    return quote(value)


def set_value(line: str, key: str, value: str, keep_style: bool = True) -> str | None:
    """`line` (holding `key: <one-line value>`) with the value replaced; None if it is not in that form."""
    match = _KEY_LINE.match(line)
    if match is None or _unquote_key(match["key"]) != key:
        return None
    rest = match["rest"]
    span = _value_span(rest)
    if span is None:
        return None
    start, end, style = span
    new = render_value(value, style if keep_style else "double")
    if style == "empty":
        new = (" " if start == 0 else "") + new + (" " if rest[start:] else "")
    head = line[: match.start("rest")]
    return head + rest[:start] + new + rest[end:] + match["end"]


def _newline(lines: Sequence[str], index: int) -> str:
    """The line break style to use: that of line `index`, else the file's first, else LF."""
    for line in (lines[index], *lines):
        match = LINE_BREAK.search(line)
        if match:
            return match.group(0)
    return "\n"


def _edits(
    path: Path, parsed: Parsed, text: str, changes: dict[str, str], keep_style: bool, anchor: str
) -> tuple[list[str], list[str], int] | Problem:
    """Lines with the present keys' values replaced, the lines to add for absent keys, and the anchor line's index."""
    lines = split_lines(text)
    anchor_index = parsed.lines[anchor] - 1
    added: list[str] = []
    anchor_line = lines[anchor_index]
    indent = anchor_line[: len(anchor_line) - len(anchor_line.lstrip(" "))]
    newline = _newline(lines, anchor_index)
    for key, value in changes.items():
        if key not in parsed.lines:
            added.append(f"{indent}{key}: {render_value(value, 'double')}{newline}")
            continue
        index = parsed.lines[key] - 1
        new = set_value(lines[index], key, value, keep_style) if index < len(lines) else None
        if new is None:
            return Problem(
                path, f"{key!r} is written in a form that cannot be changed in place "
                f"(a block scalar, a flow mapping or a value on the next line); write it as `{key}: <value>` on one line, "
                "or edit the file by hand", index + 1,
            )
        lines[index] = new
    return lines, added, anchor_index


def _candidates(lines: list[str], added: list[str], anchor_index: int) -> Iterator[str]:
    """New texts to try: new keys appended at the end, else right after the anchor line."""
    if not added:
        yield "".join(lines)
        return
    tail = lines[-1] if lines else ""
    end = [] if not tail or LINE_BREAK.search(tail) else [_newline(lines, anchor_index)]
    yield "".join([*lines, *end, *added])
    status_line = lines[anchor_index]
    if not LINE_BREAK.search(status_line):
        status_line += _newline(lines, anchor_index)
    yield "".join([*lines[:anchor_index], status_line, *added, *lines[anchor_index + 1:]])


def verify(path: Path, before: Parsed, text: str, changes: dict[str, str]) -> str | None:
    """Why `text` is not exactly `before` with `changes` applied (read back with the loader), or None."""
    try:
        after = parse(path, text)
    except CommentFileError as exc:
        return f"the edit would break the file ({exc.problem.message})"
    for key, value in changes.items():
        if after.values.get(key) != value:
            return f"{key!r} would not read back as {value!r}"
    for key, value in before.values.items():
        if key not in changes and after.values.get(key) != value:
            return f"{key!r} would change too"
    if set(after.values) != set(before.values) | set(changes):
        return "fields would be added or lost"
    return None


def _lone_surrogates(value: str) -> str:
    """The lone surrogates in `value` (which UTF-8 cannot write), escaped so they can be shown; "" if none."""
    return ", ".join(sorted({f"\\u{ord(char):04x}" for char in value if 0xD800 <= ord(char) <= 0xDFFF}))


def edit_fields(path: Path, text: str, parsed: Parsed, changes: dict[str, str]) -> str | Problem:
    """`text` with `changes` made in place, checked by reading it back; new fields go at the end, else after the first one changed.

    When every changed field is new, the file's last field is the anchor.
    """
    anchor = next((key for key in changes if key in parsed.lines), None) or max(parsed.lines, key=parsed.lines.__getitem__)
    for key, value in changes.items():
        if surrogates := _lone_surrogates(value):
            return Problem(path, f"cannot change {key!r}: the new value is not valid text (it holds a lone surrogate, "
                           f"{surrogates}); nothing was changed", parsed.lines.get(key, parsed.lines[anchor]), field=key)
    reason = "no edit was possible"
    for keep_style in (True, False):
        edits = _edits(path, parsed, text, changes, keep_style, anchor)
        if isinstance(edits, Problem):
            return edits
        for candidate in _candidates(*edits):
            failure = verify(path, parsed, candidate, changes)
            if failure is None:
                return candidate
            reason = failure
    line = parsed.lines[anchor]
    return Problem(path, f"cannot change {anchor!r} in place: {reason}; edit the file by hand", line, field=anchor)
