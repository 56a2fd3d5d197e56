"""The comment intake service: a reader's form post becomes a pending comment file.

Run it with `make inbox`, or::

    PYTHONPATH=plugins python -m reader_comments.intake --host 127.0.0.1 --port 8008 \\
        [--settings pelicanconf.py] [--content DIR] [--manifest FILE]

`--content` is the comments folder (default: PATH/COMMENTS_PATH from the settings)
and `--manifest` the build's manifest (default: OUTPUT_PATH/COMMENTS_MANIFEST_SAVE_AS,
that is output/comments-manifest.json). In production pass `--settings publishconf.py`
so that SITEURL is absolute. Run a single process: the rate limits and the pending
counts live in memory.

Settings come from the settings file; every COMMENTS_* setting can be overridden by
an environment variable of the same name. Integers are read as integers (`none`
also works where a setting may be None), lists are comma-separated, booleans are
true/false, an empty value means None. `COMMENTS_RATE_LIMIT=0` turns rate limiting
off; `COMMENTS_MAX_PENDING=0` removes the cap on pending comments.

The service learns articles, whether they take comments and which comments are
published only from the manifest, which it re-reads whenever the file changes. It
never runs Pelican.

API
---
`POST /comments`, `application/x-www-form-urlencoded` (UTF-8) with the fields of
`templates/comments/form.html`: article, author, website, body, reply_to and the
honeypot `homepage`. Other fields are ignored; multipart bodies are refused with
415 (the form never sends files). Checks, in order:

- 403 when an Origin header is present and not allowed (`null` included). Allowed:
  COMMENTS_ALLOWED_ORIGINS, the origin of SITEURL when it is absolute, and, when
  SITEURL is empty (development), http://127.0.0.1:8000 and http://localhost:8000.
  A request without Origin (not a browser) passes.
- 415 for any other content type; 413 when Content-Length, or the body as it is
  read, exceeds COMMENTS_MAX_REQUEST_BYTES (chunked bodies included).
- 429 with Retry-After past COMMENTS_RATE_LIMIT posts per COMMENTS_RATE_WINDOW
  seconds from one client (see ratelimit.py for X-Forwarded-For).
- 400 with a message per field: more than 20 fields, a field sent twice, bad
  UTF-8, missing or overlong fields, control characters, line breaks in one-line
  fields, a website that is not an http(s) address, a malformed reply_to.
- A filled honeypot gets the success answer and nothing is stored.
- 404 for an unknown article, or a reply_to that is not a published comment of it;
  403 when the article's comments are closed or off.
- 503 with Retry-After when the article already has COMMENTS_MAX_PENDING comments
  awaiting moderation, when the disk is full, or before any manifest was read.

Success: 201 `{"id": ..., "status": "pending"}` when the client prefers
application/json; otherwise 303 to SITEURL/COMMENTS_THANKS_URL (in development,
with SITEURL empty, on http://127.0.0.1:8000). Errors are `{"errors": {field:
message}}` for JSON clients (field `request` for the request as a whole) and a
small HTML page for browsers. `GET /health` answers "ok".

Nothing identifying is stored: no e-mail is asked for, and client addresses are
kept only in memory, for rate limiting, and never logged above debug level.
"""

from __future__ import annotations

import argparse
import asyncio
import errno
import html
import logging
import math
import os
import re
import secrets
import string
import time
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timezone, tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import uvicorn
from pelican.settings import get_settings_from_file
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from . import comment_file
from .comment_file import CommentFileError
from .manifest import read_manifest
from .model import Comment
from .ratelimit import Network, RateLimiter, client_key, parse_networks
from .settings import DEFAULTS, resolve, site_timezone

logger = logging.getLogger(__name__)

