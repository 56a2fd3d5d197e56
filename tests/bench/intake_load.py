"""Load test of the comment intake service: many concurrent submissions, nothing lost.

Starts the service on a temporary comments folder (rate limiting off), sends
`--count` submissions from `--clients` concurrent keep-alive connections, then
reports throughput, p50/p99 latency and the service's peak memory (VmHWM), and
checks that every submission became exactly one valid, pending, distinct file.
Exits non-zero when anything was refused, lost, duplicated or altered.

    .venv/bin/python -m tests.bench.intake_load [--json results.json]    (or: make bench-intake)

With `--git` every comment is also committed and pushed to a bare remote, and the
delay to the remote and `git fsck` are reported (intake_git.py; make bench-intake-git).
"""

from __future__ import annotations

import argparse
import http.client
import json
import queue
import shutil
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from pelican.plugins.reader_comments import comment_format
from pelican.plugins.reader_comments.settings import load_settings, site_timezone
from tests.bench.intake_git import ENV as GIT_ENV
from tests.bench.intake_git import RemoteWatcher, git_figures, git_passed, git_rows, remote_delays, setup_git
from tests.support.intake import FORM, IntakeServer, open_articles, write_manifest

# ---------------------------------------------------------------- the load run


@dataclass
class Outcome:
    """What one submission got back."""

    index: int
    status: int
    seconds: float
    comment_id: str | None
    done_at: float = 0.0


def submission(index: int, articles: int) -> dict[str, str]:
    """The form fields of submission number `index`."""
    return {
        "article": f"load-{index % articles}",
        "author": f"Reader {index}",
        "website": f"https://reader{index}.example/",
        "body": f"Comment number {index}.\n\nA second paragraph, *emphasised*, [linked](https://example.com/{index}).",
        "reply_to": "",
        "homepage": "",
    }


