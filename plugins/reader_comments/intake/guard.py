"""Keep idle and slow connections from taking the intake service down.

uvicorn waits forever for a request's headers and body, so a client that sends
half a header and waits holds a connection, and a file handle, for good; about
1,100 of them exhaust the usual limit of 1,024 files, after which nobody can post
and asyncio logs a traceback for every failed accept. Here:

- `guarded_protocol` gives uvicorn's h11 protocol a deadline for each request's
  headers and another for its body; a connection past either is closed.
- It also caps open connections below the process's file limit: when a new
  connection would pass the cap, the oldest connection still waiting for its
  headers is closed to make room, so a flood of idle clients cannot crowd out a
  real post (one that sends its request at once is never the oldest waiting).
- `LogThrottle` lets a repeated log line through a few times per window, then
  counts the rest and reports the count once. Lines are alike when message and
  values match, so one noisy refusal does not hide the others; each message is
  still capped over all its values.
- `LogEscape` escapes every value a log line carries (what a request sent, what
  git printed), so none can move the cursor or recolour the terminal of whoever
  reads the log, or forge a line; an error's lines (git's output) each go on a
  line of their own, marked with `LINE_MARK`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import resource
import time
import weakref
from collections.abc import Callable
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

logger = logging.getLogger(__name__)

# File handles kept free for everything but connections: the listening socket, comment files, logs, the manifest.
RESERVED_FILES = 64
# How many pending connections the kernel queues, and so the most accepted in one go before any is closed.
BACKLOG = 128
# Seconds an idle kept-alive connection stays open after a response (uvicorn's own timer).
KEEP_ALIVE = 5

_NUMBERS = re.compile(r"\d+")
# Characters a terminal acts on or that hide text: C0 and C1 controls, DEL, direction and invisible format marks, line breaks.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]")
# Put before each further line of an error's text (git's output), so no line can pass for an entry of its own.
LINE_MARK = "\n    | "
# How many times `burst` one message may pass per window over all its values.
KINDS = 10

# Connections still waiting for their request's headers, oldest first, per server.
_WAITING: weakref.WeakKeyDictionary[Any, dict[GuardedH11Protocol, None]] = weakref.WeakKeyDictionary()


def connection_cap(wanted: int, soft_limit: int | None = None) -> int:
    """At most `wanted` connections, and few enough that accepting a full backlog stays under the file limit."""
    if soft_limit is None:
        soft_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if soft_limit == resource.RLIM_INFINITY:
        return max(1, wanted)
    return max(1, min(wanted, soft_limit - RESERVED_FILES - 2 * BACKLOG))


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with deadlines for a request's headers and body, and a cap on open connections."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 512

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Register the connection, start its header deadline, and make room if over the cap."""
        super().connection_made(transport)
        self._deadline: asyncio.TimerHandle | None = None
        self._phase = ""
        self._waiting().setdefault(self, None)
        self._watch()
        if len(self.connections) > self.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection and its deadline."""
        self._waiting().pop(self, None)
        self._cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        """Handle the data, then move the deadline to what the request now waits for."""
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        """After a response, uvicorn's keep-alive timeout covers an idle connection until data comes."""
        super().on_response_complete()
        self._watch()

    def _waiting(self) -> dict[GuardedH11Protocol, None]:
        """This server's connections that wait for headers, oldest first."""
        return _WAITING.setdefault(self.server_state, {})

    def _watch(self) -> None:
        """Arm the deadline for the phase the request is in: headers, body, or none."""
        if self.transport.is_closing():
            return
        state = self.conn.their_state
        if state is h11.IDLE and self.timeout_keep_alive_task is None:
            phase, seconds = "headers", self.header_timeout
        elif state is h11.SEND_BODY:
            phase, seconds = "body", self.body_timeout
        else:
            phase, seconds = "", 0.0
        if phase != "headers":
            self._waiting().pop(self, None)
        if phase == self._phase:
            return
        self._cancel()
        self._phase = phase
        if phase:
            self._deadline = self.loop.call_later(seconds, self._expire)

    def _cancel(self) -> None:
        """Stop the running deadline, if any."""
        deadline = getattr(self, "_deadline", None)
        if deadline is not None:
            deadline.cancel()
            self._deadline = None

    def _expire(self) -> None:
        """Close a connection whose headers or body did not arrive in time."""
        self._deadline = None
        logger.info("closed a connection that sent no complete request %s in time", self._phase)
        self._close()

    def _close(self) -> None:
        """Close the connection at once."""
        self._waiting().pop(self, None)
        if not self.transport.is_closing():
            self.transport.abort()

    def _make_room(self) -> None:
        """Over the cap: close the oldest connection still waiting for headers, or this one if none waits."""
        waiting = self._waiting()
        oldest = next((conn for conn in waiting if conn is not self), self)
        logger.info("%d connections open (cap %d): closed the oldest waiting for its headers",
                    len(self.connections), self.max_connections)
        oldest._close()


