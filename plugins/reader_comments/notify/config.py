"""The notice settings resolved: where the state lives, who is alerted, how mail is delivered."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..errors import SettingsError
from ..settings import options_of, site_url
from .mail import SECURITY, Delivery, MailError, parse_mailbox, sender_of

# Where links point in development, when SITEURL is not absolute: the development server.
DEV_SITE = "http://127.0.0.1:8000"


@dataclass(frozen=True, slots=True)
class Moderator:
    """One address the alerts go to, and the name a decision taken from its links is recorded under."""

    name: str
    address: str


@dataclass(frozen=True, slots=True)
class NotifyConfig:
    """Everything the notices need, resolved from the COMMENTS_* settings."""

    state: Path
    secret_file: Path
    spent_db: Path
    subscribers_db: Path
    queue: Path
    sender: str
    delivery: Delivery
    moderators: tuple[Moderator, ...]
    interval: float
    webhook: str | None
    link_days: float
    reader_notices: bool
    reply_days: float
    site: str
    links_base: str
    # The site's folder: the secret may not live inside it.
    site_root: Path | None = None


def default_state(environ: dict[str, str] | os._Environ[str] = os.environ) -> Path:
    """The state folder: systemd's $STATE_DIRECTORY, else $XDG_STATE_HOME (or ~/.local/state), then reader-comments."""
    systemd = environ.get("STATE_DIRECTORY", "").split(":")[0]
    if systemd:
        return Path(systemd)
    base = environ.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(base) / "reader-comments"


def _path(value: str | None, default: Path) -> Path:
    """A configured path (with ~ expanded), or the default."""
    return Path(value).expanduser() if value else default


def links_base(submit_url: str | None, site: str) -> str:
    """Where the intake is reached from a message: the form's address (absolute), else the site's /comments."""
    if submit_url and urlsplit(submit_url).scheme in ("http", "https"):
        return submit_url.rstrip("/")
    return f"{site}/{(submit_url or 'comments').strip('/')}"


# Who a decision from a link is recorded as when COMMENTS_NOTIFY_MODERATORS gives the address no name.
UNNAMED_MODERATOR = "an editor, from an alert"


def moderators_of(entries: tuple[str, ...]) -> tuple[Moderator, ...]:
    """COMMENTS_NOTIFY_MODERATORS read: "address" or "Name <address>" each; SettingsError naming a bad one."""
    found = []
    for entry in entries:
        try:
            name, address = parse_mailbox(entry)
        except MailError:
            raise SettingsError(f"COMMENTS_NOTIFY_MODERATORS: {entry!r} is not an address or 'Name <address>'") from None
        # A decision is recorded in the comment file and git under this name: never the address itself.
        found.append(Moderator(name or UNNAMED_MODERATOR, address))
    return tuple(found)


def notify_config(settings: dict[str, Any]) -> NotifyConfig:
    """Resolve the notice settings; SettingsError says which one is wrong."""
    options = options_of(settings)
    site = site_url(settings) if urlsplit(site_url(settings)).scheme in ("http", "https") else DEV_SITE
    state = _path(options.state_path, default_state())
    # An environment value of "none" reads as None.
    security = options.smtp_security or "none"
    if security not in SECURITY:
        raise SettingsError(f"COMMENTS_SMTP_SECURITY must be one of {', '.join(SECURITY)}, not {security!r}")
    if options.notify_webhook and urlsplit(options.notify_webhook).scheme not in ("http", "https"):
        raise SettingsError(f"COMMENTS_NOTIFY_WEBHOOK must be an http(s) URL, not {options.notify_webhook!r}")
    try:
        sender = sender_of(options.mail_from, site)
    except MailError:
        raise SettingsError(f"COMMENTS_MAIL_FROM: {options.mail_from!r} is not an address or 'Name <address>'") from None
    delivery = Delivery(
        outbox=_path(options.mail_outbox, state / "outbox"),
        smtp_host=options.smtp_host or None,
        smtp_port=int(options.smtp_port) if options.smtp_port else None,
        security=security,
        user=options.smtp_user or None,
        password_file=Path(options.smtp_password_file).expanduser() if options.smtp_password_file else None,
    )
    root = Path(settings["PATH"]).resolve().parent if settings.get("PATH") else None
    return NotifyConfig(
        state=state,
        secret_file=_path(options.secret_file, state / "secret"),
        spent_db=state / "links.sqlite3",
        subscribers_db=_path(options.subscribers_db, state / "subscribers.sqlite3"),
        queue=state / "mail-queue",
        sender=sender,
        delivery=delivery,
        moderators=moderators_of(options.notify_moderators),
        interval=max(0.0, float(options.notify_interval or 0)),
        webhook=options.notify_webhook or None,
        link_days=float(options.link_days or 7),
        reader_notices=bool(options.reader_notices),
        reply_days=float(options.reply_notice_days or 0),
        site=site,
        links_base=links_base(options.submit_url, site),
        site_root=root,
    )
