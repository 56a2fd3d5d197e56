"""What the intake's key may push: pending comment files only, known by COMMENTS_PUSHER as sshd sets it from authorized_keys."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from support.git import sh
from support.hook import PENDING, Hooked, hooked

INTAKE = {"COMMENTS_PUSHER": "intake"}
APPROVED = "content/comments/dinner-guest/20110421T143000-marcus-webb.yaml"
NEW = "content/comments/dinner-guest/20240102T100000-ann.yaml"
OTHER = "content/comments/dinner-guest/20240103T100000-bob.yaml"
EDITED = "content/comments/dinner-guest/20240104T100000-cy.yaml"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hooked]:
    """One hooked site for the module; each test starts its clone from the bare repository's main."""
    yield hooked(tmp_path_factory.mktemp("pusher"))


@pytest.fixture
def clean(site: Hooked) -> Hooked:
    """The shared site with its clone reset to what the bare repository holds."""
    sh(site.site, "git", "fetch", "--quiet", str(site.bare), "main")
    sh(site.site, "git", "reset", "--quiet", "--hard", "FETCH_HEAD")
    sh(site.site, "git", "clean", "--quiet", "-fdx", "content")
    return site


def settings_change(site: Hooked, marker: Path) -> None:
    """Code in publishconf.py that would leave `marker` behind if any build ran it."""
    conf = site.site / "publishconf.py"
    site.commit("Settings", {"publishconf.py": conf.read_text() + f"\nopen({str(marker)!r}, 'w').close()\n"})


def approved_comment(site: Hooked, marker: Path) -> None:
    """A new comment that is already approved."""
    site.commit("Approved", {OTHER: PENDING.replace("status: pending", "status: approved")})


def linked_comment(site: Hooked, marker: Path) -> None:
    """A comment file that is a symbolic link whose target reads as a pending comment (a link's blob is its target)."""
    site.commit("Link", links={OTHER: "/etc/passwd\nstatus: pending"})


def approved_made_pending(site: Hooked, marker: Path) -> None:
    """An approved comment changed to pending, which takes it off the site."""
    path = site.site / APPROVED
    site.commit("Unapprove", {APPROVED: path.read_text().replace("status: approved", "status: pending")})


def comment_deleted(site: Hooked, marker: Path) -> None:
    """An approved comment removed."""
    (site.site / APPROVED).unlink()
    site.commit("Remove")


def post_deleted(site: Hooked, marker: Path) -> None:
    """A post removed, beside nothing else: only a pending comment may be removed."""
    (site.site / "content/posts/dinner-guest.md").unlink()
    site.commit("Remove a post")


def pending_and_approved_deleted(site: Hooked, marker: Path) -> None:
    """A pending comment withdrawn, and in the same commit an approved one removed."""
    site.commit("Pending", {OTHER: PENDING})
    (site.site / OTHER).unlink()
    (site.site / APPROVED).unlink()
    site.commit("Withdraw both")


def hidden_file(site: Hooked, marker: Path) -> None:
    """A hidden file in an article's comments folder, and one a level deeper."""
    site.commit("Hidden", {"content/comments/dinner-guest/.x.yaml": PENDING, "content/comments/dinner-guest/a/b.yaml": PENDING})


def pending_beside_a_post(site: Hooked, marker: Path) -> None:
    """A pending comment and, in the same commit, a change to a post."""
    post = site.site / "content/posts/dinner-guest.md"
    site.commit("Both", {OTHER: PENDING, "content/posts/dinner-guest.md": post.read_text() + "\nMore.\n"})


def merge_with_a_change(site: Hooked, marker: Path) -> None:
    """A merge of a pending comment with a branch that changes the settings."""
    sh(site.site, "git", "checkout", "--quiet", "-b", "side")
    settings_change(site, marker)
    sh(site.site, "git", "checkout", "--quiet", "main")
    site.commit("Pending", {OTHER: PENDING})
    sh(site.site, "git", "merge", "--quiet", "--no-edit", "side")
    sh(site.site, "git", "branch", "--quiet", "-D", "side")


