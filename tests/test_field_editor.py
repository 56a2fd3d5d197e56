"""The in-place field editor changes the bytes of the edited values and nothing else: trailing spaces and blank lines stay."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pelican.plugins.reader_comments import comment_format, site_model
from pelican.plugins.reader_comments.moderation import cli

PATH = Path("content/comments/garden-party/20240107T140000-hana.yaml")
# Trailing blanks a hand edit leaves after a value, and blank lines at the file's end.
blanks = st.text(alphabet=" \t", max_size=3)
ends = st.sampled_from(["", "\n", "\n\n", "\n  \n", "\n \n\n"])


def file_text(after: list[str], end: str) -> str:
    """A comment file whose lines carry the given trailing blanks, ending with `end` after its last line."""
    lines = ["author: Hana", 'date: "2024-01-07 09:00"', "status: pending", "body: Hi."]
    return "\n".join(line + blank for line, blank in zip(lines, after, strict=True)) + "\n" + end


@settings(max_examples=60, deadline=None)
@given(after=st.lists(blanks, min_size=4, max_size=4), end=ends)
def test_changing_a_value_keeps_every_byte_around_it(after: list[str], end: str) -> None:
    """Only `pending` becomes `approved`: every trailing blank and every final blank line is kept."""
    text = file_text(after, end)
    edited = comment_format.edit_fields(PATH, text, comment_format.parse(PATH, text), {"status": "approved"})
    expected = text.replace("status: pending", "status: approved", 1)
    assert edited == expected


@settings(max_examples=40, deadline=None)
@given(after=st.lists(blanks, min_size=4, max_size=4), end=ends)
def test_adding_fields_keeps_every_byte_of_the_file_before_them(after: list[str], end: str) -> None:
    """New fields are whole lines of their own; the file's own bytes, blank lines included, all stay."""
    text = file_text(after, end)
    changes = {"status": "approved", "moderator": "Test Moderator"}
    edited = comment_format.edit_fields(PATH, text, comment_format.parse(PATH, text), changes)
    assert isinstance(edited, str), edited
    kept = text.replace("status: pending", "status: approved", 1)
    added = 'moderator: "Test Moderator"\n'
    assert edited in (kept + added, kept.replace("status: approved" + after[2] + "\n",
                                                 "status: approved" + after[2] + "\n" + added, 1)), repr(edited)


def test_approving_a_hand_edited_file_keeps_its_trailing_spaces_and_final_blank_line(tmp_path: Path) -> None:
    """The moderation command, on a file with trailing spaces and a blank last line, changes the status and adds the stamps."""
    site = tmp_path / "site"
    (site / "content" / "comments" / "garden-party").mkdir(parents=True)
    (site / "content" / "posts").mkdir()
    (site / "pelicanconf.py").write_text('TIMEZONE = "America/New_York"\nPATH = "content"\n')
    path = site / "content" / "comments" / "garden-party" / "20240107T140000-hana.yaml"
    text = 'author: Hana  \ndate: "2024-01-07 09:00"\t\nstatus: pending \nbody: Hi.   \n\n'
    path.write_text(text)
    loaded = site_model.load_site(site / "pelicanconf.py")
    assert cli.cmd_moderate(loaded, ["garden-party/20240107T140000-hana"], "approved", moderator="Mo",
                            now=datetime(2024, 3, 1, 12, 0, tzinfo=UTC)) == 0
    stamps = 'moderated_at: "2024-03-01T07:00:00-05:00"\nmoderator: "Mo"\n'
    assert path.read_text() == text.replace("status: pending ", "status: approved ") + stamps
