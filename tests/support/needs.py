"""What a test needs from the machine: without it the test fails, naming what to install, unless the run opts out.

A run opts out of a kind of test by naming it: `make test SKIP=browser` (several: SKIP="browser nginx"),
which the Makefile passes on as TESTS_SKIP. Only then is such a test skipped; no runner passes by skipping.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from typing import NoReturn

import pytest

# The kinds a run can opt out of, and what each needs installed (Debian packages; `.ci/run` installs them all).
KINDS = {
    "browser": "Chromium (apt-get install chromium)",
    "nginx": "nginx (apt-get install nginx-light)",
    "git": "git (apt-get install git)",
    "tmpfs": "unshare with user namespaces, to mount a small tmpfs (apt-get install util-linux; "
             "sysctl kernel.unprivileged_userns_clone=1 where it is off)",
    "systemd": "systemd-analyze (apt-get install systemd)",
    "java": "Java (apt-get install default-jre-headless)",
    "tls": "openssl (apt-get install openssl)",
}


def opted_out() -> set[str]:
    """The kinds of test this run opted out of (TESTS_SKIP, set by `make test SKIP=...`)."""
    return set(os.environ.get("TESTS_SKIP", "").replace(",", " ").split())


def missing(kind: str, detail: str = "") -> NoReturn:
    """Fail the test, naming what to install; skip it only when the run opted out of `kind`."""
    what = KINDS[kind] + (f": {detail}" if detail else "")
    if kind in opted_out():
        pytest.skip(f"needs {what}; skipped because the run opted out (SKIP={kind})")
    pytest.fail(f"needs {what}; install it, or opt out of these tests explicitly: make test SKIP={kind}", pytrace=False)


def require_command(kind: str, name: str) -> str:
    """The path of command `name`, or fail (skip when opted out) naming what to install."""
    path = shutil.which(name)
    if path is None:
        missing(kind)
    return path


def require_tmpfs_mount() -> None:
    """That a tmpfs can be mounted in a new user and mount namespace (unshare -Urm), or fail naming what is needed."""
    if shutil.which("unshare") is None:
        missing("tmpfs", "unshare is not installed")
    probe = subprocess.run(["unshare", "-Urm", "sh", "-c", "mount -t tmpfs tmpfs /mnt"], capture_output=True, text=True,
                           timeout=30, check=False)
    if probe.returncode != 0:
        missing("tmpfs", f"unshare -Urm failed: {probe.stderr.strip()}")
