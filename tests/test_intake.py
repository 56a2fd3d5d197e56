"""The comment intake service, over real HTTP against uvicorn on 127.0.0.1.

Each server runs as a subprocess on its own temporary comments folder, seeded
from tests/fixtures/intake, with settings from the fixture settings file plus
COMMENTS_* environment overrides.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pytest

from pelican.plugins.reader_comments import comment_format
from pelican.plugins.reader_comments.fileio import atomic_write
from pelican.plugins.reader_comments.intake.cli import parse_args
from pelican.plugins.reader_comments.intake.config import build_config
from pelican.plugins.reader_comments.intake.form import wants_json
from pelican.plugins.reader_comments.intake.ratelimit import RateLimiter, client_key, parse_networks
from pelican.plugins.reader_comments.intake.storage import PendingCounter, new_id
from pelican.plugins.reader_comments.settings import apply_env, load_settings
from support.intake import IntakeServer, Reply, launch, seed, send
from support.needs import require_tmpfs_mount

FIXTURES = Path(__file__).parent / "fixtures" / "intake"
SETTINGS = FIXTURES / "settings.py"
TZ = ZoneInfo("America/New_York")
FORM = "application/x-www-form-urlencoded"
CAP = 16_384
THANKS = "https://guide.example/comment-received/"
VALID = {
    "article": "dinner-guest",
    "author": "Ann Reader",
    "website": "",
    "body": "Thank you for this.",
    "reply_to": "",
    "homepage": "",
}


def form(**fields: str | None) -> str:
    """A urlencoded form: the valid defaults, changed by `fields` (None drops a field)."""
    values = {**VALID, **fields}
    return urlencode({name: value for name, value in values.items() if value is not None})


def post(
    server: IntakeServer,
    body: str | bytes | None = None,
    accept: str = "application/json",
    content_type: str | None = FORM,
    source: str | None = None,
    **headers: str,
) -> Reply:
    """POST /comments with `body` (a valid form by default)."""
    sent = {"Accept": accept, **{name.replace("_", "-"): value for name, value in headers.items()}}
    if content_type:
        sent["Content-Type"] = content_type
    return send(server.port, "POST", "/comments", form() if body is None else body, sent, source)


def files(folder: Path, pattern: str = "*/*.yaml") -> set[Path]:
    """Files below `folder` matching `pattern`, hidden ones included."""
    return set(folder.glob(pattern))


def stored(server: IntakeServer, article: str, comment_id: str) -> comment_format.Comment:
    """Read back a comment file the service wrote, asserting it is valid."""
    comment, problems = comment_format.read(server.content / article / f"{comment_id}.yaml", TZ)
    assert comment is not None, problems
    return comment


@pytest.fixture(scope="module")
def main_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeServer]:
    """The service with rate limiting off and a 16 KiB request cap, shared by the module's tests."""
    env = {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_MAX_REQUEST_BYTES": str(CAP), "COMMENTS_MAX_PENDING": "1000"}
    server = launch(tmp_path_factory.mktemp("main"), env)
    yield server
    server.stop()


@pytest.fixture
def main(main_service: IntakeServer) -> IntakeServer:
    """The shared service, running (started again if an earlier test brought it down)."""
    return main_service.ensure_running()


@pytest.fixture(scope="module")
def limited_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeServer]:
    """The service with 3 posts a minute per client and 127.0.0.2 as trusted proxy, shared by the module's tests."""
    env = {"COMMENTS_RATE_LIMIT": "3", "COMMENTS_RATE_WINDOW": "60", "COMMENTS_TRUSTED_PROXIES": "127.0.0.2"}
    server = launch(tmp_path_factory.mktemp("limited"), env)
    yield server
    server.stop()


@pytest.fixture
def limited(limited_service: IntakeServer) -> IntakeServer:
    """The shared rate-limited service, running (started again if an earlier test brought it down)."""
    return limited_service.ensure_running()


# ---------------------------------------------------------------- routes


def test_health_and_other_routes(main: IntakeServer) -> None:
    assert send(main.port, "GET", "/health").body == b"ok"
    assert send(main.port, "GET", "/").status == 404
    assert send(main.port, "HEAD", "/").status == 404
    assert send(main.port, "GET", "/comments").status == 405
    options = send(main.port, "OPTIONS", "/comments", headers={"Origin": "https://guide.example"})
    assert options.status == 405
    assert "access-control-allow-origin" not in options.headers


