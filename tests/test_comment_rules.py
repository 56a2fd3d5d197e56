"""The format's shared rules on their own, and the YAML reader's decoding and hints.

Guessing a meant choice, showing stray spaces, plain or quoted scalars, wording
schema errors, dropping a byte-order mark, and where a hint is looked for.

Expected texts are literals written here, never built from the rules under test.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from pelican.plugins.reader_comments.comment_format import CommentFileError, decode, parse
from pelican.plugins.reader_comments.comment_format.rules import near_choice, plain_or_quote, schema_message, visible

STATUSES = ["pending", "approved", "rejected", "spam", None]
PATH = Path("post/c1.yaml")


@pytest.mark.parametrize(
    ("value", "meant"),
    [
        (" Approved ", "approved"),
        ("SPAM", "spam"),
        ("aproved", "approved"),
        ("rejectd", "rejected"),
        ("pend", None),  # a ratio of 8/11 with "pending": under the 0.75 cutoff
        ("yes", None),
        ("   ", None),
        ("", None),
        (3, None),
        (None, None),
    ],
)
def test_near_choice_finds_the_word_in_other_case_or_a_near_spelling(value, meant):
    assert near_choice(value, STATUSES) == meant


def test_near_choice_prefers_the_same_word_in_other_case_to_any_spelling():
    assert near_choice("abcd", ["ABCD"]) == "ABCD"
    assert near_choice("Bca", ["bca", "abc"]) == "bca"
    assert near_choice("x", [None, 1]) is None


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("pending", "'pending'"),
        ("   ", "'   '"),
        ("", "''"),
        ("  pending ", "'␠␠pending␠', ␠ marking a stray space at both ends"),
        (" pending", "'␠pending', ␠ marking a stray space at the start"),
        ("pending  ", "'pending␠␠', ␠ marking a stray space at the end"),
        (" \tXpendingX ", "'␠\tXpendingX␠', ␠ marking a stray space at both ends"),
    ],
)
def test_visible_marks_stray_spaces_at_the_ends(value, shown):
    assert visible(value) == shown


@pytest.mark.parametrize(
    ("value", "written"),
    [
        ("pending", "pending"),
        ("c-1_x", "c-1_x"),
        ("null", '"null"'),
        ("Null", '"Null"'),
        ("NULL", '"NULL"'),
        ("nullish", "nullish"),
        ("#x", '"#x"'),
        ("a: b", '"a: b"'),
        ("", '""'),
    ],
)
def test_plain_or_quote_quotes_only_what_yaml_would_read_otherwise(value, written):
    assert plain_or_quote(value) == written


def test_schema_message_words_other_keywords_with_jsonschema_s_own_message():
    schema = {"type": "object", "properties": {"a": {"const": 1}}, "additionalProperties": False}
    errors = sorted(Draft202012Validator(schema).iter_errors({"a": 2, "b": 1}), key=lambda e: e.validator)
    assert [schema_message(error) for error in errors] == [
        "Additional properties are not allowed ('b' was unexpected)",
        "'a': 1 was expected",
    ]


def test_decode_drops_only_a_leading_byte_order_mark():
    bom = b"\xef\xbb\xbf"
    assert decode(PATH, bom + b"author: Ann\n") == "author: Ann\n"
    assert decode(PATH, b"author: Ann" + bom) == "author: Ann\ufeff"
    assert decode(PATH, "é".encode()) == "é"


def test_a_hint_is_looked_for_only_up_to_the_line_after_the_error():
    text = "author: a: b\nbody: x\nstatus: approved\ndate: x\n\tnote: y\n"
    with pytest.raises(CommentFileError) as caught:
        parse(PATH, text)
    assert str(caught.value) == "post/c1.yaml:1: invalid YAML: mapping values are not allowed in this context"
