"""Precision and recall of the local spam rules on the labelled corpus (`make spam-check`).

The corpus (tests/fixtures/spam/corpus.yaml) is judged in order, as the intake
meets comments: each comment labelled spam is then remembered as marked spam and
each one labelled ham makes its name approved, as a moderator's decision would.
Precision and recall are of the verdict "spam" (what the intake writes as spam);
"suspect" comments stay pending, and the report counts them apart.

    .venv/bin/python tests/bench/spam_check.py [--rules content/spam-rules.yaml] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from pelican.plugins.reader_comments.spam import History, judge, load_rules

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "tests" / "fixtures" / "spam" / "corpus.yaml"
RULES = REPO / "content" / "spam-rules.yaml"


def evaluate(corpus: dict[str, Any], rules_path: Path) -> dict[str, Any]:
    """Judge every comment in order; the counts, the figures and the mistakes."""
    rules = load_rules(rules_path)
    history = History(protected_names=tuple(corpus.get("protected_names") or ()))
    for name in corpus.get("approved_names") or ():
        history.add_approved(name)
    for text in corpus.get("spam_texts") or ():
        history.add_spam(text)
    counts: Counter[str] = Counter()
    missed_by_kind: Counter[str] = Counter()
    kinds: Counter[str] = Counter()
    mistakes: list[dict[str, str]] = []
    for item in corpus["comments"]:
        verdict = judge(rules, history, item["author"], item["body"], item.get("website"))
        spam = item["label"] == "spam"
        kinds[item["label"] + ":" + item["kind"]] += 1
        key = ("tp" if verdict.kind == "spam" else "fn") if spam else ("fp" if verdict.kind == "spam" else "tn")
        counts[key] += 1
        counts[f"{item['label']}_suspect"] += verdict.kind == "suspect"
        if key in ("fp", "fn"):
            missed_by_kind[item["kind"]] += key == "fn"
            mistakes.append({"mistake": key, "kind": item["kind"], "author": item["author"],
                             "verdict": verdict.kind, "rules": "; ".join(verdict.matched), "body": item["body"][:80]})
        if spam:
            history.add_spam(item["body"])
        else:
            history.add_approved(item["author"])
    flagged = counts["tp"] + counts["fp"]
    positives = counts["tp"] + counts["fn"]
    return {
        "comments": sum(kinds.values()),
        "spam": positives,
        "ham": counts["tn"] + counts["fp"],
        "counts": dict(counts),
        "precision": counts["tp"] / flagged if flagged else 1.0,
        "recall": counts["tp"] / positives if positives else 1.0,
        "spam_missed_but_suspect": counts["spam_suspect"],
        "ham_suspect": counts["ham_suspect"],
        "mistakes": mistakes,
    }


def report(result: dict[str, Any]) -> str:
    """The figures as text."""
    c = result["counts"]
    lines = [
        f"Spam rules on {result['comments']} labelled comments ({result['spam']} spam, {result['ham']} ham):",
        f"  precision {result['precision']:.3f}  ({c.get('tp', 0)} of {c.get('tp', 0) + c.get('fp', 0)} written as spam are spam)",
        f"  recall    {result['recall']:.3f}  ({c.get('tp', 0)} of {result['spam']} spam written as spam)",
        f"  suspect (left pending, listed apart): {result['spam_missed_but_suspect']} spam, {result['ham_suspect']} ham",
    ]
    for mistake in result["mistakes"]:
        what = "false positive" if mistake["mistake"] == "fp" else f"missed ({mistake['verdict']})"
        lines.append(f"  {what}: [{mistake['kind']}] {mistake['author']}: {mistake['body']!r} {mistake['rules']}")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Print the report; write it as JSON when asked."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rules", type=Path, default=RULES)
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    result = evaluate(yaml.safe_load(args.corpus.read_text(encoding="utf-8")), args.rules)
    sys.stdout.write(report(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
