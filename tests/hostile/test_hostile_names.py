"""Names readers see: direction controls, blank names, look-alikes of the author and moderators.

- Bidi overrides and embeddings in a name made the page show other words than
  the moderation queue (which strips them): the page must show the name without
  them, everywhere a name appears.
- A name of only invisible characters shows as blank.
- A look-alike of a protected name (a Cyrillic letter, a zero-width space inside,
  trailing symbols) must be recognised, naming the real name.
"""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import html5lib
import pytest

from hostile_support import DATE, elements, has_class, text_of
from pelican.plugins.reader_comments import comment_format, names
from pelican.plugins.reader_comments.names import display_name, is_blank, resembles, same_name, visible
from support.build import build_site, copy_fixture
from support.comments import comment_yaml, write_comment
from support.intake import IntakeServer, post_form

RLO, LRE, PDF, RLI, PDI, LRM = "\u202e", "\u202a", "\u202c", "\u2067", "\u2069", "\u200e"
DIRECTION = (RLO, LRE, PDF, RLI, PDI, LRM, "\u202b", "\u202d", "\u2066", "\u2068", "\u200f", "\u061c")

# (name as written, what readers must see)
BIDI_NAMES = [
    (f"{RLO}nimda", "nimda"),
    (f"Bob{RLO}", "Bob"),
    (f"Ann {LRE}{RLO}reganam{PDF}{PDF}", "Ann reganam"),
    (f"{RLI}Eve{PDI} Example", "Eve Example"),
    (f"{LRM}Zoë{LRM}", "Zoë"),
]


@pytest.fixture(scope="module")
def bidi_site(tmp_path_factory) -> Path:
    """The fixture site with one approved comment per bidi name, each replying to the one before."""
    base = tmp_path_factory.mktemp("bidi")
    content = copy_fixture(base / "content")
    folder = content / "comments" / "delta"
    folder.mkdir()
    for n, (name, _) in enumerate(BIDI_NAMES):
        fields = {"author": name, "date": DATE, "status": "approved", "body": f"Comment {n}.",
                  "reply_to": f"n{n - 1}" if n else None}
        (folder / f"n{n}.yaml").write_text(comment_yaml(fields), encoding="utf-8")
    build = build_site(content, base / "output", SITEURL="https://blog.example", RELATIVE_URLS=False,
                       COMMENTS_SUBMIT_URL="https://inbox.example/comments")
    assert not build.messages(), build.messages()
    return base / "output"


def test_page_shows_names_without_direction_controls(bidi_site: Path) -> None:
    page = (bidi_site / "2020/delta/index.html").read_text(encoding="utf-8")
    root = html5lib.parse(page, namespaceHTMLElements=False)
    shown = {}
    for article in (e for e in elements(root) if e.tag == "article" and has_class(e, "comment")):
        author = next(e for e in elements(article) if has_class(e, "comment-author"))
        button = next(e for e in elements(article) if e.tag == "button")
        shown[article.get("id")] = (text_of(author), button.get("data-reply-name"))
    for n, (_, expected) in enumerate(BIDI_NAMES):
        assert shown[f"comment-n{n}"] == (expected, expected)
        if n:
            assert f'href="#comment-n{n - 1}">in reply to <bdi>{BIDI_NAMES[n - 1][1]}</bdi>' in page
    section = page[page.index('id="comments"'):]
    assert not any(char in section for char in DIRECTION)


def test_feeds_and_json_ld_show_the_same_names(bidi_site: Path) -> None:
    everything = "".join(
        path.read_text(encoding="utf-8") for path in [bidi_site / "2020/delta/index.html", *bidi_site.glob("feeds/**/*.xml")]
    )
    assert not any(char in everything for char in DIRECTION)
    feed = (bidi_site / "feeds/comments/delta.atom.xml").read_text(encoding="utf-8")
    for _, name in BIDI_NAMES:
        assert f"<name>{name}</name>" in feed, name


@pytest.mark.parametrize(("written", "expected"), BIDI_NAMES)
def test_display_name_drops_direction_controls(written: str, expected: str) -> None:
    assert display_name(written) == expected


@pytest.mark.parametrize(
    "name",
    ["\u200b", "\u200b\u200b\u200b", "\u3164", "\u3164 \u3164", "\u115f\u1160", "\uffa0", "\u2800\u2800",
     "\u200d\u2060\ufeff", f"{RLO}{PDF}", " \u00a0\u3000 ", "\ufe0f", "\u00ad\u034f", "\U000e0041\U000e0042"],
)
def test_invisible_names_are_blank(name: str) -> None:
    assert is_blank(name)


@pytest.mark.parametrize("name", ["A", "Ann\u200b", "\u200bZ", "李", "\u0648", "e\u0301", "\u2603"])
def test_names_with_something_to_see_are_not_blank(name: str) -> None:
    assert not is_blank(name)


def test_visible_spells_out_what_a_terminal_hides() -> None:
    assert visible("Ann\u200bReader") == "Ann<U+200B>Reader"
    assert visible("\u3164") == "<U+3164>"
    assert visible(f"a{RLO}b") == "a<U+202E>b"
    assert visible("Zoë Ann") == "Zoë Ann"


