"""The build's manifest for the intake service: articles, whether they are open, published ids.

The intake service never runs Pelican; it learns what exists from this file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from .errors import ManifestError
from .fileio import atomic_write
from .settings import options_of
from .titles import plain_title

VERSION = 1


def build_manifest(articles: dict[str, list]) -> dict[str, Any]:
    """Slug -> title, URL, open/closed/off and published comment ids."""
    entries: dict[str, Any] = {}
    for slug, group in sorted(articles.items()):
        article = group[0]
        entries[slug] = {
            "title": plain_title(article.title),
            "url": article.url,
            "mode": article.comments_mode,
            "comments": dict(article.comment_authors),
        }
    return {"version": VERSION, "articles": entries}


def write_manifest(output: Path, settings: dict[str, Any], articles: dict[str, list]) -> Path | None:
    """Write the manifest atomically into the output folder."""
    name = options_of(settings).manifest_save_as
    if not name:
        return None
    path = output / name
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, json.dumps(build_manifest(articles), ensure_ascii=False, indent=1).encode("utf-8"))
    return path


def read_manifest(path: Path) -> dict[str, Any]:
    """Load a manifest written by `write_manifest`."""
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("version") != VERSION:
        raise ManifestError(f"{path}: manifest version {data.get('version')!r}, expected {VERSION}")
    return data
