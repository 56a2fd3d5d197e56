"""The comment file format, checked exactly: what the loader builds, reports and skips, and what the writer writes."""

from __future__ import annotations

import errno
import hashlib
import json
import os
import resource
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from jsonschema import Draft202012Validator

from pelican.plugins.reader_comments.comment_format import (
    SCHEMA,
    Comment,
    CommentFileError,
    ReadCache,
    changed_bytes,
    check_new,
    comment_files,
    content_digest,
    dump,
    folder_files,
    folder_listing,
    load_tree,
    new_id,
    read,
    write_new,
    write_new_all,
)
from pelican.plugins.reader_comments.comment_format.rules import schema_check
from pelican.plugins.reader_comments.fileio import (
    _fsync_all,
    atomic_write,
    clean_temp_files,
    create_all,
    read_capped,
    write_if_changed,
)

TZ = ZoneInfo("America/New_York")
HEAD = 'author: "Ann"\ndate: "2010-06-02T09:15:00"\nstatus: approved\nbody: hi\n'
HEADER = "# yaml-language-server: $schema=../../../plugins/reader_comments/comment.schema.json\n"
LIMIT = 128 * 1024


def put(folder: Path, relative: str, data: str | bytes) -> Path:
    """Write one file below `folder`, creating its folders."""
    path = folder / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return path


def problems(path: Path) -> list[tuple[int | None, str]]:
    """The (line, message) of each problem reading `path` gives, asserting it is refused and named."""
    comment, found = read(path, TZ)
    assert comment is None
    assert all(p.path == path for p in found)
    return [(p.line, p.message) for p in found]


# ---------------------------------------------------------------- reading


def test_every_field_reaches_the_comment(tmp_path):
    text = HEAD.replace('"Ann"', '"  Ann  "') + (
        'website: "https://ann.example/"\nreply_to: a0\nrole: author\n'
        'moderated_at: "2010-06-03T10:00:00-04:00"\nmoderator: "Mo"\nnote: ""\n')
    path = put(tmp_path, "post/full.yaml", text)
    comment, found = read(path, TZ)
    assert found == []
    assert (comment.id, comment.article, comment.path, comment.author, comment.status, comment.body) == (
        "full", "post", path, "Ann", "approved", "hi")
    assert comment.date == datetime(2010, 6, 2, 9, 15, tzinfo=TZ)
    assert (comment.reply_to, comment.website, comment.role) == ("a0", "https://ann.example/", "author")
    assert comment.extra == {"moderated_at": "2010-06-03T10:00:00-04:00", "moderator": "Mo"}
    assert comment.digest == hashlib.sha256(text.encode()).hexdigest()


def test_optional_fields_default_to_none_and_a_yml_name_is_an_id(tmp_path):
    comment, found = read(put(tmp_path, "post/x1.yml", HEAD), TZ)
    assert found == []
    assert (comment.id, comment.reply_to, comment.website, comment.role, comment.extra) == ("x1", None, None, None, {})


def test_problems_come_sorted_by_line_with_hints_for_typos(tmp_path):
    text = 'autor: "Ann"\nxyz: 1\ndate: "2010-06-02T09:15:00"\nstatus: approved\nbody: hi\nreply_to: c1\n'
    assert problems(put(tmp_path, "post/c1.yaml", text)) == [
        (1, "required field 'author' is missing"),
        (1, "unknown field 'autor'; did you mean 'author'?"),
        (2, "unknown field 'xyz'"),
        (6, "a comment cannot reply to itself"),
    ]


@pytest.mark.parametrize("website", ["http://:80/", "http://[::1/"])
def test_website_needs_a_host(tmp_path, website):
    path = put(tmp_path, "post/w.yaml", HEAD + f'website: "{website}"\n')
    assert problems(path) == [(5, "'website' must be an http or https URL with a host")]


def test_website_with_user_information_is_refused(tmp_path):
    path = put(tmp_path, "post/w.yaml", HEAD + 'website: "http://user@/"\n')
    assert problems(path) == [
        (5, "'website' is not valid: The author's website: an http or https URL, with no user name or password (@) and no backslash.")
    ]


def test_website_scheme_may_be_upper_case(tmp_path):
    comment, _ = read(put(tmp_path, "post/w.yaml", HEAD + 'website: "HTTPS://A.EXAMPLE/x"\n'), TZ)
    assert comment.website == "HTTPS://A.EXAMPLE/x"


def test_bad_name_and_bad_field_are_both_reported(tmp_path):
    path = put(tmp_path, "post/bad name.yaml", HEAD + "role: admin\n")
    assert problems(path) == [
        (None, "the file name must be a comment id: 1 to 64 of A-Z a-z 0-9 _ -"),
        (5, "'role' must be one of: author, moderator (got 'admin')"),
    ]


def test_a_name_with_two_dots_is_not_an_id(tmp_path):
    assert problems(put(tmp_path, "post/a.b.yaml", HEAD)) == [
        (None, "the file name must be a comment id: 1 to 64 of A-Z a-z 0-9 _ -")]


@pytest.mark.parametrize(("depth", "refused"), [(62, False), (63, False), (64, True)])
def test_nesting_is_refused_past_64_levels(tmp_path, depth, refused):
    path = put(tmp_path, "post/n.yaml", HEAD + "note: " + "[" * depth + "]" * depth + "\n")
    expected = "values are nested more than 64 levels deep" if refused else "'note' must be text"
    assert problems(path) == [(5, expected)]


def test_nesting_in_block_style_names_the_line_where_it_goes_too_deep(tmp_path):
    deep = "note:\n" + "".join(" " * i + "-\n" for i in range(64))
    assert problems(put(tmp_path, "post/n.yaml", HEAD + deep)) == [(69, "values are nested more than 64 levels deep")]
    shallow = "note:\n" + "".join(" " * i + "-\n" for i in range(63))
    assert problems(put(tmp_path, "post/n.yaml", HEAD + shallow)) == [(5, "'note' must be text")]


def test_many_sibling_lists_are_not_nesting(tmp_path):
    siblings = "note: [" + ", ".join("[1]" for _ in range(80)) + "]\n"
    assert problems(put(tmp_path, "post/s.yaml", HEAD + siblings)) == [(5, "'note' must be text")]


def test_deep_nesting_after_siblings_is_still_found(tmp_path):
    deep = "note: [" + ", ".join("[1]" for _ in range(40)) + ", " + "[" * 64 + "]" * 64 + "]\n"
    assert problems(put(tmp_path, "post/s.yaml", HEAD + deep)) == [(5, "values are nested more than 64 levels deep")]


