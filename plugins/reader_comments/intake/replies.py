"""What a browser gets back from the intake: the site's own pages, filled in, or a plain page before a build."""

from __future__ import annotations

import html
import logging
from pathlib import Path

from starlette.responses import HTMLResponse

from .. import reader_pages
from ..fileio import read_capped
from .config import Config, origin_of
from .form import LABELS, error_page, refusal_words

logger = logging.getLogger(__name__)

MAX_PAGE_BYTES = 1024 * 1024
# A page holding the form posts back here: a browser names its origin only if the policy allows a same-origin referrer.
FORM_REFERRER = {"referrer-policy": "same-origin"}


def page_policy(site: str) -> str:
    """The Content-Security-Policy of a built page: the site's styles, images and scripts; posts back here only."""
    origin = origin_of(site) or "'none'"
    return (
        f"default-src 'none'; style-src {origin} 'unsafe-inline'; img-src {origin} data:; font-src {origin}; "
        f"script-src {origin}; connect-src 'self'; base-uri {origin}; form-action 'self'; frame-ancestors 'none'"
    )


def typed(form: dict[str, str]) -> dict[str, str]:
    """What the reader typed, as the form's placeholders take it (each field, and the notice choices ticked)."""
    return {name: form.get(name, "") for name in LABELS} | {
        f"{choice}_checked": "checked" if form.get(f"notify_{choice}") else "" for choice in ("published", "replies")}


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
        values = typed(form) | {"back": back, "heading": heading, "advice": advice}
        text = reader_pages.fill(page, values, errors.values(), self.config.site)
        return HTMLResponse(text, status_code=status,
                            headers={**(headers or {}), "content-security-policy": self.policy, **FORM_REFERRER})

    def preview(self, rendered: str, form: dict[str, str], back: str) -> HTMLResponse | None:
        """The preview page: `rendered` (sanitized by the renderer) above the form as the reader filled it; None when not built."""
        page = self.built("preview")
        if page is None:
            return None
        values = typed(form) | {"back": back, "preview": rendered}
        text = reader_pages.fill(page, values, (), self.config.site)
        return HTMLResponse(text, headers={"content-security-policy": self.policy, **FORM_REFERRER})

    def received(self, back: str, title: str, edit_link: str = "") -> HTMLResponse | None:
        """The 'comment received' page linking back to the article (and, given, to the reader's edit link), or None."""
        page = self.built("received")
        if page is None:
            return None
        values = {"back": back, "title": title, "edit_link": edit_link, "edit_hidden": "" if edit_link else "hidden"}
        text = reader_pages.fill(page, values, (), self.config.site)
        return HTMLResponse(text, headers={"content-security-policy": self.policy})

    def edit(self, status: int, values: dict[str, str], errors: tuple[str, ...]) -> HTMLResponse:
        """The reader's page for their pending comment, or a plain page before a build."""
        values = {"back": f"{self.config.site}/", **values}
        page = self.built("edit")
        if page is None:
            return HTMLResponse(plain_edit_page(values, errors), status_code=status,
                                headers={"content-security-policy": PLAIN_EDIT_POLICY, **FORM_REFERRER})
        text = reader_pages.fill(page, values, errors, self.config.site)
        return HTMLResponse(text, status_code=status, headers={"content-security-policy": self.policy, **FORM_REFERRER})


# The plain edit page (before a build) has no styles or scripts; its one form posts back here.
PLAIN_EDIT_POLICY = "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"


def plain_edit_page(values: dict[str, str], errors: tuple[str, ...]) -> str:
    """A small page behind a reader's edit link, before the site is built: what happened, and the form when it applies."""
    e = html.escape
    items = "".join(f"<li>{e(message)}</li>" for message in errors)
    field = "".join(f'<input type="hidden" name="{name}" value="{e(values.get(key, ""), quote=True)}">'
                    for name, key in (("t", "token"), ("digest", "digest")))
    form = "" if values.get("form_hidden") else (
        f'<form method="post" action="{e(values.get("action", ""), quote=True)}">{field}'
        f'<p><label>Name <input name="author" value="{e(values.get("author", ""), quote=True)}"></label></p>'
        f'<p><label>Website <input name="website" value="{e(values.get("website", ""), quote=True)}"></label></p>'
        f'<p><label>Comment <textarea name="body" rows="8">\n{e(values.get("body", ""))}</textarea></label></p>'
        '<p><button name="action" value="save">Save changes</button> <button name="action" value="preview">Preview</button> '
        '<button name="action" value="withdraw">Withdraw this comment</button></p></form>')
    kept = "" if not values.get("form_hidden") or not values.get("body") else (
        f'<p>Your text:</p><textarea readonly rows="8">\n{e(values["body"])}</textarea>')
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><title>{e(values.get("heading", ""))}</title></head><body><h1>{e(values.get("heading", ""))}</h1>'
        f'<p>{e(values.get("message", ""))}</p><ul>{items}</ul><div>{values.get("preview", "")}</div>{form}{kept}'
        f'<p><a href="{e(values.get("back", ""), quote=True)}">Go to the site</a></p></body></html>'
    )
