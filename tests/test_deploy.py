"""The server-side deploy tools on their own: the templates, the intake's unit, the publishing hook, a switched LIVE."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from support.git import REPO, copy_project, sh
from support.intake import IntakeServer, open_articles, write_manifest
from support.intake import post_comment as post
from support.needs import require_command

RENDER = str(REPO / "deploy" / "render")
VENV = Path(sys.executable).parent.parent
PENDING = 'author: "Ann"\ndate: "2024-01-01T10:00:00-05:00"\nstatus: pending\nbody: "Hello."\n'


def hooked_site(tmp_path: Path) -> tuple[Path, Path, Path]:
    """A copy of the project pushed to a bare repository with the publishing hook installed: (site, bare, LIVE)."""
    site = copy_project(tmp_path / "site")
    bare, live = tmp_path / "site.git", tmp_path / "www" / "live"
    sh(tmp_path, "git", "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    sh(site, "git", "push", "--quiet", str(bare), "main")
    sh(site, "make", "--no-print-directory", "install-hook", f"REPO={bare}", f"LIVE={live}", env={"PYTHON_VENV": str(VENV)})
    return site, bare, live


def test_render_fills_every_placeholder_and_refuses_a_missing_one() -> None:
    """The nginx template renders with its four values; without one, render names it and prints nothing."""
    values = ["LISTEN=80", "SERVER_NAME=example.org", "LIVE=/srv/live", "INTAKE=127.0.0.1:8008"]
    text = sh(REPO, RENDER, str(REPO / "deploy" / "nginx.conf"), *values).stdout
    assert "root /srv/live;" in text and "proxy_pass http://127.0.0.1:8008/comments;" in text and "@" not in text
    done = sh(REPO, RENDER, str(REPO / "deploy" / "nginx.conf"), *values[:3], ok=False)
    assert done.returncode == 2 and done.stdout == "" and "needs INTAKE=" in done.stderr
    done = sh(REPO, RENDER, str(REPO / "deploy" / "nginx.conf"), *values, "PORT=1", ok=False)
    assert done.returncode == 2 and done.stdout == "" and "has no @PORT@" in done.stderr


def test_the_intake_unit_passes_systemd_verification(tmp_path: Path) -> None:
    """The rendered unit is valid for systemd, runs the installed command, and writes only to the comments folder and .git."""
    require_command("systemd", "systemd-analyze")
    unit = tmp_path / "comment-intake.service"
    values = ["USER=root", f"APP={REPO}", f"CLONE={tmp_path}", f"LIVE={REPO}/public", "PORT=8008"]
    unit.write_text(sh(REPO, RENDER, str(REPO / "deploy" / "comment-intake.service"), *values).stdout)
    done = sh(tmp_path, "systemd-analyze", "verify", str(unit), ok=False)
    assert done.returncode == 0, done.stderr
    text = unit.read_text()
    assert f"ReadWritePaths={tmp_path}/content/comments {tmp_path}/.git\n" in text
    assert f"ExecStart={REPO}/.venv/bin/reader-comments-intake --settings {REPO}/publishconf.py" in text


def test_the_intake_follows_live_when_a_publish_switches_it(tmp_path: Path) -> None:
    """An article published after the intake started takes comments once LIVE points to the new build."""
    builds = tmp_path / "builds"
    for name, slugs in (("one", ["first"]), ("two", ["first", "second"])):
        (builds / name).mkdir(parents=True)
        write_manifest(builds / name / "comments-manifest.json", open_articles(*slugs))
    live = tmp_path / "live"
    live.symlink_to(builds / "one")
    (tmp_path / "comments").mkdir()
    with IntakeServer(tmp_path / "comments", live / "comments-manifest.json", env={"COMMENTS_RATE_LIMIT": "0"}) as server:
        assert post(server.port, "first", "Ann")
        assert "no such article" in post(server.port, "second", "Bob", expect=404)
        (tmp_path / "next").symlink_to(builds / "two")
        os.replace(tmp_path / "next", live)
        assert post(server.port, "second", "Bob")


def test_the_hook_skips_pending_comments_and_accepts_a_rewritten_history(tmp_path: Path) -> None:
    """A push adding only a pending comment is not built; a forced push of a history without a comment is published."""
    site, bare, live = hooked_site(tmp_path)
    first = os.readlink(live)
    comment = "content/comments/thank-you-note/20240101T100000-ann.yaml"
    (site / comment).write_text(PENDING)
    sh(site, "git", "add", comment)
    sh(site, "git", "commit", "--quiet", "-m", "A pending comment")
    pushed = sh(site, "git", "push", str(bare), "main")
    assert "only new pending comments" in pushed.stderr and os.readlink(live) == first
    assert "Marcus Webb" in (live / "2011" / "dinner-guest" / "index.html").read_text()
    (site / "content" / "comments" / "dinner-guest" / "20110421T143000-marcus-webb.yaml").unlink()
    sh(site, "git", "commit", "--quiet", "--amend", "-a", "-m", "A pending comment, and one comment removed")
    refused = sh(site, "git", "push", str(bare), "main", ok=False)
    assert refused.returncode != 0 and "rejected" in refused.stderr
    forced = sh(site, "git", "push", "--force", str(bare), "main")
    assert "now serves" in forced.stderr and os.readlink(live) != first
    assert "Marcus Webb" not in (live / "2011" / "dinner-guest" / "index.html").read_text()


def test_install_hook_refuses_a_folder_that_is_not_a_bare_repository(tmp_path: Path) -> None:
    """`make install-hook` on a plain folder exits 2 with what to do, and writes nothing."""
    (tmp_path / "plain").mkdir()
    done = sh(REPO, "make", "--no-print-directory", "install-hook", f"REPO={tmp_path / 'plain'}", f"LIVE={tmp_path / 'live'}", ok=False)
    assert done.returncode != 0 and "is not a bare git repository (create one with: git init --bare" in done.stderr
    assert list((tmp_path / "plain").iterdir()) == [] and not (tmp_path / "live").exists()


def test_install_hook_run_again_keeps_the_settings_it_is_not_given(tmp_path: Path) -> None:
    """A second `make install-hook` with one setting changes that one and keeps the others in deploy.env."""
    bare, live = tmp_path / "site.git", tmp_path / "www" / "live"
    sh(tmp_path, "git", "init", "--quiet", "--bare", "--initial-branch=main", str(bare))

    def install(**settings: str) -> dict[str, str]:
        sh(REPO, "make", "--no-print-directory", "install-hook", f"REPO={bare}", f"LIVE={live}", env=settings)
        shown = sh(tmp_path, "bash", "-c", f". {bare / 'deploy.env'}; printf '%s|%s|%s' \"$SITEURL\" \"$COMMENTS_SUBMIT_URL\" \"$LIVE\"")
        siteurl, submit, where = shown.stdout.split("|")
        return {"SITEURL": siteurl, "COMMENTS_SUBMIT_URL": submit, "LIVE": where}

    assert install(SITEURL="https://a.example")["SITEURL"] == "https://a.example"
    again = install(COMMENTS_SUBMIT_URL="https://a.example/inbox/comments")
    assert again == {"SITEURL": "https://a.example", "COMMENTS_SUBMIT_URL": "https://a.example/inbox/comments", "LIVE": str(live)}
    assert install(SITEURL="https://b.example it's")["SITEURL"] == "https://b.example it's"


def test_the_hooks_push_output_names_a_broken_comment_relative_to_the_repository(tmp_path: Path) -> None:
    """A refused build names `content/comments/<slug>/<id>.yaml:<line>`, never the server's work folder."""
    site, bare, live = hooked_site(tmp_path)
    comment = "content/comments/thank-you-note/20240101T100000-ann.yaml"
    (site / comment).write_text(PENDING.replace("pending", "approved").replace('body: "Hello."\n', 'body: "Hello."\nstauts: x\n'))
    sh(site, "git", "add", comment)
    sh(site, "git", "commit", "--quiet", "-m", "A broken approved comment")
    pushed = sh(site, "git", "push", str(bare), "main", ok=False)
    lines = [line for line in pushed.stderr.splitlines() if f"{comment}:5:" in line]
    assert lines and "'stauts'" in lines[0], pushed.stderr
    assert str(bare) not in "\n".join(lines) and "deploy-work" not in pushed.stderr.split("FAILED")[0], pushed.stderr
