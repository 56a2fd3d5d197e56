"""`make mutation [PART=name]`: run mutmut over one part of the plugin, or every part in turn, and check the scores.

mutmut names a mutant after the module path of the file it mutates and imports
it from its own copy, so for each part the package is staged as
.mutation/<part>/src/reader_comments/ with a copy of the tests (their imports of the
installed package's name turned into `reader_comments`) and the part's
tests/mutation/parts/<part>.cfg as setup.cfg. A part fails if fewer than 90% of
any module's mutants are killed, if any renderer mutant lives, or if a survivor is
not listed, with its reason, in tests/MUTATION.md.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PACKAGE = REPO / "plugins" / "reader_comments"
# The site's own plugin, staged beside the comments plugin as src/post_checks (its tests import it by that name).
SITE_PLUGIN = REPO / "plugins" / "post_checks"
IMPORT_NAME = "reader_comments"
INSTALLED_NAME = "pelican.plugins.reader_comments"
STAGE = REPO / ".mutation"
PARTS_DIR = Path(__file__).with_name("parts")
# Every part, smallest first: `make mutation` runs them in this order, one at a time.
PARTS = ("post_checks", "names", "editor", "intake", "edits", "app", "importers", "moderation", "core", "gitsync")
EQUIVALENTS = REPO / "tests" / "MUTATION.md"
MUST_KILL_ALL = ("render.py",)
MIN_SCORE = 0.90
_LISTED = re.compile(r"`((?:" + IMPORT_NAME + r"|post_checks)\.[\w.ǁ]+__mutmut_\d+)`")
_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", ".hypothesis")
# mutmut's exit codes for a mutant the tests detected: killed by a failing test, timed out, or the test
# process crashed (-11: a mutant that disables the YAML nesting guard lets a deep document overflow the stack).
DETECTED = {1, 3, 36, 24, -24, 152, 255, -11}


@dataclass
class Module:
    """The mutants of one mutated file and what became of them."""

    name: str
    outcomes: dict[str, int | None] = field(default_factory=dict)

    @property
    def detected(self) -> int:
        """Mutants a test killed (or that ran past the timeout)."""
        return sum(code in DETECTED for code in self.outcomes.values())

    @property
    def survivors(self) -> list[str]:
        """Mutants no test killed."""
        return sorted(key for key, code in self.outcomes.items() if code not in DETECTED)


def stage(part: str) -> Path:
    """A fresh staging folder for `part`: the package as src/<import name>, the tests, and the part's mutmut settings."""
    folder = STAGE / part
    shutil.rmtree(folder, ignore_errors=True)
    shutil.copytree(PACKAGE, folder / "src" / IMPORT_NAME, ignore=_IGNORE)
    shutil.copytree(SITE_PLUGIN, folder / "src" / SITE_PLUGIN.name, ignore=_IGNORE)
    shutil.copytree(REPO / "tests", folder / "tests", ignore=shutil.ignore_patterns(
        "__pycache__", "*.pyc", ".hypothesis", "browser", "mutation"))
    for test in (folder / "tests").rglob("*.py"):
        text = test.read_text(encoding="utf-8")
        if INSTALLED_NAME in text:
            test.write_text(text.replace(INSTALLED_NAME, IMPORT_NAME), encoding="utf-8")
    shutil.copyfile(PARTS_DIR / f"{part}.cfg", folder / "setup.cfg")
    # The site's settings and the theme they name, which the importer and moderation tests load
    # (`also_copy` takes them into mutants/).
    shutil.copyfile(REPO / "pelicanconf.py", folder / "pelicanconf.py")
    shutil.copytree(REPO / "theme", folder / "theme", ignore=_IGNORE)
    return folder


def run_mutmut(folder: Path, max_children: int | None) -> float:
    """Run `mutmut run` in a staging folder; return the seconds it took."""
    command = [str(Path(sys.executable).with_name("mutmut")), "run"]
    if max_children:
        command += ["--max-children", str(max_children)]
    started = time.perf_counter()
    subprocess.run(command, cwd=folder, check=True)
    return time.perf_counter() - started


def read_results(folder: Path) -> list[Module]:
    """Every mutated module's outcomes in one part's staging folder, from mutmut's .meta files."""
    modules = []
    src = folder / "mutants" / "src"
    for meta in sorted(src.rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        # The comments plugin's modules by their path inside it (as before); the site plugin's with its folder.
        top = src / IMPORT_NAME if meta.is_relative_to(src / IMPORT_NAME) else src
        if data["exit_code_by_key"]:
            modules.append(Module(str(meta.relative_to(top)).removesuffix(".meta"), data["exit_code_by_key"]))
    return modules


def listed_equivalents() -> set[str]:
    """The mutant names tests/MUTATION.md lists as equivalent."""
    return set(_LISTED.findall(EQUIVALENTS.read_text(encoding="utf-8")))


def report(part: str, modules: list[Module], seconds: float) -> list[str]:
    """Print the score per module and overall for one part; return what makes the run fail."""
    failures = []
    listed = listed_equivalents()
    total = sum(len(m.outcomes) for m in modules)
    detected = sum(m.detected for m in modules)
    print(f"\npart {part}\n{'module':<30}{'mutants':>9}{'killed':>8}{'survived':>10}{'score':>8}")
    for module in modules:
        score = module.detected / len(module.outcomes)
        print(f"{module.name:<30}{len(module.outcomes):>9}{module.detected:>8}{len(module.survivors):>10}{score:>8.1%}")
        if module.name in MUST_KILL_ALL and module.survivors:
            failures.append(f"{module.name}: every mutant must be killed")
        if score < MIN_SCORE:
            failures.append(f"{module.name}: score {score:.1%} is below {MIN_SCORE:.0%}")
    score = detected / total if total else 0.0
    print(f"{'overall':<30}{total:>9}{detected:>8}{total - detected:>10}{score:>8.1%}")
    if seconds:
        print(f"run time of part {part}: {seconds:.0f} s")
    if not modules:
        failures.append(f"part {part} has no results: run make mutation PART={part}")
    statuses = Counter(code for m in modules for code in m.outcomes.values() if code not in DETECTED)
    if statuses:
        print("survivors by mutmut exit code:", dict(statuses))
    for module in modules:
        for name in module.survivors:
            if name not in listed:
                failures.append(f"{name} survived and is not listed in tests/MUTATION.md (see: mutmut show {name})")
    mutated = {name for m in modules for name in m.outcomes}
    for name in sorted((listed & mutated) - {name for m in modules for name in m.survivors}):
        print(f"note: {name} is listed in tests/MUTATION.md but was killed")
    return failures


def main() -> int:
    """Stage, run mutmut, report; non-zero exit if the score or a survivor fails the rules."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--part", choices=PARTS, action="append",
                        help="the part to run (repeatable; default: every part, smallest first)")
    parser.add_argument("--max-children", type=int, help="parallel mutant runs (default: CPU count)")
    parser.add_argument("--report-only", action="store_true", help="report the last run without running again")
    args = parser.parse_args()
    failures = []
    for part in args.part or PARTS:
        seconds = 0.0
        folder = STAGE / part
        if not args.report_only:
            stage(part)
            seconds = run_mutmut(folder, args.max_children)
        failures += report(part, read_results(folder), seconds)
    for failure in failures:
        print("FAIL:", failure)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
