"""Pelican glue for reader comments (work in progress)."""

from pathlib import Path

from jinja2 import FileSystemLoader
from pelican import signals

TEMPLATES = Path(__file__).parent / "templates"


def add_template_folder(generator) -> None:
    """Append the plugin's templates last, so the theme can override any of them."""
    generator.env.loader.loaders.append(FileSystemLoader(str(TEMPLATES)))


def register() -> None:
    """Connect the plugin's handlers to Pelican's signals."""
    signals.generator_init.connect(add_template_folder)
