"""The typed options object: one field per COMMENTS_* default, resolved once per build."""

from __future__ import annotations

import dataclasses

import pytest

from pelican.plugins.reader_comments.settings import DEFAULTS, OPTIONS_KEY, Options, options_of


def test_every_setting_has_one_field_named_after_it() -> None:
    fields = {field.name for field in dataclasses.fields(Options)}
    assert fields == {name.removeprefix("COMMENTS_").lower() for name in DEFAULTS}
    assert "max_indent" in fields and "git_branch" in fields


def test_settings_override_defaults_and_lists_become_tuples() -> None:
    options = Options.from_settings({"COMMENTS_MAX_INDENT": 2, "COMMENTS_MODERATORS": ["Ann", "Bo"]})
    assert options.max_indent == 2
    assert options.moderators == ("Ann", "Bo")
    assert options.default_mode == "open"
    assert options.feed_atom == "feeds/comments/{slug}.atom.xml"
    assert options.allowed_origins == ()


def test_a_list_setting_given_as_none_or_one_value() -> None:
    assert Options.from_settings({"COMMENTS_MODERATORS": None}).moderators == ()
    assert Options.from_settings({"COMMENTS_MODERATORS": "Ann"}).moderators == ("Ann",)


def test_options_cannot_change_once_resolved() -> None:
    options = Options.from_settings({})
    with pytest.raises(dataclasses.FrozenInstanceError):
        options.strict = True  # type: ignore[misc]


def test_a_build_reads_the_options_resolved_at_start() -> None:
    resolved = Options.from_settings({"COMMENTS_STRICT": True})
    settings = {"COMMENTS_STRICT": False, OPTIONS_KEY: resolved}
    assert options_of(settings) is resolved
    assert options_of({"COMMENTS_STRICT": True}).strict is True
