"""Privacy over the real site: the built output holds no e-mail address, IP address or moderation record.

The site's own content is built twice into temporary folders, with the
development and the production settings. The only e-mail addresses allowed are
the site's own: those in its settings and in its own posts and pages. The only
IP address allowed is the host of the configured COMMENTS_SUBMIT_URL (the local
intake service of a development build). No comment file's `note` or
`moderated_at` value, and no text of an unpublished comment, may appear.
"""

from __future__ import annotations

import html
import ipaddress
import re
import urllib.parse
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path
from typing import Any

import pytest
from pelican.settings import read_settings

from pelican.plugins.reader_comments import comment_format
from support.build import REPO, Build, build_site

CONTENT = REPO / "content"
CONFS = ["pelicanconf.py", "publishconf.py"]
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
IPV4 = re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w.])")
IPV6 = re.compile(r"(?<![\w:.])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:.])")
JSON_ESCAPE = re.compile(r"\\u([0-9a-fA-F]{4})")


def settings_of(conf: str) -> dict[str, Any]:
    """The settings a build with `conf` uses (publishconf imports pelicanconf from the site's folder)."""
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(REPO))
        return read_settings(str(REPO / conf), override={"PATH": str(CONTENT)})


@pytest.fixture(scope="module", params=CONFS)
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> tuple[Build, dict[str, Any]]:
    """The real site built with one settings file, and those settings."""
    conf = request.param
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(REPO))
        build = build_site(CONTENT, tmp_path_factory.mktemp(conf.split(".")[0]) / "output", conf=conf)
    published = [c for c in comment_format.load_tree(CONTENT / "comments", UTC).comments()
                 if c.published]
    assert published and all(f'id="comment-{c.id}"' in build.all_text() for c in published)
    return build, settings_of(conf)


def readable_forms(text: str) -> Iterator[str]:
    """A file's text as written, with HTML entities decoded, with JSON escapes decoded, and percent-decoded."""
    unescaped = html.unescape(text)
    yield text
    yield unescaped
    yield JSON_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), unescaped)
    yield urllib.parse.unquote(unescaped)


def output_texts(build: Build) -> Iterator[tuple[Path, str]]:
    """Every output file as text (binary files decoded leniently: an address in one still counts)."""
    for path in sorted(build.output.rglob("*")):
        if path.is_file():
            yield path, path.read_bytes().decode("utf-8", errors="replace")


def own_addresses(settings: dict[str, Any]) -> set[str]:
    """E-mail addresses the site publishes itself: in its settings and its own posts and pages."""
    found = set()
    for value in settings.values():
        if isinstance(value, str):
            found.update(EMAIL.findall(value))
    for folder in [*settings["ARTICLE_PATHS"], *settings["PAGE_PATHS"]]:
        for source in (CONTENT / folder).rglob("*"):
            if source.is_file():
                found.update(EMAIL.findall(source.read_text(encoding="utf-8", errors="replace")))
    return {address.lower() for address in found}


def allowed_hosts(settings: dict[str, Any]) -> set[str]:
    """The IP address of the configured intake URL, when it is one."""
    host = urllib.parse.urlsplit(settings.get("COMMENTS_SUBMIT_URL") or "").hostname or ""
    try:
        return {str(ipaddress.ip_address(host))}
    except ValueError:
        return set()


def ip_addresses(text: str) -> set[str]:
    """IPv4 and IPv6 addresses in text."""
    found = set()
    for candidate in IPV4.findall(text) + IPV6.findall(text):
        try:
            found.add(str(ipaddress.ip_address(candidate)))
        except ValueError:
            continue
    return found


def moderation_records() -> dict[str, str]:
    """Every `note` and `moderated_at` value of the comment files, and the text of unpublished comments."""
    secrets: dict[str, str] = {}
    for path in comment_format.comment_files(CONTENT / "comments"):
        parsed = comment_format.parse(path, comment_format.decode(path, path.read_bytes()))
        values = parsed.values
        for name in ("note", "moderated_at"):
            if isinstance(values.get(name), str) and values[name].strip():
                secrets[values[name].strip()] = f"{path.name}: {name}"
        if values.get("status") != "approved":
            for line in str(values.get("body") or "").splitlines():
                if len(line.strip()) >= 20:
                    secrets[line.strip()] = f"{path.name}: body of a {values.get('status')} comment"
    return secrets


def test_only_the_sites_own_addresses(built: tuple[Build, dict[str, Any]]) -> None:
    build, settings = built
    allowed = own_addresses(settings)
    assert settings["COMMENTS_CONTACT_EMAIL"].lower() in allowed
    leaks = {}
    for path, text in output_texts(build):
        for form in readable_forms(text):
            for address in EMAIL.findall(form):
                if address.lower() not in allowed:
                    leaks[address] = str(path.relative_to(build.output))
    assert leaks == {}


def test_no_ip_address_but_the_configured_intake(built: tuple[Build, dict[str, Any]]) -> None:
    build, settings = built
    allowed = allowed_hosts(settings)
    leaks = {}
    for path, text in output_texts(build):
        for form in readable_forms(text):
            for address in ip_addresses(form) - allowed:
                leaks[address] = str(path.relative_to(build.output))
    assert leaks == {}


def test_no_moderation_record_or_unpublished_text(built: tuple[Build, dict[str, Any]]) -> None:
    build, _ = built
    secrets = moderation_records()
    assert secrets, "the site's comments carry no moderation record to look for"
    leaks = {}
    for path, text in output_texts(build):
        forms = list(readable_forms(text))
        for secret, origin in secrets.items():
            if any(secret in form for form in forms):
                leaks[origin] = str(path.relative_to(build.output))
    assert leaks == {}
