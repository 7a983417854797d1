"""Benchmark: our search stage against the Pagefind command line on the same pages.

Target: "Search indexing no slower than the Pagefind command line indexing
the same pages". For each N the scaled report (bench/corpus.py) is built once
without search (`build.py --no-search`) to get its HTML; then, --repeat times
each, in fresh processes:

  ours  `search.build_index(site, stage, diags, None, items)` alone, as the
        build calls it, into an empty directory with no cache, so the index is
        really built. Load and parse are not timed; making the records
        (`search.records`, done by the shards during render in a build) is
        timed apart ("record prep"). CPU = this process's CPU in the stage
        plus the pagefind binary it runs as a child
        (getrusage(RUSAGE_CHILDREN) delta), also shown split.
  cli   the pagefind binary shipped in the venv (the one our stage drives),
        `--site SITE --output-path TMP`. CPU from wait4().

Every figure is the median of the runs. The two do not index the same
things: the CLI indexes every HTML page whole (home, 404, the full report and
the side-by-side pages too), our stage sends one custom record per
paragraph, title, figure, footnote and summary; the table gives both counts.
Prints a Markdown table and one JSON line per N.

    .venv/bin/python bench/search_vs_cli.py [--sizes 1,10,100] [--repeat 3] [--dir DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"  # default --dir, shared with bench/run.py; our names start with "svc-" so the two never collide
sys.path.insert(0, str(BENCH))

from corpus import make_corpus  # noqa: E402

# Run with `python -c` in a fresh interpreter so each run pays the same
# imports and no run finds the previous one's state (a warm event loop, a
# loaded site). Only build_index is timed.
OUR_STAGE = r"""
import json, resource, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from reportsite import search
from reportsite.errors import Diagnostics
from reportsite.load import load_site
from reportsite.pipeline import parse_site

content, stage = Path(sys.argv[2]), Path(sys.argv[3])
diags = Diagnostics()
# load_and_check keeps only a slim parse (no text) in this process, the
# shards hold the rest; parse here in full so records() has the text.
site = load_site(content, diags)
assert site is not None and not diags.errors, "corpus does not load"
site = parse_site(site, diags)
assert not diags.errors, "corpus does not parse"

def children():
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    return u.ru_utime + u.ru_stime

# The build makes the records in its shards, while rendering, and hands them
# to build_index: time that preparation apart, then the stage as the build runs it.
prep0 = time.perf_counter()
items = list(search.records(site))
prep = time.perf_counter() - prep0
wall0, cpu0, kids0 = time.perf_counter(), time.process_time(), children()
search.build_index(site, stage, diags, None, items)  # no cache dir: nothing read from or stored in a cache
wall, cpu, kids = time.perf_counter() - wall0, time.process_time() - cpu0, children() - kids0
assert not diags.errors, "search index not built"
print(json.dumps({"wall": wall, "cpu": cpu + kids, "cpu_python": cpu, "cpu_binary": kids,
                  "prep": prep, "records": len(items)}))
"""


def pagefind_binary() -> str:
    from pagefind.service import get_executable  # the same lookup the Python API uses

    return str(get_executable().resolve())


def indexed_pages(bundle: Path) -> int:
    """Pages (for us: records) in a written index, from its entry file, by the same rule for both."""
    entry = json.loads((bundle / "pagefind-entry.json").read_text(encoding="utf-8"))
    return sum(lang["page_count"] for lang in entry["languages"].values())


def run_ours(corpus: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="svc-ours-", dir=OUT) as stage:
        proc = subprocess.run([sys.executable, "-c", OUR_STAGE, str(ROOT), str(corpus), stage],
                              cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"our stage failed:\n{proc.stderr[-2000:]}")
        result = json.loads(proc.stdout.strip().splitlines()[-1])
        result["indexed"] = indexed_pages(Path(stage) / "pagefind")
    return result


def run_cli(binary: str, site: Path) -> dict:
    with tempfile.TemporaryDirectory(prefix="svc-cli-", dir=OUT) as out:
        # --output-path outside SITE: the built site stays as it is between runs.
        cmd = [binary, "--site", str(site), "--output-path", str(Path(out) / "pagefind")]
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        output = proc.stdout.read().decode()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        if status != 0:
            raise SystemExit(f"{' '.join(cmd)} failed:\n{output[-2000:]}")
        said = re.search(r"Indexed (\d+) pages", output)
        return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime,
                "said_pages": int(said.group(1)) if said else None,
                "indexed": indexed_pages(Path(out) / "pagefind")}


def median_of(runs: list[dict]) -> dict:
    return {k: statistics.median(r[k] for r in runs) if isinstance(runs[0][k], float) else runs[0][k]
            for k in runs[0]}


def bench_size(n: int, repeat: int, binary: str) -> dict:
    corpus, site, cache = OUT / f"svc-corpus-{n}", OUT / f"svc-site-{n}", OUT / f"svc-cache-{n}"
    make_corpus(n, corpus)
    for path in (site, site.parent / f".{site.name}.spare"):
        shutil.rmtree(path, ignore_errors=True)
    # The build cache only speeds up the charts of this one-off build; neither side reads it.
    build = subprocess.run([sys.executable, "build.py", "--content", str(corpus), "--out", str(site),
                            "--no-search", "--cache", str(cache)], cwd=ROOT, capture_output=True, text=True)
    if build.returncode != 0:
        raise SystemExit(f"build failed:\n{build.stdout[-2000:]}{build.stderr[-2000:]}")
    ours_runs, cli_runs = [], []
    for _ in range(repeat):  # alternated, so a slow moment of the machine hits both
        ours_runs.append(run_ours(corpus))
        cli_runs.append(run_cli(binary, site))
    ours, cli = median_of(ours_runs), median_of(cli_runs)
    return {"n": n, "pages": sum(1 for _ in site.rglob("*.html")), "repeat": repeat, "ours": ours, "cli": cli,
            "ratio_wall": ours["wall"] / cli["wall"], "ratio_cpu": ours["cpu"] / cli["cpu"]}


def table(results: list[dict]) -> str:
    lines = ["| N | HTML pages | ours: records / indexed | CLI: pages said / indexed | ours wall / CPU "
             "| CLI wall / CPU | ours/CLI wall / CPU | ours CPU: Python / binary | ours record prep |",
             "|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        o, c = r["ours"], r["cli"]
        lines.append(
            f"| {r['n']} | {r['pages']} | {o['records']} / {o['indexed']} | {c['said_pages']} / {c['indexed']} "
            f"| {o['wall']:.2f} / {o['cpu']:.2f} s | {c['wall']:.2f} / {c['cpu']:.2f} s "
            f"| {r['ratio_wall']:.2f} / {r['ratio_cpu']:.2f} | {o['cpu_python']:.2f} / {o['cpu_binary']:.2f} s "
            f"| {o['prep']:.2f} s |")
    return "\n".join(lines)


def main() -> None:
    global OUT
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,10")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--dir", type=Path, default=OUT,
                        help="where corpora, sites and both indexes go (a tmpfs keeps disk noise out)")
    args = parser.parse_args()
    OUT = args.dir
    OUT.mkdir(parents=True, exist_ok=True)
    binary = pagefind_binary()
    results = [bench_size(int(n), args.repeat, binary) for n in args.sizes.split(",")]
    print(table(results))
    for r in results:
        print(json.dumps(r, sort_keys=True))


if __name__ == "__main__":
    main()
