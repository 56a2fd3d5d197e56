"""Log one line per message, never wrapped by the logger, so a file path stays whole and can be copied."""

from __future__ import annotations

import logging
import sys

from rich.logging import RichHandler

FORMAT = "%(levelname)-8s %(message)s"


class StderrLines(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time, so Pelican's progress display can take it over."""

    @property
    def stream(self):
        """The current standard error."""
        return sys.stderr

    @stream.setter
    def stream(self, _value) -> None:
        """Ignore the stream logging.StreamHandler sets."""


def plain_lines() -> None:
    """Swap the column layout of Pelican's rich log handler for plain lines on standard error."""
    root = logging.getLogger()
    for handler in list(root.handlers):
        if isinstance(handler, RichHandler):
            lines = StderrLines()
            lines.setLevel(handler.level)
            lines.setFormatter(logging.Formatter(FORMAT))
            for log_filter in handler.filters:
                lines.addFilter(log_filter)
            root.removeHandler(handler)
            root.addHandler(lines)


def register() -> None:
    """Pelican loads plugins after setting up logging: adjust it then."""
    plain_lines()
