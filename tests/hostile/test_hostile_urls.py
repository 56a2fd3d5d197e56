r"""Website URLs whose host the validator and browsers read differently: user information and backslashes.

`https://a.example\@b.example/` is a.example to a browser (a backslash ends the
host in http URLs) and b.example to Python's urlsplit; `https://b.example@a.example/`
shows b.example to a reader and goes to a.example. Both are refused, by the
validator and by the intake.
"""

from __future__ import annotations

from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from hostile_support import DATE
from pelican.plugins.reader_comments import comment_format
from support.comments import write_comment
from support.intake import IntakeServer, post_form

TZ = ZoneInfo("America/New_York")

REFUSED = [
    "https://a.example\\@b.example/",
    "https://b.example@a.example/",
    "https://user:pass@a.example/",
    "https://@a.example/",
    "http://a.example\\b.example/",
    "https://a.example\\",
    "https://a.example/path\\..\\admin",
    "HTTPS://b.example@A.example",
    "https://b.example%40c.example@a.example/",
]
ACCEPTED = [
    "https://a.example/",
    "https://a.example/~ann/@home",
    "https://a.example/?who=@ann",
    "https://a.example:8443/path#frag@ment",
    "http://[2001:db8::1]/",
]


def _read(tmp_path: Path, website: str) -> list[str]:
    """The problems the loader reports for an approved comment with `website`."""
    fields = {"author": "Ann", "date": DATE, "status": "approved", "body": "Hello.", "website": website}
    path = write_comment(tmp_path / "post", "c1.yaml", fields)
    comment, problems = comment_format.read(path, TZ)
    assert (comment is None) == bool(problems)
    return [problem.message for problem in problems]


@pytest.mark.parametrize("website", REFUSED)
def test_validator_refuses_userinfo_and_backslashes(tmp_path: Path, website: str) -> None:
    problems = _read(tmp_path, website)
    assert problems and all("'website'" in message for message in problems), problems


@pytest.mark.parametrize("website", ACCEPTED)
def test_validator_accepts_plain_addresses(tmp_path: Path, website: str) -> None:
    assert _read(tmp_path, website) == []


def _post(server: IntakeServer, website: str) -> tuple[int, dict]:
    """POST a valid form with `website`; the status and the JSON answer."""
    reply = post_form(server.port, {"article": "dinner-guest", "author": "Ann Reader", "body": "Thanks.", "website": website})
    return reply.status, reply.json()


@pytest.mark.parametrize("website", REFUSED)
def test_intake_refuses_userinfo_and_backslashes(open_intake: IntakeServer, website: str) -> None:
    status, answer = _post(open_intake, website)
    assert status == 400, answer
    assert list(answer["errors"]) == ["website"]
    # Both refused addresses start with https://, so the message must name what is wrong.
    assert "@" in answer["errors"]["website"] and "backslash" in answer["errors"]["website"], answer


@pytest.mark.parametrize("website", ACCEPTED)
def test_intake_accepts_plain_addresses(open_intake: IntakeServer, website: str) -> None:
    status, answer = _post(open_intake, website)
    assert status == 201, answer
