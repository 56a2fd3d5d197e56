"""The plugin as a product: its wheel, installed beside a brand-new site, publishes threaded comments.

The wheel is built from pyproject.toml, installed into a fresh virtual
environment, and used by a site made with `pelican-quickstart` and Pelican's own
`notmyidea` theme, as the plugin README tells a site owner to. The new
environment gets its own copy of Pelican (the plugin lives in Pelican's
`pelican.plugins` namespace) and borrows the other libraries from this
environment, so nothing is downloaded.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import html5lib
import pelican
import pytest

from support.build import REPO
from support.comments import write_comment

INCLUDE = '{% include "comments/section.html" %}'
ARTICLE = """Title: A Fresh Start
Date: 2024-03-01 10:00
Slug: fresh-start

Welcome to the new site.
"""
ROOT_COMMENT = {"author": "Ada Root", "date": "2024-03-02T09:00:00+00:00", "status": "approved", "body": "FIRST-COMMENT-TEXT"}
REPLY_COMMENT = {"author": "Bo Reply", "date": "2024-03-02T10:00:00+00:00", "status": "approved", "reply_to": "c1", "body": "REPLY-COMMENT-TEXT"}
# pelican-quickstart's questions after -p/-t/-a/-l: path, title, author, language, URL prefix,
# pagination, time zone, tasks.py/Makefile.
ANSWERS = "\n\n\n\nn\nn\nUTC\nn\n"


def run(command: list[str], cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run a command, failing the test with its output when it fails."""
    done = subprocess.run(command, cwd=cwd, input=stdin, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{command} exited {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def build_wheel(tmp: Path) -> Path:
    """Build the plugin's wheel from a copy of the package sources (the checkout stays clean)."""
    source = tmp / "source"
    source.mkdir()
    shutil.copy(REPO / "pyproject.toml", source)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(REPO / "plugins" / "reader_comments", source / "plugins" / "reader_comments", ignore=ignore)
    dist = tmp / "dist"
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", str(dist), str(source)], tmp)
    (wheel,) = dist.glob("pelican_reader_comments-*.whl")
    return wheel


def fresh_environment(tmp: Path, wheel: Path) -> Path:
    """A new virtual environment with its own Pelican and the wheel installed; returns its bin folder."""
    env = tmp / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(env)], tmp)
    python = env / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], tmp).stdout.strip())
    ignore = shutil.ignore_patterns("__pycache__", "reader_comments")
    shutil.copytree(Path(pelican.__file__).parent, site / "pelican", ignore=ignore)
    (site / "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    run([sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", "--no-deps", "--no-index", str(wheel)], tmp)
    return env / "bin"


