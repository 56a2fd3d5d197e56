"""End to end in Chromium: post a comment and a reply through the form, approve both, rebuild, read them."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from pelican.plugins.reader_comments import comment_format
from support.browser import SETTINGS
from support.build import REPO, build_site
from support.intake import IntakeServer, free_port, service_env
from support.web import serve

SETTINGS_FILE = REPO / "pelicanconf.py"
TIMEZONE = ZoneInfo(SETTINGS["TIMEZONE"])
SLUG = "thank-you-note"
ARTICLE = f"/2010/{SLUG}/"
PARENT_ID = "20100601T144200-clay-morgan"
PARENT_NAME = "Clay Morgan"


@dataclass
class Rig:
    """A content copy, its served output and an intake service that writes into it."""

    content: Path
    output: Path
    base: str
    intake: IntakeServer

    @property
    def submit_url(self) -> str:
        """Where the form posts."""
        return f"http://127.0.0.1:{self.intake.port}/comments"

    @property
    def folder(self) -> Path:
        """The article's comments folder."""
        return self.content / "comments" / SLUG

    def build(self) -> None:
        """Build the content with the form posting to the service (development settings, SITEURL '')."""
        build = build_site(self.content, self.output, COMMENTS_SUBMIT_URL=self.submit_url, SITEURL="")
        assert not build.messages(), build.messages()


@pytest.fixture
def rig(tmp_path: Path) -> Iterator[Rig]:
    """Serve an empty output folder, start the service on it, then build the site into it."""
    content = tmp_path / "content"
    shutil.copytree(REPO / "content", content)
    output = tmp_path / "output"
    output.mkdir()
    port = free_port()
    with serve(output) as base:
        env = {
            # The intake's own address: the reader's private links point here.
            "COMMENTS_SUBMIT_URL": f"http://127.0.0.1:{port}/comments",
            "COMMENTS_STATE_PATH": str(tmp_path / "state"),
            "COMMENTS_RATE_LIMIT": "0",
            "COMMENTS_ALLOWED_ORIGINS": base,
            "COMMENTS_THANKS_URL": f"{base}/comment-received/",
        }
        manifest = output / "comments-manifest.json"
        intake = IntakeServer(content / "comments", manifest, SETTINGS_FILE, env=env, log=tmp_path / "intake.log",
                              fixed_port=port)
        intake.start()
        try:
            rig = Rig(content, output, base, intake)
            rig.build()
            yield rig
        finally:
            intake.stop()


def submit(page: Any, rig: Rig, author: str, body: str) -> None:
    """Fill in the form and post it; the service must answer 303 to its page that links back to the article."""
    page.get_by_label("Name").fill(author)
    page.get_by_label("Comment", exact=True).fill(body)
    with page.expect_response(lambda r: r.url == rig.submit_url and r.request.method == "POST") as posted:
        page.get_by_role("button", name="Post comment").click()
    assert posted.value.status == 303
    assert posted.value.headers["location"].startswith(f"comments/received?article={SLUG}&t=")
    expect(page).to_have_url(re.compile(re.escape(f"{rig.submit_url}/received?article={SLUG}&t=")))
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you for your comment")
    # The service sends readers to the development server's address (SITEURL is empty here).
    expect(page.get_by_role("link", name="Back to “")).to_have_attribute("href", f"http://127.0.0.1:8000{ARTICLE}")


def pending_files(folder: Path, before: set[Path]) -> dict[str, comment_format.Comment]:
    """The comment files added to `folder` since `before`, read and validated, by author."""
    found = {}
    for path in sorted(set(folder.glob("*.yaml")) - before):
        comment, problems = comment_format.read(path, TIMEZONE)
        assert comment is not None, problems
        found[comment.author] = comment
    return found


