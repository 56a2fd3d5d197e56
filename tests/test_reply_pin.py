"""Replying as the author or a moderator, and pinning: the real commands on real files, then a real build."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest
import yaml

from support.build import build_site

REPO = Path(__file__).resolve().parent.parent
FIXTURE = REPO / "tests" / "fixtures" / "moderate" / "site"
VENV_BIN = REPO / ".venv" / "bin"
CAROL = "garden-party/20240103T170000-carol"
DAVE = "garden-party/20240104T130000-dave"


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    """A copy of the moderation fixture site."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "site"))


def run(site: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """`reader-comments ARGS` in the site's folder."""
    return subprocess.run(
        [sys.executable, "-m", "pelican.plugins.reader_comments.moderation", *args],
        cwd=site, env={**os.environ, "COMMENTS_MODERATOR": "Desk Editor", **(env or {})},
        capture_output=True, text=True, timeout=60, check=False, stdin=subprocess.DEVNULL,
    )


def make(site: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """A make target of the project's Makefile, its command pointed at the site's settings (an editor would fail)."""
    command = f"{VENV_BIN / 'reader-comments'} --settings {site / 'pelicanconf.py'}"
    return subprocess.run(
        ["make", "--no-print-directory", *args, f"MODERATE={command}"],
        cwd=REPO, env={**os.environ, "COMMENTS_MODERATOR": "Desk Editor", "EDITOR": "false", "VISUAL": "", **(env or {})},
        capture_output=True, text=True, timeout=120, check=False, stdin=subprocess.DEVNULL,
    )


def comment_files(site: Path) -> set[Path]:
    """Every comment file of the site."""
    return set((site / "content" / "comments").rglob("*.y*ml"))


def new_file(site: Path, before: set[Path]) -> Path:
    """The one comment file written since `before`."""
    added = comment_files(site) - before
    assert len(added) == 1, added
    return added.pop()


def fields(path: Path) -> dict[str, str]:
    """A file's fields, read by PyYAML with every value as text."""
    return {k: str(v) for k, v in yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader).items()}


def test_make_reply_writes_an_approved_author_reply_with_the_article_authors_name(site_dir):
    before = comment_files(site_dir)
    done = make(site_dir, "reply", f"ID={CAROL}", 'BODY=Quite right, "Carol": a Panama is always correct.')
    assert done.returncode == 0, done.stdout + done.stderr
    path = new_file(site_dir, before)
    assert path.parent.name == "garden-party"
    written = fields(path)
    assert written["status"] == "approved"
    assert written["role"] == "author"
    assert written["author"] == "Fixture Author"  # the article's Author:
    assert written["reply_to"] == "20240103T170000-carol"
    assert written["body"] == 'Quite right, "Carol": a Panama is always correct.'
    check = run(site_dir, "check")
    assert "problem" not in check.stdout.replace("comment files OK", ""), check.stdout


def test_reply_as_moderator_with_a_name_from_a_file(site_dir, tmp_path):
    text = tmp_path / "reply.md"
    text.write_text("# A heading stays\n\nHats are welcome.\n", encoding="utf-8")
    before = comment_files(site_dir)
    done = make(site_dir, "reply", f"ID={CAROL}", "ROLE=moderator", "NAME=The Editors", f"FILE={text}")
    assert done.returncode == 0, done.stderr
    written = fields(new_file(site_dir, before))
    assert (written["role"], written["author"]) == ("moderator", "The Editors")


def test_top_level_author_comment_with_article(site_dir):
    before = comment_files(site_dir)
    done = make(site_dir, "reply", "ARTICLE=thank-you-cards", "BODY=A note from the author.")
    assert done.returncode == 0, done.stderr
    path = new_file(site_dir, before)
    assert path.parent.name == "thank-you-cards"
    assert "reply_to" not in fields(path)


def test_the_editor_opens_on_a_template_showing_the_comment_answered(site_dir, tmp_path):
    seen = tmp_path / "seen.txt"
    editor = tmp_path / "editor.py"
    editor.write_text(
        "import sys, pathlib\n"
        "p = pathlib.Path(sys.argv[1])\n"
        f"pathlib.Path({str(seen)!r}).write_text(p.read_text())\n"
        "p.write_text('Written in the editor.\\n' + p.read_text())\n",
        encoding="utf-8",
    )
    before = comment_files(site_dir)
    done = run(site_dir, "reply", CAROL, env={"EDITOR": f"{sys.executable} {editor}", "VISUAL": ""})
    assert done.returncode == 0, done.stderr
    template = seen.read_text(encoding="utf-8")
    assert "Panama hats are always right." in template and "Carol" in template
    path = new_file(site_dir, before)
    assert fields(path)["body"] == "Written in the editor."


@pytest.mark.parametrize("args", [
    ("BODY=   ",),                       # empty
    ("BODY=" + "x" * 10_001,),          # longer than the schema allows
    ("BODY=fine", "ROLE=owner"),        # not a role
    ("BODY=fine", "NAME=Line\u2028Break"),  # a name the validator refuses
])
def test_a_refused_reply_writes_nothing(site_dir, args):
    before = {p: p.read_bytes() for p in comment_files(site_dir)}
    done = make(site_dir, "reply", f"ID={CAROL}", *args)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    assert "error" in done.stderr
    assert {p: p.read_bytes() for p in comment_files(site_dir)} == before


def test_an_editor_left_empty_writes_nothing(site_dir):
    before = comment_files(site_dir)
    done = run(site_dir, "reply", CAROL, env={"EDITOR": "true", "VISUAL": ""})
    assert done.returncode == 2 and "empty" in done.stderr
    assert comment_files(site_dir) == before


def test_reply_to_a_missing_comment_writes_nothing(site_dir):
    before = comment_files(site_dir)
    done = make(site_dir, "reply", "ID=garden-party/nobody", "BODY=hello")
    assert done.returncode != 0 and "nobody" in done.stderr
    assert comment_files(site_dir) == before


def test_commit_1_commits_the_reply_alone(site_dir):
    git = ["git", "-C", str(site_dir)]
    env = {**os.environ, "GIT_AUTHOR_NAME": "T", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "T", "GIT_COMMITTER_EMAIL": "t@example.invalid"}
    subprocess.run(["git", "init", "-q", str(site_dir)], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "start"], check=True, env=env)
    (site_dir / "unrelated.txt").write_text("not part of it", encoding="utf-8")
    before = comment_files(site_dir)
    done = make(site_dir, "reply", f"ID={CAROL}", "BODY=Committed reply.", "COMMIT=1", env=env)
    assert done.returncode == 0, done.stderr
    path = new_file(site_dir, before)
    shown = subprocess.run([*git, "show", "--name-only", "--format=%s", "HEAD"], capture_output=True, text=True, check=True)
    assert shown.stdout.split("\n")[0].startswith("Reply to garden-party/20240103T170000-carol")
    assert str(path.relative_to(site_dir)) in shown.stdout
    assert "unrelated.txt" not in shown.stdout