def test_closing_an_inner_list_keeps_the_depth_of_its_parents(tmp_path):
    deep = "note: " + "[" * 3 + "[], " + "[" * 62 + "]" * 62 + "]" * 3 + "\n"
    assert problems(put(tmp_path, "post/s.yaml", HEAD + deep)) == [(5, "values are nested more than 64 levels deep")]


def test_a_file_of_exactly_the_size_limit_is_read(tmp_path):
    filler = LIMIT - len(HEAD) - len('note: ""\n')
    path = put(tmp_path, "post/big.yaml", HEAD + 'note: "' + "a" * filler + '"\n')
    assert path.stat().st_size == LIMIT
    assert problems(path) == [(5, "'note' is longer than 2,000 characters")]
    path.write_bytes(path.read_bytes() + b"\n")
    assert problems(path) == [(None, "file is too large; a comment file may be at most 131,072 bytes")]


def test_unreadable_paths_name_the_reason(tmp_path):
    folder = tmp_path / "post" / "dir.yaml"
    folder.mkdir(parents=True)
    assert problems(folder) == [(None, "cannot read file: Is a directory")]
    link = tmp_path / "post" / "gone.yaml"
    link.symlink_to(tmp_path / "nowhere")
    assert problems(link) == [
        (None, "is a symbolic link, so it is never published; put the comment file (or article folder) itself here")
    ]


LINK_MESSAGE = "is a symbolic link, so it is never published; put the comment file (or article folder) itself here"


def test_a_link_to_a_good_file_is_refused_and_never_followed(tmp_path):
    target = put(tmp_path, "elsewhere/c1.yaml", HEAD)
    link = tmp_path / "post" / "c1.yaml"
    link.parent.mkdir()
    link.symlink_to(target)
    with pytest.raises(OSError) as caught:
        read_capped(link, LIMIT)
    assert caught.value.errno == errno.ELOOP
    assert problems(link) == [(None, LINK_MESSAGE)]


def test_a_path_through_a_looping_link_is_refused_as_a_link(tmp_path):
    (tmp_path / "loop").symlink_to(tmp_path / "loop")
    assert problems(tmp_path / "loop" / "c1.yaml") == [(None, LINK_MESSAGE)]


def test_an_author_with_nothing_visible_is_refused_but_an_invisible_body_is_not(tmp_path):
    hidden = HEAD.replace('"Ann"', '"\u200b\u2060"')
    assert problems(put(tmp_path, "post/h.yaml", hidden)) == [
        (1, "'author' has nothing visible: only spaces or invisible characters")]
    comment, found = read(put(tmp_path, "post/n.yaml", HEAD.replace("body: hi", 'body: "\\u200b"')), TZ)
    assert found == [] and comment.body == "\u200b"


def test_invalid_utf8_names_the_line_and_byte(tmp_path):
    path = put(tmp_path, "post/u.yaml", b'author: "Ann"\ndate: x\nbody: "a\xffb"\n')
    assert problems(path) == [(3, "file is not valid UTF-8 (byte 30)")]


def test_given_bytes_are_read_instead_of_the_file(tmp_path):
    path = put(tmp_path, "post/g.yaml", "not: [valid")
    comment, found = read(path, TZ, HEAD.encode())
    assert found == [] and comment.body == "hi"


@pytest.mark.parametrize("field", ["author", "body"])
def test_an_empty_required_text_is_named_twice(tmp_path, field):
    text = HEAD.replace('"Ann"', '""') if field == "author" else HEAD.replace("hi", '""')
    line = 1 if field == "author" else 4
    found = problems(put(tmp_path, "post/e.yaml", text))
    assert [(n, m.split(":")[0]) for n, m in found] == [(line, f"'{field}' is empty"), (line, f"'{field}' is not valid")]


@pytest.mark.parametrize(
    ("date", "accepted"),
    [("0001-01-03T00:00:00Z", True), ("0001-01-02T23:59:59Z", False),
     ("9999-12-29T23:59:59.999999Z", True), ("9999-12-30T00:00:00Z", False)],
)
def test_dates_within_two_days_of_the_calendar_ends_are_refused(tmp_path, date, accepted):
    path = put(tmp_path, "post/d.yaml", HEAD.replace("2010-06-02T09:15:00", date))
    comment, found = read(path, TZ)
    assert (comment is not None) == accepted
    assert [(p.line, p.message) for p in found] == ([] if accepted else [(2, f"'date' is not a real date-time: '{date}'")])


def test_a_date_with_an_offset_keeps_it(tmp_path):
    comment, _ = read(put(tmp_path, "post/d.yaml", HEAD.replace("09:15:00", "09:15:00+00:00")), TZ)
    assert comment.date.utcoffset().total_seconds() == 0 and comment.date.hour == 9


def test_a_field_of_the_wrong_type_does_not_hide_control_characters_later(tmp_path):
    text = 'author: [x]\ndate: "2010-06-02T09:15:00"\nstatus: approved\nbody: "a\\u0001b"\n'
    assert problems(put(tmp_path, "post/t.yaml", text)) == [
        (1, "'author' must be text"), (4, "'body' contains control characters or invalid Unicode")]


def test_a_reader_error_after_multibyte_text_names_its_line(tmp_path):
    text = 'author: "' + "é" * 60 + '"\ndate: "2010-06-02T09:15:00"\nstatus: approved\nbody: hi\nnote: "a\x01b"\n'
    assert problems(put(tmp_path, "post/m.yaml", text)) == [
        (5, "invalid YAML: character #x0001: control characters are not allowed")]


def test_a_problem_without_a_line_comes_first(tmp_path):
    path = put(tmp_path, "post/bad name.yaml", HEAD.replace('"Ann"', "[x]"))
    assert problems(path) == [
        (None, "the file name must be a comment id: 1 to 64 of A-Z a-z 0-9 _ -"), (1, "'author' must be text")]


def test_ten_problems_are_listed_and_the_eleventh_is_counted(tmp_path):
    ten = problems(put(tmp_path, "post/t.yaml", HEAD + "".join(f"k{i}: x\n" for i in range(10))))
    assert ten == [(5 + i, f"unknown field 'k{i}'") for i in range(10)]
    eleven = problems(put(tmp_path, "post/t.yaml", HEAD + "".join(f"k{i}: x\n" for i in range(11))))
    assert eleven == ten + [(None, "... and 1 more problems in this file")]


def test_plain_http_websites_are_accepted(tmp_path):
    comment, _ = read(put(tmp_path, "post/w.yaml", HEAD + 'website: "http://a.example/"\n'), TZ)
    assert comment.website == "http://a.example/"


