"""One runner for the intake service in a real subprocess on 127.0.0.1, and plain HTTP requests to it."""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parents[2]
INTAKE_FIXTURES = REPO / "tests" / "fixtures" / "intake"

FORM = "application/x-www-form-urlencoded"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def run_clients(threads: Sequence[threading.Thread]) -> float:
    """Start every client thread at once, wait for all, and return the wall-clock seconds they took."""
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started


def service_env(overrides: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for the service: ours without COMMENTS_* variables, plus `overrides`."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("COMMENTS_")}
    # The notices' state (link secret, subscribers) of a test service goes under the temporary folder, not $HOME.
    env.setdefault("XDG_STATE_HOME", os.path.join(tempfile.gettempdir(), f"reader-comments-tests-{os.getuid()}"))

    env.update(overrides or {})
    return env


def write_manifest(path: Path, articles: dict[str, dict[str, Any]]) -> Path:
    """Write a manifest in the build's format."""
    path.write_text(json.dumps({"version": 1, "articles": articles}, indent=1), encoding="utf-8")
    return path


def open_articles(*slugs: str) -> dict[str, dict[str, Any]]:
    """Manifest entries for articles that take comments and have none published."""
    return {slug: {"title": slug, "url": f"{slug}/", "mode": "open", "comments": {}} for slug in slugs}


@dataclass
class IntakeServer:
    """The intake service in a subprocess on a free port of 127.0.0.1."""

    content: Path
    manifest: Path
    settings: Path = REPO / "pelicanconf.py"
    env: dict[str, str] = field(default_factory=dict)
    log: Path | None = None
    prefix: Sequence[str] = ()
    preexec_fn: Callable[[], None] | None = None
    log_level: str = "info"
    # A port of the caller's choosing (a site built to post there), else a free one at each start.
    fixed_port: int = 0
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        """The command line that runs the service."""
        return [
            *self.prefix,
            sys.executable,
            "-m",
            "pelican.plugins.reader_comments.intake",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--settings",
            str(self.settings),
            "--comments",
            str(self.content),
            "--manifest",
            str(self.manifest),
            "--log-level",
            self.log_level,
        ]

    def start(self, timeout: float = 20.0) -> IntakeServer:
        """Start the service and wait until /health answers."""
        self.port = self.fixed_port or free_port()
        output: BinaryIO | int = self.log.open("ab") if self.log else subprocess.DEVNULL
        try:
            self.process = subprocess.Popen(
                self.command(),
                cwd=REPO,
                env=service_env(self.env),
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=self.preexec_fn,
            )
        finally:
            if not isinstance(output, int):
                output.close()
        self.wait_ready(timeout)
        return self

    def wait_ready(self, timeout: float) -> None:
        """Poll /health until it answers 200; raise RuntimeError if the service dies or stalls."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"intake service exited with {self.process.returncode}; see {self.log}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/health")
                if conn.getresponse().status == 200:
                    conn.close()
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"intake service did not answer on port {self.port} within {timeout}s")

    def ensure_running(self) -> IntakeServer:
        """Start the service again if it has exited, so a test that brought it down fails alone."""
        if self.process is None or self.process.poll() is not None:
            self.start()
        return self

    @property
    def pid(self) -> int:
        """The service's process id."""
        assert self.process is not None
        return self.process.pid

    def peak_memory_kib(self) -> int | None:
        """The service's peak resident memory (VmHWM) in KiB, while it runs."""
        try:
            for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None

    def stop(self) -> None:
        """Stop the service (SIGTERM, then SIGKILL after 10 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def kill(self) -> None:
        """Kill the service with SIGKILL, as a crash or `kill -9` would."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> IntakeServer:
        """Start the service, unless it runs already (`launch` starts it): a second start would leave the first running."""
        return self.ensure_running()

    def __exit__(self, *exc: object) -> None:
        """Stop the service."""
        self.stop()


def seed(tmp: Path, fixtures: Path = INTAKE_FIXTURES) -> tuple[Path, Path]:
    """A comments folder and a manifest copied from the intake fixtures into `tmp`."""
    comments = tmp / "comments"
    shutil.copytree(fixtures / "comments", comments)
    manifest = tmp / "comments-manifest.json"
    shutil.copy(fixtures / "comments-manifest.json", manifest)
    return comments, manifest


def launch(tmp: Path, env: dict[str, str], settings: Path = INTAKE_FIXTURES / "settings.py", **options: Any) -> IntakeServer:
    """Start a service on a fresh copy of the intake fixtures, logging to tmp/service.log."""
    comments, manifest = seed(tmp)
    options.setdefault("log", tmp / "service.log")
    return IntakeServer(comments, manifest, settings, env=env, **options).start()


@dataclass
class Reply:
    """A response, read whole."""

    status: int
    headers: http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        """The body as JSON."""
        return json.loads(self.body)

    @property
    def text(self) -> str:
        """The body as text."""
        return self.body.decode("utf-8")


def send(
    port: int,
    method: str,
    path: str,
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    source: str | None = None,
) -> Reply:
    """One request on a fresh connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10, source_address=(source, 0) if source else None)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def post_form(port: int, fields: dict[str, str], source: str | None = None, **headers: str) -> Reply:
    """POST `fields` to /comments as a urlencoded form asking for JSON; extra headers with `_` for `-`."""
    sent = {"Content-Type": FORM, "Accept": "application/json", **{k.replace("_", "-"): v for k, v in headers.items()}}
    return send(port, "POST", "/comments", urlencode(fields), sent, source=source)
def post_comment(port: int, slug: str, author: str, body: str = "A comment.", expect: int = 201) -> str:
    """Post a comment as a JSON client; check the status; return the id (or the errors) it answered."""
    fields = {"article": slug, "author": author, "body": body, "website": "", "reply_to": "", "homepage": ""}
    reply = send(port, "POST", "/comments", urlencode(fields), {"Content-Type": FORM, "Accept": "application/json"})
    assert reply.status == expect, reply.body
    return reply.json().get("id") or str(reply.json().get("errors"))
