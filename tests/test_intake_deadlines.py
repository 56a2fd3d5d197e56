"""The intake's two deadlines, the headers' and the body's, set apart so that each is seen to apply where it belongs."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from support.intake import launch

HEADERS_ONLY = b"POST /comments HTTP/1.1\r\nHost: guide.example\r\n"
HEADERS_THEN_PART_OF_BODY = (b"POST /comments HTTP/1.1\r\nHost: guide.example\r\n"
                             b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 500\r\n\r\narticle=dinner")
SHORT, LONG = 1, 8


def seconds_until_closed(sock: socket.socket, limit: float) -> float | None:
    """How long after now the server closes `sock` (end of file or a reset), or None if it is still open after `limit` s."""
    started = time.monotonic()
    sock.settimeout(limit)
    try:
        sock.recv(1024)
    except ConnectionResetError:
        pass
    except TimeoutError:
        return None
    return time.monotonic() - started


@pytest.mark.parametrize(("header_seconds", "body_seconds"), [(SHORT, LONG), (LONG, SHORT)], ids=["short-headers", "short-body"])
def test_each_deadline_cuts_off_only_its_own_phase(tmp_path: Path, header_seconds: int, body_seconds: int) -> None:
    """A connection stuck in its headers is cut at COMMENTS_HEADER_TIMEOUT, one stuck in its body at COMMENTS_BODY_TIMEOUT."""
    server = launch(tmp_path, {"COMMENTS_HEADER_TIMEOUT": str(header_seconds), "COMMENTS_BODY_TIMEOUT": str(body_seconds)})
    try:
        in_headers = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        in_headers.sendall(HEADERS_ONLY)
        in_body = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        in_body.sendall(HEADERS_THEN_PART_OF_BODY)
        short, long = (in_headers, in_body) if header_seconds == SHORT else (in_body, in_headers)
        cut = seconds_until_closed(short, SHORT + 3)
        assert cut is not None, "the connection was not cut off at the short deadline"
        # The other one is still open well past the short deadline, and is cut at its own.
        assert seconds_until_closed(long, 2.5) is None, "the long deadline's connection was cut at the short one"
        assert seconds_until_closed(long, LONG + 3) is not None, "the connection was never cut off"
    finally:
        server.stop()
