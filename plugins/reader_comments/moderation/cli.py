"""The moderation command line: `reader-comments queue|approve|reject|spam|check|reply|pin|unpin`."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sqlite3
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..decisions import ModerationError, Outcome, Record, moderate
from ..errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, ReaderCommentsError, SiteError
from ..site_model import Site, load_site
from .check import look_alikes, survey
from .pin import set_pinned
from .queue import format_queue
from .reply import ROLES, edit_body, find_target, read_body_file, write_reply

ACTIONS = {"approve": "approved", "reject": "rejected", "spam": "spam"}


def cmd_queue(site: Site, now: datetime | None = None, width: int | None = None) -> int:
    """Print the moderation queue; informational, so it exits 0 even when problems are listed."""
    width = width or shutil.get_terminal_size((100, 24)).columns
    sys.stdout.write(format_queue(survey(site), site, now or datetime.now(site.tz), width))
    return EXIT_OK


def cmd_check(site: Site) -> int:
    """Print every problem with comment files, threads and articles; exit 1 if there is any."""
    result = survey(site)
    for problem in result.problems:
        print(problem)
    for warning in look_alikes(result, site):
        print(warning)
    if result.problems:
        count = len(result.problems)
        print(f"{count} problem{'s' * (count != 1)} in {result.files} comment files under {site.comments}")
        return EXIT_PROBLEMS
    print(f"{result.files} comment files OK")
    return EXIT_OK


def cmd_notify(site: Site, previous: Path | None, manifest: Path) -> int:
    """Queue and send the readers' notices a publish calls for; a mail or notice failure is reported, exit 0."""
    from ..notify.config import notify_config
    from ..notify.notices import Notices

    try:
        report = Notices(notify_config(site.settings), site.comments, site.tz).run(previous, manifest)
    except (ReaderCommentsError, OSError, sqlite3.Error) as exc:
        print(f"notices not sent: {exc}", file=sys.stderr)
        return EXIT_OK
    for note in report.notes:
        print(note)
    print(f"notices: {report.queued} queued, {report.delivered} delivered, {report.waiting} waiting to be retried")
    return EXIT_OK


def cmd_moderate(site: Site, ids: Sequence[str], status: str, *args: Any, **kwargs: Any) -> int:
    """Set `status` on every named comment (the rest of `edit.moderate`'s arguments passed on) and say what happened."""
    try:
        outcome = moderate(site, ids, status, *args, **kwargs)
    except ModerationError as exc:
        for message in exc.messages:
            print(f"error: {message}", file=sys.stderr)
        if ids:
            print("No file was changed.", file=sys.stderr)
        return EXIT_USAGE
    report(outcome)
    return EXIT_PROBLEMS if outcome.failed else EXIT_OK


def cmd_reply(site: Site, args: argparse.Namespace) -> int:
    """Write an approved reply (or top-level comment) as the author or a moderator; nothing is written on any error."""
    try:
        target = find_target(site, args.id, args.article)
        if args.body is not None:
            body = args.body
        elif args.file is not None:
            body = read_body_file(args.file)
        else:
            body = edit_body(target, os.environ)
        replied = write_reply(site, target, body, args.role, args.name, commit=args.commit)
    except ModerationError as exc:
        for message in exc.messages:
            print(f"error: {message}", file=sys.stderr)
        print("No file was written.", file=sys.stderr)
        return EXIT_USAGE
    for warning in replied.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    print(f"wrote {replied.comment.path} (approved, role: {args.role})")
    print("Rebuild the site (make html) to see it.")
    report_record(replied.record)
    return EXIT_PROBLEMS if replied.record and replied.record.error else EXIT_OK


def cmd_pin(site: Site, ids: Sequence[str], pinned: bool, commit: bool) -> int:
    """Pin or unpin the named comments and say what happened."""
    try:
        result = set_pinned(site, ids, pinned, commit)
    except ModerationError as exc:
        for message in exc.messages:
            print(f"error: {message}", file=sys.stderr)
        print("No file was changed.", file=sys.stderr)
        return EXIT_USAGE
    word = "pinned" if pinned else "unpinned"
    for warning in result.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for name in result.changed:
        print(f"{word} {name}")
    for name in result.unchanged:
        print(f"{name} is already {word}; left unchanged")
    if result.changed:
        print("Rebuild the site (make html) to see the change.")
    report_record(result.record)
    return EXIT_PROBLEMS if result.record and result.record.error else EXIT_OK


