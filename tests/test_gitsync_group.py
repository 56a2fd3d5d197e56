"""Group commit: comment files that wait for the git lock together go into one commit, with real git.

The recorder runs in this process (so mutation testing reaches it) on real repositories in tmp_path; the
last test sends concurrent posts to a real intake over HTTP and reads the bare remote.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pelican.plugins.reader_comments.gitsync import GitOptions, GitRecorder
from support.git import comments_repository, files_on, in_process_git, logged, sh, wait_for
from support.intake import IntakeServer, open_articles, write_manifest
from support.intake import post_comment as post

SLUG = "first"
NAME, EMAIL = "Comment intake", "intake@localhost"
PENDING = 'author: "A"\ndate: "2024-01-01T00:00:00+00:00"\nstatus: pending\nbody: "x {n}"\n'


@pytest.fixture(autouse=True)
def plain_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No user or system git configuration reaches the recorder's git; a git run without a folder runs in tmp_path."""
    in_process_git(monkeypatch, tmp_path)


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A clone of a bare remote with one article's comments folder; a staged file and an edited one besides."""
    site = comments_repository(tmp_path / "site", SLUG, remote=tmp_path / "remote.git")
    (site / "notes.txt").write_text("draft\n")
    (site / "staged.txt").write_text("one\n")
    sh(site, "git", "add", "notes.txt", "staged.txt")
    sh(site, "git", "commit", "--quiet", "-m", "Notes")
    sh(site, "git", "push", "--quiet", "origin", "main")
    (site / "notes.txt").write_text("draft, edited\n")
    (site / "staged.txt").write_text("two\n")
    sh(site, "git", "add", "staged.txt")
    return site


@pytest.fixture
def recorder(site: Path) -> Iterator[GitRecorder]:
    """A recorder committing in the clone, pushing to origin, not started (no background thread)."""
    yield GitRecorder(site / "content" / "comments", GitOptions(NAME, EMAIL, "origin", None))


def write(site: Path, n: int) -> tuple[Path, str]:
    """Comment file number `n` on disk, not committed; its path and id."""
    comment_id = f"20240101T0000{n:02d}-c{n}"
    path = site / "content" / "comments" / SLUG / f"{comment_id}.yaml"
    path.write_text(PENDING.format(n=n))
    return path, comment_id


def git_out(site: Path, *args: str) -> str:
    """A git command's output in `site`."""
    return sh(site, "git", *args).stdout


def new_commits(site: Path, since: str) -> list[tuple[str, list[str]]]:
    """(message, files) of each commit after `since` on HEAD, oldest first."""
    out = git_out(site, "log", "--reverse", "-z", "--format=%H", f"{since}..HEAD")
    return [(message_of(site, sha), git_out(site, "show", "--format=", "--name-only", sha).split())
            for sha in filter(None, out.split("\0"))]


def message_of(repo: Path, sha: str) -> str:
    """A commit's message exactly as git stored it."""
    return git_out(repo, "cat-file", "commit", sha).partition("\n\n")[2]


def record_held(recorder: GitRecorder, items: list[tuple[Path, str]], before_release: Callable[[], None] | None = None) -> list[bool]:
    """Record `items` from threads while the commit lock is held, so all wait together; the results in order."""
    results: list[bool] = [False] * len(items)

    def one(index: int) -> None:
        path, comment_id = items[index]
        results[index] = recorder.record(path, SLUG, comment_id)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(items))]
    with recorder._lock:
        for thread in threads:
            thread.start()
        wait_for(lambda: len(recorder._waiting) == len(items), timeout=10, what="every file waiting")
        if before_release is not None:
            before_release()
    for thread in threads:
        thread.join(30)
    return results


def relative(site: Path, path: Path) -> str:
    """A path as git names it."""
    return path.relative_to(site).as_posix()


def test_files_waiting_together_are_committed_in_one_commit_that_lists_each(site: Path, recorder: GitRecorder) -> None:
    """Five waiting files: one commit of exactly those five, its message naming each; the staged and edited files untouched."""
    head = git_out(site, "rev-parse", "HEAD").strip()
    items = [write(site, n) for n in range(5)]
    assert record_held(recorder, items) == [True] * 5
    [(message, files)] = new_commits(site, head)
    subject, blank, *listed = message.rstrip("\n").split("\n")
    assert (subject, blank) == ("Comments pending moderation: 5 files", "")
    assert sorted(listed) == sorted(f"{SLUG}/{cid}" for _, cid in items)
    assert sorted(files) == sorted(relative(site, path) for path, _ in items)
    assert sorted(git_out(site, "status", "--porcelain").splitlines()) == [" M notes.txt", "M  staged.txt"]
    assert git_out(site, "diff", "--cached", "staged.txt").count("+two") == 1


