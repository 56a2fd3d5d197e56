"""What a browser gets back from the intake: the site's own pages, filled in, or a plain page before a build."""

from __future__ import annotations

import logging
from pathlib import Path

from starlette.responses import HTMLResponse

from .. import reader_pages
from ..fileio import read_capped
from .config import Config, origin_of
from .form import LABELS, error_page, refusal_words

logger = logging.getLogger(__name__)

MAX_PAGE_BYTES = 1024 * 1024


def page_policy(site: str) -> str:
    """The Content-Security-Policy of a built page: the site's styles, images and scripts; posts back here only."""
    origin = origin_of(site) or "'none'"
    return (
        f"default-src 'none'; style-src {origin} 'unsafe-inline'; img-src {origin} data:; font-src {origin}; "
        f"script-src {origin}; base-uri {origin}; form-action 'self'; frame-ancestors 'none'"
    )


class ReaderPages:
    """The error and received pages of the last build, read when they are needed."""

    def __init__(self, config: Config) -> None:
        """Pages for the site `config` describes."""
        self.config = config
        self.policy = page_policy(config.site)

    def has(self, page: str) -> bool:
        """Whether the last build wrote the page (a stat, not a read: asked on every accepted post)."""
        return (self.config.output / reader_pages.SAVE_AS[page]).is_file()

    def built(self, page: str) -> str | None:
        """The built page's text, or None when the theme has no such page or the site is not built yet."""
        path: Path = self.config.output / reader_pages.SAVE_AS[page]
        try:
            data = read_capped(path, MAX_PAGE_BYTES)
        except OSError:
            return None
        if len(data) > MAX_PAGE_BYTES:
            logger.warning("%s is larger than %d bytes; showing the plain page", path, MAX_PAGE_BYTES)
            return None
        return data.decode("utf-8", "replace")

    def error(self, status: int, errors: dict[str, str], form: dict[str, str], back: str,
              headers: dict[str, str] | None) -> HTMLResponse:
        """The 'not sent' page with every field the reader typed kept, or the plain page."""
        page = self.built("error")
        if page is None:
            return HTMLResponse(error_page(errors, back, form.get("body", ""), status), status_code=status, headers=headers)
        heading, advice = refusal_words(status)
        values = {name: form.get(name, "") for name in LABELS} | {"back": back, "heading": heading, "advice": advice} | {
            f"{choice}_checked": "checked" if form.get(f"notify_{choice}") else "" for choice in ("published", "replies")}
        text = reader_pages.fill(page, values, errors.values(), self.config.site)
        return HTMLResponse(text, status_code=status, headers={**(headers or {}), "content-security-policy": self.policy})

    def received(self, back: str, title: str) -> HTMLResponse | None:
        """The 'comment received' page linking back to the article, or None when it is not built."""
        page = self.built("received")
        if page is None:
            return None
        text = reader_pages.fill(page, {"back": back, "title": title}, (), self.config.site)
        return HTMLResponse(text, headers={"content-security-policy": self.policy})