# ---------------------------------------------------------------- success


def test_json_client_gets_201_and_a_pending_file(main: IntakeServer) -> None:
    reply = post(main, form(website="https://ann.example/", body="Lovely.\r\n\r\nSecond *paragraph*."))
    assert reply.status == 201
    assert reply.headers["content-type"] == "application/json"
    answer = reply.json()
    assert answer["status"] == "pending"
    assert comment_format.is_valid_id(answer["id"])
    comment = stored(main, "dinner-guest", answer["id"])
    assert (comment.status, comment.author, comment.website) == ("pending", "Ann Reader", "https://ann.example/")
    assert comment.body == "Lovely.\n\nSecond *paragraph*."
    assert comment.reply_to is None
    assert abs(comment.date - datetime.now(UTC)) < timedelta(minutes=1)
    text = comment.path.read_text(encoding="utf-8")
    assert "127.0.0" not in text and "@" not in text
    assert not list(comment.path.parent.glob(".tmp-*"))


def test_browser_gets_303_to_the_sites_thank_you_page(main: IntakeServer) -> None:
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    reply = send(
        main.port,
        "POST",
        "/comments?next=https://evil.example/",
        form(author="Bea"),
        {"Content-Type": FORM, "Accept": browser, "Referer": "https://evil.example/", "Host": "evil.example"},
    )
    assert reply.status == 303
    assert reply.headers["location"] == THANKS


def test_reply_to_a_published_comment(main: IntakeServer) -> None:
    reply = post(main, form(reply_to="20110421T143000-marcus-webb"))
    assert reply.status == 201
    assert stored(main, "dinner-guest", reply.json()["id"]).reply_to == "20110421T143000-marcus-webb"


def test_ids_are_sortable_and_distinct(main: IntakeServer) -> None:
    ids = [post(main, form(body=f"Number {n}")).json()["id"] for n in range(5)]
    assert ids == sorted(ids)
    assert len(set(ids)) == 5
    assert all(len(i) <= 64 and comment_format.is_valid_id(i) for i in ids)


def test_line_separators_in_the_body_become_newlines(main: IntakeServer) -> None:
    reply = post(main, form(body="one\u2028two\x85three\rfour"))
    assert reply.status == 201
    assert stored(main, "dinner-guest", reply.json()["id"]).body == "one\ntwo\nthree\nfour"


def test_charset_utf8_is_accepted(main: IntakeServer) -> None:
    reply = post(main, form(author="Zoë Ångström"), content_type=f"{FORM}; charset=UTF-8")
    assert reply.status == 201
    assert stored(main, "dinner-guest", reply.json()["id"]).author == "Zoë Ångström"


def test_manifest_is_reread_when_it_changes(tmp_path: Path) -> None:
    # Its own service: the shared one's manifest stays as the other tests expect it.
    server = launch(tmp_path, {"COMMENTS_RATE_LIMIT": "0"})
    try:
        assert post(server, form(article="fresh-post")).status == 404
        data = json.loads(server.manifest.read_text(encoding="utf-8"))
        data["articles"]["fresh-post"] = {"title": "Fresh", "url": "2026/fresh-post/", "mode": "open", "comments": {}}
        tmp = server.manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps(data), encoding="utf-8")
        os.replace(tmp, server.manifest)
        reply = post(server, form(article="fresh-post"))
        assert reply.status == 201
        assert stored(server, "fresh-post", reply.json()["id"]).status == "pending"
    finally:
        server.stop()


# ---------------------------------------------------------------- honeypot


def test_honeypot_gets_success_and_writes_nothing(main: IntakeServer) -> None:
    before = files(main.content, "**/*")
    reply = post(main, form(homepage="http://spam.example"))
    assert reply.status == 201 and reply.json()["status"] == "pending"
    assert post(main, form(homepage="x", author=""), accept="text/html").headers["location"] == THANKS
    assert files(main.content, "**/*") == before