# ---------------------------------------------------------------- pinning


def test_pin_and_unpin_edit_only_that_field(site_dir):
    path = site_dir / "content" / "comments" / "garden-party" / "20240103T170000-carol.yaml"
    original = path.read_text(encoding="utf-8")
    done = make(site_dir, "pin", f"ID={CAROL}")
    assert done.returncode == 0, done.stderr
    pinned = path.read_text(encoding="utf-8")
    assert fields(path)["pinned"] == "true"
    assert [line for line in pinned.splitlines() if not line.startswith("pinned:")] == original.splitlines()
    done = make(site_dir, "unpin", f"ID={CAROL}")
    assert done.returncode == 0, done.stderr
    assert fields(path)["pinned"] == "false"


def test_pin_refuses_an_unknown_id_and_changes_nothing(site_dir):
    before = {p: p.read_bytes() for p in comment_files(site_dir)}
    done = make(site_dir, "pin", f"ID={CAROL} garden-party/nobody")
    assert done.returncode != 0 and "nobody" in done.stderr
    assert {p: p.read_bytes() for p in comment_files(site_dir)} == before


def three_comments(site: Path) -> None:
    """Three approved top-level comments on the garden party and two replies to the first."""
    folder = site / "content" / "comments" / "garden-party"
    for path in folder.glob("*.yaml"):
        path.unlink()
    for day, name, extra in ((1, "Ann", ""), (2, "Ben", ""), (3, "Cyd", ""), (4, "Dot", "reply_to: c1\n"), (5, "Eve", "reply_to: c1\n")):
        cid = f"c{day}"
        folder.joinpath(f"{cid}.yaml").write_text(
            f'author: "{name}"\ndate: "2024-01-0{day}T10:00:00-05:00"\nstatus: approved\n{extra}body: "Words of {name}."\n',
            encoding="utf-8",
        )