DEV_SITE = "http://127.0.0.1:8000"
DEV_ORIGINS = ("http://127.0.0.1:8000", "http://localhost:8000")
DEFAULT_PORTS = {"http": 80, "https": 443}
FORM_TYPE = "application/x-www-form-urlencoded"
MAX_FIELDS = 20
LIMITS = {"article": 200, "author": 80, "website": 254, "reply_to": 64, "body": 10_000}
LABELS = {"article": "Article", "author": "Name", "website": "Website", "reply_to": "Reply", "body": "Comment"}
ONE_LINE = ("article", "author", "website", "reply_to")
HONEYPOT = "homepage"
ID_ALPHABET = string.ascii_lowercase + string.digits
ID_ATTEMPTS = 5
RETRY_PENDING = 3600
RETRY_STORAGE = 600
RETRY_MANIFEST = 60
RECOUNT_SECONDS = 60.0
STORAGE_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
FULL_MESSAGE = "This discussion has too many comments awaiting moderation; please try again later."
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}
TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})
# Line breaks YAML or browsers may send, and characters a comment file cannot hold.
_LINE_BREAKS = re.compile(r"\r\n|[\r\x85\u2028\u2029]")
_BREAK = re.compile(r"[\r\n\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ufffe\uffff]")
_WEBSITE = re.compile(comment_file.SCHEMA["properties"]["website"]["pattern"])
_QUOTED_FIELD = re.compile(r"'([a-z_]+)'")


class Rejected(Exception):
    """A submission refused with an HTTP status and a message per field."""

    def __init__(self, status: int, errors: dict[str, str], retry_after: int | str | None = None) -> None:
        """Refuse with `status`, a message per field (or `request`) and an optional Retry-After."""
        super().__init__(f"{status}: {errors}")
        self.status = status
        self.errors = errors
        self.retry_after = retry_after


# ---------------------------------------------------------------- settings


def parse_env_value(name: str, raw: str, current: Any) -> Any:
    """An environment override, read with the type of the setting it replaces."""
    text = raw.strip()
    if isinstance(current, bool):
        if text.lower() in TRUE | FALSE:
            return text.lower() in TRUE
        raise ValueError(f"{name} must be true or false, not {raw!r}")
    if isinstance(current, (list, tuple)):
        return [item.strip() for item in text.split(",") if item.strip()]
    if text.lower() in ("", "none", "null"):
        return None
    if isinstance(current, (int, float)):
        try:
            return type(current)(text)
        except ValueError:
            raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if current is None:
        return int(text) if re.fullmatch(r"-?\d+", text) else text
    return text