# ---------------------------------------------------------------- 400


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"author": None}, "author"),
        ({"author": "   "}, "author"),
        ({"author": "x" * 81}, "author"),
        ({"author": "Ann\r\nBcc: someone"}, "author"),
        ({"author": "Ann\x85Bea"}, "author"),
        ({"author": "Ann\x00"}, "author"),
        ({"author": "Ann\x1b[31m"}, "author"),
        ({"body": ""}, "body"),
        ({"body": " \r\n "}, "body"),
        ({"body": "x" * 10_001}, "body"),
        ({"body": "before\x00after"}, "body"),
        ({"body": "bell\x07"}, "body"),
        ({"body": "c1 \x9b control"}, "body"),
        ({"website": "ftp://files.example/"}, "website"),
        ({"website": "javascript:alert(1)"}, "website"),
        ({"website": "https://example.com/\r\nX: y"}, "website"),
        ({"website": "https://" + "a" * 250 + ".example"}, "website"),
        ({"website": "example.com"}, "website"),
        ({"reply_to": "../../etc/passwd"}, "reply_to"),
        ({"reply_to": "x" * 65}, "reply_to"),
        ({"article": None}, "article"),
        ({"article": "../dinner-guest"}, "article"),
        ({"article": "dinner-guest\n"}, "article"),
    ],
)
def test_bad_fields_get_400_with_a_message_for_the_field(main: IntakeServer, fields: dict, field: str) -> None:
    reply = post(main, form(**fields))
    assert reply.status == 400, reply.body
    errors = reply.json()["errors"]
    assert field in errors and errors[field].endswith(".")


def test_every_bad_field_is_reported_at_once(main: IntakeServer) -> None:
    errors = post(main, form(author="", body="", website="nope")).json()["errors"]
    assert set(errors) == {"author", "body", "website"}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("&".join(f"f{n}=x" for n in range(1001)), "more than 20 fields"),
        (form() + "&" + "&".join(f"extra{n}=1" for n in range(15)), "more than 20 fields"),
        (form() + "&author=Eve", "more than once"),
        (form() + "&body=%FF%FE", "not valid UTF-8"),
        (b"article=dinner-guest&author=\xff&body=hi", "not valid UTF-8"),
    ],
    ids=["1001 fields", "21 fields", "duplicate", "bad percent-encoded UTF-8", "bad raw UTF-8"],
)
def test_malformed_forms_get_400(main: IntakeServer, body: str | bytes, message: str) -> None:
    reply = post(main, body)
    assert reply.status == 400
    assert any(message in text for text in reply.json()["errors"].values())


def test_unknown_fields_are_ignored(main: IntakeServer) -> None:
    assert post(main, form() + "&submit=Post+comment").status == 201


def test_browser_error_page_lists_messages_escaped_with_a_link_back(main: IntakeServer) -> None:
    hostile = '</textarea><script>alert("x")</script>'
    reply = post(main, form(author="", body=hostile), accept="text/html")
    assert reply.status == 400
    assert reply.headers["content-type"].startswith("text/html")
    page = reply.text
    assert "<script>" not in page and "&lt;script&gt;" in page
    assert "<li>Name is required.</li>" in page
    assert 'href="https://guide.example/2011/dinner-guest/"' in page
    assert reply.headers["x-content-type-options"] == "nosniff"
    assert "default-src 'none'" in reply.headers["content-security-policy"]


# ---------------------------------------------------------------- 403, 404


def test_unknown_article_is_404(main: IntakeServer) -> None:
    reply = post(main, form(article="no-such-post"))
    assert reply.status == 404
    assert "article" in reply.json()["errors"]


@pytest.mark.parametrize("reply_to", ["20101005T131200-priya-raman", "20990101T000000-nobody"])
def test_reply_to_must_be_published_in_that_article(main: IntakeServer, reply_to: str) -> None:
    reply = post(main, form(reply_to=reply_to))
    assert reply.status == 404
    assert "reply_to" in reply.json()["errors"]


def test_a_pending_comment_cannot_be_replied_to(main: IntakeServer) -> None:
    pending = post(main).json()["id"]
    assert post(main, form(reply_to=pending)).status == 404


@pytest.mark.parametrize("article", ["condolence-notes", "regifting"])
def test_closed_or_off_article_is_403(main: IntakeServer, article: str) -> None:
    before = files(main.content)
    reply = post(main, form(article=article))
    assert reply.status == 403
    assert "closed" in reply.json()["errors"]["article"]
    assert files(main.content) == before


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("https://guide.example", 201),
        ("https://GUIDE.example:443", 201),
        ("https://friend.example", 201),
        ("https://evil.example", 403),
        ("http://guide.example", 403),
        ("https://guide.example.evil.example", 403),
        ("null", 403),
        ("", 403),
        ("http://127.0.0.1:8000", 403),
    ],
)
def test_origin(main: IntakeServer, origin: str, status: int) -> None:
    assert post(main, Origin=origin).status == status


