"""Reader comments stored as YAML data files, published as moderated threads.

Pelican loads the plugin as `pelican.plugins.reader_comments` and calls `register()`.
The build side is imported only then, so the intake service and the moderation
commands never load its renderer (nh3, markdown-it) or its views through this package.
"""

from __future__ import annotations


def register() -> None:
    """Connect the plugin's handlers to Pelican's signals."""
    from .plugin import register as connect

    connect()
