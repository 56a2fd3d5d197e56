"""The real site, built and served, with the real intake service taking its comments: what a reader meets."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import html5lib

from support.build import REPO, build_site
from support.intake import IntakeServer, free_port
from support.web import serve

ARTICLE = "thank-you-note"
ARTICLE_URL = "2010/thank-you-note/"
ARTICLE_TITLE = "Linking, Following, Friending: Just Send Me a Thank-You Note"
PUBLISHED = "20100601T144200-clay-morgan"


@dataclass
class ReaderSite:
    """The served site's address, the intake service, and the folder its comments go to."""

    site: str
    intake: IntakeServer
    log: Path


@contextmanager
def reader_site(base: Path, rate_limit: int) -> Iterator[ReaderSite]:
    """Build the site with its form posting to a free port, serve it, and run the intake there."""
    port = free_port()
    old = os.environ.get("INBOX_PORT")
    os.environ["INBOX_PORT"] = str(port)
    try:
        build = build_site(shutil.copytree(REPO / "content", base / "content"), base / "output")
    finally:
        os.environ.pop("INBOX_PORT") if old is None else os.environ.update(INBOX_PORT=old)
    with serve(build.output) as site:
        settings = base / "intake_settings.py"
        settings.write_text(f'PATH = "."\nSITEURL = "{site}"\nTIMEZONE = "America/New_York"\n'
                            f"COMMENTS_RATE_LIMIT = {rate_limit}\nCOMMENTS_RATE_WINDOW = 600\n", encoding="utf-8")
        log = base / "intake.log"
        intake = IntakeServer(base / "content" / "comments", build.output / "comments-manifest.json", settings,
                              log=log, fixed_port=port)
        intake.start()
        try:
            yield ReaderSite(site, intake, log)
        finally:
            intake.stop()


def form_values(page: str) -> dict[str, str]:
    """What the page's comment form holds, field by field."""
    tree = html5lib.parse(page, namespaceHTMLElements=False)
    form = tree.find(".//form[@id='comment-form']")
    values = {field.get("name"): field.get("value") or "" for field in form.iter("input")}
    values["body"] = form.find(".//textarea").text or ""
    return values
