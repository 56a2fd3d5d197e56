"""The intake's guard in the test's own process: deadlines and the connection cap on a real uvicorn server, and the log filters.

The server runs in a thread of this process (uvicorn with the guarded protocol and a
tiny app), so a changed deadline, phase or cap in guard.py shows here.
"""

from __future__ import annotations

import logging
import resource
import socket
import threading
import time
from collections.abc import Iterator

import pytest
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from pelican.plugins.reader_comments.intake import guard
from support.intake import free_port
from support.logs import forget_logged_warnings

HEADERS, BODY = 0.4, 0.8


@pytest.fixture(autouse=True)
def _fresh_log_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees its own log lines, whatever was logged before it."""
    forget_logged_warnings(monkeypatch)


async def echo(request: Request) -> PlainTextResponse:
    """The body's length."""
    return PlainTextResponse(str(len(await request.body())))


async def stall(request: Request) -> PlainTextResponse:
    """Hold the server's event loop for half a second: connections made meanwhile are accepted together after it."""
    time.sleep(0.5)
    return PlainTextResponse("done")


@pytest.fixture
def server() -> Iterator[int]:
    """A uvicorn server in this process with the guarded protocol (short deadlines, at most 3 connections); its port."""
    yield from serving(3)


@pytest.fixture
def small_server() -> Iterator[int]:
    """The same server with room for two connections, whose headers may take five seconds."""
    yield from serving(2, 5.0)


def serving(cap: int, headers: float = HEADERS) -> Iterator[int]:
    """Run the guarded server with at most `cap` connections and this header deadline until the test ends; its port."""
    port = free_port()
    app = Starlette(routes=[Route("/", echo, methods=["POST"]), Route("/stall", stall, methods=["POST"])])
    protocol = guard.guarded_protocol(headers, BODY, cap)
    running = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, http=protocol, lifespan="off",
                                            log_level="warning", timeout_keep_alive=1))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not running.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.02)
    yield port
    running.should_exit = True
    thread.join(10)


def connect(port: int) -> socket.socket:
    """An open connection to the server."""
    return socket.create_connection(("127.0.0.1", port), timeout=5)


def closed_after(conn: socket.socket) -> float:
    """Seconds until the server closes `conn` (reads until end of stream)."""
    started = time.monotonic()
    try:
        while conn.recv(4096):
            pass
    except (ConnectionResetError, TimeoutError):
        pass
    return time.monotonic() - started


def test_a_connection_that_sends_no_headers_is_closed_at_the_header_deadline(server: int, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=guard.__name__):
        conn = connect(server)
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\n")
        assert HEADERS - 0.1 < closed_after(conn) < BODY - 0.1
        time.sleep(0.1)
    assert [r.getMessage() for r in caplog.records if r.name == guard.__name__] == [
        "closed a connection that sent no complete request headers in time"]


def test_a_client_trickling_its_headers_is_closed_at_the_deadline_from_its_start(server: int) -> None:
    conn = connect(server)
    started = time.monotonic()
    try:
        for byte in b"POST / HTTP/1.1\r\nHost: x\r\n":
            conn.sendall(bytes([byte]))
            time.sleep(0.1)
            if time.monotonic() - started > 2 * BODY:
                break
    except OSError:
        pass
    closed_after(conn)
    assert time.monotonic() - started < BODY + 0.5, "more bytes of the headers do not move their deadline"


def test_connections_closed_at_their_deadline_leave_room_for_new_ones(server: int) -> None:
    idle = [connect(server) for _ in range(3)]
    for conn in idle:
        closed_after(conn)
    time.sleep(0.1)
    fresh = [connect(server) for _ in range(2)]
    for conn in fresh:
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na")
        assert conn.recv(4096).startswith(b"HTTP/1.1 200"), "the closed ones no longer count"
        conn.close()


def test_a_body_that_does_not_arrive_is_closed_at_the_body_deadline(server: int, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=guard.__name__):
        conn = connect(server)
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
        waited = closed_after(conn)
        time.sleep(0.1)
    assert BODY - 0.1 < waited < BODY + 1.5, waited
    assert [r.getMessage() for r in caplog.records if r.name == guard.__name__] == [
        "closed a connection that sent no complete request body in time"]


