"""The readers' side: the choice on the form, the messages a reader gets, and the links in them.

Every message to a reader carries a one-click unsubscribe: a link in the text,
and the `List-Unsubscribe` and `List-Unsubscribe-Post` headers of RFC 8058.
Links name the address by its row number only.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from urllib.parse import quote

from .config import NotifyConfig
from .links import Signer
from .mail import Letter

CONFIRM_PURPOSE = "confirm"
UNSUBSCRIBE_PURPOSE = "unsubscribe"
CONFIRM_DAYS = 2.0


@dataclass(frozen=True, slots=True)
class ReaderChoice:
    """A reader's address and what they asked to be told."""

    address: str
    published: bool
    replies: bool


def unsubscribe_link(config: NotifyConfig, signer: Signer, address_id: int) -> str:
    """The link that deletes the address (it works until the secret changes)."""
    return f"{config.links_base}/unsubscribe?t={quote(signer.sign(UNSUBSCRIBE_PURPOSE, str(address_id), None))}"


def confirm_link(config: NotifyConfig, signer: Signer, address_id: int) -> str:
    """The link that confirms the address (valid while the unconfirmed address is kept)."""
    return f"{config.links_base}/confirm?t={quote(signer.sign(CONFIRM_PURPOSE, str(address_id), CONFIRM_DAYS))}"


def reader_letter(config: NotifyConfig, signer: Signer, address: str, address_id: int, subject: str,
                  paragraphs: list[str], link: tuple[str, str]) -> Letter:
    """A message to a reader: paragraphs, one link, and the unsubscribe link and headers."""
    leave = unsubscribe_link(config, signer, address_id)
    label, url = link
    text = "\n\n".join([*paragraphs, f"{label}:\n{url}",
                        f"To stop all messages from {config.site} and delete your address now:\n{leave}"])
    e = html.escape
    page = (
        "<!doctype html><html><body>" + "".join(f"<p>{e(p)}</p>" for p in paragraphs)
        + f'<p><a href="{e(url, quote=True)}">{e(label)}</a></p>'
        + f'<p><small><a href="{e(leave, quote=True)}">Stop all messages and delete my address</a></small></p>'
        + "</body></html>"
    )
    headers = (("List-Unsubscribe", f"<{leave}>"), ("List-Unsubscribe-Post", "List-Unsubscribe=One-Click"))
    return Letter(address, subject, text, page, headers)


def confirmation_letter(config: NotifyConfig, signer: Signer, address: str, address_id: int, title: str) -> Letter:
    """The one message sent to an unconfirmed address: it asks to confirm, nothing else."""
    return reader_letter(
        config, signer, address, address_id, f"Please confirm your address for comments on {config.site}",
        [f"Someone, hopefully you, left a comment on “{title}” and asked to be told by e-mail when it is "
         "published or answered.",
         "Nothing more is sent to this address until you confirm it. If it was not you, ignore this message: "
         "the address is deleted within 48 hours."],
        ("Confirm my address", confirm_link(config, signer, address_id)),
    )


def published_letter(config: NotifyConfig, signer: Signer, address: str, address_id: int, title: str, url: str) -> Letter:
    """The notice that the reader's comment is published."""
    return reader_letter(config, signer, address, address_id, f"Your comment on “{title}” is published",
                         [f"Your comment on “{title}” has been approved and is now on the site."],
                         ("See your comment", url))


def reply_letter(config: NotifyConfig, signer: Signer, address: str, address_id: int, title: str, url: str,
                 author: str) -> Letter:
    """The notice that someone answered the reader's comment."""
    return reader_letter(config, signer, address, address_id, f"{author} replied to your comment on “{title}”",
                         [f"{author} replied to your comment on “{title}”."], ("Read the reply", url))
