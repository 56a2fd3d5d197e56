"""A remote that hangs: the intake's push is timed out with everything it started, at each retry and at shutdown."""

from __future__ import annotations

import os
import signal
from pathlib import Path

from support.git import comments_repository, wait_for
from support.intake import IntakeServer, open_articles, write_manifest
from support.intake import post_comment as post

# An ssh that records its arguments and its process ids, then starts a "remote side" and never answers.
FAKE_SSH = """#!/bin/sh
printf '%s\\n' "$*" >> "$SSH_RECORD/args"
sleep 3600 &
echo $! >> "$SSH_RECORD/pids"
echo $$ >> "$SSH_RECORD/pids"
exec sleep 3600
"""


def alive(pid: int) -> bool:
    """Whether process `pid` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def recorded(folder: Path, name: str) -> list[str]:
    """The lines the fake ssh wrote to `name` so far."""
    path = folder / name
    return path.read_text().split() if name == "pids" and path.exists() else (path.read_text().splitlines() if path.exists() else [])


def hanging_intake(tmp_path: Path, **env: str) -> tuple[IntakeServer, Path]:
    """The intake committing in a fresh repository and pushing over a fake ssh that hangs; and the fake's record folder."""
    site, record, bin_dir = tmp_path / "site", tmp_path / "record", tmp_path / "bin"
    for folder in (record, bin_dir):
        folder.mkdir(parents=True)
    (bin_dir / "ssh").write_text(FAKE_SSH)
    (bin_dir / "ssh").chmod(0o755)
    comments_repository(site)
    write_manifest(tmp_path / "manifest.json", open_articles("first"))
    settings = {
        "COMMENTS_RATE_LIMIT": "0", "COMMENTS_GIT_COMMIT": "true", "COMMENTS_GIT_PUSH": "ssh://hangs.invalid/site.git",
        "PATH": f"{bin_dir}:{os.environ['PATH']}", "SSH_RECORD": str(record), **env,
    }
    server = IntakeServer(site / "content" / "comments", tmp_path / "manifest.json", env=settings, log=tmp_path / "intake.log")
    return server, record


def test_ssh_gets_a_connect_timeout_and_keepalive_by_default(tmp_path: Path) -> None:
    """Without ssh settings of its own, the intake's ssh gives up on a silent host and notices a dead connection."""
    server, record = hanging_intake(tmp_path)
    with server:
        post(server.port, "first", "Ann")
        wait_for(lambda: bool(recorded(record, "args")), what="the push to start ssh")
    arguments = recorded(record, "args")[0]
    for option in ("ConnectTimeout=", "ServerAliveInterval=", "ServerAliveCountMax=", "BatchMode=yes"):
        assert option in arguments, arguments


def test_a_push_in_flight_at_shutdown_is_killed_with_all_it_started(tmp_path: Path) -> None:
    """With the default timeout, a push hanging when the intake is stopped dies with it, ssh and its child too."""
    server, record = hanging_intake(tmp_path)
    with server:
        post(server.port, "first", "Ann")
        wait_for(lambda: len(recorded(record, "pids")) >= 2, what="the push to start ssh")
    assert server.process is not None and server.process.returncode != -signal.SIGKILL, "the intake had to be killed"
    every = [int(pid) for pid in recorded(record, "pids")]
    wait_for(lambda: not any(alive(pid) for pid in every), timeout=5, what="ssh and its child to be gone after shutdown")


def test_a_hanging_push_is_killed_with_all_it_started_at_each_retry_and_at_shutdown(tmp_path: Path) -> None:
    """Past COMMENTS_GIT_TIMEOUT, ssh and its child die with git; at shutdown the push in flight dies too."""
    server, record = hanging_intake(tmp_path, COMMENTS_GIT_TIMEOUT="2")
    try:
        server.start()
        post(server.port, "first", "Ann")
        wait_for(lambda: len(recorded(record, "pids")) >= 4, timeout=30, what="a second push attempt")
        first_attempt = [int(pid) for pid in recorded(record, "pids")[:2]]
        assert not any(alive(pid) for pid in first_attempt), "the timed-out push left ssh or its child running"
        assert "no answer in 2 s" in (tmp_path / "intake.log").read_text()
    finally:
        server.stop()
    every = [int(pid) for pid in recorded(record, "pids")]
    wait_for(lambda: not any(alive(pid) for pid in every), timeout=5, what="every ssh and child to be gone after shutdown")