def test_a_whole_request_is_answered_and_the_kept_connection_waits_for_the_next(server: int) -> None:
    conn = connect(server)
    for _ in range(2):
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc")
        time.sleep(HEADERS + 0.2)  # past the header deadline: after a response, only the keep-alive timer runs
        answer = conn.recv(4096)
        assert answer.startswith(b"HTTP/1.1 200") and answer.endswith(b"\r\n\r\n3"), answer
    assert closed_after(conn) < 2.0, "then closed by the keep-alive timer"


def still_open(conn: socket.socket) -> bool:
    """Whether the server has not closed `conn` (nothing to read, no end of stream)."""
    conn.settimeout(0.05)
    try:
        return conn.recv(1) != b""
    except TimeoutError:
        return True
    except ConnectionResetError:
        return False
    finally:
        conn.settimeout(5)


def test_past_the_cap_the_oldest_connection_waiting_for_headers_is_closed(server: int, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=guard.__name__):
        first, second, third = connect(server), connect(server), connect(server)
        time.sleep(0.1)
        assert still_open(first), "three is the cap, not past it"
        fourth = connect(server)
        first.settimeout(0.3)
        assert closed_after(first) < 0.25, "the oldest waiting connection made room"
        assert still_open(second) and still_open(third)
        fourth.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na")
        assert fourth.recv(4096).startswith(b"HTTP/1.1 200")
    assert [r.getMessage() for r in caplog.records if r.name == guard.__name__][0] == (
        "4 connections open (cap 3): closed the oldest waiting for its headers")
    for conn in (second, third, fourth):
        conn.close()


def test_past_the_cap_with_none_waiting_for_headers_the_new_connection_is_closed(server: int) -> None:
    answered = []
    for _ in range(3):
        conn = connect(server)
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na")
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        answered.append(conn)
    late = connect(server)
    late.settimeout(0.3)
    assert closed_after(late) < 0.25
    assert all(still_open(conn) for conn in answered), "kept-alive connections wait for no headers"


def test_a_connection_sending_its_body_or_gone_is_not_the_one_closed_to_make_room(server: int) -> None:
    gone = connect(server)
    gone.close()
    sending = connect(server)
    sending.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nabc")
    time.sleep(0.1)
    waiting, other = connect(server), connect(server)
    time.sleep(0.1)
    last = connect(server)
    waiting.settimeout(0.3)
    assert closed_after(waiting) < 0.25, "the oldest still waiting for its headers"
    assert still_open(sending) and still_open(other) and still_open(last)


def test_the_connection_cap_follows_the_soft_file_limit() -> None:
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    lower = 1000 if hard == resource.RLIM_INFINITY or hard > 1000 else hard - 1
    resource.setrlimit(resource.RLIMIT_NOFILE, (lower, hard))
    try:
        assert guard.connection_cap(10**9) == lower - 64 - 256
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def test_the_connection_cap_keeps_a_full_backlog_under_the_file_limit() -> None:
    assert guard.connection_cap(512, 1024) == 512
    assert guard.connection_cap(1000, 1024) == 1024 - 64 - 256
    assert guard.connection_cap(1000, 100) == 1 and guard.connection_cap(0, 1024) == 1
    assert guard.connection_cap(7, resource.RLIM_INFINITY) == 7 and guard.connection_cap(0, resource.RLIM_INFINITY) == 1
    soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    expected = 10**9 if soft == resource.RLIM_INFINITY else max(1, soft - 64 - 256)
    assert guard.connection_cap(10**9) == expected


def test_the_protocol_class_carries_its_deadlines_and_cap() -> None:
    made = guard.guarded_protocol(3, 17, 40)
    assert issubclass(made, guard.GuardedH11Protocol) and made.__name__ == "IntakeH11Protocol"
    assert (made.header_timeout, made.body_timeout, made.max_connections) == (3.0, 17.0, 40)
    assert isinstance(made.header_timeout, float) and isinstance(made.body_timeout, float)


# ---------------------------------------------------------------- logs


def record(msg: str, *args: object, level: int = logging.WARNING, name: str = "intake") -> logging.LogRecord:
    """A log record as a logger makes it."""
    return logging.LogRecord(name, level, __file__, 1, msg, args or None, None)


