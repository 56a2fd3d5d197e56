"""Build-speed benchmark of the reader-comments plugin: what comments cost on top of Pelican.

For each size N x M it generates a synthetic site (N articles, M comments each)
in a temporary folder and times whole builds with the project's theme and
pelicanconf.py, each build in a fresh interpreter:

  a   the same articles with no comment files (cold: empty cache; warm: second build)
  b   with comments, cold (empty cache folder)
  c   with comments, warm (Pelican's content cache and the plugin's caches filled)
  d   warm rebuild after one comment file changed

b is compared with a-cold and c, d with a-warm. Builds run in rounds (every
size's a and b cold, then every size's a, c and d warm), so changes in the load
other processes put on the machine hit all of them alike. The targets (issue 7)
are checked at 200x40, and the per-comment cost at 800x40 against 200x40. Then
one article with 5,000 comments is built and its page checked (see huge.py).

    .venv/bin/python tests/bench/build_bench.py [--quick] [--runs 5] [--sizes 50x40,200x40]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from huge import HugeResult, run_huge
from huge import report as huge_report
from runner import REPO, BuildResult, build
from sitegen import SiteSpec, SiteStats, generate

DEFAULT_SIZES = "50x40,200x40,800x40"
QUICK_SIZES = "20x10,60x10"
CHECK_SIZE = "200x40"
LINEAR_SIZE = "800x40"
COLD_LIMIT = 2.5
WARM_LIMIT = 1.8
# The scale targets, on the median of the run-by-run ratios (each build beside its base): size -> kind -> limit.
SCALE_SIZE = "200x200"
SCALE_LIMITS = {
    CHECK_SIZE: {"b_cold": 1.8, "c_warm": 1.15, "d_one": 1.25},
    SCALE_SIZE: {"b_cold": 4.0, "c_warm": 1.3, "d_one": 1.4},
}
# Peak memory of the cold build with comments at SCALE_SIZE, in MiB.
SCALE_PEAK_MIB = 200
LINEAR_TOLERANCE = 0.15
KINDS = ("a_cold", "a_warm", "b_cold", "c_warm", "d_one")
LABELS = {
    "a_cold": "a  no comments, cold",
    "a_warm": "a  no comments, warm",
    "b_cold": "b  comments, cold",
    "c_warm": "c  comments, warm",
    "d_one": "d  one file changed",
}
BASE_OF = {"b_cold": "a_cold", "c_warm": "a_warm", "d_one": "a_warm"}


@dataclass
class Measure:
    """The runs of one kind of build, summarised."""

    seconds: list[float]
    cpu_seconds: list[float]
    maxrss_mb: list[float]
    process_seconds: list[float]
    cache: str = ""

    @property
    def median(self) -> float:
        """Median wall time of the build (inside the child, interpreter start excluded)."""
        return statistics.median(self.seconds)

    @property
    def cpu_median(self) -> float:
        """Median CPU time (user + system) of the build."""
        return statistics.median(self.cpu_seconds)

    @property
    def peak_mb(self) -> float:
        """Median peak memory of the child."""
        return statistics.median(self.maxrss_mb)


@dataclass
class SizeResult:
    """Every build of one size, and the figures derived from them."""

    name: str
    articles: int
    comments_each: int
    comment_files: int
    published: int
    statuses: dict[str, int]
    max_depth: int
    measures: dict[str, Measure] = field(default_factory=dict)
    stages: dict[str, dict[str, float]] = field(default_factory=dict)

    def ratio(self, kind: str) -> float:
        """Median of `kind` over the median of the build it is compared with."""
        return self.measures[kind].median / self.measures[BASE_OF.get(kind, kind)].median

    def paired_ratio(self, kind: str) -> float:
        """Median of the run-by-run ratios of `kind` to its base (each pair ran back to back)."""
        base = self.measures[BASE_OF.get(kind, kind)].seconds
        return statistics.median(m / b for m, b in zip(self.measures[kind].seconds, base, strict=True))

    def paired_min(self, kind: str) -> float:
        """The smallest run-by-run ratio of `kind` to its base: the least noisy pair."""
        base = self.measures[BASE_OF.get(kind, kind)].seconds
        return min(m / b for m, b in zip(self.measures[kind].seconds, base, strict=True))

    def per_comment_ms(self, kind: str, cpu: bool = False) -> float | None:
        """Extra milliseconds per comment file over the base build: the median of the run-by-run differences.

        Runs of a build and its base alternate, so pairing them cancels most of
        the drift in load from other processes.
        """
        if kind not in BASE_OF:
            return None
        mine, base = self.measures[kind], self.measures[BASE_OF[kind]]
        pairs = zip(mine.cpu_seconds, base.cpu_seconds, strict=True) if cpu else zip(mine.seconds, base.seconds, strict=True)
        return 1000 * statistics.median(m - b for m, b in pairs) / self.comment_files


def parse_size(text: str) -> tuple[int, int]:
    """'200x40' as (200, 40)."""
    articles, _, comments = text.lower().partition("x")
    return int(articles), int(comments)


def _measure(results: list[BuildResult]) -> Measure:
    """Summarise the runs of one kind, refusing builds that logged problems."""
    for result in results:
        if result.errors or result.warnings:
            raise SystemExit(f"a benchmark build logged {result.warnings} warnings, {result.errors} errors: {result.messages}")
    return Measure(
        seconds=[r.seconds for r in results],
        cpu_seconds=[r.cpu_seconds for r in results],
        maxrss_mb=[r.maxrss_kb / 1024 for r in results],
        process_seconds=[r.process_seconds for r in results],
        cache=results[-1].cache,
    )


def edit_one_comment(path: Path, run: int) -> None:
    """Change one comment file the way a moderator's edit would: new body text, same everything else."""
    text = path.read_text(encoding="utf-8")
    marker = "body: |\n"
    if marker not in text:
        raise ValueError(f"{path}: no literal body block to edit")
    head, _, rest = text.partition(marker)
    path.write_text(f"{head}{marker}  Edited by the moderator (run {run}).\n\n{rest}", encoding="utf-8")


