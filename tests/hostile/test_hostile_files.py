"""Broken and hostile comment files: through the loader, the build (lenient and strict) and the moderation commands.

Every case must give a clear error naming the file (and the line, when there is
one), never a traceback, never a hang, and cost nothing else: the good comments
beside it still publish, and a moderation command that meets it changes no file.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from corpus import BAD_FILES, ODD_FILES, ODD_NAMES, BadFile

from hostile_support import bad_file_name, bounded, good_file, pending_file, write_bytes
from pelican.plugins.reader_comments import comment_format, site_model
from pelican.plugins.reader_comments.moderation import cli
from pelican.plugins.reader_comments.threads import build as build_thread
from support.build import REPO, Build, build_site, copy_fixture

TZ = ZoneInfo("America/New_York")
ARTICLE = "delta"
PAGE = "2020/delta/index.html"
FILE_CASES = [case for case in BAD_FILES if not case.thread]
THREAD_CASES = [case for case in BAD_FILES if case.thread]
GOOD_NEIGHBOURS = {f"good-{n}": f"GOOD-NEIGHBOUR-{n} still publishes." for n in range(3)}
LIMIT = 2.0


def where(path: Path, line: int | None) -> str:
    """How a problem message starts: `path:line: ` or `path: `."""
    return f"{path}:{line}: " if line else f"{path}: "


# ---------------------------------------------------------------- the loader, directly


@pytest.mark.parametrize("case", FILE_CASES, ids=[case.name for case in FILE_CASES])
def test_loader_gives_a_clear_error(tmp_path: Path, case: BadFile) -> None:
    path = write_bytes(tmp_path / ARTICLE, bad_file_name(case), case.data)
    (comment, problems), elapsed = bounded(LIMIT, comment_format.read, path, TZ)
    assert comment is None
    assert problems, "refused without a reason"
    assert any(case.words in p.message and p.line == case.line for p in problems), [str(p) for p in problems]
    for problem in problems:
        assert str(problem).startswith(str(path)), problem
        assert "\n" not in str(problem) and "Traceback" not in str(problem)
    assert elapsed < LIMIT


@pytest.mark.parametrize("case", THREAD_CASES, ids=[case.name for case in THREAD_CASES])
def test_thread_problems_name_the_file(tmp_path: Path, case: BadFile) -> None:
    path = write_bytes(tmp_path / ARTICLE, bad_file_name(case), case.data)
    neighbour = write_bytes(tmp_path / ARTICLE, "good-0.yaml", good_file("Neighbour", "Fine."))
    comments = [comment_format.read(p, TZ)[0] for p in (path, neighbour)]
    thread = build_thread(comments)
    assert any(case.words in p.message and p.path == path for p in thread.problems)
    assert [n.id for n in thread.published] == ["good-0"]


@pytest.mark.parametrize("name", ODD_NAMES)
def test_yaml_11_words_stay_text(tmp_path: Path, name: str) -> None:
    path = write_bytes(tmp_path / ARTICLE, "odd.yaml", f"author: {name}\ndate: 2020-02-01T09:00:00\nstatus: approved\nbody: x\n".encode())
    comment, problems = comment_format.read(path, TZ)
    assert problems == [] and comment is not None
    assert comment.author == name


# ---------------------------------------------------------------- one lenient build with every case


@dataclass
class BrokenSite:
    """The fixture site with every bad file, the odd-but-valid files and good neighbours on one article."""

    content: Path
    build: Build
    paths: dict[str, Path]


def write_all(folder: Path) -> dict[str, Path]:
    """Write every bad file, odd name, odd file and good neighbour into `folder`."""
    paths = {case.name: write_bytes(folder, bad_file_name(case), case.data) for case in BAD_FILES}
    for n, name in enumerate(ODD_NAMES):
        data = f"author: {name}\ndate: 2020-02-01T09:00:00\nstatus: approved\nbody: ODD-NAME-{n}\n".encode()
        paths[f"odd-name-{n}"] = write_bytes(folder, f"odd-name-{n}.yaml", data)
    for name, data in ODD_FILES:
        paths[f"odd-{name}"] = write_bytes(folder, f"odd-{name}.yaml", data)
    for cid, body in GOOD_NEIGHBOURS.items():
        paths[cid] = write_bytes(folder, f"{cid}.yaml", good_file("Neighbour", body))
    return paths


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> BrokenSite:
    """The broken site, built once with the development (lenient) settings."""
    base = tmp_path_factory.mktemp("broken")
    content = copy_fixture(base / "content")
    paths = write_all(content / "comments" / ARTICLE)
    started = time.perf_counter()
    build = build_site(content, base / "output")
    assert time.perf_counter() - started < 60
    return BrokenSite(content, build, paths)


@pytest.mark.parametrize("case", BAD_FILES, ids=[case.name for case in BAD_FILES])
def test_lenient_build_warns_naming_file_and_line(broken: BrokenSite, case: BadFile) -> None:
    prefix = where(broken.paths[case.name], case.line)
    warnings = [m for m in broken.build.messages() if prefix in m]
    assert any(case.words in m for m in warnings), f"no warning starting {prefix!r} with {case.words!r}"
    assert f'id="comment-{broken.paths[case.name].stem}"' not in broken.build.page(PAGE)


def test_lenient_build_keeps_everything_else(broken: BrokenSite) -> None:
    page = broken.build.page(PAGE)
    for body in GOOD_NEIGHBOURS.values():
        assert body in page
    for n in range(len(ODD_NAMES)):
        assert f"ODD-NAME-{n}" in page
        assert f'id="comment-odd-name-{n}"' in page
    tree = broken.build.tree(PAGE)
    names = {a.get("id"): "".join(a.find(".//bdi").itertext()) for a in tree.iter("article") if a.find(".//bdi") is not None}
    for n, name in enumerate(ODD_NAMES):
        assert names[f"comment-odd-name-{n}"] == name
    for name, _ in ODD_FILES:
        assert names[f"comment-odd-{name}"] == "Case"
    assert "First! A" in broken.build.page("2020/alpha/index.html")
    for record in broken.build.records:
        assert record.exc_info is None, record.getMessage()
    assert not any("Traceback" in m for m in broken.build.messages())


# ---------------------------------------------------------------- strict: the real pelican command, once


def run(args: list[str], cwd: Path, timeout: float = 120) -> tuple[subprocess.CompletedProcess[str], float]:
    """Run a Python module command with the plugins importable; return the result and the seconds it took."""
    env = {**os.environ, "COLUMNS": "2000", "TERM": "dumb"}
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-m", *args], cwd=cwd, env=env, capture_output=True, text=True,
                            timeout=timeout)
    return result, time.perf_counter() - started


def test_strict_build_exits_1_naming_every_file(broken: BrokenSite, tmp_path: Path) -> None:
    result, elapsed = run(["pelican", str(broken.content), "-o", str(tmp_path / "out"), "-s",
                           str(REPO / "publishconf.py"), "--cache-path", str(tmp_path / "cache")], cwd=REPO)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "Traceback" not in output
    missing = [case.name for case in BAD_FILES if where(broken.paths[case.name], case.line) not in output]
    assert missing == [], output[-3000:]
    assert "strict mode (COMMENTS_STRICT) stops the build" in output
    assert elapsed < 60


# ---------------------------------------------------------------- the moderation commands


def test_moderate_check_names_every_file(broken: BrokenSite) -> None:
    result, elapsed = run(["pelican.plugins.reader_comments.moderation", "check", "--settings", str(REPO / "pelicanconf.py"),
                           "--content", "content"], cwd=broken.content.parent)
    output = result.stdout + result.stderr
    assert result.returncode == 1, output[-3000:]
    assert "Traceback" not in output
    missing = []
    for case in BAD_FILES:
        relative = broken.paths[case.name].relative_to(broken.content.parent)
        if where(relative, case.line) not in output:
            missing.append(case.name)
    assert missing == [], output[-3000:]
    assert elapsed < 30


@pytest.fixture(scope="module")
def moderated(tmp_path_factory: pytest.TempPathFactory) -> tuple[site_model.Site, dict[str, Path], Path]:
    """A copy of the fixture site with every bad file and one good pending comment, loaded as the commands load it."""
    base = tmp_path_factory.mktemp("moderated")
    content = copy_fixture(base / "content")
    folder = content / "comments" / ARTICLE
    paths = {case.name: write_bytes(folder, bad_file_name(case), case.data) for case in FILE_CASES}
    pending = write_bytes(folder, "waiting.yaml", pending_file())
    site = site_model.load_site(REPO / "pelicanconf.py", content)
    return site, paths, pending


def snapshot(folder: Path) -> dict[str, str]:
    """Every file below `folder` with a digest of its bytes."""
    return {str(p): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", FILE_CASES, ids=[case.name for case in FILE_CASES])
def test_moderate_approve_refuses_and_touches_nothing(moderated, case: BadFile, capsys: pytest.CaptureFixture[str]) -> None:
    site, paths, pending = moderated
    before = snapshot(site.comments)
    now = datetime(2026, 1, 1, tzinfo=UTC)
    ids = [f"{ARTICLE}/waiting", str(paths[case.name])]
    status, elapsed = bounded(LIMIT, cli.cmd_moderate, site, ids, "approved", "Hostile Tester", now)
    err = capsys.readouterr().err
    assert status == 2  # usage error: nothing was changed
    assert "No file was changed." in err
    assert f"error: {where(paths[case.name], case.line)}" in err, err[:2000]
    assert case.words in err
    assert "Traceback" not in err
    assert snapshot(site.comments) == before
    assert b"status: pending" in pending.read_bytes()
    assert elapsed < LIMIT
