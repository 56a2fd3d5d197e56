"""Each article's lead picture, for the thumbnails of search engines and link previews.

Templates get a `lead_image` filter: `article|lead_image` is the absolute address
of the first image in the article's text, else of SITE_IMAGE (a path under the
site, such as `images/card.png`), else None.
"""

from __future__ import annotations

from functools import partial
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin

from pelican import signals


class _FirstImage(HTMLParser):
    """Finds the `src` of the first <img> that has one."""

    def __init__(self) -> None:
        """A parser that has seen no image yet."""
        super().__init__(convert_charrefs=True)
        self.src: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        """Keep the first image's address (an inline data: image is no picture to point to)."""
        if tag != "img" or self.src is not None:
            return
        src = (dict(attrs).get("src") or "").strip()
        if src and not src.lower().startswith("data:"):
            self.src = src


def first_image(html: str) -> str | None:
    """The `src` of the first image in an HTML text, as written."""
    parser = _FirstImage()
    parser.feed(html)
    parser.close()
    return parser.src


def lead_image(settings: dict[str, Any], article: Any) -> str | None:
    """The absolute address of the article's first image, else of SITE_IMAGE, else None."""
    siteurl = str(settings.get("SITEURL") or "").rstrip("/")
    src = first_image(str(article.content or ""))
    if src:
        return urljoin(f"{siteurl}/{article.url}", src)
    default = settings.get("SITE_IMAGE")
    return f"{siteurl}/{str(default).lstrip('/')}" if default else None


def add_filter(generator: Any) -> None:
    """Give the generator's templates the `lead_image` filter."""
    generator.env.filters["lead_image"] = partial(lead_image, generator.settings)


def register() -> None:
    """Add the filter to every generator's templates."""
    signals.generator_init.connect(add_filter)