def _plain_copy(site: Path, plain: Path) -> None:
    """The same articles and pages, without the comments folder."""
    for name in ("posts", "pages"):
        shutil.copytree(site / name, plain / name)


def _approved_paths(stats: SiteStats) -> list[Path]:
    """Comment files with status approved (their edits show on the page)."""
    by_id = {ref.id: ref.status for ref in stats.index}
    return [p for p in stats.comment_paths if by_id.get(p.stem) == "approved"]


@dataclass
class Bench:
    """One size being measured: its generated site, the copy without comments, and every run so far."""

    name: str
    folder: Path
    stats: SiteStats
    raw: dict[str, list[BuildResult]] = field(default_factory=lambda: {kind: [] for kind in KINDS})

    @property
    def site(self) -> Path:
        """The content folder with comments."""
        return self.folder / "site"

    @property
    def plain(self) -> Path:
        """The same content without comments."""
        return self.folder / "plain"

    def run(self, kind: str, content: Path, slot: str, fresh: bool = False) -> None:
        """One build of `kind` into the output and cache folders of `slot` (emptied first when `fresh`)."""
        if fresh:
            shutil.rmtree(self.folder / slot, ignore_errors=True)
        self.raw[kind].append(build(content, self.folder / slot / "output", self.folder / slot / "cache"))


def prepare(name: str, base: Path) -> Bench:
    """Generate the site of one size, and its copy without comments."""
    articles, comments = parse_size(name)
    folder = base / name
    stats = generate(folder / "site", SiteSpec(articles, comments))
    _plain_copy(folder / "site", folder / "plain")
    return Bench(name, folder, stats)


def cold_round(bench: Bench) -> None:
    """A then b, each from an empty cache and output folder."""
    bench.run("a_cold", bench.plain, "a", fresh=True)
    bench.run("b_cold", bench.site, "b", fresh=True)


def warm_round(bench: Bench, run: int) -> None:
    """A warm, c warm, then d: one approved comment edited and the site rebuilt."""
    bench.run("a_warm", bench.plain, "a")
    bench.run("c_warm", bench.site, "b")
    edits = _approved_paths(bench.stats)
    edit_one_comment(edits[(run * 7919) % len(edits)], run)
    bench.run("d_one", bench.site, "b")


def summarise(bench: Bench, stages: bool) -> SizeResult:
    """The figures of one size (and its stage profile when asked)."""
    stats = bench.stats
    result = SizeResult(
        bench.name, stats.articles, parse_size(bench.name)[1], stats.comment_files,
        stats.statuses.get("approved", 0), stats.statuses, stats.max_depth,
    )
    result.measures = {kind: _measure(results) for kind, results in bench.raw.items()}
    if stages:
        result.stages = stage_profile(bench.folder, bench.site, bench.plain)
    return result


