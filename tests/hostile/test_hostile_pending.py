"""The pending cap must not outlive the queue: once moderators decide and publish, the intake takes comments again."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlencode

from support.git import comments_repository, sh, wait_for
from support.intake import FORM, IntakeServer, open_articles, send, write_manifest
from support.intake import post_comment as post


def accepts(port: int) -> bool:
    """Whether a post to `first` is taken now (201); a full queue answers 503."""
    fields = {"article": "first", "author": "Dora", "body": "Again.", "website": "", "reply_to": ""}
    status = send(port, "POST", "/comments", urlencode(fields), {"Content-Type": FORM, "Accept": "application/json"}).status
    assert status in (201, 503), status
    return status == 201


def test_decisions_pushed_and_published_reopen_a_full_article(tmp_path: Path) -> None:
    """Cap 2 reached; a moderator approves both and the site is published: posts are taken again, with no push from the intake."""
    bare, site, moderator = tmp_path / "remote.git", tmp_path / "site", tmp_path / "moderator"
    comments_repository(site, remote=bare)
    manifest = write_manifest(tmp_path / "manifest.json", open_articles("first"))
    env = {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_GIT_COMMIT": "true", "COMMENTS_GIT_PUSH": "origin", "COMMENTS_MAX_PENDING": "2"}
    with IntakeServer(site / "content" / "comments", manifest, env=env, log=tmp_path / "intake.log") as server:
        ids = [post(server.port, "first", name) for name in ("Ann", "Bob")]
        assert not accepts(server.port)
        wait_for(lambda: sh(bare, "git", "ls-tree", "-r", "--name-only", "main").stdout.count(".yaml") == 2, what="both pushed")
        sh(tmp_path, "git", "clone", "--quiet", str(bare), str(moderator))
        for comment_id in ids:
            path = moderator / "content" / "comments" / "first" / f"{comment_id}.yaml"
            path.write_text(path.read_text().replace("status: pending", "status: approved"))
        sh(moderator, "git", "commit", "--quiet", "-am", "Approve both")
        sh(moderator, "git", "push", "--quiet", "origin", "main")
        articles = open_articles("first")
        articles["first"]["comments"] = {comment_id: name for comment_id, name in zip(ids, ("Ann", "Bob"), strict=True)}
        write_manifest(manifest, articles)
        wait_for(lambda: accepts(server.port), timeout=20, what="the article to take comments again")
