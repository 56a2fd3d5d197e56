"""Load test of the comment intake service: many concurrent submissions, nothing lost.

Starts the service on a temporary comments folder (rate limiting off), sends
`--count` submissions from `--clients` concurrent keep-alive connections, then
reports throughput, p50/p99 latency and the service's peak memory (VmHWM), and
checks that every submission became exactly one valid, pending, distinct file.
Exits non-zero when anything was refused, lost, duplicated or altered.

    .venv/bin/python -m tests.bench.intake_load [--json results.json]    (or: make bench-intake)

With `--git` every comment is also committed and pushed to a bare remote, and the
delay to the remote and `git fsck` are reported (intake_git.py; make bench-intake-git).
With `--isso-pairs N` the same load also goes to isso 0.14 (isso_anchor.py, in its
own virtual environment) in N pairs of runs, the order alternating, and the
throughput ratio of each pair is reported (min and median) against the targets:
at least 250 req/s, at least 1.5 times isso, p99 under 300 ms (medians).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import queue
import shutil
import statistics
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
from tests.bench.isso_anchor import IssoMissing, ensure_isso, run_isso
from tests.support.intake import FORM, IntakeServer, open_articles, run_clients, write_manifest

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


def cpu_seconds(pid: int) -> tuple[float, float]:
    """A process's own CPU seconds (user + system) and those of the children it has waited for (its git commands), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    tick = os.sysconf("SC_CLK_TCK")
    return (int(fields[11]) + int(fields[12])) / tick, (int(fields[13]) + int(fields[14])) / tick


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
        cpu_before = cpu_seconds(server.pid)
        wall = run_clients(threads)
        peak = server.peak_memory_kib()
        if watcher:
            watcher.wait_for({o.comment_id for o in outcomes if o.comment_id})
        cpu_after = cpu_seconds(server.pid)
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
        # From the first post until the last is answered (and, with git, on the remote): the service, then its git commands.
        "server_cpu_s": round(cpu_after[0] - cpu_before[0], 2),
        "git_cpu_s": round(cpu_after[1] - cpu_before[1], 2),
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
        ("service CPU", f"{result['server_cpu_s']:.2f} s ({result['server_cpu_s'] / result['submissions'] * 1000:.2f} ms a post)"),
        *([("its git CPU", f"{result['git_cpu_s']:.2f} s (the git commands it ran)")] if "remote_files" in result else []),
        ("answers", ", ".join(f"{k}: {v}" for k, v in sorted(result["statuses"].items()))),
        ("files", f"{result['files']:,} valid pending, {result['distinct_ids']:,} distinct ids"),
        ("lost", f"{len(result['lost'])}"),
        ("problems", f"{len(result['problems'])}"),
        *git_rows(result),
        ("result", "PASS" if passed(result) else "FAIL"),
    ]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


# Targets of the side-by-side run (medians over the pairs).
TARGET_RPS = 250.0
TARGET_RATIO = 1.5
TARGET_P99_MS = 300.0


def side_by_side(pairs: int, count: int, clients: int, articles: int, git: bool) -> dict[str, Any]:
    """`pairs` runs of the intake and of isso, the order alternating; every run's figures and the ratios."""
    command = ensure_isso()
    runs: list[dict[str, Any]] = []
    for pair in range(pairs):
        order = ("intake", "isso") if pair % 2 == 0 else ("isso", "intake")
        figures: dict[str, Any] = {}
        for side in order:
            if side == "intake":
                figures["intake"] = run(count, clients, articles, None, git)
            else:
                base = Path(tempfile.mkdtemp(prefix="isso-load-"))
                try:
                    figures["isso"] = run_isso(command, base, count, clients, articles, submission, Outcome, percentile)
                finally:
                    shutil.rmtree(base, ignore_errors=True)
        figures["ratio"] = round(figures["intake"]["throughput_rps"] / figures["isso"]["throughput_rps"], 2)
        print(f"pair {pair + 1} ({' first, '.join(order)} second): intake {figures['intake']['throughput_rps']} req/s"
              f" p99 {figures['intake']['latency_p99_ms']} ms, isso {figures['isso']['throughput_rps']} req/s"
              f" p99 {figures['isso']['latency_p99_ms']} ms, ratio {figures['ratio']}", flush=True)
        runs.append(figures)
    return summary(runs, count)


