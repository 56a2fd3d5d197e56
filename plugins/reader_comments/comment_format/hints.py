"""Plain words for the YAML mistakes people make when they edit a comment file by hand.

The parser notices a mistake where it can no longer go on, often a line or two
after it; these checks read the lines themselves, find the line that holds the
mistake, and say what to write instead. The loader (comment_yaml) asks them only
once the parser has refused a file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .rules import FIELDS, LINE_BREAK

# `name: value` at the start of a line, as every field of a comment file is written.
_FIELD = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_-]*):(?P<rest>[ \t].*|)$")
# `name:value`, the space after the colon forgotten.
_NO_SPACE = re.compile(r"(?P<key>[A-Za-z_][A-Za-z0-9_-]*):(?P<value>[^\s/].*)$")
# A block of text: `body: |`, `note: >-` and the like.
_BLOCK = re.compile(r"[A-Za-z_][A-Za-z0-9_-]*:[ \t]+[|>][-+0-9]*[ \t]*(#.*)?$")
# The start or end of a YAML document: not text, even at the left edge.
_DOCUMENT = re.compile(r"(---|\.\.\.)(\s|$)")


@dataclass(frozen=True, slots=True)
class Hint:
    """The line that holds a mistake, and what to do about it."""

    line: int
    message: str


def explain(text: str, reported: int | None) -> Hint | None:
    """The first recognised mistake at or before the line the parser reported (1-based), or None."""
    lines = LINE_BREAK.split(text)
    last = min(len(lines), (reported or len(lines)) + 1)
    for number, line in enumerate(lines[:last], start=1):
        for check in (_tab, _no_space, _open_quote):
            message = check(line)
            if message:
                return Hint(number, message)
        hint = _indent(lines, number)
        if hint:
            return hint
    return None


def _tab(line: str) -> str | None:
    """A line indented with a tab (a tab after two spaces is text inside a block, not indentation)."""
    spaces = len(line) - len(line.lstrip(" "))
    if spaces < 2 and line[spaces:spaces + 1] == "\t":
        return "the line is indented with a tab; YAML indents with spaces only: replace the tab with two spaces"
    return None


def _no_space(line: str) -> str | None:
    """`status:approved`: no space after the colon, so YAML reads the line as one word."""
    match = _NO_SPACE.match(line)
    if match is None or match["key"] not in FIELDS:
        return None
    key, value = match["key"], match["value"]
    return f"put a space after the colon: write '{key}: {value}', not '{key}:{value}'"


def _open_quote(line: str) -> str | None:
    """A field whose value opens a quote that the line never closes."""
    match = _FIELD.match(line)
    if match is None:
        return None
    value = match["rest"].strip()
    if not value or value[0] not in "\"'":
        return None
    mark = value[0]
    if _closes(value[1:], mark):
        return None
    key = match["key"]
    return f"the value of '{key}' opens a quote ({mark}) that is never closed: end the line with {mark}"


def _closes(inner: str, mark: str) -> bool:
    """Whether a quoted value's text (after its opening quote) holds the closing quote."""
    position = 0
    while position < len(inner):
        char = inner[position]
        if mark == '"' and char == "\\":
            position += 2
            continue
        if char == mark:
            if mark == "'" and inner[position + 1:position + 2] == "'":
                position += 2
                continue
            return True
        position += 1
    return False


def _block_indent(lines: list[str], start: int) -> int | None:
    """The indentation of the text under the block field on line `start` (1-based), or None."""
    for line in lines[start:]:
        if line.strip():
            indent = len(line) - len(line.lstrip(" "))
            return indent or None
    return None


def _indent(lines: list[str], number: int) -> Hint | None:
    """A line of a block of text (`body: |`) indented less than the text above it."""
    line = lines[number - 1]
    if not line.strip() or _FIELD.match(line) or line.lstrip().startswith("#") or _DOCUMENT.match(line):
        return None
    block = next((n for n in range(number - 1, 0, -1) if _FIELD.match(lines[n - 1])), None)
    if block is None or not _BLOCK.match(lines[block - 1]):
        return None
    indent = _block_indent(lines, block)
    have = len(line) - len(line.lstrip(" "))
    if indent is None or have >= indent:
        return None
    key = lines[block - 1].split(":", 1)[0]
    spaces = f"{indent} space{'s' if indent != 1 else ''}"
    if have == 0:
        return Hint(number, f"this line of '{key}' is not indented: start it with {spaces}, like the lines above it")
    return Hint(number, f"this line of '{key}' is indented by {have}, the lines above it by {indent}: start it with {spaces}")
