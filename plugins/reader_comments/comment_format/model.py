"""The data types shared by the loader, the threader, the plugin, the commands and the service."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

STATUSES = ("pending", "approved", "rejected", "spam")
PUBLISHED = "approved"


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong with one comment file (or several, for thread errors)."""

    path: Path
    message: str
    line: int | None = None
    related: tuple[Path, ...] = ()
    # The comment field the problem is about, when it is about one.
    field: str | None = None

    def __str__(self) -> str:
        """Render as `path:line: message`, the form editors and terminals link to."""
        where = f"{self.path}:{self.line}" if self.line else f"{self.path}"
        also = "".join(f" (see {p})" for p in self.related)
        return f"{where}: {self.message}{also}"


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
    digest: str = ""
    extra: dict[str, str | None] = field(default_factory=dict, compare=False)

    @property
    def published(self) -> bool:
        """Whether this comment may appear in any output."""
        return self.status == PUBLISHED


class CommentFileError(ValueError):
    """A comment file that cannot be read; carries the Problem to report."""

    def __init__(self, problem: Problem) -> None:
        """Carry `problem`; the message is its `path:line: message` form."""
        super().__init__(str(problem))
        self.problem = problem