# One character of each kind a terminal shows as nothing, and how `visible` spells it.
HIDDEN = [
    ("\x07", "<U+0007>"),  # a control character (Cc)
    ("\u0600", "<U+0600>"),  # a format character (Cf) that is not default-ignorable
    ("\u00a0", "<U+00A0>"),  # a space other than the space (Zs)
    ("\u2028", "<U+2028>"),  # line separator (Zl)
    ("\u2029", "<U+2029>"),  # paragraph separator (Zp)
    ("\ue000", "<U+E000>"),  # private use (Co)
    ("\u0378", "<U+0378>"),  # unassigned (Cn)
    ("\u034f", "<U+034F>"),  # default-ignorable only (a combining mark, Mn)
    ("\u2800", "<U+2800>"),  # drawn blank only (Braille pattern blank, So)
    ("\U000e0041", "<U+E0041>"),  # a tag character: five digits
]


@pytest.mark.parametrize(("char", "spelled"), HIDDEN)
def test_visible_spells_out_each_kind_of_hidden_character(char: str, spelled: str) -> None:
    assert visible(f"a{char}b") == f"a{spelled}b"
    assert is_blank(char) and is_blank(f" {char} ")


@pytest.mark.parametrize("char", [" ", "a", "\u00e9", "\u0301", "\u2603", "7", "-"])
def test_visible_keeps_what_a_terminal_shows(char: str) -> None:
    assert visible(f"a{char}b") == f"a{char}b"


def test_same_name_is_the_same_text_once_normalized_and_spaced_alike() -> None:
    assert same_name("Ann  Lee", " Ann Lee ") and same_name("Ann\tLee", "Ann Lee")
    assert same_name("Zoe\u0301", "Zo\u00e9")
    assert not same_name("Ann Lee", "Ann  Leen") and not same_name("ann lee", "Ann Lee")
    assert not same_name("AnnLee", "Ann Lee") and not same_name("Di\u0430ne", "Diane")


@pytest.fixture(autouse=True)
def fresh_prototypes() -> None:
    """Each test maps characters afresh, not from what an earlier test left in the cache."""
    names._prototype.cache_clear()


PROTECTED = ["Diane Schwartz", "Pat Example", "Bill Ortiz"]


@pytest.mark.parametrize(
    ("name", "real"),
    [
        ("Diane Schwartz", "Diane Schwartz"),
        ("Di\u0430ne Schwartz", "Diane Schwartz"),  # Cyrillic a
        ("D\u0456ane Schw\u0430rtz", "Diane Schwartz"),  # Cyrillic i and a
        ("Dia\u200bne Schwartz", "Diane Schwartz"),  # zero-width space inside
        ("Diane\u2060 Schwartz\u200d", "Diane Schwartz"),
        ("Diane Schwartz \u2713", "Diane Schwartz"),  # trailing check mark
        ("Diane Schwartz.", "Diane Schwartz"),
        ("Diane Schwartz!!", "Diane Schwartz"),
        ("DIANE SCHWARTZ", "Diane Schwartz"),
        ("\uff24\uff49\uff41\uff4e\uff45 \uff33\uff43\uff48\uff57\uff41\uff52\uff54\uff5a", "Diane Schwartz"),  # fullwidth
        ("Pat Exampl\u0435", "Pat Example"),  # Cyrillic e
        ("P\u0430t Ex\u0430mple \U0001f4dd", "Pat Example"),
        ("Bi11 Ortiz", "Bill Ortiz"),  # digit one for l
        ("BiII 0rtiz", "Bill Ortiz"),  # capital I for l, zero for O
        ("Bill \u039frtiz", "Bill Ortiz"),  # Greek capital omicron
    ],
)
def test_look_alikes_name_the_real_name(name: str, real: str) -> None:
    assert resembles(name, PROTECTED) == real


def test_a_look_alike_listed_between_direction_marks_still_resembles() -> None:
    """The confusables data writes some right-to-left prototypes between LRM marks: the marks are not part of the glyph."""
    assert resembles("Room \u06f2", ["Room \u0662"]) == "Room \u0662"  # Extended Arabic-Indic two, Arabic-Indic two
    assert resembles("Room \u06f3", ["Room \u0662"]) is None


@pytest.mark.parametrize("name", ["Diane Schwarz", "Dana Schwartz", "Pat Examples", "Bill Ortega", "Ann Reader", "Dlane Schwartz"])
def test_different_names_do_not_resemble(name: str) -> None:
    assert resembles(name, PROTECTED) is None


def test_json_ld_names_are_the_shown_names(bidi_site: Path) -> None:
    root = html5lib.parse((bidi_site / "2020/delta/index.html").read_text(encoding="utf-8"), namespaceHTMLElements=False)
    scripts = [e for e in elements(root) if e.tag == "script" and e.get("type") == "application/ld+json"]
    posting = next(d for d in (json.loads(s.text) for s in scripts) if d.get("@type") == "BlogPosting")
    names = sorted(item["author"]["name"] for item in posting["comment"])
    assert names == sorted(expected for _, expected in BIDI_NAMES)


BLANK = ["\u200b", "\u3164", "\u200b \u3164", "\u2800", "\u115f\u1160", "\u2060\ufeff\u200d"]


@pytest.mark.parametrize("name", BLANK)
def test_validator_refuses_blank_names(tmp_path: Path, name: str) -> None:
    path = write_comment(tmp_path / "post", "c1.yaml", {"author": name, "date": DATE, "status": "approved", "body": "Hi."})
    comment, problems = comment_format.read(path, ZoneInfo("UTC"))
    assert comment is None
    assert [p.line for p in problems] == [1] and "'author'" in problems[0].message


@pytest.mark.parametrize("name", BLANK)
def test_intake_refuses_blank_names(open_intake: IntakeServer, name: str) -> None:
    reply = post_form(open_intake.port, {"article": "dinner-guest", "author": name, "body": "Who am I?"})
    assert reply.status == 400 and list(reply.json()["errors"]) == ["author"], reply.body
