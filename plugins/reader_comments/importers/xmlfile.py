"""Read an untrusted XML export safely (defusedxml: no entity expansion, no external references)."""

from __future__ import annotations

from pathlib import Path
from xml.etree.ElementTree import Element, ParseError

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import parse

from .source import SourceError, require_file


def load(path: Path, what: str) -> Element:
    """The root element of an XML file, or a one-line SourceError naming the file (and line)."""
    require_file(path)
    try:
        return parse(str(path)).getroot()
    except ParseError as exc:
        line, column = exc.position
        raise SourceError(f"{path}:{line}: not a complete {what} XML file ({_reason(exc)} at column {column})") from None
    except DefusedXmlException as exc:
        raise SourceError(f"{path}: refused: the XML declares entities or external references ({type(exc).__name__})") from None
    except OSError as exc:
        raise SourceError(f"{path}: cannot read the file: {exc.strerror}") from None


def _reason(exc: ParseError) -> str:
    """The parser's words for what went wrong, without its position (given separately)."""
    return str(exc).split(":", 1)[0]


def local(tag: str) -> str:
    """An element's tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


def namespace(tag: str) -> str:
    """An element's namespace URI ('' when it has none)."""
    return tag[1:].split("}", 1)[0] if tag.startswith("{") else ""


def text(element: Element | None, tag: str | None = None) -> str:
    """The trimmed text of `element` or of its first child named `tag` (any namespace); '' if absent."""
    if element is None:
        return ""
    if tag is not None:
        element = next((child for child in element if local(child.tag) == tag), None)
        if element is None:
            return ""
    return (element.text or "").strip()


def texts(element: Element) -> dict[str, str]:
    """The trimmed text of each child of `element` by local name (the first of a name wins), as `text` reads it."""
    found: dict[str, str] = {}
    for child in element:
        found.setdefault(local(child.tag), (child.text or "").strip())
    return found


def children(element: Element, tag: str) -> list[Element]:
    """The children of `element` named `tag`, in any namespace."""
    return [child for child in element if local(child.tag) == tag]