def test_each_problem_names_the_field_it_is_about(tmp_path):
    text = ('autor: "Ann"\ndate: "2010-02-30T09:00:00"\nstatus: approved\nbody: "a\\u0001b"\n'
            'website: "http://:80/"\nreply_to: c1\nrole: admin\n')
    comment, found = read(put(tmp_path, "post/c1.yaml", text), TZ)
    assert comment is None
    assert [(p.line, p.field) for p in found] == [
        (1, None), (1, "autor"), (2, "date"), (4, "body"), (5, "website"), (6, "reply_to"), (7, "role")]
    assert [p.field for p in read(put(tmp_path, "post/bad name.yaml", HEAD), TZ)[1]] == [None]


# ---------------------------------------------------------------- finding files


def test_comment_files_skips_hidden_and_other_entries_in_name_order(tmp_path):
    for relative in ("b/2.yaml", "b/1.yml", "b/.hidden.yaml", "b/notes.txt", "a/z.yaml", ".git/x.yaml", "c/sub.yaml/x.yaml"):
        put(tmp_path, relative, HEAD)
    (tmp_path / "loose.yaml").write_text(HEAD)
    found = [p.relative_to(tmp_path).as_posix() for p in comment_files(tmp_path)]
    assert found == ["a/z.yaml", "b/1.yml", "b/2.yaml"]
    assert list(comment_files(tmp_path / "missing")) == []


def test_comment_files_lists_links_to_files_and_folders_as_themselves(tmp_path):
    elsewhere = put(tmp_path / "elsewhere", "post/z.yaml", HEAD).parent
    content = tmp_path / "content"
    put(content, "b/1.yaml", HEAD)
    (content / "a-linked").symlink_to(elsewhere)
    (content / "b" / "2.yaml").symlink_to(elsewhere / "z.yaml")
    (content / "b" / "3.yaml").symlink_to(elsewhere)
    (content / "b" / "4.yaml").symlink_to(content / "nowhere.yaml")
    (content / "c-linked.yaml").symlink_to(elsewhere / "z.yaml")
    found = [p.relative_to(content).as_posix() for p in comment_files(content)]
    assert found == ["a-linked", "b/1.yaml", "b/2.yaml", "b/3.yaml", "b/4.yaml", "c-linked.yaml"]


def test_load_tree_groups_by_article_and_reads_only_given_paths(tmp_path):
    one = put(tmp_path, "alpha/one.yaml", HEAD)
    put(tmp_path, "beta/two.yaml", HEAD)
    put(tmp_path, "beta/bad.yaml", "status: approved\n")
    tree = load_tree(tmp_path, TZ)
    assert {slug: [c.id for c in comments] for slug, comments in tree.by_article.items()} == {
        "alpha": ["one"], "beta": ["two"]}
    assert [(p.path.name, p.message) for p in tree.problems] == [
        ("bad.yaml", "required field 'author' is missing"),
        ("bad.yaml", "required field 'body' is missing"),
        ("bad.yaml", "required field 'date' is missing"),
    ]
    only = load_tree(tmp_path, TZ, paths=[one])
    assert list(only.by_article) == ["alpha"] and only.problems == []


def test_load_tree_reports_a_duplicate_id_and_keeps_the_first(tmp_path):
    first = put(tmp_path, "alpha/dup.yaml", HEAD)
    second = put(tmp_path, "alpha/dup.yml", HEAD.replace("hi", "second"))
    tree = load_tree(tmp_path, TZ)
    assert [c.body for c in tree.by_article["alpha"]] == ["hi"]
    assert [(p.path, p.message, p.related) for p in tree.problems] == [
        (second, "duplicate comment id 'dup' in 'alpha'", (first,))]


# ---------------------------------------------------------------- the read cache


def test_read_cache_reuses_only_the_same_bytes_at_the_same_path(tmp_path):
    path = put(tmp_path, "post/c.yaml", HEAD)
    store = tmp_path / "cache" / "files-x.json"
    store.parent.mkdir()
    first = ReadCache(store)
    comment, found = first.read(path, TZ)
    assert found == [] and first.hits == 0
    first.save()
    second = ReadCache(store)
    again, _ = second.read(path, TZ)
    assert second.hits == 1
    assert again == comment and again.digest == comment.digest
    path.write_text(HEAD.replace("hi", "ho"))
    edited, _ = second.read(path, TZ)
    assert edited.body == "ho" and second.hits == 1
    other, _ = ReadCache(store).read(put(tmp_path, "other/c.yaml", HEAD), TZ)
    assert other.article == "other"


def test_read_cache_never_keeps_a_bad_file_and_reads_through_tree(tmp_path):
    put(tmp_path, "post/bad.yaml", "status: approved\n")
    put(tmp_path, "post/good.yaml", HEAD)
    store = tmp_path / "files-x.json"
    cache = ReadCache(store)
    tree = load_tree(tmp_path, TZ, cache=cache)
    assert [c.id for c in tree.by_article["post"]] == ["good"] and len(tree.problems) == 3
    cache.save()
    warm = ReadCache(store)
    tree = load_tree(tmp_path, TZ, cache=warm)
    assert warm.hits == 1 and len(tree.problems) == 3


def test_read_cache_counts_every_hit_and_distrusts_an_incomplete_entry(tmp_path):
    first, second = put(tmp_path, "post/a.yaml", HEAD), put(tmp_path, "post/b.yaml", HEAD.replace("hi", "two"))
    store = tmp_path / "files-x.json"
    cold = ReadCache(store)
    cold.read(first, TZ)
    cold.read(second, TZ)
    cold.save()
    warm = ReadCache(store)
    warm.read(first, TZ)
    warm.read(second, TZ)
    assert warm.hits == 2
    damaged = {key: {k: v for k, v in fields.items() if k != "date"} for key, fields in warm.used.items()}
    store.write_text(json.dumps(damaged))
    distrusting = ReadCache(store)
    comment, found = distrusting.read(first, TZ)
    assert found == [] and comment.date == datetime(2010, 6, 2, 9, 15, tzinfo=TZ) and distrusting.hits == 0


def _reads_counted(monkeypatch):
    """A list that grows by the path of every comment file read from disk (the real read still runs)."""
    from pelican.plugins.reader_comments.comment_format import files

    seen = []
    real = files.read_bytes
    monkeypatch.setattr(files, "read_bytes", lambda path: seen.append(path) or real(path))
    return seen


@pytest.fixture
def files_still_at_once(monkeypatch):
    """Every file counts as still at once, so the read cache records its status without the 2 s wait."""
    from pelican.plugins.reader_comments.comment_format import files

    monkeypatch.setattr(files, "STILL_NS", 0)


def _cached_once(store: Path, path: Path) -> Comment:
    """Read `path` through a cold cache kept at `store`, and save it; the comment read."""
    cold = ReadCache(store)
    comment, _ = cold.read(path, TZ)
    cold.save()
    return comment