def measure_sizes(names: list[str], runs: int, base: Path, stages: bool) -> dict[str, SizeResult]:
    """Every size, run in rounds: each round builds every size once, so load drift hits all sizes alike."""
    benches = []
    for name in names:
        print(f"generating {name}...", flush=True)
        benches.append(prepare(name, base))
    for run in range(runs):
        print(f"cold round {run + 1} of {runs}...", flush=True)
        for bench in benches:
            cold_round(bench)
    for run in range(runs):
        print(f"warm round {run + 1} of {runs}...", flush=True)
        for bench in benches:
            warm_round(bench, run)
    results = {bench.name: summarise(bench, stages and bench.name == CHECK_SIZE) for bench in benches}
    for bench in benches:
        shutil.rmtree(bench.folder, ignore_errors=True)
    return results


def stage_profile(folder: Path, site: Path, plain: Path) -> dict[str, dict[str, float]]:
    """One build of each kind with every stage timed (timing adds a little overhead)."""
    out: dict[str, dict[str, float]] = {}
    plan = (("a_cold", plain, "stages-a"), ("b_cold", site, "stages-b"), ("a_warm", plain, "stages-a"), ("c_warm", site, "stages-b"))
    for kind, content, target in plan:
        out[kind] = build(content, folder / target / "output", folder / target / "cache", stages=True).stages
    return out


def format_table(results: list[SizeResult]) -> list[str]:
    """The results as a fixed-width table."""
    lines = [
        f"{'size':<7} {'files':>6} {'build':<21} {'median s':>8} {'x base':>6} {'ms/comment':>10} "
        f"{'cpu s':>6} {'cpu x':>5} {'peak MB':>7}  runs (s)",
    ]
    for result in results:
        for i, kind in enumerate(KINDS):
            m = result.measures[kind]
            base = result.measures[BASE_OF.get(kind, kind)]
            per = result.per_comment_ms(kind)
            lines.append(
                f"{result.name if i == 0 else '':<7} {result.comment_files if i == 0 else '':>6} {LABELS[kind]:<21} "
                f"{m.median:>8.2f} {result.ratio(kind):>6.2f} {'' if per is None else f'{per:.3f}':>10} "
                f"{m.cpu_median:>6.2f} {m.cpu_median / base.cpu_median:>5.2f} {m.peak_mb:>7.0f}  "
                + " ".join(f"{s:.2f}" for s in m.seconds)
            )
    return lines


def format_stages(result: SizeResult) -> list[str]:
    """Per-stage seconds for a and b (cold), a and c (warm), with the difference comments make."""
    stages = result.stages
    names = sorted({n for kind in stages.values() for n in kind}, key=lambda n: -stages.get("b_cold", {}).get(n, 0.0))
    columns = " ".join(f"{c:>7}" for c in ("a cold", "b cold", "b-a", "a warm", "c warm", "c-a"))
    lines = [f"Stages at {result.name} (one build each, seconds):", f"  {'stage':<46} {columns}"]
    for name in names:
        row = [stages.get(kind, {}).get(name, 0.0) for kind in ("a_cold", "b_cold", "a_warm", "c_warm")]
        if max(row) < 0.005:
            continue
        lines.append(f"  {name:<46} {row[0]:>7.3f} {row[1]:>7.3f} {row[1] - row[0]:>+7.3f} {row[2]:>7.3f} {row[3]:>7.3f} {row[3] - row[2]:>+7.3f}")
    return lines


@dataclass
class Target:
    """One target of the issue and its verdict (None when the size was not run)."""

    name: str
    value: float | None
    limit: str
    ok: bool | None
    note: str = ""


def _ratio_target(result: SizeResult | None, kind: str, limit: float, label: str) -> Target:
    """A ratio target on the median times, noting the run-by-run and CPU-time ratios beside it."""
    name = f"{label} build with comments <= {limit}x a-{label} at {CHECK_SIZE}"
    if result is None:
        return Target(name, None, f"<= {limit}", None)
    mine, base = result.measures[kind], result.measures[BASE_OF[kind]]
    note = f"run-by-run median {result.paired_ratio(kind):.2f}x, CPU time {mine.cpu_median / base.cpu_median:.2f}x"
    value = result.ratio(kind)
    return Target(name, value, f"<= {limit}", value <= limit, note)