def guarded_protocol(header_timeout: float, body_timeout: float, max_connections: int) -> type[GuardedH11Protocol]:
    """The protocol class to give uvicorn (`http=`), with these deadlines (seconds) and this connection cap."""
    return type(
        "IntakeH11Protocol",
        (GuardedH11Protocol,),
        {"header_timeout": float(header_timeout), "body_timeout": float(body_timeout),
         "max_connections": connection_cap(max_connections)},
    )


class LogThrottle(logging.Filter):
    """Let each kind of message through `burst` times per `window` seconds; then count it, and report the count once.

    Messages are alike when their first lines, values included, match once numbers
    are blanked out (asyncio's accept errors name a different socket each time).
    One message passes at most `burst` * KINDS times a window whatever its values.
    """

    def __init__(self, burst: int = 5, window: float = 10.0, clock: Callable[[], float] = time.monotonic) -> None:
        """Allow `burst` copies of a message per `window` seconds."""
        super().__init__()
        self.burst = burst
        self.window = window
        self._clock = clock
        self._seen: dict[tuple[str, int, str], list[float | int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether to emit `record`; the first one after a suppressed run says how many were dropped."""
        now = self._clock()
        first = _NUMBERS.sub("#", record.getMessage().split("\n", 1)[0])
        kind = _NUMBERS.sub("#", str(record.msg).split("\n", 1)[0])
        passed, dropped = self._admit((record.name, record.levelno, first), self.burst, now)
        if passed:
            passed, dropped_kind = self._admit((record.name, record.levelno, f"\0{kind}"), self.burst * KINDS, now)
            dropped += dropped_kind
        if passed and dropped:
            record.msg = f"{record.msg} [{dropped} more like this in the last {self.window:g} s were not logged]"
        return passed

    def _admit(self, key: tuple[str, int, str], burst: int, now: float) -> tuple[bool, int]:
        """Count one more line for `key`: whether it may pass, and how many were dropped in its previous window."""
        entry = self._seen.get(key)
        if entry is None or now - entry[0] >= self.window:
            dropped = int(entry[2]) if entry is not None else 0
            self._seen[key] = [now, 1, 0]
            if len(self._seen) > 1000:
                self._forget(now)
            return True, dropped
        entry[1] = int(entry[1]) + 1
        if entry[1] <= burst:
            return True, 0
        entry[2] = int(entry[2]) + 1
        return False, 0

    def _forget(self, now: float) -> None:
        """Drop entries whose window has passed."""
        self._seen = {key: entry for key, entry in self._seen.items() if now - entry[0] < self.window}


def escape_unsafe(text: str) -> str:
    r"""`text` with every control, line break and invisible format character written as an escape (\x1b, \u202e)."""
    return _UNSAFE.sub(lambda found: f"\\x{ord(found[0]):02x}" if ord(found[0]) < 0x100 else f"\\u{ord(found[0]):04x}", text)


def _safe_value(value: object) -> object:
    """A log value made safe to print: numbers as they are, an error's lines each escaped and marked, the rest escaped."""
    if isinstance(value, bool | int | float):
        return value
    if isinstance(value, BaseException):
        return LINE_MARK.join(escape_unsafe(line) for line in str(value).splitlines() or [""])
    return escape_unsafe(value if isinstance(value, str) else str(value))


class LogEscape(logging.Filter):
    """Escape the values of every log record (its arguments), so no request or git output reaches a terminal raw."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Replace the record's arguments by their escaped text; always emit."""
        if isinstance(record.args, dict):
            record.args = {name: _safe_value(value) for name, value in record.args.items()}
        elif record.args:
            record.args = tuple(_safe_value(value) for value in record.args)
        elif "\n" in str(record.msg) or _UNSAFE.search(str(record.msg)):
            record.msg = LINE_MARK.join(escape_unsafe(line) for line in str(record.msg).splitlines())
        return True
