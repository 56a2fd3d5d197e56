"""Reading a submission: the request's headers and body, then every field of the form."""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from datetime import datetime, tzinfo
from urllib.parse import parse_qsl

from starlette.requests import Request

from ..comment_format import FORM_CONTROL, ID_MAX, LIMITS, LINE_BREAK, LINE_CONTROL, Comment, is_http_url, is_valid_id
from ..names import is_blank

FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FIELDS = 20
# The comment format's own limits; an article slug (a folder name) gets a generous one of its own.
FIELD_LIMITS = {
    "article": 200, "author": LIMITS["author"], "website": LIMITS["website"], "reply_to": ID_MAX, "body": LIMITS["body"],
}
LABELS = {"article": "Article", "author": "Name", "website": "Website", "reply_to": "Reply", "body": "Comment",
          "email": "E-mail address"}
ONE_LINE = ("article", "author", "website", "reply_to")
HONEYPOT = "homepage"


# The heading and the advice of a refusal page, by cause: only a mistake in the form asks for a correction.
FIX_IT = ("Your comment was not sent", "Correct what is listed here and send it again.")
REFUSALS = {
    429: ("Please wait a moment before sending", "Nothing needs correcting: wait as long as it says here, then send it again."),
    503: ("Comments cannot be taken right now", "Nothing needs correcting: please send it again later."),
    403: ("This comment cannot be sent here", "It cannot be sent from this page, for the reason listed here."),
    404: ("This comment cannot be sent here", "What it answers is not here any more, as listed here."),
}


def refusal_words(status: int) -> tuple[str, str]:
    """The heading and the one-line advice of the page refusing a post with `status`."""
    return REFUSALS.get(status, FIX_IT)


class Rejected(Exception):
    """A submission refused with an HTTP status and a message per field."""

    def __init__(self, status: int, errors: dict[str, str], retry_after: int | str | None = None) -> None:
        """Refuse with `status`, a message per field (or `request`) and an optional Retry-After."""
        super().__init__(f"{status}: {errors}")
        self.status = status
        self.errors = errors
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Submission:
    """A well-formed submission, before the article is checked."""

    article: str
    author: str
    body: str
    website: str | None
    reply_to: str | None

    def fields(self, tz: tzinfo) -> dict[str, str | None]:
        """The fields of the pending comment file."""
        return {
            "author": self.author,
            "date": datetime.now(tz).isoformat(timespec="seconds"),
            "status": "pending",
            "body": self.body,
            "reply_to": self.reply_to,
            "website": self.website,
        }

    def matches(self, comment: Comment) -> bool:
        """Whether the stored comment holds exactly what was submitted."""
        return (comment.author, comment.body, comment.website, comment.reply_to) == (
            self.author,
            self.body,
            self.website,
            self.reply_to,
        )


def parse_form(body: bytes) -> dict[str, str]:
    """Decode a urlencoded body into single-valued fields; raise Rejected(400)."""
    try:
        pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, errors="strict", max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise Rejected(400, {"request": "The form is not valid UTF-8."}) from None
    except ValueError:
        raise Rejected(400, {"request": f"The form has more than {MAX_FIELDS} fields."}) from None
    form: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name, value in pairs:
        if name in form and (name in LABELS or name == HONEYPOT):
            errors[name] = f"{LABELS.get(name, name)} was sent more than once."
        form[name] = value
    if errors:
        raise Rejected(400, errors)
    return form


def check_line(name: str, raw: str, required: bool = False) -> tuple[str | None, str | None]:
    """A one-line field, stripped, and the message saying what is wrong with it, if anything."""
    label = LABELS[name]
    if LINE_BREAK.search(raw):
        return None, f"{label} must be on a single line."
    if LINE_CONTROL.search(raw):
        return None, f"{label} contains control characters."
    value = raw.strip()
    if not value:
        return None, f"{label} is required." if required else None
    if name == "author" and is_blank(value):
        return None, f"{label} must have something visible: it holds only invisible characters."
    if len(value) > FIELD_LIMITS[name]:
        return None, f"{label} must be at most {FIELD_LIMITS[name]:,} characters."
    return value, None


