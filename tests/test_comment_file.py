"""Loading and validating comment files: the one parser of the format."""

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from pelican.plugins.reader_comments.comment_format import dump, load_tree, read, write_new
from pelican.plugins.reader_comments.errors import Problem

TZ = ZoneInfo("America/New_York")
GOOD = 'author: "Ann"\ndate: "2010-06-02T09:15:00-04:00"\nstatus: approved\nbody: |\n  Hello *there*.\n'


def write(folder: Path, name: str, text: str | bytes, slug: str = "post") -> Path:
    """Write a comment file under folder/slug and return its path."""
    path = folder / slug / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


def problems_of(tmp_path: Path, text: str | bytes, name: str = "c1.yaml") -> list[Problem]:
    """Read one file and return its problems (asserting it was refused)."""
    comment, problems = read(write(tmp_path, name, text), TZ)
    assert comment is None
    assert problems
    return problems


def test_reads_a_valid_file(tmp_path):
    comment, problems = read(write(tmp_path, "abc_1-2.yaml", GOOD), TZ)
    assert problems == []
    assert (comment.id, comment.article, comment.author, comment.status) == ("abc_1-2", "post", "Ann", "approved")
    assert comment.body == "Hello *there*.\n"
    assert comment.date.isoformat() == "2010-06-02T09:15:00-04:00"
    assert comment.published
    assert len(comment.digest) == 64


def test_yml_extension_is_accepted(tmp_path):
    write(tmp_path, "b.yml", GOOD)
    tree = load_tree(tmp_path, TZ)
    assert [c.id for c in tree.comments()] == ["b"]


@pytest.mark.parametrize("name", ["NO", "On", "012", "yes", "null!", "1e3", "2010-06-02"])
def test_no_yaml_11_guessing(tmp_path, name):
    text = GOOD.replace('"Ann"', name)
    comment, problems = read(write(tmp_path, "c.yaml", text), TZ)
    assert problems == []
    assert comment.author == name


def test_offsetless_date_is_read_in_site_timezone(tmp_path):
    comment, _ = read(write(tmp_path, "c.yaml", GOOD.replace("-04:00", "")), TZ)
    assert comment.date.utcoffset().total_seconds() == -4 * 3600
    winter, _ = read(write(tmp_path, "d.yaml", GOOD.replace("2010-06-02T09:15:00-04:00", "2010-01-02 09:15")), TZ)
    assert winter.date.utcoffset().total_seconds() == -5 * 3600


@pytest.mark.parametrize(
    ("text", "line", "words"),
    [
        (GOOD + "stauts: approved\n", 6, "unknown field 'stauts'; did you mean 'status'"),
        (GOOD.replace("status: approved", "status: published"), 3, "'status' must be one of"),
        (GOOD.replace('author: "Ann"\n', ""), 1, "required field 'author' is missing"),
        (GOOD.replace('"Ann"', '"' + "x" * 81 + '"'), 1, "longer than 80"),
        (GOOD.replace("2010-06-02T09:15:00-04:00", "2010-02-30T09:15:00"), 2, "not a real date-time"),
        (GOOD.replace("2010-06-02T09:15:00-04:00", "yesterday"), 2, "'date' is not valid"),
        (GOOD + "website: javascript:alert(1)\n", 6, "'website' is not valid"),
        (GOOD + "website: ftp://example.com/\n", 6, "'website' is not valid"),
        (GOOD + "reply_to: ../etc/passwd\n", 6, "'reply_to' is not valid"),
        (GOOD + "reply_to: c1\n", 6, "cannot reply to itself"),
        (GOOD + "role: admin\n", 6, "'role' must be one of"),
        (GOOD + "author: Bob\n", 6, "appears twice (first on line 1)"),
        ('author: "Ann"\ndate: "2010-06-02T09:15:00"\nstatus: approved\nbody: "a\\u0000b"\n', 4, "control characters"),
        ('author: "A\\nB"\ndate: "2010-06-02T09:15:00"\nstatus: approved\nbody: hi\n', 1, "control characters"),
        ('author: [Ann]\ndate: "2010-06-02T09:15:00"\nstatus: approved\nbody: hi\n', 1, "'author' must be text"),
        ("author: Ann\nbody: [unclosed\n", 3, "invalid YAML"),
        ("- a\n- b\n", 1, "must be a mapping"),
        ("author: &x Ann\ndate: *x\nstatus: approved\nbody: hi\n", 1, "anchors and aliases"),
        ("author: !!python/object/apply:os.system [ls]\n", 1, "YAML tags"),
        (GOOD + "---\n" + GOOD, 6, "more than one YAML document"),
    ],
)
def test_errors_name_the_line(tmp_path, text, line, words):
    problems = problems_of(tmp_path, text)
    assert any(words in p.message and p.line == line for p in problems), [str(p) for p in problems]
    assert all(str(p).startswith(str(tmp_path / "post" / "c1.yaml")) for p in problems)