def approve(rig: Rig, ids: list[str]) -> None:
    """Approve comments with the moderation command, as a moderator would."""
    command = [sys.executable, "-m", "pelican.plugins.reader_comments.moderation", "--content", str(rig.content)]
    command += ["--settings", str(SETTINGS_FILE), "approve", *ids]
    env = service_env({"COMMENTS_MODERATOR": "Test Moderator"})
    done = subprocess.run(command, cwd=rig.content.parent, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr


def parent_of(page: Any, anchor: str) -> str | None:
    """The id of the comment whose reply list holds `anchor`, or None for a top-level comment."""
    return page.evaluate(
        """(anchor) => {
          const item = document.getElementById(anchor).closest("li.comment-item");
          const outer = item.parentElement.closest("li.comment-item");
          return outer ? outer.querySelector(":scope > article.comment").id : null;
        }""",
        anchor,
    )


def test_comment_and_reply_from_the_form_are_published_after_approval(browser: Any, rig: Rig) -> None:
    """A reader posts a comment and a reply; both wait as pending files; approved and rebuilt, they appear in place."""
    before = set(rig.folder.glob("*.yaml"))
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    page = context.new_page()
    try:
        page.goto(rig.base + ARTICLE)
        submit(page, rig, "Ada Newcomer", "A first comment, posted from a real browser.")

        page.goto(rig.base + ARTICLE)
        page.get_by_role("button", name=f"Reply to {PARENT_NAME}").click()
        expect(page.get_by_label("Name")).to_be_focused()
        expect(page.locator("#comment-form-replying")).to_be_visible()
        expect(page.locator("#comment-form-replying")).to_contain_text(f"Replying to {PARENT_NAME}")
        assert page.locator("#comment-reply-to").input_value() == PARENT_ID
        submit(page, rig, "Ben Replier", "Answering Clay, from the same browser.")

        new = pending_files(rig.folder, before)
        assert sorted(new) == ["Ada Newcomer", "Ben Replier"]
        assert {c.status for c in new.values()} == {"pending"}
        assert new["Ada Newcomer"].reply_to is None
        assert new["Ben Replier"].reply_to == PARENT_ID

        page.goto(rig.base + ARTICLE)
        assert page.locator(f"#comment-{new['Ada Newcomer'].id}").count() == 0

        approve(rig, [f"{SLUG}/{c.id}" for c in new.values()])
        assert {c.status for c in pending_files(rig.folder, before).values()} == {"approved"}
        rig.build()

        page.reload()
        top, reply = (f"comment-{new[name].id}" for name in ("Ada Newcomer", "Ben Replier"))
        expect(page.locator(f"#{top}")).to_contain_text("A first comment, posted from a real browser.")
        expect(page.locator(f"#{reply}")).to_contain_text("Answering Clay, from the same browser.")
        assert parent_of(page, top) is None
        assert parent_of(page, reply) == f"comment-{PARENT_ID}"
        parent_box = page.locator(f"#comment-{PARENT_ID}").bounding_box()
        reply_box = page.locator(f"#{reply}").bounding_box()
        assert reply_box["y"] >= parent_box["y"] + parent_box["height"] - 1
        assert reply_box["x"] > parent_box["x"]
    finally:
        context.close()


PREVIEW_BODY = "Thank you **so much**, <b>truly</b>.\n\n- one\n- two"


def fill_form(page: Any, author: str, body: str) -> None:
    """Type a name and a comment into the form."""
    page.get_by_label("Name").fill(author)
    page.get_by_label("Comment", exact=True).fill(body)


def test_preview_without_javascript_shows_the_rendering_and_sends_from_there(browser: Any, rig: Rig) -> None:
    """Without scripts, Preview goes to the service's page: rendered comment, form filled in; Send then stores it once."""
    before = set(rig.folder.glob("*.yaml"))
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(rig.base + ARTICLE)
        fill_form(page, "Pre Viewer", PREVIEW_BODY)
        page.get_by_role("button", name="Preview").click()
        expect(page).to_have_url(f"{rig.submit_url}/preview")
        expect(page.get_by_role("heading", level=1)).to_have_text("Preview of your comment")
        rendered = page.locator(".comment-preview-body")
        expect(rendered.locator("strong")).to_have_text("so much")
        expect(rendered.locator("li")).to_have_text(["one", "two"])
        assert rendered.locator("b").count() == 0
        expect(rendered).to_contain_text("<b>truly</b>")
        assert page.get_by_label("Comment", exact=True).input_value() == PREVIEW_BODY
        assert page.get_by_label("Name").input_value() == "Pre Viewer"
        assert set(rig.folder.glob("*.yaml")) == before
        with page.expect_response(lambda r: r.url == rig.submit_url and r.request.method == "POST") as posted:
            page.get_by_role("button", name="Post comment").click()
        assert posted.value.status == 303
        new = pending_files(rig.folder, before)
        assert list(new) == ["Pre Viewer"] and new["Pre Viewer"].body == PREVIEW_BODY
    finally:
        context.close()


def test_preview_with_javascript_fills_the_area_in_place_and_stores_nothing(browser: Any, rig: Rig) -> None:
    """With scripts, Preview shows the rendering under the form; the page stays, nothing is stored."""
    before = set(rig.folder.glob("*.yaml"))
    context = browser.new_context()
    page = context.new_page()
    try:
        page.goto(rig.base + ARTICLE)
        area = page.locator("#comment-preview")
        expect(area).to_be_hidden()
        fill_form(page, "Pre Viewer", PREVIEW_BODY)
        with page.expect_response(lambda r: r.url == f"{rig.submit_url}/preview") as answered:
            page.get_by_role("button", name="Preview").click()
        assert answered.value.status == 200
        expect(area).to_be_visible()
        expect(area.locator("strong")).to_have_text("so much")
        assert area.locator("b").count() == 0
        expect(area).to_contain_text("<b>truly</b>")
        assert page.url == rig.base + ARTICLE
        page.get_by_label("Name").fill("\u200b")
        page.get_by_role("button", name="Preview").click()
        expect(area.locator(".intake-errors")).to_contain_text("Name must have something visible")
        assert page.get_by_label("Comment", exact=True).input_value() == PREVIEW_BODY
        assert set(rig.folder.glob("*.yaml")) == before
    finally:
        context.close()


@pytest.mark.parametrize("scripts", [False, True], ids=["no-javascript", "javascript"])
def test_the_private_link_edits_then_withdraws_the_pending_comment(browser: Any, rig: Rig, scripts: bool) -> None:
    """From the received page's link a reader previews and saves a correction, is told of a bad one, then withdraws."""
    before = set(rig.folder.glob("*.yaml"))
    context = browser.new_context(java_script_enabled=scripts)
    page = context.new_page()
    try:
        page.goto(rig.base + ARTICLE)
        submit(page, rig, "Typo Writer", "Thank you for teh lovely evening.")
        (path,) = set(rig.folder.glob("*.yaml")) - before
        address = page.locator(".intake-edit-address")
        expect(address).to_be_visible()
        link = address.get_attribute("href")
        assert link is not None and address.inner_text() == link
        page.goto(link)
        expect(page.get_by_label("Comment", exact=True)).to_have_value("Thank you for teh lovely evening.")
        page.get_by_label("Comment", exact=True).fill("Thank you for the **lovely** evening.")
        page.get_by_role("button", name="Preview").click()
        expect(page.locator(".comment-preview-body strong")).to_have_text("lovely")
        assert "teh" in path.read_text()
        page.get_by_role("button", name="Save changes").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your comment was changed")
        assert pending_files(rig.folder, before)["Typo Writer"].body == "Thank you for the **lovely** evening."
        page.get_by_label("Name").fill("\u200b")
        page.get_by_role("button", name="Save changes").click()
        expect(page.locator(".intake-errors")).to_contain_text("Name must have something visible")
        expect(page.get_by_label("Comment", exact=True)).to_have_value("Thank you for the **lovely** evening.")
        assert pending_files(rig.folder, before)["Typo Writer"].author == "Typo Writer"
        page.get_by_role("button", name="Withdraw this comment").click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Your comment was withdrawn")
        assert not path.exists()
        page.goto(link)
        expect(page.get_by_role("heading", level=1)).to_have_text("This link cannot change the comment")
    finally:
        context.close()
