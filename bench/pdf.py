"""Benchmark: each PDF of a report, typeset alone, as a build's worker does it.

For every PDF (one per language, one per pair) of a content folder (the real
report by default): its size, its page count (poppler's pdfinfo), and the
median of --repeat typesettings, each in a freshly forked process (as in a
build: Typst's fonts are loaded by the process that typesets), wall time and
CPU. The data and template are prepared once, in this process, as the build
does before it hands the job to a worker. Prints a Markdown table.

    .venv/bin/python bench/pdf.py [CONTENT] [--repeat 5]

What a build's wall time grows by with the PDFs is measured by
`bench/run.py --pdf`, which times cold builds with and without them.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportsite import charts, pdf, pipeline, project  # noqa: E402
from reportsite.errors import Diagnostics  # noqa: E402
from reportsite.render import Context, Products  # noqa: E402


def _compile(files: dict[str, bytes], font_dir: str) -> tuple[bytes | None, str, float]:
    start = time.perf_counter()
    data, message = pdf._compile(files, font_dir)
    return data, message, time.perf_counter() - start


def typeset_once(job: pdf.Job, font_dir: str) -> tuple[bytes, float, float]:
    """(the PDF, wall seconds of the compile in the worker, CPU seconds of the worker)."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        before = os.times()
        data, message, wall = pool.submit(_compile, job.files, font_dir).result()
    after = os.times()
    assert data is not None, message
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return data, wall, cpu


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("content", type=Path, nargs="?", default=ROOT / "content")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    proj = project.make(ROOT, args.content, None)
    diags = Diagnostics()
    checked = pipeline.load_and_check(proj, diags, pipeline.Timer({}))
    assert checked is not None and not diags.errors, [str(d) for d in diags.sorted()]
    site = checked.site
    fonts = tuple(p for p in (proj.find("assets", f) for f in charts.FONTS) if p is not None)
    grouping = site.report.number_grouping
    langs = [charts.ChartLanguage(lang.tag, grouping.get(lang.tag, "")) for lang in site.report.languages]
    keys, _, todo = charts.cached(list(site.charts.values()), langs, fonts, None)
    drawn, _ = charts.draw_charts(todo, fonts, None)
    ctx = Context(site, checked.refs, proj, Products(chart_keys=keys))
    font_files = sorted(p for p in proj.theme_files("assets", "fonts").values() if p.suffix in (".ttf", ".otf"))
    start = time.perf_counter()
    jobs = pdf.jobs(ctx, pdf.environment(ctx), {k: v["light"] for k, v in drawn.items()}, font_files)
    prepare = time.perf_counter() - start
    print(f"| PDF ({args.content}; median of {args.repeat}, each in a new worker) | size | pages "
          "| typesetting wall | worker CPU |")
    print("|---|---|---|---|---|")
    for job in jobs:
        walls, cpus = [], []
        for _ in range(args.repeat):
            data, wall, cpu = typeset_once(job, str(font_files[0].parent))
            walls.append(wall)
            cpus.append(cpu)
        with tempfile.NamedTemporaryFile(suffix=".pdf") as tmp:
            tmp.write(data)
            tmp.flush()
            info = subprocess.run(["pdfinfo", tmp.name], capture_output=True, text=True, check=True).stdout
        pages = re.search(r"^Pages:\s+(\d+)", info, re.M)
        print(f"| {job.url} | {len(data) / 1024:.0f} KiB | {pages.group(1) if pages else '?'} "
              f"| {statistics.median(walls):.2f} s | {statistics.median(cpus):.2f} s |")
    print(f"\nData and template of all {len(jobs)} PDFs, prepared in the build's process: {prepare:.2f} s")


if __name__ == "__main__":
    main()
