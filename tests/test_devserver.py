"""The development server and the Make targets around it, run for real on ephemeral ports of 127.0.0.1."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from support.build import REPO, Build, build_site

SERVE = REPO / "tools" / "serve.py"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Build:
    """The real site, built with the development settings."""
    base = tmp_path_factory.mktemp("served")
    return build_site(REPO / "content", base / "output")


def wait_for_url(process: subprocess.Popen[str]) -> str:
    """The address the server prints once it listens."""
    seen = []
    for line in process.stdout:
        if line.startswith("Serving"):
            return line.split("http://", 1)[1].split()[0].rstrip("/")
        seen.append(line)
    raise AssertionError("".join(seen))


def start(*command: str, cwd: Path = REPO, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    """A command in its own process group, its output readable."""
    return subprocess.Popen(list(command), cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def stop(process: subprocess.Popen[str]) -> None:
    """Interrupt the process group, as Ctrl-C does."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def fetch(url: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one request."""
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


@pytest.fixture(scope="module")
def server(site):
    """tools/serve.py on a free port, serving the built site."""
    process = start(sys.executable, str(SERVE), str(site.output), "--port", "0")
    try:
        yield f"http://{wait_for_url(process)}"
    finally:
        stop(process)


def test_a_missing_url_gets_the_site_404_page_with_status_404(server):
    status, headers, body = fetch(f"{server}/2010/no-such-post/")
    assert status == 404
    assert headers["Content-Type"].startswith("text/html")
    page = " ".join(body.decode().split())
    assert "<title>Page not found ·" in page
    assert '<base href="/">' in page
    assert fetch(f"{server}/nothing-here.css", "HEAD")[0] == 404


def test_pages_favicon_and_robots_are_served(server):
    assert fetch(f"{server}/")[0] == 200
    assert fetch(f"{server}/2010/thank-you-note/")[0] == 200
    status, headers, body = fetch(f"{server}/favicon.ico")
    assert status == 200 and body[:4] == b"\x00\x00\x01\x00"
    status, headers, body = fetch(f"{server}/favicon.svg")
    assert status == 200 and b"<svg" in body
    status, headers, body = fetch(f"{server}/robots.txt")
    assert status == 200 and b"User-agent: *" in body


def test_every_page_names_the_icon_so_browsers_do_not_guess(site):
    for page in ("index.html", "2010/thank-you-note/index.html", "404.html"):
        icons = {link.get("href").rsplit("/", 1)[-1] for link in site.tree(page).iter("link") if link.get("rel") == "icon"}
        assert icons == {"favicon.ico", "favicon.svg"}, page


def busy_port() -> socket.socket:
    """A listening socket on a free port of 127.0.0.1."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen()
    return sock


@pytest.mark.parametrize("target", ["serve", "devserver"])
def test_make_serve_on_a_busy_port_fails_and_says_so(site, target, tmp_path):
    with busy_port() as sock:
        port = sock.getsockname()[1]
        result = subprocess.run(
            ["make", "--no-print-directory", target, f"PORT={port}", f"OUTPUTDIR={site.output}",
             f"INPUTDIR={tmp_path}"],
            cwd=REPO, capture_output=True, text=True, timeout=60,
        )
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert f"Port {port}" in out and "already in use" in out
    assert "Traceback" not in out


def test_make_devserver_rebuilds_and_serves_without_promising_a_reload(tmp_path):
    content = tmp_path / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts" / "one.md").write_text("Title: One\nDate: 2024-05-01 09:00\nSlug: one\n\nFirst text.\n")
    process = start("make", "--no-print-directory", "devserver", "PORT=0", f"INPUTDIR={content}",
                    f"OUTPUTDIR={tmp_path / 'output'}")
    try:
        url = f"http://{wait_for_url(process)}"
        deadline = time.monotonic() + 60
        while fetch(f"{url}/2024/one/")[0] != 200:
            assert time.monotonic() < deadline, "no first build"
            time.sleep(0.5)
        assert "First text." in " ".join(fetch(f"{url}/2024/one/")[2].decode().split())
        assert fetch(f"{url}/2024/two/")[0] == 404
    finally:
        stop(process)
    help_text = subprocess.run(["make", "help"], cwd=REPO, capture_output=True, text=True).stdout
    devserver = next(line for line in help_text.splitlines() if "make devserver" in line)
    assert "reload" not in devserver.lower() and "refresh" in devserver.lower()


def test_inbox_port_moves_the_form_and_the_intake_together(tmp_path):
    output = tmp_path / "output"
    built = subprocess.run(["make", "--no-print-directory", "html", "INBOX_PORT=9123", f"OUTPUTDIR={output}"],
                           cwd=REPO, capture_output=True, text=True, timeout=120)
    assert built.returncode == 0, built.stderr
    page = (output / "2010" / "thank-you-note" / "index.html").read_text()
    assert 'action="http://127.0.0.1:9123/comments"' in page
    inbox = subprocess.run(["make", "-n", "inbox", "INBOX_PORT=9123"], cwd=REPO, capture_output=True, text=True)
    assert "--port 9123" in inbox.stdout


def test_make_inbox_on_a_busy_port_says_so_before_starting(tmp_path):
    """Like `make serve`: one line naming the port and what to do; no startup banner, no raw errno."""
    with busy_port() as sock:
        port = sock.getsockname()[1]
        result = subprocess.run(
            ["make", "--no-print-directory", "inbox", f"INBOX_PORT={port}", f"MANIFEST={tmp_path / 'manifest.json'}"],
            cwd=REPO, capture_output=True, text=True, timeout=60,
        )
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    [line] = [line for line in out.splitlines() if "already in use" in line]
    assert f"port {port} " in line and f"INBOX_PORT={port + 1}" in line
    assert "Errno" not in out and "startup complete" not in out and "Traceback" not in out
