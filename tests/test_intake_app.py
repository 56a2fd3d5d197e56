"""The intake's web application in the test's own process: every route and every refusal, with exact outcomes.

The service's other tests run it as a process of its own over HTTP (as it runs for
real); these drive `create_app` through Starlette's test client, so a mutant of
app.py is seen. Each test has a real comments folder, a manifest and the reader
pages in `tmp_path`, the real settings resolved by `build_config`, the real notices
(their link secret in a state folder of the test's own) and, where a path needs it,
real git. Every refusal is pinned by its status, its exact words and what is on
disk afterwards: nothing.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

import pytest
import yaml
from starlette.testclient import TestClient

from pelican.plugins.reader_comments.intake import app as intake_app
from pelican.plugins.reader_comments.intake.config import build_config
from pelican.plugins.reader_comments.notify.alerts import moderation_link
from pelican.plugins.reader_comments.notify.config import notify_config
from pelican.plugins.reader_comments.notify.links import Signer
from pelican.plugins.reader_comments.notify.service import Notifier
from support.akismet import akismet_stand_in
from support.git import in_process_git, sh, wait_for
from support.logs import forget_logged_warnings

SITE = "https://guide.example"
INTAKE = "https://intake.example"
SLUG = "hats"
ARTICLE_URL = f"{SITE}/2024/hats/"
PUBLISHED_ID = "20240101T000000000000-abcdef"
FORM = "application/x-www-form-urlencoded"
# Every placeholder a built reader page can hold, as the theme's templates name them.
NAMES = ("article", "author", "website", "reply_to", "body", "back", "title", "heading", "advice", "email",
         "published_checked", "replies_checked", "message", "comment_hidden", "action", "form_hidden", "token",
         "button", "preview", "edit_link", "edit_hidden", "digest", "removal_hidden", "reason", "errors")
PAGES = {"error": "error.html.in", "received": "received.html.in", "preview": "preview.html.in", "edit": "edit.html.in"}
# What a browser's refusal page says, by cause.
FIX_IT = ("Your comment was not sent", "Correct what is listed here and send it again.")
WAIT = ("Please wait a moment before sending", "Nothing needs correcting: wait as long as it says here, then send it again.")
LATER = ("Comments cannot be taken right now", "Nothing needs correcting: please send it again later.")
NOT_HERE = ("This comment cannot be sent here", "It cannot be sent from this page, for the reason listed here.")
GONE_HERE = ("This comment cannot be sent here", "What it answers is not here any more, as listed here.")
SECURITY = {
    "cache-control": "no-store",
    "content-security-policy": "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
    "referrer-policy": "no-referrer",
    "x-content-type-options": "nosniff",
}
PAGE_POLICY = ("default-src 'none'; style-src https://guide.example 'unsafe-inline'; img-src https://guide.example data:; "
               "font-src https://guide.example; script-src https://guide.example; connect-src 'self'; "
               "base-uri https://guide.example; form-action 'self'; frame-ancestors 'none'")
# A value for every field that must be escaped wherever it is filled in.
HOSTILE = 'Ann "<b>" & \'Co\' [[intake:heading]]'
HOSTILE_SHOWN = "Ann &quot;&lt;b&gt;&quot; &amp; &#x27;Co&#x27; [[intake:heading]]"


def template(name: str) -> str:
    """A built reader page: every placeholder inside a marked element of its own."""
    return f"<html><head><title>{name}</title></head><body>" + "".join(
        f'<v name="{n}">[[intake:{n}]]</v>' for n in NAMES) + "</body></html>"


def filled(text: str, name: str) -> dict[str, str]:
    """What each placeholder of a built page was filled with (as it stands in the HTML), after checking the base."""
    assert text.startswith(f'<html><head>\n<base href="{SITE}/"><title>{name}</title></head>'), text[:200]
    return dict(re.findall(r'<v name="(\w+)">(.*?)</v>', text, re.S))


def page(**given: str) -> dict[str, str]:
    """A filled page's placeholders: the given ones, every other one empty."""
    return {name: "" for name in NAMES} | given


def typed(form: dict[str, str]) -> dict[str, str]:
    """The form's own fields as a refusal or preview page keeps them (nothing escaped needed)."""
    return {name: form.get(name, "") for name in ("article", "author", "website", "reply_to", "body", "email")} | {
        "published_checked": "", "replies_checked": ""}


def manifest(path: Path, **extra: dict[str, Any]) -> None:
    """The build's manifest: `hats` open with one published comment, `closed` closed, and any `extra` ones."""
    articles = {
        SLUG: {"title": "Hats & \u201cCaps\u201d", "url": "2024/hats/", "mode": "open",
               "comments": {PUBLISHED_ID: {"author": "Bo"}}},
        "closed": {"title": "Closed", "url": "2024/closed/", "mode": "closed", "comments": {}},
        **extra,
    }
    path.write_text(json.dumps({"version": 1, "articles": articles}), encoding="utf-8")


@dataclass
class Intake:
    """The application under test, its client and its folders."""

    client: TestClient
    service: intake_app.Service
    root: Path
    comments: Path

    def post(self, path: str, fields: dict[str, str] | None = None, content: bytes | None = None,
             **headers: str) -> Any:
        """POST a form (or raw bytes) from the site's page, as a browser would, without following redirects."""
        sent = {"origin": SITE, **{k.replace("_", "-"): v for k, v in headers.items()}}
        if content is None:
            content = urlencode(fields or {}).encode()
            sent.setdefault("content-type", FORM)
        return self.client.post(path, content=content, headers=sent, follow_redirects=False)

    def files(self) -> dict[str, bytes]:
        """Every file under the comments folder, by its path there."""
        return {str(p.relative_to(self.comments)): p.read_bytes() for p in sorted(self.comments.rglob("*")) if p.is_file()}

    def pending(self) -> dict[str, Any]:
        """The one comment file of `hats` besides the published one, read as YAML."""
        found = [p for p in (self.comments / SLUG).glob("*.yaml") if p.stem != PUBLISHED_ID]
        assert len(found) == 1, found
        return yaml.safe_load(found[0].read_text(encoding="utf-8"))


PUBLISHED_FILE = (b'author: "Bo"\ndate: "2024-01-01T00:00:00+00:00"\nstatus: approved\nbody: |-\n  Published.\n')
FORM_OK = {"article": SLUG, "author": "Ann", "body": "Hello *there*.", "website": "", "reply_to": "", "homepage": ""}
# A body whose one link is too long to publish, and the refusal's words.
LONG_LINK = "[a](https://x.example/" + "a" * 3000 + ")"
LONG_LINK_SAID = "Comment has a link address of 3,019 characters once encoded; at most 2,048 are allowed."


Factory = Callable[..., AbstractContextManager[Intake]]


@pytest.fixture
def make_intake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Factory:
    """Start the application on a fresh site with these settings (notices on unless `notices=False`)."""
    forget_logged_warnings(monkeypatch)

    @contextmanager
    def started(notices: bool = True, pages: tuple[str, ...] = tuple(PAGES), client: tuple[str, int] = ("192.0.2.7", 5000),
                moderators: tuple[str, ...] = (), **settings: Any) -> Iterator[Intake]:
        root = tmp_path / "site"
        comments = root / "content" / "comments"
        (comments / SLUG).mkdir(parents=True, exist_ok=True)
        (comments / SLUG / f"{PUBLISHED_ID}.yaml").write_bytes(PUBLISHED_FILE)
        if settings.get("COMMENTS_GIT_COMMIT") and not (root / ".git").exists():
            in_process_git(monkeypatch, tmp_path)
            sh(root, "git", "init", "--quiet", "--initial-branch=main")
            sh(root, "git", "add", "content")
            sh(root, "git", "commit", "--quiet", "-m", "Site")
        output = root / "output"
        (output / "comments-intake").mkdir(parents=True, exist_ok=True)
        for name in pages:
            (output / "comments-intake" / PAGES[name]).write_text(template(name), encoding="utf-8")
        if not (output / "comments-manifest.json").exists():
            manifest(output / "comments-manifest.json")
        config = build_config({"SITEURL": SITE, "PATH": str(root / "content"), "OUTPUT_PATH": str(output),
                               "TIMEZONE": "UTC", "COMMENTS_RATE_LIMIT": 2, "COMMENTS_RATE_WINDOW": 600,
                               "COMMENTS_STATE_PATH": str(tmp_path / "state"), **settings})
        notifier = None
        if notices:
            notifier = Notifier(notify_config({"SITEURL": SITE, "PATH": str(root / "content"), "COMMENTS_NOTIFY_MODERATORS": moderators,
                                               "COMMENTS_STATE_PATH": str(tmp_path / "state")}), config.comments, config.tz)
            notifier.open()
        application = intake_app.create_app(config, notifier)
        with TestClient(application, base_url=INTAKE, client=client) as client_:
            yield Intake(client_, application.state.service, root, comments)

    return started


@pytest.fixture
def intake(make_intake: Factory) -> Iterator[Intake]:
    """The application with notices (so private links) and every reader page built."""
    with make_intake() as started:
        yield started


@pytest.fixture
def unlimited(make_intake: Factory) -> Iterator[Intake]:
    """The application with notices, every reader page built, and no rate limit."""
    with make_intake(COMMENTS_RATE_LIMIT=0) as started:
        yield started


def only_published(intake: Intake) -> None:
    """Nothing was written: the comments folder holds the published comment alone."""
    assert intake.files() == {f"{SLUG}/{PUBLISHED_ID}.yaml": PUBLISHED_FILE}


# ---------------------------------------------------------------- submitting


