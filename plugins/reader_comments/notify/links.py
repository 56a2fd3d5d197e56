"""Signed links: HMAC-signed, expiring, single-use tokens for actions taken from a message.

A token is `<payload>.<signature>`, both base64url: the payload is a small JSON
object (purpose, subject, expiry, a random nonce, the state it was issued for
and any extra fields) and the signature is HMAC-SHA256 of the purpose and the
payload under a secret kept outside the repository. Reading a token checks, in
order: the signature (forged), the purpose, the expiry (expired), the state the
caller sees now against the one it was issued for (stale), and, when it is
spent, whether its nonce was used before (used). Any feature that sends a
private link (a moderator's decision, a reader's confirmation, a reader editing
a pending comment) signs its own purpose with the same `Signer` and keeps
spent nonces in the same `SpentLinks`.

Payloads hold no personal data (a subscriber is named by a row number, a
moderator by a keyed digest of the address), so a link in a web server's log
reveals no address.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ReaderCommentsError, SettingsError

logger = logging.getLogger(__name__)

SECRET_BYTES = 32
TOKEN_MAX = 2048
DAY = 86400.0
# What each failure is called, for the page that explains it.
FORGED, EXPIRED, USED, STALE = "forged", "expired", "used", "stale"


class LinkError(ReaderCommentsError):
    """A link that cannot be acted on; `kind` is forged, expired, used or stale."""

    def __init__(self, kind: str, message: str) -> None:
        """A refused link of `kind`."""
        super().__init__(message)
        self.kind = kind


@dataclass(frozen=True, slots=True)
class Claims:
    """What a valid token says: its purpose, subject, expiry (epoch seconds), nonce, state and extra fields."""

    purpose: str
    subject: str
    expires: float
    nonce: str
    state: str = ""
    extra: dict[str, str] = field(default_factory=dict)


def _b64(data: bytes) -> str:
    """URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    """Inverse of _b64; ValueError on bad input."""
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ValueError(str(exc)) from None


def load_secret(path: Path, refuse_inside: Path | None = None) -> bytes:
    """The secret in `path`, created (mode 0600, folder 0700) when missing; SettingsError when it cannot be used."""
    path = path.expanduser()
    if refuse_inside is not None and path.resolve().is_relative_to(refuse_inside.resolve()):
        raise SettingsError(f"COMMENTS_SECRET_FILE {path} is inside {refuse_inside}: keep the secret outside the repository")
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(SECRET_BYTES) + "\n")
            logger.info("created the link secret %s (mode 0600)", path)
        if path.stat().st_mode & 0o077:
            logger.warning("the link secret %s can be read by other users; chmod 600 it", path)
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"cannot use the link secret {path}: {exc}") from None
    if len(text) < 32:
        raise SettingsError(f"the link secret {path} is too short: delete it and a new one is made on start")
    return text.encode("ascii")


class Signer:
    """Signs and reads tokens with one secret."""

    def __init__(self, secret: bytes) -> None:
        """A signer using `secret`."""
        self._secret = secret

    def digest(self, text: str) -> str:
        """A short keyed digest of `text`: names a person in a token without revealing them."""
        return _b64(hmac.new(self._secret, b"who\0" + text.encode("utf-8"), hashlib.sha256).digest()[:12])

    def _signature(self, purpose: str, payload: str) -> str:
        """The signature of a payload for one purpose."""
        return _b64(hmac.new(self._secret, f"{purpose}\0{payload}".encode(), hashlib.sha256).digest())

    def sign(self, purpose: str, subject: str, days: float | None, state: str = "",
             extra: dict[str, str] | None = None, now: float | None = None) -> str:
        """A token for `purpose` on `subject`, valid `days` (None: until the secret changes), issued for `state`."""
        expires = 0 if days is None else int((now if now is not None else time.time()) + days * DAY)
        body = {"p": purpose, "s": subject, "x": expires, "n": secrets.token_hex(12), "v": state, "d": extra or {}}
        payload = _b64(json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))
        return f"{payload}.{self._signature(purpose, payload)}"

    def read(self, token: str, purpose: str, now: float | None = None) -> Claims:
        """The claims of a genuine, unexpired token for `purpose`; LinkError (forged or expired) otherwise."""
        payload, _, signature = token.strip().partition(".")
        if len(token) > TOKEN_MAX or not hmac.compare_digest(self._signature(purpose, payload), signature):
            raise LinkError(FORGED, "This link is not one we sent, or it was cut short or changed.")
        try:
            body: Any = json.loads(_unb64(payload))
            claims = Claims(body["p"], body["s"], float(body["x"]), body["n"], body.get("v", ""), dict(body.get("d", {})))
        except (ValueError, KeyError, TypeError):
            raise LinkError(FORGED, "This link is not one we sent, or it was cut short or changed.") from None
        if claims.purpose != purpose:
            raise LinkError(FORGED, "This link is not meant for this page.")
        if claims.expires and claims.expires < (now if now is not None else time.time()):
            raise LinkError(EXPIRED, "This link has expired.")
        return claims


def check_state(claims: Claims, current: str) -> None:
    """Raise LinkError(stale) when what the link was issued for has changed since."""
    if claims.state != current:
        raise LinkError(STALE, "This link no longer applies: things changed after it was sent.")


class SpentLinks:
    """The nonces of links already used, in a small SQLite database; a link is spent once."""

    def __init__(self, path: Path) -> None:
        """Keep spent nonces in `path` (created 0600)."""
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        with self._connect() as db:
            db.execute("CREATE TABLE IF NOT EXISTS spent (nonce TEXT PRIMARY KEY, expires REAL NOT NULL, at REAL NOT NULL)")
        os.chmod(path, 0o600)

    def _connect(self) -> sqlite3.Connection:
        """A connection that waits for another writer instead of failing."""
        return sqlite3.connect(self.path, timeout=30, isolation_level=None)

    def was_spent(self, claims: Claims) -> bool:
        """Whether the link was used before."""
        with self._connect() as db:
            return db.execute("SELECT 1 FROM spent WHERE nonce = ?", (claims.nonce,)).fetchone() is not None

    def check(self, claims: Claims) -> None:
        """Raise LinkError(used) when the link was used before."""
        if self.was_spent(claims):
            raise LinkError(USED, "This link was already used; each link works once.")

    def spend(self, claims: Claims) -> None:
        """Mark the link used, atomically; LinkError(used) when another request spent it first."""
        now = time.time()
        with self._connect() as db:
            db.execute("DELETE FROM spent WHERE expires > 0 AND expires < ?", (now - DAY,))
            try:
                db.execute("INSERT INTO spent VALUES (?, ?, ?)", (claims.nonce, claims.expires, now))
            except sqlite3.IntegrityError:
                raise LinkError(USED, "This link was already used; each link works once.") from None

    def release(self, claims: Claims) -> None:
        """Make a spent link usable again: the action it was spent on did not happen."""
        with self._connect() as db:
            db.execute("DELETE FROM spent WHERE nonce = ?", (claims.nonce,))
