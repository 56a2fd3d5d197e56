"""The comment a valid file becomes, and the error an invalid one raises."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from ..errors import Problem, ReaderCommentsError

STATUSES = ("pending", "approved", "rejected", "spam")
PUBLISHED = "approved"


@dataclass(frozen=True, slots=True)
class Comment:
    """One valid comment file, as read from disk."""

    id: str
    article: str
    path: Path
    author: str
    date: datetime
    status: str
    body: str
    reply_to: str | None = None
    website: str | None = None
    role: str | None = None
    pinned: bool = False
    digest: str = ""
    extra: dict[str, str | None] = field(default_factory=dict, compare=False)

    @property
    def published(self) -> bool:
        """Whether this comment may appear in any output."""
        return self.status == PUBLISHED


class CommentFileError(ReaderCommentsError, ValueError):
    """A comment file that cannot be read; carries the Problem to report."""

    def __init__(self, problem: Problem) -> None:
        """Carry `problem`; the message is its `path:line: message` form."""
        super().__init__(str(problem))
        self.problem = problem
