"""Plain-language checks of post and page front matter, so a mistake names its file, line and fix."""

from .plugin import register

__all__ = ["register"]
