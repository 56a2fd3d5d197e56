"""Internal {filename} links that point to no file, named with the post that holds them."""

from __future__ import annotations

import logging
from pathlib import Path

from pelican.plugins.reader_comments.errors import Problem

from .front_matter import closest

# Pelican's own warning names the missing target but not the post; this plugin reports it instead.
PELICAN_MESSAGE = "Unable to find '%s', skipping url replacement."
CHECKED = ("filename",)
CONTEXT_KEYS = {"filename": "generated_content"}


class HeldBack(logging.Filter):
    """Collects Pelican's unnamed missing-link warnings while a post is checked, and drops them."""

    def __init__(self) -> None:
        """Start collecting nothing: only missing_targets turns collection on."""
        super().__init__()
        self.found: list[str] | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        """Keep every other record; collect and drop the missing-link one."""
        if record.msg != PELICAN_MESSAGE:
            return True
        if self.found is not None and isinstance(record.args, tuple):
            self.found.append(str(record.args[0]))
        return False


HELD = HeldBack()


def hold_back_pelican_warning() -> None:
    """Put the filter first on Pelican's content logger, before its duplicate limiter."""
    filters = logging.getLogger("pelican.contents").filters
    if HELD not in filters:
        filters.insert(0, HELD)


def missing_targets(content) -> list[tuple[str, str]]:
    """(kind, link) for each {filename} link of `content` that Pelican cannot resolve."""
    text = getattr(content, "_content", None) or ""
    links = [m for m in content._get_intrasite_link_regex().finditer(text) if m.group("what") in CHECKED]
    missing = []
    for match in links:
        HELD.found = []
        try:
            content._update_content(match.group(0), content.get_siteurl())
        finally:
            found, HELD.found = HELD.found, None
        if found:
            missing.append((match.group("what"), match.group("path")))
    return missing


def line_of(path: Path, needle: str) -> int | None:
    """The first line of a file that holds `needle`."""
    try:
        lines = path.read_text(encoding="utf-8-sig", errors="replace").splitlines()
    except OSError:
        return None
    return next((number for number, line in enumerate(lines, start=1) if needle in line), None)


def broken_links(content, shown: Path, context: dict) -> list[Problem]:
    """One problem per link of `content` that points to no file, with the likeliest file meant."""
    problems = []
    for kind, link in missing_targets(content):
        target = link.split("}", 1)[1]
        guess = closest(target.lstrip("/"), context.get(CONTEXT_KEYS[kind], {}))
        hint = f"; did you mean '{{{kind}}}/{guess}'?" if guess else ""
        text = f"the link '{link}' points to no file{hint}"
        problems.append(Problem(shown, text, line_of(Path(content.source_path), link)))
    return problems