def quickstart_site(tmp: Path, python: Path) -> Path:
    """A new site from pelican-quickstart, set up as the plugin README says, with one article and two comments."""
    site = tmp / "site"
    command = [str(python), "-m", "pelican.tools.pelican_quickstart", "-p", str(site), "-t", "Fresh", "-a", "Sam", "-l", "en"]
    run(command, tmp, stdin=ANSWERS)
    conf = site / "pelicanconf.py"
    assert conf.is_file(), "pelican-quickstart wrote no pelicanconf.py"
    theme = site / "theme"
    shutil.copytree(Path(pelican.__file__).parent / "themes" / "notmyidea", theme)
    template = theme / "templates" / "article.html"
    text = template.read_text(encoding="utf-8")
    head, _, tail = text.rpartition("{% endblock %}")
    template.write_text(f"{head}{INCLUDE}\n{{% endblock %}}{tail}", encoding="utf-8")
    with conf.open("a", encoding="utf-8") as handle:
        handle.write('\nTHEME = "theme"\nPLUGINS = ["pelican.plugins.reader_comments"]\n')
        handle.write('ARTICLE_EXCLUDES = ["comments"]\nPAGE_EXCLUDES = ["comments"]\n')
    (site / "content" / "fresh-start.md").write_text(ARTICLE, encoding="utf-8")
    comments = site / "content" / "comments" / "fresh-start"
    write_comment(comments, "c1.yaml", ROOT_COMMENT)
    write_comment(comments, "c2.yaml", REPLY_COMMENT)
    return site


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The plugin's wheel, built once."""
    return build_wheel(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def installed(wheel: Path) -> tuple[Path, Path]:
    """The bin folder of a fresh environment holding the wheel, and a quickstart site beside it."""
    tmp = wheel.parent.parent
    bin_dir = fresh_environment(tmp, wheel)
    return bin_dir, quickstart_site(tmp, bin_dir / "python")


def test_wheel_ships_every_data_file(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    prefix = "pelican/plugins/reader_comments/"
    for name in ("comment.schema.json", "static/reply.js", "templates/comments/section.html", "intake/app.py", "moderation/cli.py"):
        assert prefix + name in names, name
    assert "pelican/__init__.py" not in names


def test_installed_plugin_is_the_wheel_not_the_checkout(installed: tuple[Path, Path]) -> None:
    bin_dir, _ = installed
    done = run([str(bin_dir / "python"), "-c", "import pelican.plugins.reader_comments as m; print(m.__file__)"], bin_dir)
    location = Path(done.stdout.strip())
    assert not location.is_relative_to(REPO), location
    assert location.is_relative_to(bin_dir.parent), location


def test_quickstart_site_shows_the_threaded_discussion(installed: tuple[Path, Path]) -> None:
    bin_dir, site = installed
    output = site / "output"
    run([str(bin_dir / "python"), "-m", "pelican", "content", "-o", str(output), "-s", "pelicanconf.py"], site)
    page = output / "fresh-start.html"
    assert page.is_file(), sorted(p.name for p in output.iterdir())
    tree = html5lib.parse(page.read_text(encoding="utf-8"), namespaceHTMLElements=False)
    section = tree.find(".//section[@id='comments']")
    assert section is not None, "no comments section on the article page"
    root = section.find(".//article[@id='comment-c1']")
    assert root is not None and "FIRST-COMMENT-TEXT" in "".join(root.itertext())
    replies = section.find(".//ol[@class='comment-replies']")
    assert replies is not None, "the reply is not nested under its parent"
    reply = replies.find(".//article[@id='comment-c2']")
    assert reply is not None and "REPLY-COMMENT-TEXT" in "".join(reply.itertext())
    assert (output / "theme" / "comments" / "reply.js").is_file()


def test_console_commands_come_with_the_wheel(installed: tuple[Path, Path]) -> None:
    bin_dir, site = installed
    done = run([str(bin_dir / "reader-comments"), "check"], site)
    assert done.stdout.strip() == "2 comment files OK"
    done = run([str(bin_dir / "reader-comments-intake"), "--help"], site)
    assert "--manifest" in done.stdout


def test_the_editable_install_prints_no_alarming_banner(tmp_path: Path) -> None:
    """`make venv`'s plugin step, in a fresh environment: quiet, and the plugin imports from this checkout."""
    venv = tmp_path / "venv"
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    site_packages = next(venv.glob("lib/python*/site-packages"))
    # The project's own environment lends pip and setuptools; the plugin itself is installed into the new one.
    (site_packages / "lend.pth").write_text(f"{Path(pelican.__file__).parents[1]}\n")
    (venv / ".installed-stamp").touch()
    done = run(["make", "--no-print-directory", f"VENV={venv}", "-o", f"{venv}/.installed-stamp", "venv"], cwd=REPO)
    # What pip and setuptools print (make echoes the command itself on stdout).
    said = done.stderr + "\n".join(line for line in done.stdout.splitlines() if not line.startswith(("PYTHONWARNINGS=", "touch ")))
    assert "Editable installation" not in said and "BuildBackendWarning" not in said and "!!" not in said, said
    where = run([str(venv / "bin" / "python"), "-c", "import pelican.plugins.reader_comments as p; print(p.__file__)"], cwd=tmp_path)
    assert Path(where.stdout.strip()) == REPO / "plugins" / "reader_comments" / "__init__.py"
    assert (venv / ".plugin-installed-stamp").is_file()
