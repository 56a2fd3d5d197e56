"""The intake web application: the service that turns an accepted form into a pending comment file."""

from __future__ import annotations

import asyncio
import errno
import logging
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import urlencode

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .. import comment_format, reader_pages
from ..comment_format import Comment, CommentFileError
from ..fileio import clean_temp_files
from ..gitsync import GitError, GitRecorder
from ..notify.actions import Outcome, decision_message
from ..notify.links import LinkError
from ..notify.readers import ReaderChoice
from ..notify.service import Notifier
from ..spam import Verdict
from .akismet_check import AkismetCheck
from .config import Config
from .edits import PURPOSE as EDIT_PURPOSE
from .edits import EditLinks
from .form import (
    HONEYPOT,
    LABELS,
    Rejected,
    Submission,
    check_content_type,
    check_length,
    parse_form,
    read_body,
    validate,
    wants_json,
)
from .notices import LinkPages, reader_choice
from .ratelimit import RateLimiter, client_key, how_long
from .replies import ReaderPages
from .screen import Asked, Screen
from .storage import ManifestCache, PendingCounter, new_id, write_comment

logger = logging.getLogger(__name__)

# What a post that passed every check of the form does: (request, form, submission, as_json) -> the answer.
Act = Callable[[Request, dict[str, str], Submission, bool], Awaitable[Response]]
RETRY_PENDING = 3600
RETRY_STORAGE = 600
RETRY_MANIFEST = 60
STORAGE_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
RECEIVED_PATH = "/comments/received"
PREVIEW_PATH = "/comments/preview"
# An Origin header is shown to the reader and logged only this far.
MAX_ORIGIN_SHOWN = 200
FULL_MESSAGE = "This discussion has too many comments awaiting moderation; please try again later."
SECURITY_HEADERS = {
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}


