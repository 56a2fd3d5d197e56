"""The publishing hook's record of the published commit never runs ahead of a successful switch of LIVE."""

from __future__ import annotations

import subprocess
from pathlib import Path

from support.git import sh
from support.hook import PENDING, hooked

POST = "Title: Seating Cards\nDate: 2024-02-01 10:00\nCategory: Dinners\n\nWhere each guest sits.\n"


def recorded(bare: Path) -> str:
    """The commit the hook records as published."""
    return (bare / "deploy-work" / ".published-commit").read_text().strip()


def test_a_switch_that_fails_after_a_good_build_records_nothing_and_a_later_push_still_publishes(tmp_path: Path) -> None:
    """The build succeeds but LIVE cannot be switched: the record keeps the live commit, so the new post is not forgotten."""
    site = hooked(tmp_path)
    first, live_commit = site.served(), site.tip()
    assert recorded(site.bare) == live_commit
    # A folder where publish-site prepares the new link: the build succeeds, the switch cannot.
    obstacle = site.live.parent / ".live-builds" / ".next-link"
    (obstacle / "in-the-way").mkdir(parents=True)
    site.commit("A new post", {"content/posts/seating-cards.md": POST})
    output, _ = site.push()
    assert "FAILED to publish" in output, output
    assert site.served() == first and not list(site.live.rglob("seating-cards*"))
    assert recorded(site.bare) == live_commit, "the record ran ahead of what LIVE serves"
    subprocess.run(["rm", "-rf", str(obstacle)], check=True)
    site.commit("A pending comment", {"content/comments/dinner-guest/20240301T100000-ann.yaml": PENDING})
    output, _ = site.push()
    assert "only new pending comments" not in output, output
    assert recorded(site.bare) == live_commit
    done = sh(site.bare, "hooks/post-receive", "--publish-now", env={"GIT_DIR": str(site.bare)})
    assert "now serves" in done.stdout, done.stdout + done.stderr
    assert site.served() != first and recorded(site.bare) == site.tip()
    assert list(site.live.rglob("seating-cards*")), "the new post is live"