def test_an_accepted_comment_is_written_pending_and_answered_with_its_private_link(intake: Intake) -> None:
    before = time.time()
    reply = intake.post("/comments", {**FORM_OK, "website": "https://ann.example/"}, accept="application/json")
    assert reply.status_code == 201
    answer = reply.json()
    assert set(answer) == {"id", "status", "edit"} and answer["status"] == "pending"
    path = intake.comments / SLUG / f"{answer['id']}.yaml"
    assert set(intake.files()) == {f"{SLUG}/{PUBLISHED_ID}.yaml", f"{SLUG}/{answer['id']}.yaml"}
    text = path.read_text(encoding="utf-8")
    date = re.search(r'^date: "(.*)"$', text, re.M)
    assert date is not None and before - 2 <= time.mktime(time.strptime(date[1], "%Y-%m-%dT%H:%M:%S+00:00")) - time.timezone
    assert text.endswith(f'author: "Ann"\ndate: "{date[1]}"\nstatus: pending\nbody: |-\n  Hello *there*.\n'
                         'website: "https://ann.example/"\n')
    link = urlsplit(answer["edit"])
    assert (link.scheme, link.netloc, link.path) == ("https", "guide.example", "/comments/edit")
    token = parse_qs(link.query)["t"][0]
    assert intake.service.edits is not None
    claims = intake.service.edits.signer.read(token, "edit")
    assert claims.subject == f"{SLUG}/{answer['id']}"
    assert 7 * 86400 - 60 <= claims.expires - time.time() <= 7 * 86400


def test_a_browser_is_sent_to_the_received_page_which_shows_the_private_link(intake: Intake) -> None:
    reply = intake.post("/comments", FORM_OK)
    assert reply.status_code == 303
    location = urlsplit(reply.headers["location"])
    assert (location.scheme, location.netloc, location.path) == ("", "", "comments/received")
    query = parse_qs(location.query)
    assert set(query) == {"article", "t"} and query["article"] == [SLUG]
    comment_id = intake.service.edits.signer.read(query["t"][0], "edit").subject.partition("/")[2]  # type: ignore[union-attr]
    assert (intake.comments / SLUG / f"{comment_id}.yaml").is_file()
    shown = intake.client.get(f"/comments/received?{location.query}")
    assert shown.status_code == 200
    assert shown.headers["content-security-policy"] == PAGE_POLICY
    assert filled(shown.text, "received") == page(
        back=ARTICLE_URL, title="Hats &amp; \u2018Caps\u2019",
        edit_link=f"https://guide.example/comments/edit?t={query['t'][0]}".replace("&", "&amp;"))


def test_the_received_page_shows_no_link_for_a_token_that_is_not_genuine(intake: Intake) -> None:
    forged = Signer(b"s" * 32).sign("edit", f"{SLUG}/{PUBLISHED_ID}", 7)
    for token in (forged, "", "x.y"):
        shown = intake.client.get(f"/comments/received?{urlencode({'article': SLUG, 't': token})}")
        assert shown.status_code == 200
        assert filled(shown.text, "received") == page(back=ARTICLE_URL, title="Hats &amp; \u2018Caps\u2019",
                                                      edit_hidden="hidden")


def test_the_received_page_of_an_unknown_article_is_the_site_s_thank_you_page(intake: Intake) -> None:
    for query in ("article=nope", "", "article=hats"):
        reply = intake.client.get(f"/comments/received?{query}", follow_redirects=False)
        if query == "article=hats":
            assert reply.status_code == 200
            continue
        assert (reply.status_code, reply.headers["location"]) == (303, f"{SITE}/comment-received/")


def test_an_article_without_a_title_is_named_the_article(make_intake: Factory, tmp_path: Path) -> None:
    output = tmp_path / "site" / "output"
    output.mkdir(parents=True)
    manifest(output / "comments-manifest.json", untitled={"url": "u/", "mode": "open", "comments": {}},
             listed=[])  # type: ignore[arg-type]
    with make_intake() as intake:
        shown = intake.client.get("/comments/received?article=untitled")
        assert filled(shown.text, "received") == page(back=f"{SITE}/u/", title="the article", edit_hidden="hidden")
        reply = intake.client.get("/comments/received?article=listed", follow_redirects=False)
        assert (reply.status_code, reply.headers["location"]) == (303, f"{SITE}/comment-received/")


def test_without_notices_there_is_no_private_link(make_intake: Factory) -> None:
    with make_intake(notices=False) as intake:
        assert intake.service.edits is None
        reply = intake.post("/comments", FORM_OK, accept="application/json")
        assert reply.status_code == 201 and set(reply.json()) == {"id", "status"}
        reply = intake.post("/comments", FORM_OK)
        assert (reply.status_code, reply.headers["location"]) == (303, f"comments/received?article={SLUG}")
        shown = intake.client.get(f"/comments/received?article={SLUG}&t=abc")
        assert filled(shown.text, "received")["edit_hidden"] == "hidden"
        assert intake.client.post("/comments/edit", content=b"t=x", headers={"content-type": FORM}).status_code == 404


def test_without_a_received_page_a_browser_goes_to_the_thank_you_page(make_intake: Factory) -> None:
    with make_intake(pages=("error",), COMMENTS_THANKS_URL="merci/") as intake:
        reply = intake.post("/comments", FORM_OK)
        assert (reply.status_code, reply.headers["location"]) == (303, f"{SITE}/merci/")
        reply = intake.client.get(f"/comments/received?article={SLUG}", follow_redirects=False)
        assert (reply.status_code, reply.headers["location"]) == (303, f"{SITE}/merci/")


def test_an_article_the_manifest_gives_no_address_sends_a_browser_to_the_thank_you_page(make_intake: Factory,
                                                                                        tmp_path: Path) -> None:
    output = tmp_path / "site" / "output"
    output.mkdir(parents=True)
    manifest(output / "comments-manifest.json", nourl={"title": "T", "mode": "open", "comments": {}})
    with make_intake() as intake:
        reply = intake.post("/comments", {**FORM_OK, "article": "nourl"})
        assert (reply.status_code, reply.headers["location"]) == (303, f"{SITE}/comment-received/")
        assert len(list((intake.comments / "nourl").glob("*.yaml"))) == 1
        refused = intake.post("/comments", {**FORM_OK, "article": "nourl", "author": ""})
        assert filled(refused.text, "error")["back"] == f"{SITE}/"


def test_the_honeypot_is_answered_as_a_success_and_stores_nothing(intake: Intake, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=intake_app.__name__):
        reply = intake.post("/comments", {**FORM_OK, "homepage": " spam.example "}, accept="application/json")
    assert reply.status_code == 201 and reply.json()["status"] == "pending"
    assert re.fullmatch(r"\d{8}T\d{12}-[a-z0-9]{6}", reply.json()["id"])
    only_published(intake)
    assert "honeypot filled; answered as usual and stored nothing" in caplog.messages
    browser = intake.post("/comments", {**FORM_OK, "homepage": "x", "author": ""})
    assert browser.status_code == 303 and browser.headers["location"].startswith("comments/received?article=hats&t=")
    only_published(intake)


def link_subject(link: str) -> str:
    """What a private link's token names, read from the token's payload (base64url JSON before the dot)."""
    payload = parse_qs(urlsplit(link).query)["t"][0].split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["s"])


@pytest.mark.parametrize(("with_article", "subject", "status", "message"), [
    (True, "hats/", 410, "The comment this link names is no longer here: it was withdrawn or removed. Nothing was changed."),
    (False, "/", 403, "This link is not one we sent, or it was cut short or changed. Nothing was changed."),
], ids=["its article", "no article"])
def test_a_filled_honeypot_s_link_names_a_made_up_comment_and_opens_nothing(
        intake: Intake, with_article: bool, subject: str, status: int, message: str) -> None:
    fields = {name: value for name, value in FORM_OK.items() if name != "article" or with_article}
    reply = intake.post("/comments", {**fields, "homepage": "x"}, accept="application/json")
    assert reply.status_code == 201
    made_up, link = reply.json()["id"], reply.json()["edit"]
    assert link_subject(link) == f"{subject}{made_up}"
    opened = intake.client.get(f"/comments/edit?{urlsplit(link).query}")
    assert opened.status_code == status
    assert filled(opened.text, "edit")["message"] == message
    only_published(intake)


def test_a_blank_honeypot_does_not_stop_a_comment(intake: Intake) -> None:
    assert intake.post("/comments", {**FORM_OK, "homepage": "  "}, accept="application/json").status_code == 201
    assert intake.pending()["body"] == "Hello *there*."


