"""Plan an import: match threads, derive ids and reply links, and check every file before any is written."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .. import comment_format
from ..comment_format import Comment
from ..names import same_name
from ..site_model import Site
from ..threads import build
from .fields import DELETED_BODY, EMPTY_BODY
from .html_to_md import convert_bodies
from .matching import Articles
from .report import Report
from .source import Export, SourceComment, SourceThread


@dataclass(slots=True)
class Plan:
    """Every file an import would write, and its report (problems there mean nothing may be written)."""

    files: list[comment_format.NewFile] = field(default_factory=list)
    report: Report = field(default_factory=lambda: Report(""))


def _present(folder: Path) -> set[str]:
    """Ids that already have a file in an article folder (valid or not: such a file is never overwritten)."""
    return {comment_format.comment_id(path) for path in _files(folder)}


def _plan_comment(
    source: SourceComment, cid: str, parent: str | None, folder: Path, site: Site, plan: Plan
) -> Comment | None:
    """Write the file's text with the format's own writer and check it with the format's own loader."""
    path = folder / f"{cid}.yaml"
    new, problems = comment_format.check_new(path, comment_format.dump({**source.fields, "reply_to": parent}), site.tz)
    if new is None:
        plan.report.problems.extend(f"{path} (source id {source.source_id}): {p.message}" for p in problems)
        return None
    plan.files.append(new)
    comment = new.comment
    plan.report.imported[comment.status] += 1
    if source.fields.get("body") in (DELETED_BODY, EMPTY_BODY):
        plan.report.placeholders.append(f"{folder.name}/{cid}")
    return comment


def _parent_id(export: Export, source: SourceComment, ids: dict[str, str], present: set[str]) -> str | None:
    """The new id of a comment's parent: in this export, or already imported into the folder; else None."""
    if not source.parent:
        return None
    derived = export.comment_id(source.parent)
    return ids.get(source.parent) or (derived if derived in present else None)


@dataclass(slots=True)
class _Chosen:
    """A source comment that will become a new file, with its id and its parent's id."""

    source: SourceComment
    cid: str
    parent: str | None
    folder: Path


def _choose(export: Export, thread: SourceThread, slug: str, site: Site, plan: Plan, taken: set[tuple[str, str]]) -> list[_Chosen]:
    """The comments of one matched thread that are new to the article folder `slug`."""
    folder = site.comments / slug
    present = _present(folder)
    ids = {c.source_id: export.comment_id(c.source_id) for c in thread.comments}
    chosen = []
    for source in thread.comments:
        cid = ids[source.source_id]
        parent = _parent_id(export, source, ids, present)
        if cid in present:
            plan.report.present += 1
            continue
        if source.parent and parent is None:
            plan.report.orphans.append(f"{slug}/{cid} (its parent {source.parent} is not in the export)")
        if (slug, cid) in taken or not comment_format.is_valid_id(cid):
            plan.report.problems.append(f"{folder / cid}.yaml: comment id {cid!r} is not unique or not valid")
            continue
        taken.add((slug, cid))
        chosen.append(_Chosen(source, cid, parent, folder))
    return chosen


def _check_threads(site: Site, new: dict[str, list[Comment]], plan: Plan) -> None:
    """Thread every touched article with its existing comments, as the build will; report the new files' problems."""
    for slug, comments in new.items():
        existing = comment_format.load_tree(site.comments, site.tz, _files(site.comments / slug))
        everything = [*existing.by_article.get(slug, []), *comments]
        paths = {comment.path for comment in comments}
        plan.report.problems.extend(str(p) for p in build(everything).problems if p.path in paths)


def _files(folder: Path) -> list[Path]:
    """The comment files of one article folder."""
    if not folder.is_dir():
        return []
    return sorted(folder / name for name in os.listdir(folder)
                  if name.endswith(comment_format.EXTENSIONS) and not name.startswith("."))


def mark_authors(chosen: list[_Chosen], articles: Articles) -> None:
    """Give `role: author` to each comment written under the very name of its article's author."""
    for item in chosen:
        name = str(item.source.fields.get("author", ""))
        if any(same_name(name, real) for real in articles.authors.get(item.folder.name, ())):
            item.source.fields["role"] = "author"


def plan_import(export: Export, site: Site, articles: Articles, source: str, authors: bool = False) -> Plan:
    """Everything an import of `export` would write, checked; nothing is written here (`authors`: mark the authors' own comments)."""
    plan = Plan(report=Report(source))
    plan.report.skipped.update(export.skipped)
    plan.report.problems.extend(export.problems)
    chosen: list[_Chosen] = []
    taken: set[tuple[str, str]] = set()
    for thread in export.threads:
        if not thread.comments:
            plan.report.skipped["no-comments"] += 1
            continue
        slug = articles.match(thread)
        if slug is None:
            plan.report.unmatched.append((thread.label, len(thread.comments)))
            continue
        chosen.extend(_choose(export, thread, slug, site, plan, taken))
    if authors:
        mark_authors(chosen, articles)
    if export.html_bodies:
        convert_bodies([item.source for item in chosen])  # only what will be written: a repeat run converts nothing
    new: dict[str, list[Comment]] = {}
    for item in chosen:
        comment = _plan_comment(item.source, item.cid, item.parent, item.folder, site, plan)
        if comment is not None:
            new.setdefault(item.folder.name, []).append(comment)
    _check_threads(site, new, plan)
    return plan
