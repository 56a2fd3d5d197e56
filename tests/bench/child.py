"""Run one Pelican build in this process and print one JSON line: time, peak memory, log counts.

The bench starts this script in a fresh interpreter for every build, so no
in-process state (imports, caches, jinja environments) carries from one build
to the next, and its peak memory is this one build's.

    python child.py CONTENT OUTPUT CACHE [--set NAME=JSON ...] [--stages]
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import sys
import time
from pathlib import Path
from typing import Any

from pelican import Pelican
from pelican.settings import read_settings

REPO = Path(__file__).resolve().parents[2]


class Counter(logging.Handler):
    """Counts warnings and errors, and keeps the first few messages."""

    def __init__(self) -> None:
        """Count from WARNING up."""
        super().__init__(logging.WARNING)
        self.counts = {"warnings": 0, "errors": 0}
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        """Count one record."""
        self.counts["errors" if record.levelno >= logging.ERROR else "warnings"] += 1
        if len(self.messages) < 5:
            self.messages.append(record.getMessage()[:300])


class CacheNote(logging.Handler):
    """Keeps the plugin's debug line saying how much its caches reused."""

    def __init__(self) -> None:
        """Listen from DEBUG up."""
        super().__init__(logging.DEBUG)
        self.note = ""

    def emit(self, record: logging.LogRecord) -> None:
        """Keep the cache line, ignore the rest."""
        message = record.getMessage()
        if message.startswith("Comment caches:"):
            self.note = message


def settings_for(content: Path, output: Path, cache: Path, extra: dict[str, Any]) -> dict[str, Any]:
    """The project's pelicanconf.py with absolute paths and the content cache on."""
    override = {
        "PATH": str(content),
        "OUTPUT_PATH": str(output),
        "CACHE_PATH": str(cache),
        "THEME": str(REPO / "theme"),
        "CACHE_CONTENT": True,
        "LOAD_CONTENT_CACHE": True,
        **extra,
    }
    return read_settings(str(REPO / "pelicanconf.py"), override=override)


def parse_sets(items: list[str]) -> dict[str, Any]:
    """NAME=JSON pairs as a settings dict."""
    out: dict[str, Any] = {}
    for item in items:
        name, _, value = item.partition("=")
        out[name] = json.loads(value)
    return out


def quiet_logging() -> tuple[Counter, CacheNote]:
    """Silence Pelican's console output; count warnings and errors, and keep the plugin's cache line."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
    counter = Counter()
    root.addHandler(counter)
    root.setLevel(logging.WARNING)
    note = CacheNote()
    plugin_logger = logging.getLogger("pelican.plugins.reader_comments.plugin")
    plugin_logger.addHandler(note)
    plugin_logger.setLevel(logging.DEBUG)
    return counter, note


def peak_kb() -> int:
    """This process's peak resident memory in KiB.

    Linux's ru_maxrss also counts the memory of the process that started this
    one (it carries over exec), so VmHWM, which covers this program alone, is
    read when /proc has it.
    """
    try:
        for line in Path("/proc/self/status").read_text(encoding="ascii").splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _cpu() -> float:
    """CPU seconds (user + system) this process and its finished children (a render helper) have used."""
    mine, helpers = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return mine.ru_utime + mine.ru_stime + helpers.ru_utime + helpers.ru_stime


def main(argv: list[str] | None = None) -> int:
    """Build once and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("content", type=Path)
    parser.add_argument("output", type=Path)
    parser.add_argument("cache", type=Path)
    parser.add_argument("--set", action="append", default=[], metavar="NAME=JSON")
    parser.add_argument("--stages", action="store_true", help="time the build stage by stage")
    args = parser.parse_args(argv)
    counter, note = quiet_logging()
    timer = None
    if args.stages:
        from stages import StageTimer

        timer = StageTimer()
        timer.install()
    cpu_start = _cpu()
    start = time.perf_counter()
    settings = settings_for(args.content, args.output, args.cache, parse_sets(args.set))
    Pelican(settings).run()
    seconds = time.perf_counter() - start
    report = {
        "seconds": seconds,
        "cpu_seconds": _cpu() - cpu_start,
        "maxrss_kb": peak_kb(),
        "ru_maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        **counter.counts,
        "messages": counter.messages,
        "cache": note.note,
    }
    if timer is not None:
        report["stages"] = timer.report(seconds)
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
