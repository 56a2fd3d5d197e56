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
import yaml

from support.git import sh
from support.intake import IntakeServer, send

REPO = Path(__file__).resolve().parents[1]
GUIDE = (REPO / "MODERATING.md").read_text(encoding="utf-8")
DEPLOYING = (REPO / "docs" / "deploying.md").read_text(encoding="utf-8")
VENV = Path(sys.executable).parent.parent
MAKE = ["make", "--no-print-directory", "-f", str(REPO / "Makefile"), f"VENV={VENV}", "-o", f"{VENV}/.plugin-installed-stamp"]
ALICE = "garden-party/20240101T150000-alice"
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


def shared_repository(base: Path) -> Path:
    """A bare repository holding the moderation fixture site, as the server keeps it."""
    seed = shutil.copytree(SITE, base / "seed")
    sh(seed, "git", "init", "--quiet", "--initial-branch=main")
    sh(seed, "git", "add", ".")
    sh(seed, "git", "commit", "--quiet", "-m", "The site")
    sh(base, "git", "clone", "--quiet", "--bare", str(seed), str(base / "site.git"))
    return base / "site.git"


def service_pushes_a_comment(remote: Path, base: Path) -> str:
    """What the comment service does between a moderator's pull and push: commit one new pending file and push it."""
    service = base / "service"
    if not service.exists():
        sh(base, "git", "clone", "--quiet", str(remote), str(service))
    sh(service, "git", "pull", "--quiet", "--rebase")
    name = f"content/comments/garden-party/20240106T0900000000{len(list(service.rglob('*.yaml'))):02d}-newone.yaml"
    (service / name).write_text('author: "Nora"\ndate: "2024-01-06T09:00:00-05:00"\nstatus: pending\nbody: |\n  New.\n')
    sh(service, "git", "add", name)
    sh(service, "git", "commit", "--quiet", "-m", "Comment pending moderation")
    sh(service, "git", "push", "--quiet", "origin", "main")
    return name


def refused_push(remote: Path, base: Path, setup: bool) -> tuple[Path, str]:
    """A moderator's clone (git's defaults, optionally `make moderator-setup`) whose approval push was refused."""
    clone = base / "moderator"
    sh(base, "git", "clone", "--quiet", str(remote), str(clone))
    if setup:
        sh(clone, *MAKE, "moderator-setup")
    sh(clone, sys.executable, "-m", "pelican.plugins.reader_comments.moderation", "approve", "--commit", ALICE,
       env={"COMMENTS_MODERATOR": "Mona"})
    arrived = service_pushes_a_comment(remote, base)
    refused = sh(clone, "git", "push", "origin", "main", ok=False)
    assert refused.returncode != 0 and "rejected" in refused.stderr, refused.stderr
    return clone, arrived


def assert_both_reached_the_remote(remote: Path, arrived: str) -> None:
    """The remote's main has the service's new comment and the moderator's approval."""
    listed = sh(remote, "git", "ls-tree", "-r", "--name-only", "main").stdout.split()
    assert arrived in listed
    alice = sh(remote, "git", "show", "main:content/comments/garden-party/20240101T150000-alice.yaml").stdout
    assert yaml.safe_load(alice)["status"] == "approved", alice


def recovery_commands(text: str) -> list[list[str]]:
    """The commands a guide gives for a refused push (the backticked commands after the word 'refused')."""
    found = re.findall(r"refused[^.]*?meanwhile[^`]*`(git pull[^`]*)` and\s+`(git push)`", text, re.S)
    assert found, "the guide says nothing to do after a refused push"
    return [shlex.split(command) for pair in found for command in pair]


@pytest.mark.parametrize("guide", ["MODERATING.md", "docs/deploying.md"])
def test_a_refused_push_goes_through_with_the_guides_steps_on_gits_defaults(tmp_path, guide):
    """No moderator-setup, no global git settings: the documented recovery still pulls and pushes."""
    commands = recovery_commands((REPO / guide).read_text(encoding="utf-8"))
    for step in range(0, len(commands), 2):
        base = tmp_path / f"place{step}"
        base.mkdir()
        remote = shared_repository(base)
        clone, arrived = refused_push(remote, base, setup=False)
        for command in commands[step:step + 2]:
            sh(clone, *command)
        assert_both_reached_the_remote(remote, arrived)


def test_the_guides_first_step_sets_up_pull_and_the_commit_check(tmp_path):
    """`make moderator-setup`, named in the first step: a plain `git pull` after a refused push works, and a broken comment stops a commit."""
    first = re.search(r"^1\. (.*?)^2\. ", GUIDE, re.M | re.S).group(1)
    assert "`make moderator-setup`" in first, first
    assert re.search(r"^make moderator-setup\b", DEPLOYING, re.M)
    remote = shared_repository(tmp_path)
    clone, arrived = refused_push(remote, tmp_path, setup=True)
    assert sh(clone, "git", "config", "--local", "pull.rebase").stdout.strip() == "true"
    sh(clone, "git", "pull")
    sh(clone, "git", "push", "origin", "main")
    assert_both_reached_the_remote(remote, arrived)
    broken = clone / "content" / "comments" / "garden-party" / "20240101T150000-alice.yaml"
    broken.write_text(re.sub(r"^status: .*$", "status: aproved", broken.read_text(), flags=re.M))
    sh(clone, "git", "add", "-A")
    stopped = sh(clone, "git", "commit", "-m", "A typo", ok=False)
    assert stopped.returncode != 0
    assert "content/comments/garden-party/20240101T150000-alice.yaml" in stopped.stdout + stopped.stderr
    assert "aproved" in stopped.stdout + stopped.stderr
    assert sh(clone, "git", "rev-list", "--count", "HEAD").stdout.strip() == "3"
    sh(clone, "git", "reset", "--quiet", "--hard")
    (clone / "notes.txt").write_text("unrelated\n")
    sh(clone, "git", "add", "notes.txt")
    sh(clone, "git", "commit", "--quiet", "-m", "Notes only: the check is not run")


def test_the_pre_commit_fallback_installs_into_the_projects_venv():
    """Debian's system Python refuses `pip install --user`: the guide's commands use the project's .venv (or apt)."""
    section = GUIDE[GUIDE.index("### Running the check before every commit"):GUIDE.index("## Publishing your changes")]
    block = re.search(r"```\n(.*?)```", section, re.S).group(1)
    commands = [shlex.split(line) for line in block.splitlines() if line.strip()]
    assert commands
    for command in commands:
        assert "--user" not in command, command
        assert command[0].startswith(".venv/bin/"), command
    assert ["install", "pre-commit"] == [w for w in commands[0] if w in ("install", "pre-commit")]
    assert (REPO / ".pre-commit-config.yaml").is_file()
    assert "`sudo apt install pre-commit`" in section
