"""Profile: CPU per component of the content pipeline, in one process.

Runs the parts of a build one after the other over a corpus (made by
bench/corpus.py) and times each with time.process_time(), without a
profiler's overhead: the load, Markdown, the checks across sections, the
text checks, stale translations, the three kinds of section page, the
whole-report parts and the write. Charts are drawn (or taken from the cache)
before the timing starts. Prints a Markdown table.

    .venv/bin/python bench/breakdown.py CORPUS [--cache DIR] [--out DIR]
"""
from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportsite.shard import parse_section  # noqa: E402

from reportsite import charts, pipeline, render, status, validate  # noqa: E402
from reportsite.errors import Diagnostics  # noqa: E402
from reportsite.load import load_site  # noqa: E402
from reportsite.write import Writer  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("corpus", type=Path)
    parser.add_argument("--cache", type=Path, default=ROOT / ".cache", help="chart cache")
    parser.add_argument("--out", type=Path, default=Path(tempfile.gettempdir()) / "reportsite-breakdown")
    args = parser.parse_args()
    times: dict[str, float] = {}

    def lap(name: str, start: float) -> None:
        times[name] = times.get(name, 0.0) + time.process_time() - start

    diags = Diagnostics()
    t = time.process_time()
    site = load_site(args.corpus, diags)
    lap("load (files, YAML with positions, front matter)", t)
    assert site is not None and not diags.errors, "corpus does not load"
    t = time.process_time()
    site = replace(site, sections=tuple(parse_section(site, s, diags) for s in site.sections))
    lap("Markdown (markdown-it-py and our rules)", t)
    t = time.process_time()
    validate.validate_global(site, diags)
    lap("checks across sections", t)
    t = time.process_time()
    for s in site.sections:
        validate.validate_text(site, s, diags)
    lap("text checks: quantities and glossary terms", t)
    t = time.process_time()
    lock = status.lock_for_checks(site, diags)
    if lock is not None:
        status.stale_in(site, site.sections, lock, diags)
    lap("stale translations", t)

    files = charts.render_assets(list(site.charts.values()), site.report.languages, args.cache, Diagnostics())
    heads = {name: data[:2048] for name, data in files.items()}
    renderer = render.Renderer(site, pipeline.TEMPLATES, pipeline.ASSETS, heads, render.tables(site))
    parts = render.Parts(Path(tempfile.mkdtemp()), 0)
    pages = []
    index = {s.id: i for i, s in enumerate(renderer.order)}
    t = time.process_time()
    for s in site.sections:
        for lang in site.report.languages:
            pages.append(renderer.section_page(s, lang, index[s.id]))
    lap("section pages (one per language)", t)
    t = time.process_time()
    for s in site.sections:
        pages.append(renderer.parallel_page(s, renderer.parallel_rows_html(s)))
    lap("side-by-side pages (one per section)", t)
    t = time.process_time()
    for s in site.sections:
        for lang in site.report.languages:
            parts.add(f"full.{lang}", renderer.full_part(s, lang))
        parts.add("parallel", renderer.parallel_heading_row(s) + renderer.parallel_rows_html(s))
    parts.close()
    lap("whole-report page parts", t)
    shutil.rmtree(args.out, ignore_errors=True)
    writer = Writer(args.out, {})
    t = time.process_time()
    for rel, data in pages:
        writer.put(rel, data)
    lap("write (hash, folders, files)", t)

    total = sum(times.values())
    print(f"| component ({len(site.sections)} sections, {len(pages)} section pages) | CPU | share |")
    print("|---|---|---|")
    for name, value in times.items():
        print(f"| {name} | {value:.2f} s | {100 * value / total:.0f} % |")
    print(f"| total | {total:.2f} s | |")


if __name__ == "__main__":
    main()
