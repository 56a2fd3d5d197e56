"""Every COMMENTS_* setting and its default, and how the plugin's commands read settings.

Pelican settings (pelicanconf.py) override these; the intake service and the
moderation commands also let an environment variable of the same name override
each one. Integers are read as integers (`none` also works where a setting may be
None), lists are comma-separated, booleans are true/false, an empty value means None.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from .errors import SettingsError

DEFAULTS: dict[str, Any] = {
    # Folder of comment files, relative to Pelican's PATH.
    "COMMENTS_PATH": "comments",
    # Fail the build (non-zero exit) on any bad comment file instead of skipping it.
    "COMMENTS_STRICT": False,
    # Reply lists indent this many levels; deeper replies stay at that level.
    "COMMENTS_MAX_INDENT": 4,
    # Under one comment, show this many replies; fold the rest into a <details> ("12 more replies"). None: never fold.
    "COMMENTS_COLLAPSE_AFTER": 10,
    # Default for articles without `Comments:` metadata: open, closed or off.
    "COMMENTS_DEFAULT_MODE": "open",
    # Close an article's comments this many days after it is published (None: never).
    "COMMENTS_CLOSE_AFTER_DAYS": None,
    # strftime format of the visible comment date.
    "COMMENTS_DATE_FORMAT": "%B %-d, %Y at %-I:%M %p",
    # Show a locally generated avatar (an inline SVG; no third-party requests).
    "COMMENTS_AVATARS": True,
    # Per-article Atom feed of comments; {slug} is the article's slug. None turns it off.
    "COMMENTS_FEED_ATOM": "feeds/comments/{slug}.atom.xml",
    # Site-wide feed of recent comments. None turns it off.
    "COMMENTS_FEED_RECENT_ATOM": "feeds/comments.atom.xml",
    "COMMENTS_FEED_MAX_ITEMS": 50,
    # Comments an article's JSON-LD lists in full, in reading order (commentCount counts them all). None: every one.
    "COMMENTS_JSONLD_MAX_COMMENTS": 10,
    # Where the build writes the list of articles and published comments for the intake service.
    "COMMENTS_MANIFEST_SAVE_AS": "comments-manifest.json",
    # Cache valid comment files, rendered bodies, what unchanged article folders gave, comment feeds' digests
    # and discussion sections across builds in CACHE_PATH.
    "COMMENTS_RENDER_CACHE": True,
    # On a cold build with many bodies to render, let a forked helper process render half.
    "COMMENTS_PARALLEL_RENDER": True,
    # Flush the comment feeds to disk as they are written (production builds: publishconf.py). Either
    # way a feed is replaced atomically, and only when its text changed.
    "COMMENTS_SYNC_OUTPUT": False,
    # URL the comment form posts to; None renders no form.
    "COMMENTS_SUBMIT_URL": None,
    # Shown instead of the form when there is no COMMENTS_SUBMIT_URL.
    "COMMENTS_CONTACT_EMAIL": None,
    # Intake service: page (relative to SITEURL) a browser is sent to after posting.
    "COMMENTS_THANKS_URL": "comment-received/",
    # Intake service: Origins allowed to post (besides SITEURL's own); requests with no Origin pass.
    "COMMENTS_ALLOWED_ORIGINS": [],
    # Intake service: submissions per client address per window; 0 turns limiting off.
    "COMMENTS_RATE_LIMIT": 5,
    "COMMENTS_RATE_WINDOW": 60,
    # Intake service: proxies whose X-Forwarded-For is believed (addresses).
    "COMMENTS_TRUSTED_PROXIES": [],
    # Intake service: largest request body in bytes, checked before parsing. Percent-encoding
    # can triple a 10,000-character comment in non-Latin script, hence 128 KiB.
    "COMMENTS_MAX_REQUEST_BYTES": 128 * 1024,
    # Intake service: at most this many pending comments per article.
    "COMMENTS_MAX_PENDING": 200,
    # Intake service: seconds a client has to send a request's headers, then its body; slower connections are closed.
    "COMMENTS_HEADER_TIMEOUT": 10,
    "COMMENTS_BODY_TIMEOUT": 30,
    # Intake service: open connections at most (kept below the process's file limit); past it, the oldest
    # connection still waiting for its headers is closed.
    "COMMENTS_MAX_CONNECTIONS": 512,
    # Names of the moderators: `make comments` and `make check-comments` warn about look-alikes of these
    # and of each article's Author(s). The badge itself is only ever the `role:` a moderator sets.
    "COMMENTS_MODERATORS": [],
    # Spam rules the moderators edit (YAML; see MODERATING.md), relative to PATH, read by the intake for every new
    # comment and by `make comments`. A missing file means no rules; None turns them off.
    "COMMENTS_SPAM_RULES": "spam-rules.yaml",
    # Intake service: an Akismet API key to also ask Akismet about comments the spam rules leave clean or suspect
    # (sends the reader's IP address, browser, name, website and text to Automattic; see MODERATING.md).
    # None, the default, asks nobody. Set it in the environment, not in a file kept in git.
    "COMMENTS_AKISMET_KEY": None,
    # Intake service: another server speaking Akismet's API (scheme://host:port) instead of Akismet's own.
    "COMMENTS_AKISMET_ENDPOINT": None,
    # Intake service: commit each comment file it writes, alone, in the git repository holding it.
    "COMMENTS_GIT_COMMIT": False,
    # Intake service: author and committer of those commits, as "Name <address>".
    "COMMENTS_GIT_AUTHOR": "Comment intake <intake@localhost>",
    # Intake service: git remote (name or URL) to push those commits to; None pushes nothing.
    "COMMENTS_GIT_PUSH": None,
    # Intake service: branch to commit to, in a worktree of its own; None means the checked-out branch.
    "COMMENTS_GIT_BRANCH": None,
    # Intake service: seconds a push or fetch may take; past it git and all it started (ssh) are killed.
    "COMMENTS_GIT_TIMEOUT": 120,
    # Intake service: seconds between fetches of the remote, which bring moderators' decisions into its clone
    # (and so into its count of pending comments); a newly published manifest fetches at once.
    "COMMENTS_GIT_FETCH_SECONDS": 60,
    # Notices: folder outside the repository for the link secret, the subscribers, the mail queue and outbox
    # (None: $STATE_DIRECTORY from systemd, else $XDG_STATE_HOME or ~/.local/state, then reader-comments).
    "COMMENTS_STATE_PATH": None,
    # Notices: the secret that signs the links in messages (None: secret in the state folder; created 0600).
    "COMMENTS_SECRET_FILE": None,
    # Notices: days a link in a message works (each works once).
    "COMMENTS_LINK_DAYS": 7,
    # Intake service: days the private link on the "comment received" page lets a reader change or withdraw
    # their comment while it waits for moderation, or ask the editors to remove it once published.
    "COMMENTS_EDIT_DAYS": 7.0,
    # Notices: addresses told of each accepted comment, as "address" or "Name <address>"; empty turns alerts off.
    "COMMENTS_NOTIFY_MODERATORS": [],
    # Notices: at most one alert to the moderators every this many seconds; 0 sends one per comment.
    "COMMENTS_NOTIFY_INTERVAL": 600,
    # Notices: URL that also receives each alert as a JSON POST (chat or push services); None posts nothing.
    "COMMENTS_NOTIFY_WEBHOOK": None,
    # Notices: offer readers an e-mail address and the two notices on the form.
    "COMMENTS_READER_NOTICES": True,
    # Notices: days after posting during which a reader who asked is told of replies.
    "COMMENTS_REPLY_NOTICE_DAYS": 90,
    # Notices: SQLite database of readers' addresses, outside the repository (None: subscribers.sqlite3 in the state folder).
    "COMMENTS_SUBSCRIBERS_DB": None,
    # Notices: the From of every message, "Name <address>" (None: comments@ the site's host).
    "COMMENTS_MAIL_FROM": None,
    # Notices: Maildir folder messages are written to when there is no SMTP server (None: outbox in the state folder).
    "COMMENTS_MAIL_OUTBOX": None,
    # Notices: SMTP server; None writes messages to the outbox instead.
    "COMMENTS_SMTP_HOST": None,
    # Notices: SMTP port (None: 465 with tls, else 587 with starttls, 25 with none).
    "COMMENTS_SMTP_PORT": None,
    # Notices: starttls, tls or none.
    "COMMENTS_SMTP_SECURITY": "starttls",
    # Notices: SMTP user name, and the file holding its password (None: no login).
    "COMMENTS_SMTP_USER": None,
    "COMMENTS_SMTP_PASSWORD_FILE": None,
}

MODES = ("open", "closed", "off")
# Where a build keeps its resolved Options in Pelican's settings (not a COMMENTS_* name: no environment override reads it).
OPTIONS_KEY = "READER_COMMENTS_OPTIONS"


@dataclass(frozen=True, slots=True)
class Options:
    """The COMMENTS_* settings with their defaults, as typed attributes: `COMMENTS_MAX_INDENT` is `max_indent`.

    The defaults and what each setting means are in DEFAULTS above, the one place
    they are written; a test keeps these fields and DEFAULTS' names the same.
    """

    path: str
    strict: bool
    max_indent: int
    collapse_after: int | None
    default_mode: str
    close_after_days: int | None
    date_format: str
    avatars: bool
    feed_atom: str | None
    feed_recent_atom: str | None
    feed_max_items: int
    jsonld_max_comments: int | None
    manifest_save_as: str
    render_cache: bool
    parallel_render: bool
    sync_output: bool
    submit_url: str | None
    contact_email: str | None
    thanks_url: str | None
    allowed_origins: tuple[str, ...]
    rate_limit: int | None
    rate_window: float | None
    trusted_proxies: tuple[str, ...]
    max_request_bytes: int | None
    max_pending: int | None
    header_timeout: float | None
    body_timeout: float | None
    max_connections: int | None
    moderators: tuple[str, ...]
    spam_rules: str | None
    akismet_key: str | None
    akismet_endpoint: str | None
    git_commit: bool
    git_author: str
    git_push: str | None
    git_branch: str | None
    git_timeout: float | None
    git_fetch_seconds: float | None
    state_path: str | None
    secret_file: str | None
    link_days: float
    edit_days: float
    notify_moderators: tuple[str, ...]
    notify_interval: float
    notify_webhook: str | None
    reader_notices: bool
    reply_notice_days: float
    subscribers_db: str | None
    mail_from: str | None
    mail_outbox: str | None
    smtp_host: str | None
    smtp_port: int | None
    smtp_security: str | None
    smtp_user: str | None
    smtp_password_file: str | None

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Options:
        """Resolve the COMMENTS_* settings once; lists become tuples, so the options cannot change afterwards."""
        values = {}
        for name, value in resolve(settings).items():
            if isinstance(DEFAULTS[name], list):
                value = tuple(value) if isinstance(value, (list, tuple)) else () if value is None else (value,)
            values[name.removeprefix("COMMENTS_").lower()] = value
        return cls(**values)


def options_of(settings: Mapping[str, Any]) -> Options:
    """The Options a build resolved at start-up (plugin.set_defaults), or resolved now for settings read elsewhere."""
    found = settings.get(OPTIONS_KEY)
    return found if isinstance(found, Options) else Options.from_settings(settings)


def resolve(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The COMMENTS_* settings with defaults filled in."""
    return {name: settings.get(name, default) for name, default in DEFAULTS.items()}