def test_body_size_cap(tmp_path):
    text = GOOD.replace("  Hello *there*.\n", "  " + "x" * 10_001 + "\n")
    assert "longer than 10,000" in problems_of(tmp_path, text)[0].message


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"   \n# only a comment\n", "empty"),
        (GOOD.encode().replace(b"Ann", b"\xff\xfe"), "not valid UTF-8"),
        (b"body: " + b"x" * 200_000, "at most"),
    ],
)
def test_unreadable_files(tmp_path, data, words):
    problems = problems_of(tmp_path, data)
    assert words in problems[0].message


def test_bad_file_name_is_an_error(tmp_path):
    problems = problems_of(tmp_path, GOOD, name="bad name!.yaml")
    assert "file name must be a comment id" in problems[0].message


def test_tree_skips_only_bad_files_and_reports_duplicates(tmp_path):
    write(tmp_path, "a.yaml", GOOD)
    write(tmp_path, "a.yml", GOOD)
    write(tmp_path, "b.yaml", "author: [")
    write(tmp_path, "c.yaml", GOOD, slug="other")
    write(tmp_path, ".tmp-x.part", "garbage")
    write(tmp_path, "notes.txt", "not a comment")
    tree = load_tree(tmp_path, TZ)
    assert sorted((c.article, c.id) for c in tree.comments()) == [("other", "c"), ("post", "a")]
    messages = [str(p) for p in tree.problems]
    assert any("duplicate comment id 'a'" in m and "a.yaml" in m and "a.yml" in m for m in messages)
    assert any("b.yaml:1" in m or "b.yaml:2" in m for m in messages)
    assert len(messages) == 2


@pytest.mark.parametrize(
    "body",
    [
        "Plain text.",
        "Two\n\nparagraphs\n",
        "  leading spaces",
        "trailing spaces   \nhere",
        "tabs\there",
        "ends with blank lines\n\n\n",
        "\nstarts with a newline",
        "quotes ' \" and colons: # not a comment",
        "- a list\n- of items\n",
        "unicode ✓ — “curly” 🙂",
    ],
)
def test_dump_round_trips_through_the_loader(tmp_path, body):
    fields = {"author": "NO", "date": "2026-11-26T02:15:00+00:00", "status": "pending", "body": body,
              "reply_to": "x1", "website": "https://example.com/a?b=c#d"}
    comment = write_new(tmp_path / "c1.yaml", dump(fields), TZ)
    assert comment.body == body
    assert comment.author == "NO"
    assert comment.website == fields["website"]
    assert (tmp_path / "c1.yaml").read_text().startswith("# yaml-language-server: $schema=")


def test_write_new_never_overwrites(tmp_path):
    fields = {"author": "Ann", "date": "2026-11-26T02:15:00+00:00", "status": "pending", "body": "hi"}
    write_new(tmp_path / "c1.yaml", dump(fields), TZ)
    with pytest.raises(FileExistsError):
        write_new(tmp_path / "c1.yaml", dump({**fields, "body": "other"}), TZ)
    assert "hi" in (tmp_path / "c1.yaml").read_text()
    assert [p.name for p in tmp_path.iterdir()] == ["c1.yaml"]


def test_one_file_reports_a_bounded_number_of_problems(tmp_path):
    text = GOOD + "".join(f"junk{i}: x\n" for i in range(500))
    problems = problems_of(tmp_path, text)
    assert len(problems) == 11
    assert problems[-1].message == "... and 490 more problems in this file"
