"""Notices end to end: Chromium, nginx, the intake, git, the publishing hook and a real SMTP server.

A reader posts with an address and both choices through nginx; the confirmation
arrives and Chromium follows it. The moderators' alert arrives; Chromium opens
its approve link: the page shows the comment and the file is unchanged until the
button is pressed; then the decision is committed and pushed, the hook
publishes it, and the reader's "published" notice arrives once, with a link to
the comment on the live page. Afterwards no test address is in the repository,
its history, the built site, the feeds, the export or any log.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from support.git import copy_project, sh, wait_for
from support.intake import IntakeServer, free_port
from support.smtp import SmtpServer, text_of

from .test_deploy_e2e import CSP_WATCH, nginx_binary, start_nginx, wait_hook_done

SLUG = "thank-you-note"
ARTICLE = f"/2010/{SLUG}/"
# Drawn afresh each run, so the project's own files (this one included) cannot hold them.
READER = f"reader-{secrets.token_hex(5)}@mail.example"
MODERATOR = f"mona-{secrets.token_hex(5)}@mods.example"
LINK = re.compile(r"https?://127\.0\.0\.1:\d+/inbox/comments/(?:moderate|confirm|unsubscribe)\?t=[A-Za-z0-9_.%-]+")


@dataclass
class Stack:
    """The pretend server and the mail server."""

    tmp: Path
    bare: Path
    live: Path
    clone: Path
    port: int
    intake: IntakeServer
    smtp: SmtpServer

    @property
    def base(self) -> str:
        """The site's address, served by nginx."""
        return f"http://127.0.0.1:{self.port}"


