"""Fixtures the hostile-input tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from support.intake import IntakeServer, launch


@pytest.fixture(scope="session")
def open_intake(tmp_path_factory: pytest.TempPathFactory) -> Iterator[IntakeServer]:
    """The intake service on a copy of its fixtures, without a rate limit, shared by the tests that post to it."""
    server = launch(tmp_path_factory.mktemp("open-intake"), {"COMMENTS_RATE_LIMIT": "0"})
    try:
        yield server
    finally:
        server.stop()
