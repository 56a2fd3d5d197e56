"""A reader's private link over HTTP, for the tests of the intake's edit and removal pages: post, open, act."""

from __future__ import annotations

import html
from pathlib import Path
from urllib.parse import urlencode, urlsplit

from support.git import sh
from support.intake import FORM, IntakeServer, send

SLUG = "dinner-guest"


def remote_log(site: Path) -> list[str]:
    """The commit subjects of the bare remote beside the clone `site`, newest first."""
    return sh(site.parent / "remote.git", "git", "log", "--format=%s", "main").stdout.splitlines()


def post_comment(intake: IntakeServer, author: str, body: str) -> tuple[str, str]:
    """Post a comment on SLUG as a JSON client; its id and its private link."""
    fields = {"article": SLUG, "author": author, "body": body, "website": "", "reply_to": "", "homepage": ""}
    reply = send(intake.port, "POST", "/comments", urlencode(fields), {"Content-Type": FORM, "Accept": "application/json"})
    assert reply.status == 201, reply.body
    return reply.json()["id"], reply.json()["edit"]


def token_of(link: str) -> str:
    """The token in a private link."""
    return urlsplit(link).query.removeprefix("t=")


def act(intake: IntakeServer, fields: dict[str, str], headers: dict[str, str] | None = None) -> tuple[int, str]:
    """POST the link's form; the status and the page, unescaped."""
    reply = send(intake.port, "POST", "/comments/edit", urlencode(fields),
                 {"Content-Type": FORM, "Accept": "text/html", **(headers or {})})
    return reply.status, html.unescape(reply.text)