def page_order(html: str) -> list[str]:
    """Comment ids in page order."""
    return re.findall(r'<article class="comment[^"]*" id="comment-([^"]+)"', html)


def test_a_pinned_comment_comes_first_in_page_jsonld_and_feed(site_dir, tmp_path):
    three_comments(site_dir)
    assert make(site_dir, "pin", "ID=garden-party/c3 garden-party/c5").returncode == 0
    build = build_site(site_dir / "content", tmp_path / "out", COMMENTS_FEED_ATOM="feeds/{slug}.atom.xml")
    html = (tmp_path / "out" / "2023" / "garden-party" / "index.html").read_text(encoding="utf-8")
    assert page_order(html) == ["c3", "c1", "c5", "c4", "c2"]
    labels = re.findall(r'id="comment-(c\d)".*?</header>', html, re.S)
    assert labels == ["c3", "c1", "c5", "c4", "c2"]
    for cid in ("c3", "c5"):
        header = re.search(rf'id="comment-{cid}".*?</header>', html, re.S).group(0)
        assert "Pinned by the editors" in header
    for cid in ("c1", "c2", "c4"):
        header = re.search(rf'id="comment-{cid}".*?</header>', html, re.S).group(0)
        assert "Pinned" not in header
    ld = [json.loads(block) for block in re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)]
    comments = next(item["comment"] for item in ld if "comment" in item)
    assert [c["url"].rsplit("-", 1)[1] for c in comments] == ["c3", "c1", "c5", "c4", "c2"]
    feed = feedparser.parse((tmp_path / "out" / "feeds" / "garden-party.atom.xml").read_bytes())
    titles = [entry.title for entry in feed.entries]
    assert titles[0].startswith("Pinned by the editors: Cyd")
    assert [t for t in titles if t.startswith("Pinned")] == [titles[0], titles[2]]
    assert not [m for m in build.messages() if "Skipped comment" in m or "Comments-Order" in m], build.messages()


def test_newest_order_keeps_pinned_first_and_replies_in_conversation_order(site_dir, tmp_path):
    three_comments(site_dir)
    post = site_dir / "content" / "posts" / "garden-party.md"
    post.write_text(post.read_text(encoding="utf-8").replace("Author:", "Comments-Order: newest\nAuthor:"), encoding="utf-8")
    build_site(site_dir / "content", tmp_path / "out")
    html = (tmp_path / "out" / "2023" / "garden-party" / "index.html").read_text(encoding="utf-8")
    assert page_order(html) == ["c3", "c2", "c1", "c4", "c5"]
    assert make(site_dir, "pin", "ID=garden-party/c1").returncode == 0
    build_site(site_dir / "content", tmp_path / "out2")
    html = (tmp_path / "out2" / "2023" / "garden-party" / "index.html").read_text(encoding="utf-8")
    assert page_order(html) == ["c1", "c4", "c5", "c3", "c2"]


def test_a_bad_comments_order_is_reported(site_dir, tmp_path):
    post = site_dir / "content" / "posts" / "garden-party.md"
    post.write_text(post.read_text(encoding="utf-8").replace("Author:", "Comments-Order: sideways\nAuthor:"), encoding="utf-8")
    build = build_site(site_dir / "content", tmp_path / "out")
    assert any("Comments-Order: sideways" in message for message in build.messages())
