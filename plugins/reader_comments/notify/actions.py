"""What a moderator's link does: the same decision as `reader-comments approve|reject|spam`, confirmed by a POST.

Opening a link only reads (`look`); the confirmation (`decide`) spends the link
and calls `decisions.moderate`, the domain function behind the moderation
commands, so the file gets the same byte-preserving edit and the moderator's
name; the caller then records it in git through the intake's own git path.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from .. import comment_format
from ..comment_format import Comment
from ..decisions import ModerationError, Outcome, decision_message, moderate
from ..site_model import Site
from .alerts import ACTIONS, MODERATE_PURPOSE
from .config import Moderator, NotifyConfig
from .links import FORGED, STALE, LinkError, Signer, SpentLinks, check_state

logger = logging.getLogger(__name__)

# The intake reaches the moderation commands' domain code through this module only.
__all__ = ["Decision", "Decisions", "ModerationError", "Outcome", "decision_message"]


@dataclass(frozen=True, slots=True)
class Decision:
    """A genuine, unspent, current moderation link: the comment, the status it sets, and who decides."""

    comment: Comment
    status: str
    moderator: Moderator
    token: str

    @property
    def verb(self) -> str:
        """The button's word: Approve, Reject or Spam."""
        return ACTIONS[self.status]


class Decisions:
    """Reads moderation links and carries them out."""

    def __init__(self, config: NotifyConfig, signer: Signer, spent: SpentLinks, comments: Path, tz: tzinfo) -> None:
        """Decisions on the comment files under `comments`."""
        self.config = config
        self.signer = signer
        self.spent = spent
        self.site = Site(comments.parent, comments, tz, {})

    def look(self, token: str) -> Decision:
        """What the link would do; LinkError when it is forged, expired, used or stale. Changes nothing."""
        claims = self.signer.read(token, MODERATE_PURPOSE)
        status = claims.extra.get("a", "")
        moderator = next((m for m in self.config.moderators if self.signer.digest(m.address) == claims.extra.get("w")), None)
        if status not in ACTIONS:
            raise LinkError(FORGED, "This link does not name a decision.")
        if moderator is None:
            raise LinkError(STALE, "This link was sent to an address that no longer receives the moderators' alerts.")
        self.spent.check(claims)
        slug, _, comment_id = claims.subject.partition("/")
        comment = self._current(slug, comment_id)
        if comment is None:
            raise LinkError(STALE, "This comment no longer exists.")
        check_state(claims, comment.status)
        return Decision(comment, status, moderator, token)

    def decide(self, token: str) -> Outcome:
        """Carry the link's decision out once; LinkError when it cannot be, ModerationError when the edit fails."""
        decision = self.look(token)
        claims = self.signer.read(token, MODERATE_PURPOSE)
        self.spent.spend(claims)
        try:
            outcome = moderate(self.site, [f"{decision.comment.article}/{decision.comment.id}"], decision.status,
                               moderator=decision.moderator.name)
        except ModerationError:
            self.spent.release(claims)
            raise
        if outcome.failed:
            self.spent.release(claims)
        logger.info("%s %s/%s from a moderator's link", decision.status, decision.comment.article, decision.comment.id)
        return outcome

    def _current(self, slug: str, comment_id: str) -> Comment | None:
        """The comment as it is on disk now, or None when it is gone."""
        if not comment_format.is_valid_id(comment_id) or "/" in slug or slug.startswith("."):
            return None
        for extension in comment_format.EXTENSIONS:
            path = self.site.comments / slug / f"{comment_id}{extension}"
            if path.is_file():
                return comment_format.read(path, self.site.tz)[0]
        return None
