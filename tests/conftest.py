"""Fixtures shared by every test folder; the helpers behind them live in tests/support."""

from __future__ import annotations

import pytest

from support.build import Build, build_site, copy_fixture


@pytest.fixture(scope="session")
def fixture_build(tmp_path_factory) -> Build:
    """The fixture site, built once per session (read-only for tests)."""
    base = tmp_path_factory.mktemp("fixture-site")
    return build_site(copy_fixture(base / "content"), base / "output", SITEURL="https://blog.example", RELATIVE_URLS=False)