def test_the_spam_rules_store_a_spam_comment_as_spam_with_the_rule(make_intake: Factory, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("spam:\n  phrases: [casino bonus]\n", encoding="utf-8")
    with make_intake(COMMENTS_SPAM_RULES=str(rules)) as intake:
        reply = intake.post("/comments", {**FORM_OK, "body": "Get a Casino Bonus"}, accept="application/json")
        assert reply.status_code == 201
        stored = intake.pending()
        assert (stored["status"], stored["note"], stored["body"]) == ("spam", "spam rules: spam: phrase 'casino bonus'",
                                                                     "Get a Casino Bonus")


def test_a_suspect_comment_stays_pending_with_the_rule_in_its_note(make_intake: Factory, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("suspect:\n  phrases: [guest post]\n", encoding="utf-8")
    with make_intake(COMMENTS_SPAM_RULES=str(rules)) as intake:
        assert intake.post("/comments", {**FORM_OK, "body": "A guest post?"}, accept="application/json").status_code == 201
        stored = intake.pending()
        assert (stored["status"], stored["note"]) == ("pending", "spam rules: suspect: phrase 'guest post'")


def test_a_reply_to_a_published_comment_is_taken(intake: Intake) -> None:
    assert intake.post("/comments", {**FORM_OK, "reply_to": PUBLISHED_ID}, accept="application/json").status_code == 201
    assert intake.pending()["reply_to"] == PUBLISHED_ID


# ---------------------------------------------------------------- refusals of a submission


@pytest.mark.parametrize(("change", "status", "errors"), [
    ({"author": ""}, 400, {"author": "Name is required."}),
    ({"author": "A\nB", "website": "ftp://x", "reply_to": "bad id"}, 400,
     {"author": "Name must be on a single line.",
      "website": "Website must be a web address starting with http:// or https://, with no user name or password (@) "
                 "and no backslash.", "reply_to": "Reply is not a valid comment id."}),
    ({"body": LONG_LINK}, 400, {"body": LONG_LINK_SAID}),
    ({"article": "nope"}, 404, {"article": "There is no such article."}),
    ({"article": "closed"}, 403, {"article": "Comments on this article are closed."}),
    ({"reply_to": "20240101T000000000000-zzzzzz"}, 404, {"reply_to": "The comment you are replying to does not exist."}),
])
def test_a_bad_submission_is_refused_with_its_exact_reasons_and_nothing_written(
        intake: Intake, change: dict[str, str], status: int, errors: dict[str, str]) -> None:
    sent = {**FORM_OK, **change}
    reply = intake.post("/comments", sent, accept="application/json")
    assert (reply.status_code, reply.json()) == (status, {"errors": errors})
    assert "retry-after" not in reply.headers
    browser = intake.post("/comments", sent)
    heading, advice = {400: FIX_IT, 403: NOT_HERE, 404: GONE_HERE}[status]
    back = ARTICLE_URL if sent["article"] == SLUG else (f"{SITE}/2024/closed/" if sent["article"] == "closed" else f"{SITE}/")
    assert browser.status_code == status
    assert browser.headers["content-security-policy"] == PAGE_POLICY
    assert browser.headers["referrer-policy"] == "same-origin"
    assert filled(browser.text, "error") == page(**typed(sent), back=back, heading=heading, advice=advice,
                                                 errors="".join(f"<li>{m}</li>" for m in errors.values()))
    only_published(intake)


def test_every_value_the_reader_typed_comes_back_escaped_on_the_refusal_page(intake: Intake) -> None:
    sent = {"article": SLUG, "author": HOSTILE, "website": f"https://x.example/?q={HOSTILE}", "reply_to": "",
            "body": f"</textarea>{HOSTILE}", "email": HOSTILE, "notify_published": "1", "notify_replies": "1"}
    reply = intake.post("/comments", sent)
    assert reply.status_code == 400
    values = filled(reply.text, "error")
    assert values == page(article=SLUG, author=HOSTILE_SHOWN, website=f"https://x.example/?q={HOSTILE_SHOWN}",
                          body=f"&lt;/textarea&gt;{HOSTILE_SHOWN}", email=HOSTILE_SHOWN, published_checked="checked",
                          replies_checked="checked", back=ARTICLE_URL, heading=FIX_IT[0], advice=FIX_IT[1],
                          errors=values["errors"])
    assert "<b>" not in reply.text
    only_published(intake)


def test_a_post_from_a_foreign_page_is_refused_and_named(intake: Intake, caplog: pytest.LogCaptureFixture) -> None:
    foreign = "https://evil.example" + "/x" * 150
    shown = foreign[:200]
    with caplog.at_level(logging.WARNING, logger=intake_app.__name__):
        reply = intake.post("/comments", FORM_OK, origin=foreign, accept="application/json")
    message = f"Comments are not accepted from the page at {shown}; this service takes them from https://guide.example."
    assert (reply.status_code, reply.json()) == (403, {"errors": {"request": message}})
    assert caplog.messages == [f"refused a post from origin \u201c{shown}\u201d: allowed are https://guide.example "
                               "(COMMENTS_ALLOWED_ORIGINS, SITEURL)"]
    assert "access-control-allow-origin" not in reply.headers
    only_published(intake)


def test_a_post_from_an_allowed_or_the_service_s_own_page_or_without_origin_is_taken(make_intake: Factory) -> None:
    with make_intake(COMMENTS_ALLOWED_ORIGINS=["https://friend.example"], COMMENTS_RATE_LIMIT=0) as intake:
        for origin in ("https://friend.example", INTAKE, INTAKE + "/", SITE):
            assert intake.post("/comments", FORM_OK, origin=origin, accept="application/json").status_code == 201
        reply = intake.client.post("/comments", content=urlencode(FORM_OK).encode(),
                                   headers={"content-type": FORM, "accept": "application/json"})
        assert reply.status_code == 201
        refused = intake.post("/comments", FORM_OK, origin="https://intake.example:444", accept="application/json")
        assert refused.json() == {"errors": {"request": "Comments are not accepted from the page at https://intake.example:444; "
                                                        "this service takes them from https://friend.example, https://guide.example."}}
        assert len(list((intake.comments / SLUG).glob("*.yaml"))) == 6


def test_any_origin_is_refused_when_none_is_allowed(make_intake: Factory) -> None:
    with make_intake(SITEURL="/blog") as intake:
        reply = intake.post("/comments", FORM_OK, origin="https://guide.example", accept="application/json")
        assert reply.json() == {"errors": {"request": "Comments are not accepted from the page at https://guide.example; "
                                                      "this service takes them from none."}}


@pytest.mark.parametrize(("headers", "content", "status", "message"), [
    ({"content-type": "multipart/form-data; boundary=x"}, b"--x--", 415, "Send the form as application/x-www-form-urlencoded."),
    ({"content-type": f"{FORM}; charset=latin-1"}, b"author=A", 415, "Send the form in UTF-8."),
    ({"content-type": FORM}, b"a=" + b"x" * 4000, 413, "The form is larger than 4,000 bytes."),
    ({"content-type": FORM}, b"author=%ff", 400, "The form is not valid UTF-8."),
])
def test_the_request_itself_is_refused_before_its_fields_are_read(
        make_intake: Factory, headers: dict[str, str], content: bytes, status: int, message: str) -> None:
    with make_intake(COMMENTS_MAX_REQUEST_BYTES=4000) as intake:
        for path in ("/comments", "/comments/preview"):
            reply = intake.post(path, content=content, accept="application/json", **headers)
            assert (reply.status_code, reply.json()) == (status, {"errors": {"request": message}})
        only_published(intake)


def test_a_body_sent_in_chunks_is_refused_as_soon_as_it_passes_the_cap(make_intake: Factory) -> None:
    with make_intake(COMMENTS_MAX_REQUEST_BYTES=4000) as intake:
        for path in ("/comments", "/comments/preview"):
            reply = intake.client.post(path, content=iter([b"a=" + b"x" * 2000, b"x" * 2000]),
                                       headers={"content-type": FORM, "accept": "application/json"})
            assert (reply.status_code, reply.json()) == (413, {"errors": {"request": "The form is larger than 4,000 bytes."}})
            exact = intake.client.post(path, content=iter([b"article=hats&author=A&body=B&x=", b"x" * (4000 - 31)]),
                                       headers={"content-type": FORM, "accept": "application/json"})
            assert exact.status_code in (200, 201)
        assert len(list((intake.comments / SLUG).glob("*.yaml"))) == 2


def test_a_comment_that_would_cost_too_much_to_publish_is_refused(intake: Intake) -> None:
    for path in ("/comments", "/comments/preview"):
        reply = intake.post(path, {**FORM_OK, "body": LONG_LINK}, accept="application/json")
        assert (reply.status_code, reply.json()) == (400, {"errors": {"body": LONG_LINK_SAID}})
    only_published(intake)


def test_before_any_manifest_comments_and_previews_wait(make_intake: Factory, tmp_path: Path) -> None:
    with make_intake() as intake:
        (intake.root / "output" / "comments-manifest.json").unlink()
        intake.service.manifest._articles = None
        intake.service.manifest._stamp = None
        for path in ("/comments", "/comments/preview"):
            reply = intake.post(path, FORM_OK, accept="application/json")
            assert (reply.status_code, reply.headers["retry-after"], reply.json()) == (
                503, "60", {"errors": {"request": "Comments cannot be taken yet; please try again later."}})
        browser = intake.post("/comments", FORM_OK)
        assert browser.status_code == 503 and browser.headers["retry-after"] == "60"
        assert filled(browser.text, "error") == page(**typed(FORM_OK), back=f"{SITE}/", heading=LATER[0], advice=LATER[1],
                                                     errors="<li>Comments cannot be taken yet; please try again later.</li>")
        only_published(intake)


def test_an_article_with_too_many_pending_comments_waits(make_intake: Factory, caplog: pytest.LogCaptureFixture) -> None:
    with make_intake(COMMENTS_MAX_PENDING=2, COMMENTS_RATE_LIMIT=0) as intake:
        with caplog.at_level(logging.INFO, logger=intake_app.__name__):
            ids = [intake.post("/comments", FORM_OK, accept="application/json").json()["id"] for _ in range(2)]
        assert caplog.messages == [f"comment {SLUG}/{comment_id} stored, pending moderation" for comment_id in ids]
        before = intake.files()
        reply = intake.post("/comments", FORM_OK, accept="application/json")
        assert (reply.status_code, reply.headers["retry-after"], reply.json()) == (503, "3600", {"errors": {
            "article": "This discussion has too many comments awaiting moderation; please try again later."}})
        assert intake.files() == before


def test_a_comment_that_cannot_be_written_is_answered_later_and_logged(intake: Intake,
                                                                       caplog: pytest.LogCaptureFixture) -> None:
    blocked = intake.comments / "other"
    blocked.write_bytes(b"not a folder")
    manifest(intake.root / "output" / "comments-manifest.json",
             other={"title": "O", "url": "o/", "mode": "open", "comments": {}})
    with caplog.at_level(logging.WARNING, logger=intake_app.__name__):
        reply = intake.post("/comments", {**FORM_OK, "article": "other"}, accept="application/json")
    assert (reply.status_code, reply.headers["retry-after"], reply.json()) == (
        503, "600", {"errors": {"request": "Comments cannot be stored right now; please try again later."}})
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("ERROR", f"cannot store a comment for other: [Errno 17] File exists: '{blocked}'")]
    assert blocked.read_bytes() == b"not a folder"


# ---------------------------------------------------------------- the rate limit


def test_past_the_rate_limit_a_client_waits_and_a_refused_post_is_not_counted(intake: Intake) -> None:
    refused = intake.post("/comments", {**FORM_OK, "author": ""}, accept="application/json")
    assert refused.status_code == 400
    for _ in range(2):
        assert intake.post("/comments", FORM_OK, accept="application/json").status_code == 201
    reply = intake.post("/comments", FORM_OK, accept="application/json")
    assert (reply.status_code, reply.headers["retry-after"], reply.json()) == (429, "600", {"errors": {
        "request": "You have sent several comments in a short time; please wait 10 minutes and send it again."}})
    browser = intake.post("/comments", {**FORM_OK, "author": HOSTILE})
    assert browser.status_code == 429 and browser.headers["retry-after"] == "600"
    assert filled(browser.text, "error") == page(
        **(typed(FORM_OK) | {"author": HOSTILE_SHOWN}), back=ARTICLE_URL, heading=WAIT[0], advice=WAIT[1],
        errors="<li>You have sent several comments in a short time; please wait 10 minutes and send it again.</li>")
    assert len(list((intake.comments / SLUG).glob("*.yaml"))) == 3


def test_the_rate_limit_counts_each_client_apart(make_intake: Factory, caplog: pytest.LogCaptureFixture) -> None:
    with make_intake(COMMENTS_RATE_LIMIT=1, COMMENTS_TRUSTED_PROXIES=["192.0.2.7"]) as intake:
        for hop in ("198.51.100.1", "198.51.100.2"):
            assert intake.post("/comments", FORM_OK, x_forwarded_for=hop, accept="application/json").status_code == 201
        with caplog.at_level(logging.DEBUG, logger=intake_app.__name__):
            assert intake.post("/comments", FORM_OK, x_forwarded_for="198.51.100.1", accept="application/json").status_code == 429
        # The client's address is logged only at debug level, never above.
        assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == intake_app.__name__] == [
            ("DEBUG", "rate limit reached for 198.51.100.1"), ("INFO", "submission refused: 429 You have sent several comments "
                                                                      "in a short time; please wait 10 minutes and send it again.")]
        assert intake.post("/comments", FORM_OK, accept="application/json").status_code == 201
        assert intake.post("/comments", FORM_OK, accept="application/json").status_code == 429


