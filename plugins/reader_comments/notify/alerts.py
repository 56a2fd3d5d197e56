"""The moderators' alerts: each accepted comment announced with its approve, reject and spam links.

Announced comments wait in a small table on disk until the next alert may go
(at most one every COMMENTS_NOTIFY_INTERVAL seconds; 0 sends one per comment),
so a restart loses none. Each alert is plain text with an HTML alternative in
which everything a reader typed is escaped.
"""

from __future__ import annotations

import html
import json
import logging
import sqlite3
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any
from urllib.error import URLError
from urllib.parse import quote

from .. import comment_format
from ..comment_format import Comment
from .config import Moderator, NotifyConfig
from .links import Signer
from .mail import Letter, MailQueue, one_line

logger = logging.getLogger(__name__)

ACTIONS = {"approved": "Approve", "rejected": "Reject", "spam": "Spam"}
MODERATE_PURPOSE = "moderate"
WEBHOOK_TIMEOUT = 10.0
EXCERPT = 500


@dataclass(frozen=True, slots=True)
class Announced:
    """One pending comment to tell the moderators about, with what the manifest says of its article."""

    comment: Comment
    title: str
    url: str
    parent_author: str | None


class AlertBook:
    """Comments waiting to be announced, and when the last alert went, in a SQLite file."""

    def __init__(self, path: Path) -> None:
        """Keep the table in `path` (the state folder's links database)."""
        self.path = path
        with self._db() as db:
            db.execute("CREATE TABLE IF NOT EXISTS alerts (article TEXT, comment TEXT, queued REAL, PRIMARY KEY (article, comment))")
            db.execute("CREATE TABLE IF NOT EXISTS alert_sent (one INTEGER PRIMARY KEY CHECK (one = 1), at REAL)")

    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        """One transaction."""
        db = sqlite3.connect(self.path, timeout=30)
        try:
            with db:
                yield db
        finally:
            db.close()

    def add(self, article: str, comment: str, now: float | None = None) -> bool:
        """Note a comment to announce; whether it is the first waiting (only then can the next alert's time change)."""
        with self._db() as db:
            db.execute("INSERT OR IGNORE INTO alerts VALUES (?, ?, ?)", (article, comment, time.time() if now is None else now))
            # Counted inside the insert's transaction, so an alert taken meanwhile cannot make two posts both miss "first".
            waiting = db.execute("SELECT COUNT(*) FROM (SELECT 1 FROM alerts LIMIT 2)").fetchone()[0]
        return bool(waiting == 1)

    def due(self, interval: float) -> float | None:
        """When the next alert may go (epoch seconds), or None when nothing waits."""
        with self._db() as db:
            if db.execute("SELECT 1 FROM alerts LIMIT 1").fetchone() is None:
                return None
            row = db.execute("SELECT at FROM alert_sent").fetchone()
        return (row[0] + interval) if row else 0.0

    def take(self, now: float | None = None) -> list[tuple[str, str]]:
        """Every waiting comment, oldest first, removed from the table; the alert's time is recorded."""
        with self._db() as db:
            rows = db.execute("SELECT article, comment FROM alerts ORDER BY queued, comment").fetchall()
            db.execute("DELETE FROM alerts")
            db.execute("INSERT OR REPLACE INTO alert_sent VALUES (1, ?)", (time.time() if now is None else now,))
        return [(str(a), str(c)) for a, c in rows]


def moderation_link(config: NotifyConfig, signer: Signer, comment: Comment, status: str, moderator: Moderator) -> str:
    """The signed link to the page confirming `status` for `comment`, on behalf of `moderator`."""
    token = signer.sign(MODERATE_PURPOSE, f"{comment.article}/{comment.id}", config.link_days, "pending",
                        {"a": status, "w": signer.digest(moderator.address)})
    return f"{config.links_base}/moderate?t={quote(token)}"


def _text_part(item: Announced, links: dict[str, str]) -> str:
    """One comment in the plain-text part."""
    comment = item.comment
    answer = f"{item.parent_author} (comment {comment.reply_to})" if comment.reply_to else "the article"
    lines = [
        f"Article: {item.title}", f"          {item.url}", f"Author:  {one_line(comment.author, 200)}",
        f"Website: {one_line(comment.website or '(none)', 300)}", f"Replies to: {one_line(answer, 300)}",
        "", comment.body, "",
    ]
    lines += [f"{ACTIONS[status]}: {link}" for status, link in links.items()]
    return "\n".join(lines)