def apply_env(settings: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """`settings` with each COMMENTS_* setting overridden by an environment variable of that name."""
    names = set(DEFAULTS) | {name for name in settings if name.startswith("COMMENTS_")}
    result = dict(settings)
    for name in sorted(names & set(environ)):
        current = settings.get(name)
        result[name] = parse_env_value(name, environ[name], DEFAULTS.get(name) if current is None else current)
    return result


def load_settings(path: Path, environ: Mapping[str, str]) -> dict[str, Any]:
    """A Pelican settings file with PATH and OUTPUT_PATH made absolute, then the overrides."""
    values = get_settings_from_file(str(path))
    base = path.resolve().parent
    for name, default in (("PATH", "."), ("OUTPUT_PATH", "output")):
        values[name] = str((base / (values.get(name) or default)).resolve())
    return apply_env(values, environ)


def origin_of(url: str | None) -> str | None:
    """The origin (scheme://host[:port]) of an absolute http(s) URL, else None."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def allowed_origins(siteurl: str, extra: list[str] | None) -> frozenset[str]:
    """Origins allowed to post: the configured ones, SITEURL's, and the dev server's when SITEURL is empty."""
    origins = set()
    for value in extra or []:
        origin = origin_of(value)
        if origin is None:
            logger.warning("COMMENTS_ALLOWED_ORIGINS: %r is not an http(s) origin; ignored", value)
        else:
            origins.add(origin)
    site = origin_of(siteurl)
    if site:
        origins.add(site)
    elif not siteurl:
        origins.update(DEV_ORIGINS)
    return frozenset(origins)


def site_base(siteurl: str) -> str:
    """The site's absolute base URL: SITEURL, or the development server when it is not absolute."""
    return siteurl.rstrip("/") if origin_of(siteurl) else DEV_SITE


def thanks_location(base: str, thanks: str | None) -> str:
    """Where a browser goes after posting: the thank-you page of the site."""
    if origin_of(thanks):
        return str(thanks)
    return f"{base}/{(thanks or '').lstrip('/')}"


def _count(value: Any, default: int) -> int:
    """A non-negative integer setting; None means 0."""
    return max(0, int(value if value is not None else default))


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the service needs, resolved from the settings and the command line."""

    comments: Path
    manifest: Path
    site: str
    thanks: str
    origins: frozenset[str]
    rate_limit: int
    rate_window: float
    proxies: tuple[Network, ...]
    max_request_bytes: int
    max_pending: int
    tz: tzinfo


def build_config(settings: dict[str, Any], comments: Path | None = None, manifest: Path | None = None) -> Config:
    """Resolve the service's configuration; raise ValueError on a bad setting."""
    options = resolve(settings)
    siteurl = (settings.get("SITEURL") or "").rstrip("/")
    base = site_base(siteurl)
    if not origin_of(siteurl):
        logger.info("SITEURL is not absolute; browsers are sent back to %s", base)
    window = options["COMMENTS_RATE_WINDOW"]
    return Config(
        comments=comments or Path(settings.get("PATH") or ".") / options["COMMENTS_PATH"],
        manifest=manifest or Path(settings.get("OUTPUT_PATH") or "output") / options["COMMENTS_MANIFEST_SAVE_AS"],
        site=base,
        thanks=thanks_location(base, options["COMMENTS_THANKS_URL"]),
        origins=allowed_origins(siteurl, options["COMMENTS_ALLOWED_ORIGINS"]),
        rate_limit=_count(options["COMMENTS_RATE_LIMIT"], 0),
        rate_window=float(window if window is not None else DEFAULTS["COMMENTS_RATE_WINDOW"]),
        proxies=parse_networks(options["COMMENTS_TRUSTED_PROXIES"] or []),
        max_request_bytes=_count(options["COMMENTS_MAX_REQUEST_BYTES"], DEFAULTS["COMMENTS_MAX_REQUEST_BYTES"]),
        max_pending=_count(options["COMMENTS_MAX_PENDING"], 0),
        tz=site_timezone(settings),
    )


# ---------------------------------------------------------------- what the build published


class ManifestCache:
    """The build's manifest, re-read whenever the file changes; the last good one is kept."""

    def __init__(self, path: Path) -> None:
        """Watch the manifest at `path`."""
        self.path = path
        self._stamp: tuple[int, int, int] | None = None
        self._articles: dict[str, Any] | None = None

    def articles(self) -> dict[str, Any] | None:
        """Articles by slug, or None while no manifest could be read."""
        try:
            info = self.path.stat()
        except OSError:
            if self._stamp != (0, 0, 0):
                logger.warning("no manifest at %s yet; build the site to create it", self.path)
                self._stamp = (0, 0, 0)
            return self._articles
        stamp = (info.st_mtime_ns, info.st_size, info.st_ino)
        if stamp != self._stamp:
            self._stamp = stamp
            self._load()
        return self._articles

    def _load(self) -> None:
        """Read the manifest, keeping the previous one when it is unreadable."""
        try:
            articles = read_manifest(self.path).get("articles")
            if not isinstance(articles, dict):
                raise ValueError("'articles' is not a mapping")
        except (OSError, ValueError) as exc:
            logger.warning("cannot read manifest %s: %s", self.path, exc)
            return
        self._articles = articles
        logger.info("manifest %s: %d articles", self.path, len(articles))


# ---------------------------------------------------------------- the comments folder


def _mtime(folder: Path) -> int:
    """A folder's modification time in nanoseconds, or -1 when it does not exist."""
    try:
        return folder.stat().st_mtime_ns
    except FileNotFoundError:
        return -1


class PendingCounter:
    """Comments awaiting moderation per article: counted on disk, then tracked in memory.

    The count is read again from disk whenever the article's folder was changed by
    other hands (a moderator approving, say) and at least every RECOUNT_SECONDS;
    the service's own writes just add one. Callers hold the article's lock.
    """

    def __init__(self, folder: Path, tz: tzinfo, clock: Callable[[], float] = time.monotonic) -> None:
        """Count pending comments in the article folders under `folder`."""
        self.folder = folder
        self.tz = tz
        self._clock = clock
        self._counts: dict[str, tuple[int, int, float]] = {}

    def current(self, slug: str) -> int:
        """How many comments of `slug` await moderation (unreadable files count too)."""
        folder = self.folder / slug
        stamp = _mtime(folder)
        known = self._counts.get(slug)
        if known is not None and known[0] == stamp and self._clock() - known[2] < RECOUNT_SECONDS:
            return known[1]
        count = self._count(folder)
        self._counts[slug] = (stamp, count, self._clock())
        return count

    def added(self, slug: str, count: int) -> None:
        """Record the new count after the service wrote one more pending comment."""
        counted_at = self._counts.get(slug, (0, 0, self._clock()))[2]
        self._counts[slug] = (_mtime(self.folder / slug), count, counted_at)

    def _count(self, folder: Path) -> int:
        """Read every comment file in `folder` and count those that are pending or invalid."""
        if not folder.is_dir():
            return 0
        count = 0
        for path in folder.iterdir():
            if path.suffix in comment_file.EXTENSIONS and not path.name.startswith(".") and path.is_file():
                comment, _ = comment_file.read(path, self.tz)
                count += comment is None or comment.status == "pending"
        return count


def new_id(now: datetime | None = None) -> str:
    """A sortable, unique comment id: UTC time to the microsecond, then a random suffix."""
    moment = (now or datetime.now(timezone.utc)).astimezone(timezone.utc)
    suffix = "".join(secrets.choice(ID_ALPHABET) for _ in range(6))
    return f"{moment:%Y%m%dT%H%M%S%f}-{suffix}"


def write_comment(folder: Path, text: str, tz: tzinfo) -> Comment:
    """Create a new comment file in `folder` under a fresh id, never overwriting one."""
    folder.mkdir(exist_ok=True)
    for _ in range(ID_ATTEMPTS):
        path = folder / f"{new_id()}.yaml"
        try:
            return comment_file.write_new(path, text, tz)
        except FileExistsError:
            logger.warning("comment id %s is taken; drawing another", path.stem)
    raise FileExistsError(errno.EEXIST, "no free comment id", str(folder))


# ---------------------------------------------------------------- reading a submission


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
    if _BREAK.search(raw):
        return None, f"{label} must be on a single line."
    if "\t" in raw or _CONTROL.search(raw):
        return None, f"{label} contains control characters."
    value = raw.strip()
    if not value:
        return None, f"{label} is required." if required else None
    if len(value) > LIMITS[name]:
        return None, f"{label} must be at most {LIMITS[name]:,} characters."
    return value, None


def check_body(raw: str) -> tuple[str | None, str | None]:
    """The comment text with line breaks normalised, and what is wrong with it, if anything."""
    text = _LINE_BREAKS.sub("\n", raw)
    if _CONTROL.search(text):
        return None, "Comment contains control characters."
    text = text.strip()
    if not text:
        return None, "Comment is required."
    if len(text) > LIMITS["body"]:
        return None, f"Comment must be at most {LIMITS['body']:,} characters (it has {len(text):,})."
    return text, None


def _is_web_address(value: str) -> bool:
    """Whether `value` is an http(s) URL with a host, as the comment format wants."""
    try:
        return bool(_WEBSITE.match(value)) and bool(urlsplit(value).hostname)
    except ValueError:
        return False


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
    if website and not _is_web_address(website):
        errors["website"] = "Website must be an address starting with http:// or https://."
    if reply_to and not comment_file.is_valid_id(reply_to):
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


def _problem_field(message: str) -> str:
    """The form field a loader message is about, or `request`."""
    match = _QUOTED_FIELD.search(message)
    return match.group(1) if match and match.group(1) in LABELS else "request"


# ---------------------------------------------------------------- the service


class Service:
    """The intake service's state: settings, manifest, rate limits, pending counts."""

    def __init__(self, config: Config) -> None:
        """Set up the service for `config`; nothing is read until it starts."""
        self.config = config
        self.manifest = ManifestCache(config.manifest)
        self.limiter = RateLimiter(config.rate_limit, config.rate_window)
        self.pending = PendingCounter(config.comments, config.tz)
        self._locks: dict[str, asyncio.Lock] = {}

    def start(self) -> None:
        """Remove temporary files an interrupted write left, and read the manifest."""
        removed = comment_file.clean_temp_files(self.config.comments)
        if removed:
            logger.warning("removed %d temporary files left by an interrupted write", removed)
        self.manifest.articles()
        logger.info(
            "taking comments into %s; origins %s; rate limit %s; at most %s pending per article",
            self.config.comments,
            ", ".join(sorted(self.config.origins)) or "(none)",
            f"{self.config.rate_limit}/{self.config.rate_window:g}s" if self.limiter.enabled else "off",
            self.config.max_pending or "any number",
        )

    async def handle(self, request: Request) -> Response:
        """Answer one POST /comments."""
        as_json = wants_json(request.headers.get("accept", ""))
        form: dict[str, str] = {}
        try:
            form = await self.receive(request)
            if form.get(HONEYPOT, "").strip():
                logger.info("honeypot filled; answered as usual and stored nothing")
                return self.success(new_id(), as_json)
            submission = validate(form)
            self.check_article(submission)
            comment = await self.store(submission)
        except Rejected as refusal:
            logger.info("submission refused: %d %s", refusal.status, "; ".join(refusal.errors.values()))
            return self.failure(refusal, as_json, form)
        except ClientDisconnect:
            logger.info("client went away before sending the whole form")
            return PlainTextResponse("incomplete request", status_code=400)
        logger.info("comment %s/%s stored, pending moderation", comment.article, comment.id)
        return self.success(comment.id, as_json)

    async def receive(self, request: Request) -> dict[str, str]:
        """Check the request before reading it, then read and decode the form."""
        origin = request.headers.get("origin")
        if origin is not None and origin_of(origin) not in self.config.origins:
            raise Rejected(403, {"request": "Comments are not accepted from this page."})
        check_content_type(request.headers.get("content-type", ""))
        check_length(request.headers.get("content-length"), self.config.max_request_bytes)
        self.check_rate(request)
        return parse_form(await read_body(request, self.config.max_request_bytes))

    def check_rate(self, request: Request) -> None:
        """Count this post against its client; raise Rejected(429) past the limit."""
        if not self.limiter.enabled:
            return
        peer = request.client.host if request.client else None
        key = client_key(peer, request.headers.getlist("x-forwarded-for"), self.config.proxies)
        wait = self.limiter.hit(key)
        if wait:
            logger.debug("rate limit reached for %s", key)
            message = "Too many comments from your address; please wait."
            raise Rejected(429, {"request": message}, self.limiter.retry_after(wait))

    def check_article(self, submission: Submission) -> None:
        """The article must exist and take comments; reply_to must be one of its published comments."""
        articles = self.manifest.articles()
        if articles is None:
            raise Rejected(503, {"request": "Comments cannot be taken yet; please try again later."}, RETRY_MANIFEST)
        entry = articles.get(submission.article)
        if not isinstance(entry, dict):
            raise Rejected(404, {"article": "There is no such article."})
        if entry.get("mode") != "open":
            raise Rejected(403, {"article": "Comments on this article are closed."})
        if submission.reply_to and submission.reply_to not in (entry.get("comments") or {}):
            raise Rejected(404, {"reply_to": "The comment you are replying to does not exist."})

    async def store(self, submission: Submission) -> Comment:
        """Write the submission as a pending comment file, one writer per article at a time."""
        text = comment_file.dump(submission.fields(self.config.tz))
        lock = self._locks.setdefault(submission.article, asyncio.Lock())
        async with lock:
            try:
                comment = await run_in_threadpool(self._store, submission.article, text)
            except CommentFileError as exc:
                message = exc.problem.message
                raise Rejected(400, {_problem_field(message): f"{message[:1].upper()}{message[1:]}."}) from None
            except OSError as exc:
                raise self._storage_failed(submission.article, exc) from None
        if not submission.matches(comment):
            await run_in_threadpool(self._unstore, comment)
            raise Rejected(400, {"request": "The comment contains characters that cannot be stored."})
        return comment

    def _store(self, slug: str, text: str) -> Comment:
        """Check the article's pending cap, then write the file (runs in a worker thread)."""
        count = self.pending.current(slug)
        if self.config.max_pending and count >= self.config.max_pending:
            raise Rejected(503, {"article": FULL_MESSAGE}, RETRY_PENDING)
        comment = write_comment(self.config.comments / slug, text, self.config.tz)
        self.pending.added(slug, count + 1)
        return comment

    def _unstore(self, comment: Comment) -> None:
        """Remove a file whose content came back different from what was submitted."""
        logger.error("comment %s/%s did not read back as submitted; removed it", comment.article, comment.id)
        comment.path.unlink(missing_ok=True)

    def _storage_failed(self, slug: str, exc: OSError) -> Rejected:
        """Log a failed write; return the 503 to answer with."""
        if exc.errno in STORAGE_FULL:
            logger.warning("cannot store a comment for %s: %s", slug, exc.strerror or exc)
        else:
            logger.error("cannot store a comment for %s: %s", slug, exc)
        return Rejected(503, {"request": "Comments cannot be stored right now; please try again later."}, RETRY_STORAGE)

    def success(self, comment_id: str, as_json: bool) -> Response:
        """The answer to an accepted (or silently dropped) submission."""
        if as_json:
            return JSONResponse({"id": comment_id, "status": "pending"}, status_code=201)
        return RedirectResponse(self.config.thanks, status_code=303)

    def failure(self, refusal: Rejected, as_json: bool, form: dict[str, str]) -> Response:
        """The answer to a refused submission: JSON errors, or a small HTML page."""
        headers = {"retry-after": str(refusal.retry_after)} if refusal.retry_after is not None else None
        if as_json:
            return JSONResponse({"errors": refusal.errors}, status_code=refusal.status, headers=headers)
        page = error_page(refusal.errors, self.back_link(form.get("article", "")), form.get("body", ""))
        return HTMLResponse(page, status_code=refusal.status, headers=headers)

    def back_link(self, slug: str) -> str:
        """The article's form when the manifest knows the article, else the site's home page."""
        entry = (self.manifest.articles() or {}).get(slug)
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            return f"{self.config.site}/{entry['url'].lstrip('/')}#comment-form"
        return f"{self.config.site}/"


def error_page(errors: dict[str, str], back: str, body: str) -> str:
    """A small HTML page listing what was wrong, with a link back and the text to copy."""
    items = "".join(f"<li>{html.escape(message)}</li>" for message in errors.values())
    kept = ""
    if body.strip():
        kept = (
            '<p><label for="kept">Your comment, to copy before going back:</label></p>'
            f'<textarea id="kept" readonly rows="8" cols="60">{html.escape(body[: LIMITS["body"]])}</textarea>'
        )
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Your comment was not sent</title></head><body>"
        f"<h1>Your comment was not sent</h1><ul>{items}</ul>{kept}"
        f'<p><a href="{html.escape(back)}">Go back to the article</a></p></body></html>'
    )


