"""Front matter mistakes, reported by the real `pelican` command as `make html` and `make publish` run it."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from post_checks.front_matter import closest, read_fields
from support.build import REPO, copy_fixture

PELICAN = Path(sys.executable).with_name("pelican")

TYPO = """Title: A Typo in the Front Matter
Dat: 2024-05-01 09:00
Category: Everyday

Text.
"""
MONTH_13 = """Title: A Month Too Many
Category: Everyday
Date: 2024-13-45

Text.
"""
TOMORROW = """Title: Written Tomorrow
Date: tomorrow

Text.
"""
TAG_TYPO = """Title: A Tag Typo
Date: 2024-05-01 09:00
Tgas: manners, mail

Text.
"""
BAD_STATUS = """Title: Nearly a Draft
Date: 2024-05-01 09:00
Status: drafty

Text.
"""


def site_with(tmp_path: Path, posts: dict[str, str]) -> Path:
    """The fixture site in tmp_path/content, with the given posts added."""
    content = copy_fixture(tmp_path / "content")
    for name, text in posts.items():
        (content / "posts" / name).write_text(text, encoding="utf-8")
    return content


def pelican(tmp_path: Path, conf: str, *extra: str, columns: int = 250) -> subprocess.CompletedProcess[str]:
    """The pelican command on tmp_path/content, run from tmp_path as the Makefile runs it from the repository."""
    env = {**os.environ, "COLUMNS": str(columns), "PYTHONPATH": str(REPO), "TERM": "dumb"}
    return subprocess.run(
        [str(PELICAN), "content", "-o", "output", "-s", str(REPO / conf), *extra],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120,
    )


def lines_naming(output: str, path: str) -> list[str]:
    """The output lines that name `path`."""
    return [line for line in output.splitlines() if path in line]


LONG_NAME = "a-post-whose-file-name-is-rather-long-indeed.md"


def make_publish(content: Path, tmp_path: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """`make publish` of `content` into tmp_path/public, as the README runs it; the run and all it printed."""
    done = subprocess.run(
        ["make", "--no-print-directory", "publish", f"INPUTDIR={content}", f"PUBLISHDIR={tmp_path / 'public'}"],
        cwd=REPO, env={**os.environ, "COLUMNS": "250"}, capture_output=True, text=True, timeout=120,
    )
    return done, done.stdout + done.stderr


def test_development_build_names_file_line_field_value_and_fix(tmp_path):
    """At 80 columns, as in a pipe or CI log: one line per message, no path split."""
    site_with(tmp_path, {"typo-post.md": TYPO, "month-13.md": MONTH_13, "tomorrow.md": TOMORROW, LONG_NAME: TOMORROW})
    result = pelican(tmp_path, "pelicanconf.py", columns=80)
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    assert "Traceback" not in out and "Could not process" not in out
    [typo] = lines_naming(out, "content/posts/typo-post.md:2:")
    assert "'Dat'" in typo and "did you mean 'Date'" in typo and "skipped" in typo
    [month] = lines_naming(out, "content/posts/month-13.md:3:")
    assert "'Date'" in month and "'2024-13-45'" in month and "month must be in 1..12" in month
    assert "2024-05-01 09:00" in month
    [tomorrow] = lines_naming(out, "content/posts/tomorrow.md:2:")
    assert "'tomorrow'" in tomorrow and "not a date" in tomorrow and "2024-05-01 09:00" in tomorrow
    [long_line] = lines_naming(out, f"content/posts/{LONG_NAME}:2:")
    assert "'tomorrow'" in long_line
    summary = [line for line in out.splitlines() if "4 posts skipped:" in line]
    assert len(summary) == 1
    for name in ("month-13.md", "tomorrow.md", "typo-post.md", LONG_NAME):
        assert f"content/posts/{name}" in summary[0]
    assert not list((tmp_path / "output").rglob("*typo*"))
    assert (tmp_path / "output" / "index.html").is_file()


def test_make_publish_fails_on_the_same_mistakes_without_traceback(tmp_path):
    content = site_with(tmp_path, {"typo-post.md": TYPO, "month-13.md": MONTH_13})
    result = subprocess.run(
        ["make", "--no-print-directory", "publish", f"INPUTDIR={content}", f"PUBLISHDIR={tmp_path / 'public'}"],
        cwd=REPO, env={**os.environ, "COLUMNS": "250"}, capture_output=True, text=True, timeout=120,
    )
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "Error 1" in out, out
    assert "Traceback" not in out and "RuntimeError" not in out
    assert not (tmp_path / "public").exists(), "a failed publish must not switch public/ to anything"
    [typo] = lines_naming(out, "content/posts/typo-post.md:2:")
    assert "did you mean 'Date'" in typo
    [month] = lines_naming(out, "content/posts/month-13.md:3:")
    assert "'2024-13-45'" in month
    assert any("2 posts with front matter mistakes" in line for line in out.splitlines())
    assert len(out.splitlines()) < 12, out


def test_a_likely_typo_of_a_field_is_flagged_and_a_bad_status_skips(tmp_path):
    site_with(tmp_path, {"tag-typo.md": TAG_TYPO, "status.md": BAD_STATUS})
    result = pelican(tmp_path, "pelicanconf.py")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    [tags] = lines_naming(out, "content/posts/tag-typo.md:3:")
    assert "'Tgas'" in tags and "did you mean 'Tags'" in tags and "WARNING" in tags
    [status] = lines_naming(out, "content/posts/status.md:3:")
    assert "'drafty'" in status and "did you mean 'draft'" in status and "published" in status
    assert any("1 post skipped: content/posts/status.md" in line for line in out.splitlines())
    assert "Unknown status" not in out


def test_front_matter_fields_keep_their_spelling_and_line(tmp_path):
    post = tmp_path / "post.md"
    post.write_text("\ufeffTitle: One\nTags: a,\n    b\nDat: 2024\n\nBody: not a field\n", encoding="utf-8")
    fields = [(f.name, f.value, f.line) for f in read_fields(post)]
    assert fields == [("Title", "One", 1), ("Tags", "a, b", 2), ("Dat", "2024", 4)]


@pytest.mark.parametrize(("typed", "meant"), [
    ("Dat", "Date"), ("Titel", "Title"), ("tgas", "Tags"), ("Sumary", "Summary"), ("Categroy", "Category"),
    ("Mood", None), ("Comments", "Comments"),
])
def test_suggestions_for_typed_field_names(typed, meant):
    choices = ["Title", "Date", "Modified", "Category", "Tags", "Slug", "Author", "Summary", "Comments"]
    assert closest(typed, choices) == meant


BROKEN_LINK = """Title: Further Reading
Date: 2024-05-01 09:00

