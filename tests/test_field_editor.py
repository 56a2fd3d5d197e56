"""The in-place field editor changes the bytes of the edited values and nothing else: trailing spaces and blank lines stay."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pelican.plugins.reader_comments import comment_format, site_model
from pelican.plugins.reader_comments.comment_format import edit
from pelican.plugins.reader_comments.errors import Problem
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


# ---------------------------------------------------------------- the pieces, one by one

def test_lines_are_split_where_yaml_breaks_them_and_keep_their_breaks() -> None:
    assert edit.split_lines("a\r\nb\rc\nd\x85e\u2028f\u2029g") == ["a\r\n", "b\r", "c\n", "d\x85", "e\u2028", "f\u2029", "g"]
    assert edit.split_lines("a\n") == ["a\n"]
    assert edit.split_lines("") == []


@pytest.mark.parametrize(("line", "expected"), [
    ("status: pending\n", "status: approved\n"),
    ("status:pending\n", "status:approved\n"),
    ("status:   pending   # new\n", "status:   approved   # new\n"),
    ('status: "pending"  # new\n', 'status: "approved"  # new\n'),
    ("status: 'pending'\r\n", "status: 'approved'\r\n"),
    ('"status" : pending\n', '"status" : approved\n'),
    ("'status': pending", "'status': approved"),
    ("status:\n", "status: approved\n"),
    ("status:   # none yet\n", "status:   approved # none yet\n"),
    ("status: ~\n", "status: approved\n"),
    ("  status: pending\n", "  status: approved\n"),
])
def test_one_value_is_replaced_in_its_own_style(line: str, expected: str) -> None:
    assert edit.set_value(line, "status", "approved") == expected


@pytest.mark.parametrize("line", [
    "author: pending\n", "status: |\n", "status: >-\n", "status: [a]\n", "status: {a: b}\n", "status: &x pending\n",
    "status: *x\n", "status: !!str pending\n", 'status: "pending" trailing\n', "status: 'pending\n", "- status: pending\n",
])
def test_a_line_not_holding_the_key_with_a_one_line_value_is_not_changed(line: str) -> None:
    assert edit.set_value(line, "status", "approved") is None


def test_the_style_is_kept_only_where_it_is_safe() -> None:
    assert edit.set_value("moderator: 'Old'\n", "moderator", "It's me") == "moderator: 'It''s me'\n"
    assert edit.set_value("moderator: Old\n", "moderator", "Mo: night") == 'moderator: "Mo: night"\n'
    assert edit.set_value("moderator: Old\n", "moderator", "Mo", keep_style=False) == 'moderator: "Mo"\n'
    assert edit.set_value("moderator: 'Old'\n", "moderator", "Mo", keep_style=False) == 'moderator: "Mo"\n'
    assert edit.render_value("a\nb", "single") == '"a\\nb"'
    assert edit.render_value("a b", "empty") == "a b"
    assert edit.render_value("a b", "double") == '"a b"'


def test_new_fields_take_the_line_break_and_indent_of_the_file() -> None:
    text = "author: Hana\r\ndate: 2024-01-07 09:00\r\nstatus: pending\r\nbody: Hi."
    edited = comment_format.edit_fields(PATH, text, comment_format.parse(PATH, text), {"status": "approved", "moderator": "Mo"})
    assert edited == "author: Hana\r\ndate: 2024-01-07 09:00\r\nstatus: approved\r\nbody: Hi.\r\nmoderator: \"Mo\"\r\n"


def test_a_new_field_goes_after_the_changed_one_when_the_end_of_the_file_cannot_take_it() -> None:
    text = "author: Hana\ndate: 2024-01-07 09:00\nstatus: pending\nbody: |\n  Hi."
    edited = comment_format.edit_fields(PATH, text, comment_format.parse(PATH, text), {"status": "approved", "moderator": "Mo"})
    assert edited == 'author: Hana\ndate: 2024-01-07 09:00\nstatus: approved\nmoderator: "Mo"\nbody: |\n  Hi.'
    last = "author: Hana\ndate: 2024-01-07 09:00\nbody: |\n  Hi.\nstatus: pending"
    edited = comment_format.edit_fields(PATH, last, comment_format.parse(PATH, last), {"status": "approved", "moderator": "Mo"})
    assert edited == 'author: Hana\ndate: 2024-01-07 09:00\nbody: |\n  Hi.\nstatus: approved\nmoderator: "Mo"\n'


def test_fields_that_are_all_new_go_after_the_file_s_last_field_or_nowhere() -> None:
    """With no existing field changed, the last field by line (not by name) is where new ones go: at the file's end."""
    request = {"removal_requested": "2026-12-07T05:00:00+00:00"}
    text = "status: approved\nauthor: Hana\ndate: 2024-01-07 09:00\nbody: Hi.\n"
    edited = comment_format.edit_fields(PATH, text, comment_format.parse(PATH, text), request)
    assert edited == text + 'removal_requested: "2026-12-07T05:00:00+00:00"\n'
    # A last field the end cannot follow: the new line is not slipped in after another field.
    block = "status: approved\nauthor: Hana\ndate: 2024-01-07 09:00\nbody: |\n  Hi."
    problem = comment_format.edit_fields(PATH, block, comment_format.parse(PATH, block), request)
    assert isinstance(problem, Problem) and (problem.field, problem.line) == ("body", 4)


