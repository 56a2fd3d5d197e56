"""What moderators see: the queue must show enough to judge, exactly as readers would see it.

- The queue showed only a body's first line, so an amplifying body looked harmless:
  it now shows each pending body's size, its link count and its text.
- Names: shown as readers see them (direction controls dropped), with invisible
  characters spelled out; look-alikes of an article's author or a moderator are
  warned about by the queue and the check, naming the real name.
- Bodies that cost too much to publish and blank names are reported by the check.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from hostile_support import DATE
from support.build import REPO, copy_fixture
from support.comments import write_comment

MODERATION = "pelican.plugins.reader_comments.moderation"
BOMB = "[r]: https://a.example/\n\n" + "[r] " * 2400 + "\n\nLAST-LINE-OF-THE-BOMB"
LONG = "\n\n".join(f"Paragraph {n} of a long comment." for n in range(1, 41)) + "\n\nHIDDEN-AT-THE-END"


def _pending(folder: Path, name: str, author: str, body: str, role: str | None = None) -> Path:
    """A pending comment file."""
    fields = {"author": author, "date": DATE, "status": "pending", "body": body, "role": role}
    return write_comment(folder, f"{name}.yaml", fields)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture site with hostile pending comments and a settings file naming a moderator."""
    base = tmp_path_factory.mktemp("queue")
    content = copy_fixture(base / "content")
    delta = content / "comments" / "delta"
    _pending(delta, "bomb", "Ann Reader", BOMB)
    _pending(delta, "long", "Long Writer", LONG)
    _pending(delta, "bidi", "\u202enimda", "Hello.")
    _pending(delta, "zwsp", "Zed\u200bZed", "Hi.")
    _pending(delta, "fake-author", "P\u0430t Example", "I wrote this post.")  # Cyrillic a
    _pending(delta, "fake-mod", "M\u043eira Quinn \u2713", "Moderator here.")  # Cyrillic o, check mark
    _pending(delta, "real-author", "Pat Example", "Badge set by a moderator.", role="author")
    _pending(delta, "blank", "\u200b\u3164", "Who am I?")
    settings = base / "settings.py"
    settings.write_text(
        f"import sys\nsys.path.insert(0, {str(REPO)!r})\nfrom pelicanconf import *\n"
        f"THEME = {str(REPO / 'theme')!r}\nCOMMENTS_MODERATORS = ['Moira Quinn']\n",
        encoding="utf-8",
    )
    return content


def _run(content: Path, command: str) -> tuple[int, str]:
    """Run a moderation command on `content`; its exit status and everything it printed."""
    env = {**os.environ, "COLUMNS": "120"}
    result = subprocess.run(
        [sys.executable, "-m", MODERATION, command, "--settings", str(content.parent / "settings.py"),
         "--content", str(content)],
        cwd=content.parent, env=env, capture_output=True, text=True, timeout=120,
    )
    return result.returncode, result.stdout + result.stderr


def test_queue_shows_size_links_and_the_whole_text(site: Path) -> None:
    status, output = _run(site, "queue")
    assert status == 0, output
    assert "LAST-LINE-OF-THE-BOMB" in output
    assert "2,400 links" in output
    assert "HIDDEN-AT-THE-END" in output


def test_queue_shows_names_as_readers_see_them(site: Path) -> None:
    _, output = _run(site, "queue")
    assert "nimda" in output and "\u202e" not in output
    assert "Zed<U+200B>Zed" in output


@pytest.mark.parametrize("command", ["queue", "check"])
def test_look_alikes_are_warned_about_naming_the_real_name(site: Path, command: str) -> None:
    _, output = _run(site, command)
    lines = [line for line in output.splitlines() if "resembles" in line]
    assert any("fake-author" in line and "'Pat Example'" in line for line in lines), lines
    assert any("fake-mod" in line and "'Moira Quinn'" in line for line in lines), lines
    assert not any("real-author" in line for line in lines), lines


def test_check_reports_costly_bodies_and_blank_names(site: Path) -> None:
    status, output = _run(site, "check")
    assert status == 1, output
    assert any("bomb.yaml" in line and "bytes of HTML" in line for line in output.splitlines()), output
    assert any("blank.yaml" in line and "'author'" in line for line in output.splitlines()), output
