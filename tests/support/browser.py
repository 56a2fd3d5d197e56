"""The browser tests' site (the real content plus a ten-deep thread) and a page that records what it did."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pelican.settings import read_settings

from .build import REPO, Build, build_site
from .comments import comment_yaml

SETTINGS = read_settings(str(REPO / "pelicanconf.py"))
MAX_INDENT = SETTINGS["COMMENTS_MAX_INDENT"]
DEEP_SLUG = "deep-thread"
DEEP_URL = f"/2009/{DEEP_SLUG}/"
DEEP_LEVELS = 10
LONG_WORD = "x" * 300
LONG_URL = "https://gracious-guide.example/" + "/".join(f"long-path-segment-{n}" for n in range(12)) + "?q=" + "y" * 80
LONG_CODE = "z" * 120
LONG_AUTHOR = "Bartholomew" + "z" * 67

DEEP_POST = f"""Title: A very long discussion
Date: 2009-03-02 09:00
Category: Correspondence
Slug: {DEEP_SLUG}
Author: Diane Schwartz
Summary: A conversation that goes on, reply after reply.

Some conversations never end. This one goes ten replies deep.
"""

def deep_comment_id(level: int) -> str:
    """The id of the comment at `level` (1 is top-level) of the deep thread."""
    return f"200903{level + 2:02d}T100000-level-{level:02d}"


def deep_comment_text(level: int) -> str:
    """The YAML file of the comment at `level`: each answers the one above; the last two have long words."""
    last = level == DEEP_LEVELS
    author = f"{LONG_AUTHOR}{level:02d}" if level >= DEEP_LEVELS - 1 else f"Reader {level}"
    body = f"Level {level}: {LONG_WORD} and <{LONG_URL}> and `{LONG_CODE}`." if last else f"Reply at level {level}."
    reply_to = deep_comment_id(level - 1) if level > 1 else None
    fields = {"author": author, "date": f"2009-03-{level + 2:02d}T10:00:00-05:00", "status": "approved"}
    return comment_yaml({**fields, "reply_to": reply_to, "body": body + "\n"})


def add_deep_thread(content: Path) -> None:
    """Add an article with a 10-deep thread, whose last comment holds long unbroken words, to `content`."""
    (content / "posts" / f"{DEEP_SLUG}.md").write_text(DEEP_POST, encoding="utf-8")
    folder = content / "comments" / DEEP_SLUG
    folder.mkdir(parents=True)
    for level in range(1, DEEP_LEVELS + 1):
        (folder / f"{deep_comment_id(level)}.yaml").write_text(deep_comment_text(level), encoding="utf-8")


def build_test_site(base: Path, **overrides: Any) -> Build:
    """Copy the real content into `base`, add the deep thread and build it into base/output."""
    content = base / "content"
    shutil.copytree(REPO / "content", content)
    add_deep_thread(content)
    build = build_site(content, base / "output", **overrides)
    assert not build.messages(), build.messages()
    return build


@dataclass
class Visit:
    """A page in its own browser context, with every request and console error it caused."""

    page: Any
    base: str
    requests: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def goto(self, path: str) -> None:
        """Load `path` of the served site and check the answer."""
        response = self.page.goto(self.base + path)
        assert response is not None and response.status == 200, f"{path}: {response and response.status}"

    def widths(self) -> tuple[int, int]:
        """The document's scroll width and the window's client width."""
        return tuple(self.page.evaluate("[document.documentElement.scrollWidth, document.documentElement.clientWidth]"))

    def outside_requests(self) -> list[str]:
        """Requested URLs that are not on the local server (data: URIs are fine)."""
        local = self.base + "/"
        return [url for url in self.requests if not (url.startswith(local) or url.startswith("data:"))]


def record(visit: Visit) -> None:
    """Keep the URL of every request and the text of every console error or uncaught exception."""
    visit.page.context.on("request", lambda request: visit.requests.append(request.url))
    visit.page.on("console", lambda message: message.type == "error" and visit.errors.append(message.text))
    visit.page.on("pageerror", lambda error: visit.errors.append(f"uncaught: {error}"))
