"""Reader comments stored as YAML data files, published as moderated threads."""

from .plugin import register

__all__ = ["register"]