def notice_settings(tmp: Path, smtp: SmtpServer, base: str) -> dict[str, str]:
    """The notices' settings shared by the intake and the hook."""
    return {
        "COMMENTS_STATE_PATH": str(tmp / "state"), "COMMENTS_SMTP_HOST": "127.0.0.1",
        "COMMENTS_SMTP_PORT": str(smtp.port), "COMMENTS_SMTP_SECURITY": "none",
        "COMMENTS_SUBMIT_URL": f"{base}/inbox/comments",
    }


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    """Bare repository with the hook, the intake's clone committing and pushing, nginx, and an SMTP server."""
    nginx_binary()
    smtp = SmtpServer().start()
    bare, live = tmp_path / "site.git", tmp_path / "www" / "live"
    port, intake_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    sh(tmp_path, "git", "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    sh(copy_project(tmp_path / "seed"), "git", "push", "--quiet", str(bare), "main")
    shared = notice_settings(tmp_path, smtp, base)
    hook_env = {"PYTHON_VENV": str(Path(sys.executable).parent.parent), "SITEURL": base, **shared}
    installed = sh(Path(__file__).resolve().parents[2], "make", "--no-print-directory", "install-hook", f"REPO={bare}",
                   f"LIVE={live}", env=hook_env)
    assert "now serves" in installed.stdout, installed.stdout + installed.stderr
    clone = tmp_path / "intake-clone"
    sh(tmp_path, "git", "clone", "--quiet", "--no-checkout", str(bare), str(clone))
    sh(clone, "git", "sparse-checkout", "set", "--no-cone", "/content/comments/")
    sh(clone, "git", "checkout", "--quiet", "main")
    env = {"SITEURL": base, "COMMENTS_GIT_COMMIT": "true", "COMMENTS_GIT_PUSH": "origin",
           "COMMENTS_TRUSTED_PROXIES": "127.0.0.1", "COMMENTS_NOTIFY_INTERVAL": "0",
           "COMMENTS_NOTIFY_MODERATORS": f"Mona Moderator <{MODERATOR}>", **shared}
    repo = Path(__file__).resolve().parents[2]
    intake = IntakeServer(clone / "content" / "comments", live / "comments-manifest.json", repo / "publishconf.py",
                          env=env, log=tmp_path / "intake.log", fixed_port=intake_port)
    nginx = start_nginx(tmp_path, live, port, intake_port)
    try:
        intake.start()
        yield Stack(tmp_path, bare, live, clone, port, intake, smtp)
    finally:
        intake.stop()
        nginx.terminate()
        nginx.wait(10)
        smtp.stop()


def link(message: Any, word: str) -> str:
    """The link on the line starting with `word` (or the first link of its kind) in a message's text."""
    text = text_of(message)
    for line in text.splitlines():
        found = LINK.search(line)
        if found and (line.startswith(f"{word}:") or f"/comments/{word}?" in found.group()):
            return found.group()
    raise AssertionError(f"no {word} link in:\n{text}")


def status_on(bare: Path, comment: str) -> str:
    """The comment's status line on the bare repository's main branch."""
    text = sh(bare, "git", "show", f"main:content/comments/{SLUG}/{comment}.yaml").stdout
    return next(line for line in text.splitlines() if line.startswith("status:"))


def test_form_opt_in_confirmation_approve_link_and_notice(stack: Stack, browser: Any, tmp_path: Path) -> None:
    """The reader's and the moderator's paths in Chromium, with the mail between them."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        context.add_init_script(CSP_WATCH)
        page = context.new_page()
        page.goto(stack.base + ARTICLE)
        page.get_by_label("Name").fill("Chromium Reader")
        page.get_by_label("Comment", exact=True).fill("Is a handwritten note still expected?")
        page.get_by_label("E-mail address").fill(READER)
        page.get_by_label("Tell me when my comment is published").check()
        page.get_by_label("Tell me when someone replies").check()
        posted_at = time.monotonic()
        with page.expect_response(lambda r: r.url.endswith("/inbox/comments") and r.request.method == "POST") as posted:
            page.get_by_role("button", name="Post comment").click()
        assert posted.value.status == 303

        [confirmation] = stack.smtp.inbox.wait(READER)
        [alert] = stack.smtp.inbox.wait(MODERATOR)
        alert_delay = time.monotonic() - posted_at
        page.goto(link(confirmation.message, "confirm"))
        expect(page.get_by_role("heading", name="Confirm your address")).to_be_visible()
        page.get_by_role("button", name="Confirm").click()
        expect(page.get_by_text("Your address is confirmed")).to_be_visible()

        comment = sh(stack.clone, "git", "log", "-1", "--format=%s").stdout.strip().rsplit("/", 1)[1]
        assert comment in text_of(alert.message) or "Chromium Reader" in text_of(alert.message)
        wait_for(lambda: "pending" in status_on(stack.bare, comment), 30, "the pending comment on the remote")
        page.goto(link(alert.message, "Approve"))
        expect(page.get_by_role("heading", name="Approve this comment?")).to_be_visible()
        expect(page.get_by_text("Is a handwritten note still expected?")).to_be_visible()
        assert "pending" in status_on(stack.bare, comment)
        assert "pending" in (stack.clone / "content" / "comments" / SLUG / f"{comment}.yaml").read_text()
        assert page.evaluate("window.__cspViolations") == []
        page.get_by_role("button", name="Approve").click()
        expect(page.get_by_text(f"Comment {SLUG}/{comment} is approved")).to_be_visible()
        approved_at = time.monotonic()
        wait_for(lambda: "approved" in status_on(stack.bare, comment), 30, "the decision on the remote")
        notices = stack.smtp.inbox.wait(READER, 2, timeout=120)
        notice_delay = time.monotonic() - approved_at
        wait_hook_done(stack.bare)
        notice = notices[1].message
        assert "is published" in str(notice["Subject"])
        found = re.search(r"http\S+#comment-\S+", text_of(notice))
        assert found is not None, text_of(notice)
        page.goto(found.group())
        expect(page.locator(f"#comment-{comment}")).to_contain_text("Is a handwritten note still expected?")
        page.goto(stack.base + ARTICLE)
    finally:
        context.close()
    sh(stack.bare, "hooks/post-receive", "--publish-now", env={"GIT_DIR": str(stack.bare)})
    time.sleep(1)
    assert len(stack.smtp.inbox.to(READER)) == 2, "a republish sent the notice again"
    print(f"\npost to alert: {alert_delay:.2f} s; approve to notice (push, build, notify): {notice_delay:.2f} s")

    work = stack.bare / "deploy-work"
    export = tmp_path / "export.json"
    subprocess.run([sys.executable, "-m", "pelican.plugins.reader_comments.importers", "export", str(export),
                    "--settings", "publishconf.py"], cwd=work, check=True, capture_output=True, timeout=120)
    assert comment in export.read_text(encoding="utf-8")
    places = [stack.live.resolve(), stack.clone, work, export, stack.intake.log, tmp_path / "nginx"]
    history = sh(stack.bare, "git", "log", "--all", "-p", "--format=%an %ae %s %b").stdout
    history += sh(stack.clone, "git", "log", "--all", "-p", "--format=%an %ae %s %b").stdout
    assert comment in history and READER not in history and MODERATOR not in history
    for place in places:
        files = [place] if place.is_file() else [p for p in place.rglob("*") if p.is_file() and ".venv" not in p.parts]
        assert files, place
        for file in files:
            data = file.read_bytes()
            assert READER.encode() not in data, f"the reader's address is in {file}"
    assert os.path.getsize(tmp_path / "state" / "subscribers.sqlite3") > 0


def test_an_unusable_address_keeps_the_form_and_says_what_is_wrong(stack: Stack, browser: Any) -> None:
    """An address the browser lets through but the intake refuses: the page says why and keeps every field and choice."""
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    try:
        page = context.new_page()
        page.goto(stack.base + ARTICLE)
        page.get_by_label("Name").fill("Fay Typo")
        page.get_by_label("Comment", exact=True).fill("My words must survive.")
        page.get_by_label("E-mail address").fill("fay@localhost")
        page.get_by_label("Tell me when someone replies").check()
        with page.expect_response(lambda r: r.url.endswith("/inbox/comments") and r.request.method == "POST") as posted:
            page.get_by_role("button", name="Post comment").click()
        assert posted.value.status == 400
        expect(page.get_by_role("alert")).to_contain_text("E-mail address: that is not an e-mail address")
        expect(page.get_by_label("E-mail address")).to_have_value("fay@localhost")
        expect(page.get_by_label("Name")).to_have_value("Fay Typo")
        expect(page.get_by_label("Comment", exact=True)).to_have_value("My words must survive.")
        expect(page.get_by_label("Tell me when someone replies")).to_be_checked()
        expect(page.get_by_label("Tell me when my comment is published")).not_to_be_checked()
    finally:
        context.close()
    assert not list((stack.clone / "content" / "comments" / SLUG).glob("*.yaml")) or all(
        "Fay Typo" not in p.read_text() for p in (stack.clone / "content" / "comments" / SLUG).glob("*.yaml"))
    assert stack.smtp.inbox.messages == []