An introduction.

See [the other post]({filename}/posts/alpah.md) and [this one]({filename}/posts/beta.md).
"""


@pytest.mark.parametrize("conf", ["pelicanconf.py", "publishconf.py"])
def test_a_broken_filename_link_names_the_post_and_line(tmp_path, conf):
    site_with(tmp_path, {"reading.md": BROKEN_LINK})
    extra = ("--fatal", "warnings") if conf == "publishconf.py" else ()
    result = pelican(tmp_path, conf, *extra)
    out = result.stdout + result.stderr
    assert result.returncode == (1 if extra else 0), out
    [line] = lines_naming(out, "content/posts/reading.md:6:")
    assert "'{filename}/posts/alpah.md'" in line and "did you mean '{filename}/posts/alpha.md'" in line
    assert "Unable to find" not in out and "Traceback" not in out
    assert "beta.md" not in out


NO_CATEGORY = """Title: Forgot Its Category
Date: 2024-05-01 09:00

Text.
"""


def test_a_misspelt_category_points_at_its_line(tmp_path):
    site_with(tmp_path, {"categroy.md": NO_CATEGORY.replace("Date:", "Categroy: Everyday\nDate:")})
    result = pelican(tmp_path, "pelicanconf.py")
    out = result.stdout + result.stderr
    [line] = lines_naming(out, "content/posts/categroy.md:2:")
    assert "'Categroy'" in line and "did you mean 'Category'" in line and "no 'Category' field" in line


COMMENTS_TYPO = """Title: Comments Nearly Closed
Date: 2024-05-01 09:00
Category: Everyday
Comments: clsoed

Text.
"""


@pytest.mark.parametrize(("name", "text", "where", "said", "built"), [
    ("no-category.md", NO_CATEGORY, "content/posts/no-category.md", ("'Category'", "'posts'"), "forgot-its-category"),
    ("nearly-closed.md", COMMENTS_TYPO, "content/posts/nearly-closed.md:4:", ("'Comments: clsoed'", "did you mean 'closed'"),
     "comments-nearly-closed"),
], ids=["no-category", "comments-typo"])
def test_a_post_mistake_warns_in_development_and_stops_a_publish(tmp_path, name, text, where, said, built):
    """Named like every front matter mistake (relative path, line, value, suggestion); never a comment error; the post still builds in development."""
    content = site_with(tmp_path, {name: text})
    result = pelican(tmp_path, "pelicanconf.py")
    out = result.stdout + result.stderr
    assert result.returncode == 0, out
    [line] = lines_naming(out, where)
    assert "WARNING" in line and all(part in line for part in said), line
    assert str(tmp_path) not in out and "Skipped comment" not in out
    assert list((tmp_path / "output").rglob(f"*{built}*")), "the post is still built in development"
    strict, out = make_publish(content, tmp_path)
    assert strict.returncode != 0, out
    [line] = [line for line in lines_naming(out, f"posts/{name}") if said[0] in line]
    assert all(part in line for part in said), line
    assert "comment error" not in out and "Traceback" not in out
    assert not (tmp_path / "public").exists()


@pytest.mark.parametrize("post", [TAG_TYPO, BAD_STATUS], ids=["warning", "skipped-post"])
def test_strict_settings_stop_the_build_without_fatal_warnings(tmp_path, post):
    """POST_CHECKS_STRICT alone (publishconf.py, no `--fatal warnings`) stops the build on a front matter mistake."""
    site_with(tmp_path, {"mistake.md": post})
    result = pelican(tmp_path, "publishconf.py")
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert any("The build stops: correct the posts named above." in line for line in out.splitlines()), out
    assert lines_naming(out, "content/posts/mistake.md:3:") and "Traceback" not in out
    relaxed = pelican(tmp_path, "pelicanconf.py")
    assert relaxed.returncode == 0, relaxed.stdout + relaxed.stderr
