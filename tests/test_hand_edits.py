"""Comment files edited by hand: the mistakes people make, the line and the advice each one gets."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pelican.plugins.reader_comments.comment_format import read

TZ = ZoneInfo("America/New_York")
REPO = Path(__file__).resolve().parents[1]
MODERATE_SITE = REPO / "tests" / "fixtures" / "moderate" / "site"
HEAD = 'author: "Ann Lee"\ndate: "2024-05-01T10:00:00-04:00"\n'


def problems(tmp_path: Path, data: bytes) -> list[tuple[int | None, str]]:
    """(line, message) of every problem the loader finds in one file."""
    path = tmp_path / "post" / "c1.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    comment, found = read(path, TZ)
    assert comment is None
    return [(p.line, p.message) for p in found]


@pytest.mark.parametrize(
    ("text", "line", "advice"),
    [
        # line 7, the 3rd line of the body, lost its indent; the parser stops at line 9
        (HEAD + "status: pending\nbody: |\n  First line.\n  Second line.\nThird line.\n  Fourth line.\n",
         7, ["not indented", "start it with 2 spaces"]),
        # the same, as the last line of the file
        (HEAD + "status: pending\nbody: |\n  First line.\n  Second line.\nThird line.\n",
         7, ["not indented", "start it with 2 spaces"]),
        # one space where the body has two
        (HEAD + "status: pending\nbody: |\n  First line.\n  Second line.\n Third line.\n  Fourth line.\n",
         7, ["indented by 1", "start it with 2 spaces"]),
        # a body indented by four: the advice follows the file's own indent
        (HEAD + "status: pending\nbody: |\n    First line.\nSecond line.\n",
         6, ["not indented", "start it with 4 spaces"]),
        # the closing quote of line 4 is missing; the parser stops at line 8
        (HEAD + 'status: pending\nwebsite: "https://ann.example\nbody: |\n  First line.\n  Second line.\n',
         4, ["'website'", "never closed", 'end the line with "']),
        ("author: 'Ann Lee\ndate: \"2024-05-01T10:00:00-04:00\"\nstatus: pending\nbody: hi\n",
         1, ["'author'", "never closed", "end the line with '"]),
        # no space after the colon
        (HEAD + "status:approved\nbody: |\n  First line.\n",
         3, ["space after the colon", "'status: approved'"]),
        # a tab where the indent should be
        (HEAD + "status: pending\nbody: |\n\tFirst line.\n",
         5, ["indented with a tab", "spaces only"]),
    ],
)
def test_yaml_mistakes_point_at_their_line_and_say_what_to_do(tmp_path, text, line, advice):
    [(found_line, message)] = problems(tmp_path, text.encode())
    assert abs(found_line - line) <= 1, (found_line, message)
    for words in advice:
        assert words in message, message
    assert "could not find expected" not in message and "did not find expected" not in message


def test_quotes_that_close_and_escaped_quotes_are_not_blamed(tmp_path):
    text = HEAD + 'status: pending\nnote: "she said \\"hi\\""\nwebsite: \'it\'\'s\'\nbody: |\n  One.\nTwo.\n'
    [(line, message)] = problems(tmp_path, text.encode())
    assert line == 8 and "not indented" in message


@pytest.mark.parametrize(
    ("value", "shown"),
    [("Approved", "'Approved'"), ("approve", "'approve'"), ('"approved "', "'approved␠'"),
     ('" approved"', "'␠approved'"), ("APPROVED", "'APPROVED'")],
)
def test_a_status_close_to_a_valid_one_gets_a_suggestion(tmp_path, value, shown):
    [(line, message)] = problems(tmp_path, f"{HEAD}status: {value}\nbody: hi\n".encode())
    assert line == 3
    assert "did you mean 'approved'?" in message and f"got {shown}" in message, message


def test_the_stray_space_is_said_in_words(tmp_path):
    [(_, message)] = problems(tmp_path, f'{HEAD}status: "approved "\nbody: hi\n'.encode())
    assert "space at the end" in message


def test_a_status_far_from_any_gets_no_guess(tmp_path):
    [(_, message)] = problems(tmp_path, f"{HEAD}status: published\nbody: hi\n".encode())
    assert "did you mean" not in message and "pending, approved, rejected, spam" in message


def test_a_file_starting_with_a_byte_order_mark_is_read(tmp_path):
    path = tmp_path / "post" / "c1.yaml"
    path.parent.mkdir()
    path.write_bytes(b"\xef\xbb\xbf" + f"{HEAD}status: approved\nbody: |\n  Saved by Notepad.\n".encode())
    comment, found = read(path, TZ)
    assert found == []
    assert (comment.author, comment.status, comment.body) == ("Ann Lee", "approved", "Saved by Notepad.\n")


def moderate(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The moderation command, run as the Makefile runs it, in the fixture site."""
    env = {**os.environ, "COMMENTS_MODERATOR": "Test Moderator"}
    return subprocess.run([sys.executable, "-m", "pelican.plugins.reader_comments.moderation", *args],
                          cwd=site, env=env, capture_output=True, text=True, timeout=60)


def test_approving_a_file_with_a_byte_order_mark_keeps_it(tmp_path):
    site = shutil.copytree(MODERATE_SITE, tmp_path / "site")
    path = site / "content" / "comments" / "garden-party" / "20240301T100000-notepad.yaml"
    original = b"\xef\xbb\xbf" + f"{HEAD}status: pending\nbody: |\n  Saved by Notepad.\n".encode()
    path.write_bytes(original)
    done = moderate(site, "approve", "garden-party/20240301T100000-notepad")
    assert done.returncode == 0, done.stderr
    after = path.read_bytes()
    assert after.startswith(b"\xef\xbb\xbf" + HEAD.encode() + b"status: approved\n")
    assert moderate(site, "check").returncode == 0


@pytest.mark.parametrize("target", ["approve", "reject", "spam"])
def test_make_moderation_targets_without_an_id_say_how(target):
    done = subprocess.run(["make", "--no-print-directory", target], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert f"make {target} ID=<slug>/<id>" in done.stderr, done.stderr
    assert "make comments" in done.stderr


def test_a_slug_given_without_id_equals_is_answered_the_same_way():
    done = subprocess.run(["make", "--no-print-directory", "approve", "dinner-guest/20261123T130000114502-q8n2ra"],
                          cwd=REPO, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "make approve ID=<slug>/<id>" in done.stderr, done.stderr
