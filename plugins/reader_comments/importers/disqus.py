"""Disqus XML exports: threads and posts, with spam and deleted flags and reply links."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path
from xml.etree.ElementTree import Element

from ..site_model import Site
from . import fields
from .source import Export, SourceComment, SourceError, SourceThread
from .xmlfile import children, load, local, text

PREFIX = "disqus"
DISQUS = "http://disqus.com"
INTERNALS = "{http://disqus.com/disqus-internals}id"
_TRUE = ("true", "1")


def _ref(element: Element, tag: str) -> str | None:
    """The dsq:id a child element such as <thread dsq:id="..."/> points at."""
    child = next((c for c in element if local(c.tag) == tag), None)
    value = child.get(INTERNALS, "").strip() if child is not None else ""
    return value or None


def _status(post: Element) -> str:
    """Spam first, then deleted (rejected); every other post was published."""
    if text(post, "isSpam").lower() in _TRUE:
        return "spam"
    if text(post, "isDeleted").lower() in _TRUE:
        return "rejected"
    return "approved"


def _post(path: Path, post: Element, export: Export) -> tuple[str | None, SourceComment] | None:
    """One <post> and the dsq:id of its thread, or None when it is broken (reported)."""
    source_id = post.get(INTERNALS, "").strip()
    if not source_id:
        export.problems.append(f"{path}: a <post> has no dsq:id")
        return None
    date = fields.from_text(text(post, "createdAt"), UTC)
    if date is None:
        export.problems.append(f"{path}: post {source_id}: <createdAt> {text(post, 'createdAt')!r} is not a date")
        return None
    author = next((c for c in post if local(c.tag) == "author"), None)
    status = _status(post)
    parent = _ref(post, "parent")
    comment = SourceComment(
        fields.source_id(source_id),
        fields.source_id(parent) if parent else None,
        {
            "author": fields.author(text(author, "name") if author is not None else ""),
            "date": date,
            "status": status,
            "body": text(post, "message"),
            "website": None,
        },
        deleted=text(post, "isDeleted").lower() in _TRUE,
    )
    return _ref(post, "thread"), comment


def read(path: Path, site: Site) -> Export:
    """Every thread of a Disqus export with its posts."""
    root = load(path, "Disqus export")
    if root.tag != f"{{{DISQUS}}}disqus":
        raise SourceError(f"{path}: not a Disqus export: the root element must be <disqus> in {DISQUS}")
    export = Export(PREFIX, html_bodies=True)
    threads: dict[str, SourceThread] = {}
    for element in children(root, "thread"):
        dsq_id = element.get(INTERNALS, "").strip()
        link = text(element, "link")
        identifier = text(element, "id")
        threads[dsq_id] = SourceThread(label=link or identifier or f"thread {dsq_id}", url=link or None,
                                       identifiers=(identifier,) if identifier else ())
    for element in children(root, "post"):
        found = _post(path, element, export)
        if found is None:
            continue
        thread_id, comment = found
        thread = threads.get(thread_id or "")
        if thread is None:
            thread = threads[thread_id or ""] = SourceThread(label=f"thread {thread_id} (not in the export)")
        thread.comments.append(comment)
    export.threads.extend(threads.values())
    return export
