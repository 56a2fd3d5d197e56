"""make publish tells readers after the switch, and a mail server that is down never fails the publish."""

from __future__ import annotations

import os
import secrets
import sys
import time
from pathlib import Path

from pelican.plugins.reader_comments.notify.mail import Delivery, MailQueue
from pelican.plugins.reader_comments.notify.subscribers import Subscribers
from support.comments import write_comment
from support.git import copy_project, sh
from support.intake import free_port
from support.smtp import SmtpServer, text_of

VENV = Path(sys.executable).parent.parent
SLUG = "thank-you-note"
CID = "20261201T100000-notice-test"


def make(site: Path, env: dict[str, str], *args: str) -> str:
    """Run make in the copy with this checkout's Python environment; its output (it must succeed)."""
    done = sh(site, "make", "--no-print-directory", f"VENV={VENV}", "-o", f"{VENV}/.plugin-installed-stamp", *args, env=env)
    return done.stdout + done.stderr


def comment(site: Path, status: str) -> None:
    """The test comment on the article, with `status`."""
    write_comment(site / "content" / "comments" / SLUG, f"{CID}.yaml",
                  {"author": "Gail Waiting", "date": "2026-12-01T10:00:00-05:00", "status": status, "body": "Told later?"})


def test_a_publish_succeeds_with_the_mail_server_down_and_the_notice_waits(tmp_path: Path) -> None:
    """The notice is queued, the site switched anyway; when the server is back the notice goes, once."""
    site = copy_project(tmp_path / "site")
    reader = f"gail-{secrets.token_hex(4)}@mail.example"
    port = free_port()
    env = {"COMMENTS_STATE_PATH": str(tmp_path / "state"), "COMMENTS_SMTP_HOST": "127.0.0.1",
           "COMMENTS_SMTP_PORT": str(port), "COMMENTS_SMTP_SECURITY": "none"}
    comment(site, "pending")
    first = make(site, env, "publish")
    assert "no reader has asked" in first
    subscribers = Subscribers(tmp_path / "state" / "subscribers.sqlite3")
    address_id, _ = subscribers.add(reader, SLUG, CID, True, False)
    subscribers.confirm(address_id)
    comment(site, "approved")
    before = os.readlink(site / "public")
    second = make(site, env, "publish")
    assert os.readlink(site / "public") != before, "the publish did not switch"
    assert f'id="comment-{CID}"' in (site / "public" / "2010" / SLUG / "index.html").read_text()
    assert "notices: 1 queued, 0 delivered, 1 waiting" in second, second
    assert "1 queued" not in make(site, env, "publish"), "a republish queued the notice again"

    server = SmtpServer()
    server.controller.port = port
    server.start()
    try:
        queue = MailQueue(tmp_path / "state" / "mail-queue", "Comments <c@guide.example>",
                          Delivery(tmp_path / "o", "127.0.0.1", port, "none"), clock=lambda: time.time() + 3600)
        assert queue.deliver() == 1 and queue.deliver() == 0
        [notice] = server.inbox.to(reader)
        assert f"/2010/{SLUG}/#comment-{CID}" in text_of(notice.message)
        assert notice.message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    finally:
        server.stop()
    assert reader not in (site / "public" / "2010" / SLUG / "index.html").read_text()
