"""Benchmark runner: our build against the floor on the scaled report.

For each N: a cold build (no output, no cache), a rebuild with nothing
changed, and a rebuild after editing one paragraph of one section; the floor
(bench/floor.py) on the same corpus in the same run. Every figure is the
median of --repeat runs; CPU time and peak memory come from wait4() on the
build process (its children included). Prints a Markdown table and one JSON
line per N.

    python bench/run.py [--sizes 1,10,100] [--repeat 3] [--search]
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
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
sys.path.insert(0, str(BENCH))

from corpus import make_corpus  # noqa: E402


def measure_child(cmd: list[str]) -> dict:
    """Wall, CPU (user+sys, children included) and peak RSS of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    output = proc.stdout.read().decode()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{output[-2000:]}")
    stages = {}
    if "stages:" in output:
        stages = {k: int(v) / 1000 for k, v in re.findall(r"(\w+) (\d+) ms", output.split("stages:")[-1])}
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mib": usage.ru_maxrss / 1024,
            "stages": stages}


def median_of(runs: list[dict]) -> dict:
    keys = {k for r in runs for k in r["stages"]}
    return {
        "wall": statistics.median(r["wall"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "rss_mib": max(r["rss_mib"] for r in runs),
        "stages": {k: statistics.median(r["stages"].get(k, 0.0) for r in runs) for k in sorted(keys)},
    }


def edit_one_section(corpus: Path, round_: int) -> None:
    body = sorted(corpus.glob("sections/*/03-restructuring/body.en.md"))[0]
    text = body.read_text(encoding="utf-8")
    text = re.sub(r"(approximately \$1\.9 million\.)( \(edit \d+\))?", rf"\1 (edit {round_})", text, count=1)
    body.write_text(text, encoding="utf-8")


def bench_size(n: int, repeat: int, search: bool) -> dict:
    corpus = make_corpus(n, OUT / f"corpus-{n}")
    site, cache, floor_out = OUT / f"site-{n}", OUT / f"cache-{n}", OUT / f"floor-{n}"
    py = sys.executable
    build = [py, "build.py", "--content", str(corpus), "--out", str(site)] + ([] if search else ["--no-search"])
    env_cache = ["--cache", str(cache)]
    floor_runs, cold_runs, warm_runs, edit_runs = [], [], [], []
    for i in range(repeat):
        shutil.rmtree(floor_out, ignore_errors=True)
        floor_runs.append(measure_child([py, str(BENCH / "floor.py"), str(corpus), str(floor_out)]))
        for path in (site, cache, site.parent / f".{site.name}.spare"):
            shutil.rmtree(path, ignore_errors=True)
        cold_runs.append(measure_child(build + env_cache))
        warm_runs.append(measure_child(build + env_cache))
        edit_one_section(corpus, i)
        edit_runs.append(measure_child(build + env_cache))
    pages = sum(1 for _ in site.rglob("*.html"))
    floor, cold, warm, edit = map(median_of, (floor_runs, cold_runs, warm_runs, edit_runs))
    content = sum(v for k, v in cold["stages"].items() if k not in ("charts", "search"))
    return {
        "n": n, "pages": pages, "repeat": repeat,
        "floor": floor, "cold": cold, "no_change": warm, "one_edit": edit,
        "content_pipeline_s": content,
        "ratio_cpu": cold["cpu"] / floor["cpu"], "ratio_wall": cold["wall"] / floor["wall"],
        "pages_per_s": pages / cold["wall"],
        "no_change_share": warm["wall"] / cold["wall"],
    }


def table(results: list[dict]) -> str:
    lines = ["| N | pages | floor wall / CPU | cold wall / CPU | ratio wall / CPU | no change | one edit | peak RSS | pages/s | stages (cold, s) |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        stages = " ".join(f"{k} {v:.2f}" for k, v in r["cold"]["stages"].items())
        lines.append(
            f"| {r['n']} | {r['pages']} | {r['floor']['wall']:.2f} / {r['floor']['cpu']:.2f} s "
            f"| {r['cold']['wall']:.2f} / {r['cold']['cpu']:.2f} s | {r['ratio_wall']:.2f} / {r['ratio_cpu']:.2f} "
            f"| {r['no_change']['wall']:.2f} s | {r['one_edit']['wall']:.2f} s | {r['cold']['rss_mib']:.0f} MiB "
            f"| {r['pages_per_s']:.0f} | {stages} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,10,100")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--search", action="store_true", help="include the search index")
    args = parser.parse_args()
    results = [bench_size(int(n), args.repeat, args.search) for n in args.sizes.split(",")]
    print(table(results))
    for r in results:
        print(json.dumps({k: v for k, v in r.items()}, sort_keys=True))


if __name__ == "__main__":
    main()