def test_a_value_in_a_form_that_cannot_be_edited_is_a_problem_naming_the_field_and_line() -> None:
    text = "author: Hana\ndate: 2024-01-07 09:00\nstatus: |-\n  pending\nbody: Hi.\n"
    problem = comment_format.edit_fields(PATH, text, comment_format.parse(PATH, text), {"status": "approved"})
    assert isinstance(problem, Problem) and problem.line == 3 and problem.path == PATH
    assert problem.message == ("'status' is written in a form that cannot be changed in place (a block scalar, a flow "
                               "mapping or a value on the next line); write it as `status: <value>` on one line, "
                               "or edit the file by hand")


def test_verify_says_what_a_candidate_would_break() -> None:
    text = "author: Hana\nstatus: pending\n"
    before = comment_format.parse(PATH, text)
    assert edit.verify(PATH, before, "author: Hana\nstatus: approved\n", {"status": "approved"}) is None
    assert edit.verify(PATH, before, "author: Hana\nstatus: [\n", {"status": "approved"}).startswith("the edit would break the file (")
    assert edit.verify(PATH, before, "author: Hana\nstatus: pending\n", {"status": "approved"}) == "'status' would not read back as 'approved'"
    assert edit.verify(PATH, before, "author: Hanna\nstatus: approved\n", {"status": "approved"}) == "'author' would change too"
    assert edit.verify(PATH, before, "author: Hana\nstatus: approved\nx: y\n", {"status": "approved"}) == "fields would be added or lost"


def test_a_value_the_kept_style_cannot_hold_is_written_double_quoted() -> None:
    """A carriage return would be folded away in single quotes: the second pass writes the value double-quoted."""
    text = "author: A\ndate: 2024-01-07 09:00\nstatus: pending\nmoderator: 'Old'\nbody: Hi.\n"
    edited = comment_format.edit_fields(PATH, text, comment_format.parse(PATH, text), {"moderator": "Mo\rX"})
    assert edited == text.replace("moderator: 'Old'", 'moderator: "Mo\\rX"')


def test_a_value_no_form_can_hold_is_a_problem_naming_the_reason_field_and_line() -> None:
    text = "author: A\ndate: 2024-01-07 09:00\nstatus: pending\nbody: Hi.\n"
    problem = comment_format.edit_fields(PATH, text, comment_format.parse(PATH, text), {"status": "a\ufffeb"})
    assert problem == Problem(
        PATH, "cannot change 'status' in place: the edit would break the file (invalid YAML: character #xfffe: "
        "control characters are not allowed); edit the file by hand", 3, field="status")


def test_a_file_of_one_line_without_a_break_gets_new_fields_on_lines_of_their_own() -> None:
    text = "status: pending"
    edited = comment_format.edit_fields(PATH, text, comment_format.parse(PATH, text), {"status": "approved", "moderator": "Mo"})
    assert edited == 'status: approved\nmoderator: "Mo"\n'


@pytest.mark.parametrize(("line", "key", "expected"), [
    ("moderator: Xavier\n", "moderator", "moderator: Yves\n"),  # a plain value starting with X
    ("Xray: 1\n", "Xray", "Xray: Yves\n"),  # a key starting with X
    ("moderator: \u00a0Old\n", "moderator", "moderator: Yves\n"),  # a no-break space begins the value itself
])
def test_only_spaces_and_tabs_stand_between_the_colon_and_the_value(line: str, key: str, expected: str) -> None:
    assert edit.set_value(line, key, "Yves") == expected


def test_a_value_holding_a_lone_surrogate_is_a_problem_naming_the_field() -> None:
    """A value that is not valid text (a lone surrogate, as from undecodable bytes) is refused, naming the field."""
    text = "author: A\ndate: 2024-01-07 09:00\nstatus: pending\nbody: Hi.\n"
    problem = comment_format.edit_fields(PATH, text, comment_format.parse(PATH, text),
                                         {"status": "approved", "moderator": "Mo\udfff\ud800\udfff"})
    assert problem == Problem(
        PATH, "cannot change 'moderator': the new value is not valid text (it holds a lone surrogate, \\ud800, \\udfff); "
        "nothing was changed", 3, field="moderator")
    problem = comment_format.edit_fields(PATH, text, comment_format.parse(PATH, text), {"status": "\udc80"})
    assert isinstance(problem, Problem) and problem.field == "status" and problem.line == 3
    stamped = text + "moderator: Old\n"
    problem = comment_format.edit_fields(PATH, stamped, comment_format.parse(PATH, stamped), {"status": "approved", "moderator": "\udc80"})
    assert isinstance(problem, Problem) and problem.field == "moderator" and problem.line == 5, "the field's own line"
    # The characters just outside the surrogates are text like any other.
    edited = comment_format.edit_fields(PATH, text, comment_format.parse(PATH, text), {"status": "approved", "moderator": "\ud7ff\ue000"})
    assert edited == text.replace("pending", "approved") + 'moderator: "\ud7ff\ue000"\n'
