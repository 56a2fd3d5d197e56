"""Per-client submission limits for the intake service, and who the client is.

The client is the direct peer of the connection. X-Forwarded-For is believed only
when that peer is one of the trusted proxies; the client is then the right-most
address in the header that is not itself a trusted proxy. A hop may carry a
port (`203.0.113.7:41234`, `[2001:db8::1]:443`), which is dropped, so changing
ports never makes a new client; a hop that is not an address at all is keyed on
the peer, never taken verbatim. IPv6 clients are limited per /64, the block a
single host usually controls.
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections import deque
from collections.abc import Callable, Iterable

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

IPV6_PREFIX = 64


def parse_networks(values: Iterable[str]) -> tuple[Network, ...]:
    """Addresses or CIDR blocks (`10.0.0.1`, `10.0.0.0/8`, `::1`) as networks; raise ValueError."""
    return tuple(ipaddress.ip_network(value.strip(), strict=False) for value in values if value.strip())


def _host(value: str) -> str:
    """The host part of a forwarded hop: quotes, brackets and any `:port` removed."""
    text = value.strip().strip('"').strip()
    if text.startswith("[") and "]" in text:
        return text[1 : text.index("]")]
    host, colon, port = text.rpartition(":")
    if colon and host.count(":") == 0 and port.isdigit():
        return host  # IPv4 (or a name) with a port; bare IPv6 has more than one colon
    return text


def _address(value: str) -> Address | None:
    """`value` as an IP address (port dropped, IPv4-mapped IPv6 unwrapped), or None when it is not one."""
    text = _host(value)
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def _trusted(address: Address | None, proxies: tuple[Network, ...]) -> bool:
    """Whether `address` belongs to one of the trusted proxies."""
    return address is not None and any(address in network for network in proxies)


def _key(address: Address | None, raw: str) -> str:
    """The rate-limit key for a client: the address, or its /64 for IPv6."""
    if address is None:
        return raw.strip() or "unknown"
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/{IPV6_PREFIX}", strict=False))
    return str(address)


def client_key(peer: str | None, forwarded_for: Iterable[str], proxies: tuple[Network, ...]) -> str:
    """The key a request is limited by: its peer, or the right-most untrusted X-Forwarded-For hop.

    A hop that is not an IP address (`unknown`, a name, garbage) is keyed on the peer.
    """
    peer_address = _address(peer or "")
    peer_key = _key(peer_address, peer or "")
    if not _trusted(peer_address, proxies):
        return peer_key
    hops = [_address(hop) for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for address in reversed(hops):
        if address is None:
            return peer_key
        if not _trusted(address, proxies):
            return _key(address, "")
    return _key(hops[0], "") if hops else peer_key


def how_long(wait: float) -> str:
    """A wait in words a reader can act on: whole seconds under two minutes, else whole minutes (rounded up)."""
    seconds = max(1, math.ceil(wait))
    if seconds < 120:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    return f"{math.ceil(seconds / 60)} minutes"


class RateLimiter:
    """A sliding-window limit: at most `limit` hits per key in any `window` seconds."""

    def __init__(
        self,
        limit: int,
        window: float,
        max_keys: int = 100_000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Limit each key to `limit` hits per `window` seconds; 0 turns limiting off."""
        self.limit = max(0, int(limit))
        self.window = float(window)
        self.max_keys = max_keys
        self._clock = clock
        self._hits: dict[str, deque[float]] = {}
        self._next_sweep = clock() + self.window

    @property
    def enabled(self) -> bool:
        """Whether any limit applies."""
        return self.limit > 0 and self.window > 0

    def hit(self, key: str) -> float:
        """Record a hit for `key`; return 0 when allowed, else the seconds to wait."""
        if not self.enabled:
            return 0.0
        now = self._clock()
        self._maybe_sweep(now)
        hits = self._hits.get(key)
        if hits is None:
            hits = self._hits[key] = deque(maxlen=self.limit)
        while hits and hits[0] <= now - self.window:
            hits.popleft()
        if len(hits) >= self.limit:
            return max(hits[0] + self.window - now, 0.001)
        hits.append(now)
        return 0.0

    def refund(self, key: str) -> None:
        """Take back the last hit of `key`: the post it counted was refused."""
        hits = self._hits.get(key)
        if hits:
            hits.pop()

    def retry_after(self, wait: float) -> str:
        """A Retry-After header value (whole seconds, at least 1) for a wait."""
        return str(max(1, math.ceil(wait)))

    def __len__(self) -> int:
        """How many keys are being tracked."""
        return len(self._hits)

    def _maybe_sweep(self, now: float) -> None:
        """Forget idle keys once a window; past `max_keys`, also the least recently seen."""
        if now < self._next_sweep and len(self._hits) < self.max_keys:
            return
        self._next_sweep = now + self.window
        horizon = now - self.window
        self._hits = {key: hits for key, hits in self._hits.items() if hits and hits[-1] > horizon}
        excess = len(self._hits) - self.max_keys * 9 // 10
        if excess > 0:
            oldest = sorted(self._hits, key=lambda key: self._hits[key][-1])[:excess]
            for key in oldest:
                del self._hits[key]
