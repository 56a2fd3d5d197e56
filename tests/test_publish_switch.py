"""deploy/publish-site's switch of the live link, watched by a reader reading the site in a loop.

Pelican builds a one-page site (its own settings, no plugins) so that many real
switches fit in a test; what is under test is the script's switch, not the site.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from support.build import REPO

BINDIR = Path(sys.executable).parent
SWITCHES = 8
SETTINGS = """AUTHOR = "Ann"
SITENAME = "Switch"
TIMEZONE = "UTC"
PLUGINS = []
THEME = "simple"
ARTICLE_PATHS = ["posts"]
FEED_ALL_ATOM = None
CATEGORY_FEED_ATOM = None
TRANSLATION_FEED_ATOM = None
AUTHOR_FEED_ATOM = None
AUTHOR_FEED_RSS = None
"""
# A separate process reads LIVE/index.html as fast as it can until told to stop, then
# prints how many reads it made and every failure it saw (a missing file or an incomplete page).
READER = r"""
import os, sys
live, stop = sys.argv[1], sys.argv[2]
reads, failures = 0, []
while not os.path.exists(stop):
    try:
        with open(os.path.join(live, "index.html"), "rb") as page:
            text = page.read()
        if not text.rstrip().endswith(b"</html>"):
            failures.append("incomplete page")
    except OSError as exc:
        failures.append(type(exc).__name__)
    reads += 1
print(reads, len(failures), sorted(set(failures)))
"""


def tiny_site(root: Path) -> tuple[Path, Path]:
    """A one-post site and its settings; the content folder and the settings file."""
    content = root / "content"
    (content / "posts").mkdir(parents=True)
    (content / "posts" / "one.md").write_text("Title: One\nDate: 2024-01-01 10:00\n\nThe post.\n")
    settings = root / "settings.py"
    settings.write_text(SETTINGS)
    return content, settings


def publish(live: Path, content: Path, settings: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """deploy/publish-site LIVE BINDIR CONTENT SETTINGS, run from the repository as make publish runs it."""
    return subprocess.run(
        [str(REPO / "deploy" / "publish-site"), str(live), str(BINDIR), str(content), str(settings)],
        cwd=REPO, env={**os.environ, **env}, capture_output=True, text=True, timeout=120, check=False,
    )


def test_a_reader_reading_during_many_switches_never_finds_the_site_missing(tmp_path: Path) -> None:
    """Every read of LIVE/index.html, during twelve switches, finds a whole page."""
    content, settings = tiny_site(tmp_path)
    live = tmp_path / "www" / "live"
    live.parent.mkdir()
    first = publish(live, content, settings)
    assert first.returncode == 0, first.stderr
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(live), str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        served = []
        for n in range(SWITCHES):
            (content / "posts" / "one.md").write_text(f"Title: One\nDate: 2024-01-01 10:00\n\nThe post, edition {n}.\n")
            done = publish(live, content, settings, PUBLISH_KEEP="2")
            assert done.returncode == 0, done.stderr
            served.append(os.readlink(live))
            time.sleep(0.05)
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=30)
    reads, failures, kinds = out.split(" ", 2)
    assert int(reads) > SWITCHES * 10, out
    assert int(failures) == 0, f"{failures} of {reads} reads found no whole page: {kinds}"
    assert len(set(served)) == SWITCHES, "each publish switched to a new build"
    assert f"edition {SWITCHES - 1}." in (live / "index.html").read_text()
    builds = sorted(entry.name for entry in (live.parent / ".live-builds").iterdir())
    assert len(builds) == 2 and served[-1].split("/")[-1] in builds, builds


def test_a_failed_build_leaves_nothing_behind_and_the_link_as_it_was(tmp_path: Path) -> None:
    """A post Pelican cannot read fails the publish: no new build folder, the same link, the same page."""
    content, settings = tiny_site(tmp_path)
    live = tmp_path / "www" / "live"
    live.parent.mkdir()
    assert publish(live, content, settings).returncode == 0
    before, page = os.readlink(live), (live / "index.html").read_bytes()
    builds = set((live.parent / ".live-builds").iterdir())
    (content / "posts" / "broken.md").write_text("Title: Broken\nDate: someday\n\nNo date.\n")
    done = publish(live, content, settings)
    assert done.returncode == 1, done.stdout + done.stderr
    assert f"{live} still serves" in done.stderr
    assert os.readlink(live) == before and (live / "index.html").read_bytes() == page
    assert set((live.parent / ".live-builds").iterdir()) == builds