def _html_part(item: Announced, links: dict[str, str]) -> str:
    """One comment in the HTML part, everything escaped."""
    comment = item.comment
    e = html.escape
    answer = f"{item.parent_author or 'a comment'}" if comment.reply_to else "the article"
    website = f'<a href="{e(comment.website, quote=True)}">{e(comment.website)}</a>' if comment.website else "(none)"
    buttons = " · ".join(f'<a href="{e(link, quote=True)}">{ACTIONS[status]}</a>' for status, link in links.items())
    return (
        f'<h2><a href="{e(item.url, quote=True)}">{e(item.title)}</a></h2>'
        f"<p>Author: <strong>{e(comment.author)}</strong><br>Website: {website}<br>Replies to: {e(answer)}</p>"
        f'<blockquote style="white-space: pre-wrap">{e(comment.body)}</blockquote><p>{buttons}</p><hr>'
    )


def alert_letters(config: NotifyConfig, signer: Signer, items: Sequence[Announced]) -> list[Letter]:
    """One message per moderator announcing `items`."""
    if len(items) == 1:
        subject = f"New comment by {items[0].comment.author} on “{items[0].title}”"
    else:
        subject = f"{len(items)} new comments awaiting moderation"
    letters = []
    for moderator in config.moderators:
        texts, htmls = [], []
        for item in items:
            links = {status: moderation_link(config, signer, item.comment, status, moderator) for status in ACTIONS}
            texts.append(_text_part(item, links))
            htmls.append(_html_part(item, links))
        intro = "These comments await moderation. Each link opens a page that asks you to confirm; it works once."
        text = intro + "\n\n" + "\n\n----\n\n".join(texts)
        page = f'<!doctype html><html><body><p>{html.escape(intro)}</p>{"".join(htmls)}</body></html>'
        letters.append(Letter(moderator.address, subject, text, page, to_name=moderator.name))
    return letters


def webhook_payload(items: Sequence[Announced]) -> dict[str, Any]:
    """The JSON posted to COMMENTS_NOTIFY_WEBHOOK: what arrived, without the action links."""
    return {"event": "comments.pending", "comments": [
        {"article": i.comment.article, "id": i.comment.id, "title": i.title, "url": i.url, "author": i.comment.author,
         "website": i.comment.website, "reply_to": i.comment.reply_to, "excerpt": i.comment.body[:EXCERPT]}
        for i in items]}


def post_webhook(url: str, payload: dict[str, Any]) -> bool:
    """POST the payload as JSON; log (never raise) when it fails. True when it was accepted."""
    request = urllib.request.Request(url, json.dumps(payload).encode("utf-8"),
                                     {"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=WEBHOOK_TIMEOUT) as answer:  # noqa: S310 (an http(s) URL, checked)
            return 200 <= answer.status < 300
    except (URLError, OSError, ValueError) as exc:
        logger.warning("the alert webhook did not take the alert: %s", exc)
        return False


class Alerter:
    """Announces accepted comments to the moderators, batched by the configured interval."""

    def __init__(self, config: NotifyConfig, signer: Signer, queue: MailQueue, comments: Path, tz: tzinfo,
                 articles: Callable[[], dict[str, Any] | None]) -> None:
        """Alerts for comments under `comments`, described with the manifest `articles` returns."""
        self.config = config
        self.signer = signer
        self.queue = queue
        self.comments = comments
        self.tz = tz
        self.articles = articles
        self.book = AlertBook(config.spent_db)

    @property
    def enabled(self) -> bool:
        """Whether anyone is alerted."""
        return bool(self.config.moderators or self.config.webhook)

    def announce(self, comment: Comment) -> bool:
        """Note an accepted comment for the next alert; whether the next alert's time may have changed (none was waiting)."""
        return self.enabled and self.book.add(comment.article, comment.id)

    def next_due(self) -> float | None:
        """When the next alert may go, or None when nothing waits."""
        return self.book.due(self.config.interval)

    def send_due(self, now: float | None = None) -> int:
        """Queue the alert when it is due; return how many comments it announced."""
        now = time.time() if now is None else now
        due = self.next_due()
        if due is None or due > now:
            return 0
        items = [item for item in map(self._describe, self.book.take(now)) if item is not None]
        if not items:
            return 0
        batches = [[item] for item in items] if self.config.interval == 0 else [items]
        for batch in batches:
            for letter in alert_letters(self.config, self.signer, batch):
                self.queue.put(letter)
            if self.config.webhook:
                post_webhook(self.config.webhook, webhook_payload(batch))
        logger.info("moderators alerted of %d comments", len(items))
        return len(items)

    def _describe(self, key: tuple[str, str]) -> Announced | None:
        """A waiting comment as the alert shows it, or None when it is gone or no longer pending."""
        slug, comment_id = key
        path = self.comments / slug / f"{comment_id}.yaml"
        comment, _ = comment_format.read(path, self.tz) if path.is_file() else (None, [])
        if comment is None or comment.status != "pending":
            return None
        entry = (self.articles() or {}).get(slug) or {}
        title = str(entry.get("title") or slug)
        url = f"{self.config.site}/{str(entry.get('url') or '').lstrip('/')}"
        parents = entry.get("comments") or {}
        parent = parents.get(comment.reply_to) if comment.reply_to else None
        return Announced(comment, title, url, str(parent) if parent else None)
