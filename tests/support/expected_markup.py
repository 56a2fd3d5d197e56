"""The markup a rendered comment body may hold, written out by hand for the tests.

These literals are the tests' own statement of the contract. They are never read
from render.py, so widening the renderer's allowlist, its URL schemes or its link
`rel` makes the tests fail instead of widening them too.
"""

from __future__ import annotations

ALLOWED_TAGS = frozenset({"p", "br", "em", "strong", "code", "pre", "blockquote", "ul", "ol", "li", "a"})
# Attributes per tag; `rel` is the one nh3 sets itself on every link.
ALLOWED_ATTRIBUTES = {"a": frozenset({"href", "title", "rel"}), "ol": frozenset({"start"})}
SAFE_SCHEMES = ("http://", "https://", "mailto:")
SAFE_PROTOCOLS = frozenset({"http:", "https:", "mailto:"})
LINK_REL = "nofollow ugc noopener noreferrer"


def allowed_attributes(tag: str) -> frozenset[str]:
    """The attributes a body element named `tag` may carry."""
    return ALLOWED_ATTRIBUTES.get(tag, frozenset())
