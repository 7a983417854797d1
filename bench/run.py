"""Benchmark runner: our build against the floor on the scaled report.

For each N, in one run, each figure the median of --repeat runs:

- floor: bench/floor.py on the same corpus;
- cold: no output, no cache (charts and title cards drawn, indexed with
  --search, typeset with --pdf);
- cold, no PDFs (with --pdf only): the same without the PDFs, so that what
  the PDFs add to a cold build is measured in the same run;
- content: the content pipeline alone, cold: only the drawn images (charts
  and title cards) are kept in the cache, and no PDFs are typeset (the
  issue's target compares this one with the floor);
- no change: the same build again;
- one edit: one paragraph of one section edited, then `build.py` again;
- serve edit: the preview (serve's Builder, in a process of its own) after
  one section's text is saved: the edited pages after words changed within a
  line, and after a line was added (every later paragraph moves, so the
  checks across sections run again), then the whole-report pages.

CPU time and the largest process's peak RSS come from wait4() on the build
(its workers included). The peak memory of the whole process tree is its
proportional set size (PSS: a page the forked workers share with the build
counts once in all), sampled from /proc every 20 ms in one more content
build, not timed: reading /proc costs CPU that would slow the timed runs.
Prints a Markdown table and one JSON line per N.

    python bench/run.py [--sizes 1,10,100] [--repeat 3] [--search] [--pdf] [--dir DIR]

--dir defaults to bench/out. The README's figures were taken with
--dir /dev/shm/reportsite-bench: this VM's disk made the same write 1x to 3x
slower from one minute to the next, which would swamp what is measured.
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
import threading
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from corpus import make_corpus  # noqa: E402

SERVE_PROBE = r"""
import json, re, statistics, sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from reportsite import project
from reportsite.serve import Builder
corpus, out, cache, rounds = Path(sys.argv[2]), Path(sys.argv[3]), Path(sys.argv[4]), int(sys.argv[5])
builder = Builder(project.make(Path(sys.argv[1]), corpus, cache), out)
assert builder.build(None).ok
body = sorted(corpus.glob("sections/*/03-restructuring/body.en.md"))[0]
times = {"words": ([], []), "lines": ([], [])}
for i in range(rounds):
    for kind in times:
        text = body.read_text(encoding="utf-8")
        if kind == "words":  # words changed within a line: every paragraph keeps its lines
            text = re.sub(r"(approximately \$1\.9 million\.)( \(serve \d+\))?", rf"\1 (serve {i})", text, count=1)
        else:  # a line added or taken away at the top: every paragraph after it moves
            text = (text.replace("---\n\n\n", "---\n\n", 1) if "---\n\n\n" in text
                    else text.replace("---\n\n", "---\n\n\n", 1))
        body.write_text(text, encoding="utf-8")
        start = time.perf_counter()
        state = builder.build({body.resolve()})
        assert state.ok and "load" not in state.stages, state
        times[kind][0].append(time.perf_counter() - start)
        start = time.perf_counter()
        state.then()
        times[kind][1].append(time.perf_counter() - start)
print(json.dumps({"edited": statistics.median(times["words"][0]), "edited_lines": statistics.median(times["lines"][0]),
                  "whole": statistics.median(times["words"][1] + times["lines"][1])}))
