"""The intake service under abuse, over real HTTP on 127.0.0.1, adding to what tests/test_intake.py covers.

tests/test_intake.py already proves: oversized and chunked bodies, 1,001 fields,
NUL and CRLF in fields, forged X-Forwarded-For, foreign and `null` Origins,
kill -9 mid-write with temporary files cleaned on restart, and a full disk
(ENOSPC gives 503, nothing partial). Here:

- every attack of the corpus posted as a reader would: stored pending, exactly as
  sent, or refused with a message for the field; never a 5xx, never published;
- the same bodies reflected on the HTML error page stay inert text;
- malformed HTTP framing is refused without harm;
- slow and idle connections block nobody and leak no file handles;
- a soak: clients posting a mix of good and bad requests while the service's
  memory (VmRSS) and open file handles are sampled; both must stay stable.
  A 10-second run is in the default suite; the two-minute run is marked `soak`
  (`pytest -m soak`, SOAK_SECONDS to change its length).
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import random
import re
import socket
import statistics
import threading
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import html5lib
import pytest
from corpus import Attack, attack_ids

from hostile_support import elements, page_problems
from pelican.plugins.reader_comments import comment_format
from support.build import REPO
from support.intake import IntakeServer, Reply, launch, send

FIXTURES = REPO / "tests" / "fixtures" / "intake"
SETTINGS = FIXTURES / "settings.py"
TZ = ZoneInfo("America/New_York")
FORM = "application/x-www-form-urlencoded"
CAP = 16_384
DEFAULT_CAP = 128 * 1024
ARTICLE = "dinner-guest"
VALID = {"article": ARTICLE, "author": "Ann Reader", "website": "", "body": "Thank you.", "reply_to": "", "homepage": ""}
CASES = attack_ids()
_BREAKS = re.compile(r"\r\n|[\r\x85\u2028\u2029]")


def encode(fields: dict[str, str]) -> bytes:
    """A urlencoded form; lone surrogates go out as the (invalid) UTF-8 a careless client would send."""
    return urlencode(fields, encoding="utf-8", errors="surrogatepass").encode("ascii")


def post(port: int, body: bytes, accept: str = "application/json", **headers: str) -> Reply:
    """POST /comments on a fresh connection."""
    sent = {"Content-Type": FORM, "Accept": accept, **{k.replace("_", "-"): v for k, v in headers.items()}}
    return send(port, "POST", "/comments", body, sent)


def healthy(port: int) -> bool:
    """Whether /health answers 200."""
    return send(port, "GET", "/health").status == 200


def comment_files(server: IntakeServer) -> set[Path]:
    """Every comment and temporary file the service's folder holds."""
    return set(server.content.glob("*/*.yaml")) | set(server.content.glob("*/.tmp-*"))


def open_fds(pid: int) -> int:
    """How many file handles a process has open."""
    return len(os.listdir(f"/proc/{pid}/fd"))


