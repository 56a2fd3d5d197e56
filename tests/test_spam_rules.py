"""The local spam rules: each rule, the rules file's errors, the labelled corpus, the real intake and the queue."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from pelican.plugins.reader_comments.spam import History, SpamRulesError, judge, load_rules, parse_rules
from support.intake import launch, post_form

REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO / "tests" / "fixtures" / "spam" / "corpus.yaml"
SITE_RULES = REPO / "content" / "spam-rules.yaml"
MODERATE_SITE = REPO / "tests" / "fixtures" / "moderate" / "site"

RULES = """
spam:
  phrases: [casino bonus, buy followers]
  link_hosts: [bit.ly, spam.example]
  max_links_first_time: 2
  repeated: true
suspect:
  phrases: [guest post, dofollow]
  links_first_time: 1
  look_alike_names: true
"""


@pytest.fixture
def rules():
    """A small rules file's rules."""
    return parse_rules(RULES, Path("rules.yaml"))


def history(**kwargs) -> History:
    """History with Ann approved, one text marked spam and Diane Schwartz protected."""
    past = History(protected_names=("Diane Schwartz",))
    past.add_approved("Ann Lee")
    past.add_spam("Cheap flights here, book today!")
    for name in kwargs.get("approved", ()):
        past.add_approved(name)
    return past


@pytest.mark.parametrize(("author", "body", "website", "kind", "rule"), [
    ("Bo", "Get your CASINO BONUS now", None, "spam", "phrase 'casino bonus'"),
    ("Bo", "casino bonuses galore", None, "clean", None),  # whole words only
    ("Bo", "see https://www.spam.example/x", None, "spam", "link to spam.example"),
    ("Bo", "see https://notspam.example/x", None, "suspect", "1 link from a first-time name"),
    ("Bo", "short https://bit.ly/abc", None, "spam", "link to bit.ly"),
    ("Bo", "my site", "https://bit.ly/abc", "spam", "link to bit.ly"),
    ("Bo", "my site", "https://bo.example/", "clean", None),  # the website field is not a link in the text
    ("Bo", "a https://a.example b https://b.example c https://c.example", None, "spam",
     "3 links from a first-time name (at most 2)"),
    ("Ann Lee", "a https://a.example b https://b.example c https://c.example", None, "clean", None),
    ("ann  lee", "see https://a.example/", None, "clean", None),  # the same name, other case and spacing
    ("Bo", "cheap FLIGHTS here... book today", None, "spam", "text already marked spam"),
    ("Bo", "I would love a guest post", None, "suspect", "phrase 'guest post'"),
    ("Bo", "guest post, dofollow", None, "spam", "phrase 'dofollow'"),
    ("Di\u0430ne Schwartz", "Hello readers", None, "suspect", "name resembles 'Diane Schwartz'"),
    ("Bo", "How do I write a condolence note?", None, "clean", None),
])
def test_each_rule(rules, author, body, website, kind, rule):
    verdict = judge(rules, history(), author, body, website)
    assert verdict.kind == kind, verdict
    if rule:
        assert rule in verdict.matched
    else:
        assert verdict.matched == ()


def test_the_note_stays_one_short_line_whatever_the_rules_hold(tmp_path):
    phrases = ["bad\x07phrase"] + [f"word{n}" for n in range(400)]
    rules = parse_rules(yaml.safe_dump({"spam": {"phrases": phrases}}), Path("rules.yaml"))
    verdict = judge(rules, history(), "Bo", " ".join(phrases), None)
    note = verdict.note()
    assert len(verdict.matched) == 401
    assert len(note) <= 500 and note.startswith("spam rules: spam: phrase 'bad\\x07phrase'; phrase 'word0'")
    assert not any(ord(char) < 32 or char in "\u2028\u2029" for char in note)


def test_to_spam_zero_keeps_many_suspect_rules_pending():
    rules = parse_rules(RULES + "  to_spam: 0\n", Path("rules.yaml"))
    assert judge(rules, history(), "Bo", "guest post, dofollow https://x.example", None).kind == "suspect"


@pytest.mark.parametrize(("text", "words"), [
    ("spam: [unclosed\n", ["rules.yaml:", "not valid YAML"]),
    ("spam:\n  phrasez: [x]\n", ["rules.yaml", "unknown rule 'spam.phrasez'"]),
    ("spam:\n  max_links_first_time: many\n", ["'spam.max_links_first_time' must be a whole number"]),
    ("spam:\n  phrases: [ok, '']\n", ["'spam.phrases' must be a list of non-empty texts"]),
    ("ham:\n  phrases: [x]\n", ["'spam' and 'suspect' only"]),
])
def test_a_bad_rules_file_names_the_file_and_the_rule(text, words):
    with pytest.raises(SpamRulesError) as caught:
        parse_rules(text, Path("rules.yaml"))
    for word in words:
        assert word in str(caught.value)


def test_the_yaml_error_gives_the_line(tmp_path):
    path = tmp_path / "rules.yaml"
    path.write_text("spam:\n  phrases:\n    - ok\n  link_hosts: [a, b\n", encoding="utf-8")
    with pytest.raises(SpamRulesError, match=r"rules\.yaml:\d+: not valid YAML"):
        load_rules(path)


def test_no_rules_file_means_no_rules(tmp_path, rules):
    empty = load_rules(tmp_path / "absent.yaml")
    assert judge(empty, history(), "Bo", "casino bonus https://bit.ly/x", None).kind == "clean"


# ---------------------------------------------------------------- the labelled corpus


