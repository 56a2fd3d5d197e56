"""isso 0.14 as the intake benchmark's anchor: the same load against isso, in the same run, side by side.

`intake_load --git --isso-pairs N` (make bench-intake-git) calls these. isso is
installed from PyPI at a pinned version into a virtual environment of its own,
`.bench-venvs/isso` at the top of the project, created on first use; it runs as
`isso run` (its own threaded server) with its spam guard off and moderation on,
so each comment is stored pending, as the intake stores it. The figures are the
same as the intake's: throughput, p50 and p99 latency, and every comment stored.
"""

from __future__ import annotations

import http.client
import json
import queue
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.intake import free_port, run_clients

REPO = Path(__file__).resolve().parents[2]
VENV = REPO / ".bench-venvs" / "isso"
PIN = "isso==0.14.0"
CONFIG = """[general]
dbpath = {db}
host = http://127.0.0.1:{port}/
log-file = {log}
[server]
listen = http://127.0.0.1:{port}/
[moderation]
enabled = true
[guard]
enabled = false
"""


class IssoMissing(RuntimeError):
    """isso could not be installed or started; the message says why."""


def ensure_isso(venv: Path = VENV) -> Path:
    """The `isso` command of the benchmark's own virtual environment, installing the pinned version when needed."""
    command = venv / "bin" / "isso"
    stamp = venv / f".installed-{PIN}"
    if command.exists() and stamp.exists():
        return command
    shutil.rmtree(venv, ignore_errors=True)
    steps = ([sys.executable, "-m", "venv", str(venv)],
             [str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", PIN])
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, check=False, timeout=600)
        if done.returncode != 0:
            raise IssoMissing(f"{' '.join(step)} failed:\n{(done.stderr or done.stdout).strip()[-2000:]}")
    stamp.write_text(PIN + "\n")
    return command


class IssoServer:
    """isso on a free port of 127.0.0.1, its database and log in `folder`."""

    def __init__(self, command: Path, folder: Path) -> None:
        """Prepare isso's settings in `folder`."""
        self.command = command
        self.folder = folder
        self.port = free_port()
        self.db = folder / "comments.db"
        self.config = folder / "isso.cfg"
        self.config.write_text(CONFIG.format(db=self.db, port=self.port, log=folder / "isso.log"))
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 30.0) -> IssoServer:
        """Start isso and wait until it answers."""
        self.process = subprocess.Popen([str(self.command), "-c", str(self.config), "run"], cwd=self.folder,
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise IssoMissing(f"isso exited with {self.process.returncode}; see {self.folder / 'isso.log'}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=1)
                conn.request("GET", "/info")
                conn.getresponse().read()
                conn.close()
                return self
            except OSError:
                time.sleep(0.1)
        raise IssoMissing(f"isso did not answer on port {self.port} within {timeout:g} s")

    def stop(self) -> None:
        """Stop isso."""
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def stored(self) -> int:
        """How many comments isso's database holds."""
        with sqlite3.connect(self.db) as db:
            return int(db.execute("SELECT count(*) FROM comments").fetchone()[0])


def isso_client(port: int, work: queue.Queue[int], articles: int, results: list[Any],
                form: Callable[[int, int], dict[str, str]], outcome: Callable[..., Any]) -> None:
    """Send the same submissions as the intake gets, as isso's JSON API takes them, over one keep-alive connection."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    origin = f"http://127.0.0.1:{port}"
    headers = {"Content-Type": "application/json", "Origin": origin, "Referer": f"{origin}/"}
    while True:
        try:
            index = work.get_nowait()
        except queue.Empty:
            break
        fields = form(index, articles)
        body = json.dumps({"text": fields["body"], "author": fields["author"], "website": fields["website"],
                           "title": fields["article"]})
        started = time.perf_counter()
        try:
            conn.request("POST", f"/new?uri=%2F{fields['article']}%2F", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status = 0
        elapsed = time.perf_counter() - started
        results.append(outcome(index, status, elapsed, None, time.perf_counter()))
    conn.close()


def run_isso(command: Path, folder: Path, count: int, clients: int, articles: int,
             form: Callable[[int, int], dict[str, str]], outcome: Callable[..., Any],
             percentile: Callable[[list[float], float], float]) -> dict[str, Any]:
    """Send `count` submissions from `clients` connections to a fresh isso; its throughput, latencies and what it stored."""
    folder.mkdir(parents=True, exist_ok=True)
    server = IssoServer(command, folder).start()
    try:
        work: queue.Queue[int] = queue.Queue()
        for index in range(count):
            work.put(index)
        outcomes: list[Any] = []
        threads = [threading.Thread(target=isso_client, args=(server.port, work, articles, outcomes, form, outcome))
                   for _ in range(clients)]
        wall = run_clients(threads)
    finally:
        server.stop()
    latencies = [o.seconds for o in outcomes]
    statuses: dict[str, int] = {}
    for o in outcomes:
        statuses[str(o.status)] = statuses.get(str(o.status), 0) + 1
    return {
        "seconds": round(wall, 3),
        "throughput_rps": round(count / wall, 1),
        "latency_p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "statuses": statuses,
        "stored": server.stored(),
    }
