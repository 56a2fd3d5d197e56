"""The publishing hook against pushed trees it should not build: links, endless or greedy builds, a held lock, a failing tip."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from support.hook import PENDING, hooked

# An approved comment without a body: the strict publish stops on it.
BROKEN = 'author: "Bob"\ndate: "2024-01-01T10:00:00-05:00"\nstatus: approved\n'


def every_file_text(folder: Path) -> str:
    """The text of every file under `folder`, links followed (as nginx would serve them)."""
    return "\n".join(path.read_text(errors="replace") for path in folder.rglob("*") if path.is_file())


def test_a_pushed_symbolic_link_is_refused_and_nothing_outside_the_tree_is_published(tmp_path: Path) -> None:
    """Links to a system file and to the hook's settings are never built: the push says so, LIVE stays."""
    site = hooked(tmp_path)
    first = site.served()
    site.commit("Pictures", {"content/posts/dinner-guest.md": (site.site / "content/posts/dinner-guest.md").read_text() + "\nMore.\n"},
                links={"content/images/passwd.txt": "/etc/passwd", "content/extra/settings.txt": "../../../deploy.env"})
    output, _ = site.push()
    assert "REFUSED" in output and "content/images/passwd.txt" in output and "content/extra/settings.txt" in output
    assert site.served() == first
    published = every_file_text(site.live)
    assert "root:x:0:0" not in published and "LIVE=" not in published
    assert not (site.bare / "deploy-work" / "content" / "images" / "passwd.txt").exists()


def test_a_build_over_its_time_limit_is_stopped_and_leaves_nothing(tmp_path: Path) -> None:
    """A build that never ends is stopped after BUILD_SECONDS, says so, and leaves LIVE and the builds as they were."""
    site = hooked(tmp_path, BUILD_SECONDS="4")
    first, builds = site.served(), site.builds()
    conf = (site.site / "publishconf.py").read_text()
    site.commit("A slow setting", {"publishconf.py": conf + "\nimport time\ntime.sleep(90)\n"})
    output, took = site.push(timeout=60)
    assert "time limit of 4 s (BUILD_SECONDS)" in output
    assert took < 30
    assert site.served() == first and site.builds() == builds


def test_a_build_over_its_memory_limit_fails_and_leaves_live(tmp_path: Path) -> None:
    """A build reserving more than BUILD_MEMORY_MB fails; the push names the limit and LIVE stays."""
    site = hooked(tmp_path, BUILD_MEMORY_MB="1024")
    first = site.served()
    conf = (site.site / "publishconf.py").read_text()
    site.commit("A greedy setting", {"publishconf.py": conf + "\nimport mmap\n_BALLAST = mmap.mmap(-1, 1536 * 2**20)\n"})
    output, _ = site.push()
    assert "FAILED to publish" in output and "1024 MB" in output
    assert site.served() == first


def test_the_deploy_lock_is_waited_for_with_a_limit(tmp_path: Path) -> None:
    """While another publish holds the lock past LOCK_SECONDS, a push returns saying so, and LIVE stays."""
    site = hooked(tmp_path, LOCK_SECONDS="2")
    first = site.served()
    holder = subprocess.Popen(["flock", str(site.bare / "deploy.lock"), "sleep", "120"])
    try:
        time.sleep(0.5)
        site.commit("A change", {"content/posts/dinner-guest.md": (site.site / "content/posts/dinner-guest.md").read_text() + "\nMore.\n"})
        output, took = site.push(timeout=30)
    finally:
        holder.kill()
        holder.wait()
    assert "held" in output and "2 s (LOCK_SECONDS)" in output and "not published" in output
    assert took < 20 and site.served() == first


def test_a_failing_tip_is_not_rebuilt_for_each_pending_comment(tmp_path: Path) -> None:
    """After a failed build, a push of pending comments only repeats why it fails; a fix is built again."""
    site = hooked(tmp_path)
    first = site.served()
    broken = "content/comments/dinner-guest/20240101T100000-bob.yaml"
    site.commit("A comment without a body", {broken: BROKEN})
    output, _ = site.push()
    assert "FAILED to publish" in output and site.served() == first
    site.commit("A pending comment", {"content/comments/dinner-guest/20240102T100000-ann.yaml": PENDING})
    output, _ = site.push()
    assert "still fails" in output and "20240101T100000-bob.yaml" in output
    assert "publishing main" not in output and site.served() == first
    (site.site / broken).unlink()
    post = site.site / "content/posts/dinner-guest.md"
    site.commit("Drop the broken comment, and a word more", {"content/posts/dinner-guest.md": post.read_text() + "\nMore.\n"})
    output, _ = site.push()
    assert "now serves" in output and site.served() != first
