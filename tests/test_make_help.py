"""`make help` lists every target once, under the people who use it."""

from __future__ import annotations

import re
import subprocess

from support.build import REPO


def groups() -> dict[str, list[str]]:
    """The targets `make help` lists, by group heading."""
    text = subprocess.run(["make", "--no-print-directory", "help"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    found: dict[str, list[str]] = {}
    heading = ""
    for line in text.splitlines():
        if re.fullmatch(r"[a-z]+:", line):
            heading = line[:-1]
            found[heading] = []
        elif match := re.match(r"  make (\S+) ", line):
            found[heading].append(match[1])
    return found


def test_help_groups_targets_by_who_uses_them() -> None:
    listed = groups()
    assert list(listed) == ["author", "moderator", "operator", "developer"]
    assert {"html", "serve", "devserver"} <= set(listed["author"])
    assert {"comments", "approve", "reject", "spam", "check-comments"} <= set(listed["moderator"])
    assert {"publish", "install-hook", "inbox"} <= set(listed["operator"])
    assert {"test", "test-fast", "lint", "bench", "mutation"} <= set(listed["developer"])


def test_every_documented_target_is_listed_once() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    documented = re.findall(r"^([a-z-]+):[^\n]*## ", makefile, flags=re.M)
    listed = [name for names in groups().values() for name in names]
    assert sorted(listed) == sorted(documented)
    assert len(listed) == len(set(listed))
