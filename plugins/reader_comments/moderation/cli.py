"""The moderation command line: `reader-comments queue|approve|reject|spam|check`."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from . import EXIT_USAGE
from .articles import load_site
from .check import cmd_check
from .edit import cmd_moderate
from .queue import cmd_queue

ACTIONS = {"approve": "approved", "reject": "rejected", "spam": "spam"}


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
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit status."""
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.WARNING)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    args = build_parser().parse_args(argv)
    site, error = load_site(getattr(args, "settings", None), getattr(args, "content", None))
    if site is None:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "queue":
        return cmd_queue(site)
    if args.command == "check":
        return cmd_check(site)
    return cmd_moderate(site, args.ids, ACTIONS[args.command], commit=args.commit)
