"""The optional Akismet check (off unless COMMENTS_AKISMET_KEY is set), through the `akismet` client library.

Asked only about comments the local rules leave clean or suspect. What it sends
to Automattic's service: the reader's IP address and browser (User-Agent), the
name, website and text of the comment, the article's address and the site's
language. A failure (no answer within the timeout, an error, a bad key) is
logged without any of that and the comment stays pending: the check never loses
a comment. Nothing it sends is stored here.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

TIMEOUT_SECONDS = 3.0
PACKAGE = "akismet==25.10.1"


class _Elsewhere:
    """An httpx transport sending Akismet's requests to another base address (COMMENTS_AKISMET_ENDPOINT)."""

    def __init__(self, endpoint: str) -> None:
        """Send every request to `endpoint` (scheme, host and port; the path is kept)."""
        import httpx

        self._base = httpx.URL(endpoint)
        self._inner = httpx.HTTPTransport()

    def handle_request(self, request: Any) -> Any:
        """The request, readdressed, through an ordinary transport."""
        request.url = request.url.copy_with(scheme=self._base.scheme, host=self._base.host, port=self._base.port)
        request.headers["host"] = self._base.netloc.decode("ascii")
        return self._inner.handle_request(request)

    def close(self) -> None:
        """Close the inner transport."""
        self._inner.close()


class AkismetCheck:
    """Asks Akismet whether a comment is spam; None when it cannot tell."""

    def __init__(self, key: str, site: str, endpoint: str | None = None, language: str = "en") -> None:
        """A client for `key` and the site at `site` (optionally talking to `endpoint` instead of Akismet)."""
        import akismet
        import httpx

        transport = _Elsewhere(endpoint) if endpoint else None
        client = httpx.Client(timeout=TIMEOUT_SECONDS, headers={"User-Agent": akismet.USER_AGENT},
                              transport=transport)  # type: ignore[arg-type]  # duck-typed transport
        self._client = akismet.SyncClient(config=akismet.Config(key=key, url=site), http_client=client)
        self._error = akismet.AkismetError
        self._language = language

    def is_spam(self, ip: str, user_agent: str, author: str, website: str | None, body: str, permalink: str) -> bool | None:
        """Akismet's answer for one comment; None (logged) when there is none."""
        try:
            answer = self._client.comment_check(
                user_ip=ip, user_agent=user_agent, comment_type="comment", comment_author=author,
                comment_author_url=website or "", comment_content=body, permalink=permalink, blog_lang=self._language,
            )
        except self._error as exc:
            logger.warning("Akismet gave no answer (%s); the comment stays pending", type(exc).__name__)
            return None
        return bool(answer)