def test_with_the_rate_limit_off_every_post_is_taken(make_intake: Factory, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=intake_app.__name__), make_intake(COMMENTS_RATE_LIMIT=0) as intake:
        for _ in range(4):
            assert intake.post("/comments", FORM_OK, accept="application/json").status_code == 201
            assert intake.post("/comments/preview", FORM_OK, accept="application/json").status_code == 200
    assert caplog.messages[0] == (f"taking comments into {intake.comments}; origins https://guide.example; rate limit off; "
                                  "at most 200 pending per article")


def test_the_service_says_at_start_what_it_takes_and_clears_a_killed_writer_s_leftovers(
        make_intake: Factory, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    leftover = tmp_path / "site" / "content" / "comments" / SLUG / ".tmp-x1y2.part"
    leftover.parent.mkdir(parents=True)
    leftover.write_bytes(b"half")
    with caplog.at_level(logging.INFO, logger=intake_app.__name__), make_intake(
            COMMENTS_MAX_PENDING=0, COMMENTS_ALLOWED_ORIGINS=["https://b.example", "https://a.example"]) as intake:
        assert not leftover.exists()
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("WARNING", "removed 1 temporary files left by an interrupted write"),
        ("INFO", f"taking comments into {intake.comments}; origins https://a.example, https://b.example, https://guide.example; "
                 "rate limit 2/600s; at most any number pending per article")]
    caplog.clear()
    with caplog.at_level(logging.INFO, logger=intake_app.__name__), make_intake(SITEURL="/blog", COMMENTS_RATE_WINDOW=0.5):
        pass
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        ("INFO", f"taking comments into {intake.comments}; origins (none); rate limit 2/0.5s; at most 200 pending per article")]


def test_a_refused_client_that_goes_away_is_not_counted(make_intake: Factory) -> None:
    with make_intake(COMMENTS_RATE_LIMIT=1) as intake:
        for path in ("/comments", "/comments/preview"):
            assert disconnected(intake, path) == (400, b"incomplete request")
        assert intake.post("/comments", FORM_OK, accept="application/json").status_code == 201
        assert intake.post("/comments/preview", FORM_OK, accept="application/json").status_code == 200
        only_count = len(list((intake.comments / SLUG).glob("*.yaml")))
        assert only_count == 2


def disconnected(intake: Intake, path: str) -> tuple[int, bytes]:
    """POST to the application directly, the client going away after the first part of the body."""
    status, _, body = asgi_call(intake, path, [(b"content-type", FORM.encode()), (b"origin", SITE.encode())],
                                [{"type": "http.request", "body": b"article=hats", "more_body": True}, {"type": "http.disconnect"}])
    return status, body


def asgi_call(intake: Intake, path: str, headers: list[tuple[bytes, bytes]], messages: list[dict[str, Any]],
              client: tuple[str, int] | None = ("192.0.2.7", 5000)) -> tuple[int, dict[bytes, bytes], bytes]:
    """POST to the application as a server would, with exactly these header lines and body messages; the answer."""
    import anyio.from_thread

    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return messages.pop(0) if messages else {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "https",
             "path": path, "raw_path": path.encode(), "query_string": b"", "root_path": "",
             "headers": [(b"host", b"intake.example"), *headers],
             "client": client, "server": ("intake.example", 443), "state": {}}
    # In a loop of its own thread: the thread running the tests may already hold one (a browser test's).
    with anyio.from_thread.start_blocking_portal() as portal:
        portal.call(intake.client.app, scope, receive, send)  # type: ignore[arg-type]
    return sent[0]["status"], dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


# ---------------------------------------------------------------- preview


def test_a_preview_shows_the_build_s_rendering_in_the_form_and_stores_nothing(intake: Intake) -> None:
    sent = {**FORM_OK, "author": HOSTILE, "body": '**Hi** <script>alert(1)</script> "q"', "website": "https://a.example/?a=1&b=2"}
    reply = intake.post("/comments/preview", sent)
    assert reply.status_code == 200
    assert reply.headers["content-security-policy"] == PAGE_POLICY and reply.headers["referrer-policy"] == "same-origin"
    assert filled(reply.text, "preview") == page(
        article=SLUG, author=HOSTILE_SHOWN, website="https://a.example/?a=1&amp;b=2",
        body="**Hi** &lt;script&gt;alert(1)&lt;/script&gt; &quot;q&quot;", back=ARTICLE_URL,
        preview='<p><strong>Hi</strong> &lt;script&gt;alert(1)&lt;/script&gt; "q"</p>\n')
    only_published(intake)


def test_a_preview_for_a_script_is_json_readable_by_an_allowed_page(unlimited: Intake) -> None:
    intake = unlimited
    reply = intake.post("/comments/preview", {**FORM_OK, "body": "*a* & b"}, accept="application/json")
    assert (reply.status_code, reply.json()) == (200, {"html": "<p><em>a</em> &amp; b</p>\n"})
    assert (reply.headers["access-control-allow-origin"], reply.headers["vary"]) == (SITE, "Origin")
    refused = intake.post("/comments/preview", {**FORM_OK, "body": ""}, accept="application/json")
    assert (refused.status_code, refused.json()) == (400, {"errors": {"body": "Comment is required."}})
    assert (refused.headers["access-control-allow-origin"], refused.headers["vary"]) == (SITE, "Origin")
    own = intake.post("/comments/preview", FORM_OK, origin=INTAKE, accept="application/json")
    assert own.status_code == 200 and "access-control-allow-origin" not in own.headers and "vary" not in own.headers
    bare = intake.client.post("/comments/preview", content=urlencode(FORM_OK).encode(),
                              headers={"content-type": FORM, "accept": "application/json"})
    assert bare.status_code == 200 and "access-control-allow-origin" not in bare.headers
    foreign = intake.post("/comments/preview", FORM_OK, origin="https://evil.example", accept="application/json")
    assert foreign.status_code == 403 and "access-control-allow-origin" not in foreign.headers
    only_published(intake)


def test_a_refused_preview_keeps_the_form_on_the_error_page(intake: Intake) -> None:
    sent = {**FORM_OK, "article": "closed", "body": HOSTILE}
    reply = intake.post("/comments/preview", sent)
    assert reply.status_code == 403
    assert filled(reply.text, "error") == page(**(typed(sent) | {"body": HOSTILE_SHOWN}), back=f"{SITE}/2024/closed/",
                                               heading=NOT_HERE[0], advice=NOT_HERE[1],
                                               errors="<li>Comments on this article are closed.</li>")
    only_published(intake)


def test_without_a_preview_page_a_preview_waits_for_the_build(make_intake: Factory) -> None:
    with make_intake(pages=("error",)) as intake:
        reply = intake.post("/comments/preview", FORM_OK)
        assert (reply.status_code, "retry-after" in reply.headers) == (503, False)
        assert filled(reply.text, "error") == page(**typed(FORM_OK), back=ARTICLE_URL, heading=LATER[0], advice=LATER[1],
                                                   errors="<li>Previews cannot be shown yet; please try again later.</li>")
        assert intake.post("/comments/preview", FORM_OK, accept="application/json").json() == {"html": "<p>Hello <em>there</em>.</p>\n"}
        only_published(intake)


def test_previews_never_use_up_a_submission_and_have_a_limit_of_their_own(intake: Intake) -> None:
    for _ in range(2):
        assert intake.post("/comments/preview", FORM_OK, accept="application/json").status_code == 200
    wait = "You have sent several comments in a short time; please wait 10 minutes and send it again."
    reply = intake.post("/comments/preview", FORM_OK, accept="application/json")
    assert (reply.status_code, reply.headers["retry-after"], reply.json()) == (429, "600", {"errors": {"request": wait}})
    for _ in range(2):
        assert intake.post("/comments", FORM_OK, accept="application/json").status_code == 201
    assert intake.post("/comments", FORM_OK, accept="application/json").status_code == 429


def test_a_refused_preview_is_not_counted(make_intake: Factory) -> None:
    with make_intake(COMMENTS_RATE_LIMIT=1) as intake:
        for _ in range(3):
            assert intake.post("/comments/preview", {**FORM_OK, "author": ""}, accept="application/json").status_code == 400
        assert intake.post("/comments/preview", FORM_OK, accept="application/json").status_code == 200
        assert intake.post("/comments/preview", FORM_OK, accept="application/json").status_code == 429
        assert intake.post("/comments", FORM_OK, accept="application/json").status_code == 201


def test_a_preview_is_never_a_submission_even_with_the_honeypot_filled(intake: Intake) -> None:
    reply = intake.post("/comments/preview", {**FORM_OK, "homepage": "x"}, accept="application/json")
    assert (reply.status_code, reply.json()) == (200, {"html": "<p>Hello <em>there</em>.</p>\n"})
    only_published(intake)


# ---------------------------------------------------------------- the private link: edit, withdraw, ask for removal