def test_one_file_alone_keeps_the_one_line_message(site: Path, recorder: GitRecorder) -> None:
    """A file that waits alone is committed alone, with the message it always had."""
    head = git_out(site, "rev-parse", "HEAD").strip()
    path, cid = write(site, 7)
    assert recorder.record(path, SLUG, cid) is True
    assert new_commits(site, head) == [(f"Comment pending moderation: {SLUG}/{cid}\n", [relative(site, path)])]


def test_a_file_that_fails_costs_the_others_nothing(site: Path, recorder: GitRecorder) -> None:
    """One of four files vanishes before the commit: the three others are each committed, once; it is reported not committed."""
    head = git_out(site, "rev-parse", "HEAD").strip()
    items = [write(site, n) for n in range(4)]
    results = record_held(recorder, items, before_release=items[2][0].unlink)
    assert results == [True, True, False, True]
    commits = new_commits(site, head)
    assert sorted(files[0] for _, files in commits) == sorted(relative(site, items[n][0]) for n in (0, 1, 3))
    assert all(len(files) == 1 and message == f"Comment pending moderation: {SLUG}/{files[0].split('/')[-1][:-5]}\n"
               for message, files in commits)
    assert sorted(git_out(site, "status", "--porcelain").splitlines()) == [" M notes.txt", "M  staged.txt"]


def test_a_file_left_behind_by_a_busy_lock_is_committed_once_by_the_sweep(site: Path, recorder: GitRecorder) -> None:
    """Past the wait for the lock the post gives up: its file stays on disk, out of any group, and the sweep commits it once."""
    head = git_out(site, "rev-parse", "HEAD").strip()
    path, cid = write(site, 1)
    results: list[bool] = []
    with recorder._lock:
        thread = threading.Thread(target=lambda: results.append(recorder.record(path, SLUG, cid)))
        thread.start()
        thread.join(10)
        assert results == [False] and not recorder._waiting and path.exists()
    later, later_id = write(site, 2)
    assert recorder.record(later, SLUG, later_id) is True
    assert recorder.sweep() == 1
    commits = new_commits(site, head)
    assert sorted(files[0] for _, files in commits) == sorted([relative(site, path), relative(site, later)])
    assert len(commits) == 2


def test_many_concurrent_records_are_each_committed_exactly_once(site: Path, recorder: GitRecorder) -> None:
    """Sixty files from twelve threads: every one in exactly one commit, and every message names exactly its commit's files."""
    head = git_out(site, "rev-parse", "HEAD").strip()
    items = [write(site, n) for n in range(60)]
    with ThreadPoolExecutor(12) as pool:
        results = list(pool.map(lambda item: recorder.record(item[0], SLUG, item[1]), items))
    assert results == [True] * 60
    seen: list[str] = []
    for message, files in new_commits(site, head):
        named = [line for line in message.split("\n")[1:] if line] or [message.rstrip("\n").rpartition(": ")[2]]
        assert sorted(f"content/comments/{name}.yaml" for name in named) == sorted(files)
        seen.extend(files)
    assert sorted(seen) == sorted(relative(site, path) for path, _ in items)
    sh(site, "git", "fsck", "--strict", "--no-progress")


def test_decisions_and_messages_go_to_git_on_standard_input_never_as_options(site: Path, recorder: GitRecorder) -> None:
    """A message that reads like options is recorded word for word; only the named file is committed."""
    head = git_out(site, "rev-parse", "HEAD").strip()
    path, cid = write(site, 3)
    recorder.commit_files([path], "--amend --author=Eve <eve@example.org>\n\n-m x")
    assert new_commits(site, head) == [("--amend --author=Eve <eve@example.org>\n\n-m x\n", [relative(site, path)])]
    assert git_out(site, "log", "-1", "--format=%an").strip() == NAME


def packed_objects(site: Path) -> int:
    """How many objects the repository holds in packs (git's maintenance packs loose ones)."""
    counts = dict(line.split(": ") for line in git_out(site, "count-objects", "-v").splitlines())
    return int(counts["in-pack"])


