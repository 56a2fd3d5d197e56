"""What a publish tells readers: compare the previous and the new manifest, and send each notice once.

For each comment published by this publish, its author is told if they asked;
for each published reply, the author of the comment it answers is told if they
asked. `told` in the subscribers database records each notice by comment, so a
rebuild or a second publish sends nothing again. Wishes that can no longer come
true (comment rejected, article closed, past COMMENTS_REPLY_NOTICE_DAYS) end here too. Mail failures are
logged and the messages stay queued; nothing here raises for them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import tzinfo
from pathlib import Path
from typing import Any

from .. import comment_format
from ..comment_format import Comment
from ..errors import ManifestError
from ..manifest import read_manifest
from .config import NotifyConfig
from .links import Signer, load_secret
from .mail import MailQueue
from .readers import published_letter, reply_letter
from .subscribers import Subscribers

logger = logging.getLogger(__name__)


@dataclass(slots=True)
class NoticeReport:
    """What one run did: notices queued, messages delivered, messages still waiting."""

    queued: int = 0
    delivered: int = 0
    waiting: int = 0
    notes: list[str] = field(default_factory=list)


def published_ids(path: Path | None) -> dict[str, dict[str, Any]]:
    """Articles of a manifest (empty when there is none yet); ManifestError when it cannot be read."""
    if path is None or not path.is_file():
        return {}
    try:
        articles = read_manifest(path).get("articles")
    except (OSError, ValueError) as exc:
        raise ManifestError(f"cannot read the manifest {path}: {exc}") from None
    if not isinstance(articles, dict):
        raise ManifestError(f"{path}: 'articles' is not a mapping")
    return articles


def newly_published(previous: dict[str, Any], current: dict[str, Any]) -> list[tuple[str, str]]:
    """(article, comment id) of every comment in `current` that `previous` did not list."""
    fresh = []
    for slug, entry in sorted(current.items()):
        before = set((previous.get(slug) or {}).get("comments") or {})
        fresh += [(slug, cid) for cid in sorted((entry or {}).get("comments") or {}) if cid not in before]
    return fresh


class Notices:
    """Reader notices after a publish."""

    def __init__(self, config: NotifyConfig, comments: Path, tz: tzinfo) -> None:
        """Notices about the comment files under `comments`."""
        self.config = config
        self.comments = comments
        self.tz = tz

    def run(self, previous: Path | None, current: Path) -> NoticeReport:
        """Queue the notices this publish calls for, then deliver what is due."""
        report = NoticeReport()
        if not self.config.subscribers_db.is_file():
            report.notes.append("no reader has asked for notices")
            return report
        subscribers = Subscribers(self.config.subscribers_db)
        signer = Signer(load_secret(self.config.secret_file, self.config.site_root))
        queue = MailQueue(self.config.queue, self.config.sender, self.config.delivery)
        articles = published_ids(current)
        tree = {(c.article, c.id): c for c in comment_format.load_tree(self.comments, self.tz).comments()}
        for slug, cid in newly_published(published_ids(previous), articles):
            comment = tree.get((slug, cid))
            if comment is not None:
                report.queued += self._tell(subscribers, signer, queue, comment, articles[slug])
        self._end_wishes(subscribers, tree, articles)
        subscribers.purge(self.config.reply_days)
        report.delivered = queue.deliver()
        report.waiting = queue.waiting()
        return report

    def _tell(self, subscribers: Subscribers, signer: Signer, queue: MailQueue, comment: Comment,
              entry: dict[str, Any]) -> int:
        """Queue the notices one newly published comment calls for; return how many."""
        title = str(entry.get("title") or comment.article)
        url = f"{self.config.site}/{str(entry.get('url') or '').lstrip('/')}#comment-{comment.id}"
        count = 0
        own = subscribers.wishes(comment.article, comment.id)
        if any(w.published for w in own) and subscribers.first_time(f"published:{comment.article}/{comment.id}"):
            for wish in own:
                if wish.published and wish.confirmed:
                    queue.put(published_letter(self.config, signer, wish.address, wish.address_id, title, url))
                    count += 1
            subscribers.fulfilled(comment.article, comment.id, "published")
        if comment.reply_to:
            mine = {w.address_id for w in own}
            wishes = [w for w in subscribers.wishes(comment.article, comment.reply_to)
                      if w.replies and w.confirmed and w.address_id not in mine]
            if wishes and subscribers.first_time(f"reply:{comment.article}/{comment.id}"):
                for wish in wishes:
                    queue.put(reply_letter(self.config, signer, wish.address, wish.address_id, title, url, comment.author))
                    count += 1
        return count

    @staticmethod
    def _end_wishes(subscribers: Subscribers, tree: dict[tuple[str, str], Comment], articles: dict[str, Any]) -> None:
        """End wishes that cannot come true: the comment rejected, or its article no longer taking comments.

        A comment not found is kept: it may not have reached the published branch yet.
        """
        for slug, cid in subscribers.wished():
            comment = tree.get((slug, cid))
            if comment is None:
                continue
            if comment.status in ("rejected", "spam"):
                subscribers.fulfilled(slug, cid, "all")
            elif (articles.get(slug) or {}).get("mode") != "open":
                subscribers.fulfilled(slug, cid, "replies")
