"""The optional Akismet check: the real intake and the real client library, talking to a local Akismet stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from support.akismet import akismet_stand_in
from support.intake import free_port, launch, post_form

READER_IP = "127.0.0.29"
RULES = "spam:\n  phrases: [casino bonus]\n"


@pytest.fixture
def akismet() -> Iterator[tuple[str, list[dict[str, list[str]]]]]:
    """The stand-in on 127.0.0.1: its address and the requests it received."""
    with akismet_stand_in() as found:
        yield found


def start(tmp_path: Path, endpoint: str):
    """The intake with the Akismet check on, pointed at `endpoint`, and a rules file."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    env = {"COMMENTS_AKISMET_KEY": "test-key-123", "COMMENTS_AKISMET_ENDPOINT": endpoint,
           "COMMENTS_SPAM_RULES": str(rules), "COMMENTS_RATE_LIMIT": "0"}
    return launch(tmp_path, env)


def stored(server, reply) -> dict[str, str]:
    """The fields of the file written for a reply."""
    assert reply.status == 201, reply.text
    path = server.content / "dinner-guest" / f"{reply.json()['id']}.yaml"
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)


def form(body: str) -> dict[str, str]:
    """A reader's form."""
    return {"article": "dinner-guest", "author": "Reader", "body": body, "website": "https://reader.example/"}


def test_akismet_marks_spam_and_is_told_what_the_docs_say(tmp_path, akismet):
    endpoint, seen = akismet
    with start(tmp_path, endpoint) as server:
        spam = stored(server, post_form(server.port, form("spammy words here"), source=READER_IP, User_Agent="TestBrowser/1.0"))
        clean = stored(server, post_form(server.port, form("How do I seat twelve guests?")))
    assert spam["status"] == "spam" and spam["note"] == "spam rules: spam: Akismet says spam"
    assert clean["status"] == "pending" and "note" not in clean
    asked = seen[0]
    assert asked["path"] == ["/1.1/comment-check"]
    assert asked["api_key"] == ["test-key-123"]
    assert asked["user_ip"] == [READER_IP] and asked["user_agent"] == ["TestBrowser/1.0"]
    assert asked["comment_author"] == ["Reader"] and asked["comment_author_url"] == ["https://reader.example/"]
    assert asked["comment_content"] == ["spammy words here"]
    assert asked["permalink"] == ["https://guide.example/2011/dinner-guest/"]
    assert asked["blog"] == ["https://guide.example"]
    assert READER_IP not in (tmp_path / "service.log").read_text(encoding="utf-8")
    assert READER_IP not in "".join(p.read_text(encoding="utf-8") for p in server.content.rglob("*.yaml"))


def test_the_local_rules_come_first(tmp_path, akismet):
    endpoint, seen = akismet
    with start(tmp_path, endpoint) as server:
        fields = stored(server, post_form(server.port, form("casino bonus, spammy")))
    assert fields["note"] == "spam rules: spam: phrase 'casino bonus'"
    assert seen == []


def test_no_answer_keeps_the_comment_pending(tmp_path):
    with start(tmp_path, f"http://127.0.0.1:{free_port()}") as server:
        fields = stored(server, post_form(server.port, form("spammy but nobody answers")))
    assert fields["status"] == "pending"
    log = (tmp_path / "service.log").read_text(encoding="utf-8")
    assert "Akismet gave no answer" in log and "test-key-123" not in log


def test_off_by_default(tmp_path, akismet):
    _, seen = akismet
    with launch(tmp_path, {"COMMENTS_RATE_LIMIT": "0"}) as server:
        fields = stored(server, post_form(server.port, form("spammy")))
    assert fields["status"] == "pending" and seen == []
