"""The decisions core, in the test's own process: ids resolved, plans made, files written, decisions recorded.

Each function of `decisions` is called directly with the moderation fixture site, and
its exact messages are pinned, so a changed word, bound or branch fails here.
"""

from __future__ import annotations

import getpass
import logging
import resource
import shutil
import signal
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pelican.plugins.reader_comments import decisions, site_model
from pelican.plugins.reader_comments.comment_format import parse
from pelican.plugins.reader_comments.decisions import ModerationError, Outcome, Record, Written
from support.git import sh
from support.logs import forget_logged_warnings

FIXTURE = Path(__file__).parent / "fixtures" / "moderate" / "site"
NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
ALICE = "garden-party/20240101T150000-alice"
BOB = "garden-party/20240102T140000-bob"
CAROL = "garden-party/20240103T170000-carol"
DAVE = "garden-party/20240104T130000-dave"
ERIN = "garden-party/20240105T050000-erin"
FRANK = "thank-you-cards/20231230T200000-frank"
STAMP = {"moderated_at": "2024-03-01T07:00:00-05:00", "moderator": "Mo"}
PENDING = 'author: "Gus"\ndate: "2024-01-06T08:00:00-05:00"\nstatus: pending\nbody: Hi.\n'


@pytest.fixture(autouse=True)
def _fresh_log_filter(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test sees its own warnings, whatever was logged before it."""
    forget_logged_warnings(monkeypatch)


@pytest.fixture
def site(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> site_model.Site:
    """A copy of the moderation fixture site, loaded, with the working folder at its root."""
    target = tmp_path / "site"
    shutil.copytree(FIXTURE, target)
    monkeypatch.chdir(target)
    return site_model.load_site(target / "pelicanconf.py")


def comment_file(site: site_model.Site, ident: str) -> Path:
    """The fixture file a `slug/id` names."""
    slug, cid = ident.split("/")
    return next((site.comments / slug).glob(f"{cid}.y*ml"))


def git_site(site: site_model.Site) -> Path:
    """Make the fixture site a git repository with everything committed; its top folder."""
    top = site.content.parent
    sh(top, "git", "init", "--quiet", "--initial-branch=main")
    sh(top, "git", "add", ".")
    sh(top, "git", "commit", "--quiet", "-m", "The site")
    return top


# ---------------------------------------------------------------- results


def test_a_moderation_error_carries_every_reason_and_says_the_first() -> None:
    error = ModerationError(["one", "two"])
    assert str(error) == "one" and error.messages == ["one", "two"]
    assert str(ModerationError([])) == "nothing to moderate" and ModerationError([]).messages == []


@pytest.mark.parametrize(("written", "record", "failed", "changed"), [
    ([Written("a/b", "pending")], None, False, True),
    ([Written("a/b", "approved")], None, False, False),
    ([Written("a/b", None, "cannot write")], None, True, False),
    ([Written("a/b", "pending", "cannot write")], None, True, False),
    ([Written("a/b", None), Written("a/c", "spam")], Record("m", True), False, True),
    ([Written("a/b", "pending")], Record("m", False, error="not committed"), True, True),
    ([], Record("m", False, command="git commit"), False, False),
])
def test_an_outcome_says_whether_it_failed_and_whether_it_changed_anything(
    written: list[Written], record: Record | None, failed: bool, changed: bool
) -> None:
    outcome = Outcome("approved", written=written, record=record)
    assert (outcome.failed, outcome.changed) == (failed, changed)


# ---------------------------------------------------------------- ids


def test_an_id_resolves_to_its_file_relative_to_the_working_folder(site: site_model.Site) -> None:
    expected = Path("content/comments/garden-party/20240101T150000-alice.yaml")
    assert decisions.resolve_id(site, f"  {ALICE} ") == (expected, None)
    assert decisions.resolve_id(site, "garden-party/20240101T150000-alice.yaml") == (expected, None)
    assert decisions.resolve_id(site, str(site.comments / "garden-party/20240101T150000-alice.yaml")) == (expected, None)
    assert decisions.resolve_id(site, FRANK) == (Path("content/comments/thank-you-cards/20231230T200000-frank.yml"), None)


@pytest.mark.parametrize(("raw", "message"), [
    ("20240101T150000-alice", "'20240101T150000-alice': give the article too, as <article-slug>/<comment-id>; "
                              "did you mean garden-party/20240101T150000-alice?"),
    ("20240109T000000-nobody", "'20240109T000000-nobody': give the article too, as <article-slug>/<comment-id>"),
    ("garden-party/not an id", "'garden-party/not an id' is not a comment id: use <article-slug>/<comment-id> "
                               "(as make comments shows) or a file path"),
    ("/20240101T150000-alice", "'/20240101T150000-alice' is not a comment id: use <article-slug>/<comment-id> "
                               "(as make comments shows) or a file path"),
    (".hidden/20240101T150000-alice", "'.hidden/20240101T150000-alice' is not a comment id: use "
                                      "<article-slug>/<comment-id> (as make comments shows) or a file path"),
    ("gar\\den/20240101T150000-alice", "'gar\\\\den/20240101T150000-alice' is not a comment id: use "
                                       "<article-slug>/<comment-id> (as make comments shows) or a file path"),
    ("a/b/20240101T150000-alice", "'a/b/20240101T150000-alice' is not a comment id: use <article-slug>/<comment-id> "
                                  "(as make comments shows) or a file path"),
    ("nowhere.yaml", "'nowhere.yaml': no such file"),
])
def test_an_id_that_names_no_file_says_why(site: site_model.Site, raw: str, message: str) -> None:
    assert decisions.resolve_id(site, raw) == (None, message)


def test_an_id_naming_a_missing_folder_or_comment_names_the_folder(site: site_model.Site) -> None:
    folder = site.comments / "garden-party"
    assert decisions.resolve_id(site, "no-such-post/20240101T150000-alice") == (
        None, f"'no-such-post/20240101T150000-alice': no article folder {site.comments / 'no-such-post'}")
    assert decisions.resolve_id(site, "garden-party/20240109T000000-nobody") == (
        None, f"'garden-party/20240109T000000-nobody': no comment '20240109T000000-nobody' in {folder}")


def test_an_id_found_in_two_folders_gets_no_guess_and_two_files_of_one_id_are_refused(site: site_model.Site) -> None:
    shutil.copyfile(comment_file(site, ALICE), site.comments / "thank-you-cards" / "20240101T150000-alice.yaml")
    assert decisions.resolve_id(site, "20240101T150000-alice") == (
        None, "'20240101T150000-alice': give the article too, as <article-slug>/<comment-id>")
    shutil.copyfile(comment_file(site, ALICE), site.comments / "garden-party" / "20240101T150000-alice.yml")
    assert decisions.resolve_id(site, ALICE) == (
        None, f"'{ALICE}': both 20240101T150000-alice.yaml and 20240101T150000-alice.yml exist; remove one")


def test_a_path_that_is_a_link_a_folder_or_outside_the_comments_is_refused(site: site_model.Site, tmp_path: Path) -> None:
    link = site.comments / "garden-party" / "20240110T000000-link.yaml"
    link.symlink_to(comment_file(site, BOB).resolve())
    assert decisions.resolve_id(site, str(link)) == (
        None, f"'{link}' is a symbolic link; name the comment file itself")
    assert decisions.resolve_id(site, "garden-party/20240110T000000-link") == (
        None, "'garden-party/20240110T000000-link' is a symbolic link; name the comment file itself")
    outside = tmp_path / "garden-party" / "20240101T150000-alice.yaml"
    outside.parent.mkdir()
    shutil.copyfile(comment_file(site, ALICE), outside)
    folder = site.comments / "garden-party" / "20240111T000000-dir.yaml"
    folder.mkdir()
    top = site.comments / "20240101T150000-alice.yaml"
    shutil.copyfile(comment_file(site, ALICE), top)
    for path in (outside, folder, top):
        assert decisions.resolve_id(site, str(path)) == (
            None, f"'{path}' is not a comment file: it must be {site.comments}/<article-slug>/<comment-id>.yaml")


def test_a_label_is_the_article_folder_and_the_comment_id() -> None:
    assert decisions.label(Path("content/comments/garden-party/20240101T150000-alice.yaml")) == ALICE
    assert decisions.label(Path("/x/thank-you-cards/20231230T200000-frank.yml")) == FRANK


# ---------------------------------------------------------------- plans


def test_a_plan_changes_the_status_and_adds_the_stamp_keeping_a_byte_order_mark(site: site_model.Site) -> None:
    path = comment_file(site, DAVE)
    data = b"\xef\xbb\xbf" + path.read_bytes()
    plan, problems = decisions.plan_change(path, data, "approved", STAMP, site.tz)
    assert problems == [] and plan is not None
    assert plan.before == data and plan.comment.status == "pending" and plan.path == path
    assert plan.after == (data.replace(b"status: pending\n", b"status: approved\n")
                          + b'moderated_at: "2024-03-01T07:00:00-05:00"\nmoderator: "Mo"\n')


def test_a_plan_for_a_file_already_in_that_status_changes_nothing(site: site_model.Site) -> None:
    path = comment_file(site, CAROL)
    plan, problems = decisions.plan_change(path, path.read_bytes(), "approved", STAMP, site.tz)
    assert problems == [] and plan is not None and plan.after is None and plan.before == path.read_bytes()


def test_a_plan_for_a_bad_file_or_a_bad_stamp_is_its_problems(site: site_model.Site) -> None:
    path = comment_file(site, DAVE)
    plan, problems = decisions.plan_change(path, b"author: [\n", "approved", STAMP, site.tz)
    assert plan is None and len(problems) == 1 and problems[0].path == path
    plan, problems = decisions.plan_change(path, path.read_bytes(), "approved", {**STAMP, "moderator": "Mo\udc80"}, site.tz)
    assert plan is None and [(p.field, p.message) for p in problems] == [
        ("moderator", "cannot change 'moderator': the new value is not valid text (it holds a lone surrogate, \\udc80); "
                      "nothing was changed")]
    # Edited in place but no longer a valid comment: a moderator name longer than the format allows.
    plan, problems = decisions.plan_change(path, path.read_bytes(), "approved", {**STAMP, "moderator": "M" * 81}, site.tz)
    assert plan is None and [p.field for p in problems] == ["moderator"]


# ---------------------------------------------------------------- who moderates


@pytest.fixture
def no_git_name(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No global git settings, the working folder outside any repository; the folder."""
    empty = tmp_path / "gitconfig"
    empty.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(empty))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    folder = tmp_path / "work"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


