"""The production path end to end: hook, intake, nginx and Chromium, with comments travelling by git.

A bare repository with the publishing hook, the intake committing and pushing from a
server clone, nginx serving LIVE with the shipped site config, Chromium posting through
it, a moderator approving with git, and a broken push that changes nothing.
"""

from __future__ import annotations

import fcntl
import http.client
import os
import re
import shutil
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from support.build import build_site
from support.git import PEOPLE, REPO, copy_project, files_on, sh, wait_for
from support.intake import IntakeServer, free_port, service_env
from support.nginx import nginx_binary, start_nginx

SLUG = "thank-you-note"
ARTICLE = f"/2010/{SLUG}/"
PARENT_ID = "20100601T144200-clay-morgan"
PARENT_NAME = "Clay Morgan"
COMMENTS = f"content/comments/{SLUG}"
# Collects every Content-Security-Policy violation the page reports.
CSP_WATCH = """window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI + " " + e.sourceFile + ":" + e.lineNumber);
});"""
BROKEN_POST = "Title: Broken on purpose\nDate: the day after tomorrow\nCategory: Correspondence\n\nA post whose date cannot be read.\n"
def seed_repository(bare: Path, tmp: Path) -> None:
    """Push the project's files, as they are in this checkout, to a new bare repository."""
    sh(tmp, "git", "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    sh(copy_project(tmp / "seed"), "git", "push", "--quiet", str(bare), "main")


@dataclass
class Server:
    """Everything on the pretend server: the bare repository, LIVE, nginx and the intake."""

    tmp: Path
    bare: Path
    live: Path
    port: int
    intake: IntakeServer

    @property
    def base(self) -> str:
        """The site's address, served by nginx."""
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, encoding: str = "identity") -> tuple[int, dict[str, str], bytes]:
        """One GET through nginx."""
        return fetch(self.port, path, encoding)


def fetch(port: int, path: str, encoding: str = "identity") -> tuple[int, dict[str, str], bytes]:
    """One GET to 127.0.0.1:`port`: status, headers (lower-case names) and body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path, headers={"Accept-Encoding": encoding})
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, body


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    """The bare repository with the hook installed, the intake's sparse clone and nginx, all running.

    The intake runs this checkout's code and settings and commits in its own clone, as the systemd unit does.
    """
    nginx_binary()
    bare, live = tmp_path / "site.git", tmp_path / "www" / "live"
    port, intake_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    seed_repository(bare, tmp_path)
    hook_env = {"PYTHON_VENV": str(Path(sys.executable).parent.parent), "SITEURL": base, "COMMENTS_SUBMIT_URL": f"{base}/inbox/comments"}
    installed = sh(REPO, "make", "--no-print-directory", "install-hook", f"REPO={bare}", f"LIVE={live}", env=hook_env)
    assert "now serves" in installed.stdout, installed.stdout + installed.stderr
    clone = tmp_path / "intake-clone"
    sh(tmp_path, "git", "clone", "--quiet", "--no-checkout", str(bare), str(clone))
    sh(clone, "git", "sparse-checkout", "set", "--no-cone", "/content/comments/")
    sh(clone, "git", "checkout", "--quiet", "main")
    env = {"SITEURL": base, "COMMENTS_GIT_COMMIT": "true", "COMMENTS_GIT_PUSH": "origin", "COMMENTS_TRUSTED_PROXIES": "127.0.0.1"}
    intake = IntakeServer(clone / "content" / "comments", live / "comments-manifest.json", REPO / "publishconf.py",
                          env=env, log=tmp_path / "intake.log")
    intake.fixed_port = intake_port
    nginx = start_nginx(tmp_path, live, port, intake_port)
    try:
        intake.start()
        yield Server(tmp_path, bare, live, port, intake)
    finally:
        intake.stop()
        nginx.terminate()
        nginx.wait(10)


def test_nginx_serves_feeds_as_atom_and_refuses_what_only_the_intake_reads(tmp_path: Path) -> None:
    """The shipped site config: Atom feeds as application/atom+xml; the manifest and the intake's page templates refused."""
    live = build_site(shutil.copytree(REPO / "content", tmp_path / "content"), tmp_path / "live", conf="publishconf.py").output
    port = free_port()
    nginx = start_nginx(tmp_path, live, port, free_port())
    try:
        for feed in ("/feeds/all.atom.xml", "/feeds/category/work.atom.xml", "/feeds/comments/thank-you-note.atom.xml"):
            status, headers, body = fetch(port, feed)
            assert status == 200 and headers["content-type"] == "application/atom+xml", (feed, headers)
            assert body.startswith(b"<?xml") and headers["cache-control"] == "max-age=900", feed
        status, headers, _ = fetch(port, "/sitemap.xml")
        assert status == 200 and headers["content-type"].startswith("text/xml")
        for hidden in ("/comments-manifest.json", "/comments-intake/error.html.in", "/comments-intake/received.html.in",
                       "/comments-intake/"):
            assert (live / hidden.lstrip("/")).exists(), f"{hidden} is built, so a 404 is a refusal"
            status, _, body = fetch(port, hidden)
            assert status == 404 and b"[[intake:" not in body, hidden
    finally:
        nginx.terminate()
        nginx.wait(10)


