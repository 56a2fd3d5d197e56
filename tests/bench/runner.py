"""Start one build in a fresh interpreter (child.py) and collect what it reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
CHILD = HERE / "child.py"


class BuildFailed(RuntimeError):
    """A child build exited non-zero or printed no report."""


@dataclass
class BuildResult:
    """One build: its wall time inside the child, the child's whole lifetime, peak memory and log counts."""

    seconds: float
    cpu_seconds: float
    process_seconds: float
    maxrss_kb: int
    ru_maxrss_kb: int
    warnings: int
    errors: int
    messages: list[str] = field(default_factory=list)
    cache: str = ""
    stages: dict[str, float] = field(default_factory=dict)


def _env() -> dict[str, str]:
    """The child's environment (the plugin is an installed package)."""
    return dict(os.environ)


def build(content: Path, output: Path, cache: Path, settings: dict[str, Any] | None = None, stages: bool = False) -> BuildResult:
    """Run one whole Pelican build of `content` in a new process."""
    command = [sys.executable, str(CHILD), str(content), str(output), str(cache)]
    for name, value in (settings or {}).items():
        command += ["--set", f"{name}={json.dumps(value)}"]
    if stages:
        command.append("--stages")
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=_env(), cwd=str(REPO), check=False)
    elapsed = time.perf_counter() - start
    report = next((line for line in reversed(done.stdout.splitlines()) if line.startswith("{")), None)
    if done.returncode != 0 or report is None:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise BuildFailed(f"build of {content} exited {done.returncode}:\n{tail}")
    data = json.loads(report)
    return BuildResult(process_seconds=elapsed, **data)
