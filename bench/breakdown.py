"""Profile: CPU per stage of a build, in one process, no cache.

Runs the stages of `pipeline.build` one after the other over a content
folder (the real report by default, or a corpus made by bench/corpus.py)
and times each with time.process_time() (this process) or the children's
CPU (the stages that run in a child: the charts, the title cards and each
PDF), without a profiler's overhead. What the build runs beside the rest
(charts, cards, PDFs, search) is timed alone here, so the table says what
each costs, not what it adds to the wall time. Prints a Markdown table.

    .venv/bin/python bench/breakdown.py [CONTENT] [--repeat 3]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from reportsite import cards, charts, pages, pdf, pipeline, project, search, write  # noqa: E402
from reportsite.errors import Diagnostics  # noqa: E402
from reportsite.render import Context, Products  # noqa: E402


def in_child(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    """Run fn in a fresh forked process (cold caches, like a build's worker); its result and CPU seconds."""
    with ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork")) as pool:
        before = os.times()
        result = pool.submit(fn, *args).result()
    after = os.times()
    return result, (after.children_user - before.children_user) + (after.children_system - before.children_system)


def _timed(fn: Callable[..., Any], *args: Any) -> tuple[Any, float]:
    start = time.process_time()
    result = fn(*args)
    return result, time.process_time() - start


def _draw(todo: list[Any], fonts: tuple[Path, ...]) -> Any:
    charts.warm_up(fonts)
    return charts.draw_charts(todo, fonts, None)


def _compile(job: pdf.Job, font_dir: str) -> Any:
    return pdf._compile(job.files, font_dir)


def once(content: Path) -> dict[str, float]:
    times: dict[str, float] = {}
    proj = project.make(ROOT, content, None)
    diags = Diagnostics()
    t = time.process_time()
    checked = pipeline.load_and_check(proj, diags, pipeline.Timer({}))
    times["load, parse, validate"] = time.process_time() - t
    assert checked is not None and not diags.errors, [str(d) for d in diags.sorted()]
    site = checked.site
    fonts = tuple(p for p in (proj.find("assets", f) for f in charts.FONTS) if p is not None)
    grouping = site.report.number_grouping
    langs = [charts.ChartLanguage(lang.tag, grouping.get(lang.tag, "")) for lang in site.report.languages]
    keys, _, todo = charts.cached(list(site.charts.values()), langs, fonts, None)
    (drawn, _), times[f"charts: {len(todo)} drawn, with matplotlib's import (child)"] = in_child(_draw, todo, fonts)
    made = Products(chart_keys=keys)
    t = time.process_time()
    ctx = Context(site, checked.refs, proj, made)
    rendered = list(pages.render_all(ctx))
    times[f"render: {sum(1 for r, _ in rendered if r.endswith('.html'))} pages"] = time.process_time() - t
    made.chart_images = drawn
    t = time.process_time()
    rendered += list(pages.render_drawn(ctx))
    times["figure files (SVG, PNG, CSV, JSON)"] = time.process_time() - t
    todo_cards = pages.cards(ctx)
    drawn_cards, times[f"title cards: {len(todo_cards)} (child)"] = in_child(cards.draw_cards, todo_cards, None)
    rendered += list(drawn_cards.items())
    items, times["search records"] = _timed(lambda: list(search.records(ctx)))
    start = os.times()
    wall = time.perf_counter()
    index = search.build_index(items, Diagnostics(), None)
    end = os.times()
    times[f"search index: {len(items)} records (Pagefind's CPU)"] = sum(end[:4]) - sum(start[:4])
    times["search index, wall"] = time.perf_counter() - wall
    rendered += list(index.items())
    font_files = sorted(p for p in proj.theme_files("assets", "fonts").values() if p.suffix in (".ttf", ".otf"))
    t = time.process_time()
    env = pdf.environment(ctx)
    jobs = pdf.jobs(ctx, env, {k: v["light"] for k, v in drawn.items()}, font_files)
    times["PDF data and template"] = time.process_time() - t
    t = time.process_time()
    for job in jobs:
        pdf.check_glyphs(job, font_files, Diagnostics())
    times["PDF glyph check"] = time.process_time() - t
    for job in jobs:
        (made_pdf, message), times[f"PDF {job.url} (child)"] = in_child(_compile, job, str(font_files[0].parent))
        assert made_pdf is not None, message
        rendered.append((job.url.lstrip("/"), made_pdf))
    with tempfile.TemporaryDirectory() as tmp:
        t = time.process_time()
        writer = write.Writer(Path(tmp) / "site", {})
        for rel, data in rendered:
            writer.put(rel, data)
        times[f"write: {len(rendered)} files"] = time.process_time() - t
    return times


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("content", type=Path, nargs="?", default=ROOT / "content")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    runs = [once(args.content) for _ in range(args.repeat)]
    print(f"| stage ({args.content}, median of {args.repeat}) | CPU s |")
    print("|---|---|")
    for name in runs[0]:
        print(f"| {name} | {statistics.median(r[name] for r in runs):.3f} |")
    total = statistics.median(sum(v for k, v in r.items() if "wall" not in k) for r in runs)
    print(f"| total CPU (wall line aside) | {total:.3f} |")


if __name__ == "__main__":
    main()
