"""Fixtures for the browser tests: one build of the site, one static server and one Chromium per session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from support.browser import Visit, build_test_site, record
from support.build import Build
from support.web import chromium, serve


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The real site plus the deep-thread article, built once with the development settings."""
    return build_test_site(tmp_path_factory.mktemp("browser-site"))


@pytest.fixture(scope="session")
def base_url(site: Build) -> Iterator[str]:
    """The built site served on 127.0.0.1."""
    with serve(site.output) as url:
        yield url


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """One headless Chromium for the whole session."""
    with chromium() as instance:
        yield instance


@pytest.fixture
def visit(browser: Any, base_url: str) -> Iterator[Callable[..., Visit]]:
    """Open pages in fresh browser contexts (keyword arguments go to `new_context`); closed afterwards."""
    contexts: list[Any] = []

    def open_visit(**options: Any) -> Visit:
        """A new context and page, recording requests and errors."""
        context = browser.new_context(**{"viewport": {"width": 1280, "height": 900}, **options})
        contexts.append(context)
        new = Visit(context.new_page(), base_url)
        record(new)
        return new

    yield open_visit
    for context in contexts:
        context.close()