def _scale_targets(results: dict[str, SizeResult]) -> list[Target]:
    """The scale targets: run-by-run median ratios at 200x40 and 200x200, and peak memory at 200x200."""
    targets = []
    for size, limits in SCALE_LIMITS.items():
        result = results.get(size)
        for kind, limit in limits.items():
            name = f"{LABELS[kind].split('  ', 1)[1]} <= {limit}x its base, run by run, at {size}"
            if result is None:
                targets.append(Target(name, None, f"<= {limit}", None))
                continue
            value = result.paired_ratio(kind)
            note = f"min {result.paired_min(kind):.2f}x of {len(result.measures[kind].seconds)} pairs"
            targets.append(Target(name, value, f"<= {limit}", value <= limit, note))
    scale = results.get(SCALE_SIZE)
    name = f"peak memory of the cold build with comments at {SCALE_SIZE} <= {SCALE_PEAK_MIB} MiB"
    if scale is None:
        targets.append(Target(name, None, f"<= {SCALE_PEAK_MIB}", None))
    else:
        peak = scale.measures["b_cold"].peak_mb
        note = f"no comments: {scale.measures['a_cold'].peak_mb:.0f} MiB"
        targets.append(Target(name, peak, f"<= {SCALE_PEAK_MIB}", peak <= SCALE_PEAK_MIB, note))
    return targets


def _growth_target(check: SizeResult | None, linear: SizeResult | None) -> Target:
    """Whether the cold cost per comment stays flat from 200x40 to 800x40."""
    name = f"cost per comment (cold) at {LINEAR_SIZE} within {LINEAR_TOLERANCE:.0%} of {CHECK_SIZE}"
    if check is None or linear is None or check.per_comment_ms("b_cold") <= 0:
        return Target(name, None, f"|x| <= {LINEAR_TOLERANCE}", None)
    small, large = check.per_comment_ms("b_cold"), linear.per_comment_ms("b_cold")
    cpu_small, cpu_large = check.per_comment_ms("b_cold", cpu=True), linear.per_comment_ms("b_cold", cpu=True)
    growth = large / small - 1
    note = f"{small:.3f} -> {large:.3f} ms; CPU time {cpu_small:.3f} -> {cpu_large:.3f} ms ({cpu_large / cpu_small - 1:+.1%})"
    return Target(name, growth, f"|x| <= {LINEAR_TOLERANCE}", abs(growth) <= LINEAR_TOLERANCE, note)


def check_targets(results: dict[str, SizeResult]) -> list[Target]:
    """The three targets: cold and warm ratios at 200x40, linear per-comment cost up to 800x40."""
    check, linear = results.get(CHECK_SIZE), results.get(LINEAR_SIZE)
    return [
        _ratio_target(check, "b_cold", COLD_LIMIT, "cold"),
        _ratio_target(check, "c_warm", WARM_LIMIT, "warm"),
        _growth_target(check, linear),
        *_scale_targets(results),
    ]


def format_targets(targets: list[Target]) -> list[str]:
    """One PASS/FAIL line per target; a target that was not measured fails."""
    lines = []
    for t in targets:
        verdict = "PASS" if t.ok else "FAIL"
        value = "size not run" if t.value is None else (
            f"{t.value:+.1%}" if "within" in t.name else f"{t.value:.0f} MiB" if "MiB" in t.name else f"{t.value:.2f}x"
        )
        lines.append(f"  {verdict}  {t.name}: {value}" + (f" ({t.note})" if t.note else ""))
    return lines


def run_intake(json_dir: Path) -> dict[str, Any] | None:
    """Run tests/bench/intake_load.py when it exists; return its exit status and output."""
    if not (REPO / "tests" / "bench" / "intake_load.py").is_file():
        return None
    out = json_dir / "intake-load.json"
    command = [sys.executable, "-m", "tests.bench.intake_load", "--json", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=str(REPO), check=False)
    return {"returncode": done.returncode, "stdout": done.stdout, "stderr": done.stderr[-2000:], "json": str(out)}


