"""Avatars drawn locally: an initial on a colour derived from the name, as inline SVG."""

from __future__ import annotations

import hashlib

from markupsafe import Markup, escape

# Hues dark enough for white text at WCAG AA in light and dark themes.
_COLOURS = ("#7b3f61", "#2f5d50", "#8a4b08", "#3b4f7a", "#6b4c9a", "#7a3b2e", "#1f5f75", "#5a5a1e")


def avatar_svg(name: str) -> Markup:
    """An inline SVG avatar for `name`; decorative, so hidden from assistive technology."""
    digest = hashlib.blake2s(name.casefold().encode("utf-8"), digest_size=2).digest()
    colour = _COLOURS[digest[0] % len(_COLOURS)]
    initial = next((ch for ch in name if ch.isalnum()), "?").upper()
    return Markup(
        '<svg class="avatar" viewBox="0 0 40 40" width="40" height="40" focusable="false" aria-hidden="true">'
        '<circle cx="20" cy="20" r="20" fill="{}"/>'
        '<text x="20" y="26" text-anchor="middle" font-size="18" font-family="Georgia, serif" fill="#fff">{}</text>'
        "</svg>"
    ).format(colour, escape(initial))