def test_the_corpus_is_large_and_labelled():
    corpus = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    labels = [item["label"] for item in corpus["comments"]]
    assert len(labels) >= 100
    assert set(labels) == {"spam", "ham"} and labels.count("spam") >= 40 and labels.count("ham") >= 40
    kinds = {item["kind"] for item in corpus["comments"] if item["label"] == "spam"}
    assert {"link-drop", "seo", "look-alike", "repeated"} <= kinds
    assert sum(item["kind"].startswith("link-") for item in corpus["comments"] if item["label"] == "ham") >= 15


def test_the_site_rules_on_the_corpus_have_high_precision_and_recall():
    corpus = yaml.safe_load(CORPUS.read_text(encoding="utf-8"))
    rules = load_rules(SITE_RULES)
    past = History(protected_names=tuple(corpus["protected_names"]))
    for name in corpus["approved_names"]:
        past.add_approved(name)
    for text in corpus["spam_texts"]:
        past.add_spam(text)
    true_pos = false_pos = false_neg = 0
    for item in corpus["comments"]:
        flagged = judge(rules, past, item["author"], item["body"], item.get("website")).kind == "spam"
        is_spam = item["label"] == "spam"
        true_pos += flagged and is_spam
        false_pos += flagged and not is_spam
        false_neg += is_spam and not flagged
        if is_spam:
            past.add_spam(item["body"])
        else:
            past.add_approved(item["author"])
    precision = true_pos / (true_pos + false_pos)
    recall = true_pos / (true_pos + false_neg)
    assert precision >= 0.95, precision
    assert recall >= 0.85, recall


def test_make_spam_check_reports_the_figures():
    done = subprocess.run(["make", "--no-print-directory", "spam-check"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "precision" in done.stdout and "recall" in done.stdout and "108 labelled comments" in done.stdout


# ---------------------------------------------------------------- the real intake


@pytest.fixture
def intake(tmp_path):
    """The intake service with a rules file of its own."""
    rules = tmp_path / "rules.yaml"
    rules.write_text(RULES, encoding="utf-8")
    env = {"COMMENTS_SPAM_RULES": str(rules), "COMMENTS_RATE_LIMIT": "0"}
    with launch(tmp_path, env) as server:
        yield server


def stored(server, reply) -> dict[str, str]:
    """The fields of the file the service wrote for a reply, read by PyYAML as text."""
    assert reply.status == 201, reply.text
    path = server.content / "dinner-guest" / f"{reply.json()['id']}.yaml"
    return yaml.load(path.read_text(encoding="utf-8"), Loader=yaml.BaseLoader)


def form(**fields: str) -> dict[str, str]:
    """A reader's form for the dinner guest."""
    return {"article": "dinner-guest", "author": "Reader", "body": "A fine question.", **fields}


def test_the_intake_writes_a_matching_comment_as_spam_with_the_rule(intake):
    fields = stored(intake, post_form(intake.port, form(body="Claim your casino bonus today")))
    assert fields["status"] == "spam"
    assert fields["note"] == "spam rules: spam: phrase 'casino bonus'"


def test_the_intake_remembers_spam_it_wrote(intake):
    stored(intake, post_form(intake.port, form(body="Great deals, buy followers at our shop, fast and cheap")))
    again = stored(intake, post_form(intake.port, form(author="Other", body="great deals: BUY followers at our shop; fast, and CHEAP!")))
    assert again["status"] == "spam" and "text already marked spam" in again["note"]


def test_the_intake_keeps_a_suspect_comment_pending_with_a_note(intake):
    fields = stored(intake, post_form(intake.port, form(body="Would you take a guest post?")))
    assert fields["status"] == "pending"
    assert fields["note"] == "spam rules: suspect: phrase 'guest post'"


def test_an_approved_name_with_a_link_stays_clean(intake):
    fields = stored(intake, post_form(intake.port, form(author="Hannah Brooks", body="See https://emilypost.com/ on this.")))
    assert fields["status"] == "pending" and "note" not in fields


def test_the_form_cannot_set_moderator_fields(intake):
    reply = post_form(intake.port, form(pinned="true", role="author", status="approved", note="mine", moderator="me"))
    fields = stored(intake, reply)
    assert fields["status"] == "pending"
    assert not {"pinned", "role", "note", "moderator", "moderated_at"} & set(fields)


def test_a_broken_rules_file_never_stops_comments(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("spam: [unclosed\n", encoding="utf-8")
    with launch(tmp_path, {"COMMENTS_SPAM_RULES": str(rules), "COMMENTS_RATE_LIMIT": "0"}) as server:
        fields = stored(server, post_form(server.port, form(body="casino bonus")))
        assert fields["status"] == "pending"
    assert "spam rules not changed" in (tmp_path / "service.log").read_text(encoding="utf-8")


# ---------------------------------------------------------------- the queue


def test_make_comments_lists_flagged_comments_apart_with_the_rule(tmp_path):
    site = Path(shutil.copytree(MODERATE_SITE, tmp_path / "site"))
    (site / "content" / "spam-rules.yaml").write_text(RULES, encoding="utf-8")
    folder = site / "content" / "comments" / "garden-party"
    (folder / "20240106T100000-guest.yaml").write_text(
        'author: "Seo Person"\ndate: "2024-01-06T10:00:00-05:00"\nstatus: pending\nbody: "Can I write a guest post?"\n',
        encoding="utf-8",
    )
    done = subprocess.run([sys.executable, "-m", "pelican.plugins.reader_comments.moderation", "queue"], cwd=site,
                          capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "120"})
    assert done.returncode == 0, done.stderr
    plain, _, flagged = done.stdout.partition("Pending comments the spam rules flag")
    assert "Seo Person" in flagged and "flagged by the spam rules: suspect: phrase 'guest post'" in flagged
    assert "Seo Person" not in plain
    assert "Alice Moreau" in plain and "Alice Moreau" not in flagged
