"""Turn a source's raw values into comment fields: names, websites, dates, bodies, ids."""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, tzinfo

from ..comment_format import FORM_CONTROL, LIMITS, is_http_url, is_valid_id

ANONYMOUS = "Anonymous"
DELETED_BODY = "*This comment was deleted.*"
EMPTY_BODY = "*This comment had no text.*"

_SPACES = re.compile(r"\s+")
_NOT_ID = re.compile(r"[^A-Za-z0-9_-]+")


def author(raw: str | None) -> str:
    """A display name: one line, trimmed, at most the schema's length; empty becomes 'Anonymous'."""
    text = "".join(" " if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp", "Cs") else c for c in raw or "")
    text = _SPACES.sub(" ", text).strip()
    if len(text) > LIMITS["author"]:
        text = text[: LIMITS["author"] - 1].rstrip() + "…"
    return text or ANONYMOUS


def website(raw: str | None) -> str | None:
    """The author's website if it is a valid http(s) URL the schema accepts, else None."""
    text = (raw or "").strip()
    return text if len(text) <= LIMITS["website"] and is_http_url(text) else None


def iso(moment: datetime) -> str:
    """An aware date-time as ISO 8601 with its offset, to the second."""
    return moment.isoformat(timespec="seconds")


def from_timestamp(value: float | int | str) -> str:
    """A Unix timestamp (seconds, UTC) as ISO 8601."""
    return iso(datetime.fromtimestamp(float(value), UTC))


def from_text(value: str, tz: tzinfo) -> str | None:
    """An ISO 8601 or 'YYYY-MM-DD HH:MM[:SS]' date; without an offset it is read in `tz`. None if unreadable."""
    text = value.strip()
    if not text or text.startswith("0000-00-00"):
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return iso(moment if moment.tzinfo else moment.replace(tzinfo=tz))


def body(text: str | None, deleted: bool = False) -> str:
    """A body the schema accepts: trimmed, no control characters; a placeholder when it holds nothing."""
    cleaned = FORM_CONTROL.sub("", (text or "").replace("\r\n", "\n").replace("\r", "\n")).strip("\n").rstrip()
    if cleaned.strip():
        return cleaned
    return DELETED_BODY if deleted else EMPTY_BODY


def source_id(raw: object) -> str:
    """A source's own id as the tail of a comment id: letters, digits, - and _ only, short enough for any prefix."""
    text = _NOT_ID.sub("-", str(raw).strip()).strip("-")[:54]
    return text if is_valid_id(text) else "x"
