"""The intake commits what it accepts and pushes it: real repositories, a real bare remote, a real server."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from support.git import files_on, sh, wait_for
from support.intake import IntakeServer, open_articles, send, write_manifest
from support.intake import post_comment as post

SLUGS = ("dinner-guest", "thank-you-note")
AUTHOR = "Comment intake <intake@localhost>"


def run_git(cwd: Path, *args: str) -> str:
    """Run git as a person would; return its output."""
    return sh(cwd, "git", *args).stdout


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A clone of a bare remote with a comments folder, a manifest, and local work in progress."""
    bare = tmp_path / "remote.git"
    run_git(tmp_path, "init", "--quiet", "--bare", "--initial-branch=main", str(bare))
    clone = tmp_path / "site"
    run_git(tmp_path, "clone", "--quiet", str(bare), str(clone))
    run_git(clone, "checkout", "--quiet", "-B", "main")
    for slug in SLUGS:
        (clone / "content" / "comments" / slug).mkdir(parents=True)
        (clone / "content" / "comments" / slug / ".keep").write_text("")
    (clone / "notes.txt").write_text("draft\n")
    (clone / "staged.txt").write_text("one\n")
    run_git(clone, "add", ".")
    run_git(clone, "commit", "--quiet", "-m", "Site")
    run_git(clone, "push", "--quiet", "origin", "main")
    (clone / "notes.txt").write_text("draft, edited\n")
    (clone / "staged.txt").write_text("two\n")
    run_git(clone, "add", "staged.txt")
    write_manifest(tmp_path / "manifest.json", open_articles(*SLUGS))
    return clone