def submitted(intake: Intake, **change: str) -> tuple[Path, str]:
    """Post a comment as a script would; its file and the token of its private link."""
    reply = intake.post("/comments", {**FORM_OK, **change}, accept="application/json")
    assert reply.status_code == 201, reply.text
    return intake.comments / SLUG / f"{reply.json()['id']}.yaml", parse_qs(urlsplit(reply.json()["edit"]).query)["t"][0]


def digest(path: Path) -> str:
    """The digest an edit form carries: the first 32 hex digits of the file's SHA-256."""
    import hashlib

    return hashlib.sha256(path.read_bytes()).hexdigest()[:32]


WAITING = "Your comment is waiting for moderation. Until a moderator decides, you can change it or withdraw it."
EDIT_ACTION = "https://guide.example/comments/edit"


def edit_page(path: Path, token: str, **given: str) -> dict[str, str]:
    """The edit page's placeholders for a pending comment shown in its form."""
    return page(heading="Your comment", message=WAITING, token=token, digest=digest(path), action=EDIT_ACTION,
                back=f"{SITE}/", removal_hidden="hidden") | given


def test_the_private_link_shows_the_pending_comment_in_its_form_escaped(intake: Intake) -> None:
    path, token = submitted(intake, author=HOSTILE, body=f"</textarea>{HOSTILE}", website="https://a.example/?a=1&b=2")
    shown = intake.client.get(f"/comments/edit?{urlencode({'t': token})}")
    assert shown.status_code == 200
    assert shown.headers["content-security-policy"] == PAGE_POLICY
    assert filled(shown.text, "edit") == edit_page(path, token, author=HOSTILE_SHOWN, website="https://a.example/?a=1&amp;b=2",
                                                   body=f"&lt;/textarea&gt;{HOSTILE_SHOWN}")


def test_an_edit_rewrites_only_the_fields_the_reader_owns(intake: Intake) -> None:
    path, token = submitted(intake)
    before = yaml.safe_load(path.read_text(encoding="utf-8"))
    sent = {"t": token, "digest": digest(path), "action": "save", "author": "Ann B.", "website": "https://ann.example/",
            "body": "Hello *again*."}
    reply = intake.post("/comments/edit", sent)
    assert reply.status_code == 200
    assert yaml.safe_load(path.read_text(encoding="utf-8")) == {**before, "author": "Ann B.", "website": "https://ann.example/",
                                                                "body": "Hello *again*."}
    assert filled(reply.text, "edit") == edit_page(path, token, heading="Your comment was changed", author="Ann B.",
                                                   website="https://ann.example/", body="Hello *again*.")
    assert set(intake.files()) == {f"{SLUG}/{PUBLISHED_ID}.yaml", f"{SLUG}/{path.name}"}


def test_an_edit_that_breaks_a_rule_keeps_the_reader_s_text_and_changes_nothing(intake: Intake) -> None:
    path, token = submitted(intake)
    before = path.read_bytes()
    sent = {"t": token, "digest": digest(path), "action": "save", "author": "\u200b", "website": "", "body": HOSTILE}
    reply = intake.post("/comments/edit", sent)
    assert reply.status_code == 400
    assert filled(reply.text, "edit") == edit_page(
        path, token, heading="Your comment was not changed", author="\u200b", body=HOSTILE_SHOWN,
        errors="<li>Name must have something visible: it holds only invisible characters.</li>")
    assert path.read_bytes() == before


def test_an_edit_preview_renders_and_stores_nothing_and_counts_as_a_preview(make_intake: Factory) -> None:
    with make_intake(COMMENTS_RATE_LIMIT=1) as intake:
        path, token = submitted(intake)
        before = intake.files()
        sent = {"t": token, "digest": digest(path), "action": "preview", "author": "Ann", "website": "", "body": "**New**"}
        reply = intake.post("/comments/edit", sent)
        assert reply.status_code == 200
        assert filled(reply.text, "edit") == edit_page(path, token, heading="Preview of your changed comment", author="Ann",
                                                       body="**New**", preview="<p><strong>New</strong></p>\n")
        assert intake.files() == before
        again = intake.post("/comments/edit", sent)
        assert again.status_code == 429
        assert filled(again.text, "edit")["message"] == ("You have sent several comments in a short time; please wait "
                                                         "10 minutes and send it again.")
        # The one submission the limit allows was used by the comment itself: a save is refused too.
        assert intake.post("/comments/edit", {**sent, "action": "save"}).status_code == 429
        assert intake.files() == before


def test_a_withdrawal_removes_the_pending_file(intake: Intake) -> None:
    path, token = submitted(intake)
    reply = intake.post("/comments/edit", {"t": token, "digest": digest(path), "action": "withdraw"})
    assert reply.status_code == 200
    assert filled(reply.text, "edit") == page(heading="Your comment was withdrawn", form_hidden="hidden", back=f"{SITE}/",
                                              removal_hidden="hidden",
                                              message="Your comment is deleted and will not be published.")
    only_published(intake)
    gone = intake.client.get(f"/comments/edit?{urlencode({'t': token})}")
    assert gone.status_code == 410
    assert filled(gone.text, "edit")["message"] == ("The comment this link names is no longer here: it was withdrawn or "
                                                    "removed. Nothing was changed.")


def test_a_published_comment_takes_a_removal_request_once(unlimited: Intake) -> None:
    intake = unlimited
    path, token = submitted(intake)
    path.write_bytes(path.read_bytes().replace(b"status: pending", b"status: approved"))
    approved = path.read_bytes()
    shown = intake.client.get(f"/comments/edit?{urlencode({'t': token})}")
    assert filled(shown.text, "edit") == page(
        heading="Your comment is published", form_hidden="hidden", token=token, action=EDIT_ACTION, back=f"{SITE}/",
        message="A moderator has approved this comment and it is published, so it can no longer be changed or withdrawn "
                "here. You can ask the editors to remove it; a reason is optional and only the editors see it.")
    reply = intake.post("/comments/edit", {"t": token, "action": "remove", "reason": "Posted in haste & <anger>."})
    assert reply.status_code == 200
    written = path.read_bytes()
    asked = re.search(rb'^removal_requested: "(.*)"\n', written, re.M)
    assert asked is not None
    assert written == approved + b'removal_requested: "' + asked[1] + b'"\nremoval_reason: "Posted in haste & <anger>."\n'
    done = filled(reply.text, "edit")
    assert done["heading"] == "Your request was sent" and done["removal_hidden"] == "hidden"
    again = intake.post("/comments/edit", {"t": token, "action": "remove", "reason": "Again"})
    assert again.status_code == 200 and filled(again.text, "edit")["heading"] == "Your request was already received"
    assert path.read_bytes() == written


def test_a_decided_comment_can_no_longer_change(intake: Intake) -> None:
    path, token = submitted(intake)
    path.write_bytes(path.read_bytes().replace(b"status: pending", b"status: rejected"))
    before = intake.files()
    for action in ("save", "withdraw", "preview"):
        reply = intake.post("/comments/edit", {"t": token, "digest": digest(path), "action": action, "author": "X", "body": "Y"})
        assert reply.status_code == 409
        assert filled(reply.text, "edit") == page(
            heading="Your comment was declined", form_hidden="hidden", back=f"{SITE}/", removal_hidden="hidden",
            message="A moderator has declined this comment, so it can no longer be changed or withdrawn here.")
    assert intake.files() == before


def test_a_forged_expired_tampered_or_foreign_link_changes_nothing(intake: Intake) -> None:
    path, token = submitted(intake)
    assert intake.service.edits is not None
    signer = intake.service.edits.signer
    subject = f"{SLUG}/{path.stem}"
    forged = "This link is not one we sent, or it was cut short or changed."
    cases = [
        (Signer(b"k" * 32).sign("edit", subject, 7), 403, forged),
        (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), 403, forged),
        (token[:-10], 403, forged),
        (signer.sign("edit", subject, 7, now=time.time() - 8 * 86400), 410, "This link has expired."),
        (signer.sign("confirm", subject, 7), 403, forged),
        (signer.sign("edit", "../etc/x", 7), 403, forged),
    ]
    before = intake.files()
    for bad, status, message in cases:
        sent = {"t": bad, "digest": digest(path), "action": "save", "author": "Eve", "body": HOSTILE, "reason": "R"}
        reply = intake.post("/comments/edit", sent)
        assert reply.status_code == status, bad
        assert filled(reply.text, "edit") == page(heading="This link cannot change the comment", form_hidden="hidden",
                                                  back=f"{SITE}/", removal_hidden="hidden", body=HOSTILE_SHOWN,
                                                  reason="R", message=f"{message} Nothing was changed.")
        assert intake.client.get(f"/comments/edit?{urlencode({'t': bad})}").status_code == status
    assert intake.files() == before


def test_an_edit_from_a_foreign_page_or_too_large_changes_nothing(make_intake: Factory) -> None:
    with make_intake(COMMENTS_MAX_REQUEST_BYTES=4000) as intake:
        path, token = submitted(intake)
        before = intake.files()
        sent = {"t": token, "digest": digest(path), "action": "save", "author": "Eve", "body": "B"}
        foreign = intake.post("/comments/edit", sent, origin="https://evil.example")
        assert foreign.status_code == 403
        assert filled(foreign.text, "edit")["message"] == ("Comments are not accepted from the page at https://evil.example; "
                                                           "this service takes them from https://guide.example.")
        large = intake.post("/comments/edit", {**sent, "body": "b" * 4000})
        assert large.status_code == 413
        assert filled(large.text, "edit")["message"] == "The form is larger than 4,000 bytes."
        assert intake.files() == before