def test_the_moderator_is_the_environment_then_git_then_the_login(no_git_name: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMENTS_MODERATOR", "  Env Person  ")
    assert decisions.moderator_name(no_git_name) == ("Env Person", None)
    monkeypatch.setenv("COMMENTS_MODERATOR", "  ")
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.setenv(name, " login-person ")
    assert decisions.moderator_name(no_git_name) == ("login-person", None)
    sh(no_git_name, "git", "init", "--quiet")
    sh(no_git_name, "git", "config", "user.name", " Git Person ")
    assert decisions.moderator_name(no_git_name) == ("Git Person", None)
    assert decisions.moderator_name() == ("Git Person", None), "the working folder's git, when none is given"
    monkeypatch.chdir(no_git_name.parent)
    assert decisions.moderator_name(no_git_name) == ("Git Person", None), "the given folder's git, wherever the command runs"
    monkeypatch.chdir(no_git_name)
    sh(no_git_name, "git", "config", "user.name", "")
    assert decisions.moderator_name(no_git_name) == ("login-person", None)


def test_no_name_anywhere_says_how_to_give_one(no_git_name: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COMMENTS_MODERATOR", raising=False)

    def no_login() -> str:
        raise OSError("no login name")

    monkeypatch.setattr(getpass, "getuser", no_login)
    assert decisions.moderator_name(no_git_name) == (None, 'cannot tell who is moderating; set COMMENTS_MODERATOR="Your Name"')
    monkeypatch.setenv("PATH", str(no_git_name))  # no git to ask either
    assert decisions.moderator_name(no_git_name) == (None, 'cannot tell who is moderating; set COMMENTS_MODERATOR="Your Name"')


@pytest.mark.parametrize(("name", "source", "accepted"), [
    ("M" * 80, "env", True),
    ("M" * 81, "env", False),
    ("Mo\tX", "env", False),
    ("Mo\x7fX", "env", False),
    ("Mo\u00e9", "env", True),
    ("M" * 81, "git", False),
    ("M" * 81, "login", False),
])
def test_a_moderator_name_must_be_one_line_of_at_most_80_characters(
    no_git_name: Path, monkeypatch: pytest.MonkeyPatch, name: str, source: str, accepted: bool
) -> None:
    monkeypatch.setenv("COMMENTS_MODERATOR", name if source == "env" else "")
    if source == "git":
        sh(no_git_name, "git", "init", "--quiet")
        sh(no_git_name, "git", "config", "user.name", name)
    monkeypatch.setattr(getpass, "getuser", lambda: name if source == "login" else "someone")
    where = {"env": "$COMMENTS_MODERATOR", "git": "git config user.name", "login": "the login name"}[source]
    expected = (name, None) if accepted else (None, f"the moderator name from {where} must be one line of at most 80 characters")
    assert decisions.moderator_name(no_git_name) == expected


# ---------------------------------------------------------------- writing


def test_an_unreadable_file_is_an_error_naming_it(site: site_model.Site) -> None:
    path = site.comments / "garden-party" / "20240109T000000-gone.yaml"
    plan, _ = decisions.plan_change(path, PENDING.encode(), "approved", STAMP, site.tz)
    assert plan is not None
    assert decisions.write_plan(plan, "approved", STAMP, site.tz) == (None, f"cannot read {path}: No such file or directory")


def test_a_plan_is_written_on_the_first_attempt_when_nothing_changed(site: site_model.Site) -> None:
    path = comment_file(site, DAVE)
    plan, _ = decisions.plan_change(path, path.read_bytes(), "approved", STAMP, site.tz)
    assert plan is not None and plan.after is not None
    attempts: list[int] = []
    assert decisions.write_plan(plan, "approved", STAMP, site.tz, lambda _p, n: attempts.append(n)) == ("pending", None)
    assert attempts == [1] and path.read_bytes() == plan.after


def test_a_file_changed_meanwhile_is_planned_again_from_its_new_bytes(site: site_model.Site) -> None:
    path = comment_file(site, DAVE)
    plan, _ = decisions.plan_change(path, path.read_bytes(), "approved", STAMP, site.tz)
    assert plan is not None
    attempts: list[int] = []

    def edit_once(changed: Path, attempt: int) -> None:
        attempts.append(attempt)
        if attempt == 1:
            changed.write_text(changed.read_text().replace("status: pending", "status: rejected"))

    assert decisions.write_plan(plan, "approved", STAMP, site.tz, edit_once) == ("rejected", None)
    assert attempts == [1, 2]
    assert "status: approved\n" in path.read_text() and 'moderator: "Mo"' in path.read_text()


def test_a_file_changed_meanwhile_to_the_asked_status_is_left_as_it_is(site: site_model.Site) -> None:
    path = comment_file(site, DAVE)
    plan, _ = decisions.plan_change(path, path.read_bytes(), "approved", STAMP, site.tz)
    assert plan is not None
    approved = path.read_text().replace("status: pending", "status: approved")

    def approve_by_hand(changed: Path, attempt: int) -> None:
        if attempt == 1:
            changed.write_text(approved)

    assert decisions.write_plan(plan, "approved", STAMP, site.tz, approve_by_hand) == ("approved", None)
    assert path.read_text() == approved


def test_a_file_that_keeps_changing_is_tried_eight_times_then_left_alone(site: site_model.Site) -> None:
    path = comment_file(site, DAVE)
    plan, _ = decisions.plan_change(path, path.read_bytes(), "approved", STAMP, site.tz)
    assert plan is not None
    attempts: list[int] = []
    good = path.read_text()

    def keep_editing(changed: Path, attempt: int) -> None:
        attempts.append(attempt)
        changed.write_text(good.replace("Straw is perfect", f"Straw{attempt} is perfect"))

    assert decisions.write_plan(plan, "approved", STAMP, site.tz, keep_editing) == (
        None, "the file kept changing while it was being written")
    assert attempts == [1, 2, 3, 4, 5, 6, 7, 8]
    assert "status: pending" in path.read_text()


def test_a_file_that_turned_invalid_is_waited_for_then_written_once_valid(site: site_model.Site) -> None:
    path = comment_file(site, DAVE)
    good = path.read_text()
    plan, _ = decisions.plan_change(path, path.read_bytes(), "approved", STAMP, site.tz)
    assert plan is not None

    def break_then_mend(changed: Path, attempt: int) -> None:
        if attempt == 1:
            changed.write_text("author: [\n")
        elif attempt == 3:
            changed.write_text(good)

    assert decisions.write_plan(plan, "approved", STAMP, site.tz, break_then_mend) == ("pending", None)
    assert "status: approved" in path.read_text()


def test_a_file_that_stays_invalid_is_never_written_and_the_error_names_its_problem(site: site_model.Site) -> None:
    path = comment_file(site, DAVE)
    plan, _ = decisions.plan_change(path, path.read_bytes(), "approved", STAMP, site.tz)
    assert plan is not None

    def break_it(changed: Path, attempt: int) -> None:
        if attempt == 1:
            changed.write_text("author: [\n")

    started = time.monotonic()
    old, error = decisions.write_plan(plan, "approved", STAMP, site.tz, break_it)
    # Between tries it waits longer each time for the writer to finish: 0.02 s times 1, 2, ... 8, that is 0.72 s.
    assert time.monotonic() - started >= 0.7
    assert old is None and error is not None
    assert error.startswith(f"the file changed and is now invalid: {path}:")
    assert path.read_text() == "author: [\n"


def test_a_write_that_fails_says_so_names_the_file_and_leaves_it_as_it_was(site: site_model.Site) -> None:
    """A file size limit lower than the new bytes makes the write itself fail (EFBIG), after a good read."""
    path = comment_file(site, DAVE)
    before = path.read_bytes()
    plan, _ = decisions.plan_change(path, before, "approved", STAMP, site.tz)
    assert plan is not None
    limits = resource.getrlimit(resource.RLIMIT_FSIZE)
    ignored = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    def limit_file_size(_changed: Path, _attempt: int) -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (16, limits[1]))

    try:
        result = decisions.write_plan(plan, "approved", STAMP, site.tz, limit_file_size)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, limits)
        signal.signal(signal.SIGXFSZ, ignored)
    assert result == (None, f"cannot write {path}: File too large")
    assert path.read_bytes() == before


