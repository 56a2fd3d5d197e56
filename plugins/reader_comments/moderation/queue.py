"""The moderation queue: pending comments, oldest first, as a table that fits the terminal."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import datetime, timedelta

from ..comment_format import STATUSES, Comment
from ..names import display_name, visible
from ..render import cost, render_body
from ..settings import options_of, spam_rules_path
from ..site_model import Article, Site
from ..spam import CLEAN, Rules, SpamRulesError, history_of, judge, load_rules
from .check import Survey, look_alikes


def format_age(delta: timedelta) -> str:
    """A short age such as '45m', '5h', '3d' or '2y'."""
    seconds = int(delta.total_seconds())
    if seconds < 0:
        return "future"
    for unit, size in (("y", 365 * 86400), ("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return "0m"


def _char_width(char: str) -> int:
    """Terminal cells one character takes."""
    if unicodedata.combining(char):
        return 0
    return 2 if unicodedata.east_asian_width(char) in "WF" else 1


def text_width(text: str) -> int:
    """Terminal cells a string takes."""
    return sum(_char_width(c) for c in text)


def fit(text: str, width: int) -> str:
    """`text` cut (with an ellipsis) or padded to exactly `width` terminal cells."""
    if text_width(text) <= width:
        return text + " " * (width - text_width(text))
    out, used = [], 0
    for char in text:
        if used + _char_width(char) > width - 1:
            break
        out.append(char)
        used += _char_width(char)
    return "".join(out) + "…" + " " * (width - 1 - used)


def _clean(text: str) -> str:
    """Text for one table cell, as readers see it: no direction controls, invisible characters spelled out."""
    return visible(display_name(text.replace("\t", " ")))


def body_lines(body: str, indent: str) -> list[str]:
    """A pending body as the queue shows it: its size and links, then its whole text, invisibles spelled out."""
    spent = cost(body, render_body(body))
    links = f"{spent.links:,} link{'s' * (spent.links != 1)}"
    lines = [f"{indent}{len(body):,} characters, {spent.source_bytes:,} bytes, {links}; {spent.html_bytes:,} bytes of HTML"]
    lines.extend(f"{indent}| {visible(line)}" for line in body.split("\n"))
    return lines


def first_line(body: str) -> str:
    """The first line of a comment that holds any text."""
    return next((_clean(line) for line in body.splitlines() if line.strip()), "")


def spam_flags(result: Survey, site: Site, pending: Sequence[Comment]) -> tuple[dict[str, str], str | None]:
    """What the spam rules say of each pending comment they flag (by path), or why the rules cannot be read."""
    try:
        rules = load_rules(spam_rules_path(site.settings, site.content))
    except SpamRulesError as exc:
        return {}, str(exc)
    if rules == Rules():
        return {}, None
    protected = [*options_of(site.settings).moderators, *(a for article in result.articles.values() for a in article.authors)]
    history = history_of(result.tree.comments(), protected)
    flags = {}
    for comment in pending:
        verdict = judge(rules, history, comment.author, comment.body, comment.website)
        if verdict.kind != CLEAN:
            flags[str(comment.path)] = f"{verdict.kind}: {'; '.join(verdict.matched)}"
    return flags, None


def parent_line(comment: Comment, comments: dict[tuple[str, str], Comment], width: int) -> str | None:
    """What a reply answers: its parent's author, status and first line, cut to `width` cells; None for a top-level comment."""
    if not comment.reply_to:
        return None
    parent = comments.get((comment.article, comment.reply_to))
    if parent is None:
        return fit(f"in reply to {_clean(comment.reply_to)!r}, which does not exist (see Problems)", width).rstrip()
    said = f"in reply to {_clean(parent.author)} ({parent.status}): "
    return said + fit(f"“{first_line(parent.body)}”", max(10, width - text_width(said))).rstrip()


