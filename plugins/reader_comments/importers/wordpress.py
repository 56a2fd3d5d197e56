"""WordPress WXR exports: every post's comments, with WordPress's statuses, dates and reply links."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from urllib.parse import unquote
from xml.etree.ElementTree import Element

from ..site_model import Site
from . import fields
from .html_to_md import autop
from .source import Export, SourceComment, SourceError, SourceThread
from .xmlfile import children, load, local, namespace, text, texts

PREFIX = "wp"
STATUSES = {"1": "approved", "0": "pending", "spam": "spam", "trash": "rejected", "post-trashed": "rejected"}
PINGS = ("pingback", "trackback")
COMMENT_TYPES = ("", "comment")
THREAD_TYPES = ("post", "page")
_WP_NAMESPACE = "wordpress.org/export/"


def _is_wxr(root: Element) -> bool:
    """Whether a document is a WordPress export: an RSS channel with WordPress's export namespace."""
    if local(root.tag) != "rss":
        return False
    channel = next((c for c in root if local(c.tag) == "channel"), None)
    return channel is not None and any(_WP_NAMESPACE in namespace(el.tag) for el in channel.iter())


def _comment(path: Path, item: Element, raw: Element, site: Site, export: Export) -> SourceComment | None:
    """One <wp:comment> as a comment, or None when it is skipped (pingbacks, other types) or broken."""
    values = texts(raw)
    kind = values.get("comment_type", "").lower()
    if kind in PINGS:
        export.skipped["pingback"] += 1
        return None
    if kind not in COMMENT_TYPES:
        export.skipped["other-type"] += 1
        return None
    source_id = values.get("comment_id", "")
    approved = values.get("comment_approved", "").lower()
    if not source_id:
        export.problems.append(f"{path}: a comment on {text(item, 'link') or text(item, 'title')!r} has no wp:comment_id")
        return None
    where = f"{path}: comment {source_id}"
    if approved not in STATUSES:
        export.problems.append(f"{where}: unknown wp:comment_approved {approved!r}")
        return None
    date = fields.from_text(values.get("comment_date_gmt", ""), UTC) or fields.from_text(values.get("comment_date", ""), site.tz)
    if date is None:
        export.problems.append(f"{where}: neither wp:comment_date_gmt nor wp:comment_date is a date")
        return None
    parent = values.get("comment_parent", "")
    return SourceComment(
        fields.source_id(source_id),
        fields.source_id(parent) if parent and parent != "0" else None,
        {
            "author": fields.author(values.get("comment_author", "")),
            "date": date,
            "status": STATUSES[approved],
            "body": autop(values.get("comment_content", "")),
            "website": fields.website(values.get("comment_author_url", "")),
        },
    )


def _thread(path: Path, item: Element, site: Site, export: Export) -> SourceThread | None:
    """One <item> as a thread; None for items that are not posts or pages and have no comments."""
    raw_comments = children(item, "comment")
    if not raw_comments and text(item, "post_type") not in THREAD_TYPES:
        return None
    link = text(item, "link")
    name = unquote(text(item, "post_name"))
    thread = SourceThread(label=link or text(item, "title") or f"post {text(item, 'post_id')}", url=link or None,
                          identifiers=(name,) if name else ())
    for raw in raw_comments:
        comment = _comment(path, item, raw, site, export)
        if comment is not None:
            thread.comments.append(comment)
    return thread


def read(path: Path, site: Site) -> Export:
    """Every post and page of a WXR file with its comments."""
    root = load(path, "WordPress export")
    if not _is_wxr(root):
        raise SourceError(f"{path}: not a WordPress export (WXR): no <rss> channel in WordPress's export namespace")
    export = Export(PREFIX, html_bodies=True)
    channel = next(c for c in root if local(c.tag) == "channel")
    for item in children(channel, "item"):
        thread = _thread(path, item, site, export)
        if thread is not None:
            export.threads.append(thread)
    return export
