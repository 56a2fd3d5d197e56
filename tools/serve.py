"""Serve the built site on 127.0.0.1 for `make serve` and `make devserver`.

Pelican's own server answers a missing URL with an empty reply and exits 0 when its
port is taken; this one answers with the site's 404 page and stops with status 1.
With `--rebuild`, it also runs the given command (`pelican -r …`) until it stops.
"""

from __future__ import annotations

import argparse
import errno
import logging
import signal
import subprocess
import sys
from http.server import ThreadingHTTPServer
from pathlib import Path

from pelican.server import ComplexHTTPRequestHandler

logger = logging.getLogger("serve")

NOT_FOUND_PAGE = "404.html"
# Makes the 404 page's relative links (development builds) work at any depth.
BASE = b'<head>\n<base href="/">'


class SiteHandler(ComplexHTTPRequestHandler):
    """Pelican's request handler, answering a missing URL with the site's 404 page."""

    def do_GET(self) -> None:
        """Send the file, or the 404 page."""
        if self.get_path_that_exists(self.path.split("?", 1)[0]) is None:
            self.send_not_found()
            return
        super().do_GET()

    def do_HEAD(self) -> None:
        """Send the headers of the file, or of the 404 page."""
        if self.get_path_that_exists(self.path.split("?", 1)[0]) is None:
            self.send_not_found()
            return
        super().do_HEAD()

    def send_not_found(self) -> None:
        """Status 404 with the built 404 page (or a line of text before the first build)."""
        page = Path(self.base_path, NOT_FOUND_PAGE)
        if page.is_file():
            body, kind = page.read_bytes().replace(b"<head>", BASE, 1), "text/html; charset=utf-8"
        else:
            body, kind = b"Not found (the site has no 404.html yet: run make html)\n", "text/plain; charset=utf-8"
        self.send_response(404)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - the name http.server uses
        """One line per request."""
        logger.info(format, *args)


def open_server(output: Path, host: str, port: int) -> ThreadingHTTPServer:
    """A server for `output` bound to host:port; exits with a plain message when the port is taken."""
    handler = type("OutputHandler", (SiteHandler,), {"base_path": str(output)})
    try:
        return ThreadingHTTPServer((host, port), handler)
    except OSError as error:
        if error.errno == errno.EADDRINUSE:
            logger.error("Port %d on %s is already in use; stop the other server or pick another port: make serve PORT=%d",
                         port, host, port + 1)
        else:
            logger.error("Cannot serve on %s:%d: %s", host, port, error.strerror)
        raise SystemExit(1) from None


def parse_arguments(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("output", type=Path, help="the built site")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--rebuild", nargs=argparse.REMAINDER, default=None,
                        help="a command that rebuilds the site on change, run while serving")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve until interrupted."""
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # Pelican's handler warns over several lines for every missing URL; the request line says it.
    logging.getLogger("pelican.server").setLevel(logging.ERROR)
    args = parse_arguments(argv)
    server = open_server(args.output, args.host, args.port)
    host, port = server.server_address[:2]
    rebuild = subprocess.Popen(args.rebuild) if args.rebuild else None
    # `kill` stops the rebuilding command too, not only Ctrl-C.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    print(f"Serving {args.output} at http://{host}:{port}/ (Ctrl-C stops)", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        if rebuild is not None:
            rebuild.terminate()
            rebuild.wait(timeout=10)
    return 0


if __name__ == "__main__":
    sys.exit(main())
