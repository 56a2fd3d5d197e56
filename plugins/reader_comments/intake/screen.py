"""The intake's spam screen: the rules file, read again when it changes, what it compares with, and maybe Akismet.

Akismet is asked only when COMMENTS_AKISMET_KEY is set (`akismet_check`).

Names already approved come from the build's manifest; texts already marked spam
from the comment files (read again every RESCAN_SECONDS, and each spam the
service itself writes is remembered at once). A rules file that cannot be used
is logged and the last good rules are kept, so a typo never stops comments.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Any

from .. import comment_format
from ..spam import CLEAN, SPAM, History, Rules, SpamRulesError, Verdict, judge, load_rules
from .akismet_check import AkismetCheck

logger = logging.getLogger(__name__)

RESCAN_SECONDS = 300.0


@dataclass(frozen=True, slots=True)
class Asked:
    """What only Akismet is told of a submission: who sent it and from where, and the article's address."""

    ip: str
    user_agent: str
    permalink: str


class Screen:
    """Judges submissions with the current rules; nothing here blocks a comment, it only sorts it."""

    def __init__(self, rules_path: Path | None, comments: Path, protected: tuple[str, ...],
                 clock: Callable[[], float] = time.monotonic, akismet: AkismetCheck | None = None) -> None:
        """Screen with the rules at `rules_path`, against the spam found under `comments` and the `protected` names."""
        self.akismet = akismet
        self.rules_path = rules_path
        self.comments = comments
        self.protected = protected
        self._clock = clock
        self._rules = Rules()
        self._stamp: tuple[int, int] | None = None
        self._spam_texts: set[str] = set()
        self._scanned_at: float | None = None
        self._manifest_id: int | None = None
        self._approved: set[str] = set()

    def rules(self) -> Rules:
        """The rules file as it is now, re-read when it changed; the last good rules when it is unusable."""
        if self.rules_path is None:
            return self._rules
        try:
            info = self.rules_path.stat()
            stamp = (info.st_mtime_ns, info.st_size)
        except OSError:
            stamp = (0, 0)
        if stamp != self._stamp:
            self._stamp = stamp
            try:
                self._rules = load_rules(self.rules_path)
                logger.info("spam rules read from %s", self.rules_path)
            except SpamRulesError as exc:
                logger.error("spam rules not changed: %s", exc)
        return self._rules

    def _rescan(self) -> None:
        """Read the fingerprints of every comment marked spam, when the last reading is old."""
        now = self._clock()
        if self._scanned_at is not None and now - self._scanned_at < RESCAN_SECONDS:
            return
        self._scanned_at = now
        tree = comment_format.load_tree(self.comments, UTC)  # only the bodies are used
        history = History()
        for comment in tree.comments():
            if comment.status == "spam":
                history.add_spam(comment.body)
        self._spam_texts |= history.spam_texts

    def history(self, articles: dict[str, Any] | None) -> History:
        """What the rules compare with: approved names from the manifest, spam texts from the files."""
        if articles is not None and id(articles) != self._manifest_id:
            self._manifest_id = id(articles)
            history = History()
            for entry in articles.values():
                names = entry.get("comments") if isinstance(entry, dict) else None
                for name in (names or {}).values():
                    if isinstance(name, str):
                        history.add_approved(name)
            self._approved = history.approved_names
        if self.rules().repeated:
            self._rescan()
        return History(self._approved, self._spam_texts, self.protected)

    def judge(self, articles: dict[str, Any] | None, author: str, body: str, website: str | None,
              asked: Asked | None = None) -> Verdict:
        """The rules' verdict on one submission (clean when there are no rules); then Akismet's, when it is on."""
        rules = self.rules()
        verdict = Verdict(CLEAN) if rules == Rules() else judge(rules, self.history(articles), author, body, website)
        if verdict.kind == SPAM or self.akismet is None or asked is None:
            return verdict
        if self.akismet.is_spam(asked.ip, asked.user_agent, author, website, body, asked.permalink):
            return Verdict(SPAM, (*verdict.matched, "Akismet says spam"))
        return verdict

    def remember_spam(self, body: str) -> None:
        """Remember a text the service has just written as spam."""
        history = History()
        history.add_spam(body)
        self._spam_texts |= history.spam_texts
