"""The notices inside the intake: alerts on accepted comments, the reader's confirmation, and a delivery thread.

The thread wakes when something is queued, when the next alert or retry is
due, and at least every PURGE_SECONDS to delete unconfirmed addresses; it stops
with the service. Nothing a mail server does can fail a reader's post or a
moderator's action: messages wait in the queue.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from collections.abc import Callable
from datetime import tzinfo
from pathlib import Path
from typing import Any

from ..comment_format import Comment
from .actions import Decisions
from .alerts import Alerter
from .config import NotifyConfig
from .links import LinkError, Signer, SpentLinks, load_secret
from .mail import MailQueue
from .readers import CONFIRM_PURPOSE, UNSUBSCRIBE_PURPOSE, ReaderChoice, confirmation_letter
from .subscribers import Subscribers

logger = logging.getLogger(__name__)

PURGE_SECONDS = 3600.0


class Notifier:
    """Everything the intake does with notices."""

    def __init__(self, config: NotifyConfig, comments: Path, tz: tzinfo,
                 articles: Callable[[], dict[str, Any] | None] = lambda: None) -> None:
        """Notices for comments under `comments`; `articles` gives the manifest's articles (the intake sets it). Reads nothing yet."""
        self.config = config
        self.comments = comments
        self.tz = tz
        self.articles = articles
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.opened = False

    def open(self) -> None:
        """Load (or create) the secret and open the databases; SettingsError, OSError or sqlite3.Error when it cannot."""
        self.config.state.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.signer = Signer(load_secret(self.config.secret_file, self.config.site_root))
        self.spent = SpentLinks(self.config.spent_db)
        self.subscribers = Subscribers(self.config.subscribers_db)
        self.queue = MailQueue(self.config.queue, self.config.sender, self.config.delivery)
        # Late-bound: the intake hands over its manifest after opening.
        self.alerter = Alerter(self.config, self.signer, self.queue, self.comments, self.tz, lambda: self.articles())
        self.decisions = Decisions(self.config, self.signer, self.spent, self.comments, self.tz)
        self.opened = True

    def start(self) -> None:
        """Open everything (when the caller did not already) and start the delivery thread."""
        if not self.opened:
            self.open()
        self.subscribers.purge(self.config.reply_days)
        logger.info("notices: %d moderators alerted, %s; messages go to %s",
                    len(self.config.moderators),
                    f"at most every {self.config.interval:g} s" if self.config.interval else "one per comment",
                    self.config.delivery.describe())
        self._thread = threading.Thread(target=self._loop, name="comments-mail", daemon=True)
        self._thread.start()

    def close(self, timeout: float = 30.0) -> None:
        """Stop the delivery thread after one last pass."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def has_work(self, choice: ReaderChoice | None) -> bool:
        """Whether a stored comment gives the notices anything to do: an alert to note, or the reader's wish to record."""
        return self.alerter.enabled or (choice is not None and (choice.published or choice.replies))

    def accepted(self, comment: Comment, choice: ReaderChoice | None, edit_link: str | None = None) -> None:
        """A comment was stored: announce it, and record the reader's wish (asking to confirm a new address, with `edit_link`)."""
        sooner = self.alerter.announce(comment)
        queued = False
        if choice is not None and (choice.published or choice.replies):
            address_id, ask = self.subscribers.add(choice.address, comment.article, comment.id,
                                                   choice.published, choice.replies)
            if ask:
                entry = (self.articles() or {}).get(comment.article) or {}
                title = str(entry.get("title") or comment.article)
                self.queue.put(confirmation_letter(self.config, self.signer, choice.address, address_id, title, edit_link))
                queued = True
        # Woken only when something may be sent sooner than it planned (a first comment waiting for an alert, a letter):
        # each pass reads the alerts' database and the mail queue. Later comments join the alert already waiting.
        if queued or sooner:
            self._wake.set()

    def reader_link(self, token: str, purpose: str) -> int:
        """The address row a confirm or unsubscribe link names, when it is genuine and the address is kept; LinkError."""
        claims = self.signer.read(token, purpose)
        address_id = int(claims.subject) if claims.subject.isdigit() else -1
        if not self.subscribers.exists(address_id):
            raise LinkError("stale", "This address is no longer stored: there is nothing left to do.")
        return address_id

    def confirm(self, token: str) -> None:
        """Confirm the address a link names; LinkError when it cannot be."""
        self.subscribers.confirm(self.reader_link(token, CONFIRM_PURPOSE))
        logger.info("a reader confirmed an address")

    def unsubscribe(self, token: str) -> None:
        """Delete the address a link names and everything it asked for; LinkError when it is not stored."""
        self.subscribers.remove(self.reader_link(token, UNSUBSCRIBE_PURPOSE))
        logger.info("a reader unsubscribed; the address is deleted")

    def _loop(self) -> None:
        """Send alerts and deliver the queue whenever woken or due, until stopped."""
        last_purge = time.time()
        while True:
            stopping = self._stop.is_set()
            self._pass()
            if time.time() - last_purge >= PURGE_SECONDS:
                self.subscribers.purge(self.config.reply_days)
                last_purge = time.time()
            if stopping:
                return
            self._wake.wait(self._pause())
            self._wake.clear()

    def _pass(self) -> None:
        """One round: queue a due alert, deliver what is due; a failure is logged, never raised."""
        try:
            self.alerter.send_due()
            self.queue.deliver()
        except (OSError, ValueError, sqlite3.Error) as exc:
            logger.error("notices: %s", exc)

    def _pause(self) -> float:
        """Seconds until the next thing is due (at most PURGE_SECONDS)."""
        dues = [d for d in (self.alerter.next_due(), self.queue.next_due()) if d is not None]
        return max(0.05, min([PURGE_SECONDS, *(d - time.time() for d in dues)]))