def site_timezone(settings: dict[str, Any]) -> ZoneInfo:
    """The site's TIMEZONE, in which offset-less comment dates are read."""
    return ZoneInfo(settings.get("TIMEZONE") or "UTC")


def site_url(settings: dict[str, Any]) -> str:
    """SITEURL without a trailing slash ("" in development)."""
    return (settings.get("SITEURL") or "").rstrip("/")


def comments_folder(settings: dict[str, Any], content: Path | None = None) -> Path:
    """The folder of comment files: COMMENTS_PATH inside PATH (or inside `content`, PATH as shown to a user)."""
    base = content if content is not None else Path(settings.get("PATH") or ".")
    return base / resolve(settings)["COMMENTS_PATH"]


def spam_rules_path(settings: dict[str, Any], content: Path | None = None) -> Path | None:
    """The spam rules file: COMMENTS_SPAM_RULES inside PATH (or `content`), or None when the rules are off."""
    name = options_of(settings).spam_rules
    if not name:
        return None
    base = content if content is not None else Path(settings.get("PATH") or ".")
    return base / name


TRUE = frozenset({"1", "true", "yes", "on"})
FALSE = frozenset({"0", "false", "no", "off"})


def parse_env_value(name: str, raw: str, current: Any) -> Any:
    """An environment override, read with the type of the setting it replaces."""
    text = raw.strip()
    if isinstance(current, bool):
        if text.lower() in TRUE | FALSE:
            return text.lower() in TRUE
        raise SettingsError(f"{name} must be true or false, not {raw!r}")
    if isinstance(current, (list, tuple)):
        return [item.strip() for item in text.split(",") if item.strip()]
    if text.lower() in ("", "none", "null"):
        return None
    if isinstance(current, (int, float)):
        try:
            return type(current)(text)
        except ValueError:
            raise SettingsError(f"{name} must be a number, not {raw!r}") from None
    if current is None:
        return int(text) if re.fullmatch(r"-?\d+", text) else text
    return text