def report(outcome: Outcome) -> None:
    """One line for each warning and each file, then how the decision is (or can be) recorded in git."""
    for warning in outcome.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    for result in outcome.written:
        if result.error:
            print(f"error: {result.label} not changed: {result.error}", file=sys.stderr)
        elif result.old == outcome.status:
            print(f"{result.label} is already {outcome.status}; left unchanged")
        else:
            print(f"{outcome.status} {result.label} (was {result.old})")
    if outcome.changed:
        print("Rebuild the site (make html) to see the change.")
    report_record(outcome.record)


def report_record(record: Record | None) -> None:
    """How a change is (or can be) recorded in git."""
    if record is None:
        return
    if record.error:
        print(f"error: {record.error}", file=sys.stderr)
    elif record.committed:
        print(f"Committed: {record.message}. Publish it with: git push")
    else:
        print("Record the decision in git, then publish it:")
        if record.add:
            print(f"  {record.add}")
        print(f"  {record.command}")
        print("  git push")


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface: queue, approve, reject, spam and check."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--settings", type=Path, default=argparse.SUPPRESS, metavar="FILE",
                        help="Pelican settings file (default: pelicanconf.py in the current folder)")
    common.add_argument("--content", type=Path, default=argparse.SUPPRESS, metavar="DIR",
                        help="content folder, overriding the settings' PATH")
    parser = argparse.ArgumentParser(
        prog="reader-comments", parents=[common],
        description="Moderate reader comments: show the queue, change statuses, check every file.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("queue", parents=[common], help="show pending comments, problems and counts")
    for action, status in ACTIONS.items():
        sub = commands.add_parser(action, parents=[common], help=f"set status: {status}")
        sub.add_argument("ids", nargs="*", metavar="ID", help="<article-slug>/<comment-id> or a file path")
        sub.add_argument("--commit", action="store_true", help="commit the changed files in git, and nothing else")
    commands.add_parser("check", parents=[common], help="validate every comment file; exit 1 on any problem")
    notify = commands.add_parser("notify", parents=[common], help="after a publish, tell readers who asked (never fails it)")
    notify.add_argument("--previous", type=Path, metavar="FILE", help="the manifest before the publish (none: empty)")
    notify.add_argument("--manifest", type=Path, required=True, metavar="FILE", help="the manifest the publish wrote")
    for action in ("pin", "unpin"):
        sub = commands.add_parser(action, parents=[common], help=f"{action} comments: pinned ones show first in their thread")
        sub.add_argument("ids", nargs="*", metavar="ID", help="<article-slug>/<comment-id> or a file path")
        sub.add_argument("--commit", action="store_true", help="commit the changed files in git, and nothing else")
    reply = commands.add_parser("reply", parents=[common], help="write an approved reply as the article's author or a moderator")
    reply.add_argument("id", nargs="?", metavar="ID", help="the comment answered: <article-slug>/<comment-id> or a file path")
    reply.add_argument("--article", metavar="SLUG", help="write a top-level comment on this article instead")
    reply.add_argument("--role", choices=ROLES, default="author", help="the badge the reply carries (default: author)")
    reply.add_argument("--name", help="the name to sign with (default: the article's author, or the first moderator)")
    source = reply.add_mutually_exclusive_group()
    source.add_argument("--body", help="the reply's text (Markdown); without --body or --file, $EDITOR opens")
    source.add_argument("--file", type=Path, help="read the reply's text from this file")
    reply.add_argument("--commit", action="store_true", help="commit the new file in git, and nothing else")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit status."""
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.WARNING)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    args = build_parser().parse_args(argv)
    try:
        site = load_site(getattr(args, "settings", None), getattr(args, "content", None))
    except SiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "queue":
        return cmd_queue(site)
    if args.command == "check":
        return cmd_check(site)
    if args.command == "notify":
        return cmd_notify(site, args.previous, args.manifest)
    if args.command == "reply":
        return cmd_reply(site, args)
    if args.command in ("pin", "unpin"):
        return cmd_pin(site, args.ids, args.command == "pin", args.commit)
    return cmd_moderate(site, args.ids, ACTIONS[args.command], commit=args.commit)
