"""Signed links: the secret file, signatures, expiry, single use and staleness."""

from __future__ import annotations

import stat
import time
from pathlib import Path

import pytest

from pelican.plugins.reader_comments.errors import SettingsError
from pelican.plugins.reader_comments.notify.links import LinkError, Signer, SpentLinks, check_state, load_secret


def test_the_secret_is_created_once_with_mode_0600(tmp_path: Path) -> None:
    """First start creates the secret readable by its owner only; the next start reads the same one."""
    path = tmp_path / "state" / "secret"
    first = load_secret(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert load_secret(path) == first and len(first) >= 64


def test_a_secret_inside_the_repository_is_refused(tmp_path: Path) -> None:
    """The secret may not live in the site's folder, where git would carry it."""
    with pytest.raises(SettingsError, match="outside the repository"):
        load_secret(tmp_path / "site" / "secret", refuse_inside=tmp_path / "site")
    assert not (tmp_path / "site" / "secret").exists()


def test_a_signed_link_reads_back(tmp_path: Path) -> None:
    """What was signed is read back."""
    signer = Signer(load_secret(tmp_path / "secret"))
    token = signer.sign("moderate", "post/20240101T000000000000-abcdef", 7, "pending", {"a": "approved"})
    claims = signer.read(token, "moderate")
    assert (claims.subject, claims.state, claims.extra) == ("post/20240101T000000000000-abcdef", "pending", {"a": "approved"})


@pytest.mark.parametrize("change", ["payload", "signature", "cut", "other-secret", "other-purpose", "garbage"])
def test_a_forged_link_is_refused(tmp_path: Path, change: str) -> None:
    """Any change to a token, another secret or another purpose: forged."""
    signer = Signer(b"s" * 64)
    token = signer.sign("moderate", "post/1", 7, "pending", {"a": "rejected"})
    payload, signature = token.split(".")
    forged = {
        "payload": payload[:-2] + ("AA" if payload[-2:] != "AA" else "BB") + "." + signature,
        "signature": payload + "." + signature[:-1] + ("A" if signature[-1] != "A" else "B"),
        "cut": token[: len(token) // 2],
        "other-secret": Signer(b"t" * 64).sign("moderate", "post/1", 7, "pending", {"a": "approved"}),
        "other-purpose": signer.sign("confirm", "post/1", 7),
        "garbage": "not a token at all",
    }[change]
    with pytest.raises(LinkError) as caught:
        signer.read(forged, "moderate")
    assert caught.value.kind == "forged"


def test_an_expired_link_is_refused() -> None:
    """Past its days a link is expired; before, it works."""
    signer = Signer(b"s" * 64)
    token = signer.sign("moderate", "post/1", 7, now=time.time() - 8 * 86400)
    with pytest.raises(LinkError) as caught:
        signer.read(token, "moderate")
    assert caught.value.kind == "expired"
    assert signer.read(signer.sign("moderate", "post/1", 7, now=time.time() - 6 * 86400), "moderate").subject == "post/1"


def test_a_link_works_once_even_across_restarts(tmp_path: Path) -> None:
    """Spending a link twice is refused, by a second store on the same file too; a released link works again."""
    signer = Signer(b"s" * 64)
    claims = signer.read(signer.sign("moderate", "post/1", 7), "moderate")
    SpentLinks(tmp_path / "links.sqlite3").spend(claims)
    again = SpentLinks(tmp_path / "links.sqlite3")
    with pytest.raises(LinkError) as caught:
        again.spend(claims)
    assert caught.value.kind == "used"
    with pytest.raises(LinkError):
        again.check(claims)
    again.release(claims)
    again.check(claims)


def test_a_link_for_a_changed_state_is_stale() -> None:
    """A link issued for 'pending' is stale once the comment is something else."""
    signer = Signer(b"s" * 64)
    claims = signer.read(signer.sign("moderate", "post/1", 7, "pending"), "moderate")
    check_state(claims, "pending")
    with pytest.raises(LinkError) as caught:
        check_state(claims, "approved")
    assert caught.value.kind == "stale"