def rss_kib(pid: int) -> int:
    """A process's resident memory (VmRSS) in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.fixture(scope="module")
def shared_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeServer]:
    """The service without rate limiting or a pending cap, with the default 128 KiB request cap."""
    env = {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_MAX_PENDING": "0"}
    service = launch(tmp_path_factory.mktemp("intake"), env)
    yield service
    service.stop()


@pytest.fixture
def server(shared_service: IntakeServer) -> IntakeServer:
    """The shared service, running (started again if an earlier test brought it down, so one failure stays one)."""
    return shared_service.ensure_running()


# ---------------------------------------------------------------- the corpus, posted


def submitted(attack: Attack) -> dict[str, str]:
    """The form a reader would send carrying `attack`."""
    return {**VALID, attack.field: attack.value}


def normalised(name: str, value: str) -> str:
    """A field as the service stores it: one-line fields stripped, body line breaks unified then stripped."""
    return _BREAKS.sub("\n", value).strip() if name == "body" else value.strip()


# Where the form answers otherwise than the comment loader does with the same value in a file.
FORM_DIFFERS = {
    # One-line fields are stripped before they are checked, so the space the loader refuses never reaches it.
    ("website", " https://example.com/"): 201,
    # The form refuses every control character in the body, C1 ones included; a file may hold them as inert text.
    ("body", "C1 controls \x85 \x9b in a body"): 400,
}


def expected_status(attack: Attack) -> int:
    """The one status the form must answer: 400 exactly where the loader refuses the value, unless listed above."""
    return FORM_DIFFERS.get((attack.field, attack.value), 400 if attack.refused else 201)


@pytest.mark.parametrize(("cid", "attack"), CASES, ids=[cid for cid, _ in CASES])
def test_corpus_case_is_stored_pending_as_sent_or_refused(server: IntakeServer, cid: str, attack: Attack) -> None:
    before = comment_files(server)
    reply = post(server.port, encode(submitted(attack)))
    answer = json.loads(reply.body)
    assert reply.status == expected_status(attack), (reply.status, answer)
    if reply.status == 400:
        assert set(answer["errors"]) <= {attack.field, "request"}, answer
        assert comment_files(server) == before
        return
    path = server.content / ARTICLE / f"{answer['id']}.yaml"
    comment, problems = comment_format.read(path, TZ)
    assert comment is not None, problems
    assert comment.status == "pending"
    stored = {"author": comment.author, "body": comment.body, "website": comment.website or ""}
    assert stored[attack.field] == normalised(attack.field, attack.value)
    assert comment_files(server) - before == {path}


BODIES = [(cid, attack) for cid, attack in CASES if attack.field == "body" and not re.search("[\ud800-\udfff]", attack.value)]


@pytest.mark.parametrize(("cid", "attack"), BODIES, ids=[cid for cid, _ in BODIES])
def test_error_page_reflects_the_body_as_inert_text(server: IntakeServer, cid: str, attack: Attack) -> None:
    reply = post(server.port, encode({**submitted(attack), "author": ""}), accept="text/html")
    assert reply.status == 400
    assert "default-src 'none'" in reply.headers["content-security-policy"]
    tree = html5lib.parse(reply.body.decode("utf-8"), namespaceHTMLElements=False)
    assert page_problems(tree) == []
    tags = {element.tag for element in elements(tree)}
    assert tags <= {"html", "head", "meta", "title", "body", "h1", "ul", "li", "p", "label", "textarea", "a"}, tags
    kept = next(e for e in elements(tree) if e.tag == "textarea")
    expected = attack.value[:10_000].replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")
    assert (kept.text or "") == expected.removeprefix("\n")


# ---------------------------------------------------------------- malformed HTTP

_FORM = b"article=dinner-guest&author=Framing&body=hi"
_HEAD = (b"POST /comments HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
         b"Content-Type: application/x-www-form-urlencoded\r\nAccept: application/json\r\n")
MALFORMED = {
    "negative content-length": (_HEAD + b"Content-Length: -1\r\n\r\n" + _FORM, {400}),
    "content-length not a number": (_HEAD + b"Content-Length: abc\r\n\r\n" + _FORM, {400}),
    "two content-lengths": (_HEAD + b"Content-Length: 5\r\nContent-Length: 43\r\n\r\n" + _FORM, {400}),
    "content-length shorter than body": (_HEAD + b"Content-Length: 10\r\n\r\n" + _FORM, {400}),
    "NUL in a header": (_HEAD + b"X-A: a\x00b\r\nContent-Length: 43\r\n\r\n" + _FORM, {400}),
    "space before colon": (_HEAD + b"Content-Length : 43\r\n\r\n" + _FORM, {400}),
    "garbage request line": (b"GARBAGE\r\n\r\n", {400}),
    "HTTP/0.9 request": (b"GET /health\r\n\r\n", {400}),
    "bad chunk size": (_HEAD + b"Transfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n", {400}),
    "endless chunk": (_HEAD + b"Transfer-Encoding: chunked\r\n\r\n7fffffffffffffff\r\n" + b"a" * (DEFAULT_CAP + 4096), {413}),
    "unknown transfer-encoding": (_HEAD + b"Transfer-Encoding: gzip\r\n\r\n" + _FORM, {400}),
    "content-length and chunked": (
        _HEAD + b"Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2b\r\n" + _FORM + b"\r\n0\r\n\r\n", {400}),
    "5,000 headers": (_HEAD + b"".join(b"X-%d: a\r\n" % n for n in range(5000)) + b"Content-Length: 43\r\n\r\n" + _FORM,
                      {431}),
    "100 KB header": (_HEAD + b"X-A: " + b"a" * 100_000 + b"\r\nContent-Length: 43\r\n\r\n" + _FORM, {431}),
}


def raw_exchange(port: int, data: bytes, wait: float = 3.0) -> bytes:
    """Send raw bytes, read until the server closes or goes quiet, return what came back."""
    with socket.create_connection(("127.0.0.1", port), timeout=wait) as conn:
        try:
            conn.sendall(data)
        except OSError:
            pass
        received = b""
        try:
            while chunk := conn.recv(65536):
                received += chunk
        except (TimeoutError, OSError):
            pass
    return received


@pytest.mark.parametrize("name", list(MALFORMED))
def test_malformed_http_is_refused_without_harm(server: IntakeServer, name: str) -> None:
    data, statuses = MALFORMED[name]
    before = comment_files(server)
    status_line = raw_exchange(server.port, data).split(b"\r\n", 1)[0]
    match = re.match(rb"HTTP/1\.1 (\d{3}) ", status_line)
    assert match, status_line
    assert int(match.group(1)) in statuses, status_line
    assert healthy(server.port)
    new = comment_files(server) - before
    assert all(p.suffix == ".yaml" for p in new) and len(new) <= (201 in statuses)


@pytest.mark.parametrize(("lines", "status"), [(100, 201), (101, 431)])
def test_a_request_may_carry_100_header_lines(server: IntakeServer, lines: int, status: int) -> None:
    # _HEAD holds four header lines and Content-Length is one more.
    extra = b"".join(b"X-%d: a\r\n" % n for n in range(lines - 5))
    reply = raw_exchange(server.port, _HEAD + extra + b"Content-Length: 43\r\n\r\n" + _FORM)
    assert reply.split(b"\r\n", 1)[0].startswith(b"HTTP/1.1 %d " % status), reply[:200]


# ---------------------------------------------------------------- slow and idle clients


def wait_for(predicate: Any, seconds: float) -> bool:
    """Poll `predicate` until it holds or `seconds` pass."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def settled_fds(pid: int, seconds: float = 5.0) -> int:
    """A process's open file handles once the count has stopped changing (earlier connections closed)."""
    deadline = time.monotonic() + seconds
    previous = open_fds(pid)
    while time.monotonic() < deadline:
        time.sleep(0.25)
        current = open_fds(pid)
        if current == previous:
            return current
        previous = current
    return previous


