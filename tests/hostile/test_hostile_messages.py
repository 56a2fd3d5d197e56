"""Every broken comment file of the corpus, and the problems the loader reports for it, word for word.

test_hostile_files.py checks that each error names the file and line and holds the
case's key words; this file pins the whole message and line of every problem, so a
reworded, misplaced or dropped detail fails too. The texts are what a moderator reads.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from corpus import BAD_FILES, BadFile

from hostile_support import bad_file_name, write_bytes
from pelican.plugins.reader_comments import comment_format

TZ = ZoneInfo("America/New_York")
FILE_CASES = [case for case in BAD_FILES if not case.thread]
DATE_RULE = "'date' is not valid: ISO 8601 date-time. Without an offset it is read in the site's TIMEZONE."
REPLY_RULE = "'reply_to' is not valid: Id of the comment this one answers, in the same article folder."
BAD_NAME = "the file name must be a comment id: 1 to 64 of A-Z a-z 0-9 _ -"

MESSAGES: dict[str, list[tuple[int | None, str]]] = {
    'yaml-unclosed-flow': [(7, "invalid YAML: did not find expected ',' or ']'")],
    'yaml-unclosed-quote': [(1, 'invalid YAML: the value of \'author\' opens a quote (") that is never closed: end the line with "')],
    'yaml-tab-indent': [(5, 'invalid YAML: the line is indented with a tab; YAML indents with spaces only: replace the tab with two spaces')],
    'yaml-bad-indent': [(2, 'invalid YAML: mapping values are not allowed in this context')],
    'yaml-colon-in-plain': [(1, 'invalid YAML: mapping values are not allowed in this context')],
    'yaml-stray-bracket': [(1, 'invalid YAML: did not find expected node content')],
    'yaml-deep-flow': [(1, 'values are nested more than 64 levels deep')],
    'yaml-deep-closed': [(1, 'values are nested more than 64 levels deep')],
    'yaml-deep-block': [(2, 'values are nested more than 64 levels deep')],
    'yaml-deep-flow-map': [(1, 'values are nested more than 64 levels deep')],
    'alias-billion-laughs': [(1, 'anchors and aliases (& and *) are not allowed')],
    'alias-simple': [(1, 'anchors and aliases (& and *) are not allowed')],
    'alias-merge-key': [(1, 'anchors and aliases (& and *) are not allowed')],
    'tag-python-object-apply': [(1, "YAML tags such as 'tag:yaml.org,2002:python/object/apply:os.system' are not allowed")],
    'tag-python-name': [(4, "YAML tags such as 'tag:yaml.org,2002:python/name:os.system' are not allowed")],
    'tag-python-module': [(1, "YAML tags such as 'tag:yaml.org,2002:python/module:os' are not allowed")],
    'tag-python-verbatim': [(1, "YAML tags such as 'tag:yaml.org,2002:python/object/new:os.system' are not allowed")],
    'tag-directive': [(3, "YAML tags such as 'tag:yaml.org,2002:python/object:os.system' are not allowed")],
    'tag-binary': [(4, "YAML tags such as 'tag:yaml.org,2002:binary' are not allowed")],
    'tag-set': [(1, "YAML tags such as 'tag:yaml.org,2002:set' are not allowed")],
    'tag-local': [(3, "YAML tags such as '!approved' are not allowed")],
    'dup-status': [(6, "field 'status' appears twice (first on line 3)")],
    'dup-quoted-key': [(6, "field 'author' appears twice (first on line 1)")],
    'dup-body': [(6, "field 'body' appears twice (first on line 4)")],
    'bom-utf16': [(1, 'file is not valid UTF-8 (byte 0)')],
    'utf16-no-bom': [(1, 'invalid YAML: character #x0000: control characters are not allowed')],
    'utf32': [(1, 'file is not valid UTF-8 (byte 0)')],
    'invalid-utf8': [(5, 'file is not valid UTF-8 (byte 72)')],
    'overlong-utf8': [(1, 'file is not valid UTF-8 (byte 11)')],
    'surrogate-utf8': [(5, 'file is not valid UTF-8 (byte 74)')],
    'truncated-utf8': [(6, 'file is not valid UTF-8 (byte 88)')],
    'latin1': [(1, 'file is not valid UTF-8 (byte 12)')],
    'raw-nul': [(5, 'invalid YAML: character #x0000: control characters are not allowed')],
    'raw-escape-char': [(1, 'invalid YAML: character #x001b: control characters are not allowed')],
    'raw-noncharacter': [(5, 'invalid YAML: character #xffff: control characters are not allowed')],
    'empty': [(None, 'file is empty; a comment file holds one YAML mapping')],
    'whitespace-only': [(None, 'file is empty; a comment file holds one YAML mapping')],
    'comment-only': [(None, 'file is empty; a comment file holds one YAML mapping')],
    'document-marker-only': [(2, 'a comment file must be a mapping of fields (author: ..., body: ...)')],
    'null-document': [(1, 'a comment file must be a mapping of fields (author: ..., body: ...)')],
    'multi-document': [(6, 'invalid YAML: file holds more than one YAML document; keep one mapping per file')],
    'multi-document-end-marker': [(7, 'invalid YAML: file holds more than one YAML document; keep one mapping per file')],
    'ten-megabytes': [(None, 'file is too large; a comment file may be at most 131,072 bytes')],
    'ten-megabytes-brackets': [(None, 'file is too large; a comment file may be at most 131,072 bytes')],
    'just-over-128k': [(None, 'file is too large; a comment file may be at most 131,072 bytes')],
    'two-thousand-keys': [
        (6, "unknown field 'k0'"),
        (7, "unknown field 'k1'"),
        (8, "unknown field 'k2'"),
        (9, "unknown field 'k3'"),
        (10, "unknown field 'k4'"),
        (11, "unknown field 'k5'"),
        (12, "unknown field 'k6'"),
        (13, "unknown field 'k7'"),
        (14, "unknown field 'k8'"),
        (15, "unknown field 'k9'"),
        (None, '... and 1990 more problems in this file'),
    ],
    'author-list': [(1, "'author' must be text")],
    'author-mapping': [(1, "'author' must be text")],
    'body-list': [(4, "'body' must be text")],
    'status-mapping': [(3, "'status' must be one of: pending, approved, rejected, spam (got {})")],
    'date-list': [(2, "'date' must be text")],
    'reply-to-list': [(6, "'reply_to' must be text")],
    'top-level-list': [(1, 'a comment file must be a mapping of fields (author: ..., body: ...)')],
    'top-level-text': [(1, 'a comment file must be a mapping of fields (author: ..., body: ...)')],
    'top-level-block': [(1, 'a comment file must be a mapping of fields (author: ..., body: ...)')],
    'key-is-a-list': [(1, 'field names must be plain words')],
    'key-is-complex': [(1, 'field names must be plain words')],
    'unknown-typo': [
        (1, "required field 'status' is missing"),
        (3, "unknown field 'stauts'; did you mean 'status'?"),
    ],
    'unknown-email': [(6, "unknown field 'email'")],
    'unknown-ip': [(6, "unknown field 'ip'")],
    'unknown-html': [(6, "unknown field 'html'")],
    'unknown-published': [(6, "unknown field 'published'")],
    'status-capitalised': [(3, "'status' must be one of: pending, approved, rejected, spam (got 'Approved'); did you mean 'approved'?")],
    'status-trailing-space': [(3, "'status' must be one of: pending, approved, rejected, spam (got 'approved␠', ␠ marking a stray space at the end);"
                                  " did you mean 'approved'?")],
    'role-admin': [(6, "'role' must be one of: author, moderator (got 'admin')")],
    'author-too-long': [(1, "'author' is longer than 80 characters")],
    'body-too-long': [(4, "'body' is longer than 10,000 characters")],
    'note-too-long': [(6, "'note' is longer than 2,000 characters")],
    'escaped-nul': [(4, "'body' contains control characters or invalid Unicode")],
    'escaped-surrogate': [(1, 'invalid YAML: found invalid Unicode character escape code')],
    'escaped-noncharacter': [(1, "'author' contains control characters or invalid Unicode")],
    'date-feb-30': [(2, "'date' is not a real date-time: '2010-02-30T09:00:00'")],
    'date-words': [(2, DATE_RULE)],
    'date-hour-25': [(2, "'date' is not a real date-time: '2010-06-02T25:00:00'")],
    'date-offset-99': [(2, "'date' is not a real date-time: '2010-06-02T09:15:00+99:99'")],
    'date-overflows-utc': [(2, "'date' is not a real date-time: '9999-12-31T23:59:59-23:59'")],
    'date-underflows-utc': [(2, "'date' is not a real date-time: '0001-01-01T00:00:00+14:00'")],
    'date-only': [(2, DATE_RULE)],
    'date-empty': [(2, DATE_RULE)],
    'date-null': [(2, "'date' must be text")],
    'reply-to-parent-dir': [(6, REPLY_RULE)],
    'reply-to-dots': [(6, REPLY_RULE)],
    'reply-to-absolute': [(6, REPLY_RULE)],
    'reply-to-encoded': [(6, REPLY_RULE)],
    'reply-to-self': [(6, 'a comment cannot reply to itself')],
    'name-with-spaces': [(None, BAD_NAME)],
    'name-with-dot': [(None, BAD_NAME)],
    'name-non-ascii': [(None, BAD_NAME)],
    'name-too-long': [(None, BAD_NAME)],
}


def test_every_file_case_has_its_messages() -> None:
    assert set(MESSAGES) == {case.name for case in FILE_CASES}


@pytest.mark.parametrize("case", FILE_CASES, ids=[case.name for case in FILE_CASES])
def test_loader_reports_exactly(tmp_path: Path, case: BadFile) -> None:
    path = write_bytes(tmp_path / "delta", bad_file_name(case), case.data)
    comment, problems = comment_format.read(path, TZ)
    assert comment is None
    assert [(p.line, p.message) for p in problems] == MESSAGES[case.name]
    assert all(p.path == path and p.related == () for p in problems)