def apply_env(settings: dict[str, Any], environ: Mapping[str, str]) -> dict[str, Any]:
    """`settings` with each COMMENTS_* setting overridden by an environment variable of that name."""
    names = set(DEFAULTS) | {name for name in settings if name.startswith("COMMENTS_")}
    result = dict(settings)
    for name in sorted(names & set(environ)):
        current = settings.get(name)
        result[name] = parse_env_value(name, environ[name], DEFAULTS.get(name) if current is None else current)
    return result


def load_settings(
    path: Path | None, environ: Mapping[str, str], override: dict[str, Any] | None = None
) -> dict[str, Any]:
    """Pelican's settings from `path` (its defaults when None), PATH and OUTPUT_PATH absolute, then the overrides.

    Relative folders are read from the settings file's folder (the working folder
    without one). Pelican's warnings about feeds and themes concern builds, so
    they are silenced here.
    """
    from pelican.settings import read_settings

    quiet = logging.getLogger("pelican.settings")
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        values = read_settings(str(path) if path is not None else None, override=dict(override or {}))
    finally:
        quiet.setLevel(level)
    base = path.resolve().parent if path is not None else Path.cwd()
    for name in ("PATH", "OUTPUT_PATH"):
        values[name] = str((base / values[name]).resolve())
    return apply_env(values, environ)
