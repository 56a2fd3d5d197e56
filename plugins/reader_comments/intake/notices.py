"""The intake's side of the notices: the form's e-mail choice, and the pages the links in messages open.

A GET on a link only shows what it would do, with one button; the button's
POST does it. One-click unsubscribing (RFC 8058) POSTs straight to the link.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Callable
from urllib.parse import parse_qsl

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from .. import reader_pages
from ..notify.actions import Decision, ModerationError, Outcome
from ..notify.links import EXPIRED, FORGED, STALE, USED, LinkError
from ..notify.mail import MailError, check_address
from ..notify.readers import ReaderChoice
from ..notify.service import Notifier
from .form import Rejected
from .replies import ReaderPages

logger = logging.getLogger(__name__)

MAX_LINK_FORM = 4096
# The plain page (before a build) has no styles or scripts; its one form posts back here.
PLAIN_POLICY = "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
REFUSED = {
    FORGED: "This link does not work",
    EXPIRED: "This link has expired",
    USED: "This link was already used",
    STALE: "This link no longer applies",
}
STATUS_SAID = {"approved": "approved and will be published", "rejected": "rejected", "spam": "marked as spam"}


def reader_choice(form: dict[str, str], offered: bool) -> ReaderChoice | None:
    """The reader's address and choices from the form, or None; Rejected(400) for an unusable address."""
    raw = form.get("email", "")
    published, replies = bool(form.get("notify_published")), bool(form.get("notify_replies"))
    if not offered or not raw.strip():
        if offered and (published or replies):
            raise Rejected(400, {"email": "E-mail address is needed for the notices you ticked; add it or untick them."})
        return None
    try:
        address = check_address(raw)
    except MailError as exc:
        raise Rejected(400, {"email": f"E-mail address: {exc}."}) from None
    if not (published or replies):
        raise Rejected(400, {"email": "E-mail address is only used for notices: tick at least one, or leave it empty."})
    return ReaderChoice(address, published, replies)


