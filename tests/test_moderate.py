"""The moderation commands: queue, approve / reject / spam, and check, on fixture sites."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pelican.plugins.reader_comments import comment_format, site_model
from pelican.plugins.reader_comments import decisions as edit
from pelican.plugins.reader_comments.fileio import atomic_write
from pelican.plugins.reader_comments.moderation import check, cli, queue

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).parent / "fixtures" / "moderate" / "site"
HEADER = "# yaml-language-server: $schema=../../../plugins/reader_comments/comment.schema.json\n"
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
STAMP = "2024-03-01T07:00:00-05:00"  # NOW in the fixture site's America/New_York
WHO = "Test Moderator"
ALICE = "garden-party/20240101T150000-alice"
BOB = "garden-party/20240102T140000-bob"
CAROL = "garden-party/20240103T170000-carol"
DAVE = "garden-party/20240104T130000-dave"
FRANK = "thank-you-cards/20231230T200000-frank"


@pytest.fixture
def site_dir(tmp_path: Path) -> Path:
    """A copy of the fixture site to change freely."""
    target = tmp_path / "site"
    shutil.copytree(FIXTURE, target)
    return target


@pytest.fixture
def site(site_dir: Path) -> site_model.Site:
    """The fixture site's settings, loaded as the commands load them."""
    loaded = site_model.load_site(site_dir / "pelicanconf.py")
    return loaded


def comments_dir(site_dir: Path) -> Path:
    """The fixture site's comments folder."""
    return site_dir / "content" / "comments"


def file_of(site_dir: Path, ident: str) -> Path:
    """The file a `slug/id` stands for in the fixture site."""
    folder = comments_dir(site_dir) / ident.split("/")[0]
    return next(folder.glob(ident.split("/")[1] + ".y*ml"))


def snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    """Every file under `folder` with a digest of its bytes and its modification time."""
    return {
        str(p.relative_to(folder)): (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*")) if p.is_file()
    }


def write(site_dir: Path, ident: str, text: str, newline: str = "\n") -> Path:
    """Create a comment file from `text`, written with the given line breaks."""
    slug, cid = ident.split("/")
    path = comments_dir(site_dir) / slug / f"{cid}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return path


def minimal(author: str, date: str, status: str = "pending", extra: str = "", body: str = "Hi.") -> str:
    """A small comment file: the required fields, any extra lines, then a one-line body."""
    return f"author: {author}\ndate: {date}\nstatus: {status}\n{extra}body: {body}\n"


def approve(site: site_model.Site, *ids: str, status: str = "approved", **kwargs) -> int:
    """Run the approve (or another) command in-process with a fixed clock and moderator."""
    return cli.cmd_moderate(site, list(ids), status, moderator=WHO, now=NOW, **kwargs)


def run_cli(cwd: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run `python -m pelican.plugins.reader_comments.moderation` as the Makefile does."""
    full_env = {**os.environ, "COLUMNS": "120", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "pelican.plugins.reader_comments.moderation", *args],
        cwd=cwd, env=full_env, capture_output=True, text=True, timeout=60, check=False,
    )


# ---------------------------------------------------------------- approve: bytes kept


def test_double_quoted_status_with_comment_keeps_every_other_byte(site, site_dir, capsys):
    path = file_of(site_dir, ALICE)
    before = path.read_text(encoding="utf-8")
    assert approve(site, ALICE) == 0
    expected = before.replace('status: "pending"   # new from the form', 'status: "approved"   # new from the form')
    expected += f'moderated_at: "{STAMP}"\nmoderator: "{WHO}"\n'
    assert path.read_text(encoding="utf-8") == expected
    assert f"approved {ALICE} (was pending)" in capsys.readouterr().out


def test_single_quoted_status_and_existing_stamps_are_replaced_in_place(site, site_dir):
    path = file_of(site_dir, BOB)
    before = path.read_text(encoding="utf-8")
    assert approve(site, BOB, status="rejected") == 0
    expected = (
        before.replace("status: 'pending'  # looks fine", "status: 'rejected'  # looks fine")
        .replace("moderated_at: 2024-01-02T12:00:00-05:00", f"moderated_at: {STAMP}")
        .replace("moderator: 'Someone Else'", f"moderator: '{WHO}'")
    )
    assert path.read_text(encoding="utf-8") == expected
    comment, problems = comment_format.read(path, site.tz)
    assert problems == [] and comment.status == "rejected" and comment.body == "Folded text across two lines.\n"


def test_crlf_file_keeps_crlf_everywhere_including_added_lines(site, site_dir):
    text = HEADER + 'author: "Gail"\ndate: "2024-01-06T10:00:00-05:00"\nstatus: pending\nbody: |\n  Windows line endings.\n'
    path = write(site_dir, "garden-party/20240106T150000-gail", text, newline="\r\n")
    before = path.read_bytes()
    assert approve(site, "garden-party/20240106T150000-gail") == 0
    after = path.read_bytes()
    expected = before.replace(b"status: pending\r\n", b"status: approved\r\n")
    expected += f'moderated_at: "{STAMP}"\r\nmoderator: "{WHO}"\r\n'.encode()
    assert after == expected
    assert b"\n" not in after.replace(b"\r\n", b"")


@pytest.mark.parametrize(
    ("original", "expected"),
    [
        pytest.param(  # quoted key, odd spacing, unusual key order, a comment between fields
            'body: "First."\n# remark\n"status" :  pending\nauthor: Hana\ndate: 2024-01-07 09:00\n',
            'body: "First."\n# remark\n"status" :  approved\nauthor: Hana\ndate: 2024-01-07 09:00\n'
            f'moderated_at: "{STAMP}"\nmoderator: "{WHO}"\n',
            id="quoted-key-and-order",
        ),
        pytest.param(  # empty and ~ stamps are filled in where they stand
            "author: Hana\ndate: 2024-01-07 09:00\nstatus: pending\nmoderated_at:\nmoderator: ~  # unset\nbody: Hi.\n",
            minimal("Hana", "2024-01-07 09:00", "approved", f"moderated_at: {STAMP}\nmoderator: {WHO}  # unset\n"),
            id="null-stamps",
        ),
        pytest.param(  # no final newline after a quoted value: append, adding the newline
            'author: Hana\ndate: 2024-01-07 09:00\nstatus: pending\nbody: "Hi."',
            f'author: Hana\ndate: 2024-01-07 09:00\nstatus: approved\nbody: "Hi."\nmoderated_at: "{STAMP}"\nmoderator: "{WHO}"\n',
            id="no-final-newline",
        ),
        pytest.param(  # no final newline inside a block scalar: appending would change the body
            "author: Hana\ndate: 2024-01-07 09:00\nstatus: pending\nbody: |\n  Hi.",
            f'author: Hana\ndate: 2024-01-07 09:00\nstatus: approved\nmoderated_at: "{STAMP}"\nmoderator: "{WHO}"\n'
            "body: |\n  Hi.",
            id="block-body-without-final-newline",
        ),
        pytest.param(  # a document end marker: new fields go after the status line
            "author: Hana\ndate: 2024-01-07 09:00\nstatus: pending\nbody: Hi.\n...\n",
            minimal("Hana", "2024-01-07 09:00", "approved", f'moderated_at: "{STAMP}"\nmoderator: "{WHO}"\n') + "...\n",
            id="document-end-marker",
        ),
        pytest.param(  # a moderator name that needs quoting in a plain-style file
            "author: Hana\ndate: 2024-01-07 09:00\nstatus: pending\nmoderator: Old Name\nbody: Hi.\n",
            f'author: Hana\ndate: 2024-01-07 09:00\nstatus: approved\nmoderator: "{WHO}: night shift"\nbody: Hi.\n'
            f'moderated_at: "{STAMP}"\n',
            id="name-needing-quotes",
        ),
    ],
)
def test_in_place_edits(site, site_dir, original, expected):
    path = write(site_dir, "garden-party/20240107T140000-hana", original)
    who = f"{WHO}: night shift" if "night shift" in expected else WHO
    code = cli.cmd_moderate(site, ["garden-party/20240107T140000-hana"], "approved", moderator=who, now=NOW)
    assert code == 0
    assert path.read_text(encoding="utf-8") == expected
    before, _ = comment_format.read(path, site.tz, original.encode())
    after, problems = comment_format.read(path, site.tz)
    assert problems == []
    assert (after.author, after.body, after.date) == (before.author, before.body, before.date)
    assert after.extra["moderator"] == who and after.extra["moderated_at"] == STAMP


@pytest.mark.parametrize(
    ("text", "line"),
    [
        pytest.param("author: Ida\ndate: 2024-01-08 09:00\nstatus: |-\n  pending\nbody: Hi.\n", 3, id="block-scalar"),
        pytest.param("author: Ida\ndate: 2024-01-08 09:00\nstatus:\n  pending\nbody: Hi.\n", 3, id="value-on-next-line"),
        pytest.param('{author: Ida, date: "2024-01-08 09:00", status: pending, body: Hi.}\n', 1, id="flow-mapping"),
        pytest.param(minimal("Ida", "2024-01-08 09:00", extra="moderator: >\n  Someone\n"), 4, id="stamp-as-block"),
    ],
)
def test_forms_that_cannot_be_edited_in_place_are_refused(site, site_dir, capsys, text, line):
    path = write(site_dir, "garden-party/20240108T140000-ida", text)
    before = snapshot(comments_dir(site_dir))
    assert approve(site, "garden-party/20240108T140000-ida") == 2
    err = capsys.readouterr().err
    assert f"{path}:{line}:" in err
    assert "No file was changed." in err
    assert snapshot(comments_dir(site_dir)) == before


def test_several_ids_at_once_by_id_path_and_yml(site, site_dir, capsys):
    others = {p: p.read_bytes() for p in comments_dir(site_dir).rglob("*.y*ml")}
    frank_path = str(file_of(site_dir, FRANK))
    assert approve(site, ALICE, frank_path, DAVE) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[:3] == [
        f"approved {ALICE} (was pending)",
        f"approved {FRANK} (was pending)",
        f"approved {DAVE} (was pending)",
    ]
    changed = {file_of(site_dir, i) for i in (ALICE, FRANK, DAVE)}
    for path, data in others.items():
        comment, problems = comment_format.read(path, site.tz)
        assert problems == []
        if path in changed:
            assert comment.status == "approved" and comment.extra["moderator"] == WHO
        else:
            assert path.read_bytes() == data
    assert not list(comments_dir(site_dir).rglob(".tmp-*"))


def test_reject_and_spam(site, site_dir, capsys):
    assert approve(site, ALICE, status="rejected") == 0
    assert approve(site, DAVE, status="spam") == 0
    out = capsys.readouterr().out
    assert f"rejected {ALICE} (was pending)" in out and f"spam {DAVE} (was pending)" in out
    assert comment_format.read(file_of(site_dir, DAVE), site.tz)[0].status == "spam"


def test_already_in_that_status_leaves_the_file_alone(site, site_dir, capsys):
    before = snapshot(comments_dir(site_dir))
    assert approve(site, CAROL) == 0
    assert f"{CAROL} is already approved; left unchanged" in capsys.readouterr().out
    assert snapshot(comments_dir(site_dir)) == before


def test_same_comment_named_twice_is_changed_once(site, site_dir, capsys):
    assert approve(site, ALICE, str(file_of(site_dir, ALICE))) == 0
    assert capsys.readouterr().out.count("approved garden-party/") == 1


# ---------------------------------------------------------------- approve: bad ids and files


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        ("no-such-article/20240101T150000-alice", "no article folder"),
        ("garden-party/20991231T000000-nobody", "no comment '20991231T000000-nobody'"),
        ("../garden-party", "is not a comment id"),
        ("garden-party/../../posts/garden-party", "is not a comment id"),
        ("garden-party/..", "is not a comment id"),
        ("content/comments/garden-party/missing.yaml", "no such file"),
        ("content/comments/garden-party/../../../pelicanconf.yaml", "no such file"),
        ("20240101T150000-alice", "did you mean garden-party/20240101T150000-alice?"),
        ("", "is not a comment id"),
    ],
)
def test_bad_id_touches_no_file(site, site_dir, capsys, bad, message):
    before = snapshot(site_dir)
    assert approve(site, ALICE, bad, DAVE) == 2
    err = capsys.readouterr().err
    assert message in err
    assert "No file was changed." in err
    assert snapshot(site_dir) == before


def test_path_outside_the_comments_folder_is_refused(site, site_dir, tmp_path, capsys):
    outside = tmp_path / "elsewhere" / "garden-party" / "20240101T150000-alice.yaml"
    outside.parent.mkdir(parents=True)
    outside.write_bytes(file_of(site_dir, ALICE).read_bytes())
    escape = comments_dir(site_dir) / "garden-party" / ".." / ".." / ".." / ".." / "elsewhere" / "garden-party" / outside.name
    link = comments_dir(site_dir) / "garden-party" / "20240109T000000-link.yaml"
    link.symlink_to(outside)
    before = snapshot(tmp_path)
    for bad in (str(outside), str(escape), str(link)):
        assert approve(site, bad) == 2
        assert "No file was changed." in capsys.readouterr().err
    assert snapshot(tmp_path) == before


def test_invalid_file_touches_no_file(site, site_dir, capsys):
    bad = write(site_dir, "garden-party/20240110T000000-broken", HEADER + minimal("X", "2024-01-10 09:00", "maybe"))
    before = snapshot(site_dir)
    assert approve(site, ALICE, "garden-party/20240110T000000-broken") == 2
    err = capsys.readouterr().err
    assert f"error: {bad}:4: 'status' must be one of" in err
    assert snapshot(site_dir) == before


def test_unparsable_file_touches_no_file(site, site_dir, capsys):
    bad = write(site_dir, "garden-party/20240110T000000-broken", "author: [unclosed\nstatus: pending\n")
    before = snapshot(site_dir)
    assert approve(site, "garden-party/20240110T000000-broken", ALICE) == 2
    err = capsys.readouterr().err
    assert f"error: {bad}:2: invalid YAML" in err
    assert snapshot(site_dir) == before


def test_no_ids_is_a_usage_error(site, capsys):
    assert cli.cmd_moderate(site, [], "approved", moderator=WHO) == 2
    assert "name at least one comment" in capsys.readouterr().err


# ---------------------------------------------------------------- approve: threads


def test_approving_a_reply_with_unapproved_parent_warns(site, site_dir, capsys):
    assert approve(site, DAVE) == 0
    captured = capsys.readouterr()
    assert f"warning: {DAVE} replies to {ALICE}, which is pending" in captured.err
    assert f"approved {DAVE} (was pending)" in captured.out
    assert comment_format.read(file_of(site_dir, DAVE), site.tz)[0].status == "approved"


def test_approving_reply_and_parent_together_does_not_warn(site, capsys):
    assert approve(site, DAVE, ALICE) == 0
    assert "warning" not in capsys.readouterr().err


def test_approving_a_reply_to_a_missing_parent_warns(site, site_dir, capsys):
    write(site_dir, "garden-party/20240111T000000-jo", minimal("Jo", "2024-01-11 09:00", extra='reply_to: "gone"\n'))
    assert approve(site, "garden-party/20240111T000000-jo") == 0
    assert "replies to garden-party/gone, which is missing or invalid" in capsys.readouterr().err


def test_reply_to_an_approved_parent_does_not_warn(site, site_dir, capsys):
    parent = CAROL.split("/")[1]
    write(site_dir, "garden-party/20240111T000000-jo", minimal("Jo", "2024-01-11 09:00", extra=f'reply_to: "{parent}"\n'))
    assert approve(site, "garden-party/20240111T000000-jo") == 0
    assert "warning" not in capsys.readouterr().err


# ---------------------------------------------------------------- approve: concurrent changes


def test_file_changed_once_before_writing_is_read_again(site, site_dir, capsys):
    path = file_of(site_dir, ALICE)
    edited = path.read_bytes().replace(b"Asking for a friend.", b"Asking for my aunt.")

    def editor(target: Path, attempt: int) -> None:
        if attempt == 1:
            atomic_write(target, edited)

    assert approve(site, ALICE, before_write=editor) == 0
    final = path.read_bytes()
    assert b"Asking for my aunt." in final  # the concurrent edit is kept
    stamps = f'moderated_at: "{STAMP}"\nmoderator: "{WHO}"\n'.encode()
    assert final == edited.replace(b'status: "pending"', b'status: "approved"') + stamps


def test_file_that_never_stops_changing_fails_clearly_and_is_not_overwritten(site, site_dir, capsys):
    path = file_of(site_dir, ALICE)
    original = path.read_bytes()

    def busy_editor(target: Path, attempt: int) -> None:
        if target.name == path.name:
            atomic_write(target, original.replace(b"friend.", f"friend {attempt}.".encode()))

    assert approve(site, ALICE, DAVE, before_write=busy_editor) == 1
    captured = capsys.readouterr()
    assert f"error: {ALICE} not changed: the file kept changing" in captured.err
    assert path.read_bytes() == original.replace(b"friend.", f"friend {edit.MAX_ATTEMPTS}.".encode())
    assert f"approved {DAVE} (was pending)" in captured.out  # the other file was still written


def test_file_that_becomes_invalid_meanwhile_is_not_written(site, site_dir, capsys):
    path = file_of(site_dir, ALICE)

    def breaker(target: Path, attempt: int) -> None:
        if target.name == path.name:
            atomic_write(target, b"status: [broken\n")

    assert approve(site, ALICE, before_write=breaker) == 1
    assert "the file changed and is now invalid" in capsys.readouterr().err
    assert path.read_bytes() == b"status: [broken\n"


@pytest.mark.parametrize("in_place", [False, True], ids=["writer-renames", "writer-rewrites-in-place"])
def test_concurrent_writer_never_leaves_a_corrupt_file(site, site_dir, capsys, in_place):
    path = file_of(site_dir, ALICE)
    versions = [path.read_bytes(), path.read_bytes().replace(b"Asking for a friend.", b"Asking for a neighbour.")]
    approved = set()
    stamp = {"moderated_at": STAMP, "moderator": WHO}
    for version in versions:
        plan, problems = edit.plan_change(path, version, "approved", stamp, site.tz)
        assert problems == []
        approved.add(plan.after)
    valid = set(versions) | approved
    stop = threading.Event()
    own_writes = threading.Lock()
    torn: list[bytes] = []

    def writer() -> None:
        count = 0
        while not stop.is_set():
            data = versions[count % 2]
            with own_writes:  # the reader never sees this writer's own half-written file
                if in_place:
                    path.write_bytes(data)
                else:
                    atomic_write(path, data)
            count += 1
            time.sleep(0.0005)

    def reader() -> None:
        while not stop.is_set():
            with own_writes:
                data = path.read_bytes()
            if data not in valid:
                torn.append(data)

    threads = [threading.Thread(target=writer), threading.Thread(target=reader)]
    for thread in threads:
        thread.start()
    try:
        codes = [approve(site, ALICE) for _ in range(25)]
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert set(codes) <= ({0, 1, 2} if in_place else {0, 1})
    assert torn == []
    final = path.read_bytes()
    assert final in valid
    comment, problems = comment_format.read(path, site.tz)
    assert problems == [] and comment.status in ("pending", "approved")
    assert not list(path.parent.glob(".tmp-*"))


# ---------------------------------------------------------------- moderator name


def test_moderator_comes_from_the_environment_then_git(site_dir, tmp_path):
    env = {"HOME": str(tmp_path), "GIT_CONFIG_NOSYSTEM": "1", "XDG_CONFIG_HOME": str(tmp_path)}
    subprocess.run(["git", "init", "-q", str(site_dir)], check=True, env={**os.environ, **env})
    subprocess.run(["git", "-C", str(site_dir), "config", "user.name", "Git Person"], check=True, env={**os.environ, **env})
    done = run_cli(site_dir, "approve", ALICE, env={**env, "COMMENTS_MODERATOR": ""})
    assert done.returncode == 0, done.stderr
    assert 'moderator: "Git Person"' in file_of(site_dir, ALICE).read_text(encoding="utf-8")
    done = run_cli(site_dir, "reject", ALICE, env={**env, "COMMENTS_MODERATOR": "Env Person"})
    assert done.returncode == 0, done.stderr
    assert 'moderator: "Env Person"' in file_of(site_dir, ALICE).read_text(encoding="utf-8")


def test_an_unusable_moderator_name_is_refused(site_dir, monkeypatch, site, capsys):
    monkeypatch.setenv("COMMENTS_MODERATOR", "x" * 81)
    before = snapshot(site_dir)
    assert cli.cmd_moderate(site, [ALICE], "approved") == 2
    assert "at most 80 characters" in capsys.readouterr().err
    assert snapshot(site_dir) == before


def test_approve_as_a_real_command(site_dir):
    path = file_of(site_dir, BOB)
    before = path.read_text(encoding="utf-8")
    done = run_cli(site_dir, "approve", BOB, env={"COMMENTS_MODERATOR": "Cli Person"})
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == f"approved {BOB} (was pending)"
    after = path.read_text(encoding="utf-8")
    stamp = re.search(r"^moderated_at: (\S+)$", after, re.M).group(1)
    assert datetime.fromisoformat(stamp).utcoffset() is not None
    expected = (
        before.replace("status: 'pending'", "status: 'approved'")
        .replace("moderated_at: 2024-01-02T12:00:00-05:00", f"moderated_at: {stamp}")
        .replace("moderator: 'Someone Else'", "moderator: 'Cli Person'")
    )
    assert after == expected


def test_real_command_refuses_bad_id_with_exit_2(site_dir):
    before = snapshot(site_dir)
    done = run_cli(site_dir, "spam", DAVE, "../../etc/passwd")
    assert done.returncode == 2
    assert "'../../etc/passwd' is not a comment id" in done.stderr
    assert snapshot(site_dir) == before


# ---------------------------------------------------------------- queue


def test_queue_lists_pending_oldest_first_with_problems_and_counts(site, site_dir):
    write(site_dir, "garden-party/20240112T000000-broken", "author: X\ndate: 2024-01-12 09:00\nstatus: waiting\nbody: Hi.\n")
    write(site_dir, "garden-party/20240113T000000-orphan", minimal("Orphan", "2024-01-13 09:00", extra='reply_to: "nobody"\n'))
    write(site_dir, "no-such-post/20240114T000000-kim", minimal("Kim", "2024-01-14 09:00", body="Where am I?"))
    text = queue.format_queue(check.survey(site), site, NOW, 100)
    lines = text.splitlines()
    table = lines[: lines.index("Problems (3):")]
    order = [line.split()[-1] for line in table if line.strip().startswith(str(site.comments))]
    assert [Path(p).stem for p in order] == [
        "20231230T200000-frank", "20240101T150000-alice", "20240102T140000-bob",
        "20240104T130000-dave", "20240113T000000-orphan", "20240114T000000-kim",
    ]
    frank_row = next(line for line in lines if "Frank" in line)
    assert frank_row.split()[:3] == ["61d", "2023-12-30", "15:00"]
    assert "Thank-You Cards" in frank_row and "Printed cards are fine, surely?" in frank_row
    assert "Folded text across two lines." in text
    assert "(no article 'no-such-post')" in text
    problems = text[text.index("Problems (3):"):]
    assert f"{comments_dir(site_dir) / 'garden-party' / '20240112T000000-broken.yaml'}:3: 'status' must be one of" in problems
    assert "reply_to 'nobody': no such comment in this article" in problems
    assert "no article has the slug 'no-such-post'" in problems
    assert "By status: 6 pending, 1 approved, 1 rejected, 0 spam; 1 invalid file" in text


def test_queue_rows_fit_the_terminal_width(site, site_dir):
    write(site_dir, "garden-party/20240115T000000-long", minimal("Lengthy Name " * 5, "2024-01-15 09:00", body="word " * 60))
    for width in (80, 120):
        text = queue.format_queue(check.survey(site), site, NOW, width)
        rows = [line for line in text.splitlines() if re.match(r"\S+\s+\d{4}-\d\d-\d\d ", line)]
        assert rows and all(queue.text_width(r) <= width for r in rows)
        assert any(r.endswith("…") for r in rows)


def test_queue_with_nothing_pending(site, site_dir):
    assert approve(site, ALICE, BOB, DAVE, FRANK) == 0
    text = queue.format_queue(check.survey(site), site, NOW, 100)
    assert text.startswith("No comments are waiting for moderation.")
    assert "By status: 0 pending, 5 approved, 1 rejected, 0 spam" in text


def test_queue_as_a_real_command(site_dir):
    done = run_cli(site_dir, "queue")
    assert done.returncode == 0, done.stderr
    assert "Pending comments, oldest first (4):" in done.stdout
    assert "content/comments/thank-you-cards/20231230T200000-frank.yml" in done.stdout
    assert done.stdout.index("Frank") < done.stdout.index("Alice Moreau") < done.stdout.index("Dave")


@pytest.mark.parametrize(
    ("seconds", "age"),
    [(30, "0m"), (59 * 60, "59m"), (5 * 3600 + 10, "5h"), (3 * 86400 + 7, "3d"), (800 * 86400, "2y"), (-5, "future")],
)
def test_format_age(seconds, age):
    from datetime import timedelta

    assert queue.format_age(timedelta(seconds=seconds)) == age


def test_fit_counts_wide_characters():
    assert queue.fit("日本語のコメント", 7) == "日本語…"
    assert queue.text_width(queue.fit("abc", 6)) == 6


# ---------------------------------------------------------------- check


def test_check_passes_on_a_clean_tree(site, capsys):
    assert cli.cmd_check(site) == 0
    assert capsys.readouterr().out == "6 comment files OK\n"


@pytest.mark.parametrize(
    ("ident", "text", "message"),
    [
        ("garden-party/20240116T000000-bad", "author: X\ndate: 2024-13-45 09:00\nstatus: pending\nbody: Hi.\n", ":2: 'date'"),
        ("garden-party/20240116T000000-bad", "author: X\nstatus: pending\nbody: Hi.\nstatus: approved\n", "appears twice"),
        ("garden-party/20240116T000000-bad", minimal("X", "2024-01-16 09:00", extra='reply_to: "gone"\n'), "no such comment"),
        ("unknown-slug/20240116T000000-bad", minimal("X", "2024-01-16 09:00"), "no article has the slug 'unknown-slug'"),
    ],
)
def test_check_fails_on_any_problem(site, site_dir, capsys, ident, text, message):
    write(site_dir, ident, text)
    assert cli.cmd_check(site) == 1
    out = capsys.readouterr().out
    assert message in out
    assert out.splitlines()[-1].endswith(f"in 7 comment files under {site.comments}")


def test_check_finds_cycles(site, site_dir, capsys):
    for me, other in (("a", "b"), ("b", "a")):
        reply = f'reply_to: "20240117T000000-{other}"\n'
        write(site_dir, f"garden-party/20240117T000000-{me}", minimal(me.upper(), "2024-01-17 09:00", "approved", reply))
    assert cli.cmd_check(site) == 1
    assert "reply_to forms a cycle" in capsys.readouterr().out


def test_check_finds_files_the_build_would_ignore_and_bad_article_metadata(site, site_dir, capsys):
    (comments_dir(site_dir) / "stray.yaml").write_text("author: X\n", encoding="utf-8")
    (comments_dir(site_dir) / "garden-party" / "20240118T000000-loud.YAML").write_text("author: X\n", encoding="utf-8")
    post = site_dir / "content" / "posts" / "garden-party.md"
    text = post.read_text(encoding="utf-8").replace("Slug: garden-party\n", "Slug: garden-party\nComments: shut\n")
    post.write_text(text, encoding="utf-8")
    assert cli.cmd_check(site) == 1
    out = capsys.readouterr().out
    assert "stray.yaml: never read: a comment file belongs in" in out
    assert "loud.YAML: never read: the extension must be .yaml or .yml" in out
    assert "garden-party.md:4: 'Comments: shut' must be one of open, closed, off" in out


def test_check_knows_drafts_and_slugs_derived_from_titles(site, site_dir, capsys):
    write(site_dir, "draft-post/20240201T000000-lee", "author: Lee\ndate: 2024-02-01 09:00\nstatus: pending\nbody: Early.\n")
    assert cli.cmd_check(site) == 0  # thank-you-cards has no Slug line; draft-post is a draft
    assert capsys.readouterr().out == "7 comment files OK\n"


def test_check_as_a_real_command_and_with_content_option(site_dir, tmp_path):
    assert run_cli(site_dir, "check").returncode == 0
    write(site_dir, "garden-party/20240119T000000-bad", "author: X\ndate: 2024-01-19 09:00\nstatus: pending\n")
    done = run_cli(tmp_path, "--content", str(site_dir / "content"), "check")
    assert done.returncode == 1
    assert "20240119T000000-bad.yaml:1: required field 'body' is missing" in done.stdout


def test_missing_settings_file_is_a_usage_error(site_dir):
    done = run_cli(site_dir, "check", "--settings", "nope.py")
    assert done.returncode == 2
    assert "settings file nope.py not found" in done.stderr


def test_queue_shows_what_a_pending_reply_answers(site, site_dir):
    """Below a reply's path: the parent's author, status and first line; a missing parent is said so."""
    write(site_dir, "garden-party/20240113T000000-orphan", minimal("Orphan", "2024-01-13 09:00", extra='reply_to: "nobody"\n'))
    lines = queue.format_queue(check.survey(site), site, NOW, 100).splitlines()
    dave = lines.index(next(line for line in lines if line.strip().endswith("20240104T130000-dave.yaml")))
    answers = lines[dave + 1].strip()
    assert answers.startswith("in reply to Alice Moreau (pending): ")
    assert "Is a straw hat too casual for an afternoon party?" in answers
    orphan = lines.index(next(line for line in lines if line.strip().endswith("20240113T000000-orphan.yaml")))
    assert "'nobody'" in lines[orphan + 1] and "does not exist" in lines[orphan + 1]
    alice = lines.index(next(line for line in lines if line.strip().endswith("20240101T150000-alice.yaml")))
    assert not lines[alice + 1].strip().startswith("in reply to")
    narrow = queue.format_queue(check.survey(site), site, NOW, 60).splitlines()
    assert all(queue.text_width(line) <= 60 for line in narrow if "in reply to" in line)
