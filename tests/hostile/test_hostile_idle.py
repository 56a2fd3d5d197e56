"""Idle and slow connections against the intake service, limited to 1,024 open files.

About 1,100 connections that send part of a request header and wait used to take
the service down: every file handle held, legitimate posts timing out, and
asyncio logging a traceback for each failed accept (57 MB in 10 s). Here the
service runs with RLIMIT_NOFILE at 1,024 while this process holds 1,100 such
connections; a real post must still succeed within seconds and the log stay small.
Header and body deadlines are lowered through the environment so the test is quick.
"""

from __future__ import annotations

import logging
import os
import resource
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pelican.plugins.reader_comments.intake.guard import LogThrottle, connection_cap
from support.intake import IntakeServer, launch, post_form


def _record(message: str, level: int = logging.ERROR, name: str = "asyncio") -> logging.LogRecord:
    """A log record as a logger would make it."""
    return logging.LogRecord(name, level, __file__, 1, message, None, None)


def test_log_throttle_lets_a_burst_through_then_counts() -> None:
    now = [0.0]
    throttle = LogThrottle(burst=5, window=10, clock=lambda: now[0])
    passed = [throttle.filter(_record(f"socket.accept() out of system resource\nsocket: fd={n}")) for n in range(1000)]
    assert passed.count(True) == 5
    assert throttle.filter(_record("another message"))
    now[0] = 10.5
    record = _record("socket.accept() out of system resource\nsocket: fd=7")
    assert throttle.filter(record)
    assert "995 more like this" in record.getMessage()


def test_connection_cap_stays_under_the_file_limit() -> None:
    assert connection_cap(10_000, soft_limit=1024) <= 1024 - 256
    assert connection_cap(100, soft_limit=1024) == 100
    assert connection_cap(10_000, soft_limit=65_536) == 10_000


# ---------------------------------------------------------------- the running service

FILE_LIMIT = 1024
IDLE = 1100
PARTIAL = b"POST /comments HTTP/1.1\r\nHost: guide.example\r\nContent-Ty"
FORM = {"article": "dinner-guest", "author": "Ann Reader", "body": "Posted past the idle crowd."}


def _limit_files() -> None:
    """In the service's process: at most 1,024 open files, as on a default Linux account."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (FILE_LIMIT, FILE_LIMIT))


def _start(tmp: Path, env: dict[str, str]) -> IntakeServer:
    """The service on a copy of the intake fixtures, limited to 1,024 files, logging to tmp/service.log."""
    return launch(tmp, env, preexec_fn=_limit_files)


def _post(port: int) -> int:
    """POST a valid form on a fresh connection (10 s socket timeout: a blocked service fails it); the status."""
    return post_form(port, FORM).status


@pytest.fixture
def many_files() -> Iterator[None]:
    """Let this process hold a few thousand sockets."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = 4096 if hard == resource.RLIM_INFINITY else min(hard, 4096)
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _closed_by_server(sock: socket.socket, seconds: float) -> bool:
    """Whether the server closes `sock` within `seconds` (end of file or a reset)."""
    sock.settimeout(seconds)
    try:
        return sock.recv(1024) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def _cut_off_while_dripping(sock: socket.socket, data: bytes, seconds: float) -> bool:
    """Send `data` a byte every 0.3 s (active, but never done); whether the server cuts the connection within `seconds`."""
    deadline = time.monotonic() + seconds
    for byte in data * 10:
        if time.monotonic() > deadline:
            return False
        try:
            sock.sendall(bytes([byte]))
        except (BrokenPipeError, ConnectionResetError):
            return True
        if _closed_by_server(sock, 0.3):
            return True
    return False


def test_a_real_post_gets_through_1100_idle_connections(tmp_path: Path, many_files: None) -> None:
    server = _start(tmp_path, {"COMMENTS_RATE_LIMIT": "0"})
    held: list[socket.socket] = []
    try:
        for _ in range(IDLE):
            sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            sock.sendall(PARTIAL)
            held.append(sock)
        assert len(held) == IDLE
        assert _post(server.port) == 201
        assert len(os.listdir(f"/proc/{server.pid}/fd")) < FILE_LIMIT
        time.sleep(1)
        assert (tmp_path / "service.log").stat().st_size < 64 * 1024
    finally:
        for sock in held:
            sock.close()
        server.stop()
    assert (tmp_path / "service.log").stat().st_size < 64 * 1024
    assert "Traceback" not in (tmp_path / "service.log").read_text(encoding="utf-8")


def test_slow_headers_and_bodies_are_cut_off(tmp_path: Path) -> None:
    server = _start(tmp_path, {"COMMENTS_HEADER_TIMEOUT": "1", "COMMENTS_BODY_TIMEOUT": "1"})
    try:
        silent = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        partial = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        partial.sendall(PARTIAL)
        body = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        body.sendall(b"POST /comments HTTP/1.1\r\nHost: guide.example\r\n"
                     b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\narticle=dinner")
        drip = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        # deadlines of 1 s; the bounds below only keep a broken guard from hanging the test
        assert _cut_off_while_dripping(drip, PARTIAL, 8.0)
        for sock in (silent, partial, body):
            assert _closed_by_server(sock, 5)
        assert _post(server.port) == 201
    finally:
        server.stop()
