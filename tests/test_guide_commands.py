"""MODERATING.md, followed as written, on comment files the real intake service wrote."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from support.intake import IntakeServer, send

REPO = Path(__file__).resolve().parents[1]
GUIDE = (REPO / "MODERATING.md").read_text(encoding="utf-8")
SITE = REPO / "tests" / "fixtures" / "moderate" / "site"
SETTINGS = REPO / "tests" / "fixtures" / "intake" / "settings.py"
CAROL = "20240103T170000-carol"


@pytest.fixture(scope="module")
def intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeServer]:
    """The service, writing into a copy of the moderation fixture site, with a manifest it reads."""
    base = tmp_path_factory.mktemp("guide")
    target = shutil.copytree(SITE, base / "site")
    manifest = {"version": 1, "articles": {"garden-party": {
        "title": "Garden Parties", "url": "2024/garden-party/", "mode": "open", "comments": {CAROL: "Carol"}}}}
    (base / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    with IntakeServer(target / "content" / "comments", base / "manifest.json", SETTINGS, env={"COMMENTS_RATE_LIMIT": "0"}) as server:
        yield server


@pytest.fixture
def site(intake: IntakeServer) -> Path:
    """The site folder the service writes into (the folder holding pelicanconf.py)."""
    return intake.content.parents[1]


def post_through_intake(intake: IntakeServer, **fields: str) -> Path:
    """Post one comment to the real service; the file it wrote."""
    form = {"article": "garden-party", "author": "Olivia Grant", "body": "Does the same rule apply?", **fields}
    reply = send(intake.port, "POST", "/comments", urlencode(form),
                 {"Accept": "application/json", "Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 201, reply.text
    return intake.content / "garden-party" / f"{reply.json()['id']}.yaml"


def guide_example() -> dict[str, str]:
    """The guide's example comment file: each field and its value as written there."""
    block = re.search(r"```yaml\n(.*?)```", GUIDE, re.S).group(1)
    return dict(re.findall(r"^([a-z_]+): (\S.*)$", block, re.M))


def field_lines(path: Path) -> dict[str, str]:
    """Each `name: value` line of a file, as written."""
    return dict(re.findall(r"^([a-z_]+): (\S.*)$", path.read_text(encoding="utf-8"), re.M))


def test_the_intake_writes_fields_as_the_guide_shows_them(intake):
    written = field_lines(post_through_intake(intake, website="https://olivia.example/", reply_to=CAROL))
    example = guide_example()
    assert example["status"] == "pending" and written["status"] == "pending"
    for name in ("author", "date"):
        quoted = example[name].startswith('"')
        assert written[name].startswith('"') == quoted, (name, written[name], example[name])
    assert written["reply_to"] == CAROL


def test_the_short_version_edit_then_check(intake, site):
    path = post_through_intake(intake)
    step = re.search(r"change `(status: pending)` to\s+`(status: approved)`", GUIDE)
    text = path.read_text(encoding="utf-8")
    assert text.count(step.group(1)) == 1
    path.write_text(text.replace(step.group(1), step.group(2)), encoding="utf-8")
    check = subprocess.run([sys.executable, "-m", "pelican.plugins.reader_comments.moderation", "check"],
                           cwd=site, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def test_the_guides_grep_finds_a_comment_marked_spam_by_hand(intake, site):
    path = post_through_intake(intake)
    path.write_text(path.read_text(encoding="utf-8").replace("status: pending", "status: spam"), encoding="utf-8")
    commands = re.findall(r"`(grep [^`]+)`", GUIDE)
    assert commands, "the guide has no grep line"
    for command in commands:
        found = subprocess.run(shlex.split(command), cwd=site, capture_output=True, text=True, timeout=30)
        listed = {Path(line) for line in found.stdout.split()}
        assert path.relative_to(site) in listed, (command, found.stdout)