def test_an_edit_is_screened_by_the_spam_rules(make_intake: Factory, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("spam:\n  phrases: [casino bonus]\n", encoding="utf-8")
    with make_intake(COMMENTS_SPAM_RULES=str(rules)) as intake:
        path, token = submitted(intake)
        sent = {"t": token, "digest": digest(path), "action": "save", "author": "Ann", "body": "casino bonus"}
        assert intake.post("/comments/edit", sent).status_code == 200
        stored = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert (stored["status"], stored["note"], stored["body"]) == ("pending", "spam rules: spam: phrase 'casino bonus'",
                                                                     "casino bonus")


def test_two_edits_at_once_through_one_link_never_lose_one_silently(unlimited: Intake) -> None:
    intake = unlimited
    path, token = submitted(intake)
    shown = digest(path)
    answers: dict[str, int] = {}

    def save(body: str) -> None:
        reply = intake.post("/comments/edit", {"t": token, "digest": shown, "action": "save", "author": "Ann", "body": body})
        answers[body] = reply.status_code

    threads = [threading.Thread(target=save, args=(body,)) for body in ("First.", "Second.")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(answers.values()) == [200, 409]
    winner = next(body for body, status in answers.items() if status == 200)
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["body"] == winner
    late = intake.post("/comments/edit", {"t": token, "digest": shown, "action": "save", "author": "Ann", "body": HOSTILE})
    assert late.status_code == 409
    assert filled(late.text, "edit") == edit_page(
        path, token, heading="Your comment was not changed", author="Ann", body=HOSTILE_SHOWN,
        errors="<li>Your comment was changed from another page since this one was opened; nothing was changed now. "
               "Check the text below and save again.</li>")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["body"] == winner


# ---------------------------------------------------------------- every answer: headers, framing, health


def test_every_answer_carries_the_security_headers_unless_it_sets_its_own(intake: Intake) -> None:
    health = intake.client.get("/health")
    assert (health.status_code, health.text) == (200, "ok")
    assert {name: health.headers[name] for name in SECURITY} == SECURITY
    missing = intake.client.get("/nowhere")
    assert missing.status_code == 404 and {name: missing.headers[name] for name in SECURITY} == SECURITY
    refused = intake.post("/comments", {**FORM_OK, "author": ""})
    assert refused.headers["content-security-policy"] == PAGE_POLICY
    assert (refused.headers["referrer-policy"], refused.headers["cache-control"], refused.headers["x-content-type-options"]) == (
        "same-origin", "no-store", "nosniff")
    assert intake.client.get("/comments").status_code == 405


def test_an_ambiguous_or_oversized_request_head_is_refused_before_any_route(intake: Intake,
                                                                           caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=intake_app.__name__):
        refused = asgi_call(intake, "/health", [(b"content-length", b"0"), (b"transfer-encoding", b"chunked")], [])
    assert refused[0] == 400 and caplog.messages == [
        "refused a request head: A request may not carry both Content-Length and Transfer-Encoding."]
    status, headers, body = asgi_call(intake, "/comments", [
        (b"content-type", FORM.encode()), (b"content-length", b"17"), (b"transfer-encoding", b"chunked")],
        [{"type": "http.request", "body": b"author=A&body=Hi.", "more_body": False}])
    assert (status, body, headers[b"connection"]) == (400, b"A request may not carry both Content-Length and "
                                                           b"Transfer-Encoding.", b"close")
    assert {name: headers[name.encode()].decode() for name in SECURITY} == SECURITY
    many = intake.client.get("/health", headers={f"x-h{n}": "v" for n in range(100)})
    assert (many.status_code, many.text) == (431, "Request headers are limited to 100 lines and 16,384 bytes.")
    only_published(intake)


def head(count: int, size: int = 1) -> list[tuple[bytes, bytes]]:
    """`count` header lines, each value `size` bytes long."""
    return [(b"x-%03d" % n, b"v" * size) for n in range(count)]


@pytest.mark.parametrize(("headers", "problem"), [
    (head(100), None),
    (head(101), (431, "Request headers are limited to 100 lines and 16,384 bytes.")),
    # 4 lines of 5-byte names and 4,087-byte values: 4 * (5 + 4,087 + 4) = 16,384 bytes, the most allowed.
    (head(4, 4087), None),
    (head(4, 4088), (431, "Request headers are limited to 100 lines and 16,384 bytes.")),
    ([(b"Content-Length", b"1"), (b"Transfer-Encoding", b"chunked")],
     (400, "A request may not carry both Content-Length and Transfer-Encoding.")),
    ([(b"content-length", b"1")], None),
    ([(b"transfer-encoding", b"chunked")], None),
])
def test_a_request_head_is_judged_by_its_lines_its_bytes_and_its_framing(
        headers: list[tuple[bytes, bytes]], problem: tuple[int, str] | None) -> None:
    assert intake_app.framing_problem(headers) == problem


def test_a_lifespan_event_passes_the_middleware_untouched(make_intake: Factory) -> None:
    with make_intake() as intake:
        assert intake.service.notifier is not None and intake.service.notifier._thread is not None
        assert intake.service.notifier._thread.is_alive()
    assert not intake.service.notifier._thread.is_alive()


# ---------------------------------------------------------------- with git


def subjects(root: Path) -> list[str]:
    """The commit subjects of the site's repository, newest first."""
    return sh(root, "git", "log", "--format=%s").stdout.splitlines()


def changed(root: Path) -> list[str]:
    """What the last commit changed: status letter and path."""
    return sh(root, "git", "show", "--name-status", "--format=", "HEAD").stdout.split()


def test_with_git_each_comment_edit_withdrawal_and_decision_is_committed_alone(make_intake: Factory) -> None:
    with make_intake(COMMENTS_GIT_COMMIT=True, COMMENTS_RATE_LIMIT=0, moderators=("Mo <mo@guide.example>",)) as intake:
        root = intake.root
        path, token = submitted(intake, author=HOSTILE)
        label = f"{SLUG}/{path.stem}"
        where = f"content/comments/{SLUG}/{path.name}"
        assert (subjects(root), changed(root)) == ([f"Comment pending moderation: {label}", "Site"], ["A", where])
        sent = {"t": token, "digest": digest(path), "action": "save", "author": "Ann", "body": "Changed."}
        assert intake.post("/comments/edit", sent).status_code == 200
        assert (subjects(root)[0], changed(root)) == (f"Comment edited before moderation: {label}", ["M", where])
        other, other_token = submitted(intake)
        assert intake.post("/comments/edit", {"t": other_token, "digest": digest(other), "action": "withdraw"}).status_code == 200
        assert (subjects(root)[0], changed(root)) == (
            f"Comment withdrawn before moderation: {SLUG}/{other.stem}", ["D", f"content/comments/{SLUG}/{other.name}"])
        notifier = intake.service.notifier
        assert notifier is not None
        comment = SimpleNamespace(article=SLUG, id=path.stem)
        link = moderation_link(notifier.config, notifier.signer, comment, "approved", notifier.config.moderators[0])  # type: ignore[arg-type]
        decided = intake.post("/comments/moderate", {"t": unquote(parse_qs(urlsplit(link).query)["t"][0])})
        assert decided.status_code == 200, decided.text
        assert (subjects(root)[0], changed(root)) == (f"Approve {label}", ["M", where])
        assert b"status: approved" in path.read_bytes()
        assert sh(root, "git", "status", "--porcelain", "content").stdout == ""
        recorder = intake.service.recorder
        assert recorder is not None and not recorder._stop.is_set()
        # Let the git worker finish its round first: asked to stop in the middle of one, it waits for its full time limit.
        time.sleep(1.0)
    # Shutting down asks the git worker to stop after its last round.
    assert recorder._stop.is_set()


def test_each_refusal_is_logged_once_by_its_kind_and_read_only_by_an_allowed_page_for_a_preview(
        intake: Intake, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger=intake_app.__name__):
        submission = intake.post("/comments", {**FORM_OK, "author": "", "body": ""}, accept="application/json")
        preview = intake.post("/comments/preview", {**FORM_OK, "article": "nope"}, accept="application/json")
        gone = disconnected(intake, "/comments")
    assert caplog.messages == ["submission refused: 400 Name is required.; Comment is required.",
                               "preview refused: 404 There is no such article.",
                               "client went away before sending the whole form"]
    assert submission.status_code == 400 and "access-control-allow-origin" not in submission.headers
    assert (preview.status_code, preview.headers["access-control-allow-origin"]) == (404, SITE)
    assert gone == (400, b"incomplete request")
    accepted = intake.post("/comments", FORM_OK, accept="application/json")
    assert accepted.status_code == 201 and "access-control-allow-origin" not in accepted.headers


def test_an_article_address_is_taken_after_its_leading_slashes(make_intake: Factory, tmp_path: Path) -> None:
    output = tmp_path / "site" / "output"
    output.mkdir(parents=True)
    manifest(output / "comments-manifest.json", xmas={"title": "Xmas", "url": "//Xmas/", "mode": "open", "comments": {}})
    with make_intake() as intake:
        reply = intake.post("/comments", {**FORM_OK, "article": "xmas", "author": ""})
        assert filled(reply.text, "error")["back"] == f"{SITE}/Xmas/"


def test_only_the_service_s_own_address_passes_for_its_own_page(intake: Intake) -> None:
    for origin in ("https://intake.exampleX", "http://intake.example", "https://intake.example:8443"):
        reply = intake.post("/comments", FORM_OK, origin=origin, accept="application/json")
        assert reply.status_code == 403, origin
    assert intake.post("/comments", FORM_OK, origin="https://intake.example/", accept="application/json").status_code == 201


def test_a_comment_too_large_for_the_disk_is_answered_later_and_leaves_nothing(intake: Intake,
                                                                                 caplog: pytest.LogCaptureFixture) -> None:
    import resource
    import signal

    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    handler = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    try:
        with caplog.at_level(logging.WARNING, logger=intake_app.__name__):
            # No file may grow past 64 bytes for this one post: writing the comment fails with EFBIG, as on a full disk.
            resource.setrlimit(resource.RLIMIT_FSIZE, (64, hard))
            try:
                reply = intake.post("/comments", FORM_OK, accept="application/json")
            finally:
                resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
    finally:
        signal.signal(signal.SIGXFSZ, handler)
    assert (reply.status_code, reply.headers["retry-after"], reply.json()) == (
        503, "600", {"errors": {"request": "Comments cannot be stored right now; please try again later."}})
    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [("WARNING", "cannot store a comment for hats: File too large")]
    only_published(intake)


def test_an_edit_is_screened_against_the_names_approved_since_it_was_sent(make_intake: Factory, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("spam:\n  max_links_first_time: 0\n", encoding="utf-8")
    with make_intake(COMMENTS_SPAM_RULES=str(rules)) as intake:
        path, token = submitted(intake, author="Cy")
        assert "note" not in yaml.safe_load(path.read_text(encoding="utf-8"))
        # Meanwhile a comment of Cy's is approved and published: Cy is no longer a first-time name.
        manifest(intake.root / "output" / "comments-manifest.json",
                 other={"title": "O", "url": "o/", "mode": "open", "comments": {PUBLISHED_ID: "Cy"}})
        sent = {"t": token, "digest": digest(path), "action": "save", "author": "Cy", "body": "See https://cy.example/"}
        assert intake.post("/comments/edit", sent).status_code == 200
        stored = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert (stored["body"], "note" in stored) == ("See https://cy.example/", False)


def test_a_decision_that_cannot_be_committed_is_kept_and_logged(make_intake: Factory, caplog: pytest.LogCaptureFixture) -> None:
    with make_intake(COMMENTS_GIT_COMMIT=True, COMMENTS_RATE_LIMIT=0, moderators=("Mo <mo@guide.example>",)) as intake:
        path, _ = submitted(intake)
        notifier = intake.service.notifier
        assert notifier is not None
        comment = SimpleNamespace(article=SLUG, id=path.stem)
        link = moderation_link(notifier.config, notifier.signer, comment, "rejected", notifier.config.moderators[0])  # type: ignore[arg-type]
        (intake.root / ".git" / "index").write_bytes(b"not an index")
        with caplog.at_level(logging.ERROR, logger=intake_app.__name__):
            decided = intake.post("/comments/moderate", {"t": unquote(parse_qs(urlsplit(link).query)["t"][0])})
        assert decided.status_code == 200
        assert b"status: rejected" in path.read_bytes()
        said, _, error = caplog.records[0].getMessage().partition(": ")
        assert (len(caplog.records), said) == (1, f"decision on {SLUG}/{path.stem} saved but not committed")
        assert error.endswith("fatal: .git/index: index file smaller than expected"), error
        time.sleep(1.0)


def test_before_a_build_the_plain_edit_page_escapes_every_value(make_intake: Factory) -> None:
    with make_intake(pages=()) as intake:
        path, token = submitted(intake, author=HOSTILE, website="https://a.example/?a=1&b=2", body=f"</textarea>{HOSTILE}")
        shown = intake.client.get(f"/comments/edit?{urlencode({'t': token})}")
        assert shown.status_code == 200
        assert shown.headers["content-security-policy"] == (
            "default-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
        text = shown.text
        assert f'<input name="author" value="{HOSTILE_SHOWN}">' in text
        assert '<input name="website" value="https://a.example/?a=1&amp;b=2">' in text
        assert f'<textarea name="body" rows="8">\n&lt;/textarea&gt;{HOSTILE_SHOWN}</textarea>' in text
        assert f'<input type="hidden" name="t" value="{token}">' in text
        assert f'<input type="hidden" name="digest" value="{digest(path)}">' in text
        assert "<b>" not in text and text.count("<textarea") == 1


def letters(state: Path) -> list[str]:
    """The text of every message the notices queued or delivered to the outbox (a Maildir), decoded."""
    import email

    found = []
    for path in sorted(state.rglob("*")):
        if path.suffix == ".json" and path.parent.name == "mail-queue":
            raw = json.loads(path.read_text(encoding="utf-8"))["message"]
        elif path.parent.name == "new" and path.parent.parent.name == "outbox":
            raw = path.read_text(encoding="utf-8")
        else:
            continue
        message = email.message_from_string(raw)
        found.append("".join(str(part.get_payload(decode=True).decode("utf-8")) for part in message.walk()
                             if part.get_content_type() == "text/plain"))
    return found


def test_a_reader_asking_for_notices_is_sent_the_private_link_with_the_confirmation(make_intake: Factory,
                                                                                    tmp_path: Path) -> None:
    with make_intake() as intake:
        reply = intake.post("/comments", {**FORM_OK, "email": "reader@example.org", "notify_published": "1"},
                            accept="application/json")
        assert reply.status_code == 201
    sent = letters(tmp_path / "state")
    assert len(sent) == 1, sent
    link = re.search(r"^https://guide\.example/comments/edit\?t=(\S+)$", sent[0], re.M)
    assert "Keep it to yourself." in sent[0] and link is not None
    assert "left a comment on \u201cHats & \u201cCaps\u201d\u201d" in sent[0], "the title comes from the manifest"
    assert intake.service.edits is not None
    assert intake.service.edits.signer.read(link[1], "edit").subject == f"{SLUG}/{reply.json()['id']}"


def delivered(state: Path) -> list[str]:
    """The recipients of the messages the delivery thread put in the outbox (a Maildir)."""
    import email

    outbox = state / "outbox" / "new"
    return sorted(str(email.message_from_bytes(path.read_bytes())["To"]) for path in outbox.glob("*")) if outbox.is_dir() else []


def test_a_confirmation_is_delivered_at_once_with_no_moderator_to_alert(make_intake: Factory, tmp_path: Path) -> None:
    """The delivery thread is woken for the reader's letter, though no alert is due (asleep, it waits up to an hour)."""
    with make_intake() as intake:
        reply = intake.post("/comments", {**FORM_OK, "email": "reader@example.org", "notify_published": "1"},
                            accept="application/json")
        assert reply.status_code == 201
        wait_for(lambda: delivered(tmp_path / "state") == ["reader@example.org"], 10, "the confirmation in the outbox")


def test_an_alert_is_delivered_at_once_for_a_comment_without_an_address(make_intake: Factory, tmp_path: Path) -> None:
    """A comment whose reader asked for nothing still wakes the delivery thread when moderators are alerted."""
    with make_intake(moderators=("Mo <mo@guide.example>",)) as intake:
        assert intake.post("/comments", FORM_OK, accept="application/json").status_code == 201
        wait_for(lambda: delivered(tmp_path / "state") == ["Mo <mo@guide.example>"], 10, "the alert in the outbox")


def test_notices_that_fail_never_fail_the_comment(make_intake: Factory, tmp_path: Path,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    with make_intake() as intake:
        queue = tmp_path / "state" / "mail-queue"
        # Moved aside in one step: the service's delivery thread may be taking its lock in there right now.
        queue.rename(queue.with_name("mail-queue-before"))
        queue.write_bytes(b"not a folder")
        with caplog.at_level(logging.ERROR, logger=intake_app.__name__):
            reply = intake.post("/comments", {**FORM_OK, "email": "reader@example.org", "notify_published": "1"},
                                accept="application/json")
        assert reply.status_code == 201
        comment_id = reply.json()["id"]
        assert (intake.comments / SLUG / f"{comment_id}.yaml").is_file()
        logged = [r.getMessage().partition(": ") for r in caplog.records if r.name == intake_app.__name__]
        assert [(said, error[:26]) for said, _, error in logged] == [
            (f"comment {SLUG}/{comment_id} stored, but its notices failed", "[Errno 20] Not a directory")]


def test_akismet_is_told_the_reader_s_address_agent_and_the_article_for_a_comment_and_an_edit(make_intake: Factory) -> None:
    with akismet_stand_in() as (endpoint, seen):
        akismet_told(make_intake, endpoint, seen)


def akismet_told(make_intake: Factory, endpoint: str, seen: list[dict[str, list[str]]]) -> None:
    """Post a comment and an edit through the intake with Akismet on; check what the stand-in was told."""
    agent = "Reader/1.0 " + "x" * 600
    with make_intake(COMMENTS_AKISMET_KEY="test-key-123", COMMENTS_AKISMET_ENDPOINT=endpoint, COMMENTS_RATE_LIMIT=0,
                     COMMENTS_TRUSTED_PROXIES=["192.0.2.7"], DEFAULT_LANG="fr") as intake:
        reply = intake.post("/comments", {**FORM_OK, "body": "spammy words"}, accept="application/json",
                            x_forwarded_for="198.51.100.9", user_agent=agent)
        path = intake.comments / SLUG / f"{reply.json()['id']}.yaml"
        assert yaml.safe_load(path.read_text(encoding="utf-8"))["status"] == "spam"
        _, token = submitted(intake)
        other = next(p for p in (intake.comments / SLUG).glob("*.yaml") if p.stem not in (PUBLISHED_ID, path.stem))
        sent = {"t": token, "digest": digest(other), "action": "save", "author": "Ann", "body": "spammy now"}
        assert intake.client.post("/comments/edit", content=urlencode(sent).encode(), follow_redirects=False,
                                  headers={"content-type": FORM, "x-forwarded-for": "198.51.100.3, 2001:db8::7"}).status_code == 200
    assert {(a["blog"][0], a["blog_lang"][0], a["api_key"][0]) for a in seen} == {(SITE, "fr", "test-key-123")}
    asked = [(a["user_ip"], a["user_agent"], a["permalink"], a["comment_content"]) for a in seen]
    assert asked == [
        (["198.51.100.9"], [agent[:512]], [ARTICLE_URL], ["spammy words"]),
        (["192.0.2.7"], ["testclient"], [ARTICLE_URL], ["Hello *there*."]),
        (["2001:db8::"], ["testclient"], [ARTICLE_URL], ["spammy now"]),
    ]


def test_a_refused_post_is_refused_for_its_cost_first_and_akismet_never_hears_of_it(make_intake: Factory) -> None:
    """The body's cost is answered before the article's refusal, and a refused comment is never sent to Akismet."""
    with akismet_stand_in() as (endpoint, seen), make_intake(COMMENTS_AKISMET_KEY="k3y", COMMENTS_AKISMET_ENDPOINT=endpoint,
                                                             COMMENTS_RATE_LIMIT=0) as intake:
        for change, status, errors in (
            ({"article": "closed", "body": LONG_LINK}, 400, {"body": LONG_LINK_SAID}),
            ({"article": "nope", "body": LONG_LINK}, 400, {"body": LONG_LINK_SAID}),
            ({"article": "closed"}, 403, {"article": "Comments on this article are closed."}),
            ({"reply_to": "20240101T000000000000-zzzzzz"}, 404, {"reply_to": "The comment you are replying to does not exist."}),
        ):
            for path in ("/comments", "/comments/preview"):
                reply = intake.post(path, {**FORM_OK, **change}, accept="application/json")
                assert (reply.status_code, reply.json()) == (status, {"errors": errors}), (path, change)
        assert seen == []
        only_published(intake)
        assert intake.post("/comments", FORM_OK, accept="application/json").status_code == 201
    assert [a["comment_content"] for a in seen] == [[FORM_OK["body"]]]


def test_a_comment_is_screened_against_the_names_the_manifest_lists_as_approved(make_intake: Factory, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("spam:\n  max_links_first_time: 0\n", encoding="utf-8")
    output = tmp_path / "site" / "output"
    output.mkdir(parents=True)
    manifest(output / "comments-manifest.json", other={"title": "O", "url": "o/", "mode": "open", "comments": {PUBLISHED_ID: "Bo"}})
    with make_intake(COMMENTS_SPAM_RULES=str(rules)) as intake:
        for author, status in (("Bo", "pending"), ("Cy", "spam")):
            reply = intake.post("/comments", {**FORM_OK, "author": author, "body": "See https://x.example/"},
                                accept="application/json")
            stored = yaml.safe_load((intake.comments / SLUG / f"{reply.json()['id']}.yaml").read_text(encoding="utf-8"))
            assert stored["status"] == status, author


def test_a_post_over_a_connection_without_a_client_address_is_taken(make_intake: Factory) -> None:
    with akismet_stand_in() as (endpoint, seen), make_intake(COMMENTS_AKISMET_KEY="test-key-123",
                                                             COMMENTS_AKISMET_ENDPOINT=endpoint) as intake:
        body = urlencode(FORM_OK).encode()
        status, _, _ = asgi_call(intake, "/comments", [(b"content-type", FORM.encode()), (b"accept", b"application/json")],
                                 [{"type": "http.request", "body": body, "more_body": False}], client=None)
        assert status == 201
        assert [a["user_ip"] for a in seen] == [["unknown"]]
        assert "user_agent" not in seen[0], "no User-Agent header: Akismet is told an empty one"


def test_a_comment_s_website_is_screened_and_an_edit_s_too(make_intake: Factory, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("spam:\n  link_hosts: [spam.example]\n", encoding="utf-8")
    with make_intake(COMMENTS_SPAM_RULES=str(rules), COMMENTS_RATE_LIMIT=0) as intake:
        reply = intake.post("/comments", {**FORM_OK, "website": "https://spam.example/"}, accept="application/json")
        spam = yaml.safe_load((intake.comments / SLUG / f"{reply.json()['id']}.yaml").read_text(encoding="utf-8"))
        assert (spam["status"], spam["note"]) == ("spam", "spam rules: spam: link to spam.example")
        path, token = submitted(intake)
        sent = {"t": token, "digest": digest(path), "action": "save", "author": "Ann", "body": "Hi.",
                "website": "https://www.spam.example/"}
        assert intake.post("/comments/edit", sent).status_code == 200
        stored = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert (stored["website"], stored["note"]) == ("https://www.spam.example/", "spam rules: spam: link to spam.example")


def test_a_name_passing_for_a_moderator_s_is_screened(make_intake: Factory, tmp_path: Path) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("suspect:\n  look_alike_names: true\n  to_spam: 1\n", encoding="utf-8")
    with make_intake(COMMENTS_SPAM_RULES=str(rules), COMMENTS_MODERATORS=["Diane"]) as intake:
        reply = intake.post("/comments", {**FORM_OK, "author": "Di\u0430ne"}, accept="application/json")
        stored = yaml.safe_load((intake.comments / SLUG / f"{reply.json()['id']}.yaml").read_text(encoding="utf-8"))
        assert stored["status"] == "spam" and "Diane" in stored["note"]


def test_with_an_inbox_branch_a_comment_is_written_and_committed_in_the_inbox_worktree(make_intake: Factory) -> None:
    with make_intake(COMMENTS_GIT_COMMIT=True, COMMENTS_GIT_BRANCH="inbox") as intake:
        path, _ = submitted(intake)
        root = intake.root
        twin = root / ".git" / "comments-inbox" / "inbox" / "content" / "comments" / SLUG / path.name
        assert not path.exists() and twin.is_file()
        assert sh(root, "git", "log", "--format=%s", "inbox").stdout.splitlines() == [
            f"Comment pending moderation: {SLUG}/{path.stem}", "Site"]
        assert subjects(root) == ["Site"]
        time.sleep(1.0)


def test_akismet_is_told_the_site_as_the_permalink_of_an_article_without_an_address(make_intake: Factory,
                                                                                    tmp_path: Path) -> None:
    output = tmp_path / "site" / "output"
    output.mkdir(parents=True)
    manifest(output / "comments-manifest.json", nourl={"title": "T", "mode": "open", "comments": {}})
    with akismet_stand_in() as (endpoint, seen), make_intake(COMMENTS_AKISMET_KEY="k3y", COMMENTS_AKISMET_ENDPOINT=endpoint) as intake:
        assert intake.post("/comments", {**FORM_OK, "article": "nourl"}, accept="application/json").status_code == 201
    assert [a["permalink"] for a in seen] == [[f"{SITE}/"]]


def test_a_text_stored_as_spam_makes_its_repeats_spam_and_a_clean_one_does_not(make_intake: Factory, tmp_path: Path,
                                                                                caplog: pytest.LogCaptureFixture) -> None:
    rules = tmp_path / "rules.yaml"
    rules.write_text("spam:\n  link_hosts: [spam.example]\n  repeated: true\n", encoding="utf-8")
    with make_intake(COMMENTS_SPAM_RULES=str(rules), COMMENTS_RATE_LIMIT=0) as intake:

        def status(**change: str) -> tuple[str, str]:
            """Post a comment; the status it was stored with, and its id."""
            reply = intake.post("/comments", {**FORM_OK, **change}, accept="application/json")
            path = intake.comments / SLUG / f"{reply.json()['id']}.yaml"
            return yaml.safe_load(path.read_text(encoding="utf-8"))["status"], path.stem

        with caplog.at_level(logging.INFO, logger=intake_app.__name__):
            assert status(body="Lovely hats.")[0] == "pending"
            assert status(body="Lovely hats!")[0] == "pending"
            spam, spam_id = status(body="Great post, thanks.", website="https://spam.example/")
            assert spam == "spam"
            assert status(body="great post thanks")[0] == "spam"
    assert f"comment {SLUG}/{spam_id} matched the spam rules; stored as spam" in caplog.messages


@pytest.mark.parametrize("action", ["open the page", "preview"])
def test_after_a_publish_the_moderators_decisions_are_fetched_into_the_intake_s_clone(
        make_intake: Factory, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, action: str) -> None:
    in_process_git(monkeypatch, tmp_path)
    remote, root, other = tmp_path / "remote.git", tmp_path / "site", tmp_path / "moderator"
    sh(tmp_path, "git", "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    (root / "content" / "comments" / SLUG).mkdir(parents=True)
    (root / "content" / "comments" / SLUG / f"{PUBLISHED_ID}.yaml").write_bytes(PUBLISHED_FILE)
    sh(root, "git", "init", "--quiet", "--initial-branch=main")
    sh(root, "git", "add", "content")
    sh(root, "git", "commit", "--quiet", "-m", "Site")
    sh(root, "git", "remote", "add", "origin", str(remote))
    sh(root, "git", "push", "--quiet", "origin", "main")
    sh(tmp_path, "git", "clone", "--quiet", str(remote), str(other))
    with make_intake(COMMENTS_GIT_COMMIT=True, COMMENTS_GIT_PUSH="origin", COMMENTS_RATE_LIMIT=0) as intake:
        path, token = submitted(intake)
        wait_for(lambda: "Comment pending moderation" in sh(remote, "git", "log", "--format=%s", "main").stdout,
                 what="the comment pushed")
        sh(other, "git", "pull", "--quiet", "--rebase", "origin", "main")
        (other / "decided.txt").write_text("a moderator's decision\n", encoding="utf-8")
        sh(other, "git", "add", "decided.txt")
        sh(other, "git", "commit", "--quiet", "-m", "Approve a comment")
        sh(other, "git", "push", "--quiet", "origin", "main")
        # The site is published again: a new manifest. The reader's link reads it and has the decisions fetched,
        # whether the page is opened or one of its actions posted.
        manifest(intake.root / "output" / "comments-manifest.json", newer={"title": "N", "url": "n/", "mode": "open",
                                                                           "comments": {}})
        if action == "preview":
            sent = {"t": token, "digest": digest(path), "action": "preview", "author": "Ann", "body": "Fine."}
            assert intake.post("/comments/edit", sent).status_code == 200
        else:
            assert intake.client.get(f"/comments/edit?{urlencode({'t': token})}").status_code == 200
        wait_for(lambda: (root / "decided.txt").is_file(), timeout=20, what="the moderator's commit in the intake's clone")
        time.sleep(1.0)


def test_a_request_head_without_a_form_type_or_with_a_false_length_is_refused_before_its_body(intake: Intake) -> None:
    json_head = [(b"accept", b"application/json")]
    body = [{"type": "http.request", "body": urlencode(FORM_OK).encode(), "more_body": False}]
    cases = [
        ([], 415, "Send the form as application/x-www-form-urlencoded."),
        ([(b"content-type", FORM.encode()), (b"content-length", b"abc")], 400, "The Content-Length header is not a number."),
        ([(b"content-type", FORM.encode()), (b"content-length", b"200000")], 413, "The form is larger than 131,072 bytes."),
    ]
    for headers, status, message in cases:
        answer = asgi_call(intake, "/comments", [*json_head, *headers], list(body))
        assert (answer[0], json.loads(answer[2])) == (status, {"errors": {"request": message}})
    only_published(intake)


def test_a_browser_posting_from_a_foreign_page_gets_the_refusal_page(intake: Intake) -> None:
    reply = intake.post("/comments", FORM_OK, origin="https://evil.example")
    assert reply.status_code == 403
    # Refused before the form is read: nothing of it is shown, and the page links to the site.
    assert filled(reply.text, "error") == page(**typed({}), back=f"{SITE}/", heading=NOT_HERE[0], advice=NOT_HERE[1],
                                               errors="<li>Comments are not accepted from the page at https://evil.example; "
                                                      "this service takes them from https://guide.example.</li>")
    only_published(intake)
