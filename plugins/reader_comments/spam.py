"""Local spam rules: a rules file the moderators edit, and the verdict it gives a comment. No network.

The rules file (COMMENTS_SPAM_RULES, YAML) holds two groups. A comment that
matches any rule under `spam` is spam; one that matches rules under `suspect`
is suspect, and spam when it matches `to_spam` of them (two unless said)::

    spam:
      phrases: [casino bonus, buy followers]   # in the text or the name, any case, whole words
      link_hosts: [cheap-pills.example]         # a link (or the website) to this host or below it
      max_links_first_time: 2                   # more links than this in the text from a name never approved
      repeated: true                            # text already marked spam (case, spacing, punctuation aside)
    suspect:
      phrases: [guest post, dofollow]
      links_first_time: 1                       # this many links or more in the text from a name never approved
      look_alike_names: true                    # a name that passes for the article's author or a moderator
      to_spam: 2                                # this many suspect rules make it spam (0: never)

The intake writes a spam comment with `status: spam` and the rule in its note;
a suspect one stays pending and `make comments` lists it apart.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from .errors import ReaderCommentsError
from .names import resembles

logger = logging.getLogger(__name__)

SPAM, SUSPECT, CLEAN = "spam", "suspect", "clean"
# How many suspect rules make a comment spam, unless the rules file says (`suspect.to_spam`; 0: never).
SUSPECT_TO_SPAM = 2
NOTE_PREFIX = "spam rules:"
RULES_MAX_BYTES = 256 * 1024
# A note stays well inside the format's limit for `note`, however many rules match.
NOTE_MAX = 500
_GROUPS = {
    "spam": {"phrases": list, "link_hosts": list, "max_links_first_time": int, "repeated": bool},
    "suspect": {"phrases": list, "links_first_time": int, "look_alike_names": bool, "to_spam": int},
}
# Web addresses in a body: scheme links, bare www. hosts, and Markdown autolinks.
_LINK = re.compile(r"(?i)\b(?:https?://|www\.)[^\s<>()\[\]\"']+")
_WORDS = re.compile(r"\w+")


class SpamRulesError(ReaderCommentsError, ValueError):
    """The rules file cannot be used; the message names the file, the line and the rule."""


@dataclass(frozen=True, slots=True)
class Rules:
    """The spam rules of one rules file (all empty when there is none)."""

    spam_phrases: tuple[str, ...] = ()
    link_hosts: tuple[str, ...] = ()
    max_links_first_time: int | None = None
    repeated: bool = False
    suspect_phrases: tuple[str, ...] = ()
    links_first_time: int | None = None
    look_alike_names: bool = False
    to_spam: int = SUSPECT_TO_SPAM


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the rules say of one comment: spam, suspect or clean, and the rules that matched."""

    kind: str
    matched: tuple[str, ...] = ()

    def note(self) -> str:
        """The moderation note recording the verdict (`spam rules: spam: link to x.example`): one line, at most NOTE_MAX characters."""
        text = f"{NOTE_PREFIX} {self.kind}: {'; '.join(self.matched)}"  # phrases are quoted with repr: no controls
        return text if len(text) <= NOTE_MAX else text[: NOTE_MAX - 1] + "…"


@dataclass(slots=True)
class History:
    """What the rules compare a comment with: names already approved, text already marked spam."""

    approved_names: set[str] = field(default_factory=set)
    spam_texts: set[str] = field(default_factory=set)
    protected_names: tuple[str, ...] = ()

    def add_spam(self, body: str) -> None:
        """Remember a text marked spam."""
        self.spam_texts.add(fingerprint(body))

    def add_approved(self, name: str) -> None:
        """Remember a name with an approved comment."""
        self.approved_names.add(name_key(name))


def name_key(name: str) -> str:
    """A name as the rules compare names: NFKC, case folded, spaces collapsed."""
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def fingerprint(body: str) -> str:
    """A digest of a text's words, so the same spam with other case, spacing or punctuation matches."""
    words = _WORDS.findall(unicodedata.normalize("NFKC", body).casefold())
    return hashlib.sha256(" ".join(words).encode("utf-8")).hexdigest()


def _items(raw: Any, where: str) -> tuple[str, ...]:
    """A list of texts, each stripped and case folded; raise SpamRulesError otherwise."""
    if raw is None:
        return ()
    if not isinstance(raw, list) or not all(isinstance(item, str) and item.strip() for item in raw):
        raise SpamRulesError(f"{where} must be a list of non-empty texts")
    return tuple(name_key(item) for item in raw)