# ---------------------------------------------------------------- moderate


def test_moderate_without_ids_is_an_error_saying_what_to_name(site: site_model.Site) -> None:
    with pytest.raises(ModerationError) as caught:
        decisions.moderate(site, [], "approved", "Mo", NOW)
    assert caught.value.messages == ["name at least one comment: <article-slug>/<comment-id> or a file path"]


def test_moderate_gathers_every_problem_and_touches_nothing(site: site_model.Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COMMENTS_MODERATOR", "M" * 81)
    bad = site.comments / "garden-party" / "20240108T000000-bad.yaml"
    bad.write_text("author: [\n")
    (site.comments / "garden-party" / "20240109T000000-worse.yaml").write_text("status: [\n")
    before = {p: p.read_bytes() for p in site.comments.rglob("*.y*ml")}
    with pytest.raises(ModerationError) as caught:
        decisions.moderate(site, [ALICE, "nope", "garden-party/20240108T000000-bad", BOB, "garden-party/20240109T000000-worse"],
                           "approved", None, NOW)
    messages = caught.value.messages
    assert messages[0] == "the moderator name from $COMMENTS_MODERATOR must be one line of at most 80 characters"
    assert messages[1] == "'nope': give the article too, as <article-slug>/<comment-id>"
    assert messages[2].startswith("content/comments/garden-party/20240108T000000-bad.yaml:2: invalid YAML: ")
    assert messages[3].startswith("content/comments/garden-party/20240109T000000-worse.yaml:2: invalid YAML: ")
    assert len(messages) == 4
    assert {p: p.read_bytes() for p in site.comments.rglob("*.y*ml")} == before


def test_moderate_stamps_the_time_in_the_site_s_zone_and_the_moderator(site: site_model.Site) -> None:
    outcome = decisions.moderate(site, [DAVE, DAVE, "content/comments/" + DAVE + ".yaml", CAROL], "approved", "Mo", NOW)
    assert outcome.written == [Written(DAVE, "pending"), Written(CAROL, "approved")]
    assert outcome.record is None
    values = parse(comment_file(site, DAVE), comment_file(site, DAVE).read_text()).values
    assert (values["status"], values["moderated_at"], values["moderator"]) == ("approved", "2024-03-01T07:00:00-05:00", "Mo")


def test_moderate_without_a_time_uses_the_clock_and_without_a_name_the_environment(
    site: site_model.Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COMMENTS_MODERATOR", "Env Person")
    before = datetime.now(UTC).replace(microsecond=0)
    decisions.moderate(site, [DAVE], "rejected")
    values = parse(comment_file(site, DAVE), comment_file(site, DAVE).read_text()).values
    stamped = datetime.fromisoformat(values["moderated_at"])
    assert values["moderator"] == "Env Person" and before <= stamped <= datetime.now(UTC)
    assert stamped.utcoffset() == site.tz.utcoffset(stamped.replace(tzinfo=None)) and values["moderated_at"][-6:] == "-05:00"


def test_approving_replies_warns_of_parents_that_stay_hidden(site: site_model.Site) -> None:
    (site.comments / "garden-party" / "20240106T000000-gus.yaml").write_text(
        PENDING.replace("status: pending\n", 'status: pending\nreply_to: "20240105T050000-erin"\n'))
    (site.comments / "garden-party" / "20240107T000000-hal.yaml").write_text(
        PENDING.replace("status: pending\n", 'status: pending\nreply_to: "20240109T000000-gone"\n'))
    (site.comments / "garden-party" / "20240107T100000-ivy.yaml").write_text(
        PENDING.replace("status: pending\n", 'status: pending\nreply_to: "20240103T170000-carol"\n'))
    outcome = decisions.moderate(site, ["garden-party/20240106T000000-gus", "garden-party/20240107T000000-hal",
                                        "garden-party/20240107T100000-ivy", DAVE], "approved", "Mo", NOW)
    assert outcome.warnings == [
        "garden-party/20240106T000000-gus replies to garden-party/20240105T050000-erin, which is rejected: the reply "
        "is published under a placeholder until its parent is approved",
        "garden-party/20240107T000000-hal replies to garden-party/20240109T000000-gone, which is missing or invalid: "
        "the reply stays hidden until that is fixed (make check-comments shows the problem)",
        "garden-party/20240104T130000-dave replies to garden-party/20240101T150000-alice, which is pending: the reply "
        "is published under a placeholder until its parent is approved",
    ]


def test_no_warning_when_the_parent_is_approved_too_or_the_decision_is_not_approval(site: site_model.Site) -> None:
    assert decisions.moderate(site, [DAVE, ALICE], "approved", "Mo", NOW).warnings == []
    assert decisions.moderate(site, [ERIN], "spam", "Mo", NOW).warnings == []
    assert decisions._parent_warnings(site, [], "approved") == []


def test_a_reply_already_approved_is_not_warned_about(site: site_model.Site) -> None:
    dave = comment_file(site, DAVE)
    dave.write_text(dave.read_text().replace("status: pending", "status: approved"))
    assert decisions.moderate(site, [DAVE, BOB], "approved", "Mo", NOW).warnings == []


# ---------------------------------------------------------------- git


@pytest.mark.parametrize(("status", "count", "message"), [
    ("approved", 1, "Approve a/1"),
    ("rejected", 5, "Reject a/1, a/2, a/3, a/4, a/5"),
    ("spam", 6, "Mark as spam a/1, a/2, a/3, a/4, a/5 and 1 more"),
    ("held", 8, "held a/1, a/2, a/3, a/4, a/5 and 3 more"),
])
def test_the_decision_message_names_five_comments_at_most(status: str, count: int, message: str) -> None:
    assert decisions.decision_message(status, [f"a/{n}" for n in range(1, count + 1)]) == message


def test_outside_git_nothing_is_recorded(site: site_model.Site, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(site.content.parent.parent))
    assert decisions.work_tree(site.comments) is None
    assert decisions.record_decision([comment_file(site, DAVE)], "approved", commit=True) is None
    monkeypatch.setenv("PATH", str(site.content))  # no git at all
    assert decisions.work_tree(site.comments) is None


def test_the_decision_is_given_as_the_git_commands_that_record_it(site: site_model.Site) -> None:
    top = git_site(site)
    assert decisions.work_tree(site.comments / "garden-party") == top.resolve()
    new = site.comments / "garden-party" / "20240106T000000-gus.yaml"
    new.write_text(PENDING)
    outcome = decisions.moderate(site, [DAVE, "garden-party/20240106T000000-gus"], "approved", "Mo", NOW)
    dave, gus = "content/comments/garden-party/20240104T130000-dave.yaml", "content/comments/garden-party/20240106T000000-gus.yaml"
    assert outcome.record == Record(
        "Approve garden-party/20240104T130000-dave, garden-party/20240106T000000-gus", False,
        f"git commit -m 'Approve garden-party/20240104T130000-dave, garden-party/20240106T000000-gus' -- {dave} {gus}",
        add=f"git add -- {gus}")
    assert sh(top, "git", "log", "--format=%s").stdout.strip() == "The site"
    again = decisions.moderate(site, [ALICE], "rejected", "Mo", NOW)
    assert again.record is not None and again.record.add is None
    assert decisions.moderate(site, [ALICE], "rejected", "Mo", NOW).record is None, "nothing changed, nothing to record"


def test_with_commit_the_changed_files_alone_are_committed(site: site_model.Site) -> None:
    top = git_site(site)
    (top / "notes.txt").write_text("staged, not part of the decision\n")
    sh(top, "git", "add", "notes.txt")
    outcome = decisions.moderate(site, [DAVE, CAROL], "approved", "Mo", NOW, commit=True)
    assert outcome.record == Record("Approve garden-party/20240104T130000-dave", True)
    assert sh(top, "git", "log", "-1", "--format=%s").stdout.strip() == "Approve garden-party/20240104T130000-dave"
    shown = sh(top, "git", "show", "--name-only", "--format=", "HEAD").stdout.split()
    assert shown == ["content/comments/garden-party/20240104T130000-dave.yaml"]
    assert sh(top, "git", "diff", "--cached", "--name-only").stdout.split() == ["notes.txt"]
    alice = comment_file(site, ALICE)
    alice.write_text(alice.read_text().replace("Asking for a friend.", "Asking for two friends."))
    message = decisions.record_decision([alice], "approved", commit=True, message="By hand")
    assert message == Record("By hand", True) and sh(top, "git", "log", "-1", "--format=%s").stdout.strip() == "By hand"


def test_a_commit_that_fails_says_the_files_changed_but_were_not_committed(site: site_model.Site) -> None:
    top = git_site(site)
    (top / ".git" / "index.lock").write_text("")
    outcome = decisions.moderate(site, [DAVE], "spam", "Mo", NOW, commit=True)
    assert outcome.record is not None and outcome.record.committed is False and outcome.failed
    assert outcome.record.message == "Mark as spam garden-party/20240104T130000-dave"
    assert outcome.record.error is not None
    assert outcome.record.error.startswith("the files were changed but not committed: git add -- ")
    assert "index.lock" in outcome.record.error
    assert "status: spam" in comment_file(site, DAVE).read_text()


def test_a_reply_after_a_comment_that_replies_to_nothing_is_still_warned_about(site: site_model.Site) -> None:
    assert decisions.moderate(site, [BOB, DAVE], "approved", "Mo", NOW).warnings == [
        "garden-party/20240104T130000-dave replies to garden-party/20240101T150000-alice, which is pending: the reply "
        "is published under a placeholder until its parent is approved"]


def test_a_moderator_name_given_is_written_as_given(site: site_model.Site) -> None:
    decisions.moderate(site, [DAVE], "approved", "", NOW)
    assert parse(comment_file(site, DAVE), comment_file(site, DAVE).read_text()).values["moderator"] == ""


def test_the_moderator_comes_from_the_site_s_git_wherever_the_command_runs(
    site: site_model.Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    top = git_site(site)
    sh(top, "git", "config", "user.name", "Site Git Person")
    monkeypatch.delenv("COMMENTS_MODERATOR", raising=False)
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    absolute = replace(site, content=site.content.resolve(), comments=site.comments.resolve())
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    decisions.moderate(absolute, [DAVE], "approved", None, NOW)
    assert parse(comment_file(absolute, DAVE), comment_file(absolute, DAVE).read_text()).values["moderator"] == "Site Git Person"


def test_the_git_record_is_made_in_the_site_s_repository_wherever_the_command_runs(
    site: site_model.Site, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    top = git_site(site).resolve()
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path))
    absolute = replace(site, content=site.content.resolve(), comments=site.comments.resolve())
    new = absolute.comments / "garden-party" / "20240106T000000-gus.yaml"
    new.write_text(PENDING)
    monkeypatch.chdir(tmp_path)
    outcome = decisions.moderate(absolute, [DAVE, "garden-party/20240106T000000-gus"], "approved", "Mo", NOW)
    dave, gus = "site/content/comments/garden-party/20240104T130000-dave.yaml", "site/content/comments/garden-party/20240106T000000-gus.yaml"
    assert outcome.record is not None and outcome.record.add == f"git add -- {gus}"
    assert outcome.record.command == (
        f"git commit -m 'Approve garden-party/20240104T130000-dave, garden-party/20240106T000000-gus' -- {dave} {gus}")
    done = decisions.moderate(absolute, [ALICE], "rejected", "Mo", NOW, commit=True)
    assert done.record == Record("Reject garden-party/20240101T150000-alice", True)
    assert sh(top, "git", "log", "-1", "--format=%s").stdout.strip() == "Reject garden-party/20240101T150000-alice"


def test_whether_git_knows_a_file_is_no_when_git_cannot_be_asked(site: site_model.Site, monkeypatch: pytest.MonkeyPatch) -> None:
    top = git_site(site)
    assert decisions._tracked(top, comment_file(site, DAVE)) is True
    monkeypatch.setenv("PATH", str(site.content))
    assert decisions._tracked(top, comment_file(site, DAVE)) is False


def test_a_file_changed_meanwhile_is_read_again_in_the_site_s_time_zone(site: site_model.Site, caplog: pytest.LogCaptureFixture) -> None:
    """A date without an offset is read in the site's zone when the changed file is planned again."""
    dave = comment_file(site, DAVE)
    dave.write_text(dave.read_text().replace('"2024-01-04T08:00:00-05:00"', '"2024-01-04 08:00"'))

    def edit_once(changed: Path, attempt: int) -> None:
        if attempt == 1:
            changed.write_text(changed.read_text().replace("Straw is perfect", "Straw is ideal"))

    with caplog.at_level(logging.WARNING, logger=decisions.__name__):
        outcome = decisions.moderate(site, [DAVE], "approved", "Mo", NOW, before_write=edit_once)
    assert outcome.written == [Written(DAVE, "pending")]
    assert "Straw is ideal" in dave.read_text() and "status: approved" in dave.read_text()
    assert [r.getMessage() for r in caplog.records] == [f"{dave} changed while it was being moderated; reading it again"]


def test_a_relative_path_is_the_working_folder_s_file_when_there_is_one(site: site_model.Site, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    absolute = replace(site, content=site.content.resolve(), comments=site.comments.resolve())
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / "garden-party").mkdir(parents=True)
    shutil.copyfile(comment_file(absolute, ALICE), elsewhere / "garden-party" / "20240101T150000-alice.yaml")
    monkeypatch.chdir(elsewhere)
    raw = "garden-party/20240101T150000-alice.yaml"
    assert decisions.resolve_id(absolute, raw) == (
        None, f"{raw!r} is not a comment file: it must be {absolute.comments}/<article-slug>/<comment-id>.yaml")
    monkeypatch.chdir(tmp_path)
    assert decisions.resolve_id(absolute, raw) == (Path("site/content/comments") / raw, None)


def test_only_approving_a_reply_can_warn_about_its_parent(site: site_model.Site) -> None:
    """Dave answers Alice, who is still pending: rejecting Dave says nothing about her."""
    assert decisions.moderate(site, [DAVE], "rejected", "Mo", NOW).warnings == []
