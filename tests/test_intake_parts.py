"""The intake's pieces in the test's own process: the form's checks, its files on disk, and its configuration.

The service's own tests run it in a process of its own (as it runs for real); these
call the functions it is made of directly, with exact messages and bounds, so that
a mutant of form.py, storage.py or config.py is seen.
"""

from __future__ import annotations

import asyncio
import errno
import json
import logging
import os
import secrets
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from starlette.requests import Request

from pelican.plugins.reader_comments.intake import config, form, storage
from pelican.plugins.reader_comments.intake.form import Rejected, Submission
from support.git import sh
from support.logs import forget_logged_warnings


@pytest.fixture(autouse=True)
def _fresh_log_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees its own warnings, whatever was logged before it."""
    forget_logged_warnings(monkeypatch)


# ---------------------------------------------------------------- form: refusals


@pytest.mark.parametrize(("status", "words"), [
    (400, ("Your comment was not sent", "Correct what is listed here and send it again.")),
    (413, ("Your comment was not sent", "Correct what is listed here and send it again.")),
    (429, ("Please wait a moment before sending", "Nothing needs correcting: wait as long as it says here, then send it again.")),
    (503, ("Comments cannot be taken right now", "Nothing needs correcting: please send it again later.")),
    (403, ("This comment cannot be sent here", "It cannot be sent from this page, for the reason listed here.")),
    (404, ("This comment cannot be sent here", "What it answers is not here any more, as listed here.")),
])
def test_each_cause_of_a_refusal_has_its_own_words(status: int, words: tuple[str, str]) -> None:
    assert form.refusal_words(status) == words


def test_a_rejection_carries_its_status_messages_and_wait() -> None:
    rejected = Rejected(429, {"request": "Wait."}, 30)
    assert (str(rejected), rejected.status, rejected.errors, rejected.retry_after) == ("429: {'request': 'Wait.'}", 429, {"request": "Wait."}, 30)
    assert Rejected(400, {}).retry_after is None


def test_a_submission_gives_the_pending_file_s_fields_and_knows_its_own_comment() -> None:
    submission = Submission("hats", "Ann", "Hi.", "https://ann.example/", "c1")
    before = datetime.now(UTC).replace(microsecond=0)
    fields = submission.fields(ZoneInfo("Asia/Tokyo"))
    date = fields.pop("date")
    assert fields == {"author": "Ann", "status": "pending", "body": "Hi.", "reply_to": "c1", "website": "https://ann.example/"}
    assert isinstance(date, str) and date.endswith("+09:00") and "." not in date
    assert before <= datetime.fromisoformat(date) <= datetime.now(UTC)


# ---------------------------------------------------------------- form: parsing


def test_a_form_is_decoded_into_single_fields() -> None:
    assert form.parse_form(b"author=Ann+Lee&body=a%26b&empty=&x=1&x=2") == {"author": "Ann Lee", "body": "a&b", "empty": "", "x": "2"}
    assert form.parse_form(b"&".join(b"f%d=1" % n for n in range(20))) == {f"f{n}": "1" for n in range(20)}


@pytest.mark.parametrize(("body", "errors"), [
    (b"author=\xff", {"request": "The form is not valid UTF-8."}),
    (b"author=%ff", {"request": "The form is not valid UTF-8."}),
    (b"&".join(b"f%d=1" % n for n in range(21)), {"request": "The form has more than 20 fields."}),
    (b"author=a&author=b&homepage=&homepage=&email=x&email=y&body=1",
     {"author": "Name was sent more than once.", "homepage": "homepage was sent more than once.",
      "email": "E-mail address was sent more than once."}),
])
def test_a_form_that_cannot_be_read_as_one_value_per_field_is_refused(body: bytes, errors: dict[str, str]) -> None:
    with pytest.raises(Rejected) as caught:
        form.parse_form(body)
    assert (caught.value.status, caught.value.errors) == (400, errors)


@pytest.mark.parametrize(("name", "raw", "required", "result"), [
    ("author", "  Ann  ", True, ("Ann", None)),
    ("author", "", True, (None, "Name is required.")),
    ("website", "  ", False, (None, None)),
    ("author", "Ann\nLee", True, (None, "Name must be on a single line.")),
    ("author", "Ann\u2028Lee", True, (None, "Name must be on a single line.")),
    ("reply_to", "c\x01", False, (None, "Reply contains control characters.")),
    ("author", "\u200b\u200b", True, (None, "Name must have something visible: it holds only invisible characters.")),
    ("author", "A" * 80, True, ("A" * 80, None)),
    ("author", "A" * 81, True, (None, "Name must be at most 80 characters.")),
    ("article", "a" * 200, True, ("a" * 200, None)),
    ("article", "a" * 201, True, (None, "Article must be at most 200 characters.")),
    ("website", "https://" + "w" * 246, False, ("https://" + "w" * 246, None)),
    ("website", "https://" + "w" * 1247, False, (None, "Website must be at most 254 characters.")),
])
def test_a_one_line_field_is_stripped_or_its_fault_named(
    name: str, raw: str, required: bool, result: tuple[str | None, str | None]
) -> None:
    assert form.check_line(name, raw, required) == result


@pytest.mark.parametrize(("raw", "result"), [
    ("  One\r\ntwo\rthree\u2028four  \n", ("One\ntwo\nthree\nfour", None)),
    ("a\x00b", (None, "Comment contains control characters.")),
    (" \n\t ", (None, "Comment is required.")),
    ("b" * 10_000, ("b" * 10_000, None)),
    ("b" * 10_001, (None, "Comment must be at most 10,000 characters (it has 10,001).")),
])
def test_the_comment_text_is_normalised_or_its_fault_named(raw: str, result: tuple[str | None, str | None]) -> None:
    assert form.check_body(raw) == result


def test_a_field_is_optional_unless_said_otherwise() -> None:
    assert form.check_line("website", "") == (None, None)


def test_a_submission_matches_only_the_comment_holding_exactly_it() -> None:
    submission = Submission("hats", "Ann", "Hi.", None, "c1")
    assert submission.matches(SimpleNamespace(author="Ann", body="Hi.", website=None, reply_to="c1"))
    assert not submission.matches(SimpleNamespace(author="Ann", body="Hi!", website=None, reply_to="c1"))


def test_a_valid_form_is_a_submission() -> None:
    sent = {"article": " hats ", "author": "Ann", "body": "Hi.", "website": "https://ann.example/", "reply_to": "c1"}
    assert form.validate(sent) == Submission("hats", "Ann", "Hi.", "https://ann.example/", "c1")
    assert form.validate({"article": "hats", "author": "Ann", "body": "Hi."}) == Submission("hats", "Ann", "Hi.", None, None)


@pytest.mark.parametrize(("sent", "errors"), [
    ({}, {"article": "Article is required.", "author": "Name is required.", "body": "Comment is required."}),
    ({"article": ".hidden", "author": "A", "body": "b"}, {"article": "Article is not a valid article name."}),
    ({"article": "a/b", "author": "A", "body": "b"}, {"article": "Article is not a valid article name."}),
    ({"article": "a\\b", "author": "A", "body": "b"}, {"article": "Article is not a valid article name."}),
    ({"article": "a", "author": "A", "body": "b", "website": "ftp://x.example/"},
     {"website": "Website must be a web address starting with http:// or https://, with no user name or password (@) "
                 "and no backslash."}),
    ({"article": "a", "author": "A", "body": "b", "reply_to": "not an id"}, {"reply_to": "Reply is not a valid comment id."}),
    ({"article": "a", "author": "A\n", "body": "\x00", "website": "x\n"},
     {"author": "Name must be on a single line.", "website": "Website must be on a single line.",
      "body": "Comment contains control characters."}),
])
def test_every_bad_field_is_named_at_once(sent: dict[str, str], errors: dict[str, str]) -> None:
    with pytest.raises(Rejected) as caught:
        form.validate(sent)
    assert (caught.value.status, caught.value.errors) == (400, errors)


@pytest.mark.parametrize(("accept", "json_wanted"), [
    ("application/json;q=0.5, text/html;q=0.4", True),
    ("application/json;q=0.4, text/html;q=0.5", False),
    ("application/json;q=0.5, text/*;q=0.4", True),
    ("text/*;q=0.6, application/json;q=0.5", False),
    ("*/*;q=0.2, application/*;q=0.3", True),
    ("application/*;q=0.3, application/json;q=0.1, text/html;q=0.2", False),
    ("APPLICATION/JSON", True),
    ("application/json; Q=0.1, text/html;q=0.2", False),
    ("application/json;q=5, text/html;q=0.9", True),
    ("application/json;q=-1, text/html;q=0", False),
    ("application/json;q=nan, text/html;q=0", False),
    ("application/json;q=inf, text/html;q=0.5", False),
    ("application/json;level=1, text/html;q=0.9", True),
    ("text/html;q=0.9, application/json, application/json;q=0", True),
    ("   ", False),
    ("text/html;q=0.5, */*;q=0.9", True),
    ("application/json;q=0.1=0.9, text/html;q=0.5", False),
    ("application/json;q=bogus, text/html;q=0.2", False),
    ("application/json;q=5, text/html", False),
])
def test_json_is_answered_when_the_client_ranks_it_above_html(accept: str, json_wanted: bool) -> None:
    assert form.wants_json(accept) is json_wanted


@pytest.mark.parametrize("value", [
    "application/x-www-form-urlencoded", "Application/X-WWW-Form-Urlencoded ; charset=UTF-8",
    'application/x-www-form-urlencoded; charset="utf8"', "application/x-www-form-urlencoded; boundary=x",
])
def test_a_utf8_urlencoded_form_is_accepted(value: str) -> None:
    form.check_content_type(value)


@pytest.mark.parametrize(("value", "message"), [
    ("multipart/form-data", "Send the form as application/x-www-form-urlencoded."),
    ("", "Send the form as application/x-www-form-urlencoded."),
    ("application/x-www-form-urlencoded; charset=latin-1", "Send the form in UTF-8."),
    ("application/x-www-form-urlencoded; CHARSET = iso-8859-1", "Send the form in UTF-8."),
    ("application/x-www-form-urlencoded; charset=utf-8=x", "Send the form in UTF-8."),
    ("application/x-www-form-urlencoded; charset=Xutf-8X", "Send the form in UTF-8."),
])
def test_another_form_type_or_charset_is_refused(value: str, message: str) -> None:
    with pytest.raises(Rejected) as caught:
        form.check_content_type(value)
    assert (caught.value.status, caught.value.errors) == (415, {"request": message})


def test_a_declared_length_must_be_a_number_within_the_cap() -> None:
    form.check_length(None, 10)
    form.check_length(" 1000 ", 1000)
    for value, status, message in [("abc", 400, "The Content-Length header is not a number."),
                                   ("-1", 400, "The Content-Length header is not a number."),
                                   ("1001", 413, "The form is larger than 1,000 bytes.")]:
        with pytest.raises(Rejected) as caught:
            form.check_length(value, 1000)
        assert (caught.value.status, caught.value.errors) == (status, {"request": message})


def request_sending(*chunks: bytes) -> Request:
    """A request whose body arrives in these chunks."""
    messages = [{"type": "http.request", "body": chunk, "more_body": n < len(chunks) - 1} for n, chunk in enumerate(chunks)]

    async def receive() -> dict[str, object]:
        return messages.pop(0)

    return Request({"type": "http", "method": "POST", "headers": [], "path": "/"}, receive)


def read_body(request: Request, cap: int) -> bytes:
    """`form.read_body` run on an event loop of its own, in a thread of its own (this one may have a loop running)."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, form.read_body(request, cap)).result()


