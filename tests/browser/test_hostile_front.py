"""Headers and the unit: one Referrer-Policy per response, nginx's own refusals in the site's look, a hardened unit.

The site is published by the real hook, served by nginx with the shipped configuration,
and posts go through it to the running intake, as in production.
"""

from __future__ import annotations

import http.client
import os
import re
import socket
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from playwright.sync_api import expect

from support.git import REPO, copy_project, sh
from support.intake import FORM, IntakeServer, free_port
from support.nginx import nginx_binary, start_nginx

ARTICLE = "/2011/dinner-guest/"
NOT_SENT = "Your comment was not sent"


@dataclass
class Front:
    """nginx serving a published LIVE, in front of the intake."""

    port: int
    intake: IntakeServer

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, list[tuple[str, str]], str]:
        """One request through nginx: status, every header (repeats kept), body text."""
        headers = {"Content-Type": FORM} if body is not None else {}
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, [(k.lower(), v) for k, v in response.getheaders()], response.read().decode("utf-8", "replace")
        finally:
            conn.close()


@pytest.fixture
def front(tmp_path: Path) -> Iterator[Front]:
    """The site published by the hook into LIVE, nginx in front of it, and the intake behind nginx."""
    nginx_binary()
    site, bare, live = copy_project(tmp_path / "site"), tmp_path / "site.git", tmp_path / "www" / "live"
    port, intake_port = free_port(), free_port()
    base = f"http://127.0.0.1:{port}"
    sh(tmp_path, "git", "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    sh(site, "git", "push", "--quiet", str(bare), "main")
    env = {"PYTHON_VENV": str(Path(sys.executable).parent.parent), "SITEURL": base, "COMMENTS_SUBMIT_URL": f"{base}/inbox/comments"}
    sh(REPO, "make", "--no-print-directory", "install-hook", f"REPO={bare}", f"LIVE={live}", env=env)
    intake = IntakeServer(site / "content" / "comments", live / "comments-manifest.json", REPO / "publishconf.py",
                          env={"SITEURL": base, "COMMENTS_TRUSTED_PROXIES": "127.0.0.1", "COMMENTS_RATE_LIMIT": "0"},
                          log=tmp_path / "intake.log")
    intake.fixed_port = intake_port
    nginx = start_nginx(tmp_path, live, port, intake_port)
    try:
        intake.start()
        yield Front(port, intake)
    finally:
        intake.stop()
        nginx.terminate()
        nginx.wait(10)


def policies(headers: list[tuple[str, str]]) -> list[str]:
    """Every Referrer-Policy value a response carries."""
    return [value for name, value in headers if name == "referrer-policy"]


def test_each_response_carries_one_referrer_policy(front: Front) -> None:
    """The site's pages one policy; the intake's answers through nginx exactly one, the intake's stricter one."""
    status, headers, _ = front.request("GET", ARTICLE)
    assert status == 200 and policies(headers) == ["strict-origin-when-cross-origin"]
    fields = urlencode({"article": "dinner-guest", "author": "Ann", "body": "", "website": ""}).encode()
    status, headers, _ = front.request("POST", "/inbox/comments", fields)
    assert status == 400 and policies(headers) == ["no-referrer"]
    status, headers, _ = front.request("GET", "/inbox/comments/received?article=dinner-guest")
    assert policies(headers) == ["no-referrer"], status


def assert_not_sent_page(status: int, expected: int, text: str) -> None:
    """A refusal by nginx came as the site's page: its stylesheet, the message, the way back, the text kept."""
    assert status == expected
    text = text.replace("\xa0", " ")
    assert NOT_SENT in text and "Back button" in text and "still in the comment form" in text, re.findall(r"<title>[^<]*", text)
    assert re.search(r'<link[^>]+href="[^"]*/theme/css/main\.css"', text), text[:500]
    assert re.search(r'<a [^>]*href="http://127\.0\.0\.1:\d+/?"', text)
    assert "nginx" not in text


def test_too_large_a_post_gets_the_sites_page(front: Front) -> None:
    """Over nginx's 128 KiB: 413 with the site's page, not nginx's bare one."""
    fields = urlencode({"article": "dinner-guest", "author": "Ann", "body": "x" * 200_000}).encode()
    status, _, text = front.request("POST", "/inbox/comments", fields)
    assert_not_sent_page(status, 413, text)


def test_the_intake_down_gets_the_sites_page(front: Front) -> None:
    """With the intake stopped: 502 with the site's page."""
    front.intake.stop()
    fields = urlencode({"article": "dinner-guest", "author": "Ann", "body": "Hello."}).encode()
    status, _, text = front.request("POST", "/inbox/comments", fields)
    assert_not_sent_page(status, 502, text)


def test_an_intake_that_never_answers_gets_the_sites_page(front: Front) -> None:
    """An intake that takes the request and never answers: after nginx's 30 s, 504 with the site's page."""
    front.intake.stop()
    with socket.create_server(("127.0.0.1", front.intake.fixed_port)) as silent:
        silent.listen()
        fields = urlencode({"article": "dinner-guest", "author": "Ann", "body": "Hello."}).encode()
        status, _, text = front.request("POST", "/inbox/comments", fields)
    assert_not_sent_page(status, 504, text)


def test_the_readers_text_is_still_there_after_the_error_page(front: Front, browser: Any) -> None:
    """In Chromium: the intake is down, the reader posts, sees the site's page, goes back and finds the text in the form."""
    front.intake.stop()
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"http://127.0.0.1:{front.port}{ARTICLE}")
        page.get_by_label("Name").fill("Ann Reader")
        page.get_by_label("Comment", exact=True).fill("A long thought I would hate to type again.")
        page.get_by_role("button", name="Post comment").click()
        expect(page.get_by_role("heading", name=NOT_SENT)).to_be_visible()
        page.go_back()
        expect(page.get_by_label("Comment", exact=True)).to_have_value("A long thought I would hate to type again.")
        expect(page.get_by_label("Name")).to_have_value("Ann Reader")
    finally:
        context.close()


def test_the_intake_unit_is_hardened(tmp_path: Path) -> None:
    """The rendered unit passes `systemd-analyze verify` and scores 2.0 or better in `systemd-analyze security`."""
    analyze = "/usr/bin/systemd-analyze"
    assert os.access(analyze, os.X_OK), "systemd-analyze is not installed (apt-get install systemd)"
    unit = tmp_path / "comment-intake.service"
    values = ["USER=comments", f"APP={REPO}", f"CLONE={tmp_path}", f"LIVE={REPO}/public", "PORT=8008"]
    unit.write_text(sh(REPO, str(REPO / "deploy" / "render"), str(REPO / "deploy" / "comment-intake.service"), *values).stdout)
    done = sh(tmp_path, analyze, "verify", unit.name, ok=False)
    assert done.returncode == 0, done.stderr
    done = sh(tmp_path, analyze, "security", "--offline=true", "--no-pager", unit.name, ok=False)
    score = re.search(r"Overall exposure level for comment-intake\.service: (\d+\.\d)", done.stdout)
    assert score is not None, done.stdout + done.stderr
    assert float(score[1]) <= 2.0, done.stdout.splitlines()[-1]
    text = unit.read_text()
    assert "UMask=0027" in text and "ProtectProc=invisible" in text and "MemoryMax=" in text and "TasksMax=" in text