def summary(runs: list[dict[str, Any]], count: int) -> dict[str, Any]:
    """Min and median of the pairs' figures, and the targets met or not."""
    def spread(values: list[float]) -> dict[str, float]:
        return {"min": min(values), "median": round(statistics.median(values), 2), "max": max(values)}

    rps = spread([r["intake"]["throughput_rps"] for r in runs])
    ratio = spread([r["ratio"] for r in runs])
    p99 = spread([r["intake"]["latency_p99_ms"] for r in runs])
    checks = {
        f"intake >= {TARGET_RPS:g} req/s (median)": rps["median"] >= TARGET_RPS,
        f"intake >= {TARGET_RATIO:g} x isso (median ratio)": ratio["median"] >= TARGET_RATIO,
        f"intake p99 < {TARGET_P99_MS:g} ms (median)": p99["median"] < TARGET_P99_MS,
        "every intake run: all accepted, on the remote, fsck clean": all(passed(r["intake"]) for r in runs),
        "every isso run: all accepted and stored": all(
            r["isso"]["stored"] == count and set(r["isso"]["statuses"]) <= {"201", "202"} for r in runs),
    }
    return {"pairs": runs, "intake_rps": rps, "isso_rps": spread([r["isso"]["throughput_rps"] for r in runs]),
            "ratio": ratio, "intake_p99_ms": p99, "isso_p99_ms": spread([r["isso"]["latency_p99_ms"] for r in runs]),
            "checks": checks}


def side_table(result: dict[str, Any]) -> str:
    """The side-by-side figures and the targets."""
    rows = [(name, f"min {v['min']}, median {v['median']}, max {v['max']}")
            for name, v in (("intake req/s", result["intake_rps"]), ("isso req/s", result["isso_rps"]),
                            ("ratio", result["ratio"]), ("intake p99 ms", result["intake_p99_ms"]),
                            ("isso p99 ms", result["isso_p99_ms"]))]
    rows += [(name, "PASS" if ok else "FAIL") for name, ok in result["checks"].items()]
    width = max(len(name) for name, _ in rows)
    return "\n".join(f"{name:<{width}}  {value}" for name, value in rows)


def main_side_by_side(args: argparse.Namespace) -> int:
    """Run the pairs, print every run and the summary, write JSON; non-zero exit when a check fails."""
    try:
        result = side_by_side(args.isso_pairs, args.count, args.clients, max(1, args.articles), args.git)
    except IssoMissing as exc:
        print(f"isso, the benchmark's anchor, is not available: {exc}", file=sys.stderr)
        return 1
    print(table(result["pairs"][-1]["intake"]))
    print(side_table(result))
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return 0 if all(result["checks"].values()) else 1


def main(argv: list[str] | None = None) -> int:
    """Run the load test, print the table, write JSON; non-zero exit when anything was lost."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--count", type=int, default=1000, help="submissions to send (default 1000)")
    parser.add_argument("--clients", type=int, default=20, help="concurrent connections (default 20)")
    parser.add_argument("--articles", type=int, default=1, help="articles to spread them over (default 1)")
    parser.add_argument("--json", type=Path, help="write the figures as JSON here")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (default: a temporary one)")
    parser.add_argument("--git", action="store_true", help="commit and push every comment to a bare remote; measure the delay")
    parser.add_argument("--isso-pairs", type=int, default=0,
                        help="also run isso 0.14 with the same load, in this many alternating pairs (min 3 for the targets)")
    args = parser.parse_args(argv)
    if args.isso_pairs:
        return main_side_by_side(args)
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