# ---------------------------------------------------------------- the application


class SecurityHeaders:
    """ASGI middleware adding conservative security headers to every response."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, adding the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            """Add the headers the response does not set itself."""
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)


async def submit(request: Request) -> Response:
    """POST /comments."""
    service: Service = request.app.state.service
    return await service.handle(request)


async def health(request: Request) -> Response:
    """GET /health: the process answers."""
    return PlainTextResponse("ok")


def create_app(config: Config) -> Starlette:
    """The Starlette application for `config`."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        """Start the service when the server starts."""
        app.state.service.start()
        yield

    app = Starlette(
        routes=[Route("/comments", submit, methods=["POST"]), Route("/health", health, methods=["GET"])],
        middleware=[Middleware(SecurityHeaders)],
        lifespan=lifespan,
    )
    app.state.service = Service(config)
    return app


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="python -m reader_comments.intake", description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8008, help="port to listen on (default 8008)")
    parser.add_argument("--settings", type=Path, default=Path("pelicanconf.py"), help="Pelican settings file")
    parser.add_argument("--content", type=Path, help="comments folder (default: PATH/COMMENTS_PATH)")
    parser.add_argument("--manifest", type=Path, help="the build's manifest (default: output/comments-manifest.json)")
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Run the service until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        config = build_config(load_settings(args.settings, os.environ), args.content, args.manifest)
    except (OSError, ValueError, SyntaxError, ImportError) as exc:
        logger.error("cannot start: %s", exc)
        return 2
    if not config.comments.is_dir():
        logger.error("cannot start: the comments folder %s does not exist", config.comments)
        return 2
    uvicorn.run(
        create_app(config),
        host=args.host,
        port=args.port,
        proxy_headers=False,
        access_log=False,
        server_header=False,
        log_config=None,
        log_level=args.log_level,
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
