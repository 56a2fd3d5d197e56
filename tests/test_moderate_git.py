"""Moderators' decisions in git: the printed `git commit` command, and `--commit` / `make ... COMMIT=1`."""

from __future__ import annotations

import shlex
import shutil
import sys
from pathlib import Path

import pytest

from support.git import REPO, sh

FIXTURE = REPO / "tests" / "fixtures" / "moderate" / "site"
ALICE = "garden-party/20240101T150000-alice"
BOB = "garden-party/20240102T140000-bob"
DAVE = "garden-party/20240104T130000-dave"
MODERATE = [sys.executable, "-m", "pelican.plugins.reader_comments.moderation"]
ENV = {"COMMENTS_MODERATOR": "Mona Moderator"}


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """The moderation fixture site in a git repository, with an unrelated change staged."""
    target = tmp_path / "site"
    shutil.copytree(FIXTURE, target)
    (target / "notes.txt").write_text("one\n")
    sh(target, "git", "init", "--quiet", "--initial-branch=main")
    sh(target, "git", "add", ".")
    sh(target, "git", "commit", "--quiet", "-m", "The site")
    (target / "notes.txt").write_text("two\n")
    sh(target, "git", "add", "notes.txt")
    return target


def test_approve_prints_the_commit_command_for_the_changed_file_and_commits_nothing(site: Path) -> None:
    """Without --commit the decision is written, the command to record it printed, and HEAD stays."""
    head = sh(site, "git", "rev-parse", "HEAD").stdout
    printed = sh(site, *MODERATE, "approve", ALICE, env=ENV).stdout
    command = "git commit -m 'Approve garden-party/20240101T150000-alice' -- content/comments/garden-party/20240101T150000-alice.yaml"
    assert f"Record the decision in git, then publish it:\n  {command}\n  git push\n" in printed
    assert sh(site, "git", "rev-parse", "HEAD").stdout == head
    status = sorted(sh(site, "git", "status", "--porcelain").stdout.splitlines())
    assert status == [" M content/comments/garden-party/20240101T150000-alice.yaml", "M  notes.txt"]


def test_make_reject_commit_1_commits_only_the_changed_files(site: Path) -> None:
    """`make reject COMMIT=1` makes one commit of exactly the two files; the staged change stays staged."""
    venv = Path(sys.executable).parent.parent
    sh(site, "make", "--no-print-directory", "-f", str(REPO / "Makefile"), f"VENV={venv}", "-o", f"{venv}/.plugin-installed-stamp",
       "reject", f"ID={ALICE} {BOB}", "COMMIT=1", env=ENV)
    subject = sh(site, "git", "log", "-1", "--format=%s").stdout.strip()
    assert subject == "Reject garden-party/20240101T150000-alice, garden-party/20240102T140000-bob"
    changed = sh(site, "git", "show", "--name-only", "--format=", "HEAD").stdout.split()
    assert changed == ["content/comments/garden-party/20240101T150000-alice.yaml", "content/comments/garden-party/20240102T140000-bob.yaml"]
    assert sh(site, "git", "status", "--porcelain").stdout == "M  notes.txt\n"
    assert sh(site, "git", "show", "HEAD:content/comments/garden-party/20240102T140000-bob.yaml").stdout.count("status: 'rejected'") == 1


def test_an_already_decided_comment_is_not_committed_again(site: Path) -> None:
    """Approving a comment twice with --commit makes one commit; the second run has nothing to record."""
    sh(site, *MODERATE, "approve", "--commit", DAVE, env=ENV)
    count = sh(site, "git", "rev-list", "--count", "HEAD").stdout
    again = sh(site, *MODERATE, "approve", "--commit", DAVE, env=ENV).stdout
    assert "already approved" in again and "Committed" not in again
    assert sh(site, "git", "rev-list", "--count", "HEAD").stdout == count == "2\n"


def test_a_failed_commit_says_the_files_changed_but_were_not_committed(site: Path) -> None:
    """A commit git refuses (no identity) exits 1 with the reason; the decision stays written."""
    env = {**ENV, "GIT_AUTHOR_NAME": "", "GIT_COMMITTER_NAME": "", "GIT_AUTHOR_EMAIL": "", "GIT_COMMITTER_EMAIL": "", "HOME": str(site)}
    done = sh(site, *MODERATE, "spam", "--commit", BOB, env=env, ok=False)
    assert done.returncode == 1 and "the files were changed but not committed" in done.stderr and "Traceback" not in done.stderr
    assert "status: 'spam'" in (site / "content" / "comments" / "garden-party" / "20240102T140000-bob.yaml").read_text()


def printed_commands(output: str) -> list[list[str]]:
    """The commands printed under "Record the decision in git", each split as a shell would."""
    block = output.split("Record the decision in git, then publish it:\n", 1)[1]
    return [shlex.split(line) for line in block.splitlines() if line.startswith("  git ")]


@pytest.mark.parametrize("tracked", [True, False], ids=["known-to-git", "new-file"])
def test_the_printed_commands_commit_the_decision_whether_git_knows_the_file_or_not(site: Path, tracked: bool) -> None:
    """A comment added by hand or by the local intake is not in git yet; the printed commands still record it."""
    name = "content/comments/garden-party/20240107T100000-hand.yaml"
    (site / name).write_text('author: "Hana"\ndate: "2024-01-07T10:00:00-05:00"\nstatus: pending\nbody: |\n  By hand.\n')
    if tracked:
        sh(site, "git", "add", name)
        sh(site, "git", "commit", "--quiet", "-m", "Add by hand", "--", name)
    printed = sh(site, *MODERATE, "approve", "garden-party/20240107T100000-hand", env=ENV).stdout
    commands = printed_commands(printed)
    assert commands[-1] == ["git", "push"]
    for command in commands[:-1]:
        sh(site, *command)
    assert sh(site, "git", "log", "-1", "--format=%s").stdout.strip() == "Approve garden-party/20240107T100000-hand"
    assert sh(site, "git", "show", "--name-only", "--format=", "HEAD").stdout.split() == [name]
    assert "\nstatus: approved\n" in sh(site, "git", "show", f"HEAD:{name}").stdout
    assert sh(site, "git", "status", "--porcelain").stdout == "M  notes.txt\n"