def test_the_body_is_read_whole_up_to_the_cap_and_refused_past_it() -> None:
    assert read_body(request_sending(b"abc", b"def", b"g"), 7) == b"abcdefg"
    with pytest.raises(Rejected) as caught:
        read_body(request_sending(b"abc", b"def", b"gh"), 7)
    assert (caught.value.status, caught.value.errors) == (413, {"request": "The form is larger than 7 bytes."})


def test_the_error_page_lists_the_faults_escaped_and_keeps_the_text_to_copy() -> None:
    page = form.error_page({"author": "Name <b>", "body": "Too & long"}, "https://x.example/a?b=1&c=\"2\"", "<i>my text</i>", 429)
    assert page == (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Please wait a moment before sending</title></head><body>"
        "<h1>Please wait a moment before sending</h1><p>Nothing needs correcting: wait as long as it says here, then send it "
        "again.</p><ul><li>Name &lt;b&gt;</li><li>Too &amp; long</li></ul>"
        '<p><label for="kept">Your comment, to copy before going back:</label></p>'
        '<textarea id="kept" readonly rows="8">&lt;i&gt;my text&lt;/i&gt;</textarea>'
        '<p><a href="https://x.example/a?b=1&amp;c=&quot;2&quot;">Go back to the article</a></p></body></html>'
    )
    plain = form.error_page({"x": "y"}, "/", "  \n ")
    assert plain == (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<title>Your comment was not sent</title></head><body><h1>Your comment was not sent</h1>"
        "<p>Correct what is listed here and send it again.</p><ul><li>y</li></ul>"
        '<p><a href="/">Go back to the article</a></p></body></html>'
    )
    long = form.error_page({"x": "y"}, "/", "z" * 10_005)
    assert ">" + "z" * 10_000 + "</textarea>" in long


