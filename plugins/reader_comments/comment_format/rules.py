"""The rules of the comment format that every reader and writer shares.

The schema (`comment.schema.json`) and what it implies (field names, length
limits), comment ids, the character classes that decide what text a file or a
form may hold, the http(s) address check, and YAML double quoting.
"""

from __future__ import annotations

import difflib
import json
import re
import secrets
import string
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

# The schema stays beside the package: every comment file names it by that path (files.SCHEMA_HEADER).
SCHEMA_PATH = Path(__file__).parent.parent / "comment.schema.json"
SCHEMA: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
FIELDS = tuple(SCHEMA["properties"])
# Longest text each field may hold, as the schema says.
LIMITS: dict[str, int] = {name: rules["maxLength"] for name, rules in SCHEMA["properties"].items() if "maxLength" in rules}
ID_MAX = 64
ID_PATTERN = re.compile(rf"[A-Za-z0-9_-]{{1,{ID_MAX}}}\Z")
EXTENSIONS = (".yaml", ".yml")
MULTI_LINE = ("body", "note")

# Characters YAML and browsers treat as line breaks.
BREAK_CHARS = r"\r\n\x85\u2028\u2029"
LINE_BREAK = re.compile(rf"\r\n|[{BREAK_CHARS}]")
_C0 = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
_C1 = r"\x80-\x9f"
_NONCHARACTERS = r"\ud800-\udfff\ufffe\uffff"
# Refused in multi-line text of a file (tab and line breaks allowed).
CONTROL = re.compile(f"[{_C0}{_NONCHARACTERS}]")
# Refused in multi-line text from the form: C1 controls too, which no keyboard types.
FORM_CONTROL = re.compile(f"[{_C0}{_C1}{_NONCHARACTERS}]")
# Refused in one-line fields: every control character, tab and line breaks included.
LINE_CONTROL = re.compile(rf"[\x00-\x1f\x7f{_C1}\u2028\u2029{_NONCHARACTERS}]")
# Characters a YAML scalar must escape (read as breaks, or refused unescaped).
YAML_SPECIAL = re.compile(r"[\x80-\x9f\u2028\u2029\ufeff]")

_WEBSITE = re.compile(SCHEMA["properties"]["website"]["pattern"])
_ANNOTATIONS = frozenset({"$schema", "$id", "title", "description"})
_FIELD_KEYWORDS = frozenset({"description", "type", "minLength", "maxLength", "pattern", "enum"})


def is_valid_id(value: str) -> bool:
    """Whether `value` is a legal comment id (and so a safe file name and fragment)."""
    return bool(ID_PATTERN.match(value))


def comment_id(path: Path) -> str:
    """The comment id a file name stands for."""
    return path.name.rsplit(".", 1)[0]


ID_ALPHABET = string.ascii_lowercase + string.digits


def new_id(now: datetime | None = None) -> str:
    """A sortable, unique comment id: UTC time to the microsecond, then a random suffix."""
    moment = (now or datetime.now(UTC)).astimezone(UTC)
    suffix = "".join(secrets.choice(ID_ALPHABET) for _ in range(6))
    return f"{moment:%Y%m%dT%H%M%S%f}-{suffix}"


def is_http_url(value: str) -> bool:
    """Whether `value` is an absolute http(s) URL with a host, as the schema's website pattern wants."""
    try:
        return bool(_WEBSITE.match(value)) and bool(urlsplit(value).hostname)
    except ValueError:
        return False


def quote(value: str) -> str:
    """A YAML double-quoted scalar for `value` (JSON string syntax is valid YAML).

    Characters YAML reads as line breaks or refuses unescaped (NEL, the Unicode
    line and paragraph separators, C1 controls, BOM) are written as escapes.
    """
    return YAML_SPECIAL.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(value, ensure_ascii=False))


# A one-line value YAML reads back as the same text when written without quotes.
PLAIN_SAFE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._+@/-]|:(?=\S)|[ ](?=[^ #]))*")
# Plain words YAML reads as "no value"; written as text, they need quotes.
NULL_WORDS = frozenset({"null", "Null", "NULL"})


def plain_or_quote(value: str) -> str:
    """`value` without quotes when YAML reads it back unchanged (`status: pending`), else double-quoted."""
    if PLAIN_SAFE.fullmatch(value) and value not in NULL_WORDS:
        return value
    return quote(value)


def near_choice(value: Any, choices: list[Any]) -> str | None:
    """The choice a text was probably meant as: the same word in other case or with spaces, or a near spelling."""
    texts = [choice for choice in choices if isinstance(choice, str)]
    if not isinstance(value, str) or not value.strip():
        return None
    word = value.strip().lower()
    same = [choice for choice in texts if choice.lower() == word]
    close = same or difflib.get_close_matches(word, texts, n=1, cutoff=0.75)
    return close[0] if close else None


def visible(value: str) -> str:
    """A value in quotes, with spaces at its ends shown as ␠ and said in words."""
    lead, trail = len(value) - len(value.lstrip(" ")), len(value) - len(value.rstrip(" "))
    if not (lead or trail) or not value.strip():
        return repr(value)
    shown = "␠" * lead + value.strip(" ") + "␠" * trail
    where = "at both ends" if lead and trail else "at the start" if lead else "at the end"
    return f"'{shown}', ␠ marking a stray space {where}"


def schema_message(error: Any) -> str:
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
        allowed = ", ".join(v for v in error.validator_value if isinstance(v, str))
        meant = near_choice(error.instance, error.validator_value)
        if meant is None:
            return f"{name!r} must be one of: {allowed} (got {error.instance!r})"
        return f"{name!r} must be one of: {allowed} (got {visible(error.instance)}); did you mean {meant!r}?"
    if kind == "pattern":
        return f"{name!r} is not valid: {SCHEMA['properties'][name]['description']}"
    return f"{name!r}: {error.message}" if name else error.message


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


def schema_check(schema: dict[str, Any]) -> Callable[[dict[str, Any]], bool] | None:
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
        return all(name in checks and checks[name](value) for name, value in values.items())  # type: ignore[misc]  # None ruled out above

    return valid
