"""What every format reader produces: threads of comments with the source's own ids."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import ReaderCommentsError


class SourceError(ReaderCommentsError, ValueError):
    """A source that cannot be imported at all; its message is one line naming the file."""


@dataclass(slots=True)
class SourceComment:
    """One comment as the source holds it, its fields already in this site's form.

    `fields` holds the comment file's fields except `reply_to`: author, date,
    status, body, website (and, from this project's own export, the moderation
    fields). `parent` is the source id of the comment it answers.
    """

    source_id: str
    parent: str | None
    fields: dict[str, str | None]
    deleted: bool = False


@dataclass(slots=True)
class SourceThread:
    """The comments of one source page, with what can match it to an article."""

    label: str
    url: str | None = None
    identifiers: tuple[str, ...] = ()
    comments: list[SourceComment] = field(default_factory=list)


@dataclass(slots=True)
class Export:
    """A whole source: its threads, the id prefix of its comments, what was skipped and what is broken.

    With `html_bodies`, bodies are still the source's HTML; the plan converts
    those of the comments it will write.
    """

    prefix: str
    html_bodies: bool = False
    threads: list[SourceThread] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)

    def comment_id(self, source_id: str) -> str:
        """The comment id a source id becomes (`wp-101`; the id itself for this project's export)."""
        return f"{self.prefix}-{source_id}" if self.prefix else source_id


def require_file(path: Path) -> None:
    """Refuse a source file that is missing or is a folder, naming it."""
    if path.is_dir():
        raise SourceError(f"{path}: is a folder; this format is read from one file")
    if not path.is_file():
        raise SourceError(f"{path}: file not found")


def read_folders(
    path: Path, prefix: str, extensions: tuple[str, ...], read_one: Callable[[Path, Export], SourceComment | None], what: str
) -> Export:
    """A folder of per-post folders of comment files, one thread per folder named after the post."""
    if not path.exists():
        raise SourceError(f"{path}: folder not found")
    if not path.is_dir():
        raise SourceError(f"{path}: not a folder; {what} keeps <post>/<comment> files")
    export = Export(prefix)
    for folder in sorted(p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")):
        thread = SourceThread(label=f"{folder.name} ({folder})", identifiers=(folder.name,))
        for file in sorted(f for f in folder.iterdir() if f.suffix.lower() in extensions and f.is_file()):
            comment = read_one(file, export)
            if comment is not None:
                thread.comments.append(comment)
        export.threads.append(thread)
    if not any(thread.comments for thread in export.threads) and not export.problems:
        raise SourceError(f"{path}: no {what} comments found (<folder>/<post>/<comment> files)")
    return export
