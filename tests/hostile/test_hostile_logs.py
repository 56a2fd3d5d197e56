"""Logs a person reads: no request or git value reaches them raw, git's lines stay lines, and the throttle keeps other lines."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlencode

from support.git import comments_repository, sh, wait_for
from support.intake import FORM, IntakeServer, launch, open_articles, send, write_manifest
from support.intake import post_comment as post

# What a terminal acts on: C0 controls but the line feed, DEL, and C1 controls (in UTF-8 or as raw bytes).
TERMINAL_CONTROLS = re.compile(rb"[\x00-\x09\x0b-\x1f\x7f]|\xc2[\x80-\x9f]")


def hostile_post(server: IntakeServer, origin: bytes, article: str) -> int:
    """A form post with this Origin header (raw bytes) and article field; the status it got."""
    fields = {"article": article, "author": "Ann", "body": "Hello.", "website": "", "reply_to": ""}
    headers = {"Content-Type": FORM, "Accept": "application/json", "Origin": origin.decode("latin-1")}
    return send(server.port, "POST", "/comments", urlencode(fields), headers).status


def test_request_values_reach_the_log_escaped(tmp_path: Path) -> None:
    """Escape sequences in the Origin header and in a field reach the log as visible escapes, never as controls."""
    server = launch(tmp_path, {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_ALLOWED_ORIGINS": "https://guide.example"})
    try:
        assert hostile_post(server, b"https://evil.example/\x9b2J\x9b31m", "dinner-guest") == 403
        assert hostile_post(server, b"https://evil.example/\x1b[2J", "dinner-guest") == 403
    finally:
        server.stop()
    log = (tmp_path / "service.log").read_bytes()
    assert not TERMINAL_CONTROLS.search(log), log
    assert b"\\x9b2J\\x9b31m" in log
    assert b"https://evil.example/\\x1b[2J" in log


def test_git_output_reaches_the_log_one_marked_line_each_and_escaped(tmp_path: Path) -> None:
    """A remote refusing the push with several lines, one recolouring the terminal: each line logged on its own, marked, escaped."""
    bare, site = tmp_path / "remote.git", tmp_path / "site"
    sh(tmp_path, "git", "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    hook = bare / "hooks" / "pre-receive"
    hook.write_text("#!/bin/sh\nprintf 'first refusal line\\n\\033[2J\\033[31msecond line\\nthird line\\n' >&2\nexit 1\n")
    hook.chmod(0o755)
    comments_repository(site)
    write_manifest(tmp_path / "manifest.json", open_articles("first"))
    env = {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_GIT_COMMIT": "true", "COMMENTS_GIT_PUSH": str(bare)}
    log = tmp_path / "intake.log"
    with IntakeServer(site / "content" / "comments", tmp_path / "manifest.json", env=env, log=log):
        wait_for(lambda: "third line" in log.read_text(), what="the refused push in the log")
    data = log.read_bytes()
    assert not TERMINAL_CONTROLS.search(data), data
    lines = data.decode().splitlines()
    marked = [line.rstrip() for line in lines if line.startswith("    | ")]
    assert any(line.endswith("first refusal line") for line in marked)
    assert any(line.endswith("\\x1b[2J\\x1b[31msecond line") for line in marked)
    assert any(line.endswith("third line") for line in marked)


def refused_post(server: IntakeServer, **fields: str) -> int:
    """A JSON post of a comment on dinner-guest with `fields` changed; the status it got."""
    form = {"article": "dinner-guest", "author": "Ann", "body": "Hello.", "website": "", "reply_to": "", **fields}
    return send(server.port, "POST", "/comments", urlencode(form), {"Content-Type": FORM, "Accept": "application/json"}).status


def test_one_noisy_refusal_does_not_hide_the_others(tmp_path: Path) -> None:
    """Fifty posts from ever-changing refused origins; then another refusal, three times: each of those is logged."""
    server = launch(tmp_path, {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_ALLOWED_ORIGINS": "https://guide.example"})
    try:
        for n in range(50):
            assert hostile_post(server, f"https://noisy{n}.example".encode(), "dinner-guest") == 403
        for _ in range(3):
            assert refused_post(server, body="") == 400
        comment_id = post(server.port, "dinner-guest", "Ann")
    finally:
        server.stop()
    log = (tmp_path / "service.log").read_text()
    assert log.count("submission refused: 400 Comment is required.") == 3, log
    assert log.count("noisy") < 25 and comment_id in log
