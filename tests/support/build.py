"""Real Pelican builds of fixture sites with the project's theme and plugins, and their parsed output."""

from __future__ import annotations

import logging
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import html5lib
from pelican import Pelican
from pelican.settings import read_settings

REPO = Path(__file__).resolve().parents[2]
FIXTURE_SITE = REPO / "tests" / "fixtures" / "site" / "content"


@dataclass
class Build:
    """The output folder of one real Pelican build and what it logged."""

    output: Path
    records: list[logging.LogRecord] = field(default_factory=list)

    def page(self, relative: str) -> str:
        """The text of one output file."""
        return (self.output / relative).read_text(encoding="utf-8")

    def tree(self, relative: str):
        """One output page parsed as HTML5 (no namespaces, for simple XPath-like walks)."""
        return html5lib.parse(self.page(relative), namespaceHTMLElements=False)

    def messages(self, level: int = logging.WARNING) -> list[str]:
        """Logged messages at `level` or above."""
        return [r.getMessage() for r in self.records if r.levelno >= level]

    def all_text(self) -> str:
        """Every text file of the output, joined (for checks that something never appears)."""
        return "\n".join(p.read_text(encoding="utf-8", errors="replace") for p in self.output.rglob("*") if p.is_file())


class _Collector(logging.Handler):
    """Keeps every record logged during a build."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def build_site(content: Path, output: Path, conf: str = "pelicanconf.py", **overrides) -> Build:
    """Run a real Pelican build of `content` into `output` with the project's theme and plugins."""
    settings = read_settings(
        str(REPO / conf),
        override={
            "PATH": str(content),
            "OUTPUT_PATH": str(output),
            "CACHE_PATH": str(output.parent / (output.name + "-cache")),
            "THEME": str(REPO / "theme"),
            **overrides,
        },
    )
    collector = _Collector()
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(collector)
    root.setLevel(logging.INFO)
    try:
        Pelican(settings).run()
    finally:
        root.removeHandler(collector)
        root.setLevel(old_level)
    return Build(output, collector.records)


def copy_fixture(destination: Path) -> Path:
    """A writable copy of the fixture site's content folder."""
    shutil.copytree(FIXTURE_SITE, destination)
    return destination


COMMENT_TEMPLATE = REPO / "plugins" / "reader_comments" / "templates" / "comments" / "comment.html"


def override_comment_template(overrides: Path, version: str) -> None:
    """Write into `overrides` (a THEME_TEMPLATES_OVERRIDES folder) the plugin's comment.html, its bodies marked data-version=`version`."""
    (overrides / "comments").mkdir(parents=True, exist_ok=True)
    source = COMMENT_TEMPLATE.read_text(encoding="utf-8")
    marked = source.replace('<div class="comment-body"', f'<div data-version="{version}" class="comment-body"')
    (overrides / "comments" / "comment.html").write_text(marked, encoding="utf-8")