def machine() -> dict[str, Any]:
    """What the numbers were measured on."""
    return {
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "pelican": version("pelican"),
        "cpus": os.cpu_count(),
        "loadavg": os.getloadavg(),
        "platform": platform.platform(),
    }


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", help=f"comma-separated NxM sizes (default {DEFAULT_SIZES})")
    parser.add_argument("--runs", type=int, help="runs of each build; the median is reported (default 5)")
    parser.add_argument("--quick", action="store_true", help=f"a smoke run: small sizes ({QUICK_SIZES}), 2 runs, a 1,000-comment "
                        f"huge article; the targets at {CHECK_SIZE} and {LINEAR_SIZE} are not measured, so it exits 1")
    parser.add_argument("--json", type=Path, default=REPO / "bench-results" / "build.json", help="where to write the results")
    parser.add_argument("--no-check", action="store_true", help="report the targets but always exit 0")
    parser.add_argument("--no-huge", action="store_true", help="skip the one-huge-article case")
    parser.add_argument("--no-stages", action="store_true", help=f"skip the stage-by-stage profile at {CHECK_SIZE}")
    parser.add_argument("--intake", action="store_true", help="also run tests/bench/intake_load.py afterwards (make bench runs it as bench-intake)")
    parser.add_argument("--huge", type=int, help="comments on the huge article (default 5000)")
    parser.add_argument("--tmpdir", type=Path, help="where to make the temporary sites (default: the system's)")
    args = parser.parse_args(argv)
    args.sizes = args.sizes or (QUICK_SIZES if args.quick else DEFAULT_SIZES)
    args.runs = args.runs or (2 if args.quick else 5)
    args.huge = args.huge or (1000 if args.quick else 5000)
    return args


def print_results(results: dict[str, SizeResult], targets: list[Target], huge: HugeResult | None) -> None:
    """The table, the stage profile, the targets and the huge article, on stdout."""
    print()
    print("\n".join(format_table(list(results.values()))))
    print("median s: median wall time of the build inside a fresh interpreter; x base: b / a-cold, c and d / a-warm;")
    print("ms/comment: median of run-by-run (build - its base) / comment files; cpu: user + system time of the build;")
    print("peak MB: the child's peak resident memory (VmHWM; ru_maxrss would include the parent's, carried over exec).")
    for result in results.values():
        notes = "; ".join(f"{kind[0]}: {result.measures[kind].cache.removeprefix('Comment caches: ')}" for kind in ("b_cold", "c_warm", "d_one"))
        print(f"plugin caches at {result.name} (last run) - {notes}")
    for result in results.values():
        if result.stages:
            print()
            print("\n".join(format_stages(result)))
    print()
    print("Targets (issue 7):")
    print("\n".join(format_targets(targets)))
    if huge is not None:
        print()
        print("\n".join(huge_report(huge)))


def size_json(result: SizeResult) -> dict[str, Any]:
    """One size's figures as JSON-ready data."""
    builds = {
        kind: {
            **asdict(m),
            "median": m.median,
            "ratio": result.ratio(kind),
            "paired_ratio": result.paired_ratio(kind),
            "paired_min": result.paired_min(kind),
            "ms_per_comment": result.per_comment_ms(kind),
            "cpu_ms_per_comment": result.per_comment_ms(kind, cpu=True),
        }
        for kind, m in result.measures.items()
    }
    return {**{k: v for k, v in asdict(result).items() if k != "measures"}, "builds": builds}


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark, print the table and the targets, write JSON."""
    args = parse_args(argv)
    started = time.perf_counter()
    sizes = [s.strip() for s in args.sizes.split(",") if s.strip()]
    report: dict[str, Any] = {"machine": machine(), "runs": args.runs}
    with tempfile.TemporaryDirectory(prefix="comments-bench-", dir=args.tmpdir) as tmp:
        results = measure_sizes(sizes, args.runs, Path(tmp), stages=not args.no_stages)
        huge = None
        if not args.no_huge:
            print(f"building one article with {args.huge:,} comments...", flush=True)
            huge = run_huge(Path(tmp) / "huge", comments=args.huge)
    targets = check_targets(results)
    print_results(results, targets, huge)
    report.update(sizes={name: size_json(r) for name, r in results.items()}, targets=[asdict(t) for t in targets])
    report["huge"] = None if huge is None else {**asdict(huge), "ok": huge.ok}
    intake = run_intake(args.json.parent) if args.intake else None
    if intake is not None:
        print("\nIntake load (tests/bench/intake_load.py):")
        print(intake["stdout"].rstrip() or intake["stderr"].rstrip())
        report["intake"] = {k: intake[k] for k in ("returncode", "json")}
    report["seconds"] = time.perf_counter() - started
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=1), encoding="utf-8")
    print(f"\nWrote {args.json} ({report['seconds']:.0f} s in all)")
    failed = any(t.ok is not True for t in targets) or (huge is not None and not huge.ok) or bool(intake and intake["returncode"])
    return 1 if failed and not args.no_check else 0


if __name__ == "__main__":
    sys.exit(main())
