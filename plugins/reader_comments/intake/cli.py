"""The intake service's command line: `reader-comments-intake`, or `python -m pelican.plugins.reader_comments.intake`."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import socket
import sqlite3
from pathlib import Path

import uvicorn
from pelican.log import LimitFilter

from ..errors import SettingsError
from ..gitsync import GitError
from ..notify.config import notify_config
from ..notify.service import Notifier
from ..settings import load_settings
from .app import create_app
from .config import build_config
from .guard import BACKLOG, KEEP_ALIVE, LogEscape, LogThrottle, guarded_protocol

logger = logging.getLogger(__name__)
DESCRIPTION = "The comment intake service: a reader's form post becomes a pending comment file."


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(prog="reader-comments-intake", description=DESCRIPTION)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8008, help="port to listen on (default 8008)")
    parser.add_argument("--settings", type=Path, default=Path("pelicanconf.py"), help="Pelican settings file")
    parser.add_argument("--comments", type=Path, help="comments folder (default: PATH/COMMENTS_PATH)")
    parser.add_argument("--manifest", type=Path, help="the build's manifest (default: output/comments-manifest.json)")
    parser.add_argument("--log-level", default="info", choices=("debug", "info", "warning", "error"))
    # The old name of --comments: `--content` means the content folder in the other two commands.
    parser.add_argument("--content", type=Path, dest="old_comments", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.old_comments is not None:
        parser.error("--content is now --comments (the comments folder); update the service's command line")
    return args


def port_problem(host: str, port: int) -> str | None:
    """Why the service cannot listen on host:port (taken, say), or None when it can; checked before starting."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return (f"port {port} on {host} is already in use; stop the other service or pick another port: "
                        f"make inbox INBOX_PORT={port + 1} (and build with the same INBOX_PORT so the form posts there)")
            return f"cannot listen on {host}:{port}: {exc.strerror or exc}"
    return None


def drop_once_only_filters() -> None:
    """Take Pelican's filter off every logger: it logs each message once per process, hiding every repeat for good."""
    for item in logging.root.manager.loggerDict.values():
        if isinstance(item, logging.Logger):
            item.filters = [kept for kept in item.filters if not isinstance(kept, LimitFilter)]


def main(argv: list[str] | None = None) -> int:
    """Run the service until interrupted."""
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(LogEscape())
        handler.addFilter(LogThrottle())
    drop_once_only_filters()
    try:
        settings = load_settings(args.settings, os.environ)
        config = build_config(settings, args.comments, args.manifest)
        notices = notify_config(settings)
    except (OSError, ValueError, SyntaxError, ImportError, GitError, SettingsError) as exc:
        logger.error("cannot start: %s", exc)
        return 2
    named = config.checkout or config.comments
    if not named.is_dir():
        logger.error("cannot start: the comments folder %s does not exist", named)
        return 2
    problem = port_problem(args.host, args.port)
    if problem:
        logger.error("cannot start: %s", problem)
        return 1
    try:
        notifier = Notifier(notices, config.comments, config.tz)
        notifier.open()
        app = create_app(config, notifier)
    except (GitError, SettingsError, OSError, sqlite3.Error) as exc:
        logger.error("cannot start: %s", exc)
        return 2
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        http=guarded_protocol(config.header_timeout, config.body_timeout, config.max_connections),
        backlog=BACKLOG,
        timeout_keep_alive=KEEP_ALIVE,
        proxy_headers=False,
        access_log=False,
        server_header=False,
        log_config=None,
        log_level=args.log_level,
    )
    return 0