def maintenance_due_after_every_object(site: Path) -> None:
    """Configure git to pack loose objects whenever its automatic maintenance runs and one is loose."""
    for key, value in (("maintenance.gc.enabled", "false"), ("maintenance.loose-objects.enabled", "true"),
                       ("maintenance.loose-objects.auto", "1")):
        sh(site, "git", "config", key, value)


def test_maintenance_is_off_while_committing_and_runs_when_quiet(site: Path, recorder: GitRecorder) -> None:
    """With maintenance due after every object, commits leave objects loose; the quiet-time upkeep packs them, once."""
    maintenance_due_after_every_object(site)
    before = packed_objects(site)
    for n in range(3):
        path, cid = write(site, n)
        assert recorder.record(path, SLUG, cid)
    recorder.commit_files([write(site, 5)[0]], "A decision")
    assert packed_objects(site) == before
    assert recorder.upkeep(idle=False) is False
    assert packed_objects(site) == before
    assert recorder.upkeep(idle=True) is True
    assert packed_objects(site) > before
    assert recorder.upkeep(idle=True) is False
    path, cid = write(site, 9)
    assert recorder.record(path, SLUG, cid) is True
    assert recorder.upkeep(idle=True) is True


def test_busy_upkeep_waits_for_many_files(site: Path, recorder: GitRecorder) -> None:
    """While comments keep arriving, maintenance runs only once 200 files were committed since the last."""
    maintenance_due_after_every_object(site)
    before = packed_objects(site)
    recorder.commit_files([write(site, n)[0] for n in range(198)], "Comments 0 to 197")
    recorder.commit_files([write(site, 198)[0]], "Comment 198")
    assert recorder.upkeep(idle=False) is False
    assert packed_objects(site) == before
    recorder.commit_files([write(site, 199)[0]], "Comment 199")
    assert recorder.upkeep(idle=False) is True
    assert packed_objects(site) > before


def test_a_push_names_every_comment_of_a_group(site: Path, recorder: GitRecorder) -> None:
    """The push line counts commits and names each comment, grouped or alone."""
    items = [write(site, n) for n in range(3)]
    record_held(recorder, items)
    alone, alone_id = write(site, 9)
    recorder.record(alone, SLUG, alone_id)
    with logged() as lines:
        recorder.push()
    [line] = [line for line in lines if line.startswith("pushed ")]
    head, _, names = line.partition(": ")
    assert head.startswith("pushed 2 commits to origin in ")
    assert sorted(names.split(", ")) == sorted(f"{SLUG}/{cid}" for cid in [*(c for _, c in items), alone_id])
    assert {relative(site, path) for path, _ in [*items, (alone, alone_id)]} <= files_on(site.parent / "remote.git")


def test_concurrent_posts_to_the_intake_reach_the_remote_each_exactly_once(tmp_path: Path) -> None:
    """Eighty posts from sixteen clients: each answered, on the remote once, in a commit whose message names it."""
    site = comments_repository(tmp_path / "site", SLUG, remote=tmp_path / "remote.git")
    write_manifest(tmp_path / "manifest.json", open_articles(SLUG))
    env = {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_GIT_COMMIT": "true", "COMMENTS_GIT_PUSH": "origin", "COMMENTS_MAX_PENDING": "0"}
    with IntakeServer(site / "content" / "comments", tmp_path / "manifest.json", env=env, log=tmp_path / "intake.log") as server:
        with ThreadPoolExecutor(16) as pool:
            ids = list(pool.map(lambda n: post(server.port, SLUG, f"Reader {n}"), range(80)))
        wanted = {f"content/comments/{SLUG}/{cid}.yaml" for cid in ids}
        wait_for(lambda: wanted <= files_on(tmp_path / "remote.git"), timeout=60, what="every post on the remote")
    remote = tmp_path / "remote.git"
    added = git_out(remote, "log", "--diff-filter=A", "--format=", "--name-only", "main").split()
    assert sorted(name for name in added if name.endswith(".yaml")) == sorted(wanted)
    for sha in git_out(remote, "rev-list", "main", "--", "content/comments").split()[:-1]:
        message = message_of(remote, sha)
        named = [line for line in message.split("\n")[1:] if line] or [message.rstrip("\n").rpartition(": ")[2]]
        files = git_out(remote, "show", "--format=", "--name-only", sha).split()
        assert sorted(f"content/comments/{name}.yaml" for name in named) == sorted(files), message
    sh(remote, "git", "fsck", "--strict", "--no-progress")
    assert "Traceback" not in (tmp_path / "intake.log").read_text()
