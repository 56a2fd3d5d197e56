"""Output amplification: what one comment under the body cap can cost the built site.

A reference definition is copied, percent-encoded, into every use of it, so a
10,000-character body once grew a site by over 200 MB. Every pathological class
here is built as one approved comment on an article of its own; the site must
grow at most linearly in the comment's source size, and a body that would cost
more is refused, naming the file, by the build and (strict) stops a publish.

The bounds below are literals: at most 10 bytes of body HTML per source byte
plus 2,000, never over 100,000, and link addresses of at most 2,048 characters
once percent-encoded.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostile_support import DATE
from pelican.plugins.reader_comments.render import cost_problems, render_body
from support.build import REPO, build_site, copy_fixture
from support.comments import comment_yaml
from support.intake import IntakeServer, post_form

BODY_CAP = 10_000
EMOJI = "\U0001f600"


def _fill(unit: str, head: str = "") -> str:
    """`head`, then `unit` repeated as often as fits under the body cap."""
    return head + unit * ((BODY_CAP - len(head)) // len(unit))


def _reference_bomb() -> str:
    """The review's class: a long non-ASCII reference definition used over a thousand times."""
    head = f"[r]: https://e.example/{EMOJI * 4970}\n\n"
    return _fill("[r] ", head)


# Pathological Markdown, by class: each body is at most 10,000 characters.
CLASSES: dict[str, str] = {
    "reference-bomb": _reference_bomb(),
    "reference-short-url": _fill("[r] ", "[r]: https://a.example/\n\n"),
    "reference-long-title": _fill("[r] ", f'[r]: https://a.example/ "{"t" * 5000}"\n\n'),
    "reference-title-non-ascii": _fill("[r][r] ", f'[r]: https://a.example/ "{"é" * 4000}"\n\n'),
    "reference-medium-url": _fill("[r] ", f"[r]: https://e.example/{'é' * 600}\n\n"),
    "inline-non-ascii-links": _fill(f"[a](https://e.example/{EMOJI * 30}) "),
    "autolinks": _fill("<http://a.b> "),
    "mail-autolinks": _fill("<a@b.c> "),
    "long-autolink": f"<https://e.example/{EMOJI * 3000}>",
    "ampersands": _fill("&"),
    "angle-brackets": _fill("<"),
    "alternating-lists": _fill("-\n+\n"),
    "empty-quotes": _fill(">\n\n"),
    "ordered-list-starts": _fill("7.\n8)\n"),
    "emphasis": _fill("*a* "),
    "code-spans": _fill("`<` "),
    "nested-quotes": _fill("> "),
    "hard-breaks": _fill("a  \n"),
    "entities": _fill("&#x1F600;"),
}


def _utf8(text: str) -> int:
    """UTF-8 size of `text`."""
    return len(text.encode("utf-8"))


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_rendered_body_is_refused_or_linear_in_its_source(name: str) -> None:
    body = CLASSES[name]
    assert len(body) <= BODY_CAP
    html = render_body(body)
    if cost_problems(body, html):
        return
    assert _utf8(html) <= min(100_000, 10 * _utf8(body) + 2_000), (name, _utf8(body), _utf8(html))


def test_long_link_addresses_stay_text_and_are_refused() -> None:
    short = f"[a](https://e.example/{'é' * 300})"  # 18 + 1,800 characters once encoded
    long = f"[a](https://e.example/{'é' * 700})"  # 18 + 4,200
    assert "<a href" in render_body(short) and not cost_problems(short)
    assert "<a href" not in render_body(long)
    assert any("link address" in problem for problem in cost_problems(long))


def test_the_review_class_is_refused_with_a_clear_message() -> None:
    problems = cost_problems(CLASSES["reference-bomb"])
    assert problems and all(problem.startswith("'body'") for problem in problems)
    assert len(render_body(CLASSES["reference-bomb"])) < 100_000


def test_costly_bodies_are_refused_by_size() -> None:
    problems = cost_problems(CLASSES["reference-short-url"])
    assert any("bytes of HTML" in problem for problem in problems), problems


# ---------------------------------------------------------------- the built site


POST = """Title: {title}
Date: 2020-01-05 10:00
Category: Everyday
Slug: {slug}
Author: Pat Example

Body of {title}.
"""


def _site_size(output: Path) -> int:
    """Bytes of every file of a built site."""
    return sum(path.stat().st_size for path in output.rglob("*") if path.is_file())


