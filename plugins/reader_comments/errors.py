"""Problems found in files, the package's one family of exceptions, and the exit codes the commands give.

Domain code raises a `ReaderCommentsError` (or returns `Problem` lists); only a
command's `cli` module prints a message and picks the exit status.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
"""The command did what it was asked."""
EXIT_PROBLEMS = 1
"""Problems were found (`check`), or a write or a commit failed part way."""
EXIT_USAGE = 2
"""The command was not run: a usage error, an unknown id, an invalid file or unusable settings."""


@dataclass(frozen=True, slots=True)
class Problem:
    """Something wrong in one file (or several, for thread errors), at a line when it is known."""

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


class ReaderCommentsError(Exception):
    """The base of every error the plugin, its commands and its service raise on purpose."""


class SiteError(ReaderCommentsError):
    """The site cannot be used: no settings file or content folder, or settings that do not load."""


class SettingsError(ReaderCommentsError, ValueError):
    """A COMMENTS_* setting (or its environment override) has a value that cannot be used; the message names it."""


class ManifestError(ReaderCommentsError, ValueError):
    """The build's manifest for the intake cannot be used."""