def intake(site: Path, **env: str) -> IntakeServer:
    """The intake on the clone's comments folder, committing, with `env` added."""
    settings = {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_GIT_COMMIT": "true", **env}
    return IntakeServer(site / "content" / "comments", site.parent / "manifest.json", env=settings, log=site.parent / "intake.log")


@pytest.fixture
def running(site: Path) -> Iterator[IntakeServer]:
    """The intake committing in the clone and pushing to origin."""
    with intake(site, COMMENTS_GIT_PUSH="origin") as server:
        yield server


def commits(repo: Path, revision: str = "main") -> list[tuple[str, str, list[str]]]:
    """(author, subject, files) of each commit on `revision`, newest first."""
    out = run_git(repo, "log", "--format=%x00%an <%ae>%x01%s", "--name-only", revision)
    result = []
    for chunk in out.split("\0")[1:]:
        head, _, files = chunk.partition("\n")
        author, subject = head.split("\x01")
        result.append((author, subject, [f for f in files.split("\n") if f]))
    return result


def moderator_pushes_first(tmp_path: Path) -> Path:
    """A moderator's clone of the remote that commits policy.txt and pushes it; the clone."""
    moderator = tmp_path / "moderator"
    run_git(tmp_path, "clone", "--quiet", str(tmp_path / "remote.git"), str(moderator))
    (moderator / "policy.txt").write_text("be kind\n")
    run_git(moderator, "add", "policy.txt")
    run_git(moderator, "commit", "--quiet", "-m", "Policy")
    run_git(moderator, "push", "--quiet", "origin", "main")
    return moderator


def test_each_comment_is_committed_alone_and_other_changes_are_left_alone(site: Path, running: IntakeServer) -> None:
    """Three posts, three commits of one file each, named slug/id; the edit and the staged change stay as they were."""
    ids = [post(running.port, SLUGS[n % 2], f"Reader {n}") for n in range(3)]
    new = commits(site)[:3]
    expected = {(f"{SLUGS[n % 2]}/{ids[n]}", f"content/comments/{SLUGS[n % 2]}/{ids[n]}.yaml") for n in range(3)}
    assert {(subject.split(": ")[-1], files[0]) for _, subject, files in new} == expected
    assert all(author == AUTHOR and len(files) == 1 for author, _, files in new)
    status = run_git(site, "status", "--porcelain")
    assert sorted(status.splitlines()) == [" M notes.txt", "M  staged.txt"]
    assert run_git(site, "diff", "--cached", "staged.txt").count("+two") == 1
    wait_for(lambda: {f"content/comments/{SLUGS[n % 2]}/{ids[n]}.yaml" for n in range(3)} <= files_on(site.parent / "remote.git"))


def test_a_push_rejected_because_the_remote_moved_is_rebased_never_forced(site: Path, running: IntakeServer, tmp_path: Path) -> None:
    """A moderator pushes first; the intake's commits are rebased on top, and the moderator's commit stays."""
    moderator = moderator_pushes_first(tmp_path)
    theirs = run_git(moderator, "rev-parse", "HEAD").strip()
    first = post(running.port, SLUGS[0], "After the moderator")
    wait_for(lambda: f"content/comments/{SLUGS[0]}/{first}.yaml" in files_on(tmp_path / "remote.git"))
    run_git(tmp_path / "remote.git", "merge-base", "--is-ancestor", theirs, "main")
    assert "policy.txt" in files_on(tmp_path / "remote.git")
    assert (site / "policy.txt").read_text() == "be kind\n"
    assert sorted(run_git(site, "status", "--porcelain").splitlines()) == [" M notes.txt", "M  staged.txt"]


def test_an_unreachable_remote_is_retried_while_commits_land_locally(site: Path, tmp_path: Path) -> None:
    """With the remote gone, comments are committed; once it is back they reach it."""
    remote = tmp_path / "remote.git"
    remote.rename(tmp_path / "away.git")
    with intake(site, COMMENTS_GIT_PUSH="origin") as server:
        ids = [post(server.port, SLUGS[0], f"Offline {n}") for n in range(2)]
        assert len(commits(site)) == 3
        wait_for(lambda: "retrying in" in (tmp_path / "intake.log").read_text(), what="a failed push")
        (tmp_path / "away.git").rename(remote)
        wait_for(lambda: {f"content/comments/{SLUGS[0]}/{i}.yaml" for i in ids} <= files_on(remote), timeout=30)


def test_comment_files_a_crash_left_uncommitted_are_committed_at_start(site: Path) -> None:
    """An untracked comment file and a staged one are each committed when the intake starts; other files are not."""
    folder = site / "content" / "comments" / SLUGS[0]
    (folder / "20240101T000000-untracked.yaml").write_text('author: "A"\ndate: "2024-01-01T00:00:00+00:00"\nstatus: pending\nbody: "x"\n')
    (folder / "20240101T000001-staged.yaml").write_text('author: "B"\ndate: "2024-01-01T00:00:01+00:00"\nstatus: pending\nbody: "y"\n')
    (folder / "notes.md").write_text("not a comment\n")
    run_git(site, "add", str(folder / "20240101T000001-staged.yaml"))
    with intake(site):
        pass
    subjects = [subject for _, subject, _ in commits(site)[:2]]
    assert sorted(s.split(": ")[-1] for s in subjects) == [f"{SLUGS[0]}/20240101T000000-untracked", f"{SLUGS[0]}/20240101T000001-staged"]
    assert "?? content/comments/dinner-guest/notes.md" in run_git(site, "status", "--porcelain").splitlines()


def test_an_inbox_branch_keeps_comments_off_the_checked_out_branch(site: Path, tmp_path: Path) -> None:
    """With a branch set, commits and pushes go to it; the checked-out branch and its files do not move."""
    head = run_git(site, "rev-parse", "HEAD")
    with intake(site, COMMENTS_GIT_PUSH="origin", COMMENTS_GIT_BRANCH="inbox") as server:
        comment_id = post(server.port, SLUGS[1], "Inbox reader")
        path = f"content/comments/{SLUGS[1]}/{comment_id}.yaml"
        wait_for(lambda: path in files_on(tmp_path / "remote.git", "inbox"))
    assert run_git(site, "rev-parse", "HEAD") == head
    assert not (site / path).exists()
    assert commits(site, "inbox")[0][2] == [path]
    assert path not in files_on(tmp_path / "remote.git", "main")


def test_a_malformed_author_stops_the_intake_with_a_clear_message(site: Path) -> None:
    """COMMENTS_GIT_AUTHOR without an address is refused at start, naming the setting."""
    server = intake(site, COMMENTS_GIT_AUTHOR="just a name")
    with pytest.raises(RuntimeError):
        server.start(timeout=10)
    log = (site.parent / "intake.log").read_text()
    assert "COMMENTS_GIT_AUTHOR must look like" in log and "Traceback" not in log


def test_a_comments_folder_outside_git_stops_the_intake_with_a_clear_message(tmp_path: Path) -> None:
    """With committing on and no repository around the folder, the intake says so and exits."""
    folder = tmp_path / "plain" / "comments"
    folder.mkdir(parents=True)
    write_manifest(tmp_path / "manifest.json", {})
    server = IntakeServer(folder, tmp_path / "manifest.json", env={"COMMENTS_GIT_COMMIT": "true"}, log=tmp_path / "intake.log")
    with pytest.raises(RuntimeError):
        server.start(timeout=10)
    log = (tmp_path / "intake.log").read_text()
    assert "cannot start: git rev-parse --show-toplevel: fatal: not a git repository" in log and "Traceback" not in log


def test_a_sparse_clone_rebases_onto_moderators_work_writing_only_comment_files(site: Path, tmp_path: Path) -> None:
    """The intake's clone holds content/comments only; a moderator's push elsewhere is rebased onto, never written out."""
    sparse = tmp_path / "sparse"
    run_git(tmp_path, "clone", "--quiet", "--no-checkout", str(tmp_path / "remote.git"), str(sparse))
    run_git(sparse, "sparse-checkout", "set", "--no-cone", "/content/comments/")
    run_git(sparse, "checkout", "--quiet", "main")
    assert sorted(p.name for p in sparse.iterdir()) == [".git", "content"]
    moderator = tmp_path / "moderator"
    run_git(tmp_path, "clone", "--quiet", str(tmp_path / "remote.git"), str(moderator))
    (moderator / "notes.txt").write_text("a moderator's change\n")
    (moderator / "content" / "comments" / SLUGS[1] / "20240101T000000-approved.yaml").write_text(
        'author: "M"\ndate: "2024-01-01T00:00:00+00:00"\nstatus: approved\nbody: "z"\n')
    run_git(moderator, "add", ".")
    run_git(moderator, "commit", "--quiet", "-m", "Moderation")
    run_git(moderator, "push", "--quiet", "origin", "main")
    with intake(sparse, COMMENTS_GIT_PUSH="origin") as server:
        comment_id = post(server.port, SLUGS[0], "Sparse reader")
        wait_for(lambda: f"content/comments/{SLUGS[0]}/{comment_id}.yaml" in files_on(tmp_path / "remote.git"))
    assert "notes.txt" in files_on(tmp_path / "remote.git")
    assert sorted(p.name for p in sparse.iterdir()) == [".git", "content"]
    assert (sparse / "content" / "comments" / SLUGS[1] / "20240101T000000-approved.yaml").is_file()
    assert run_git(sparse, "status", "--porcelain") == ""


PUSH_LINE = re.compile(r"pushed (\d+) commits? to origin in (\d+\.\d+) s(?: after (\d+) rebases?)?: (.*)$")


def pushes_logged(log: Path) -> list[tuple[int, float, int, list[str]]]:
    """(commits, seconds, rebases, comment names) of each push line in the intake's log."""
    found = []
    for line in log.read_text(encoding="utf-8").splitlines():
        match = PUSH_LINE.search(line)
        if match:
            found.append((int(match[1]), float(match[2]), int(match[3] or 0), match[4].split(", ")))
    return found


def test_each_push_is_logged_with_its_commits_and_duration(site: Path, running: IntakeServer, tmp_path: Path) -> None:
    """Every comment pushed is named in exactly one push line; the counts add up; a push after a rebase says so."""
    ids = [post(running.port, SLUGS[n % 2], f"Reader {n}") for n in range(3)]
    names = {f"{SLUGS[n % 2]}/{ids[n]}" for n in range(3)}
    wait_for(lambda: {f"content/comments/{name}.yaml" for name in names} <= files_on(tmp_path / "remote.git"))
    wait_for(lambda: {n for push in pushes_logged(tmp_path / "intake.log") for n in push[3]} >= names, what="push lines")
    pushes = pushes_logged(tmp_path / "intake.log")
    assert sum(count for count, *_ in pushes) == 3 and sorted(n for push in pushes for n in push[3]) == sorted(names)
    assert all(0 <= seconds < 60 and rebases == 0 for _, seconds, rebases, _ in pushes)
    moderator_pushes_first(tmp_path)
    late = f"{SLUGS[0]}/{post(running.port, SLUGS[0], 'After the moderator')}"
    wait_for(lambda: any(late in push[3] for push in pushes_logged(tmp_path / "intake.log")), what="the rebased push")
    [after] = [push for push in pushes_logged(tmp_path / "intake.log") if late in push[3]]
    assert after[0] == 1 and after[2] == 1 and "Policy" not in after[3]


def test_what_a_reader_types_never_reaches_a_commits_author_committer_or_message(site: Path, running: IntakeServer) -> None:
    """Each commit git records is the intake's, with the message 'Comment pending moderation: slug/id' and nothing of the reader's."""
    typed = {"author": "Eve Mallory <eve@mallory.example>", "body": "Signed-off-by: Eve <eve@mallory.example>\n\nCo-authored-by: X",
             "website": "https://mallory.example/--author=Eve"}
    reply = send(running.port, "POST", "/comments",
                 urlencode({"article": SLUGS[0], **typed, "reply_to": "", "homepage": ""}),
                 {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"})
    assert reply.status == 201, reply.body
    cid = reply.json()["id"]
    wait_for(lambda: f"content/comments/{SLUGS[0]}/{cid}.yaml" in files_on(site.parent / "remote.git"))
    for repo in (site, site.parent / "remote.git"):
        head = run_git(repo, "rev-parse", "main").strip()
        raw = run_git(repo, "cat-file", "commit", head)
        headers, _, message = raw.partition("\n\n")
        people = [line.rsplit(" ", 2)[0] for line in headers.splitlines() if line.startswith(("author ", "committer "))]
        assert people == [f"author {AUTHOR}", f"committer {AUTHOR}"], raw
        assert message == f"Comment pending moderation: {SLUGS[0]}/{cid}\n", raw
        assert run_git(repo, "show", "--format=", "--name-only", head).split() == [f"content/comments/{SLUGS[0]}/{cid}.yaml"]
    recorded = "\n".join([run_git(site, "log", "--all", "--format=raw"), run_git(site, "reflog", "--all"),
                          run_git(site, "for-each-ref"), run_git(site.parent / "remote.git", "log", "--all", "--format=raw")])
    for word in ("Eve", "mallory", "Signed-off-by", "Co-authored-by", "--author"):
        assert word not in recorded, word
