"""The pages the intake service shows readers, built by Pelican from theme templates and filled in per reply.

The build renders each template that the theme provides into the output folder's
`comments-intake/`, named `.html.in`: they are the intake's templates, not pages
for readers, so nothing links to them, the web server refuses them as it refuses
the manifest (deploy/nginx.conf), and HTML checkers and sitemaps leave them alone.
Each has a placeholder such as `[[intake:author]]` wherever the service puts what
the reader typed; the service fills every placeholder in one pass, escaping each value,
so nothing a reader sends is ever read as a placeholder or as markup.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable

# Theme template (without .html), by page.
TEMPLATES = {"error": "intake_error", "received": "intake_received", "link": "intake_link", "preview": "intake_preview",
             "edit": "intake_edit"}
# Where the build writes them: beside the manifest, outside the pages readers browse.
SAVE_AS = {"error": "comments-intake/error.html.in", "received": "comments-intake/received.html.in",
           "link": "comments-intake/link.html.in", "preview": "comments-intake/preview.html.in",
           "edit": "comments-intake/edit.html.in"}
FIELDS = ("article", "author", "website", "reply_to", "body", "back", "title", "heading", "advice",
          # The e-mail field and the two notice choices; the pages for the links in messages.
          "email", "published_checked", "replies_checked",
          "message", "comment_hidden", "action", "form_hidden", "token", "button",
          # The preview page: the comment as the build renders it (already sanitized markup, never escaped again).
          "preview",
          # The reader's private link to a pending comment, and the digest of the file its form was filled from.
          "edit_link", "edit_hidden", "digest")
# Placeholders whose value is markup the renderer has already sanitized, put in as it is.
MARKUP = frozenset({"preview"})
_PLACEHOLDER = re.compile(r"\[\[intake:([a-z_]+)\]\]")


# A title the pages set in double quotation marks gets single ones inside: “A Host’s ‘Quick’ Guide”.
INNER_QUOTES = str.maketrans({"“": "‘", "”": "’"})


def quoted_title(title: str) -> str:
    """A title as it reads inside double quotation marks: its own double marks become single ones."""
    return title.translate(INNER_QUOTES)


def placeholders() -> dict[str, str]:
    """The placeholder text the templates receive for each field (and the list of problems)."""
    return {name: f"[[intake:{name}]]" for name in (*FIELDS, "errors")}


def fill(page: str, values: dict[str, str], errors: Iterable[str] = (), base: str | None = None) -> str:
    """The built page with each placeholder replaced by its value, escaped; unknown ones left empty."""
    items = "".join(f"<li>{html.escape(message)}</li>" for message in errors)

    def value(match: re.Match[str]) -> str:
        """One placeholder's replacement."""
        name = match.group(1)
        if name == "errors":
            return items
        return values.get(name, "") if name in MARKUP else html.escape(values.get(name, ""), quote=True)

    filled = _PLACEHOLDER.sub(value, page)
    if base:
        # The page is served from the service's address; its links and styles belong to the site.
        filled = filled.replace("<head>", f'<head>\n<base href="{html.escape(base, quote=True)}/">', 1)
    return filled