def test_slow_and_idle_connections_block_nobody_and_leak_nothing(server: IntakeServer) -> None:
    baseline = settled_fds(server.pid)
    before = comment_files(server)
    sockets = []
    try:
        for n in range(60):
            conn = socket.create_connection(("127.0.0.1", server.port), timeout=5)
            if n % 2:
                conn.sendall(_HEAD + b"Content-Length: 5000\r\n\r\narticle=dinner-guest&author=Slow&body=")
            sockets.append(conn)
        assert wait_for(lambda: open_fds(server.pid) >= baseline + 60, 5)
        started = time.perf_counter()
        reply = post(server.port, encode({**VALID, "body": "Not blocked by slow clients."}))
        assert reply.status == 201
        assert time.perf_counter() - started < 2
    finally:
        for conn in sockets:
            conn.close()
    assert wait_for(lambda: open_fds(server.pid) <= baseline + 2, 10), (open_fds(server.pid), baseline)
    assert len(comment_files(server) - before) == 1
    assert healthy(server.port)


# ---------------------------------------------------------------- the soak


@dataclass
class Sample:
    """One reading of the service's resources."""

    at: float
    rss_kib: int
    fds: int


@dataclass
class SoakResult:
    """What a soak run sent, got back and measured."""

    seconds: float
    warmup: float
    statuses: Counter[str] = field(default_factory=Counter)
    reconnects: int = 0
    samples: list[Sample] = field(default_factory=list)

    def after_warmup(self) -> list[Sample]:
        """The samples taken once the warm-up was over."""
        return [s for s in self.samples if s.at >= self.warmup]

    def figures(self) -> dict[str, Any]:
        """The figures to report."""
        steady = self.after_warmup()
        total = sum(self.statuses.values())
        return {
            "seconds": round(self.seconds, 1),
            "requests": total,
            "requests_per_second": round(total / self.seconds, 1),
            "statuses": dict(sorted(self.statuses.items())),
            "reconnects": self.reconnects,
            "samples": len(self.samples),
            "rss_kib_start": self.samples[0].rss_kib,
            "rss_kib_after_warmup": steady[0].rss_kib,
            "rss_kib_max": max(s.rss_kib for s in steady),
            "rss_kib_final": steady[-1].rss_kib,
            "fds_after_warmup": steady[0].fds,
            "fds_max": max(s.fds for s in steady),
            "fds_final": steady[-1].fds,
        }


