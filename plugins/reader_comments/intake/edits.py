"""A reader's private link to their own comment: edit or withdraw it while it waits, ask for its removal once published.

The "comment received" page shows the link. It is signed with the notices' secret
(notify.links.Signer), names the one comment (`<article>/<id>`) and expires after
COMMENTS_EDIT_DAYS. It can be used again and again until then, so every form it
shows carries the digest of the file as it was shown: a change saved meanwhile
(another tab, a moderator's decision) is never overwritten silently.

Once a moderator has approved the comment, the same link offers one thing: to ask
the editors to remove it, with an optional reason. The request is recorded in the
comment file (`removal_requested`, `removal_reason`), committed and pushed; asking
again changes nothing. Every POST passes the intake's own origin check and rate
limit (`Guard`, the intake service), and an edit is screened by the spam rules as a
new comment is.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

from starlette.concurrency import run_in_threadpool
from starlette.requests import ClientDisconnect, Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from .. import comment_format
from ..comment_format import PUBLISHED, Comment, CommentFileError
from ..errors import Problem
from ..fileio import atomic_write, read_capped
from ..gitsync import GitError, GitRecorder
from ..notify.links import FORGED, LinkError, Signer
from ..spam import CLEAN, Verdict
from .form import Rejected, Submission, check_reason, parse_form, read_body, validate
from .ratelimit import RateLimiter
from .replies import ReaderPages

logger = logging.getLogger(__name__)

PURPOSE = "edit"
EDIT_PATH = "/comments/edit"
EDITED = "Comment edited before moderation: "
WITHDRAWN = "Comment withdrawn before moderation: "
REMOVAL = "Removal requested: "
GONE = "gone"
DECIDED = {"approved": "approved", "rejected": "declined", "spam": "declined"}


class Guard(Protocol):
    """What the intake service checks every post with: origin and size, the rate limit, and the spam screen."""

    preview_limiter: RateLimiter

    def check_head(self, request: Request) -> None:
        """Refuse (Rejected) a post from a foreign page, of the wrong type or too large."""

    def check_rate(self, request: Request, limiter: RateLimiter | None = None) -> str | None:
        """Count the post against its client; Rejected(429) past the limit."""

    def refund(self, key: str | None, limiter: RateLimiter | None = None) -> None:
        """A refused post does not count."""

    def verdict(self, request: Request, submission: Submission) -> Verdict:
        """The spam screen's verdict on a submission."""

    def catch_up(self) -> None:
        """After a publish, bring the moderators' decisions into the intake's clone (in the background)."""


@dataclass(frozen=True, slots=True)
class Held:
    """The comment a link names, as it is now: the file, its bytes' digest and the comment read from them."""

    path: Path
    digest: str
    comment: Comment
    values: dict[str, Any]


def write_checked(path: Path, new: comment_format.NewFile | None, problems: list[Problem]) -> None:
    """Write a file the loader read back as valid; otherwise raise its first problem (CommentFileError)."""
    if new is None:
        raise CommentFileError(problems[0])
    atomic_write(path, new.data)


def digest_of(data: bytes) -> str:
    """A short digest of a file's bytes: tells whether it changed since a form showed it."""
    return hashlib.sha256(data).hexdigest()[:32]


def cost_of(body: str) -> list[str]:
    """Why a body costs too much to publish, as for a new comment (the renderer is imported on first use)."""
    from ..render import cost_problems

    return cost_problems(body)


