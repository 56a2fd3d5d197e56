"""Pelican's logging as tests need it: every warning seen afresh by each test."""

from __future__ import annotations

import pytest
from pelican.log import LimitFilter


def forget_logged_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let each warning through again for this test.

    Once Pelican is imported every logger carries its LimitFilter, which drops a warning
    already logged in the process; a test asserting its own warnings would then depend on
    what ran before it (and, in a mutation run, on the test run that chose the mutants).
    """
    monkeypatch.setattr(LimitFilter, "_raised_messages", set())
