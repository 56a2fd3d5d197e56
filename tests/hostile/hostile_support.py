"""Helpers for the hostile-input tests: writing cases as files, time bounds, and HTML checks."""

from __future__ import annotations

import concurrent.futures
import html
import re
import time
import urllib.parse
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from corpus import GOOD, Attack, BadFile

from support.comments import comment_yaml
from support.expected_markup import ALLOWED_TAGS, LINK_REL, SAFE_SCHEMES, allowed_attributes

T = TypeVar("T")

DATE = "2020-02-01T09:00:00"
DANGEROUS_SCHEMES = ("javascript:", "vbscript:", "data:")
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "data", "poster", "background", "cite",
                            "codebase", "ping", "srcset", "xlink:href", "manifest", "icon", "lowsrc", "dynsrc"})
# Characters a browser drops or ignores when it reads a URL's scheme: C0 controls and space, and C1 controls.
_URL_NOISE = re.compile(r"[\x00-\x20\x7f-\x9f\u200b-\u200d\u2060\ufeff]")
_NAMESPACE = re.compile(r"^\{[^}]*\}")
# Direction controls a name may not carry onto the page: ALM, LRM, RLM, LRE..RLO, LRI..PDI (Unicode UAX #9).
_DIRECTION_CONTROLS = re.compile("[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


# ---------------------------------------------------------------- writing comment files


def attack_fields(cid: str, attack: Attack, reply_to: str | None = None) -> dict[str, str | None]:
    """The fields of the approved comment carrying `attack` in its field."""
    fields: dict[str, str | None] = {
        "author": f"Tester {cid}",
        "date": DATE,
        "status": "approved",
        "body": f"Carrier for {cid}.",
        "reply_to": reply_to,
        "website": None,
    }
    fields[attack.field] = attack.value
    return fields


def write_bytes(folder: Path, name: str, data: bytes) -> Path:
    """Write one file into `folder` (created if need be) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_bytes(data)
    return path


def bad_file_name(case: BadFile) -> str:
    """The file name a bad-file case is written under."""
    return case.filename or f"bad-{case.name}.yaml"


def good_file(author: str, body: str) -> bytes:
    """A valid approved comment by `author` saying `body`."""
    return comment_yaml({"author": author, "date": DATE, "status": "approved", "body": body}).encode("utf-8")


def pending_file() -> bytes:
    """A valid pending comment (for moderation commands)."""
    return GOOD.replace("status: approved", "status: pending").encode("utf-8")


def shown_name(value: str) -> str:
    """The name readers must see for `value`: as written, less direction controls and outer spaces."""
    return _DIRECTION_CONTROLS.sub("", value).strip()


# ---------------------------------------------------------------- time bounds


def bounded(seconds: float, function: Callable[..., T], *args: Any) -> tuple[T, float]:
    """Run `function(*args)` in a worker thread; fail if it takes longer than `seconds`. Returns (result, elapsed)."""
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    started = time.perf_counter()
    future = pool.submit(function, *args)
    try:
        result = future.result(timeout=seconds)
    except concurrent.futures.TimeoutError:
        raise AssertionError(f"{getattr(function, '__name__', function)} took longer than {seconds} s") from None
    finally:
        pool.shutdown(wait=False)
    return result, time.perf_counter() - started


# ---------------------------------------------------------------- HTML checks


def local_name(name: str) -> str:
    """A tag or attribute name without its namespace (`{ns}svg` -> `svg`, xlink href -> `xlink:href`)."""
    if name.startswith("{http://www.w3.org/1999/xlink}"):
        return "xlink:" + name.split("}", 1)[1]
    return _NAMESPACE.sub("", name).lower()


def normalised_url(value: str) -> str:
    """A URL as a browser reads its scheme: entities decoded, spaces and controls dropped, lower case."""
    return _URL_NOISE.sub("", html.unescape(value)).lower()


def dangerous_url(value: str) -> bool:
    """Whether a URL attribute would run script or load inline content (javascript:, vbscript:, data:)."""
    plain = normalised_url(value)
    return any(form.startswith(DANGEROUS_SCHEMES) for form in (plain, urllib.parse.unquote(plain)))


def elements(root: Any) -> Iterator[Any]:
    """Every element below `root` (html5lib etree), comments excluded."""
    for element in root.iter():
        if isinstance(element.tag, str):
            yield element


def page_problems(root: Any) -> list[str]:
    """Page-wide rules: no on* attribute, no dangerous URL, no base or refresh, no embedded frames."""
    problems = []
    for element in elements(root):
        tag = local_name(element.tag)
        for raw, value in element.attrib.items():
            name = local_name(raw)
            if name.startswith("on"):
                problems.append(f"<{tag} {name}=...>: event handler attribute")
            if name in URL_ATTRIBUTES and dangerous_url(value):
                problems.append(f"<{tag} {name}={value!r}>: dangerous URL")
        if tag in {"base", "iframe", "frame", "object", "embed", "applet", "frameset"}:
            problems.append(f"<{tag}> on the page")
        if tag == "meta" and element.get("http-equiv", "").lower() == "refresh":
            problems.append("<meta http-equiv=refresh> on the page")
    return problems


def body_problems(body: Any, tags: frozenset[str] = ALLOWED_TAGS, rel: str | None = LINK_REL) -> list[str]:
    """Problems inside one comment body: tags outside `tags`, attributes outside the allowlist, unsafe links.

    `rel` is the link relation every `<a>` must carry (None: not checked, for the Markdown layer alone).
    """
    problems = []
    for element in elements(body):
        if element is body:
            continue
        tag = local_name(element.tag)
        if tag not in tags:
            problems.append(f"<{tag}> is not allowed")
            continue
        for raw in element.attrib:
            name = local_name(raw)
            if name not in allowed_attributes(tag):
                problems.append(f"<{tag} {name}> is not allowed")
        if tag == "a":
            href = element.get("href")
            # An empty href (CommonMark's `[x]()`) names this same page: no scheme, nothing to run.
            if href and not href.lower().startswith(SAFE_SCHEMES):
                problems.append(f"<a href={href!r}> has a scheme outside http, https, mailto")
            if rel is not None and element.get("rel") != rel:
                problems.append(f"<a rel={element.get('rel')!r}> lacks {rel!r}")
    return problems


def has_class(element: Any, name: str) -> bool:
    """Whether an element carries the CSS class `name`."""
    return name in element.get("class", "").split()


def text_of(element: Any) -> str:
    """The text content of an element, as a browser's textContent gives it."""
    return "".join(element.itertext())
