"""The intake's key may push a decision taken from a moderator's link, and nothing more than the decision."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.git import sh
from support.hook import PENDING, Hooked, hooked

INTAKE = {"COMMENTS_PUSHER": "intake"}
FILE = "content/comments/dinner-guest/20240105T100000-cleo.yaml"
DECIDED = PENDING.replace("status: pending", "status: approved") + 'moderated_at: "2024-01-06T09:00:00-05:00"\nmoderator: "Mona"\n'


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hooked]:
    """One hooked site whose main holds a pending comment pushed by the intake."""
    hooked_site = hooked(tmp_path_factory.mktemp("decisions"))
    hooked_site.commit("Pending", {FILE: PENDING})
    done = hooked_site.try_push(env=INTAKE)
    assert done.returncode == 0, done.stderr
    yield hooked_site


@pytest.fixture
def clean(site: Hooked) -> Hooked:
    """The site with its clone reset to the bare repository's main."""
    sh(site.site, "git", "fetch", "--quiet", str(site.bare), "main")
    sh(site.site, "git", "reset", "--quiet", "--hard", "FETCH_HEAD")
    return site


@pytest.mark.parametrize("decided", [
    DECIDED.replace('body: "Hello."', 'body: "Buy cheap watches."'),
    DECIDED + 'role: "moderator"\n',
    DECIDED.replace("status: approved", "status: published"),
], ids=["body changed", "field added", "unknown status"])
def test_a_decision_that_changes_more_is_refused(clean: Hooked, decided: str) -> None:
    """A status change that also edits the text, adds a field, or sets no real status is refused for the intake's key."""
    before = clean.tip()
    clean.commit("Approve", {FILE: decided})
    done = clean.try_push(env=INTAKE)
    assert done.returncode != 0 and "refused:" in done.stderr and "status other than pending" in done.stderr, done.stderr
    assert clean.tip() == before


def test_the_decision_itself_is_accepted_and_published(clean: Hooked) -> None:
    """A pending comment approved with moderated_at and moderator set, nothing else: accepted, and the hook publishes it."""
    clean.commit("Approve dinner-guest/20240105T100000-cleo", {FILE: DECIDED})
    done = clean.try_push(env=INTAKE)
    assert done.returncode == 0, done.stderr
    page = clean.live / "2011" / "dinner-guest" / "index.html"
    assert "now serves" in done.stderr and 'id="comment-20240105T100000-cleo"' in page.read_text()