@pytest.fixture(scope="module")
def amplified(tmp_path_factory) -> tuple[Path, Path, dict[str, int]]:
    """Two builds of the fixture site with one article per class: without comments, then with one each.

    Returns both output folders and the UTF-8 size of each class's body.
    """
    base = tmp_path_factory.mktemp("amplification")
    plain = copy_fixture(base / "plain")
    for name in CLASSES:
        (plain / "posts" / f"amp-{name}.md").write_text(POST.format(title=f"Amp {name}", slug=f"amp-{name}"), encoding="utf-8")
    loaded = base / "loaded"
    subprocess.run(["cp", "-a", str(plain), str(loaded)], check=True)
    sources: dict[str, int] = {}
    for name, body in CLASSES.items():
        folder = loaded / "comments" / f"amp-{name}"
        folder.mkdir()
        fields = {"author": f"Amp {name}", "date": DATE, "status": "approved", "body": body}
        (folder / "c1.yaml").write_text(comment_yaml(fields), encoding="utf-8")
        sources[name] = _utf8(body)
    build_site(plain, base / "out-plain", SITEURL="https://blog.example", RELATIVE_URLS=False)
    build_site(loaded, base / "out-loaded", SITEURL="https://blog.example", RELATIVE_URLS=False)
    return base / "out-plain", base / "out-loaded", sources


@pytest.mark.parametrize("name", sorted(CLASSES))
def test_article_page_and_feed_grow_linearly(amplified, name: str) -> None:
    plain, loaded, sources = amplified
    grown = 0
    for relative in (f"2020/amp-{name}/index.html", f"feeds/comments/amp-{name}.atom.xml"):
        before = (plain / relative).stat().st_size if (plain / relative).exists() else 0
        grown += (loaded / relative).stat().st_size - before
    assert grown <= 40 * sources[name] + 10_000, (name, sources[name], grown)


def test_whole_site_grows_linearly_in_the_comments(amplified) -> None:
    plain, loaded, sources = amplified
    grown = _site_size(loaded) - _site_size(plain)
    assert grown <= 100 * sum(sources.values()) + 20_000 * len(sources), (grown, sum(sources.values()))


# ---------------------------------------------------------------- refusal in the build


def _pelican(content: Path, output: Path, *extra: str, conf: str = "pelicanconf.py") -> subprocess.CompletedProcess[str]:
    """The real `pelican` command, as `make html` and `make publish` run it."""
    env = {**os.environ, "COLUMNS": "300"}
    return subprocess.run(
        [sys.executable, "-m", "pelican", str(content), "-o", str(output), "-s", str(REPO / conf), *extra],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )


def _write(folder: Path, name: str, status: str, body: str, reply_to: str | None = None) -> Path:
    """One comment file in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.yaml"
    fields = {"author": name.title(), "date": DATE, "status": status, "body": body, "reply_to": reply_to}
    path.write_text(comment_yaml(fields), encoding="utf-8")
    return path


def test_build_withholds_a_costly_comment_and_strict_publish_stops(tmp_path: Path) -> None:
    content = copy_fixture(tmp_path / "content")
    folder = content / "comments" / "delta"
    _write(folder, "bomb", "approved", CLASSES["reference-short-url"])
    _write(folder, "answer", "approved", "REPLY-TO-BOMB stays under a placeholder.", reply_to="bomb")
    _write(folder, "waiting", "pending", CLASSES["reference-bomb"])
    lenient = _pelican(content, tmp_path / "out")
    log = lenient.stdout + lenient.stderr
    assert lenient.returncode == 0, log
    assert "comments/delta/bomb.yaml" in log and "bytes of HTML" in log
    assert "waiting.yaml" not in log
    page = (tmp_path / "out" / "2020" / "delta" / "index.html").read_text(encoding="utf-8")
    assert "REPLY-TO-BOMB" in page and "comment--placeholder" in page
    assert page.count('href="https://a.example/"') == 0
    assert _site_size(tmp_path / "out") < 2_000_000
    # A second build takes the body and its cost from the cache, and withholds it all the same.
    warm = _pelican(content, tmp_path / "out")
    assert "comments/delta/bomb.yaml" in warm.stdout + warm.stderr and "bytes of HTML" in warm.stdout + warm.stderr
    assert "REPLY-TO-BOMB" in (tmp_path / "out" / "2020" / "delta" / "index.html").read_text(encoding="utf-8")
    assert (tmp_path / "out" / "2020" / "delta" / "index.html").read_text(encoding="utf-8").count('href="https://a.example/"') == 0
    strict = _pelican(content, tmp_path / "out2", "--fatal", "warnings", conf="publishconf.py")
    output = strict.stdout + strict.stderr
    assert strict.returncode != 0
    assert "comments/delta/bomb.yaml" in output and "Traceback" not in output


# ---------------------------------------------------------------- refusal at the intake


@pytest.mark.parametrize("name", ["reference-bomb", "reference-short-url", "long-autolink"])
def test_intake_refuses_costly_bodies(open_intake: IntakeServer, name: str) -> None:
    before = set(open_intake.content.glob("*/*.yaml"))
    reply = post_form(open_intake.port, {"article": "dinner-guest", "author": "Ann Reader", "body": CLASSES[name]})
    assert reply.status == 400, reply.body
    assert list(reply.json()["errors"]) == ["body"]
    assert set(open_intake.content.glob("*/*.yaml")) == before
