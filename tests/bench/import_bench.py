"""Import benchmark: a WordPress export of 10,000 comments into a synthetic site, timed as the command runs.

It generates 200 articles (sitegen.py, seeded) and a WXR file holding 50
comments on each, threaded up to 10 deep, in the 80/10/5/5 status mix, with
HTML bodies, plus pingbacks. Then it times `reader-comments-migrate import
wordpress` (a fresh interpreter each time) three ways: a dry run, the real run
(10,000 files written together by comment_format.write_new_all: each flushed,
each folder flushed once) and a repeat run (nothing to add), each the median of
--runs runs, and checks the result with `reader-comments check`. Wall and CPU
seconds are both reported: on a shared machine the wall time follows the load.

    .venv/bin/python tests/bench/import_bench.py [--articles 200] [--comments 50] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import escape

from markdown_it import MarkdownIt
from sitegen import OFFSET, REPO, SiteSpec, article_comments, generate

# The console scripts installed beside this interpreter (make venv-dev).
BIN = Path(sys.executable).parent

# Reading, converting and checking 10,000 comments; then also creating 10,000 durable files.
TARGETS = {"dry_run": 5.0, "real_run": 10.0}
WP_STATUS = {"approved": "1", "pending": "0", "spam": "spam", "rejected": "trash"}
_DATE_LINE = re.compile(r"^Date: (\d{4})-(\d\d)-(\d\d) (\d\d:\d\d)$", re.MULTILINE)


def cdata(text: str) -> str:
    """Text as a CDATA section (a `]]>` inside is split, as WordPress does)."""
    return "<![CDATA[" + text.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def wxr_item(slug: str, year: str, post_id: int, comments: list[dict], render, next_id: int) -> tuple[str, int]:
    """One <item> with its comments; returns the XML and the next free comment id."""
    numbers: dict[str, int] = {}
    parts = [f"<item><title>{escape(slug)}</title><link>https://old.example/{year}/{slug}/</link>"
             f"<wp:post_id>{post_id}</wp:post_id><wp:post_name>{cdata(slug)}</wp:post_name>"
             f"<wp:post_type>{cdata('post')}</wp:post_type>"]
    for fields in comments:
        numbers[str(fields["id"])] = next_id
        parent = numbers.get(str(fields["reply_to"]), 0) if fields["reply_to"] else 0
        parts.append(
            f"<wp:comment><wp:comment_id>{next_id}</wp:comment_id>"
            f"<wp:comment_author>{cdata(str(fields['author']))}</wp:comment_author>"
            f"<wp:comment_author_email>{cdata('reader@mail.example')}</wp:comment_author_email>"
            f"<wp:comment_author_url>{escape(str(fields.get('website') or ''))}</wp:comment_author_url>"
            f"<wp:comment_author_IP>{cdata('192.0.2.1')}</wp:comment_author_IP>"
            f"<wp:comment_date>{cdata(str(fields['date'])[:19].replace('T', ' '))}</wp:comment_date>"
            f"<wp:comment_date_gmt>{cdata('')}</wp:comment_date_gmt>"
            f"<wp:comment_content>{cdata(render(str(fields['body'])))}</wp:comment_content>"
            f"<wp:comment_approved>{cdata(WP_STATUS[str(fields['status'])])}</wp:comment_approved>"
            f"<wp:comment_type>{cdata('comment')}</wp:comment_type>"
            f"<wp:comment_parent>{parent}</wp:comment_parent></wp:comment>"
        )
        next_id += 1
    parts.append(f"<wp:comment><wp:comment_id>{next_id}</wp:comment_id><wp:comment_content>{cdata('ping')}"
                 f"</wp:comment_content><wp:comment_approved>1</wp:comment_approved>"
                 f"<wp:comment_type>pingback</wp:comment_type></wp:comment></item>")
    return "".join(parts), next_id + 1


def make_source(root: Path, articles: int, comments: int) -> tuple[Path, Path, int]:
    """A synthetic site's content folder and a WXR export of comments for it; returns them and the comment count."""
    content = root / "content"
    spec = SiteSpec(articles, comments)
    stats = generate(content, spec, with_comments=False)
    rng = random.Random(11)
    render = MarkdownIt("commonmark").render
    items, next_id, total = [], 1000, 0
    for post_id, slug in enumerate(stats.slugs, start=1):
        year, month, day, clock = _DATE_LINE.search((content / "posts" / f"{slug}.md").read_text()).groups()
        start = datetime.fromisoformat(f"{year}-{month}-{day}T{clock}").replace(tzinfo=OFFSET)
        thread = article_comments(rng, spec, start)
        item, next_id = wxr_item(slug, year, post_id, thread, render, next_id)
        items.append(item)
        total += len(thread)
    source = root / "export.xml"
    source.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:wp="http://wordpress.org/export/1.2/">'
        f"<channel><title>Old</title><wp:wxr_version>1.2</wp:wxr_version>{''.join(items)}</channel></rss>\n",
        encoding="utf-8",
    )
    return content, source, total


def timed(args: list[str]) -> tuple[float, float, subprocess.CompletedProcess]:
    """Wall time and CPU time (user + system) of one command of the installed package."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), done


def measure(name: str, args: list[str], runs: int, reset: Path | None) -> dict[str, float] | None:
    """Median wall and CPU seconds of `runs` runs; `reset` (a comments folder) is removed before each."""
    walls, cpus = [], []
    for _ in range(runs):
        if reset is not None:
            shutil.rmtree(reset, ignore_errors=True)
        wall, cpu, done = timed(args)
        if done.returncode != 0:
            print(done.stdout + done.stderr, file=sys.stderr)
            return None
        walls.append(wall)
        cpus.append(cpu)
    result = {"wall": round(statistics.median(walls), 2), "cpu": round(statistics.median(cpus), 2)}
    print(f"{name:<11} wall {result['wall']:6.2f} s  cpu {result['cpu']:6.2f} s   {done.stdout.splitlines()[0]}")
    return result


def main() -> int:
    """Generate, import three ways, check, and report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=200)
    parser.add_argument("--comments", type=int, default=50)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="import-bench-") as tmp:
        content, source, total = make_source(Path(tmp), args.articles, args.comments)
        site = ["--settings", str(REPO / "pelicanconf.py"), "--content", str(content)]
        base = [str(BIN / "reader-comments-migrate"), "import", "wordpress", str(source), *site]
        results = {
            "dry_run": measure("dry run", [*base, "--dry-run"], args.runs, None),
            "real_run": measure("real run", base, args.runs, content / "comments"),
            "repeat_run": measure("repeat run", base, 1, None),
        }
        if not all(results.values()):
            return 1
        written = sum(1 for _ in (content / "comments").rglob("*.yaml"))
        _, _, done = timed([str(BIN / "reader-comments"), *site, "check"])
        print(f"check       {done.stdout.strip().splitlines()[-1]}")
    load = os.getloadavg()[0]
    fast = all(results[name]["wall"] <= limit for name, limit in TARGETS.items())
    ok = written == total and done.returncode == 0 and fast
    summary = {"comments": total, "files_written": written, "seconds": results, "targets": TARGETS,
               "cpus": os.cpu_count(), "load_average": round(load, 2), "ok": ok}
    print(f"{total:,} comments, {written:,} files; dry run {results['dry_run']['wall']} s (target {TARGETS['dry_run']} s), "
          f"real run {results['real_run']['wall']} s (target {TARGETS['real_run']} s); "
          f"load average {load:.1f} on {os.cpu_count()} cores: {'PASS' if ok else 'FAIL'}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
