"""The one writer of comment files for tests: fields in, YAML text out, written where a test wants it.

Written independently of the plugin's own writer (comment_format.dump), so a test
can feed the loader any field, value or mistake and never trusts the code it checks.
"""

from __future__ import annotations

import re
from pathlib import Path

_ESCAPE = re.compile(r'["\\\x00-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\ud800-\udfff]')


def yaml_quote(value: str) -> str:
    """A YAML double-quoted scalar; quotes, backslashes, controls and surrogates become escapes."""
    def escape(match: re.Match[str]) -> str:
        """The escape for one character."""
        char = match.group()
        return "\\" + char if char in '"\\' else f"\\u{ord(char):04x}"

    return '"' + _ESCAPE.sub(escape, value) + '"'


def comment_yaml(fields: dict[str, str | None]) -> str:
    """A comment file holding `fields`, every value double-quoted."""
    return "".join(f"{name}: {yaml_quote(value)}\n" for name, value in fields.items() if value is not None)


def write_comment(folder: Path, name: str, fields: dict[str, str | None]) -> Path:
    """Write the comment file `folder/name` holding `fields` (the folder is created) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(comment_yaml(fields), encoding="utf-8")
    return path
