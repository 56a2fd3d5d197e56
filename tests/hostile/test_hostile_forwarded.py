"""Forwarded addresses behind a trusted proxy: ports and non-addresses must not make new clients.

With COMMENTS_TRUSTED_PROXIES set, X-Forwarded-For names the client. A hop in
`ip:port` form, or one that is not an address at all, used to be the rate-limit
key verbatim, so a client changing the port (or the garbage) got a fresh limit.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pelican.plugins.reader_comments.intake.ratelimit import client_key, parse_networks
from support.intake import IntakeServer, launch, post_form

PROXY = "127.0.0.2"
FORM = {"article": "dinner-guest", "author": "Ann Reader", "body": "Thank you."}


@pytest.mark.parametrize(
    ("hop", "key"),
    [
        ("203.0.113.7:41234", "203.0.113.7"),
        ("203.0.113.7:1", "203.0.113.7"),
        (" 203.0.113.7:65535 ", "203.0.113.7"),
        ('"203.0.113.7:8080"', "203.0.113.7"),
        ("[2001:db8:0:1::5]:443", "2001:db8:0:1::/64"),
        ("[2001:db8:0:1::6]", "2001:db8:0:1::/64"),
        ("[::ffff:203.0.113.7]:80", "203.0.113.7"),
        ("unknown", "10.0.0.1"),
        ("evil.example", "10.0.0.1"),
        ("evil.example:80", "10.0.0.1"),
        ("203.0.113.7:http", "10.0.0.1"),
        ("_hidden", "10.0.0.1"),
        ("203.0.113.300", "10.0.0.1"),
    ],
)
def test_forwarded_hop_is_keyed_on_its_address_or_the_peer(hop: str, key: str) -> None:
    assert client_key("10.0.0.1", [hop], parse_networks(["10.0.0.0/8"])) == key


def test_garbage_left_of_a_trusted_hop_is_keyed_on_the_peer() -> None:
    proxies = parse_networks(["10.0.0.0/8"])
    assert client_key("10.0.0.1", ["203.0.113.7:9, 10.0.0.2:80"], proxies) == "203.0.113.7"
    assert client_key("10.0.0.1", ["nonsense, 10.0.0.2"], proxies) == "10.0.0.1"


@pytest.fixture(scope="module")
def proxied(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeServer]:
    """The service trusting 127.0.0.2 as a proxy, three posts per minute per client."""
    env = {"COMMENTS_RATE_LIMIT": "3", "COMMENTS_RATE_WINDOW": "60", "COMMENTS_TRUSTED_PROXIES": PROXY}
    server = launch(tmp_path_factory.mktemp("forwarded"), env)
    try:
        yield server
    finally:
        server.stop()


def _post(server: IntakeServer, forwarded: str) -> int:
    """POST a valid form through the proxy address with `forwarded` as X-Forwarded-For; the status."""
    return post_form(server.port, FORM, source=PROXY, X_Forwarded_For=forwarded).status


@pytest.mark.parametrize(
    "hops",
    [
        [f"198.51.100.20:{port}" for port in range(1000, 1006)],
        [f"[2001:db8:5::{n}]:{8000 + n}" for n in range(1, 7)],
        [f"not-an-address-{n}" for n in range(6)],
    ],
    ids=["ipv4-ports", "ipv6-ports", "non-addresses"],
)
def test_changing_the_hop_does_not_evade_the_limit(proxied: IntakeServer, hops: list[str]) -> None:
    statuses = [_post(proxied, hop) for hop in hops]
    # non-addresses are keyed on the proxy itself, which no other case here uses
    assert statuses == [201, 201, 201, 429, 429, 429], statuses