class Service:
    """The intake service's state: settings, manifest, rate limits, pending counts."""

    def __init__(self, config: Config, notifier: Notifier | None = None) -> None:
        """Set up the service for `config` (and its notices); nothing is read until it starts (a bad git setup raises GitError)."""
        self.recorder = GitRecorder(config.checkout or config.comments, config.git) if config.git else None
        self.config = config
        self.manifest = ManifestCache(config.manifest)
        self.limiter = RateLimiter(config.rate_limit, config.rate_window)
        # Previews are limited at the same rate, on a count of their own: a preview never uses up a submission.
        self.preview_limiter = RateLimiter(config.rate_limit, config.rate_window)
        self.pending = PendingCounter(config.comments, config.tz)
        self.pages = ReaderPages(config)
        akismet = AkismetCheck(config.akismet_key, config.site, config.akismet_endpoint, config.language) if config.akismet_key else None
        self.screen = Screen(config.spam_rules, config.comments, config.protected_names, akismet=akismet)
        self._locks: dict[str, asyncio.Lock] = {}
        # The readers' private links to their pending comments, signed with the notices' secret once it is open.
        self.edits: EditLinks | None = None
        if notifier is not None and notifier.opened:
            self.edits = EditLinks(notifier.signer, config.edit_days, config.comments, self.pages,
                                   notifier.config.links_base, self.recorder, render_comment, self._locks, self)
        self._manifest_loads = 0
        self.notifier = notifier
        if notifier is not None:
            notifier.articles = self.manifest.articles

    def start(self) -> None:
        """Commit what a crash left, remove temporary files an interrupted write left, and read the manifest."""
        if self.recorder:
            self.recorder.start()
        removed = clean_temp_files(self.config.comments)
        if removed:
            logger.warning("removed %d temporary files left by an interrupted write", removed)
        self.manifest.articles()
        if self.notifier:
            self.notifier.start()
        logger.info(
            "taking comments into %s; origins %s; rate limit %s; at most %s pending per article",
            self.config.comments,
            ", ".join(sorted(self.config.origins)) or "(none)",
            f"{self.config.rate_limit}/{self.config.rate_window:g}s" if self.limiter.enabled else "off",
            self.config.max_pending or "any number",
        )

    async def handle(self, request: Request) -> Response:
        """Answer one POST /comments."""
        return await self.checked(request, self.accept)

    async def accept(self, request: Request, form: dict[str, str], submission: Submission, as_json: bool) -> Response:
        """Store a submission that passed the form's checks, once its notices and its article are checked; raise Rejected."""
        choice = reader_choice(form, bool(self.notifier and self.notifier.config.reader_notices))
        verdict = await self.screened(submission, self.asked(request, submission))
        comment = await self.store(submission, verdict)
        logger.info("comment %s/%s stored, pending moderation", comment.article, comment.id)
        link = self.private_link(comment.article, comment.id)
        await self.announce(comment, choice, link)
        return self.success(comment.id, as_json, comment.article, link)

    async def preview(self, request: Request) -> Response:
        """Answer one POST /comments/preview: the comment as the build would render it, and nothing stored."""
        return await self.checked(request, self.show, preview=True)

    async def show(self, request: Request, form: dict[str, str], submission: Submission, as_json: bool) -> Response:
        """The preview of a submission that passed the form's checks, once its article is checked; raise Rejected."""
        await self.check_fits(submission)
        rendered = await self.render(submission.body)
        if as_json:
            return self.with_origin(request, JSONResponse({"html": rendered}))
        back = self.article_url(submission.article) or f"{self.config.site}/"
        page = self.pages.preview(rendered, form, back)
        if page is None:
            return self.failure(Rejected(503, {"request": "Previews cannot be shown yet; please try again later."}), False, form)
        return page

    async def checked(self, request: Request, act: Act, preview: bool = False) -> Response:
        """Every post's checks in order (origin, type and size, rate, fields), then `act`; a refusal answered, the form kept.

        A refused post is not counted against its client. A submission with the honeypot filled is answered as a
        success and nothing else is done. A preview is counted apart, and its refusal, like the preview itself, may
        be read by the article's page.
        """
        limiter, what = (self.preview_limiter, "preview") if preview else (self.limiter, "submission")
        as_json = wants_json(request.headers.get("accept", ""))
        form: dict[str, str] = {}
        counted: str | None = None
        try:
            self.check_head(request)
            # Read first, so a reader asked to wait still finds everything they typed on the page.
            form = parse_form(await read_body(request, self.config.max_request_bytes))
            counted = self.check_rate(request, limiter)
            if not preview and form.get(HONEYPOT, "").strip():
                logger.info("honeypot filled; answered as usual and stored nothing")
                slug, made_up = form.get("article", ""), new_id()
                return self.success(made_up, as_json, slug, self.private_link(slug, made_up))
            return await act(request, form, validate(form), as_json)
        except Rejected as refusal:
            self.refund(counted, limiter)
            logger.info("%s refused: %d %s", what, refusal.status, "; ".join(refusal.errors.values()))
            answer = self.failure(refusal, as_json, form)
            return self.with_origin(request, answer) if preview else answer
        except ClientDisconnect:
            self.refund(counted, limiter)
            logger.info("client went away before sending the whole form")
            return PlainTextResponse("incomplete request", status_code=400)

    async def check_fits(self, submission: Submission) -> None:
        """Refuse (Rejected) a comment too costly to publish, or for an article that does not take it."""
        await run_in_threadpool(check_fit, submission.body, self.article_refusal(submission))

    async def screened(self, submission: Submission, asked: Asked | None) -> Verdict:
        """Refuse (Rejected) what `check_fits` refuses; else the spam screen's verdict, worked out in the same worker thread.

        One trip off the event loop instead of two. The screen (and Akismet) judge only a comment that passed both checks.
        """
        refusal = self.article_refusal(submission)
        return await run_in_threadpool(self._fitting_verdict, submission, self.manifest.articles(), asked, refusal)

    def _fitting_verdict(self, submission: Submission, articles: dict[str, Any] | None, asked: Asked | None,
                         refusal: Rejected | None) -> Verdict:
        """Raise Rejected for a body too costly to publish, then `refusal`; else the screen's verdict (runs in a worker thread)."""
        check_fit(submission.body, refusal)
        return self.screen.judge(articles, submission.author, submission.body, submission.website, asked)

    async def render(self, body: str) -> str:
        """The comment's HTML by the build's own renderer, rendered off the event loop."""
        return await run_in_threadpool(render_comment, body)

    def with_origin(self, request: Request, response: Response) -> Response:
        """Let the article's page read the answer from its script, when the page's origin is an allowed one."""
        origin = request.headers.get("origin")
        if origin is not None and self.config.allows(origin):
            response.headers["access-control-allow-origin"] = origin
            response.headers["vary"] = "Origin"
        return response

    async def announce(self, comment: Comment, choice: ReaderChoice | None, edit_link: str | None = None) -> None:
        """Tell the notices a comment was stored (with the reader's edit link); a failure there is logged and never fails the post."""
        if self.notifier is None or not self.notifier.has_work(choice):
            return
        try:
            await run_in_threadpool(self.notifier.accepted, comment, choice, edit_link)
        except (OSError, sqlite3.Error, ValueError) as exc:
            logger.error("comment %s/%s stored, but its notices failed: %s", comment.article, comment.id, exc)

    def record_decision(self, outcome: Outcome) -> None:
        """Commit a decision taken from a moderator's link through the intake's git path (and push it)."""
        if self.recorder is None:
            return
        labels = [w.label for w in outcome.written if w.old not in (None, outcome.status) and not w.error]
        paths = [path for label in labels for path in self.config.comments.glob(f"{label}.y*ml")]
        if not paths:
            return
        try:
            self.recorder.commit_files(paths, decision_message(outcome.status, labels))
        except (GitError, ValueError) as exc:
            logger.error("decision on %s saved but not committed: %s", ", ".join(labels), exc)

    def check_head(self, request: Request) -> None:
        """Check the request's origin, type and size before reading it; raise Rejected."""
        origin = request.headers.get("origin")
        if origin is not None and not self.config.allows(origin) and not same_origin(request, origin):
            allowed = ", ".join(sorted(self.config.origins)) or "none"
            logger.warning("refused a post from origin “%s”: allowed are %s (COMMENTS_ALLOWED_ORIGINS, SITEURL)",
                           origin[:MAX_ORIGIN_SHOWN], allowed)
            raise Rejected(403, {"request": f"Comments are not accepted from the page at {origin[:MAX_ORIGIN_SHOWN]}; "
                                            f"this service takes them from {allowed}."})
        check_content_type(request.headers.get("content-type", ""))
        check_length(request.headers.get("content-length"), self.config.max_request_bytes)

    def check_rate(self, request: Request, limiter: RateLimiter | None = None) -> str | None:
        """Count this post against its client (the key counted, None when off); raise Rejected(429) past the limit."""
        limiter = self.limiter if limiter is None else limiter  # an empty limiter is falsy (it has a length)
        if not limiter.enabled:
            return None
        peer = request.client.host if request.client else None
        key = client_key(peer, request.headers.getlist("x-forwarded-for"), self.config.proxies)
        wait = limiter.hit(key)
        if wait:
            logger.debug("rate limit reached for %s", key)
            message = f"You have sent several comments in a short time; please wait {how_long(wait)} and send it again."
            raise Rejected(429, {"request": message}, limiter.retry_after(wait))
        return key

    def refund(self, key: str | None, limiter: RateLimiter | None = None) -> None:
        """A refused post does not count against its client."""
        if key is not None:
            (self.limiter if limiter is None else limiter).refund(key)

    def article_refusal(self, submission: Submission) -> Rejected | None:
        """The refusal `check_article` gives this comment, or None; answered only after the body's cost is checked."""
        try:
            self.check_article(submission)
        except Rejected as refusal:
            return refusal
        return None

    def check_article(self, submission: Submission) -> None:
        """The article must exist and take comments; reply_to must be one of its published comments."""
        articles = self.manifest.articles()
        self._sync_after_publish()
        if articles is None:
            raise Rejected(503, {"request": "Comments cannot be taken yet; please try again later."}, RETRY_MANIFEST)
        entry = articles.get(submission.article)
        if not isinstance(entry, dict):
            raise Rejected(404, {"article": "There is no such article."})
        if entry.get("mode") != "open":
            raise Rejected(403, {"article": "Comments on this article are closed."})
        if submission.reply_to and submission.reply_to not in (entry.get("comments") or {}):
            raise Rejected(404, {"reply_to": "The comment you are replying to does not exist."})

    def catch_up(self) -> None:
        """Read the manifest when it changed and, after a publish, fetch the moderators' decisions (a reader's link asks this)."""
        self.manifest.articles()
        self._sync_after_publish()

    def _sync_after_publish(self) -> None:
        """When a new manifest shows the site was published, fetch the moderators' decisions into the clone."""
        if self.manifest.loads != self._manifest_loads:
            self._manifest_loads = self.manifest.loads
            if self.recorder:
                self.recorder.sync()

    def verdict(self, request: Request, submission: Submission) -> Verdict:
        """The spam screen's verdict on a submission (a reader's edit is screened as a new comment is); runs in a worker thread."""
        return self.screen.judge(self.manifest.articles(), submission.author, submission.body, submission.website,
                                 self.asked(request, submission))

    def asked(self, request: Request, submission: Submission) -> Asked | None:
        """What Akismet is told of this post besides the comment, when the check is on (never stored or logged)."""
        if self.screen.akismet is None:
            return None
        peer = request.client.host if request.client else None
        ip = client_key(peer, request.headers.getlist("x-forwarded-for"), self.config.proxies).split("/")[0]
        entry = (self.manifest.articles() or {}).get(submission.article) or {}
        permalink = f"{self.config.site}/{entry.get('url', '')}"
        return Asked(ip, request.headers.get("user-agent", "")[:512], permalink)

    async def store(self, submission: Submission, verdict: Verdict) -> Comment:
        """Write the submission as a pending comment file (spam when the screen's `verdict` says so), one writer per article at a time."""
        fields = submission.fields(self.config.tz)
        if verdict.kind != "clean":
            fields.update({"status": "spam" if verdict.kind == "spam" else "pending", "note": verdict.note()})
        text = comment_format.dump(fields)
        lock = self._locks.setdefault(submission.article, asyncio.Lock())
        async with lock:
            try:
                comment = await run_in_threadpool(self._store, submission.article, text)
            except CommentFileError as exc:
                message, field = exc.problem.message, exc.problem.field
                raise Rejected(400, {field if field in LABELS else "request": f"{message[:1].upper()}{message[1:]}."}) from None
            except OSError as exc:
                raise self._storage_failed(submission.article, exc) from None
        if not submission.matches(comment):
            await run_in_threadpool(self._unstore, comment)
            raise Rejected(400, {"request": "The comment contains characters that cannot be stored."})
        if comment.status == "spam":
            self.screen.remember_spam(comment.body)
            logger.info("comment %s/%s matched the spam rules; stored as spam", comment.article, comment.id)
        if self.recorder:
            await run_in_threadpool(self.recorder.record, comment.path, comment.article, comment.id)
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

    def private_link(self, slug: str, comment_id: str) -> str | None:
        """The reader's link to edit a comment while it waits, when links are on (signed once per post: the answer and the letter share it)."""
        return self.edits.link(slug, comment_id) if self.edits else None

    def success(self, comment_id: str, as_json: bool, slug: str, link: str | None) -> Response:
        """The answer to an accepted (or silently dropped) submission, with the reader's edit `link` when links are on."""
        if as_json:
            return JSONResponse({"id": comment_id, "status": "pending", **({"edit": link} if link else {})}, status_code=201)
        if self.article_url(slug) and self.pages.has("received"):
            query = {"article": slug, **({"t": link.partition("?t=")[2]} if link else {})}
            # Relative, so it works behind a proxy that maps a path prefix to this service.
            return RedirectResponse(f"{RECEIVED_PATH.lstrip('/')}?{urlencode(query)}", status_code=303)
        return RedirectResponse(self.config.thanks, status_code=303)

    def received(self, request: Request) -> Response:
        """GET the 'comment received' page, linking back to the article; the site's page when it cannot."""
        slug = request.query_params.get("article", "")
        url = self.article_url(slug)
        entry = (self.manifest.articles() or {}).get(slug)
        title = entry.get("title") if isinstance(entry, dict) else None
        shown = reader_pages.quoted_title(title) if isinstance(title, str) else "the article"
        page = self.pages.received(url, shown, self.edit_link(request.query_params.get("t", ""))) if url else None
        return page or RedirectResponse(self.config.thanks, status_code=303)

    def edit_link(self, token: str) -> str:
        """The reader's private link for a genuine edit token, else nothing."""
        if self.edits is None or not token:
            return ""
        try:
            self.edits.signer.read(token, EDIT_PURPOSE)
        except LinkError:
            return ""
        return f"{self.edits.base}/edit?{urlencode({'t': token})}"

    def failure(self, refusal: Rejected, as_json: bool, form: dict[str, str]) -> Response:
        """The answer to a refused submission: JSON errors, or the site's page with the form as the reader filled it."""
        headers = {"retry-after": str(refusal.retry_after)} if refusal.retry_after is not None else None
        if as_json:
            return JSONResponse({"errors": refusal.errors}, status_code=refusal.status, headers=headers)
        back = self.article_url(form.get("article", ""))
        return self.pages.error(refusal.status, refusal.errors, form, back or f"{self.config.site}/", headers)

    def article_url(self, slug: str) -> str | None:
        """The article's absolute address when the manifest knows the article."""
        entry = (self.manifest.articles() or {}).get(slug)
        if isinstance(entry, dict) and isinstance(entry.get("url"), str):
            return f"{self.config.site}/{entry['url'].lstrip('/')}"
        return None