def test_a_repeated_line_passes_a_few_times_a_window_then_its_count_is_told_once() -> None:
    now = [0.0]
    throttle = guard.LogThrottle(burst=2, window=10.0, clock=lambda: now[0])
    passed = [throttle.filter(record("refused %s from port %d", "a", n)) for n in range(5)]
    assert passed == [True, True, False, False, False]
    assert throttle.filter(record("refused %s", "b")), "another value is another line"
    assert throttle.filter(record("other", level=logging.ERROR))
    now[0] = 9.9
    assert not throttle.filter(record("refused %s from port %d", "a", 9))
    now[0] = 10.0
    told = record("refused %s from port %d", "a", 10)
    assert throttle.filter(told)
    assert told.getMessage() == "refused a from port 10 [4 more like this in the last 10 s were not logged]"
    again = record("refused %s from port %d", "a", 11)
    assert throttle.filter(again) and again.getMessage() == "refused a from port 11"


def test_one_message_passes_at_most_ten_bursts_a_window_whatever_its_values() -> None:
    now = [0.0]
    throttle = guard.LogThrottle(burst=1, window=5.0, clock=lambda: now[0])
    passed = [throttle.filter(record("refused %s", f"value{chr(97 + n)}")) for n in range(12)]
    assert passed == [True] * 10 + [False, False]
    now[0] = 5.0
    told = record("refused %s", "valuez")
    assert throttle.filter(told) and told.getMessage() == "refused valuez [2 more like this in the last 5 s were not logged]"


def test_old_windows_are_forgotten_past_a_thousand_kinds() -> None:
    now = [0.0]
    throttle = guard.LogThrottle(burst=1, window=1.0, clock=lambda: now[0])
    for n in range(600):
        throttle.filter(record(f"kind {chr(0x4e00 + n)}"))
    assert len(throttle._seen) == 1200
    now[0] = 2.0
    throttle.filter(record("fresh"))
    assert len(throttle._seen) == 2
    now[0] = 2.5
    throttle._forget(2.5)
    assert len(throttle._seen) == 2, "a window not yet passed is kept"


@pytest.mark.parametrize(("text", "escaped"), [
    ("plain text é ü", "plain text é ü"),
    ("\x1b[31mred\x07", "\\x1b[31mred\\x07"),
    ("a\nb\rc\td", "a\\x0ab\\x0dc\\x09d"),
    ("\x7f\x80\x9f\xa0", "\\x7f\\x80\\x9f\xa0"),
    ("\u202eevil\u2066\u200b\u2028\ufeff\u061c", "\\u202eevil\\u2066\\u200b\\u2028\\ufeff\\u061c"),
    ("\u200a\u2030\u205f\u206a", "\u200a\u2030\u205f\u206a"),
])
def test_unsafe_characters_are_written_as_escapes(text: str, escaped: str) -> None:
    assert guard.escape_unsafe(text) == escaped


def test_log_values_are_escaped_and_an_error_s_lines_marked() -> None:
    escape = guard.LogEscape()
    line = record("got %s and %d, %r, %s", "a\x1bb", 3, 1.5, True)
    assert escape.filter(line) and line.args == ("a\\x1bb", 3, 1.5, True)
    error = record("git failed: %s", OSError("fatal: x\nhint: \x1b[2Jy"))
    escape.filter(error)
    assert error.getMessage() == "git failed: fatal: x\n    | hint: \\x1b[2Jy"
    empty = record("git failed: %s", ValueError(""))
    escape.filter(empty)
    assert empty.getMessage() == "git failed: "
    named = logging.LogRecord("intake", logging.INFO, __file__, 1, "%(who)s", ({"who": "x\u202ey"},), None)
    escape.filter(named)
    assert named.getMessage() == "x\\u202ey"
    other = record("%s", ["a\nb"])
    escape.filter(other)
    assert other.getMessage() == "['a\\nb']"
    bare = record("first\nsecond\x1b")
    escape.filter(bare)
    assert bare.getMessage() == "first\n    | second\\x1b"
    unsafe = record("one\x07line")
    escape.filter(unsafe)
    assert unsafe.getMessage() == "one\\x07line"
    safe = record("just text")
    escape.filter(safe)
    assert safe.msg == "just text"


