"""The shared data types: how a problem names its place, and which comments are shown."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from pelican.plugins.reader_comments.comment_format import Comment
from pelican.plugins.reader_comments.errors import Problem


def test_problem_names_path_line_and_related_files():
    assert str(Problem(Path("c/a.yaml"), "bad date", line=3)) == "c/a.yaml:3: bad date"
    assert str(Problem(Path("c/a.yaml"), "bad file")) == "c/a.yaml: bad file"
    cycle = Problem(Path("c/a.yaml"), "reply_to forms a cycle", related=(Path("c/b.yaml"), Path("c/c.yaml")))
    assert str(cycle) == "c/a.yaml: reply_to forms a cycle (see c/b.yaml) (see c/c.yaml)"


def test_problem_line_zero_is_not_a_line():
    assert str(Problem(Path("c/a.yaml"), "empty", line=0)) == "c/a.yaml: empty"


@pytest.mark.parametrize(("status", "shown"), [("approved", True), ("pending", False), ("rejected", False),
                                                ("spam", False), ("Approved", False)])
def test_only_approved_comments_are_published(status, shown):
    comment = Comment(id="a", article="post", path=Path("post/a.yaml"), author="A",
                      date=datetime(2020, 1, 1, tzinfo=UTC), status=status, body="b")
    assert comment.published is shown
