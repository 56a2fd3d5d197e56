"""Write PNG screenshots of the site into docs/screenshots: the home page and a comment thread.

Builds the site from content/ into a temporary folder, serves it on 127.0.0.1 and
photographs it in Debian's Chromium, on a desktop (1280 px) and a phone (375 px),
in light and dark mode:

    .venv/bin/python tests/browser/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.build import REPO, build_site
from tests.support.web import CHROMIUM_ARGS, chromium_path, serve

PAGES = {"home": "/", "thread": "/2010/thank-you-note/", "discussion": "/2010/reply-all/"}
THREAD_MAX_HEIGHT = 2400


@dataclass(frozen=True)
class Device:
    """A window size and pixel density to photograph with."""

    name: str
    width: int
    height: int
    scale: int


DEVICES = (Device("desktop", 1280, 800, 1), Device("phone", 375, 812, 2))
SCHEMES = ("light", "dark")


def build(folder: Path) -> Path:
    """Build the site's content into `folder`; return the output folder."""
    output = folder / "output"
    build_site(REPO / "content", output)
    return output


def thread_clip(page: Any, margin: float = 16) -> dict[str, float]:
    """The page area around the comments heading and the thread (capped in height), in page coordinates."""
    section = page.locator("#comments").bounding_box()
    thread = page.locator("#comments .comment-thread").bounding_box()
    width = page.viewport_size["width"]
    left = max(section["x"] - margin, 0)
    top = max(section["y"] + page.evaluate("scrollY") - margin, 0)
    height = min(thread["y"] + thread["height"] - section["y"] + 2 * margin, THREAD_MAX_HEIGHT)
    return {"x": left, "y": top, "width": min(section["width"] + 2 * margin, width - left), "height": height}


def snap(page: Any, url: str, target: Path) -> Path:
    """Photograph `url`: the thread of an article page, else the first screenful."""
    page.goto(url)
    if page.locator("#comments .comment-thread").count():
        page.screenshot(path=str(target), full_page=True, clip=thread_clip(page))
    else:
        page.screenshot(path=str(target))
    return target


def shoot(browser: Any, base: str, device: Device, scheme: str, out: Path) -> list[Path]:
    """Photograph the home page and the thread for one device and colour scheme."""
    context = browser.new_context(
        viewport={"width": device.width, "height": device.height},
        device_scale_factor=device.scale,
        color_scheme=scheme,
        is_mobile=device.name == "phone",
        has_touch=device.name == "phone",
    )
    page = context.new_page()
    try:
        return [snap(page, base + path, out / f"{name}-{device.name}-{scheme}.png") for name, path in PAGES.items()]
    finally:
        context.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "screenshots", help="folder for the PNG files")
    return parser.parse_args(argv)


def photograph(base: str, out: Path, executable: str) -> list[Path]:
    """Every screenshot of the site served at `base`, written into `out`."""
    from playwright.sync_api import sync_playwright

    written: list[Path] = []
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
        try:
            for device in DEVICES:
                for scheme in SCHEMES:
                    written += shoot(browser, base, device, scheme, out)
        finally:
            browser.close()
    return written


def main(argv: list[str] | None = None) -> int:
    """Build, serve and photograph the site."""
    args = parse_args(argv)
    executable = chromium_path()
    if executable is None:
        print("screenshots: Chromium is not installed (apt-get install chromium)", file=sys.stderr)
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="screenshots-") as tmp, serve(build(Path(tmp))) as base:
        for path in photograph(base, args.out, executable):
            print(f"wrote {path.relative_to(REPO) if path.is_relative_to(REPO) else path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