def format_queue(result: Survey, site: Site, now: datetime, width: int) -> str:
    """The moderation queue as a terminal table (comments the spam rules flag apart), then problems and counts."""
    pending = sorted((c for c in result.tree.comments() if c.status == "pending"), key=lambda c: (c.date, c.article, c.id))
    flags, rules_error = spam_flags(result, site, pending)
    flagged = [c for c in pending if str(c.path) in flags]
    pending = [c for c in pending if str(c.path) not in flags]
    out: list[str] = []
    everything = {(c.article, c.id): c for c in result.tree.comments()}
    if pending:
        out.append(f"Pending comments, oldest first ({len(pending)}):")
        out.append("")
        out.extend(_table(pending, result.articles, site, now, width, everything))
    elif not flagged:
        out.append("No comments are waiting for moderation.")
    if flagged:
        out.append("" if pending else "No other comments are waiting for moderation.")
        if not pending:
            out.append("")
        out.append(f"Pending comments the spam rules flag, oldest first ({len(flagged)}):")
        out.append("")
        out.extend(_table(flagged, result.articles, site, now, width, everything, flags))
    if rules_error:
        out.append("")
        out.append(f"Spam rules not used: {rules_error}")
    if result.problems:
        out.append("")
        out.append(f"Problems ({len(result.problems)}):")
        out.extend(f"  {problem}" for problem in result.problems)
    warnings = look_alikes(result, site)
    if warnings:
        out.append("")
        out.append(f"Names to look at ({len(warnings)}):")
        out.extend(f"  {warning}" for warning in warnings)
    counts = result.count_by_status()
    out.append("")
    summary = ", ".join(f"{counts[s]} {s}" for s in STATUSES)
    invalid = result.invalid_files
    out.append(f"By status: {summary}" + (f"; {invalid} invalid file{'s' * (invalid != 1)}" if invalid else ""))
    if pending or flagged:
        out.append("To approve: set `status: approved` in the file, or run make approve ID=<file path or slug/id>.")
    return "\n".join(out) + "\n"


def _table(pending: Sequence[Comment], articles: dict[str, Article], site: Site, now: datetime, width: int,
           everything: dict[tuple[str, str], Comment], flags: dict[str, str] | None = None) -> list[str]:
    """One row per pending comment, with its file path on the line below it (and, for a reply, what it answers; what flagged it)."""
    rows = []
    for comment in pending:
        article = articles.get(comment.article)
        title = _clean(article.title) if article else f"(no article {comment.article!r})"
        local = comment.date.astimezone(site.tz)
        age = format_age(now - comment.date)
        rows.append((age, local.strftime("%Y-%m-%d %H:%M"), _clean(comment.author), title, first_line(comment.body)))
    headers = ("AGE", "DATE", "AUTHOR", "ARTICLE", "FIRST LINE")
    gap = "  "
    widths = column_widths(headers, rows, width - len(gap) * (len(headers) - 1))
    indent = " " * (widths[0] + len(gap))
    lines = [gap.join(fit(h, w) for h, w in zip(headers, widths, strict=True)).rstrip()]
    for comment, row in zip(pending, rows, strict=True):
        lines.append(gap.join(fit(cell, w) for cell, w in zip(row, widths, strict=True)).rstrip())
        lines.append(f"{indent}{comment.path}")
        answers = parent_line(comment, everything, width - len(indent))
        if answers:
            lines.append(f"{indent}{answers}")
        if flags and str(comment.path) in flags:
            lines.append(f"{indent}flagged by the spam rules: {visible(flags[str(comment.path)])}")
        lines.extend(body_lines(comment.body, indent))
    return lines


def column_widths(headers: Sequence[str], rows: Sequence[Sequence[str]], room: int) -> list[int]:
    """Widths of age, date, author, article and text: names shrink before the text drops below 20 cells."""
    caps, floors = (8, 16, 22, 34), (3, 16, 10, 12)
    widths = [
        min(cap, max(text_width(header), *(text_width(row[i]) for row in rows)))
        for i, (header, cap) in enumerate(zip(headers, caps, strict=False))
    ]
    for index in (3, 2):  # shorten the article title first, then the author
        excess = sum(widths) + 20 - room
        if excess > 0:
            widths[index] = max(floors[index], widths[index] - excess)
    widths.append(max(10, room - sum(widths)))
    return widths
