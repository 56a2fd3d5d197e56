"""The import and export commands.

    reader-comments-migrate import FORMAT FILE [--dry-run] [--map CSV] [--mark-authors]
    reader-comments-migrate export FILE

(`python -m pelican.plugins.reader_comments.importers` is the same command.)

FORMAT is wordpress, disqus, isso, staticman, pcs or json. Everything is read
and checked first; files are written only when the whole import is valid.
Exit status: 0 on success; 1 when the import has problems (nothing written);
2 for a source or settings that cannot be used at all.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from .. import comment_format
from ..errors import EXIT_OK, EXIT_PROBLEMS, EXIT_USAGE, SiteError
from ..site_model import Site, load_site
from . import disqus, export, isso, jsonfmt, pcs, staticman, wordpress
from .matching import load_articles, read_map
from .plan import Plan, plan_import
from .source import Export, SourceError

READERS: dict[str, Callable[[Path, Site], Export]] = {
    "wordpress": wordpress.read,
    "disqus": disqus.read,
    "isso": isso.read,
    "staticman": staticman.read,
    "pcs": pcs.read,
    "json": jsonfmt.read,
}


def write(plan: Plan, site: Site) -> str | None:
    """Create every planned (and checked) file, all or none (`comment_format.write_new_all`); the reason it failed, or None.

    The files are flushed to disk together and each folder once, so ten thousand
    new files cost ten thousand flushes of data, not twenty thousand flushes in turn.
    """
    if not plan.files:
        return None
    created: list[Path] = []
    try:
        for folder in [site.comments, *sorted({planned.path.parent for planned in plan.files})]:
            if not folder.is_dir():
                folder.mkdir(parents=True)
                created.append(folder)
        comment_format.write_new_all(plan.files)
    except OSError as exc:
        return _undo(created, f"cannot write {exc.filename or site.comments}: {exc.strerror}")
    return None


def _undo(folders: list[Path], reason: str) -> str:
    """Remove the article folders this import created (empty again after a failed write); say nothing was written."""
    for folder in reversed(folders):
        with contextlib.suppress(OSError):
            folder.rmdir()
    return f"{reason}; nothing was written"


def run_import(site: Site, kind: str, source: Path, dry_run: bool = False, map_file: Path | None = None,
               authors: bool = False) -> int:
    """Import one source into the site's comments folder; print the report."""
    try:
        articles = load_articles(site)
        if map_file is not None:
            articles.overrides = read_map(map_file, articles)
        data = READERS[kind](source, site)
    except SourceError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    plan = plan_import(data, site, articles, f"{kind} {source}", authors=authors)
    print("\n".join(plan.report.lines(dry_run or bool(plan.report.problems))))
    if plan.report.problems:
        for problem in plan.report.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(f"{len(plan.report.problems)} problem(s): nothing was written.", file=sys.stderr)
        return EXIT_PROBLEMS
    if dry_run:
        print("Dry run: nothing was written.")
        return EXIT_OK
    error = write(plan, site)
    if error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"Wrote {len(plan.files)} comment files under {site.comments}. Check them with make check-comments.")
    return EXIT_OK


def run_export(site: Site, path: Path) -> int:
    """Write every comment to one JSON file; print what was done or why nothing was."""
    try:
        count = export.write_export(site, path)
    except export.ExportError as exc:
        for problem in exc.problems:
            print(f"error: {problem}", file=sys.stderr)
        print(exc if exc.problems else f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS if exc.problems else EXIT_USAGE
    print(f"Exported {count} comments to {path}.")
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    """The command line: import and export."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--settings", type=Path, default=None, metavar="FILE",
                        help="Pelican settings file (default: pelicanconf.py in the current folder)")
    common.add_argument("--content", type=Path, default=None, metavar="DIR", help="content folder, overriding PATH")
    parser = argparse.ArgumentParser(prog="reader-comments-migrate",
                                     description="Import comments from other systems, or export them all as JSON.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    imp = commands.add_parser("import", parents=[common], help="import comments from another system's export")
    imp.add_argument("format", choices=sorted(READERS), help="the source's format")
    imp.add_argument("file", type=Path, help="the export file, database or folder")
    imp.add_argument("--dry-run", action="store_true", help="print the report and write nothing")
    imp.add_argument("--map", type=Path, default=None, metavar="CSV", help="old URL or identifier,slug rows")
    imp.add_argument("--mark-authors", action="store_true",
                     help="give role: author to comments written under the exact name of their article's author")
    exp = commands.add_parser("export", parents=[common], help="write every comment as one JSON file")
    exp.add_argument("file", type=Path, help="the JSON file to write")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; return the exit status."""
    logging.basicConfig(format="%(levelname)s: %(message)s", level=logging.WARNING)
    args = build_parser().parse_args(argv)
    try:
        site = load_site(args.settings, args.content)
    except SiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if args.command == "export":
        return run_export(site, args.file)
    return run_import(site, args.format, args.file, args.dry_run, args.map, args.mark_authors)