def check_body(raw: str) -> tuple[str | None, str | None]:
    """The comment text with line breaks normalised, and what is wrong with it, if anything."""
    text = LINE_BREAK.sub("\n", raw)
    if FORM_CONTROL.search(text):
        return None, "Comment contains control characters."
    text = text.strip()
    if not text:
        return None, "Comment is required."
    if len(text) > FIELD_LIMITS["body"]:
        return None, f"Comment must be at most {FIELD_LIMITS['body']:,} characters (it has {len(text):,})."
    return text, None


def validate(form: dict[str, str]) -> Submission:
    """Check every field of a form; raise Rejected(400) with a message per bad field."""
    errors: dict[str, str] = {}
    values: dict[str, str | None] = {}
    for name in ONE_LINE:
        values[name], error = check_line(name, form.get(name, ""), required=name in ("article", "author"))
        if error:
            errors[name] = error
    values["body"], error = check_body(form.get("body", ""))
    if error:
        errors["body"] = error
    article, website, reply_to = values["article"], values["website"], values["reply_to"]
    if article and (article.startswith(".") or "/" in article or "\\" in article):
        errors["article"] = "Article is not a valid article name."
    if website and not is_http_url(website):
        errors["website"] = (
            "Website must be a web address starting with http:// or https://,"
            " with no user name or password (@) and no backslash."
        )
    if reply_to and not is_valid_id(reply_to):
        errors["reply_to"] = "Reply is not a valid comment id."
    if errors:
        raise Rejected(400, errors)
    return Submission(str(article), str(values["author"]), str(values["body"]), website, reply_to)


def _quality(accept: str, media: str) -> float:
    """The q-value an Accept header gives `media`, by its most specific matching range."""
    kind = media.split("/")[0]
    rank, quality = -1, 0.0
    for item in accept.split(","):
        media_range, *params = (part.strip() for part in item.split(";"))
        media_range = media_range.lower()
        specific = {media: 2, f"{kind}/*": 1, "*/*": 0}.get(media_range, -1)
        if specific <= rank:
            continue
        q = 1.0
        for param in params:
            key, _, value = param.partition("=")
            if key.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        rank, quality = specific, min(max(q, 0.0), 1.0) if math.isfinite(q) else 0.0
    return quality


def wants_json(accept: str) -> bool:
    """Whether the client prefers a JSON answer to an HTML one."""
    return bool(accept.strip()) and _quality(accept, "application/json") > _quality(accept, "text/html")


def check_content_type(value: str) -> None:
    """Accept only a UTF-8 urlencoded form; raise Rejected(415)."""
    media, *params = (part.strip() for part in value.split(";"))
    if media.lower() != FORM_TYPE:
        raise Rejected(415, {"request": f"Send the form as {FORM_TYPE}."})
    for param in params:
        key, _, charset = param.partition("=")
        if key.strip().lower() == "charset" and charset.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise Rejected(415, {"request": "Send the form in UTF-8."})


def check_length(value: str | None, cap: int) -> None:
    """Refuse a declared Content-Length over the cap before reading anything."""
    if value is None:
        return
    if not value.strip().isdigit():
        raise Rejected(400, {"request": "The Content-Length header is not a number."})
    if int(value) > cap:
        raise Rejected(413, {"request": f"The form is larger than {cap:,} bytes."})


async def read_body(request: Request, cap: int) -> bytes:
    """Read the body, stopping with Rejected(413) as soon as it grows past the cap."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > cap:
            raise Rejected(413, {"request": f"The form is larger than {cap:,} bytes."})
        chunks.append(chunk)
    return b"".join(chunks)


def error_page(errors: dict[str, str], back: str, body: str, status: int = 400) -> str:
    """A small HTML page listing what was wrong (its heading fitting the cause), with a link back and the text to copy."""
    heading, advice = (html.escape(text) for text in refusal_words(status))
    items = "".join(f"<li>{html.escape(message)}</li>" for message in errors.values())
    kept = ""
    if body.strip():
        kept = (
            '<p><label for="kept">Your comment, to copy before going back:</label></p>'
            f'<textarea id="kept" readonly rows="8">{html.escape(body[: FIELD_LIMITS["body"]])}</textarea>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{heading}</title></head><body>"
        f"<h1>{heading}</h1><p>{advice}</p><ul>{items}</ul>{kept}"
        f'<p><a href="{html.escape(back)}">Go back to the article</a></p></body></html>'
    )