def same_origin(request: Request, origin: str) -> bool:
    """Whether the post comes from one of this service's own pages (the preview and error pages post back here)."""
    own = request.base_url
    return origin.rstrip("/") == f"{own.scheme}://{own.netloc}"


def check_fit(body: str, refusal: Rejected | None) -> None:
    """Refuse (Rejected) a body too costly to publish, then with the article's `refusal` when there is one."""
    check_cost(body)
    if refusal is not None:
        raise refusal


def check_cost(body: str) -> None:
    """Refuse (Rejected) a body that would cost too much to publish (render.cost_problems); run it off the event loop.

    The renderer (markdown-it, nh3) is imported on the first post, so starting the service loads none of the build side.
    """
    from ..render import cost_problems

    problems = cost_problems(body)
    if problems:
        reason = problems[0].removeprefix("'body' ")
        raise Rejected(400, {"body": f"Comment {reason}."})


def render_comment(body: str) -> str:
    """A comment's HTML by the build's own renderer (imported on first use: starting the service loads none of the build)."""
    from ..render import render_body

    return render_body(body)


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


# A form post needs a dozen header lines; far more is abuse, refused before any route runs.
MAX_HEADERS = 100
MAX_HEADER_BYTES = 16 * 1024


def framing_problem(headers: list[tuple[bytes, bytes]]) -> tuple[int, str] | None:
    """Why a request head must be refused (status and message), or None.

    Both Content-Length and Transfer-Encoding make a request that a proxy and this
    service could split differently (request smuggling), so it is refused outright.
    """
    names = {name.lower() for name, _ in headers}
    if b"content-length" in names and b"transfer-encoding" in names:
        return 400, "A request may not carry both Content-Length and Transfer-Encoding."
    if len(headers) > MAX_HEADERS or sum(len(name) + len(value) + 4 for name, value in headers) > MAX_HEADER_BYTES:
        return 431, f"Request headers are limited to {MAX_HEADERS} lines and {MAX_HEADER_BYTES:,} bytes."
    return None