class EditLinks:
    """The reader's edit page and its actions: preview, save and withdraw while pending; ask for removal once published."""

    def __init__(self, signer: Signer, days: float, comments: Path, pages: ReaderPages, base: str,
                 recorder: GitRecorder | None, render: Callable[[str], Any], locks: dict[str, asyncio.Lock],
                 guard: Guard) -> None:
        """Links signed by `signer`, valid `days`, for comments under `comments`; pages through `pages`; posts checked by `guard`."""
        self.guard = guard
        self.signer = signer
        self.days = days
        self.comments = comments
        self.pages = pages
        self.base = base
        self.recorder = recorder
        self.render = render
        self.locks = locks
        self.tz = pages.config.tz

    def link(self, slug: str, comment_id: str) -> str:
        """The private address that lets the reader change the comment while it waits."""
        return f"{self.base}/edit?t={self.signer.sign(PURPOSE, f'{slug}/{comment_id}', self.days)}"

    def held(self, token: str) -> Held:
        """The comment a genuine, unexpired token names; LinkError, or CommentFileError(missing) when it is gone."""
        subject = self.signer.read(token, PURPOSE).subject
        slug, _, comment_id = subject.partition("/")
        if not comment_format.is_valid_id(comment_id) or not slug or "/" in slug or slug.startswith("."):
            raise LinkError(FORGED, "This link is not one we sent, or it was cut short or changed.")
        for path in (self.comments / slug / f"{comment_id}.yaml", self.comments / slug / f"{comment_id}.yml"):
            try:
                data = read_capped(path, comment_format.MAX_FILE_BYTES)
            except FileNotFoundError:
                continue
            comment, problems = comment_format.read(path, self.tz, data)
            if comment is None:
                raise LinkError(FORGED, f"The comment this link names cannot be read ({problems[0].message}).")
            values = comment_format.parse(path, data.decode("utf-8")).values
            return Held(path, digest_of(data), comment, values)
        raise LinkError(GONE, "The comment this link names is no longer here: it was withdrawn or removed.")

    async def page(self, request: Request) -> Response:
        """GET: the comment in its form while it is pending, else what became of it."""
        token = request.query_params.get("t", "")
        self.guard.catch_up()
        try:
            held = await run_in_threadpool(self.held, token)
        except LinkError as error:
            return self.refused(error, {})
        return self.shown(held, token)

    def shown(self, held: Held, token: str, form: dict[str, str] | None = None, errors: tuple[str, ...] = (),
              preview: str = "", status: int = 200, heading: str = "Your comment") -> HTMLResponse:
        """The edit page for `held`: the form (what the reader typed, else the file) while pending."""
        comment = held.comment
        if comment.status == PUBLISHED:
            return self.removal_page(held, token, status, form or {}, errors)
        if comment.status != "pending":
            said = DECIDED.get(comment.status, comment.status)
            return self.pages.edit(status, {"heading": f"Your comment was {said}",
                                           "message": f"A moderator has {said} this comment, so it can no longer be "
                                                      "changed or withdrawn here.", "form_hidden": "hidden"}, ())
        typed = form or {"author": comment.author, "website": comment.website or "", "body": comment.body}
        return self.pages.edit(status, {
            "heading": heading,
            "message": "Your comment is waiting for moderation. Until a moderator decides, you can change it or withdraw it.",
            "author": typed.get("author", ""), "website": typed.get("website", ""), "body": typed.get("body", ""),
            "token": token, "digest": form.get("digest", held.digest) if form else held.digest,
            "preview": preview, "form_hidden": "", "action": f"{self.base}/edit",
        }, errors)

    def removal_page(self, held: Held, token: str, status: int, form: dict[str, str], errors: tuple[str, ...] = (),
                     heading: str = "Your comment is published") -> HTMLResponse:
        """The page for a published comment: the removal request form, or the request already recorded."""
        asked = held.comment.extra.get("removal_requested")
        if asked:
            message = (f"A moderator has approved this comment, so it can no longer be changed here. You asked on {asked[:10]} "
                       "for it to be removed: the editors have your request and will take it off the site; nothing more is needed.")
        else:
            message = ("A moderator has approved this comment and it is published, so it can no longer be changed or "
                       "withdrawn here. You can ask the editors to remove it; a reason is optional and only the editors see it.")
        return self.pages.edit(status, {
            "heading": heading, "message": message, "form_hidden": "hidden", "removal_hidden": "hidden" if asked else "",
            "token": token, "reason": form.get("reason", ""), "body": form.get("body", ""), "action": f"{self.base}/edit",
        }, errors)

    def refused(self, error: LinkError, form: dict[str, str]) -> HTMLResponse:
        """A link that cannot be used: what is wrong, the reader's text kept, nothing changed."""
        status = 403 if error.kind == FORGED else 410
        return self.pages.edit(status, {"heading": "This link cannot change the comment",
                                        "message": f"{error} Nothing was changed.", "body": form.get("body", ""),
                                        "reason": form.get("reason", ""), "form_hidden": "hidden"}, ())

    def turned_away(self, refusal: Rejected, form: dict[str, str]) -> HTMLResponse:
        """A post the intake's guard refused (foreign page, too large, too many): why, the reader's text kept."""
        headers = {"retry-after": str(refusal.retry_after)} if refusal.retry_after is not None else None
        return self.pages.edit(refusal.status, {"heading": "Nothing was changed", "form_hidden": "hidden",
                                                "message": " ".join(refusal.errors.values()), "body": form.get("body", ""),
                                                "reason": form.get("reason", "")}, (), headers)

    async def act(self, request: Request) -> Response:
        """POST: the origin, size and rate checks of a submission, then the action the button pressed asks for."""
        try:
            self.guard.check_head(request)
            form = parse_form(await read_body(request, self.pages.config.max_request_bytes))
        except Rejected as refusal:
            return self.turned_away(refusal, {})
        except ClientDisconnect:
            return HTMLResponse("incomplete request", status_code=400)
        limiter = self.guard.preview_limiter if form.get("action") == "preview" else None
        try:
            counted = self.guard.check_rate(request, limiter)
        except Rejected as refusal:
            return self.turned_away(refusal, form)
        response = await self.carry_out(request, form)
        if response.status_code >= 400:
            self.guard.refund(counted, limiter)
        return response

    async def carry_out(self, request: Request, form: dict[str, str]) -> Response:
        """Preview, save, withdraw or ask for removal, as the button pressed says."""
        token = form.get("t", "")
        self.guard.catch_up()
        try:
            held = await run_in_threadpool(self.held, token)
        except LinkError as error:
            return self.refused(error, form)
        action = form.get("action", "")
        if action == "remove":
            return await self.request_removal(held, token, form)
        if held.comment.status != "pending":
            return self.shown(held, token, status=409)
        if action == "withdraw":
            return await self.withdraw(held, token, form)
        try:
            submission = validate({**form, "article": held.comment.article, "reply_to": held.comment.reply_to or ""})
        except Rejected as refusal:
            return self.shown(held, token, form, tuple(refusal.errors.values()), status=400,
                              heading="Your comment was not changed")
        problems = await run_in_threadpool(cost_of, submission.body)
        if problems:
            reason = problems[0].removeprefix("'body' ")
            return self.shown(held, token, form, (f"Comment {reason}.",), status=400,
                              heading="Your comment was not changed")
        if action == "preview":
            return self.shown(held, token, form, preview=await run_in_threadpool(self.render, submission.body),
                              heading="Preview of your changed comment")
        changes: dict[str, str | None] = {"author": submission.author, "website": submission.website, "body": submission.body}
        verdict = await run_in_threadpool(self.guard.verdict, request, submission)
        if verdict.kind != CLEAN:
            # Kept pending (the intake's key may change a pending file only into a pending one), the verdict in the note.
            changes["note"] = verdict.note()
            logger.info("comment %s/%s: the edit matched the spam rules (%s)", held.comment.article, held.comment.id, verdict.kind)
        return await self.save(held, token, form, changes)

    async def current(self, token: str, form: dict[str, str]) -> Held | Response:
        """Under the article's lock: the comment as it is now, or the page saying why it cannot change."""
        try:
            now = await run_in_threadpool(self.held, token)
        except LinkError as error:
            return self.refused(error, form)
        if now.digest != form.get("digest") or now.comment.status != "pending":
            return self.stale(now, token, form)
        return now

    async def save(self, held: Held, token: str, form: dict[str, str], changes: dict[str, str | None]) -> Response:
        """Rewrite the pending file with the reader's changes, unless it changed since the form showed it."""
        async with self.locks.setdefault(held.comment.article, asyncio.Lock()):
            now = await self.current(token, form)
            if not isinstance(now, Held):
                return now
            text = comment_format.dump({**{k: str(v) for k, v in now.values.items() if v is not None}, **changes})
            try:
                await run_in_threadpool(self.rewrite, now.path, text)
            except (CommentFileError, OSError) as exc:
                return self.failed(now, token, form, exc)
            await run_in_threadpool(self.commit, now.path, f"{EDITED}{now.comment.article}/{now.comment.id}")
        logger.info("comment %s/%s edited by its author before moderation", now.comment.article, now.comment.id)
        return self.shown(await run_in_threadpool(self.held, token), token, heading="Your comment was changed")

    def failed(self, now: Held, token: str, form: dict[str, str], exc: Exception) -> HTMLResponse:
        """The file could not be written or removed: logged, the reader's text kept."""
        logger.error("comment %s/%s could not be changed: %s", now.comment.article, now.comment.id, exc)
        return self.shown(now, token, form, ("Your comment could not be changed; please try again later.",),
                          status=503, heading="Your comment was not changed")

    def rewrite(self, path: Path, text: str) -> None:
        """Replace the pending file, after reading the new text back as a valid comment (CommentFileError)."""
        write_checked(path, *comment_format.check_new(path, text, self.tz))

    async def withdraw(self, held: Held, token: str, form: dict[str, str]) -> Response:
        """Remove the pending file, unless it changed since the form showed it."""
        async with self.locks.setdefault(held.comment.article, asyncio.Lock()):
            now = await self.current(token, form)
            if not isinstance(now, Held):
                return now
            try:
                now.path.unlink()
            except OSError as exc:
                return self.failed(now, token, form, exc)
            await run_in_threadpool(self.commit, now.path, f"{WITHDRAWN}{now.comment.article}/{now.comment.id}")
        logger.info("comment %s/%s withdrawn by its author before moderation", now.comment.article, now.comment.id)
        return self.pages.edit(200, {"heading": "Your comment was withdrawn", "form_hidden": "hidden",
                                     "message": "Your comment is deleted and will not be published."}, ())

    async def request_removal(self, held: Held, token: str, form: dict[str, str]) -> Response:
        """Record the author's request that their published comment be removed; asking again changes nothing."""
        reason, error = check_reason(form.get("reason", ""))
        if held.comment.status != PUBLISHED:
            return self.shown(held, token, status=409)
        if error:
            return self.removal_page(held, token, 400, form, (error,), heading="Your request was not sent")
        async with self.locks.setdefault(held.comment.article, asyncio.Lock()):
            try:
                now = await run_in_threadpool(self.held, token)
            except LinkError as gone:
                return self.refused(gone, form)
            if now.comment.status != PUBLISHED:
                return self.shown(now, token, status=409)
            if now.comment.extra.get("removal_requested"):
                return self.removal_page(now, token, 200, form, heading="Your request was already received")
            changes = {"removal_requested": datetime.now(self.tz).isoformat(timespec="seconds"),
                       **({"removal_reason": reason} if reason else {})}
            try:
                await run_in_threadpool(self.mark, now.path, changes)
            except (CommentFileError, OSError) as exc:
                return self.failed(now, token, form, exc)
            await run_in_threadpool(self.commit, now.path, f"{REMOVAL}{now.comment.article}/{now.comment.id}")
        logger.info("comment %s/%s: its author asked for its removal", now.comment.article, now.comment.id)
        return self.removal_page(await run_in_threadpool(self.held, token), token, 200, {}, heading="Your request was sent")

    def mark(self, path: Path, changes: dict[str, str]) -> None:
        """Add the removal request's fields to the published file, every other byte kept, read back (CommentFileError)."""
        write_checked(path, *comment_format.changed_bytes(path, read_capped(path, comment_format.MAX_FILE_BYTES), changes, self.tz))

    def stale(self, now: Held, token: str, form: dict[str, str]) -> HTMLResponse:
        """The comment changed since the form was shown: keep the reader's text, change nothing."""
        if now.comment.status != "pending":
            return self.shown(now, token, status=409)
        return self.shown(now, token, {**form, "digest": now.digest}, (
            "Your comment was changed from another page since this one was opened; nothing was changed now. "
            "Check the text below and save again.",), status=409, heading="Your comment was not changed")

    def commit(self, path: Path, message: str) -> None:
        """Commit the change (and push it) through the intake's git path, when git is on; a failure is logged."""
        if self.recorder is None:
            return
        try:
            self.recorder.commit_files([path], message)
        except (GitError, ValueError) as exc:
            logger.error("%s saved but not committed: %s", message, exc)

    def routes(self) -> list[Route]:
        """The edit page and its actions."""
        return [Route(EDIT_PATH, self.page, methods=["GET"]), Route(EDIT_PATH, self.act, methods=["POST"])]