def wait_hook_done(bare: Path) -> None:
    """Wait for a hook started by a push that just landed: it builds holding deploy.lock, so take the lock once."""
    time.sleep(0.5)
    with (bare / "deploy.lock").open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        fcntl.flock(lock, fcntl.LOCK_UN)


def submit(page: Any, server: Server, author: str, body: str) -> None:
    """Fill in the form on the page nginx served and post it; nginx hands it to the intake."""
    page.get_by_label("Name").fill(author)
    page.get_by_label("Comment", exact=True).fill(body)
    with page.expect_response(lambda r: r.url.endswith("/inbox/comments") and r.request.method == "POST") as posted:
        page.get_by_role("button", name="Post comment").click()
    assert posted.value.status == 303, posted.value.text()
    expect(page).to_have_url(re.compile(re.escape(f"{server.base}/inbox/comments/received?article=")))
    expect(page.get_by_role("link", name=re.compile("back to", re.I))).to_be_visible()


def violations(page: Any) -> list[str]:
    """CSP violations the current page reported."""
    return page.evaluate("window.__cspViolations")


def test_comments_travel_by_git_from_the_form_to_the_live_site(server: Server, browser: Any, tmp_path: Path) -> None:
    """Post, pull, approve, push: the served page shows the thread; a broken push leaves it as it was."""
    status, headers, _ = server.get(ARTICLE, "gzip")
    assert status == 200
    assert "script-src 'self'" in headers["content-security-policy"] and headers["x-content-type-options"] == "nosniff"
    assert headers["content-encoding"] == "gzip" and headers["cache-control"] == "no-cache"
    assert server.get("/theme/css/main.css")[1]["cache-control"] == "max-age=3600"
    status, _, body = server.get("/no/such/page/")
    assert status == 404 and b"<title>Page not" in body
    before = files_on(server.bare)
    installed = os.readlink(server.live)

    console: list[str] = []
    context = browser.new_context(viewport={"width": 1024, "height": 900})
    try:
        context.add_init_script(CSP_WATCH)
        page = context.new_page()
        page.on("console", lambda message: message.type == "error" and console.append(message.text))
        page.goto(server.base + ARTICLE)
        assert violations(page) == []
        submit(page, server, "Ada Newcomer", "A first comment, through nginx and git.")
        assert violations(page) == []
        page.goto(server.base + ARTICLE)
        page.get_by_role("button", name=f"Reply to {PARENT_NAME}").click()
        submit(page, server, "Ben Replier", "Answering Clay, through nginx and git.")

        wait_for(lambda: len(files_on(server.bare) - before) == 2, 30, "both comments on the remote")
        wait_hook_done(server.bare)
        assert os.readlink(server.live) == installed, "a push of pending comments only was built"
        new = sorted(files_on(server.bare) - before)
        assert all(name.startswith(f"{COMMENTS}/") for name in new)
        log = sh(server.bare, "git", "log", "--format=%an|%s", "main").stdout.splitlines()
        assert sum(line.startswith("Comment intake|Comment pending moderation: thank-you-note/") for line in log) == 2

        moderator = tmp_path / "moderator"
        sh(tmp_path, "git", "clone", "--quiet", str(server.bare), str(moderator))
        sh(moderator, "git", "pull", "--quiet")
        ids = [f"{SLUG}/{Path(name).stem}" for name in new]
        approve = [sys.executable, "-m", "pelican.plugins.reader_comments.moderation", "approve", "--commit", *ids]
        sh(moderator, *approve, env={**service_env({}), "COMMENTS_MODERATOR": "Mona Moderator", **PEOPLE})
        started = time.monotonic()
        pushed = sh(moderator, "git", "push", "origin", "main")
        push_to_live = time.monotonic() - started
        assert "now serves" in pushed.stderr, pushed.stderr
        print(f"\npush to live: {push_to_live:.2f} s")

        page.goto(server.base + ARTICLE)
        by_author = {name: page.locator("article.comment", has_text=name) for name in ("Ada Newcomer", "Ben Replier")}
        expect(by_author["Ada Newcomer"]).to_contain_text("A first comment, through nginx and git.")
        expect(by_author["Ben Replier"]).to_contain_text("Answering Clay, through nginx and git.")
        reply_parent = page.evaluate(
            """() => [...document.querySelectorAll("article.comment")].find((e) => e.textContent.includes("Ben Replier"))
                 .parentElement.parentElement.closest("li.comment-item").querySelector(":scope > article.comment").id"""
        )
        assert reply_parent == f"comment-{PARENT_ID}"
        assert violations(page) == []
        for path in ("/", "/comment-policy/", "/archives/"):
            page.goto(server.base + path)
            assert violations(page) == [], path
    finally:
        context.close()
    assert not [message for message in console if "Content Security Policy" in message], console

    target = os.readlink(server.live)
    _, _, page_before = server.get(ARTICLE)
    (moderator / "content" / "posts" / "broken.md").write_text(BROKEN_POST)
    sh(moderator, "git", "add", "content/posts/broken.md")
    sh(moderator, "git", "commit", "--quiet", "-m", "A broken post")
    pushed = sh(moderator, "git", "push", "origin", "main")
    assert "FAILED" in pushed.stderr and "not a date" in pushed.stderr and "broken.md" in pushed.stderr, pushed.stderr
    assert os.readlink(server.live) == target
    assert server.get(ARTICLE)[2] == page_before
    assert server.get("/2010/")[0] == 200