# ---------------------------------------------------------------- storage


def manifest(path: Path, articles: object, version: int = 1) -> None:
    """Write a manifest holding `articles`, with a modification time of its own."""
    path.write_text(json.dumps({"version": version, "articles": articles}))
    os.utime(path, ns=(path.stat().st_mtime_ns, path.stat().st_mtime_ns + 1_000_000))


def test_a_missing_manifest_is_told_once_while_it_stays_missing(tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "manifest.json"
    cache = storage.ManifestCache(path)
    with caplog.at_level(logging.WARNING, logger=storage.__name__):
        for _ in range(3):
            forget_logged_warnings(monkeypatch)  # Pelican's filter would hide a repeat: told here is told by the cache
            assert cache.articles() is None
        manifest(path, {"hats": {}})
        assert cache.articles() == {"hats": {}}
        path.unlink()
        forget_logged_warnings(monkeypatch)
        assert cache.articles() == {"hats": {}}
    assert [r.getMessage() for r in caplog.records] == [f"no manifest at {path} yet; build the site to create it"] * 2


def test_the_manifest_is_read_when_it_changes_and_the_last_good_one_kept(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "manifest.json"
    cache = storage.ManifestCache(path)
    with caplog.at_level(logging.INFO, logger=storage.__name__):
        assert cache.articles() is None and cache.articles() is None
        manifest(path, {"hats": {"title": "Hats"}})
        assert cache.articles() == {"hats": {"title": "Hats"}} and cache.loads == 1
        assert cache.articles() == {"hats": {"title": "Hats"}} and cache.loads == 1
        manifest(path, ["not", "a", "mapping"])
        assert cache.articles() == {"hats": {"title": "Hats"}} and cache.loads == 1
        manifest(path, {"hats": {}}, version=2)
        assert cache.articles() == {"hats": {"title": "Hats"}}
        path.write_text("{broken")
        assert cache.articles() == {"hats": {"title": "Hats"}}
        manifest(path, {"gloves": {}, "hats": {}})
        assert cache.articles() == {"gloves": {}, "hats": {}} and cache.loads == 2
        path.unlink()
        assert cache.articles() == {"gloves": {}, "hats": {}}
    # Pelican's log filter lets a message through once per process, so each is asserted once, in order.
    messages = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert messages[:3] == [("WARNING", f"no manifest at {path} yet; build the site to create it"),
                            ("INFO", f"manifest {path}: 1 articles"),
                            ("WARNING", f"cannot read manifest {path}: 'articles' is not a mapping")]
    assert messages[3][1].startswith(f"cannot read manifest {path}: {path}: manifest version 2, expected 1")
    assert messages[4][1].startswith(f"cannot read manifest {path}: Expecting property name")
    assert messages[5:] == [("INFO", f"manifest {path}: 2 articles")]


PENDING = "author: A\ndate: 2024-01-01T10:00:00+00:00\nstatus: {status}\nbody: Hi.\n"


def test_pending_comments_are_counted_on_disk_then_in_memory(tmp_path: Path) -> None:
    now = [100.0]
    counter = storage.PendingCounter(tmp_path, UTC, clock=lambda: now[0])
    assert counter.current("hats") == 0
    folder = tmp_path / "hats"
    folder.mkdir()
    (folder / "a.yaml").write_text(PENDING.format(status="pending"))
    (folder / "b.yml").write_text(PENDING.format(status="approved"))
    (folder / "c.yaml").write_text("not: [valid\n")
    (folder / ".d.yaml").write_text(PENDING.format(status="pending"))
    (folder / "e.txt").write_text(PENDING.format(status="pending"))
    (folder / "f.yaml").mkdir()
    os.utime(folder, ns=(1, 1))
    assert counter.current("hats") == 2
    counter.added("hats", 3)
    assert counter.current("hats") == 3, "the service's own write is counted in memory"
    now[0] += 59.9
    assert counter.current("hats") == 3
    now[0] += 0.1
    assert counter.current("hats") == 2, "read again from disk at least every minute"
    (folder / "g.yaml").write_text(PENDING.format(status="pending"))
    assert counter.current("hats") == 3, "a folder changed by other hands is counted again"
    now[0] += 30
    counter.added("hats", 4)
    now[0] += 30
    assert counter.current("hats") == 3, "the minute runs from the last count on disk, not from the service's own write"
    counter.added("gloves", 1)
    assert counter.current("gloves") == 1, "a folder not made yet keeps the count in memory"


def test_dates_without_an_offset_are_read_in_the_site_s_zone(tmp_path: Path) -> None:
    folder = tmp_path / "hats"
    folder.mkdir()
    (folder / "a.yaml").write_text("author: A\ndate: 2024-01-01 10:00\nstatus: approved\nbody: Hi.\n")
    assert storage.PendingCounter(tmp_path, ZoneInfo("Asia/Tokyo")).current("hats") == 0
    written = storage.write_comment(folder, "author: A\ndate: 2024-01-02 10:00\nstatus: pending\nbody: Hi.\n", ZoneInfo("Asia/Tokyo"))
    assert written.date.isoformat() == "2024-01-02T10:00:00+09:00"


def test_a_comment_is_written_under_a_fresh_id_and_never_over_another(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                    caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "hats"
    written = storage.write_comment(folder, PENDING.format(status="pending"), UTC)
    assert written.path.parent == folder and written.status == "pending" and len(list(folder.iterdir())) == 1
    # An id of this run's own: Pelican's log filter lets a message through once per process.
    taken, free = f"20240101T000000000000-{secrets.token_hex(3)}", f"20240101T000000000001-{secrets.token_hex(3)}"
    ids = iter([taken] * 5 + [free])
    monkeypatch.setattr(storage, "new_id", lambda: next(ids))
    (folder / f"{taken}.yaml").write_text("taken\n")
    with caplog.at_level(logging.WARNING, logger=storage.__name__):
        with pytest.raises(FileExistsError) as caught:
            storage.write_comment(folder, PENDING.format(status="pending"), UTC)
    assert (caught.value.errno, caught.value.strerror, caught.value.filename) == (errno.EEXIST, "no free comment id", str(folder))
    assert [r.getMessage() for r in caplog.records] == [f"comment id {taken} is taken; drawing another"]
    assert next(ids) == free, "five ids were drawn"
    ids = iter([taken, free])
    assert storage.write_comment(folder, PENDING.format(status="pending"), UTC).path.name == f"{free}.yaml"


# ---------------------------------------------------------------- config


@pytest.mark.parametrize(("url", "origin"), [
    ("https://guide.example/path?q", "https://guide.example"),
    (" HTTPS://Guide.Example:443/ ", "https://guide.example"),
    ("http://guide.example:80", "http://guide.example"),
    ("http://guide.example:443", "http://guide.example:443"),
    ("https://guide.example:80", "https://guide.example:80"),
    ("http://[::1]:8000/x", "http://[::1]:8000"),
    ("ftp://guide.example", None),
    ("https://", None),
    ("guide.example", None),
    ("https://guide.example:99999", None),
    (None, None),
])
def test_an_origin_is_scheme_host_and_a_port_other_than_the_default(url: str | None, origin: str | None) -> None:
    assert config.origin_of(url) == origin


@pytest.mark.parametrize(("origin", "loopback"), [
    ("http://127.0.0.1:4000", True), ("http://localhost", True), ("http://[::1]:9", True),
    ("https://localhost:4000", False), ("http://127.0.0.2:4000", False), (None, False),
])
def test_a_loopback_origin_is_plain_http_on_this_computer(origin: str | None, loopback: bool) -> None:
    assert config.is_loopback_origin(origin) is loopback


def test_allowed_origins_are_the_configured_ones_and_the_site_s(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger=config.__name__):
        origins = config.allowed_origins("https://guide.example/blog", ["https://friend.example/x", "friend.example"])
    assert origins == {"https://guide.example", "https://friend.example"}
    assert [r.getMessage() for r in caplog.records] == ["COMMENTS_ALLOWED_ORIGINS: 'friend.example' is not an http(s) origin; ignored"]
    assert config.allowed_origins("", None) == {"http://127.0.0.1:8000", "http://localhost:8000"}
    assert config.allowed_origins("/relative", ["https://friend.example"]) == {"https://friend.example"}


def test_the_site_base_and_the_thank_you_page() -> None:
    assert config.site_base("https://guide.example/blog/") == "https://guide.example/blog"
    assert config.site_base("/blog") == "http://127.0.0.1:8000"
    assert config.thanks_location("https://guide.example", "/thanks/") == "https://guide.example/thanks/"
    assert config.thanks_location("https://guide.example", "https://other.example/t") == "https://other.example/t"
    assert config.thanks_location("https://guide.example", None) == "https://guide.example/"
    assert config.site_base("https://guide.example/blogX/") == "https://guide.example/blogX"
    assert config.thanks_location("https://guide.example", "/Xmas/") == "https://guide.example/Xmas/"


def fixed(siteurl: str = "https://guide.example", **settings: object) -> config.Config:
    """The configuration of a site with these settings."""
    return config.build_config({"SITEURL": siteurl, "PATH": "/srv/content", "OUTPUT_PATH": "/srv/output", **settings})


def test_every_setting_reaches_its_own_place_in_the_configuration() -> None:
    built = fixed(COMMENTS_HEADER_TIMEOUT=3, COMMENTS_BODY_TIMEOUT=17, COMMENTS_MAX_CONNECTIONS=40, COMMENTS_RATE_LIMIT=4,
                  COMMENTS_RATE_WINDOW=90, COMMENTS_MAX_REQUEST_BYTES=5000, COMMENTS_MAX_PENDING=12, COMMENTS_EDIT_DAYS=2.5,
                  COMMENTS_THANKS_URL="merci/", COMMENTS_MODERATORS=["Mo", ""], AUTHOR="Diane", DEFAULT_LANG="fr",
                  TIMEZONE="Asia/Tokyo", COMMENTS_AKISMET_ENDPOINT="http://127.0.0.1:9", COMMENTS_SPAM_RULES="rules.yaml",
                  COMMENTS_TRUSTED_PROXIES=["10.0.0.1"], COMMENTS_ALLOWED_ORIGINS=["https://friend.example"])
    assert (built.header_timeout, built.body_timeout, built.max_connections) == (3.0, 17.0, 40)
    assert (built.rate_limit, built.rate_window, built.max_request_bytes, built.max_pending) == (4, 90.0, 5000, 12)
    assert (built.edit_days, built.thanks, built.site) == (2.5, "https://guide.example/merci/", "https://guide.example")
    assert (built.protected_names, built.language, built.tz) == (("Mo", "Diane"), "fr", ZoneInfo("Asia/Tokyo"))
    assert (built.akismet_key, built.akismet_endpoint, built.spam_rules) == (None, "http://127.0.0.1:9", Path("/srv/content/rules.yaml"))
    assert [str(n) for n in built.proxies] == ["10.0.0.1/32"]
    assert built.origins == {"https://guide.example", "https://friend.example"}
    assert (built.comments, built.checkout, built.git) == (Path("/srv/content/comments"), Path("/srv/content/comments"), None)
    assert (built.manifest, built.output, built.any_loopback_port) == (
        Path("/srv/output/comments-manifest.json"), Path("/srv/output"), False)


def test_unset_settings_take_their_defaults() -> None:
    built = fixed(COMMENTS_HEADER_TIMEOUT=None, COMMENTS_BODY_TIMEOUT=None, COMMENTS_MAX_CONNECTIONS=None, COMMENTS_RATE_LIMIT=None,
                  COMMENTS_RATE_WINDOW=None, COMMENTS_MAX_REQUEST_BYTES=None, COMMENTS_MAX_PENDING=None, COMMENTS_EDIT_DAYS=None,
                  COMMENTS_SPAM_RULES=None, COMMENTS_AKISMET_ENDPOINT="")
    assert (built.header_timeout, built.body_timeout, built.max_connections) == (10.0, 30.0, 512)
    assert (built.rate_limit, built.rate_window, built.max_request_bytes, built.max_pending) == (0, 60.0, 131072, 0)
    assert (built.edit_days, built.spam_rules, built.akismet_endpoint, built.language) == (7.0, None, None, "en")
    assert built.protected_names == () and built.tz == ZoneInfo("UTC")
    assert fixed(COMMENTS_MAX_CONNECTIONS=0).max_connections == 1
    assert fixed(COMMENTS_RATE_LIMIT=-3, COMMENTS_MAX_PENDING=-1).rate_limit == 0
    assert fixed(COMMENTS_RATE_WINDOW=0).rate_window == 0.0


def test_a_site_url_that_is_not_absolute_is_told_with_where_browsers_go(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=config.__name__):
        fixed("/blog")
        fixed("https://guide.example")
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", "SITEURL is not absolute; browsers are sent back to http://127.0.0.1:8000")]


def test_committing_comments_takes_the_git_settings(tmp_path: Path) -> None:
    (tmp_path / "content" / "comments").mkdir(parents=True)
    sh(tmp_path, "git", "init", "--quiet")
    built = fixed(COMMENTS_GIT_COMMIT=True, COMMENTS_GIT_AUTHOR="Intake <intake@guide.example>", PATH=str(tmp_path / "content"))
    assert built.git is not None and (built.git.name, built.git.email, built.git.branch) == ("Intake", "intake@guide.example", None)
    assert built.comments == tmp_path / "content" / "comments" and built.checkout == tmp_path / "content" / "comments"


def test_with_an_inbox_branch_comments_are_written_into_the_inbox_worktree_s_twin_folder(tmp_path: Path) -> None:
    (tmp_path / "content" / "comments").mkdir(parents=True)
    sh(tmp_path, "git", "init", "--quiet")
    built = fixed(COMMENTS_GIT_COMMIT=True, COMMENTS_GIT_AUTHOR="Intake <intake@guide.example>", COMMENTS_GIT_BRANCH="inbox/new",
                  PATH=str(tmp_path / "content"))
    assert built.git is not None and built.git.branch == "inbox/new"
    assert built.checkout == tmp_path / "content" / "comments"
    assert built.comments == tmp_path / ".git" / "comments-inbox" / "inbox-new" / "content" / "comments"


def test_an_akismet_key_is_taken_only_with_its_client() -> None:
    if config.importlib.util.find_spec("akismet") is None:
        with pytest.raises(config.SettingsError):
            fixed(COMMENTS_AKISMET_KEY="k3y")
    else:
        assert fixed(COMMENTS_AKISMET_KEY="k3y").akismet_key == "k3y"


def test_a_manifest_given_apart_takes_the_reader_pages_beside_it(tmp_path: Path) -> None:
    built = config.build_config({"SITEURL": "", "PATH": "/srv/content"}, comments=tmp_path / "c", manifest=tmp_path / "out" / "m.json")
    assert (built.comments, built.manifest, built.output) == (tmp_path / "c", tmp_path / "out" / "m.json", tmp_path / "out")
    assert built.any_loopback_port and built.site == "http://127.0.0.1:8000"
    assert config.build_config({"PATH": "/srv/content"}).output == Path("output")


def test_a_post_is_allowed_from_a_listed_origin_or_in_development_from_any_loopback_port() -> None:
    live = fixed()
    assert live.allows("https://guide.example/a/page") and not live.allows("https://other.example")
    assert not live.allows("http://127.0.0.1:4000")
    dev = fixed("")
    assert dev.allows("http://127.0.0.1:4000/x") and dev.allows("http://localhost:8000")
    assert not dev.allows("https://guide.example") and not dev.allows("http://192.168.1.2:8000")


def test_the_akismet_key_needs_its_client(monkeypatch: pytest.MonkeyPatch) -> None:
    assert config.akismet_key(None) is None and config.akismet_key("") is None
    found = config.importlib.util.find_spec("akismet") is not None
    if found:
        assert config.akismet_key("k3y") == "k3y"
    monkeypatch.setattr(config.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(config.SettingsError) as caught:
        config.akismet_key("k3y")
    assert str(caught.value) == ("COMMENTS_AKISMET_KEY is set but the Akismet client is not installed: "
                                 f"pip install {config.AKISMET_PACKAGE}")