def test_the_log_throttle_s_defaults_are_five_lines_in_ten_seconds() -> None:
    throttle = guard.LogThrottle()
    assert (throttle.burst, throttle.window) == (5, 10.0)


def test_a_window_is_measured_from_its_first_line_on_any_clock() -> None:
    now = [1000.0]
    throttle = guard.LogThrottle(burst=1, window=10.0, clock=lambda: now[0])
    assert throttle.filter(record("a"))
    now[0] = 1009.9
    assert not throttle.filter(record("a"))
    now[0] = 1010.0
    assert throttle.filter(record("a"))


def test_lines_alike_but_for_their_numbers_or_later_lines_count_together() -> None:
    throttle = guard.LogThrottle(burst=1, window=10.0, clock=lambda: 0.0)
    assert throttle.filter(record("port # refused"))
    assert not throttle.filter(record("port 8 refused")), "numbers are blanked out as #"
    assert throttle.filter(record("x\ny\n1"))
    assert not throttle.filter(record("x\nz\n2")), "only the first line counts"
    kinds = guard.LogThrottle(burst=1, window=10.0, clock=lambda: 0.0)
    passed = [kinds.filter(record(f"refused %s\n{chr(97 + n)}\nend", f"value{chr(97 + n)}")) for n in range(11)]
    assert passed == [True] * 10 + [False], "one message, whatever its later lines, passes ten bursts at most"


def test_message_templates_alike_but_for_their_numbers_are_one_kind() -> None:
    kinds = guard.LogThrottle(burst=1, window=10.0, clock=lambda: 0.0)
    passed = [kinds.filter(record("port 8 refused %s", f"v{chr(97 + n)}")) for n in range(10)]
    assert passed == [True] * 10
    assert not kinds.filter(record("port # refused %s", "vz")), "a number in the template is blanked out as #"


def test_old_entries_are_dropped_past_exactly_a_thousand() -> None:
    now = [0.0]
    throttle = guard.LogThrottle(burst=1, window=1.0, clock=lambda: now[0])
    for n in range(998):
        throttle.filter(record("kind %s", chr(0x4E00 + n)))
    assert len(throttle._seen) == 999
    now[0] = 5.0
    throttle.filter(record("kind %s", "fresh"))
    assert len(throttle._seen) == 1000, "a thousand entries are kept"
    throttle.filter(record("kind %s", "fresher"))
    assert len(throttle._seen) == 3, "past a thousand, those of windows gone are dropped"


def test_an_entry_is_forgotten_once_its_window_has_passed_exactly() -> None:
    throttle = guard.LogThrottle(burst=1, window=1.0, clock=lambda: 0.0)
    throttle.filter(record("a"))
    throttle._forget(1.0)
    assert throttle._seen == {}


def test_connections_closed_after_their_answer_leave_room_for_new_ones(server: int) -> None:
    for _ in range(3):
        conn = connect(server)
        conn.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na")
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")
        conn.close()
    time.sleep(0.2)
    fresh = [connect(server) for _ in range(3)]
    time.sleep(0.1)
    assert all(still_open(conn) for conn in fresh), "the closed ones no longer count against the cap"


def test_connections_accepted_together_past_the_cap_each_close_another_waiting_one(small_server: int,
                                                                                    caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=guard.__name__):
        staller, oldest = connect(small_server), connect(small_server)
        time.sleep(0.1)
        staller.sendall(b"POST /stall HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        time.sleep(0.2)
        # The loop is held: these two wait in the kernel's queue and are accepted in one turn once it runs again.
        second, third = connect(small_server), connect(small_server)
        assert staller.recv(4096).startswith(b"HTTP/1.1 200")
        for conn in (oldest, second):
            conn.settimeout(0.3)
            assert closed_after(conn) < 0.25, "the first closed for the second, the second for the third"
        third.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\na")
        assert third.recv(4096).startswith(b"HTTP/1.1 200")
    assert [r.getMessage() for r in caplog.records if r.name == guard.__name__][:2] == [
        "3 connections open (cap 2): closed the oldest waiting for its headers",
        "4 connections open (cap 2): closed the oldest waiting for its headers"]
    for conn in (staller, third):
        conn.close()
