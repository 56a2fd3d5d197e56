"""The intake service's configuration: settings resolved into what the service checks against."""

from __future__ import annotations

import importlib.util
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import SettingsError
from ..gitsync import GitOptions, options_from, recorded_folder
from ..settings import DEFAULTS, comments_folder, options_of, site_timezone, site_url, spam_rules_path
from .akismet_check import PACKAGE as AKISMET_PACKAGE
from .ratelimit import Network, parse_networks

logger = logging.getLogger(__name__)

DEV_SITE = "http://127.0.0.1:8000"
DEV_ORIGINS = ("http://127.0.0.1:8000", "http://localhost:8000")
DEFAULT_PORTS = {"http": 80, "https": 443}
# In development (no absolute SITEURL) a page on any port of these is the developer's own (make serve PORT=...).
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


def origin_of(url: str | None) -> str | None:
    """The origin (scheme://host[:port]) of an absolute http(s) URL, else None."""
    try:
        parts = urlsplit((url or "").strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS or not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{scheme}://{host}" if port in (None, DEFAULT_PORTS[scheme]) else f"{scheme}://{host}:{port}"


def is_loopback_origin(origin: str | None) -> bool:
    """Whether an origin is a page on this computer (127.0.0.1, localhost or [::1], any port, plain http)."""
    parts = urlsplit(origin or "")
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS


def allowed_origins(siteurl: str, extra: Sequence[str] | None) -> frozenset[str]:
    """Origins allowed to post: the configured ones, SITEURL's, and the dev server's when SITEURL is empty."""
    origins = set()
    for value in extra or []:
        origin = origin_of(value)
        if origin is None:
            logger.warning("COMMENTS_ALLOWED_ORIGINS: %r is not an http(s) origin; ignored", value)
        else:
            origins.add(origin)
    site = origin_of(siteurl)
    if site:
        origins.add(site)
    elif not siteurl:
        origins.update(DEV_ORIGINS)
    return frozenset(origins)


def site_base(siteurl: str) -> str:
    """The site's absolute base URL: SITEURL, or the development server when it is not absolute."""
    return siteurl.rstrip("/") if origin_of(siteurl) else DEV_SITE


def thanks_location(base: str, thanks: str | None) -> str:
    """Where a browser goes after posting: the thank-you page of the site."""
    if origin_of(thanks):
        return str(thanks)
    return f"{base}/{(thanks or '').lstrip('/')}"


def _count(value: Any, default: int) -> int:
    """A non-negative integer setting; None means 0."""
    return max(0, int(value if value is not None else default))


@dataclass(frozen=True, slots=True)
class Config:
    """Everything the service needs, resolved from the settings and the command line."""

    # Where comment files are written: the comments folder, or its twin in the inbox worktree (COMMENTS_GIT_BRANCH).
    comments: Path
    manifest: Path
    output: Path
    site: str
    thanks: str
    origins: frozenset[str]
    rate_limit: int
    rate_window: float
    proxies: tuple[Network, ...]
    max_request_bytes: int
    max_pending: int
    tz: tzinfo
    header_timeout: float = DEFAULTS["COMMENTS_HEADER_TIMEOUT"]
    body_timeout: float = DEFAULTS["COMMENTS_BODY_TIMEOUT"]
    max_connections: int = DEFAULTS["COMMENTS_MAX_CONNECTIONS"]
    git: GitOptions | None = None
    # The comments folder of the checked-out tree, from which git finds the repository (the same as `comments` without a branch).
    checkout: Path | None = None
    # The moderators' spam rules (COMMENTS_SPAM_RULES), and the names a look-alike of which is suspect.
    spam_rules: Path | None = None
    protected_names: tuple[str, ...] = ()
    # The optional Akismet check: its key (None: off) and another server to ask instead of Akismet.
    akismet_key: str | None = None
    akismet_endpoint: str | None = None
    language: str = "en"
    # Development (SITEURL not absolute): accept pages on any loopback port, not only the dev server's 8000.
    any_loopback_port: bool = False
    # Days the reader's private link to a pending comment works (COMMENTS_EDIT_DAYS).
    edit_days: float = 7.0

    def allows(self, origin: str) -> bool:
        """Whether a post from a page at `origin` is accepted."""
        shown = origin_of(origin)
        return shown in self.origins or (self.any_loopback_port and is_loopback_origin(shown))


def build_config(settings: dict[str, Any], comments: Path | None = None, manifest: Path | None = None) -> Config:
    """Resolve the service's configuration; raise ValueError on a bad setting, GitError when git cannot be used."""
    options = options_of(settings)
    siteurl = site_url(settings)
    base = site_base(siteurl)
    if not origin_of(siteurl):
        logger.info("SITEURL is not absolute; browsers are sent back to %s", base)
    window = options.rate_window
    output = Path(settings.get("OUTPUT_PATH") or "output")
    checkout = comments or comments_folder(settings)
    git = options_from(options)
    return Config(
        comments=recorded_folder(checkout, git) if git else checkout,
        manifest=manifest or output / options.manifest_save_as,
        # The reader pages are built beside the manifest when it is given on its own.
        output=manifest.parent if manifest else output,
        site=base,
        thanks=thanks_location(base, options.thanks_url),
        origins=allowed_origins(siteurl, options.allowed_origins),
        rate_limit=_count(options.rate_limit, 0),
        rate_window=float(window if window is not None else DEFAULTS["COMMENTS_RATE_WINDOW"]),
        proxies=parse_networks(options.trusted_proxies),
        max_request_bytes=_count(options.max_request_bytes, DEFAULTS["COMMENTS_MAX_REQUEST_BYTES"]),
        max_pending=_count(options.max_pending, 0),
        tz=site_timezone(settings),
        header_timeout=float(options.header_timeout or DEFAULTS["COMMENTS_HEADER_TIMEOUT"]),
        body_timeout=float(options.body_timeout or DEFAULTS["COMMENTS_BODY_TIMEOUT"]),
        max_connections=_count(options.max_connections, DEFAULTS["COMMENTS_MAX_CONNECTIONS"]) or 1,
        git=git,
        checkout=checkout,
        spam_rules=spam_rules_path(settings),
        protected_names=tuple(str(name) for name in (*options.moderators, settings.get("AUTHOR")) if name),
        akismet_key=akismet_key(options.akismet_key),
        akismet_endpoint=options.akismet_endpoint or None,
        language=str(settings.get("DEFAULT_LANG") or "en"),
        any_loopback_port=not siteurl,
        edit_days=float(options.edit_days or DEFAULTS["COMMENTS_EDIT_DAYS"]),
    )


def akismet_key(key: str | None) -> str | None:
    """The Akismet key when the check is on; raise SettingsError when its client library is not installed."""
    if not key:
        return None
    if importlib.util.find_spec("akismet") is None:
        raise SettingsError(f"COMMENTS_AKISMET_KEY is set but the Akismet client is not installed: pip install {AKISMET_PACKAGE}")
    return str(key)