class LinkPages:
    """The pages and actions behind the links in messages."""

    def __init__(self, notifier: Notifier, pages: ReaderPages, site: str,
                 commit: Callable[[Outcome], None] | None = None) -> None:
        """Pages for `notifier`'s links, in the site's look through `pages`; `commit` records a decision in git."""
        self.notifier = notifier
        self.pages = pages
        self.site = site
        self.commit = commit
        self.base = notifier.config.links_base

    def page(self, status: int, values: dict[str, str]) -> HTMLResponse:
        """The built link page filled in, or a plain page before a build."""
        values = {"back": f"{self.site}/", "comment_hidden": "hidden", "form_hidden": "hidden", **values}
        built = self.pages.built("link")
        if built is None:
            return HTMLResponse(plain_page(values), status_code=status, headers={"content-security-policy": PLAIN_POLICY})
        text = reader_pages.fill(built, values, (), self.site)
        return HTMLResponse(text, status_code=status, headers={"content-security-policy": self.pages.policy})

    def refused(self, error: LinkError) -> HTMLResponse:
        """The page for a link that cannot be acted on; nothing was changed."""
        status = 403 if error.kind == FORGED else 410
        return self.page(status, {"heading": REFUSED.get(error.kind, "This link does not work"),
                                  "message": f"{error} Nothing was changed."})

    async def token_of(self, request: Request) -> str:
        """The token of a GET (query) or of a confirming POST (form field `t`, or the query for one-click)."""
        if request.method == "GET":
            return request.query_params.get("t", "")
        body = b""
        async for chunk in request.stream():
            body += chunk
            if len(body) > MAX_LINK_FORM:
                break
        fields = dict(parse_qsl(body[:MAX_LINK_FORM].decode("utf-8", "replace")))
        return fields.get("t") or request.query_params.get("t", "")

    async def moderate(self, request: Request) -> Response:
        """GET: show the decision and its button. POST: take it, once."""
        token = await self.token_of(request)
        try:
            if request.method == "GET":
                decision = await run_in_threadpool(self.notifier.decisions.look, token)
                return self.decision_page(decision)
            outcome = await run_in_threadpool(self.notifier.decisions.decide, token)
        except LinkError as exc:
            return self.refused(exc)
        except ModerationError as exc:
            logger.error("a moderator's link could not be carried out: %s", exc)
            return self.page(409, {"heading": "Nothing was changed", "message": f"{exc}."})
        if outcome.failed:
            return self.page(500, {"heading": "The decision was not saved", "message": "; ".join(
                w.error or "" for w in outcome.written if w.error) or "See the service's log."})
        if self.commit is not None:
            await run_in_threadpool(self.commit, outcome)
        label = outcome.written[0].label if outcome.written else ""
        return self.page(200, {"heading": "Done", "message": f"Comment {label} is {STATUS_SAID[outcome.status]}."})

    def decision_page(self, decision: Decision) -> HTMLResponse:
        """The page asking to confirm one decision."""
        comment = decision.comment
        entry = (self.notifier.articles() or {}).get(comment.article) or {}
        return self.page(200, {
            "heading": f"{decision.verb} this comment?",
            "message": f"Press the button to {decision.verb.lower()} this comment as {decision.moderator.name}. "
                       "Nothing has changed yet.",
            "author": comment.author, "title": str(entry.get("title") or comment.article), "body": comment.body,
            "comment_hidden": "", "form_hidden": "", "token": decision.token, "button": decision.verb,
            "action": f"{self.base}/moderate",
        })

    async def confirm(self, request: Request) -> Response:
        """GET: ask to confirm the address. POST: confirm it."""
        return await self.reader_action(request, "confirm", "Confirm your address",
                                        "Press the button to confirm your address: you will then get the notices you asked for.",
                                        "Confirm", "Your address is confirmed. You will be told as you asked.")

    async def unsubscribe(self, request: Request) -> Response:
        """GET: ask to unsubscribe. POST (the button, or a mail client's one-click): delete the address."""
        return await self.reader_action(request, "unsubscribe", "Stop all messages?",
                                        "Press the button to stop every message and delete your address now.",
                                        "Stop messages and delete my address",
                                        "Your address is deleted. You will get no more messages from us.")

    async def reader_action(self, request: Request, purpose: str, heading: str, ask: str, button: str, done: str) -> Response:
        """A reader's link: GET shows the button; POST acts."""
        token = await self.token_of(request)
        act = self.notifier.confirm if purpose == "confirm" else self.notifier.unsubscribe
        try:
            if request.method == "GET":
                await run_in_threadpool(self.notifier.reader_link, token, purpose)
                return self.page(200, {"heading": heading, "message": ask, "form_hidden": "", "token": token,
                                       "button": button, "action": f"{self.base}/{purpose}"})
            await run_in_threadpool(act, token)
        except LinkError as exc:
            return self.refused(exc)
        return self.page(200, {"heading": "Done", "message": done})

    def routes(self) -> list[Route]:
        """The link routes, under /comments/."""
        return [
            Route("/comments/moderate", self.moderate, methods=["GET", "POST"]),
            Route("/comments/confirm", self.confirm, methods=["GET", "POST"]),
            Route("/comments/unsubscribe", self.unsubscribe, methods=["GET", "POST"]),
        ]


def plain_page(values: dict[str, str]) -> str:
    """A small page for a link, before the site is built: the message and, when there is one, the button."""
    e = html.escape
    form = "" if values.get("form_hidden") else (
        f'<form method="post" action="{e(values.get("action", ""), quote=True)}">'
        f'<input type="hidden" name="t" value="{e(values.get("token", ""), quote=True)}">'
        f'<button type="submit">{e(values.get("button", ""))}</button></form>')
    comment = "" if values.get("comment_hidden") else (
        f'<blockquote><p><strong>{e(values.get("author", ""))}</strong> on “{e(values.get("title", ""))}”</p>'
        f'<p style="white-space: pre-wrap">{e(values.get("body", ""))}</p></blockquote>')
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><title>{e(values.get("heading", ""))}</title></head><body><h1>{e(values.get("heading", ""))}</h1>'
        f'<p>{e(values.get("message", ""))}</p>{comment}{form}</body></html>'
    )
