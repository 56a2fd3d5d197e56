"""A local stand-in for Akismet's service, for the tests of the optional Akismet check."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs


class AkismetStandIn(BaseHTTPRequestHandler):
    """Answers comment-check as Akismet does: 'true' for a text holding 'spammy', else 'false'."""

    seen: list[dict[str, list[str]]] = []

    def do_POST(self) -> None:  # noqa: N802
        """Record the form and answer."""
        length = int(self.headers.get("content-length", "0"))
        form = parse_qs(self.rfile.read(length).decode("utf-8"))
        form["path"] = [self.path]
        self.seen.append(form)
        answer = b"true" if "spammy" in form.get("comment_content", [""])[0] else b"false"
        self.send_response(200)
        self.send_header("content-type", "text/plain")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args) -> None:  # noqa: A002
        """Quiet."""


@contextmanager
def akismet_stand_in() -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    """The stand-in on 127.0.0.1 while the block runs: its address and the requests it received."""
    AkismetStandIn.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), AkismetStandIn)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", AkismetStandIn.seen
    finally:
        server.shutdown()
        server.server_close()