def test_no_origin_header_is_allowed(main: IntakeServer) -> None:
    assert post(main).status == 201


# ---------------------------------------------------------------- 413, 415


@pytest.mark.parametrize(
    "content_type",
    ["text/plain", "application/json", "multipart/form-data; boundary=x", None, f"{FORM}; charset=latin-1"],
)
def test_other_content_types_get_415(main: IntakeServer, content_type: str | None) -> None:
    reply = post(main, content_type=content_type)
    assert reply.status == 415
    assert "request" in reply.json()["errors"]


def test_body_at_the_cap_passes_and_one_byte_more_is_413(main: IntakeServer) -> None:
    base = form(body="x")
    padded = base + "&pad=" + "p" * (CAP - len(base) - 5)
    assert len(padded) == CAP
    assert post(main, padded).status == 201
    reply = post(main, padded + "p")
    assert reply.status == 413
    assert "request" in reply.json()["errors"]


def test_declared_content_length_over_the_cap_is_refused_before_the_body(main: IntakeServer) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", main.port, timeout=5)
    try:
        conn.putrequest("POST", "/comments")
        for name, value in (("Content-Type", FORM), ("Accept", "application/json"), ("Content-Length", str(10**9))):
            conn.putheader(name, value)
        conn.endheaders()
        response = conn.getresponse()
        assert response.status == 413
        assert "request" in json.loads(response.read())["errors"]
    finally:
        conn.close()