def client(port: int, work: queue.Queue[int], articles: int, results: list[Outcome]) -> None:
    """Send submissions from `work` over one keep-alive connection until it is empty."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Content-Type": FORM, "Accept": "application/json"}
    while True:
        try:
            index = work.get_nowait()
        except queue.Empty:
            break
        body = urlencode(submission(index, articles))
        started = time.perf_counter()
        try:
            conn.request("POST", "/comments", body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            status, data = 0, b""
        elapsed = time.perf_counter() - started
        comment_id = json.loads(data).get("id") if status == 201 else None
        results.append(Outcome(index, status, elapsed, comment_id, time.perf_counter()))
    conn.close()


def percentile(values: list[float], fraction: float) -> float:
    """The nearest-rank percentile of `values`."""
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


def verify(folder: Path, outcomes: list[Outcome], articles: int, tz: tzinfo) -> dict[str, Any]:
    """Check every file: valid, pending, distinct, one per accepted submission, text intact."""
    expected = {o.comment_id: o.index for o in outcomes if o.comment_id}
    found: dict[str, int] = {}
    problems: list[str] = []
    for path in comment_format.comment_files(folder):
        comment, errors = comment_format.read(path, tz)
        if comment is None:
            problems.extend(str(e) for e in errors)
            continue
        index = expected.get(comment.id)
        if index is None:
            problems.append(f"{path}: not an id the service returned")
            continue
        sent = submission(index, articles)
        if comment.status != "pending" or comment.article != sent["article"]:
            problems.append(f"{path}: status {comment.status!r} in {comment.article!r}")
        if (comment.author, comment.body, comment.website) != (sent["author"], sent["body"], sent["website"]):
            problems.append(f"{path}: text differs from what was sent")
        found[comment.id] = index
    leftovers = [str(p) for p in folder.glob("*/.tmp-*.part")]
    return {
        "files": len(found),
        "distinct_ids": len(set(found)),
        "lost": sorted(set(expected) - set(found)),
        "problems": problems + [f"{p}: temporary file left" for p in leftovers],
    }


def run(count: int, clients: int, articles: int, keep: Path | None, git: bool = False) -> dict[str, Any]:
    """Run the load test in `keep`, or in a temporary folder removed afterwards."""
    if keep is not None:
        return {**measure(keep, count, clients, articles, git), "folder": str(keep)}
    base = Path(tempfile.mkdtemp(prefix="intake-load-"))
    try:
        return measure(base, count, clients, articles, git)
    finally:
        shutil.rmtree(base, ignore_errors=True)


def measure(base: Path, count: int, clients: int, articles: int, git: bool = False) -> dict[str, Any]:
    """Start the service, send the submissions, measure, stop it and verify the files."""
    folder = base / "comments"
    folder.mkdir(parents=True, exist_ok=True)
    remote = setup_git(base, folder) if git else None
    watcher = RemoteWatcher(remote) if remote else None
    slugs = [f"load-{n}" for n in range(articles)]
    manifest = write_manifest(base / "comments-manifest.json", open_articles(*slugs))
    per_article = -(-count // articles)
    env = {"COMMENTS_RATE_LIMIT": "0", "COMMENTS_MAX_PENDING": str(per_article), **(GIT_ENV if git else {})}
    server = IntakeServer(folder, manifest, env=env, log=base / "service.log", log_level="warning").start()
    try:
        work: queue.Queue[int] = queue.Queue()
        for index in range(count):
            work.put(index)
        outcomes: list[Outcome] = []
        args = (server.port, work, articles, outcomes)
        threads = [threading.Thread(target=client, args=args) for _ in range(clients)]
        if watcher:
            watcher.start()
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        wall = time.perf_counter() - started
        peak = server.peak_memory_kib()
        if watcher:
            watcher.wait_for({o.comment_id for o in outcomes if o.comment_id})
    finally:
        server.stop()
        if watcher:
            watcher.stop()
    latencies = [o.seconds for o in outcomes]
    statuses: dict[str, int] = {}
    for outcome in outcomes:
        statuses[str(outcome.status)] = statuses.get(str(outcome.status), 0) + 1
    checked = verify(folder, outcomes, articles, site_timezone(load_settings(server.settings, {})))
    return {
        "submissions": count,
        "clients": clients,
        "articles": articles,
        "seconds": round(wall, 3),
        "throughput_rps": round(count / wall, 1),
        "latency_p50_ms": round(percentile(latencies, 0.50) * 1000, 2),
        "latency_p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "latency_max_ms": round(max(latencies) * 1000, 2),
        "peak_memory_mib": round(peak / 1024, 1) if peak else None,
        "statuses": statuses,
        **checked,
        **(git_results(remote, base, outcomes, watcher) if remote and watcher else {}),
    }


def git_results(remote: Path, clone: Path, outcomes: list[Outcome], watcher: RemoteWatcher) -> dict[str, Any]:
    """The git figures: delay from each answer to the remote (p50, p99, max), files, commits, fsck."""
    delays = remote_delays(watcher, [(o.comment_id, o.done_at) for o in outcomes if o.comment_id])
    return {
        "remote_delay_p50_ms": round(percentile(delays, 0.50) * 1000, 1) if delays else None,
        "remote_delay_p99_ms": round(percentile(delays, 0.99) * 1000, 1) if delays else None,
        "remote_delay_max_ms": round(max(delays) * 1000, 1) if delays else None,
        **git_figures(remote, clone),
    }


def passed(result: dict[str, Any]) -> bool:
    """Whether every submission was accepted and became exactly one intact file."""
    return (
        result["statuses"] == {"201": result["submissions"]}
        and result["files"] == result["distinct_ids"] == result["submissions"]
        and not result["lost"]
        and not result["problems"]
        and git_passed(result)
    )


def table(result: dict[str, Any]) -> str:
    """The figures as a small aligned table."""
    rows = [
        ("submissions", f"{result['submissions']:,} from {result['clients']} clients, {result['articles']} article(s)"),
        ("wall time", f"{result['seconds']:.2f} s"),
        ("throughput", f"{result['throughput_rps']:,.1f} req/s"),
        ("latency p50", f"{result['latency_p50_ms']:.1f} ms"),
        ("latency p99", f"{result['latency_p99_ms']:.1f} ms"),
        ("latency max", f"{result['latency_max_ms']:.1f} ms"),
        ("peak memory", f"{result['peak_memory_mib']} MiB (VmHWM)"),
        ("answers", ", ".join(f"{k}: {v}" for k, v in sorted(result["statuses"].items()))),
        ("files", f"{result['files']:,} valid pending, {result['distinct_ids']:,} distinct ids"),
        ("lost", f"{len(result['lost'])}"),
        ("problems", f"{len(result['problems'])}"),
        *git_rows(result),
        ("result", "PASS" if passed(result) else "FAIL"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main(argv: list[str] | None = None) -> int:
    """Run the load test, print the table, write JSON; non-zero exit when anything was lost."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="submissions to send (default 1000)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent connections (default 20)")
    parser.add_argument("--articles", type=int, default=1, help="articles to spread them over (default 1)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--git", action="store_true", help="commit and push every comment to a bare remote; measure the delay")
    args = parser.parse_args(argv)
    result = run(args.count, args.clients, max(1, args.articles), args.keep, args.git)
    print(table(result))
    for problem in result["problems"][:20]:
        print(f"  {problem}", file=sys.stderr)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if passed(result) else 1


if __name__ == "__main__":
    raise SystemExit(main())
