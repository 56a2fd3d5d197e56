"""The intake's rate limiter and client keys, on a fake clock: windows, boundaries, forgetting idle clients."""

from __future__ import annotations

import ipaddress

import pytest

from pelican.plugins.reader_comments.intake.ratelimit import RateLimiter, client_key, how_long, parse_networks

PROXIES = ("10.0.0.0/8", "2001:db8:ffff::/48")


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 0.0) -> None:
        """Start at `now`."""
        self.now = now

    def __call__(self) -> float:
        """The time the test last set."""
        return self.now


def limiter_at(start: float, limit: int, window: float, **kwargs) -> tuple[RateLimiter, Clock]:
    """A limiter on a hand-moved clock that reads `start`."""
    clock = Clock(start)
    return RateLimiter(limit, window, clock=clock, **kwargs), clock


def test_parse_networks_reads_addresses_and_blocks_and_skips_blanks():
    assert parse_networks([" 10.0.0.1 ", "10.1.2.3/8", "", "   ", "::1"]) == (
        ipaddress.ip_network("10.0.0.1/32"), ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128"))
    with pytest.raises(ValueError):
        parse_networks(["10.0.0.300"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "key"),
    [
        (None, [], "unknown"),
        ("", ["203.0.113.1"], "unknown"),
        ("  ", [], "unknown"),
        (" not-an-address ", ["203.0.113.1"], "not-an-address"),
        ("198.51.100.7", ["203.0.113.1"], "198.51.100.7"),
        (" 198.51.100.7 ", [], "198.51.100.7"),
        ("[2001:db8:1:2::9]", [], "2001:db8:1:2::/64"),
        ("[2001:db8:1:2::9]]", [], "2001:db8:1:2::/64"),
        ("198.51.100.7]", [], "198.51.100.7]"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", [], "2001:db8:1:2::/64"),
        ("::ffff:10.0.0.9", ["203.0.113.1"], "203.0.113.1"),
        ("10.0.0.1", ["", " , 203.0.113.1 ,  "], "203.0.113.1"),
        ("10.0.0.1", ["203.0.113.1, 2001:db8:ffff::5, 10.9.9.9"], "203.0.113.1"),
        ("10.0.0.1", ["203.0.113.1, [2001:db8:5::1]"], "2001:db8:5::/64"),
        ("10.0.0.1", ["2001:db8:ffff::1, 10.0.0.3"], "2001:db8:ffff::/64"),
        ("10.0.0.1", ["  "], "10.0.0.1"),
        ("10.0.0.1", ["10.0.0.2"], "10.0.0.2"),
        ("2001:db8:ffff::7", [], "2001:db8:ffff::/64"),
        ("::ffff:10.0.0.9", [], "10.0.0.9"),
        ("10.0.0.1", ["garbage, 10.0.0.2"], "10.0.0.1"),  # a non-address hop counts against the peer
        ("2001:db8:ffff::7", ["198.51.100.1"], "198.51.100.1"),
        ("198.51.100.7:5555", [], "198.51.100.7"),  # a port never makes a new client
        ("10.0.0.1", ["203.0.113.9:41234"], "203.0.113.9"),
        ("10.0.0.1", ['"203.0.113.9:80"'], "203.0.113.9"),  # a quoted hop
        ("10.0.0.1", ['"[2001:db8:5::1]:443"'], "2001:db8:5::/64"),
        ("10.0.0.1", ["X203.0.113.9"], "10.0.0.1"),  # not an address: keyed on the peer
        ("10.0.0.1", ["203.0.113.9X"], "10.0.0.1"),
        ("10.0.0.1", ["203.0.113.9:8x"], "10.0.0.1"),
    ],
)
def test_client_key(peer, forwarded, key):
    assert client_key(peer, forwarded, parse_networks(PROXIES)) == key


def test_limit_zero_or_window_zero_turns_limiting_off():
    for limit, window in ((0, 60), (-3, 60), (5, 0)):
        limiter = RateLimiter(limit, window)
        assert not limiter.enabled
        assert [limiter.hit("a") for _ in range(10)] == [0.0] * 10
        assert len(limiter) == 0
    assert RateLimiter("2", "60").enabled
    assert RateLimiter(2, 60).max_keys == 100_000


def test_hits_over_the_limit_wait_until_the_oldest_leaves_the_window():
    limiter, clock = limiter_at(100.0, 2, 10)
    assert limiter.hit("a") == 0.0
    clock.now = 103.0
    assert limiter.hit("a") == 0.0
    clock.now = 104.0
    assert limiter.hit("a") == pytest.approx(6.0)
    assert limiter.hit("b") == 0.0
    clock.now = 109.5
    assert limiter.hit("a") == pytest.approx(0.5)
    clock.now = 110.0  # the hit at 100 has just left the window
    assert limiter.hit("a") == 0.0
    assert limiter.hit("a") == pytest.approx(3.0)


def test_refused_hits_do_not_count():
    limiter, clock = limiter_at(0.0, 1, 10)
    assert limiter.hit("a") == 0.0
    for now in (1.0, 5.0, 9.0):
        clock.now = now
        assert limiter.hit("a") == pytest.approx(10.0 - now)
    clock.now = 10.0
    assert limiter.hit("a") == 0.0


def test_a_refund_takes_back_the_last_hit_of_that_key_only():
    limiter, clock = limiter_at(0.0, 2, 10)
    assert [limiter.hit("a"), limiter.hit("a"), limiter.hit("b")] == [0.0, 0.0, 0.0]
    assert limiter.hit("a") == pytest.approx(10.0)
    limiter.refund("a")
    clock.now = 1.0
    assert limiter.hit("a") == 0.0
    assert limiter.hit("a") == pytest.approx(9.0)
    limiter.refund("unknown")  # nothing to take back
    assert limiter.hit("b") == 0.0
    assert limiter.hit("b") == pytest.approx(9.0)


@pytest.mark.parametrize(
    ("wait", "words"),
    [(0, "1 second"), (0.001, "1 second"), (1, "1 second"), (1.2, "2 seconds"), (2, "2 seconds"),
     (59, "59 seconds"), (119, "119 seconds"), (119.5, "2 minutes"), (120, "2 minutes"),
     (121, "3 minutes"), (180, "3 minutes"), (3_600, "60 minutes"), (3_601, "61 minutes")],
)
def test_how_long_says_seconds_under_two_minutes_then_minutes_rounded_up(wait, words):
    assert how_long(wait) == words


def test_retry_after_is_whole_seconds_rounded_up_and_at_least_one():
    limiter = RateLimiter(1, 60)
    assert [limiter.retry_after(w) for w in (0.001, 0.5, 1.0, 1.01, 6.0, 59.2)] == ["1", "1", "1", "2", "6", "60"]


def test_idle_clients_are_forgotten_once_a_window():
    limiter, clock = limiter_at(100.0, 1, 10)
    limiter.hit("early")
    clock.now = 105.0
    limiter.hit("later")
    clock.now = 109.9  # before the first sweep: nothing forgotten
    limiter.hit("third")
    assert len(limiter) == 3
    clock.now = 110.0  # sweep: "early" (last seen at 100, exactly one window ago) goes
    limiter.hit("fourth")
    assert len(limiter) == 3
    assert limiter.hit("later") == pytest.approx(5.0)
    clock.now = 119.0  # the next sweep is due at 120
    limiter.hit("fifth")
    assert len(limiter) == 4
    clock.now = 120.0
    limiter.hit("sixth")
    assert len(limiter) == 2  # only fifth (119) was seen after 110; then sixth came


def test_the_first_sweep_comes_one_window_after_the_limiter_is_made():
    limiter, clock = limiter_at(0.0, 1, 10)
    for now, key in ((1.0, "a"), (9.0, "b"), (10.5, "c")):
        clock.now = now
        limiter.hit(key)
    assert len(limiter) == 3  # the sweep at 10.5 forgot nothing seen after 0.5
    clock.now = 11.5  # the next sweep is due at 20.5, so "a" (seen at 1) is still kept
    limiter.hit("d")
    assert len(limiter) == 4


def test_past_max_keys_the_least_recently_seen_are_dropped():
    # Named so that alphabetical order is the reverse of the order they were seen in.
    limiter, clock = limiter_at(0.0, 1, 1000, max_keys=10)
    for i in range(10):
        clock.now = float(i)
        assert limiter.hit(f"k{9 - i}") == 0.0
    assert len(limiter) == 10
    clock.now = 10.0
    assert limiter.hit("new") == 0.0
    assert len(limiter) == 10  # the sweep kept the 9 most recent, then added "new"
    assert limiter.hit("k0") == pytest.approx(999.0)  # remembered; this sweep drops k8
    assert len(limiter) == 9
    assert limiter.hit("k9") == 0.0  # forgotten first, so allowed again
    assert limiter.hit("k8") == 0.0  # forgotten second
