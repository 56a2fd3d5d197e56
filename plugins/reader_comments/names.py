"""Names readers see: direction controls neutralised, blank names found, look-alikes matched.

A name is shown as written except for the Unicode direction controls (embeddings,
overrides, isolates, marks), which would make a page show other words than the
file holds: `display_name` drops them, and the page, the feeds and the moderation
queue all show that. `visible` then spells out any character a terminal would not
show (`<U+200B>`), so a moderator sees exactly what readers will. A name of
nothing but invisible characters and spaces is blank (`is_blank`).

`resembles` tells whether a name could pass for a protected one (an article's
author, a moderator): both are reduced to a skeleton, Unicode TR #39 style
(NFKC, invisible characters dropped, confusable characters mapped to one
prototype with the confusables data of `confusable-homoglyphs`, accents and case
dropped, only letters and digits kept), and equal skeletons resemble.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

# Direction controls: ALM, LRM, RLM, the embeddings and overrides (LRE..RLO, PDF), the isolates (LRI..PDI).
_DIRECTION = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
# Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): drawn as nothing.
_IGNORABLE = re.compile(
    "[\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e\u2060-\u206f"
    "\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff]"
)
# Drawn as empty space although not whitespace to Python: the Braille blank and the Hangul fillers.
_BLANK_GLYPHS = frozenset("\u2800\u3164\uffa0\u115f\u1160")


def display_name(name: str) -> str:
    """A name as readers are shown it: direction controls removed, outer spaces trimmed."""
    return _DIRECTION.sub("", name).strip()


def _invisible(char: str) -> bool:
    """Whether a terminal would show nothing for `char` (ignorable, a format or control character, or odd space)."""
    if char == " ":
        return False
    return bool(_IGNORABLE.match(char)) or char in _BLANK_GLYPHS or unicodedata.category(char) in ("Cf", "Cc", "Zs", "Zl", "Zp", "Co", "Cn")


def visible(text: str) -> str:
    """`text` with every character a terminal would not show spelled out as <U+XXXX>."""
    return "".join(f"<U+{ord(char):04X}>" if _invisible(char) else char for char in text)


def is_blank(name: str) -> bool:
    """Whether a name shows as nothing: only spaces and invisible characters."""
    return all(char.isspace() or _invisible(char) for char in name)


@lru_cache(maxsize=1)
def _confusables() -> dict[str, Any]:
    """Unicode's confusables data, loaded on first use (reading and checking files never needs it)."""
    from confusable_homoglyphs.confusables import confusables_data

    return confusables_data


def _glyphs(char: str) -> list[str]:
    """What the confusables data says `char` can be confused with (marks around entries dropped)."""
    glyphs = (_IGNORABLE.sub("", entry["c"]) for entry in _confusables().get(char, ()))
    return [glyph for glyph in glyphs if glyph]


@lru_cache(maxsize=4096)
def _prototype(char: str) -> str:
    """The character (or characters) `char` is confusable with, as one prototype shared by every look-alike.

    The data lists a look-alike with its one prototype, and a prototype with all
    its look-alikes; a pair listing only each other maps to the smaller.
    """
    glyphs = _glyphs(char)
    if len(glyphs) != 1:
        return char  # not confusable, or itself the prototype of several look-alikes
    glyph = glyphs[0]
    if len(glyph) == 1 and len(_glyphs(glyph)) == 1:
        return min(char, glyph)
    return glyph


def _fold(text: str) -> str:
    """Accents, case and everything but letters and digits removed."""
    decomposed = unicodedata.normalize("NFD", text).casefold()
    return "".join(char for char in decomposed if unicodedata.category(char)[0] in "LN")


def skeletons(name: str) -> frozenset[str]:
    """The forms two look-alike names share: NFKC, invisibles dropped, confusables mapped, then folded.

    Case is folded both before and after mapping, since `I` and `l` look alike but `i` and `l` do not.
    """
    plain = _IGNORABLE.sub("", unicodedata.normalize("NFKC", name))
    mapped = {"".join(_prototype(char) for char in form) for form in (plain, plain.casefold())}
    return frozenset(folded for folded in (_fold(form) for form in mapped) if folded)


@lru_cache(maxsize=256)
def _protected_skeletons(name: str) -> frozenset[str]:
    """`skeletons` of a protected name, kept: the same few names are compared with every new one."""
    return skeletons(name)


def resembles(name: str, protected: Iterable[str]) -> str | None:
    """The protected name `name` could pass for (the same, or a look-alike), or None."""
    mine = skeletons(name)
    for real in protected:
        if mine & _protected_skeletons(real):
            return real
    return None


def same_name(name: str, other: str) -> bool:
    """Whether two names are the very same text (Unicode-normalized, spaces collapsed), not merely alike."""
    def plain(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).split())

    return plain(name) == plain(other)