def soak_requests(client: int) -> Iterator[tuple[bytes, dict[str, str]]]:
    """An endless mix of good and bad submissions, each from a forged client address."""
    rng = random.Random(client)
    oversized = encode({**VALID, "body": "x" * (CAP + 1)})
    kinds = itertools.cycle(["good", "good", "honeypot", "invalid", "unknown", "origin", "oversized", "type", "good"])
    for n, kind in enumerate(kinds):
        headers = {"Content-Type": FORM, "Accept": "application/json",
                   "X-Forwarded-For": f"198.51.{rng.randrange(2)}.{rng.randrange(256)}"}
        fields = {**VALID, "article": rng.choice(["dinner-guest", "reply-all"]), "body": f"Soak {client}-{n}. *Fine*."}
        if kind == "honeypot":
            fields["homepage"] = "http://spam.example/"
        elif kind == "invalid":
            fields["author"] = ""
        elif kind == "unknown":
            fields["article"] = "no-such-article"
        elif kind == "origin":
            headers["Origin"] = "https://evil.example"
        elif kind == "type":
            headers["Content-Type"] = "text/plain"
        yield (oversized if kind == "oversized" else encode(fields)), headers


def soak_client(port: int, client: int, stop: threading.Event, result: SoakResult, lock: threading.Lock) -> None:
    """Post the mix over one keep-alive connection until stopped, reconnecting when the server closes it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    for body, headers in soak_requests(client):
        if stop.is_set():
            break
        try:
            conn.request("POST", "/comments", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = str(response.status)
            if response.getheader("connection", "").lower() == "close":
                conn.close()
        except (OSError, http.client.HTTPException):
            conn.close()
            status = "reconnect"
        with lock:
            if status == "reconnect":
                result.reconnects += 1
            else:
                result.statuses[status] += 1
    conn.close()


def soak(tmp: Path, seconds: float, clients: int = 4, interval: float = 1.0) -> SoakResult:
    """Run the service under a steady mix of posts for `seconds`, sampling its memory and file handles."""
    env = {"COMMENTS_RATE_LIMIT": "20", "COMMENTS_RATE_WINDOW": "2", "COMMENTS_TRUSTED_PROXIES": "127.0.0.1",
           "COMMENTS_MAX_PENDING": "0", "COMMENTS_MAX_REQUEST_BYTES": str(CAP)}
    server = launch(tmp, env, log_level="warning")
    result = SoakResult(seconds, warmup=max(3.0, seconds / 4))
    stop, lock = threading.Event(), threading.Lock()
    workers = [threading.Thread(target=soak_client, args=(server.port, n, stop, result, lock)) for n in range(clients)]
    try:
        started = time.monotonic()
        for worker in workers:
            worker.start()
        while (elapsed := time.monotonic() - started) < seconds:
            result.samples.append(Sample(elapsed, rss_kib(server.pid), open_fds(server.pid)))
            time.sleep(min(interval, max(0.0, seconds - elapsed)))
        result.samples.append(Sample(time.monotonic() - started, rss_kib(server.pid), open_fds(server.pid)))
    finally:
        stop.set()
        for worker in workers:
            worker.join()
        server.stop()
    check_soak_files(server)
    return result


def check_soak_files(server: IntakeServer) -> None:
    """Every file the soak left is a whole, valid comment; no temporary file remains."""
    assert not list(server.content.glob("*/.tmp-*"))
    for path in server.content.glob("*/2*.yaml"):
        comment, problems = comment_format.read(path, TZ)
        assert comment is not None, problems


def assert_stable(result: SoakResult) -> None:
    """Memory and file handles at the end are within 20% (plus a little slack) of their level after warm-up."""
    figures = result.figures()
    assert not any(status.startswith("5") for status in result.statuses), figures
    assert result.statuses["201"] > 0 and result.statuses["400"] > 0, figures
    assert figures["rss_kib_final"] <= 1.2 * figures["rss_kib_after_warmup"] + 2048, figures
    assert figures["fds_final"] <= 1.2 * figures["fds_after_warmup"] + 4, figures
    steady = [s.rss_kib for s in result.after_warmup()]
    assert statistics.median(steady[len(steady) // 2:]) <= 1.2 * figures["rss_kib_after_warmup"] + 2048, figures


def test_short_soak_keeps_memory_and_handles_stable(tmp_path: Path) -> None:
    result = soak(tmp_path, seconds=10.0, interval=0.5)
    print("soak (short):", json.dumps(result.figures()))
    assert_stable(result)


@pytest.mark.soak
def test_two_minute_soak_keeps_memory_and_handles_stable(tmp_path: Path) -> None:
    seconds = float(os.environ.get("SOAK_SECONDS", "120"))
    result = soak(tmp_path, seconds=seconds, interval=2.0)
    figures = result.figures()
    print("soak:", json.dumps(figures))
    assert_stable(result)