HOSTILE: list[Callable[[Hooked, Path], None]] = [
    settings_change, approved_comment, linked_comment, approved_made_pending, comment_deleted, hidden_file,
    pending_beside_a_post, merge_with_a_change, post_deleted, pending_and_approved_deleted,
]


def test_the_intake_key_adds_a_pending_comment(clean: Hooked) -> None:
    """A pending comment file pushed with the intake's identity is accepted (and not built)."""
    clean.commit("Pending", {NEW: PENDING})
    done = clean.try_push(env=INTAKE)
    assert done.returncode == 0, done.stderr
    assert "only new pending comments" in done.stderr and clean.tip() == sh(clean.site, "git", "rev-parse", "HEAD").stdout.strip()


def test_the_intake_key_edits_then_withdraws_a_pending_comment(clean: Hooked) -> None:
    """A reader's edit (pending stays pending) and withdrawal (the pending file removed) pass the gate."""
    clean.commit("Pending", {EDITED: PENDING})
    assert clean.try_push(env=INTAKE).returncode == 0
    clean.commit("Comment edited before moderation", {EDITED: PENDING.replace("status: pending", "status: pending\nwebsite: https://ann.example/")})
    done = clean.try_push(env=INTAKE)
    assert done.returncode == 0, done.stderr
    (clean.site / EDITED).unlink()
    clean.commit("Comment withdrawn before moderation")
    done = clean.try_push(env=INTAKE)
    assert done.returncode == 0, done.stderr
    assert clean.tip() == sh(clean.site, "git", "rev-parse", "HEAD").stdout.strip()
    listed = sh(clean.site, "git", "ls-tree", "-r", "--name-only", clean.tip(), "content/comments/dinner-guest").stdout
    assert EDITED not in listed and APPROVED in listed


@pytest.mark.parametrize("change", HOSTILE, ids=lambda change: change.__name__)
def test_the_intake_key_cannot_push_anything_else(clean: Hooked, change: Callable[[Hooked, Path], None], tmp_path: Path) -> None:
    """Each change beyond pending comments is refused with a message naming the commit; the code in it never runs."""
    before, served, marker = clean.tip(), clean.served(), tmp_path / "ran"
    change(clean, marker)
    done = clean.try_push(env=INTAKE)
    assert done.returncode != 0 and "refused:" in done.stderr and "intake's key" in done.stderr, done.stderr
    assert clean.tip() == before and clean.served() == served and not marker.exists()


def test_the_intake_key_cannot_rewrite_history(clean: Hooked) -> None:
    """A forced push of a history without a comment is refused for the intake's key."""
    before = clean.tip()
    (clean.site / APPROVED).unlink()
    sh(clean.site, "git", "commit", "--quiet", "--amend", "-a", "-m", "Rewritten")
    done = clean.try_push("--force", env=INTAKE)
    assert done.returncode != 0 and "not a fast-forward" in done.stderr and clean.tip() == before


def test_an_unknown_or_missing_identity_is_refused_when_required(tmp_path: Path) -> None:
    """With PUSHER_REQUIRED=yes a key without COMMENTS_PUSHER, or with an unknown one, cannot push; a moderator's can."""
    site = hooked(tmp_path, PUSHER_REQUIRED="yes")
    before = site.tip()
    post = site.site / "content/posts/dinner-guest.md"
    site.commit("A word more", {"content/posts/dinner-guest.md": post.read_text() + "\nMore.\n"})
    done = site.try_push()
    assert done.returncode != 0 and "carries no COMMENTS_PUSHER" in done.stderr and site.tip() == before
    done = site.try_push(env={"COMMENTS_PUSHER": "Intake"})
    assert done.returncode != 0 and "unknown COMMENTS_PUSHER" in done.stderr and site.tip() == before
    done = site.try_push(env={"COMMENTS_PUSHER": "moderator"})
    assert done.returncode == 0 and "now serves" in done.stderr and site.tip() != before
