"""The CommonMark specification's own examples, kept in tests/fixtures/commonmark/ (see its README.md)."""

from __future__ import annotations

import json
from pathlib import Path

SPEC_EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures" / "commonmark" / "spec-examples-0.31.2.json"


def spec_examples() -> list[dict[str, object]]:
    """Every example of the CommonMark spec (markdown, html, example number, section)."""
    examples = json.loads(SPEC_EXAMPLES.read_text(encoding="utf-8"))
    assert len(examples) == 652, f"{SPEC_EXAMPLES} holds {len(examples)} examples, not the spec's 652"
    return examples
