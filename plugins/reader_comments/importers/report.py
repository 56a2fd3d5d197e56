"""The import report: counts by outcome, unmatched threads, orphan replies and problems."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from ..comment_format import STATUSES

SKIP_LABELS = {
    "pingback": "pingbacks and trackbacks skipped",
    "other-type": "comments of other types skipped (not reader comments)",
    "no-comments": "threads without comments",
}


@dataclass(slots=True)
class Report:
    """What an import did, or would do on a dry run."""

    source: str
    imported: Counter[str] = field(default_factory=Counter)
    present: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    unmatched: list[tuple[str, int]] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    placeholders: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def unmatched_comments(self) -> int:
        """How many comments were skipped because their thread matched no article."""
        return sum(count for _, count in self.unmatched)

    def lines(self, dry_run: bool) -> list[str]:
        """The report as lines of text."""
        verb = "would import" if dry_run else "imported"
        total = sum(self.imported.values())
        by_status = ", ".join(f"{self.imported[s]} {s}" for s in STATUSES if self.imported[s])
        out = [f"{self.source}: {verb} {total} comment{'s' * (total != 1)}" + (f" ({by_status})" if by_status else "")]
        out.append(f"  already present, left unchanged: {self.present}")
        for key, label in SKIP_LABELS.items():
            if self.skipped[key]:
                out.append(f"  {label}: {self.skipped[key]}")
        out.append(f"  unmatched threads: {len(self.unmatched)} ({self.unmatched_comments} comments skipped)")
        out.extend(f"    {label} ({count} comment{'s' * (count != 1)})" for label, count in self.unmatched)
        out.append(f"  replies whose parent is missing, made top-level: {len(self.orphans)}")
        out.extend(f"    {name}" for name in self.orphans)
        if self.placeholders:
            out.append(f"  comments without text, given a placeholder body: {len(self.placeholders)}")
            out.extend(f"    {name}" for name in self.placeholders)
        if self.unmatched:
            out.append("  To import unmatched threads, map their URLs to slugs in a CSV file and pass MAP=<file>.")
        return out