def test_read_cache_does_not_read_a_still_unchanged_file_again(tmp_path, monkeypatch, files_still_at_once):
    path = put(tmp_path, "post/c.yaml", HEAD)
    store = tmp_path / "files-x.json"
    comment = _cached_once(store, path)
    seen = _reads_counted(monkeypatch)
    warm = ReadCache(store)
    again, found = warm.read(path, TZ)
    assert found == [] and again == comment and again.digest == comment.digest
    assert seen == [] and warm.hits == 1


def test_read_cache_sees_an_edit_that_keeps_size_and_modification_time(tmp_path, monkeypatch, files_still_at_once):
    path = put(tmp_path, "post/c.yaml", HEAD)
    before = path.stat()
    store = tmp_path / "files-x.json"
    _cached_once(store, path)
    time.sleep(0.01)
    path.write_text(HEAD.replace("hi", "ho"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert path.stat().st_size == before.st_size and path.stat().st_mtime_ns == before.st_mtime_ns
    seen = _reads_counted(monkeypatch)
    edited, _ = ReadCache(store).read(path, TZ)
    assert edited.body == "ho" and seen == [path]


def test_read_cache_reads_a_file_changed_just_before_it_was_cached(tmp_path, monkeypatch):
    path = put(tmp_path, "post/c.yaml", HEAD)
    store = tmp_path / "files-x.json"
    _cached_once(store, path)
    seen = _reads_counted(monkeypatch)
    warm = ReadCache(store)
    comment, _ = warm.read(path, TZ)
    # Written a moment ago: within the clock's reach of an unseen edit, so its bytes are read and checked.
    assert comment.body == "hi" and seen == [path] and warm.hits == 1


def test_read_cache_without_a_file_still_reads(tmp_path):
    cache = ReadCache(None)
    comment, _ = cache.read(put(tmp_path, "post/c.yaml", HEAD), TZ)
    assert comment.body == "hi"
    cache.save()
    bad, found = cache.read(tmp_path / "post" / "missing.yaml", TZ)
    assert bad is None and [p.message for p in found] == ["cannot read file: No such file or directory"]


# ---------------------------------------------------------------- writing


@pytest.mark.parametrize(
    ("body", "written"),
    [
        ("one line", "|-\n  one line"),
        ("two\nlines", "|-\n  two\n  lines"),
        ("ends\n", "|\n  ends"),
        ("a\n\n\nb", "|-\n  a\n\n\n  b"),
        ("trailing  \nspace", '"trailing  \\nspace"'),
        ("  leading", '"  leading"'),
        ("tab\there", '"tab\\there"'),
        ("x\r\ny", '"x\\r\\ny"'),
        ("line\n\n", '"line\\n\\n"'),
        ("\nstarts", '"\\nstarts"'),
        ("é “q” \u2028 x", '"é “q” \\u2028 x"'),
        ("\x85nel \ufeff", '"\\u0085nel \\ufeff"'),
    ],
)
def test_dump_writes_a_literal_block_only_when_it_round_trips(tmp_path, body, written):
    text = dump({"author": "A", "date": "2010-06-02T09:15:00", "status": "pending", "body": body, "note": body})
    assert text == (f'{HEADER}author: "A"\ndate: "2010-06-02T09:15:00"\nstatus: pending\n'
                    f"body: {written}\nnote: {written}\n")
    comment, found = read(put(tmp_path, "post/d.yaml", text), TZ)
    assert found == [] and comment.body == body and comment.extra["note"] == body


def test_dump_follows_the_schema_order_and_skips_empty_fields():
    text = dump({"website": "https://a.example/", "body": "b", "reply_to": None, "author": "é", "date": "d", "status": "s"})
    assert text == f'{HEADER}author: "é"\ndate: "d"\nstatus: s\nbody: |-\n  b\nwebsite: "https://a.example/"\n'


def test_write_new_creates_exactly_the_text_and_leaves_no_temporary_file(tmp_path):
    (tmp_path / "post").mkdir()
    path = tmp_path / "post" / "n1.yaml"
    comment = write_new(path, HEAD, TZ)
    assert path.read_text() == HEAD and comment.id == "n1" and comment.body == "hi"
    assert [p.name for p in path.parent.iterdir()] == ["n1.yaml"]
    with pytest.raises(CommentFileError, match="required field 'body' is missing") as refused:
        write_new(tmp_path / "post" / "n2.yaml", "author: A\ndate: x\nstatus: approved\n", TZ)
    assert refused.value.problem.path == tmp_path / "post" / "n2.yaml"
    assert [p.name for p in path.parent.iterdir()] == ["n1.yaml"]


def test_replace_swaps_the_bytes_keeps_the_mode_and_leaves_no_temporary_file(tmp_path):
    path = put(tmp_path, "post/r.yaml", HEAD)
    os.chmod(path, 0o640)
    atomic_write(path, b"new bytes\n")
    assert path.read_bytes() == b"new bytes\n"
    assert path.stat().st_mode & 0o7777 == 0o640
    assert [p.name for p in path.parent.iterdir()] == ["r.yaml"]


def every_file(folder: Path) -> dict[str, bytes]:
    """Every file below `folder` (temporary ones included) and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_create_all_writes_every_file_in_every_folder_with_a_new_file_s_mode(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    create_all([(tmp_path / "a" / "1.yaml", b"one"), (tmp_path / "b" / "2.yaml", b"two"), (tmp_path / "a" / "3.yaml", b"")])
    assert every_file(tmp_path) == {"a/1.yaml": b"one", "a/3.yaml": b"", "b/2.yaml": b"two"}
    umask = os.umask(0o022)
    os.umask(umask)
    assert {p.stat().st_mode & 0o7777 for p in tmp_path.rglob("*.yaml")} == {0o666 & ~umask}


def test_create_all_leaves_nothing_when_a_later_file_exists(tmp_path):
    taken = put(tmp_path, "b/2.yaml", "kept")
    (tmp_path / "a").mkdir()
    before = every_file(tmp_path)
    with pytest.raises(FileExistsError):
        create_all([(tmp_path / "a" / "1.yaml", b"one"), (tmp_path / "a" / "0.yaml", b"zero"), (taken, b"two")])
    assert every_file(tmp_path) == before


def test_create_all_leaves_nothing_when_a_file_cannot_be_written(tmp_path):
    (tmp_path / "a").mkdir()
    with pytest.raises(FileNotFoundError):
        create_all([(tmp_path / "a" / "1.yaml", b"one"), (tmp_path / "missing" / "2.yaml", b"two"), (tmp_path / "a" / "3.yaml", b"x")])
    assert every_file(tmp_path) == {}


def test_create_all_leaves_nothing_when_the_disk_takes_only_part_of_a_file(tmp_path):
    (tmp_path / "a").mkdir()
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (64, hard))  # Python ignores SIGXFSZ: a longer write fails with EFBIG
    try:
        with pytest.raises(OSError) as failed:
            create_all([(tmp_path / "a" / "1.yaml", b"short"), (tmp_path / "a" / "2.yaml", b"x" * 100)])
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    assert failed.type is OSError and every_file(tmp_path) == {}


def test_create_all_keeps_its_temporary_files_beside_the_targets():
    # On a filesystem other than the system's temporary folder, a link from there would fail.
    folder = Path(tempfile.mkdtemp(dir="/dev/shm")) if Path("/dev/shm").is_dir() else Path(tempfile.mkdtemp())
    try:
        create_all([(folder / "c.yaml", b"one"), (folder / "d.yaml", b"two")])
        assert every_file(folder) == {"c.yaml": b"one", "d.yaml": b"two"}
    finally:
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()


def test_every_path_of_a_batch_is_flushed(tmp_path):
    _fsync_all([tmp_path, str(tmp_path)])
    with pytest.raises(FileNotFoundError):
        _fsync_all([tmp_path, tmp_path / "gone"])


def test_check_new_reads_the_text_back_and_write_new_all_creates_exactly_the_checked_files(tmp_path):
    (tmp_path / "post").mkdir()
    refused, found = check_new(tmp_path / "post" / "b.yaml", HEAD.replace("body: hi\n", ""), TZ)
    assert refused is None and [(p.path.name, p.message) for p in found] == [("b.yaml", "required field 'body' is missing")]
    first, _ = check_new(tmp_path / "post" / "g.yaml", HEAD, TZ)
    second, _ = check_new(tmp_path / "post" / "h.yaml", HEAD.replace("hi", "thé"), TZ)
    assert (first.comment.id, first.comment.body, second.comment.body) == ("g", "hi", "thé")
    assert every_file(tmp_path) == {}
    write_new_all([first, second])
    assert every_file(tmp_path) == {"post/g.yaml": HEAD.encode(), "post/h.yaml": HEAD.replace("hi", "thé").encode("utf-8")}
    with pytest.raises(FileExistsError):
        write_new_all([check_new(tmp_path / "post" / "i.yaml", HEAD, TZ)[0], first])
    assert sorted(every_file(tmp_path)) == ["post/g.yaml", "post/h.yaml"]


def feed_pipe(pipe: Path, parts: list[bytes]) -> threading.Thread:
    """A thread writing `parts` into the named pipe one at a time, so each arrives as its own read."""
    def write() -> None:
        """Write the parts with pauses; the reader may stop early."""
        try:
            with open(pipe, "wb", buffering=0) as out:
                for part in parts:
                    out.write(part)
                    time.sleep(0.05)
        except BrokenPipeError:
            pass

    thread = threading.Thread(target=write)
    thread.start()
    return thread


@pytest.mark.parametrize(("limit", "expected"), [(100, b"a" * 10 + b"b" * 10 + b"c" * 10), (14, b"a" * 10 + b"b" * 5),
                                                 (20, b"a" * 10 + b"b" * 10 + b"c")])
def test_read_capped_joins_partial_reads_and_stops_one_byte_past_the_limit(tmp_path, limit, expected):
    pipe = tmp_path / "pipe"
    os.mkfifo(pipe)
    writer = feed_pipe(pipe, [b"a" * 10, b"b" * 10, b"c" * 10])
    assert read_capped(pipe, limit) == expected
    writer.join()


def test_atomic_write_keeps_its_temporary_file_beside_the_target():
    # On a filesystem other than the system's temporary folder, a rename from there would fail.
    folder = Path(tempfile.mkdtemp(dir="/dev/shm")) if Path("/dev/shm").is_dir() else Path(tempfile.mkdtemp())
    try:
        path = folder / "c.yaml"
        atomic_write(path, b"one", create=True)
        atomic_write(path, b"two")
        assert path.read_bytes() == b"two" and [p.name for p in folder.iterdir()] == ["c.yaml"]
    finally:
        for child in folder.iterdir():
            child.unlink()
        folder.rmdir()


def test_clean_temp_files_removes_only_leftover_temporary_files(tmp_path):
    leftovers = [put(tmp_path, "a/.tmp-1.part", "x"), put(tmp_path, "b/.tmp-2.part", "x")]
    kept = [put(tmp_path, "a/c.yaml", HEAD), put(tmp_path, "a/.tmp-3.yaml", "x"), put(tmp_path, ".tmp-4.part", "x")]
    assert clean_temp_files(tmp_path) == 2
    assert not any(p.exists() for p in leftovers)
    assert all(p.exists() for p in kept)


# ---------------------------------------------------------------- the quick schema check


def quick_check_cases() -> list[dict]:
    """Field values around every rule of the schema: types, lengths, patterns, enums, missing and unknown fields."""
    base = {"author": "Ann", "date": "2010-06-02T09:15:00", "status": "approved", "body": "hi"}
    values = [None, "", " ", "x", "a" * 80, "a" * 81, "a" * 2000, "a" * 2001, "a" * 10_000, "a" * 10_001, 5, ["x"],
              "2010-06-02T09:15:00", "2010-06-02 09:15", "2010-06-02T09:15:00.123456+05:30", "2010-06-02", "x2010-06-02T09:15",
              "approved", "Approved", "spam", "author", "moderator", "admin", "abc-_1", "../x", "a" * 64, "a" * 65,
              "https://a.example/", "HTTP://a.example", "ftp://a.example", "https://", "https://a b", "https://" + "a" * 246]
    cases = [base] + [{k: v for k, v in base.items() if k != name} for name in base]
    cases.append({**base, "unknown": "x"})
    for name in ("author", "date", "status", "body", "reply_to", "website", "role", "moderated_at", "moderator", "note"):
        cases.extend({**base, name: value} for value in values)
    return cases


def test_quick_schema_check_agrees_with_jsonschema_on_every_rule():
    # The loader skips jsonschema when the quick check passes, so the two must agree exactly.
    validator = Draft202012Validator(SCHEMA)
    quick = schema_check(SCHEMA)
    disagreements = [case for case in quick_check_cases() if quick(case) != (not any(validator.iter_errors(case)))]
    assert disagreements == []


def test_quick_schema_check_declines_schemas_it_cannot_judge():
    assert schema_check({**SCHEMA, "type": "array"}) is None
    assert schema_check({**SCHEMA, "allOf": []}) is None
    assert schema_check({**SCHEMA, "properties": {**SCHEMA["properties"], "n": {"type": "integer", "minimum": 1}}}) is None
    assert schema_check({"properties": {"a": {"type": "string"}}})({"a": "x"}) is True


def test_read_cache_counts_files_not_their_status_entries(tmp_path, files_still_at_once):
    cache = ReadCache(tmp_path / "files-x.json")
    for name in ("a", "b", "c"):
        cache.read(put(tmp_path, f"post/{name}.yaml", HEAD), TZ)
    assert cache.files == 3 and len(cache.used) == 6


# What a writer killed mid-write leaves, and what the start-up clean-up removes: `.tmp-<random>.part` beside the target.
def is_temp_name(name: str) -> bool:
    """Whether `name` is a writer's temporary file as the clean-up looks for it."""
    return name.startswith(".tmp-") and name.endswith(".part")


def names_while_flushing(monkeypatch, folder: Path) -> list[list[str]]:
    """Have every fsync first note the names in `folder`: what a writer killed at that moment would leave there."""
    seen: list[list[str]] = []
    real = os.fsync

    def noting(fd: int) -> None:
        """List the folder, then flush."""
        seen.append(sorted(p.name for p in folder.iterdir()))
        real(fd)

    monkeypatch.setattr(os, "fsync", noting)
    return seen


def test_a_write_killed_before_its_rename_leaves_only_a_file_the_clean_up_removes(tmp_path, monkeypatch):
    folder = tmp_path / "article"
    folder.mkdir()
    seen = names_while_flushing(monkeypatch, folder)
    atomic_write(folder / "c.yaml", b"one")
    temp = seen[0]
    assert len(temp) == 1 and is_temp_name(temp[0]), temp
    (folder / temp[0]).write_bytes(b"on")  # left by a writer killed at that moment
    assert clean_temp_files(tmp_path) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["c.yaml"]


def test_a_batch_killed_before_its_links_leaves_only_files_the_clean_up_removes(tmp_path, monkeypatch):
    folder = tmp_path / "article"
    folder.mkdir()
    seen = names_while_flushing(monkeypatch, folder)
    create_all([(folder / "c.yaml", b"one"), (folder / "d.yaml", b"two")])
    temps = seen[0]
    assert len(temps) == 2 and all(is_temp_name(name) for name in temps), temps
    for name in temps:
        (folder / name).write_bytes(b"part")
    assert clean_temp_files(tmp_path) == 2
    assert sorted(p.name for p in folder.iterdir()) == ["c.yaml", "d.yaml"]


def test_a_mode_given_to_the_atomic_write_is_the_files_mode_new_or_replaced(tmp_path):
    new = tmp_path / "export.json"
    atomic_write(new, b"{}", create=True, mode=0o600)
    assert new.stat().st_mode & 0o7777 == 0o600
    replaced = put(tmp_path, "post/r.yaml", HEAD)
    os.chmod(replaced, 0o644)
    atomic_write(replaced, b"new\n", mode=0o640)
    assert replaced.stat().st_mode & 0o7777 == 0o640 and replaced.read_bytes() == b"new\n"


def test_the_atomic_write_takes_its_bytes_in_pieces_in_order(tmp_path):
    target = tmp_path / "pieces.json"
    atomic_write(target, iter([b"{", b'"a": 1', b"}"]), create=True)
    assert target.read_bytes() == b'{"a": 1}'
    atomic_write(target, (bytes([n]) for n in b"replaced"))
    assert target.read_bytes() == b"replaced"


def test_a_cache_of_many_entries_is_saved_in_pieces_and_read_back_whole(tmp_path):
    from pelican.plugins.reader_comments.cache import JsonCache

    entries = {f"key-{n}": [f"<p>{n} \u201cq\u201d \\ \"</p>", n, None] for n in range(600)}
    cache = JsonCache(tmp_path / "cache-x.json")
    cache.used = dict(entries)
    cache.save()
    assert json.loads((tmp_path / "cache-x.json").read_text(encoding="utf-8")) == entries
    assert JsonCache(tmp_path / "cache-x.json").entries == entries
    empty = JsonCache(tmp_path / "cache-y.json")
    empty.entries = {"old": 1}
    empty.save()
    assert json.loads((tmp_path / "cache-y.json").read_text(encoding="utf-8")) == {}


def test_write_if_changed_writes_new_or_different_bytes_and_leaves_equal_ones_alone(tmp_path):
    target = tmp_path / "feeds" / "deep" / "all.atom.xml"
    assert write_if_changed(target, b"<feed>one</feed>") is True
    assert target.read_bytes() == b"<feed>one</feed>"
    before = target.stat()
    assert write_if_changed(target, b"<feed>one</feed>", durable=False) is False
    after = target.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert write_if_changed(target, b"<feed>two</feed>", durable=False) is True  # same size, other bytes
    assert target.read_bytes() == b"<feed>two</feed>"
    assert write_if_changed(target, b"<feed/>") is True
    assert target.read_bytes() == b"<feed/>"
    assert sorted(p.name for p in target.parent.iterdir()) == ["all.atom.xml"]


def test_write_if_changed_replaces_what_cannot_be_read_as_a_file(tmp_path):
    target = tmp_path / "all.atom.xml"
    target.symlink_to(tmp_path / "missing")
    assert write_if_changed(target, b"<feed/>") is True
    assert not target.is_symlink() and target.read_bytes() == b"<feed/>"


@pytest.mark.parametrize("bom", [b"", b"\xef\xbb\xbf"])
def test_changed_bytes_changes_one_field_keeps_every_other_byte_and_reads_the_result_back(tmp_path, bom):
    path = tmp_path / "post" / "20100602T091500000000-abcdef.yaml"
    data = bom + b'# kept\nauthor: "Ann"   \ndate: "2010-06-02T09:15:00"\nstatus: pending\nbody: hi\n\n'
    new, problems = changed_bytes(path, data, {"status": "approved"}, TZ)
    assert problems == []
    assert new.path == path
    assert new.data == bom + b'# kept\nauthor: "Ann"   \ndate: "2010-06-02T09:15:00"\nstatus: approved\nbody: hi\n\n'
    assert (new.comment.status, new.comment.author, new.comment.body) == ("approved", "Ann", "hi")
    assert new.comment.id == "20100602T091500000000-abcdef"


@pytest.mark.parametrize(("changes", "line", "field", "words"), [
    ({"status": "published"}, 3, "status", ("status", "approved")),
    ({"body": "bad \udc80 text"}, 4, "body", ("lone surrogate",)),
], ids=["a rule broken", "the editor refuses"])
def test_changed_bytes_refuses_with_the_problem_of_the_line_and_field(tmp_path, changes, line, field, words):
    path = tmp_path / "post" / "20100602T091500000000-abcdef.yaml"
    data = b'author: "Ann"\ndate: "2010-06-02T09:15:00"\nstatus: pending\nbody: hi\n'
    new, problems = changed_bytes(path, data, changes, TZ)
    assert new is None
    assert [(p.path, p.line, p.field) for p in problems] == [(path, line, field)]
    assert all(word in problems[0].message for word in words)


def test_new_id_is_the_utc_time_to_the_microsecond_then_six_random_letters_or_digits():
    when = datetime(2010, 6, 2, 9, 15, 7, 123456, tzinfo=TZ)  # 13:15:07 UTC
    ids = {new_id(when) for _ in range(50)}
    assert len(ids) == 50
    for made in ids:
        stamp, suffix = made.split("-")
        assert stamp == "20100602T131507123456"
        assert len(suffix) == 6 and set(suffix) <= set("abcdefghijklmnopqrstuvwxyz0123456789")
    assert len({c for made in ids for c in made.split("-")[1]}) > 20  # drawn from the whole alphabet


def test_new_id_without_a_time_uses_the_current_utc_time():
    before = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    made = new_id()
    after = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    assert before <= made.split("-")[0] <= after


@pytest.mark.parametrize(("line", "pinned"), [("pinned: true\n", True), ("pinned: false\n", False), ("", False)])
def test_only_a_pinned_field_of_true_pins_a_comment(tmp_path, line, pinned):
    comment, problems = read(put(tmp_path, "post/c.yaml", HEAD + line), TZ)
    assert problems == []
    assert comment.pinned is pinned


@pytest.mark.parametrize(("data", "words"), [(b"author: \"Ann\xff\"\n", "UTF-8"), (b"author: [\n", "line 1")])
def test_changed_bytes_names_the_file_it_cannot_read(tmp_path, data, words):
    path = tmp_path / "post" / "c.yaml"
    with pytest.raises(CommentFileError) as caught:
        changed_bytes(path, data, {"status": "approved"}, TZ)
    assert caught.value.problem.path == path
    assert str(caught.value).startswith(f"{path}:")


def test_new_id_is_in_utc_whatever_the_machine_s_time_zone(monkeypatch):
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        assert new_id(datetime(2010, 6, 2, 9, 15, 7, 123456, tzinfo=UTC)).startswith("20100602T091507123456-")
        before = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        made = new_id().split("-")[0]
        assert before <= made <= datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
    finally:
        monkeypatch.delenv("TZ")
        time.tzset()


def test_write_if_changed_flushes_by_default_and_only_then(tmp_path, monkeypatch):
    seen = names_while_flushing(monkeypatch, tmp_path)
    assert write_if_changed(tmp_path / "a.xml", b"<a/>", durable=False) is True
    assert seen == []
    assert write_if_changed(tmp_path / "b.xml", b"<b/>") is True
    assert seen != []


def _read_twice_then_count_reads(store: Path, path: Path, monkeypatch) -> int:
    """Read `path` through a cold cache and save it, then how often a warm cache reads it from disk."""
    _cached_once(store, path)
    seen = _reads_counted(monkeypatch)
    warm = ReadCache(store)
    assert warm.read(path, TZ)[1] == []
    warm.save()
    count = len(seen)
    monkeypatch.undo()
    return count


def test_a_status_kept_from_a_cached_read_is_kept_for_the_build_after(tmp_path, monkeypatch, files_still_at_once):
    path = put(tmp_path, "post/c.yaml", HEAD)
    store = tmp_path / "files-x.json"
    _cached_once(store, path)
    later = put(tmp_path, "post/d.yaml", HEAD)  # a new file, so the warm build saves its entries again
    warm = ReadCache(store)
    assert warm.read(path, TZ)[1] == [] and warm.read(later, TZ)[1] == [] and warm.hits == 1
    warm.save()
    seen = _reads_counted(monkeypatch)
    third = ReadCache(store)
    assert third.read(path, TZ)[1] == [] and third.read(later, TZ)[1] == []
    assert seen == [] and third.hits == 2


def test_a_file_counts_as_still_only_when_both_its_times_are_old_enough(tmp_path, monkeypatch):
    from pelican.plugins.reader_comments.comment_format import files

    old = put(tmp_path, "post/old.yaml", HEAD)
    past = time.time_ns() - 3_600 * 10**9
    os.utime(old, ns=(past, past))  # modified an hour ago, its change time is now
    assert _read_twice_then_count_reads(tmp_path / "a.json", old, monkeypatch) == 1
    ahead = put(tmp_path, "post/ahead.yaml", HEAD)
    future = time.time_ns() + 3_600 * 10**9
    os.utime(ahead, ns=(future, future))  # its change time is now, its modification time an hour ahead
    monkeypatch.setattr(files, "STILL_NS", -60 * 10**9)  # anything older than a minute from now is still
    assert _read_twice_then_count_reads(tmp_path / "b.json", ahead, monkeypatch) == 1
    monkeypatch.setattr(files, "STILL_NS", -60 * 10**9)
    assert _read_twice_then_count_reads(tmp_path / "c.json", old, monkeypatch) == 0


def test_a_file_changed_exactly_the_still_time_ago_is_not_yet_still(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from pelican.plugins.reader_comments.comment_format import files

    path = put(tmp_path, "post/c.yaml", HEAD)
    info = os.lstat(path)
    changed = max(info.st_mtime_ns, info.st_ctime_ns)
    monkeypatch.setattr(files, "time", SimpleNamespace(time_ns=lambda: changed + files.STILL_NS))
    assert _read_twice_then_count_reads(tmp_path / "a.json", path, monkeypatch) == 1
    monkeypatch.setattr(files, "time", SimpleNamespace(time_ns=lambda: changed + files.STILL_NS + 1))
    assert _read_twice_then_count_reads(tmp_path / "b.json", path, monkeypatch) == 0


def test_entries_spilled_during_a_build_are_let_go_and_saved_with_the_rest(tmp_path):
    from pelican.plugins.reader_comments.cache import JsonCache

    store = tmp_path / "cache-x.json"
    cache = JsonCache(store)
    cache.used = {f"few-{n}": n for n in range(10)}
    assert not cache.spill() and len(cache.used) == 10  # too few to be worth a scratch file
    early = {f"early-{n}": [f"<p>{n} \u201cq\u201d</p>", n] for n in range(5000)}
    cache.used.update(early)
    assert cache.spill() and cache.used == {}
    late = {f"late-{n}": {"n": n} for n in range(300)}
    cache.used = dict(late)
    assert not store.exists()
    cache.save()
    assert json.loads(store.read_text(encoding="utf-8")) == {**{f"few-{n}": n for n in range(10)}, **early, **late}
    # Spilled, then nothing more: the file still holds what was spilled.
    again = JsonCache(store)
    again.used = {f"k-{n}": n for n in range(4096)}
    assert again.spill()
    again.save()
    assert json.loads(store.read_text(encoding="utf-8")) == {f"k-{n}": n for n in range(4096)}


def test_a_read_cache_counts_the_files_it_spilled(tmp_path):
    store = tmp_path / "files-x.json"
    cache = ReadCache(store)
    cache.read(put(tmp_path, "post/first.yaml", HEAD), TZ)
    assert not cache.spill() and cache.files == 1  # too few entries to be worth a scratch file
    for n in range(4100):
        cache.read(put(tmp_path, f"post/c{n}.yaml", HEAD), TZ)
    assert cache.files == 4101
    assert cache.spill() and cache.used == {} and cache.files == 4101
    cache.read(put(tmp_path, "post/last.yaml", HEAD), TZ)
    assert cache.files == 4102
    cache.save()
    assert sum(not key.startswith("\0") for key in json.loads(store.read_text(encoding="utf-8"))) == 4102


def _listing_line(folder: Path, name: bytes) -> bytes:
    """One comment file's line of a folder's listing digest, from its own status."""
    info = os.lstat(os.path.join(os.fsencode(folder), name))
    return name + f"\0{info.st_size}\0{info.st_mtime_ns}\0{info.st_ctime_ns}\0{info.st_ino}\n".encode()


def test_a_folder_s_listing_digest_covers_each_comment_file_s_name_size_times_and_inode(tmp_path, monkeypatch):
    from pelican.plugins.reader_comments.comment_format import files

    monkeypatch.setattr(files, "STILL_NS", -60 * 10**9)  # anything changed up to a minute from now counts as still
    folder = tmp_path / "post"
    assert folder_listing(folder) is None  # no folder
    folder.mkdir()
    assert folder_listing(folder) == (hashlib.sha256(b"").hexdigest(), frozenset())
    put(tmp_path, "post/b.yaml", HEAD)
    put(tmp_path, "post/a.yml", HEAD + "\n")
    put(tmp_path, "post/notes.txt", "x")
    put(tmp_path, "post/.hidden.yaml", HEAD)
    with open(os.path.join(os.fsencode(folder), b"c\xff.yaml"), "wb") as odd:  # a name that is not UTF-8
        odd.write(HEAD.encode())
    expected = b"".join(_listing_line(folder, name) for name in (b"a.yml", b"b.yaml", b"c\xff.yaml"))
    listing = folder_listing(folder)
    assert (listing.digest, listing.fresh) == (hashlib.sha256(expected).hexdigest(), frozenset())
    (folder / "d.yaml").symlink_to(folder / "b.yaml")
    assert folder_listing(folder) is None  # a link is never trusted by its listing
    (folder / "d.yaml").unlink()
    (folder / "e.yaml").mkdir()
    assert folder_listing(folder) is None


def test_a_folder_s_listing_names_the_files_not_yet_still_and_covers_them_too(tmp_path, monkeypatch):
    from types import SimpleNamespace

    from pelican.plugins.reader_comments.comment_format import files

    path = put(tmp_path, "post/c.yaml", HEAD)
    info = os.lstat(path)
    changed = max(info.st_mtime_ns, info.st_ctime_ns)
    expected = hashlib.sha256(_listing_line(path.parent, b"c.yaml")).hexdigest()
    assert folder_listing(path.parent) == (expected, frozenset({"c.yaml"}))  # just written
    monkeypatch.setattr(files, "time", SimpleNamespace(time_ns=lambda: changed + files.STILL_NS))
    assert folder_listing(path.parent) == (expected, frozenset({"c.yaml"}))
    monkeypatch.setattr(files, "time", SimpleNamespace(time_ns=lambda: changed + files.STILL_NS + 1))
    assert folder_listing(path.parent) == (expected, frozenset())
    later = put(tmp_path, "post/a.yaml", HEAD)
    os.utime(later, ns=(info.st_atime_ns, changed + 2 * files.STILL_NS))  # modified after "now": not still
    expected = hashlib.sha256(_listing_line(path.parent, b"a.yaml") + _listing_line(path.parent, b"c.yaml")).hexdigest()
    assert folder_listing(path.parent) == (expected, frozenset({"a.yaml"}))


def test_a_content_digest_is_the_sha_256_of_the_file_s_bytes_or_none(tmp_path):
    path = put(tmp_path, "post/c.yaml", HEAD)
    assert content_digest(path) == hashlib.sha256(HEAD.encode()).hexdigest()
    assert content_digest(tmp_path / "post/missing.yaml") is None
    (tmp_path / "post/link.yaml").symlink_to(path)
    assert content_digest(tmp_path / "post/link.yaml") is None


def test_folder_files_lists_comment_files_and_links_by_name_and_comment_files_skips_named_folders(tmp_path):
    for name in ("post/b.yaml", "post/a.yml", "post/notes.txt", "post/.c.yaml", "other/z.yaml", "third/y.yaml"):
        put(tmp_path, name, HEAD)
    (tmp_path / "post" / "d.yaml").symlink_to(tmp_path / "post" / "b.yaml")
    (tmp_path / "post" / "e.yaml").mkdir()
    post = tmp_path / "post"
    assert list(folder_files(str(post))) == [post / "a.yml", post / "b.yaml", post / "d.yaml"]
    assert list(comment_files(tmp_path, skip={"post", "third"})) == [tmp_path / "other" / "z.yaml"]
    assert list(comment_files(tmp_path, skip=())) == [
        tmp_path / "other" / "z.yaml", post / "a.yml", post / "b.yaml", post / "d.yaml", tmp_path / "third" / "y.yaml"]


def test_keep_folders_keeps_the_entries_of_files_in_the_named_folders_only(tmp_path, files_still_at_once):
    store = tmp_path / "files-x.json"
    cold = ReadCache(store)
    for name in ("post/a.yaml", "post/b.yaml", "other/c.yaml", "postal/d.yaml"):
        cold.read(put(tmp_path, name, HEAD), TZ)
    cold.save()
    kept = ReadCache(store)
    kept.keep_folders({str(tmp_path / "post"), str(tmp_path / "nothing")})
    paths = sorted({key.split("\0")[2] if key.startswith("\0") else key.split("\0")[0] for key in kept.used})
    assert paths == [str(tmp_path / "post" / "a.yaml"), str(tmp_path / "post" / "b.yaml")]
    assert len(kept.used) == 4  # a status and a digest entry for each
    assert all(kept.used[key] == kept.entries[key] for key in kept.used)