"""


def tree_pss_kib(pid: int) -> int:
    """Proportional set size of a process and its descendants: a page shared by k processes counts 1/k in each."""
    total, stack = 0, [pid]
    while stack:
        p = stack.pop()
        try:
            with open(f"/proc/{p}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    stack.extend(int(c) for c in f.read().split())
        except (OSError, StopIteration):
            continue
    return total


def measure_child(cmd: list[str], memory: bool = False) -> dict:
    """Wall, CPU (user+sys, children included), peak RSS of the largest process; with `memory`, the peak
    PSS of the whole tree too (sampling costs CPU: such a run is not timed)."""
    os.sync()  # earlier writes are not flushed on this run's time
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    peak = [0]
    done = threading.Event()

    def sample() -> None:
        while memory and not done.is_set():
            peak[0] = max(peak[0], tree_pss_kib(proc.pid))
            done.wait(0.02)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    output = proc.stdout.read().decode()  # type: ignore[union-attr]
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    done.set()
    sampler.join()
    if status != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{output[-2000:]}")
    stages = {}
    if "stages:" in output:
        stages = {k: int(v) / 1000 for k, v in re.findall(r"(\w+) (\d+) ms", output.split("stages:")[-1])}
    return {"wall": wall, "cpu": usage.ru_utime + usage.ru_stime, "rss_mib": usage.ru_maxrss / 1024,
            "tree_pss_mib": peak[0] / 1024, "stages": stages, "output": output}


def median_of(runs: list[dict]) -> dict:
    keys = {k for r in runs for k in r["stages"]}
    return {
        "wall": statistics.median(r["wall"] for r in runs),
        "cpu": statistics.median(r["cpu"] for r in runs),
        "rss_mib": max(r["rss_mib"] for r in runs),
        "tree_pss_mib": max(r["tree_pss_mib"] for r in runs),  # 0 unless measured
        "stages": {k: statistics.median(r["stages"].get(k, 0.0) for r in runs) for k in sorted(keys)},
    }


def edit_one_section(corpus: Path, round_: int) -> None:
    body = sorted(corpus.glob("sections/*/03-restructuring/body.en.md"))[0]
    text = body.read_text(encoding="utf-8")
    text = re.sub(r"(approximately \$1\.9 million\.)( \(edit \d+\))?", rf"\1 (edit {round_})", text, count=1)
    body.write_text(text, encoding="utf-8")


def clear(*paths: Path) -> None:
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)


def bench_size(n: int, repeat: int, search: bool, pdf: bool, work: Path) -> dict:
    corpus = make_corpus(n, work / f"corpus-{n}")
    site, cache, floor_out = work / f"site-{n}", work / f"cache-{n}", work / f"floor-{n}"
    spare = site.parent / f".{site.name}.spare"
    py = sys.executable
    build = [py, "build.py", "--content", str(corpus), "--out", str(site), "--cache", str(cache)] \
        + ([] if search else ["--no-search"])
    content = build + ["--no-pdf"]
    runs: dict[str, list[dict]] = {k: [] for k in ("floor", "cold", "cold_no_pdf", "content", "no_change", "one_edit")}
    for i in range(repeat):
        clear(floor_out)
        runs["floor"].append(measure_child([py, str(BENCH / "floor.py"), str(corpus), str(floor_out)]))
        if pdf:
            clear(site, spare, cache)
            runs["cold_no_pdf"].append(measure_child(content))
        clear(site, spare, cache)
        runs["cold"].append(measure_child(build + ([] if pdf else ["--no-pdf"])))
        runs["no_change"].append(measure_child(build + ([] if pdf else ["--no-pdf"])))
        edit_one_section(corpus, i)
        runs["one_edit"].append(measure_child(build + ([] if pdf else ["--no-pdf"])))
        # Keep the drawn images, drop every other cache and the output: the content pipeline, cold.
        for entry in cache.iterdir():
            if entry.name not in ("charts", "cards"):
                clear(entry) if entry.is_dir() else entry.unlink()
        clear(site, spare)
        runs["content"].append(measure_child(content))
    if not pdf:
        del runs["cold_no_pdf"]
    clear(site, spare, cache / "builds")
    (cache / "inputs.json").unlink(missing_ok=True)
    memory = measure_child(content, memory=True)
    probe = subprocess.run([py, "-c", SERVE_PROBE, str(ROOT), str(corpus), str(work / f"serve-{n}"), str(cache),
                            str(max(5, repeat))], cwd=ROOT, capture_output=True, text=True, check=True)
    serve = json.loads(probe.stdout.strip().splitlines()[-1])
    pages = int(re.search(r"built (\d+) pages", runs["cold"][0]["output"]).group(1))  # type: ignore[union-attr]
    m = {k: median_of(v) for k, v in runs.items()}
    m["content"]["tree_pss_mib"] = memory["tree_pss_mib"]
    return {
        "n": n, "pages": pages, "repeat": repeat, "search": search, "pdf": pdf, **m, "serve_edit": serve,
        "ratio_cpu": m["content"]["cpu"] / m["floor"]["cpu"], "ratio_wall": m["content"]["wall"] / m["floor"]["wall"],
        "pages_per_s": pages / m["content"]["wall"],
        "no_change_share": m["no_change"]["wall"] / m["cold"]["wall"],
    }


def table(results: list[dict]) -> str:
    pdf = any(r["pdf"] for r in results)
    lines = ["| N | pages | floor wall / CPU | content pipeline wall / CPU | ratio wall / CPU | pages/s "
             "| cold, all stages" + (" / without PDFs" if pdf else "") + " | no change | one edit "
             "| serve edit: words / lines / whole-report pages | peak memory: largest RSS / tree PSS |",
             "|---|---|---|---|---|---|---|---|---|---|---|"]
    for r in results:
        cold = f"{r['cold']['wall']:.2f} s" + (f" / {r['cold_no_pdf']['wall']:.2f} s" if r["pdf"] else "")
        lines.append(
            f"| {r['n']} | {r['pages']} | {r['floor']['wall']:.2f} / {r['floor']['cpu']:.2f} s "
            f"| {r['content']['wall']:.2f} / {r['content']['cpu']:.2f} s "
            f"| {r['ratio_wall']:.2f} / {r['ratio_cpu']:.2f} | {r['pages_per_s']:.0f} "
            f"| {cold} | {r['no_change']['wall'] * 1000:.0f} ms "
            f"| {r['one_edit']['wall']:.2f} s "
            f"| {r['serve_edit']['edited'] * 1000:.0f} / {r['serve_edit']['edited_lines'] * 1000:.0f} / "
            f"{r['serve_edit']['whole'] * 1000:.0f} ms "
            f"| {r['content']['rss_mib']:.0f} / {r['content']['tree_pss_mib']:.0f} MiB |")
    lines.append("")
    lines.append("Content pipeline stages (s, wall): " + "; ".join(
        f"N={r['n']}: " + " ".join(f"{k} {v:.2f}" for k, v in r["content"]["stages"].items()) for r in results))
    lines.append("")
    lines.append("Cold build stages (s, wall): " + "; ".join(
        f"N={r['n']}: " + " ".join(f"{k} {v:.2f}" for k, v in r["cold"]["stages"].items()) for r in results))
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1,10,100")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--search", action="store_true", help="include the search index")
    parser.add_argument("--pdf", action="store_true", help="include the PDFs in the cold builds")
    parser.add_argument("--dir", type=Path, default=BENCH / "out", help="where corpora, sites and caches go")
    args = parser.parse_args()
    args.dir.mkdir(parents=True, exist_ok=True)
    results = [bench_size(int(n), args.repeat, args.search, args.pdf, args.dir) for n in args.sizes.split(",")]
    print(table(results))
    for r in results:
        timed = [k for k in ("floor", "cold", "cold_no_pdf", "content", "no_change", "one_edit") if k in r]
        print(json.dumps({k: v for k, v in r.items() if k not in timed}
                         | {k: {x: y for x, y in r[k].items() if x != "output"} for k in timed}, sort_keys=True))


if __name__ == "__main__":
    main()