class RequestFraming:
    """ASGI middleware refusing ambiguous or oversized request heads before the body is read."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap `app`."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer a bad request head itself; pass every other request on."""
        problem = framing_problem(scope["headers"]) if scope["type"] == "http" else None
        if problem is None:
            await self.app(scope, receive, send)
            return
        status, message = problem
        logger.info("refused a request head: %s", message)
        await PlainTextResponse(message, status_code=status, headers={"connection": "close"})(scope, receive, send)


async def submit(request: Request) -> Response:
    """POST /comments."""
    service: Service = request.app.state.service
    return await service.handle(request)


async def preview(request: Request) -> Response:
    """POST /comments/preview."""
    service: Service = request.app.state.service
    return await service.preview(request)


async def received(request: Request) -> Response:
    """GET /comments/received."""
    service: Service = request.app.state.service
    return service.received(request)


async def health(request: Request) -> Response:
    """GET /health: the process answers."""
    return PlainTextResponse("ok")


def create_app(config: Config, notifier: Notifier | None = None) -> Starlette:
    """The Starlette application for `config`, with the notices' routes when there is a `notifier`."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        """Start the service when the server starts."""
        app.state.service.start()
        yield
        if app.state.service.notifier:
            await run_in_threadpool(app.state.service.notifier.close)
        if app.state.service.recorder:
            await run_in_threadpool(app.state.service.recorder.close)

    service = Service(config, notifier)
    links = LinkPages(notifier, service.pages, config.site, service.record_decision).routes() if notifier else []
    app = Starlette(
        routes=[
            Route("/comments", submit, methods=["POST"]),
            Route(RECEIVED_PATH, received, methods=["GET"]),
            Route(PREVIEW_PATH, preview, methods=["POST"]),
            Route("/health", health, methods=["GET"]),
            *links,
            *(service.edits.routes() if service.edits else []),
        ],
        middleware=[Middleware(SecurityHeaders), Middleware(RequestFraming)],
        lifespan=lifespan,
    )
    app.state.service = service
    return app