def _check_group(group: str, values: Any, where: str) -> dict[str, Any]:
    """One group of rules as a mapping with only known names of the right types."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise SpamRulesError(f"{where}: '{group}' must be a mapping of rules")
    for name, value in values.items():
        kind = _GROUPS[group].get(str(name))
        if kind is None:
            known = ", ".join(_GROUPS[group])
            raise SpamRulesError(f"{where}: unknown rule '{group}.{name}' (known: {known})")
        if value is not None and kind is int and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
            raise SpamRulesError(f"{where}: '{group}.{name}' must be a whole number, 0 or more")
        if value is not None and kind is bool and not isinstance(value, bool):
            raise SpamRulesError(f"{where}: '{group}.{name}' must be true or false")
    return values


def parse_rules(text: str, path: Path) -> Rules:
    """Rules from a rules file's text; raise SpamRulesError naming the file and line."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = f":{mark.line + 1}" if mark is not None else ""
        raise SpamRulesError(f"{path}{line}: not valid YAML: {getattr(exc, 'problem', None) or exc}") from None
    if data is None:
        return Rules()
    if not isinstance(data, dict) or not set(data) <= set(_GROUPS):
        raise SpamRulesError(f"{path}: the rules file holds the groups 'spam' and 'suspect' only")
    spam = _check_group("spam", data.get("spam"), str(path))
    suspect = _check_group("suspect", data.get("suspect"), str(path))
    return Rules(
        spam_phrases=_items(spam.get("phrases"), f"{path}: 'spam.phrases'"),
        link_hosts=tuple(host.strip(".") for host in _items(spam.get("link_hosts"), f"{path}: 'spam.link_hosts'")),
        max_links_first_time=spam.get("max_links_first_time"),
        repeated=bool(spam.get("repeated", False)),
        suspect_phrases=_items(suspect.get("phrases"), f"{path}: 'suspect.phrases'"),
        links_first_time=suspect.get("links_first_time"),
        look_alike_names=bool(suspect.get("look_alike_names", False)),
        to_spam=SUSPECT_TO_SPAM if suspect.get("to_spam") is None else suspect["to_spam"],
    )


def load_rules(path: Path | None) -> Rules:
    """The rules in `path`; no rules when there is no path or no file. Raise SpamRulesError when it is unusable."""
    if path is None or not path.exists():
        return Rules()
    try:
        with path.open("rb") as handle:
            data = handle.read(RULES_MAX_BYTES + 1)
    except OSError as exc:
        raise SpamRulesError(f"{path}: cannot read the spam rules: {exc.strerror}") from None
    if len(data) > RULES_MAX_BYTES:
        raise SpamRulesError(f"{path}: the spam rules file is larger than {RULES_MAX_BYTES:,} bytes")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise SpamRulesError(f"{path}: the spam rules file is not UTF-8 text") from None
    return parse_rules(text, path)


def links(body: str, website: str | None = None) -> list[str]:
    """The web addresses a comment holds: those in its text, and its website."""
    found = _LINK.findall(body)
    return [*found, website] if website else found


def host_of(link: str) -> str:
    """The host a link points to, lower case ('' when it has none)."""
    text = link if "://" in link else f"http://{link}"
    try:
        return (urlsplit(text).hostname or "").rstrip(".")
    except ValueError:
        return ""


def _phrase_in(phrase: str, text: str) -> bool:
    """Whether `phrase` stands in `text` as whole words (both already case folded); the pattern only where it occurs at all."""
    return phrase in text and re.search(rf"(?<!\w){re.escape(phrase)}(?!\w)", text) is not None


def _host_listed(host: str, listed: Iterable[str]) -> str | None:
    """The listed host that `host` is, or is below."""
    return next((item for item in listed if host == item or host.endswith("." + item)), None)


def judge(rules: Rules, history: History, author: str, body: str, website: str | None = None) -> Verdict:
    """The verdict of the rules on one comment."""
    text = name_key(f"{author}\n{body}")
    found = links(body, website)
    first_time = name_key(author) not in history.approved_names
    strong: list[str] = []
    weak: list[str] = []
    strong.extend(f"phrase {phrase!r}" for phrase in rules.spam_phrases if _phrase_in(phrase, text))
    for link in found:
        listed = _host_listed(host_of(link), rules.link_hosts)
        if listed and f"link to {listed}" not in strong:
            strong.append(f"link to {listed}")
    # The website field is the form's own place for a link: only links in the text count.
    in_text = len(found) - (1 if website else 0)
    if first_time and rules.max_links_first_time is not None and in_text > rules.max_links_first_time:
        strong.append(f"{in_text} links from a first-time name (at most {rules.max_links_first_time})")
    if rules.repeated and fingerprint(body) in history.spam_texts:
        strong.append("text already marked spam")
    weak.extend(f"phrase {phrase!r}" for phrase in rules.suspect_phrases if _phrase_in(phrase, text))
    if first_time and rules.links_first_time is not None and in_text and in_text >= rules.links_first_time:
        weak.append(f"{in_text} link{'s' * (in_text != 1)} from a first-time name")
    if rules.look_alike_names and history.protected_names:
        real = resembles(author, history.protected_names)
        if real is not None:
            weak.append(f"name resembles {real!r}")
    if strong or 0 < rules.to_spam <= len(weak):
        return Verdict(SPAM, tuple(strong + weak))
    return Verdict(SUSPECT, tuple(weak)) if weak else Verdict(CLEAN)


def history_of(comments: Iterable[Any], protected: Iterable[str] = ()) -> History:
    """What the rules compare with, from comment files: approved names and texts marked spam."""
    history = History(protected_names=tuple(protected))
    for comment in comments:
        if comment.status == "approved":
            history.add_approved(comment.author)
        elif comment.status == "spam":
            history.add_spam(comment.body)
    return history