def chunked_post(server: IntakeServer, chunks: list[bytes]) -> Reply:
    """POST /comments with a chunked body and no Content-Length."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
    try:
        headers = {"Content-Type": FORM, "Accept": "application/json", "Transfer-Encoding": "chunked"}
        conn.request("POST", "/comments", body=iter(chunks), headers=headers, encode_chunked=True)
        response = conn.getresponse()
        return Reply(response.status, response.headers, response.read())
    finally:
        conn.close()


def test_chunked_body_within_the_cap_is_read_whole(main: IntakeServer) -> None:
    data = form(body="chunked " * 500).encode()
    reply = chunked_post(main, [data[i : i + 1000] for i in range(0, len(data), 1000)])
    assert reply.status == 201
    assert stored(main, "dinner-guest", reply.json()["id"]).body == ("chunked " * 500).strip()


def test_chunked_body_over_the_cap_is_413(main: IntakeServer) -> None:
    data = (form() + "&pad=" + "p" * CAP).encode()
    reply = chunked_post(main, [data[i : i + 1024] for i in range(0, len(data), 1024)])
    assert reply.status == 413
    assert send(main.port, "GET", "/health").status == 200


# ---------------------------------------------------------------- 429, and client addresses


def test_rate_limit_per_client_address_ignores_forged_forwarded_for(limited: IntakeServer) -> None:
    for n in range(3):
        assert post(limited, form(article="reply-all", body=f"Post {n}")).status == 201
    refused = post(limited, form(article="reply-all"))
    assert refused.status == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert "request" in refused.json()["errors"]
    for forged in ("203.0.113.77", "198.51.100.1, 203.0.113.78", "127.0.0.2"):
        assert post(limited, form(article="reply-all"), X_Forwarded_For=forged).status == 429
    page = post(limited, form(article="reply-all"), accept="text/html")
    assert page.status == 429 and "retry-after" in page.headers
    # The plain page (no built site here): its heading is not the one of a form mistake.
    mistake = post(limited, form(article="reply-all", website="not an address"), accept="text/html", source="127.0.0.5")
    assert mistake.status == 400
    headings = [re.search(r"<h1>(.*?)</h1>", reply.text).group(1) for reply in (page, mistake)]
    assert headings[0] != headings[1], headings


def test_forwarded_for_is_honoured_from_a_trusted_proxy(limited: IntakeServer) -> None:
    proxy = "127.0.0.2"
    for n in range(3):
        chain = f"192.0.2.{n}, 203.0.113.9"
        assert post(limited, form(article="reply-all"), source=proxy, X_Forwarded_For=chain).status == 201
    for chain, status in (("203.0.113.9", 429), ("203.0.113.9, 127.0.0.2", 429), ("203.0.113.10", 201)):
        assert post(limited, form(article="reply-all"), source=proxy, X_Forwarded_For=chain).status == status


def test_client_addresses_are_not_logged_or_stored(limited: IntakeServer) -> None:
    assert limited.log is not None
    log = limited.log.read_text(encoding="utf-8")
    assert "refused: 429" in log
    for address in ("127.0.0.2", "203.0.113.", "198.51.100.", "192.0.2."):
        assert address not in log
        assert not any(address in path.read_text(encoding="utf-8") for path in files(limited.content))


# ---------------------------------------------------------------- the pending cap


def test_pending_cap_counts_files_on_disk_and_follows_moderation(tmp_path: Path) -> None:
    server = launch(tmp_path, {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_MAX_PENDING": "2"})
    try:
        assert post(server, form(article="capped")).status == 201
        full = post(server, form(article="capped"))
        assert full.status == 503
        assert int(full.headers["retry-after"]) > 0
        assert "too many comments awaiting moderation" in full.json()["errors"]["article"]
        assert post(server, form(article="reply-all")).status == 201
        waiting = server.content / "capped" / "20120102T090000-waiting.yaml"
        atomic_write(waiting, waiting.read_bytes().replace(b"status: pending", b"status: approved"))
        assert post(server, form(article="capped")).status == 201
        assert post(server, form(article="capped")).status == 503
        assert len(files(server.content, "capped/*.yaml")) == 4
    finally:
        server.stop()


# ---------------------------------------------------------------- storage failures and crashes


def test_storage_failure_is_503_and_leaves_nothing(tmp_path: Path) -> None:
    def small_files() -> None:
        """Let the service write no file longer than 64 bytes, as if the disk were full."""
        resource.setrlimit(resource.RLIMIT_FSIZE, (64, 64))

    server = launch(tmp_path, {"COMMENTS_RATE_LIMIT": "0"}, log=None, preexec_fn=small_files)
    try:
        before = files(server.content, "**/*")
        reply = post(server, form(article="reply-all"))
        assert reply.status == 503
        assert int(reply.headers["retry-after"]) > 0
        assert files(server.content, "**/*") - before <= {server.content / "reply-all"}
    finally:
        server.stop()


def test_disk_full_is_503_and_leaves_no_partial_file(tmp_path: Path) -> None:
    require_tmpfs_mount()
    comments = tmp_path / "comments"
    comments.mkdir()
    _, manifest = seed(tmp_path / "seed")
    mount = 'mount -t tmpfs -o size=64k tmpfs "$0" && exec "$@"'
    prefix = ("unshare", "-Urm", "sh", "-c", mount, str(comments))
    log = tmp_path / "service.log"
    server = IntakeServer(comments, manifest, SETTINGS, env={"COMMENTS_RATE_LIMIT": "0"}, log=log, prefix=prefix)
    server.start()
    try:
        inside = Path(f"/proc/{server.pid}/root") / comments.relative_to("/")
        filler = inside / "filler.bin"
        with filler.open("wb", buffering=0) as handle, pytest.raises(OSError, match="No space left"):
            while True:
                handle.write(b"\0" * 4096)
        reply = post(server, form(article="reply-all"))
        assert reply.status == 503
        assert "No space left on device" in log.read_text(encoding="utf-8")
        assert not list(inside.glob("*/*.yaml")) and not list(inside.glob("*/.tmp-*"))
        filler.unlink()
        reply = post(server, form(article="reply-all"))
        assert reply.status == 201
        comment, problems = comment_format.read(inside / "reply-all" / f"{reply.json()['id']}.yaml", TZ)
        assert comment is not None and comment.status == "pending", problems
    finally:
        server.stop()


def hammer(server: IntakeServer, stop: threading.Event, accepted: list[str]) -> None:
    """Post comments over one keep-alive connection until stopped or the server dies."""
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=5)
    headers = {"Content-Type": FORM, "Accept": "application/json"}
    n = 0
    while not stop.is_set():
        n += 1
        try:
            conn.request("POST", "/comments", body=form(body=f"Crash test {n}\n" + "text " * 200), headers=headers)
            response = conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException):
            return
        if response.status == 201:
            accepted.append(json.loads(data)["id"])


def test_kill_9_while_writing_leaves_only_whole_files(tmp_path: Path) -> None:
    server = launch(tmp_path, {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_MAX_PENDING": "0"})
    stop = threading.Event()
    accepted: list[str] = []
    workers = [threading.Thread(target=hammer, args=(server, stop, accepted)) for _ in range(16)]
    for worker in workers:
        worker.start()
    deadline = time.monotonic() + 5
    while len(accepted) < 100 and time.monotonic() < deadline:
        time.sleep(0.01)
    server.kill()
    stop.set()
    for worker in workers:
        worker.join()
    folder = server.content / "dinner-guest"
    written = sorted(folder.glob("*.yaml"))
    assert len(accepted) >= 100 and len(written) >= len(accepted)
    for path in written:
        comment, problems = comment_format.read(path, TZ)
        assert comment is not None and comment.status == "pending", problems
    assert {p.stem for p in written} >= set(accepted)
    (folder / ".tmp-left-by-a-crash.part").write_bytes(b"author: half")
    server.start()
    try:
        assert not files(server.content, "*/.tmp-*")
        assert post(server).status == 201
    finally:
        server.stop()


# ---------------------------------------------------------------- configuration, without a server


def test_environment_overrides_every_comments_setting() -> None:
    settings = {"COMMENTS_RATE_LIMIT": 5, "SITEURL": "", "OTHER": 1}
    env = {
        "COMMENTS_RATE_LIMIT": "0",
        "COMMENTS_ALLOWED_ORIGINS": "https://a.example, https://b.example,",
        "COMMENTS_TRUSTED_PROXIES": "",
        "COMMENTS_MAX_PENDING": "none",
        "COMMENTS_CLOSE_AFTER_DAYS": "30",
        "COMMENTS_STRICT": "true",
        "COMMENTS_SUBMIT_URL": "",
        "COMMENTS_THANKS_URL": "thanks/",
        "SITEURL": "https://ignored.example",
        "OTHER": "2",
    }
    result = apply_env(settings, env)
    assert result["COMMENTS_RATE_LIMIT"] == 0
    assert result["COMMENTS_ALLOWED_ORIGINS"] == ["https://a.example", "https://b.example"]
    assert result["COMMENTS_TRUSTED_PROXIES"] == []
    assert result["COMMENTS_MAX_PENDING"] is None
    assert result["COMMENTS_CLOSE_AFTER_DAYS"] == 30
    assert result["COMMENTS_STRICT"] is True
    assert result["COMMENTS_SUBMIT_URL"] is None
    assert result["COMMENTS_THANKS_URL"] == "thanks/"
    assert (result["SITEURL"], result["OTHER"]) == ("", 1)
    with pytest.raises(ValueError, match="COMMENTS_RATE_WINDOW"):
        apply_env({}, {"COMMENTS_RATE_WINDOW": "soon"})


def test_settings_file_and_defaults(tmp_path: Path) -> None:
    settings = load_settings(SETTINGS, {"COMMENTS_RATE_LIMIT": "0"})
    config = build_config(settings)
    assert config.comments == FIXTURES / "comments"
    assert config.manifest == FIXTURES / "output" / "comments-manifest.json"
    assert config.thanks == THANKS
    assert config.origins == {"https://guide.example", "https://friend.example"}
    assert (config.rate_limit, config.max_request_bytes) == (0, 128 * 1024)
    args = parse_args([])
    assert (args.host, args.port, args.settings, args.comments, args.manifest) == (
        "127.0.0.1",
        8008,
        Path("pelicanconf.py"),
        None,
        None,
    )


def test_development_site_allows_the_dev_server_and_redirects_there() -> None:
    config = build_config({"SITEURL": "", "PATH": "/srv/content", "OUTPUT_PATH": "/srv/output"})
    assert config.origins == {"http://127.0.0.1:8000", "http://localhost:8000"}
    assert config.thanks == "http://127.0.0.1:8000/comment-received/"
    assert config.comments == Path("/srv/content/comments")
    assert config.manifest == Path("/srv/output/comments-manifest.json")


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/json", True),
        ("application/json, text/html;q=0.5", True),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", False),
        ("*/*", False),
        ("", False),
        ("application/*", True),
        ("text/html;q=0.1, application/json", True),
        ("application/json;q=0, */*", False),
        ("application/json;q=bogus, text/html;q=0.2", False),
    ],
)
def test_wants_json(accept: str, expected: bool) -> None:
    assert wants_json(accept) is expected


def test_new_ids_sort_by_time() -> None:
    first = datetime(2026, 11, 26, 2, 15, 0, 123456, tzinfo=UTC)
    moments = [first + timedelta(microseconds=n) for n in range(3)]
    ids = [new_id(moment) for moment in reversed(moments)]
    assert sorted(ids) == ids[::-1]
    assert ids[-1].startswith("20261126T021500123456-")
    assert all(comment_format.is_valid_id(i) and len(i) == 28 for i in ids)


@pytest.mark.parametrize(
    ("peer", "forwarded", "key"),
    [
        ("198.51.100.7", ["203.0.113.1"], "198.51.100.7"),
        ("10.0.0.1", ["203.0.113.1"], "203.0.113.1"),
        ("10.0.0.1", ["1.1.1.1, 203.0.113.1"], "203.0.113.1"),
        ("10.0.0.1", ["203.0.113.1, 10.0.0.2"], "203.0.113.1"),
        ("10.0.0.1", ["1.1.1.1", "203.0.113.1"], "203.0.113.1"),
        ("10.0.0.1", [], "10.0.0.1"),
        ("10.0.0.1", ["10.0.0.3, 10.0.0.2"], "10.0.0.3"),
        ("10.0.0.1", ["nonsense"], "10.0.0.1"),
        ("::ffff:198.51.100.7", [], "198.51.100.7"),
        ("2001:db8:1:2:3:4:5:6", [], "2001:db8:1:2::/64"),
    ],
)
def test_client_key(peer: str, forwarded: list[str], key: str) -> None:
    assert client_key(peer, forwarded, parse_networks(["10.0.0.0/8"])) == key


def test_rate_limiter_slides_its_window() -> None:
    now = [0.0]
    limiter = RateLimiter(2, 10, clock=lambda: now[0])
    assert limiter.hit("a") == 0 and limiter.hit("a") == 0
    assert limiter.hit("a") == pytest.approx(10)
    assert limiter.hit("b") == 0
    now[0] = 10.5
    assert limiter.hit("a") == 0
    assert RateLimiter(0, 60).hit("a") == 0


def test_pending_counter_recounts_changes_it_could_not_see(tmp_path: Path) -> None:
    now = [0.0]
    folder = tmp_path / "capped"
    shutil.copytree(FIXTURES / "comments" / "capped", folder)
    counter = PendingCounter(tmp_path, TZ, clock=lambda: now[0])
    assert counter.current("capped") == 1
    counter.added("capped", 2)
    assert counter.current("capped") == 2
    stamp = folder.stat().st_mtime_ns
    waiting = folder / "20120102T090000-waiting.yaml"
    waiting.write_bytes(waiting.read_bytes().replace(b"status: pending", b"status: approved"))
    os.utime(folder, ns=(stamp, stamp))
    assert counter.current("capped") == 2
    now[0] = 61.0
    assert counter.current("capped") == 0
    assert counter.current("never-commented") == 0


def test_starting_the_intake_loads_none_of_the_build_side() -> None:
    code = (
        "import sys, pelican.plugins.reader_comments.intake.cli\n"
        "print(' '.join(sorted(m for m in sys.modules if m in {'nh3', 'markdown_it'}"
        " or m.endswith(('reader_comments.plugin', 'reader_comments.view', 'reader_comments.render', 'reader_comments.feeds')))))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert done.stdout.strip() == ""


def development_settings(tmp_path: Path) -> Path:
    """The intake fixture's settings with no SITEURL, as `make inbox` runs with pelicanconf.py."""
    text = (FIXTURES / "settings.py").read_text(encoding="utf-8").replace('SITEURL = "https://guide.example/"', 'SITEURL = ""')
    assert 'SITEURL = ""' in text
    path = tmp_path / "dev-settings.py"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def dev_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeServer]:
    """The service with the development settings (no SITEURL)."""
    tmp = tmp_path_factory.mktemp("dev-intake")
    server = launch(tmp, {"COMMENTS_RATE_LIMIT": "0"}, settings=development_settings(tmp))
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.parametrize(
    ("origin", "status"),
    [
        ("http://127.0.0.1:8001", 201),
        ("http://localhost:8765", 201),
        ("http://[::1]:8002", 201),
        ("http://127.0.0.1:8000", 201),
        ("https://127.0.0.1:8001", 403),
        ("http://127.0.0.1.evil.example:8001", 403),
        ("http://localhost.evil.example", 403),
        ("https://guide.example", 403),
        ("null", 403),
    ],
)
def test_in_development_a_page_on_any_loopback_port_may_post(dev_service: IntakeServer, origin: str, status: int) -> None:
    """`make serve PORT=8001` with `make inbox`: the developer's own page is accepted; nothing else is."""
    assert post(dev_service.ensure_running(), Origin=origin).status == status
