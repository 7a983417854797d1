"""The charts stage: chart data files to figures, data files and page data.

Input: one YAML file per chart, ``content/charts/<id>.yaml``, and the site's
languages. Output: a `ChartSpec` per file (`load_chart`); for every chart and
language a light and a dark SVG and a CSV of the data, named by content hash
(`render_assets`); and what the page template needs to show a figure with
its data table and source paragraphs (`figure_view`).

The file format (every text has one entry per language)::

    id: deficit-2018            # the file name without .yaml
    type: bar                   # bar, grouped-bar, horizontal-bar, stacked-bar, line
    unit: {zh: 百万美元, en: millions of United States dollars}
    title: {...}                # shown by the page, above the figure
    caption: {...}              # one or two sentences under the title
    alt: {...}                  # short alt text of the image
    description: {...}          # longer text for everyone who cannot see the chart
    category_label: {...}       # optional: heading of the data table's first column
    categories: {zh: [...], en: [...]}
    series:
      - id: deficit
        label: {...}
        points:                 # one per category
          - {value: 5.5, source: para-8}
          - {value: 12.9, source: para-18, derived: {zh: ..., en: ...}}

A point with ``derived`` is not printed in the report; the text says how it
was obtained. Charts are drawn by matplotlib with the site's own font, text
as paths; matplotlib is imported only when a chart is not in the cache.
"""
from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import io
import json
import os
import re
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

from .errors import ROOT, Diagnostics, SourcePos, display_path
from .textfile import read_text
from .yamlschema import Ctx, Dict, Enum, List, Map, Num, Schema, Str, load, pos_of

if TYPE_CHECKING:  # only for hints: importing matplotlib is what the cache saves
    from matplotlib.figure import Figure

TYPES = ("bar", "grouped-bar", "horizontal-bar", "stacked-bar", "line")
MULTI_SERIES_TYPES = ("grouped-bar", "stacked-bar")
ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
SOURCE = re.compile(r"para-([1-9][0-9]*)")
FONT = ROOT / "assets" / "fonts" / "NotoSansSC-Regular.otf"
DERIVED_MARK = "*"

# Everything that decides how a chart looks; part of the cache key.
STYLE: dict[str, Any] = {
    "size_pt": [480, 300],  # 640 x 400 CSS px
    "font_pt": {"category": 14, "value": 14, "tick": 13, "unit": 13, "legend": 14},
    "bar_span": 0.72,  # share of a category's slot taken by its bars
    "hatch": "///",  # derived values: outlined and hatched, as estimates
    "schemes": {
        "light": {"background": "#ffffff", "text": "#1b1f24", "grid": "#d0d5db",
                  "series": ["#0b5cad", "#d97706", "#6b7785"]},
        "dark": {"background": "#16191d", "text": "#e6e9ed", "grid": "#3a4048",
                 "series": ["#7db4f0", "#f2b04a", "#aab4be"]},
    },
    "rc": {"svg.fonttype": "path", "svg.hashsalt": "reportsite-charts", "svg.id": None,
           "axes.unicode_minus": True, "hatch.linewidth": 1.2},
}
SCHEMES = ("light", "dark")
HASH_LEN = 8


@dataclass(frozen=True)
class Point:
    value: float
    paragraph: int
    value_pos: SourcePos
    source_pos: SourcePos
    derived: dict[str, str] | None


@dataclass(frozen=True)
class Series:
    id: str
    label: dict[str, str]
    label_pos: dict[str, SourcePos]
    points: tuple[Point, ...]


@dataclass(frozen=True)
class ChartSpec:
    id: str
    type: str
    path: str  # display path of the YAML file
    unit: dict[str, str]
    unit_pos: dict[str, SourcePos]
    title: dict[str, str]
    caption: dict[str, str]
    alt: dict[str, str]
    description: dict[str, str]
    category_label: dict[str, str]
    categories: dict[str, tuple[str, ...]]
    category_pos: dict[str, tuple[SourcePos, ...]]
    series: tuple[Series, ...]


# ---------------------------------------------------------------- loading

class _Located(Schema):
    """The inner value with its own position: list items carry none otherwise."""

    def __init__(self, inner: Schema):
        self.inner = inner

    def convert(self, node: Any, ctx: Ctx) -> Any:
        value = self.inner.convert(node, ctx)
        return None if value is None else (value, ctx.pos(node))


def _schema(languages: tuple[str, ...]) -> Map:
    def per_lang(name: str, item: Schema | None = None) -> Dict:
        return Dict(item or Str(), keys=languages, name=name)

    point = Map(
        {
            "value": Num(),
            "source": Str(pattern=SOURCE.pattern, hint="write para-N, N being the report's paragraph number"),
            "derived": per_lang("derived"),
        },
        required=("value", "source"),
        name="point",
    )
    series = Map(
        {"id": Str(pattern=ID, hint="lowercase letters, digits and hyphens"), "label": per_lang("label"),
         "points": List(point, min_items=1)},
        required=("id", "label", "points"),
        name="series",
    )
    fields: dict[str, Schema] = {
        "id": Str(pattern=ID, hint="lowercase letters, digits and hyphens"),
        "type": Enum(*TYPES),
        "unit": per_lang("unit"),
        "title": per_lang("title"),
        "caption": per_lang("caption"),
        "alt": per_lang("alt"),
        "description": per_lang("description"),
        "category_label": per_lang("category_label"),
        "categories": per_lang("categories", List(_Located(Str()), min_items=1)),
        "series": List(series, min_items=1),
    }
    required = tuple(k for k in fields if k != "category_label")
    return Map(fields, required=required, name="chart")


def _texts(mapping: dict[str, Any], languages: tuple[str, ...]) -> dict[str, str]:
    return {lang: mapping[lang] for lang in languages}


def load_chart(path: Path, languages: tuple[str, ...], diags: Diagnostics) -> ChartSpec | None:
    """The chart in `path`, or None after reporting every problem found."""
    shown = display_path(path)
    text = read_text(path, diags)
    if text is None:
        return None
    before = diags.errors
    data = load(text, shown, _schema(languages), diags)
    if data is None or diags.errors > before:
        return None

    if data["id"] != path.stem:
        diags.error(pos_of(data, "id"), f"id '{data['id']}' differs from the file name '{path.stem}'; they must be the same")
    cats = data["categories"]
    count = len(cats[languages[0]])
    for lang in languages[1:]:
        if len(cats[lang]) != count:
            diags.error(pos_of(cats, lang), f"{len(cats[lang])} categories in '{lang}' but {count} in "
                                            f"'{languages[0]}'; each language needs the same categories")
    seen: set[str] = set()
    for s in data["series"]:
        if s["id"] in seen:
            diags.error(pos_of(s, "id"), f"duplicate series id '{s['id']}'")
        seen.add(s["id"])
        if len(s["points"]) != count:
            diags.error(pos_of(s, "points"), f"series '{s['id']}' has {len(s['points'])} point"
                                             f"{'s' * (len(s['points']) != 1)} but there are {count} categories")
    if data["type"] in MULTI_SERIES_TYPES and len(data["series"]) < 2:
        diags.error(pos_of(data, "type"), f"a {data['type']} chart needs at least two series; use 'bar' for one")
    if diags.errors > before:
        return None

    series = tuple(
        Series(
            id=s["id"],
            label=_texts(s["label"], languages),
            label_pos={lang: pos_of(s["label"], lang) for lang in languages},
            points=tuple(
                Point(
                    value=p["value"],
                    paragraph=int(SOURCE.fullmatch(p["source"]).group(1)),  # type: ignore[union-attr]
                    value_pos=pos_of(p, "value"),
                    source_pos=pos_of(p, "source"),
                    derived=_texts(p["derived"], languages) if "derived" in p else None,
                )
                for p in s["points"]
            ),
        )
        for s in data["series"]
    )
    return ChartSpec(
        id=data["id"],
        type=data["type"],
        path=shown,
        unit=_texts(data["unit"], languages),
        unit_pos={lang: pos_of(data["unit"], lang) for lang in languages},
        title=_texts(data["title"], languages),
        caption=_texts(data["caption"], languages),
        alt=_texts(data["alt"], languages),
        description=_texts(data["description"], languages),
        category_label=_texts(data["category_label"], languages) if "category_label" in data
        else {lang: "" for lang in languages},
        categories={lang: tuple(c for c, _ in cats[lang]) for lang in languages},
        category_pos={lang: tuple(p for _, p in cats[lang]) for lang in languages},
        series=series,
    )


def source_refs(spec: ChartSpec) -> list[tuple[int, SourcePos]]:
    """(paragraph number, position of the `source` value) for every point."""
    return [(p.paragraph, p.source_pos) for s in spec.series for p in s.points]


# ---------------------------------------------------------------- numbers and labels

def format_number(value: float, lang: str, decimals: int = 1) -> str:
    """One decimal as in the report; thousands grouped as each edition prints them."""
    text = f"{value:,.{decimals}f}"
    # The Chinese edition groups thousands with a space ("4 770"); no-break so it stays whole.
    return text.replace(",", "\u00a0") if lang == "zh" else text


def _value_label(point: Point, lang: str) -> str:
    return format_number(point.value, lang) + (DERIVED_MARK if point.derived else "")


def _unit_label(spec: ChartSpec, lang: str) -> str:
    unit = spec.unit[lang]
    return unit[:1].upper() + unit[1:]


def _em(ch: str) -> float:
    """Advance width of `ch` in the chart font, in font sizes."""
    cmap, widths = _font_metrics()
    glyph = cmap.get(ord(ch))
    return widths[glyph] if glyph else 1.0


# Break opportunities: spaces, and between Chinese characters. Latin words and
# numbers stay whole, and so does a short bracketed Chinese phrase.
_TOKENS = re.compile(r"\s+|（[^（）]{1,10}）|[^\s\u2e80-\uffff]+|.")
_NO_LINE_START = set("）》」』”’，。、：；！？")
_NO_LINE_END = set("（《「『“‘")


def _greedy(tokens: list[str], max_em: float) -> list[str]:
    lines: list[str] = []
    line = ""
    for token in tokens:
        if token.isspace():
            line += " " if line else ""
            continue
        fits = sum(map(_em, line + token)) <= max_em
        glued = token[0] in _NO_LINE_START or line[-1:] in _NO_LINE_END
        if fits or not line.strip() or glued:
            line += token
        else:
            lines.append(line.rstrip())
            line = token
    lines.append(line.rstrip())
    return lines


def wrap(text: str, max_em: float) -> str:
    """Breaks a label into lines of at most `max_em` font sizes, as even as can be.

    Even lines read better than a full line and an orphan ("收）").
    """
    tokens = _TOKENS.findall(text)
    lines = _greedy(tokens, max_em)
    if len(lines) > 1:
        width = sum(map(_em, text)) / len(lines)
        while width < max_em:
            even = _greedy(tokens, width)
            if len(even) == len(lines):
                lines = even
                break
            width += 0.25
    return "\n".join(lines)


@dataclass(frozen=True)
class _Labels:
    """Every text drawn in one chart image, with where it is written."""

    categories: tuple[str, ...]
    unit: str
    legend: tuple[str, ...]  # empty when there is one series
    values: tuple[tuple[str, ...], ...]  # per series, per category

    def with_positions(self, spec: ChartSpec, lang: str) -> list[tuple[str, SourcePos]]:
        # Categories as written, not as wrapped: the same characters, and the editor's own words.
        out = list(zip(spec.categories[lang], spec.category_pos[lang]))
        out.append((self.unit, spec.unit_pos[lang]))
        out += [(label, s.label_pos[lang]) for label, s in zip(self.legend, spec.series)]
        for texts, s in zip(self.values, spec.series):
            out += [(t, p.value_pos) for t, p in zip(texts, s.points)]
        return out


def _labels(spec: ChartSpec, lang: str) -> _Labels:
    width_pt, _ = STYLE["size_pt"]
    size = STYLE["font_pt"]["category"]
    if spec.type == "horizontal-bar":
        max_em = 0.36 * width_pt / size  # the labels take at most about a third of the width
    else:
        slot = 0.88 * width_pt / len(spec.categories[lang]) / size  # the axes take about 88% of the width
        max_em = slot - 1.0  # at least a character's space between neighbouring labels
    return _Labels(
        categories=tuple(wrap(c, max_em) for c in spec.categories[lang]),
        unit=_unit_label(spec, lang),
        legend=tuple(s.label[lang] for s in spec.series) if len(spec.series) > 1 else (),
        values=tuple(tuple(_value_label(p, lang) for p in s.points) for s in spec.series),
    )


@lru_cache(maxsize=1)
def _font_metrics() -> tuple[dict[int, str], dict[str, float]]:
    # fontTools reads the same tables FreeType uses, without importing matplotlib.
    from fontTools.ttLib import TTFont

    with TTFont(FONT, lazy=True) as font:
        upem = font["head"].unitsPerEm
        return dict(font.getBestCmap()), {name: adv / upem for name, (adv, _) in font["hmtx"].metrics.items()}


def _check_glyphs(spec: ChartSpec, lang: str, labels: _Labels, diags: Diagnostics) -> bool:
    charmap, _ = _font_metrics()
    ok = True
    for text, pos in labels.with_positions(spec, lang):
        missing = sorted({ch for ch in text if ch != "\n" and ord(ch) not in charmap})
        if missing:
            chars = ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in missing)
            diags.error(pos, f"the chart font {FONT.name} has no glyph for {chars} in {text!r}; "
                             "it would be drawn as a box: use other characters")
            ok = False
    return ok


# ---------------------------------------------------------------- drawing

def _value_ticks(low: float, high: float) -> list[float]:
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    return [float(t) for t in ticks if low - 1e-9 <= t <= high + 1e-9]


def _tick_text(ticks: list[float], lang: str) -> list[str]:
    whole = all(float(t).is_integer() for t in ticks)
    return [format_number(t, lang, 0 if whole else 1) for t in ticks]


def draw(spec: ChartSpec, lang: str, scheme: str) -> "Figure":
    """The chart as a matplotlib Figure, to be saved as SVG (or PNG for a preview).

    Call inside `_rc()`: artists read the settings when they are made.
    """
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Patch

    colours = STYLE["schemes"][scheme]
    sizes = STYLE["font_pt"]
    text_colour, background, grid = colours["text"], colours["background"], colours["grid"]

    def font(kind: str) -> FontProperties:
        # By path, so no system font is ever used or needed.
        return FontProperties(fname=str(FONT), size=sizes[kind])

    labels = _labels(spec, lang)
    width_pt, height_pt = STYLE["size_pt"]
    fig = Figure(figsize=(width_pt / 72, height_pt / 72), facecolor=background, layout="constrained")
    fig.get_layout_engine().set(w_pad=6 / 72, h_pad=6 / 72)  # keep labels off the image's edge
    ax = fig.add_subplot()
    ax.set_facecolor(background)
    horizontal = spec.type == "horizontal-bar"
    n_series, n_cats = len(spec.series), len(spec.categories[lang])
    positions = list(range(n_cats))
    series_colours = [colours["series"][i % len(colours["series"])] for i in range(n_series)]

    values = [[p.value for p in s.points] for s in spec.series]
    if spec.type == "stacked-bar":
        totals = [sum(v for v in column if v > 0) for column in zip(*values)]
        low, high = min([0.0] + [sum(v for v in c if v < 0) for c in zip(*values)]), max(totals + [0.0])
    else:
        flat = [v for row in values for v in row]
        low, high = min(flat + [0.0]), max(flat + [0.0])
    span = (high - low) or 1.0
    # Room past the longest bars for their value labels, and under the lower lines for theirs.
    below = low < 0 or (spec.type == "line" and n_series > 1)
    limit_low = low - (0.12 * span if below else 0)
    limit_high = high + (0.2 if horizontal else 0.12) * span
    ticks = [t for t in _value_ticks(limit_low, limit_high) if t >= low - 1e-9]

    value_axis = ax.xaxis if horizontal else ax.yaxis
    value_axis.grid(True, color=grid, linewidth=0.8)
    ax.set_axisbelow(True)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.spines["left" if horizontal else "bottom"].set_visible(True)
    ax.spines["left" if horizontal else "bottom"].set_color(text_colour)
    ax.tick_params(colors=text_colour, length=0, pad=6)

    if horizontal:
        ax.set_xlim(limit_low, limit_high)
        ax.set_xticks(ticks, _tick_text(ticks, lang), fontproperties=font("tick"))
        ax.set_yticks(positions, labels.categories, fontproperties=font("category"))
        ax.set_ylim(n_cats - 0.5, -0.5)  # first category on top, as it is read
        ax.set_xlabel(labels.unit, fontproperties=font("unit"), color=text_colour, labelpad=8)
    else:
        ax.set_ylim(limit_low, limit_high)
        ax.set_yticks(ticks, _tick_text(ticks, lang), fontproperties=font("tick"))
        ax.set_xticks(positions, labels.categories, fontproperties=font("category"))
        ax.set_xlim(-0.5, n_cats - 0.5)
        ax.set_ylabel(labels.unit, fontproperties=font("unit"), color=text_colour, labelpad=8)
    for tick_label in ax.get_xticklabels() + ax.get_yticklabels():
        tick_label.set_color(text_colour)

    value_font = font("value")
    if spec.type == "line":
        for s, colour, texts in zip(spec.series, series_colours, labels.values):
            ax.plot(positions, [p.value for p in s.points], color=colour, linewidth=2.5, marker="o", markersize=7)
            for x, p, t in zip(positions, s.points, texts):
                # Labels of lines that meet would overlap: the top point's goes above, the others' below.
                top = p.value >= max(row[x] for row in values)
                ax.annotate(t, (x, p.value), xytext=(0, 9 if top else -9), textcoords="offset points", ha="center",
                            va="bottom" if top else "top", fontproperties=value_font, color=text_colour)
    elif spec.type == "stacked-bar":
        up, down = [0.0] * n_cats, [0.0] * n_cats
        for s, colour, texts in zip(spec.series, series_colours, labels.values):
            base = [up[i] if p.value >= 0 else down[i] for i, p in enumerate(s.points)]
            bars = ax.bar(positions, [p.value for p in s.points], STYLE["bar_span"] * 0.8, bottom=base,
                          color=colour, edgecolor=background, linewidth=1)
            _mark_derived(bars, s, colour, background)
            for bar, p, t in zip(bars, s.points, texts):
                if abs(p.value) < 0.07 * span:
                    continue  # too thin to hold its label; the table under the figure has it
                ax.text(bar.get_x() + bar.get_width() / 2, bar.get_y() + bar.get_height() / 2, t, ha="center",
                        va="center", fontproperties=value_font,
                        color=text_colour if p.derived else _readable_on(colour))
            for i, p in enumerate(s.points):
                if p.value >= 0:
                    up[i] += p.value
                else:
                    down[i] += p.value
    else:
        width = STYLE["bar_span"] / n_series
        for k, (s, colour, texts) in enumerate(zip(spec.series, series_colours, labels.values)):
            offset = (k - (n_series - 1) / 2) * width
            where = [x + offset for x in positions]
            heights = [p.value for p in s.points]
            bars = (ax.barh(where, heights, width * 0.92, color=colour) if horizontal
                    else ax.bar(where, heights, width * 0.92, color=colour))
            _mark_derived(bars, s, colour, background)
            ax.bar_label(bars, labels=list(texts), padding=4, fontproperties=value_font, color=text_colour)

    if labels.legend:
        handles = [Patch(facecolor=c, edgecolor=c) for c in series_colours]
        fig.legend(handles, list(labels.legend), loc="outside upper left", ncols=n_series, frameon=False,
                   prop=font("legend"), labelcolor=text_colour, handlelength=1.2, handleheight=1.0,
                   columnspacing=1.6)
    return fig


def _mark_derived(bars: Any, series: Series, colour: str, background: str) -> None:
    # A derived value is an estimate: outlined and hatched, not solid.
    for bar, point in zip(bars, series.points):
        if point.derived:
            bar.set_facecolor(background)
            bar.set_edgecolor(colour)
            bar.set_hatch(STYLE["hatch"])
            bar.set_linewidth(1.2)


def _readable_on(colour: str) -> str:
    r, g, b = (int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))
    return "#000000" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "#ffffff"


@contextmanager
def _rc() -> Iterator[None]:
    """Matplotlib's defaults plus ours, whatever matplotlibrc the machine has."""
    import matplotlib
    import matplotlib.style

    with matplotlib.style.context("default"), matplotlib.rc_context(STYLE["rc"]):
        yield


def render_svg(spec: ChartSpec, lang: str, scheme: str) -> bytes:
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    with _rc():
        fig = draw(spec, lang, scheme)
        FigureCanvasSVG(fig)  # the SVG canvas, whatever backend the process has chosen; never a GUI
        out = io.BytesIO()
        fig.savefig(out, format="svg", metadata={"Date": None})  # no date: same bytes every run
    return _presentation_attributes(out.getvalue())


_STYLE_ATTR = re.compile(rb' style="([^"]*)"')
_STYLE_ELEMENT = re.compile(rb"<style[^>]*>\*\{([^}]*)\}</style>")
PRESENTATION = {b"fill", b"stroke", b"stroke-width", b"stroke-linecap", b"stroke-linejoin", b"stroke-opacity",
                b"fill-opacity", b"opacity", b"stroke-dasharray", b"stroke-dashoffset", b"stroke-miterlimit"}


def _presentation_attributes(svg: bytes) -> bytes:
    """matplotlib's inline CSS as SVG attributes.

    Opened on its own, a chart is served under the site's CSP (style-src
    'self'), which blocks style attributes and <style> elements; SVG's
    presentation attributes say the same and are not styles.
    """
    def attrs(declarations: bytes) -> bytes:
        out = []
        for decl in declarations.split(b";"):
            name, _, value = decl.partition(b":")
            name, value = name.strip(), value.strip()
            if not name:
                continue
            if name not in PRESENTATION:
                raise ValueError(f"chart SVG uses style {name!r}, which has no presentation attribute here")
            out.append(b' %s="%s"' % (name, value))
        return b"".join(out)

    root_attrs = b""
    match = _STYLE_ELEMENT.search(svg)
    if match:
        root_attrs = attrs(match.group(1))  # "*{…}": inherited from the root instead
        svg = svg[:match.start()] + svg[match.end():]
    svg = _STYLE_ATTR.sub(lambda m: attrs(m.group(1)), svg)
    return svg.replace(b"<svg ", b"<svg" + root_attrs + b" ", 1)


# ---------------------------------------------------------------- assets

def _csv(spec: ChartSpec, lang: str) -> bytes:
    # The unit goes into each value column's heading, so a spreadsheet keeps it.
    unit = spec.unit[lang]
    headings = [s.label[lang] + (f"（{unit}）" if lang == "zh" else f" ({unit})") for s in spec.series]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([spec.category_label[lang]] + headings)
    for i, category in enumerate(spec.categories[lang]):
        writer.writerow([category] + [repr(s.points[i].value) for s in spec.series])
    return out.getvalue().encode("utf-8")


@lru_cache(maxsize=1)
def _renderer_digest() -> str:
    h = hashlib.sha256()
    h.update(FONT.read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update(importlib.metadata.version("matplotlib").encode())
    h.update(json.dumps(STYLE, sort_keys=True).encode())
    return h.hexdigest()


def cache_key(spec: ChartSpec, lang: str) -> str:
    """Hash of all that decides the images: drawn data, style, font, this file, matplotlib."""
    drawn = {
        "type": spec.type,
        "lang": lang,
        "unit": spec.unit[lang],
        "categories": spec.categories[lang],
        "series": [[s.label[lang], [[p.value, bool(p.derived)] for p in s.points]] for s in spec.series],
    }
    text = json.dumps(drawn, sort_keys=True, ensure_ascii=False) + _renderer_digest()
    return hashlib.sha256(text.encode()).hexdigest()


def _cache_file(spec: ChartSpec, lang: str, cache_dir: Path | None) -> Path | None:
    return cache_dir / "charts" / f"{cache_key(spec, lang)}.json" if cache_dir else None


def _read_cache(file: Path | None) -> dict[str, bytes] | None:
    if file is None or not file.is_file():
        return None
    try:
        stored = json.loads(file.read_text(encoding="utf-8"))
        return {scheme: stored[scheme].encode("utf-8") for scheme in SCHEMES}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # a damaged cache entry is drawn again and overwritten


def _write_cache(file: Path | None, svgs: dict[str, bytes]) -> None:
    if file is None:
        return
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps({k: v.decode("utf-8") for k, v in svgs.items()}), encoding="utf-8")
    os.replace(tmp, file)  # atomic: a parallel build never reads half a file


def _hashed(stem: str, data: bytes, ext: str) -> str:
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:HASH_LEN]}.{ext}"


def render_assets(specs: list[ChartSpec], languages: tuple[str, ...], cache_dir: Path | None,
                  diags: Diagnostics) -> dict[str, bytes]:
    """Output path (relative to the site root) -> bytes, for every chart and language.

    charts/<id>.<lang>.<hash>.svg, charts/<id>.<lang>.dark.<hash>.svg and
    charts/<id>.<lang>.<hash>.csv. A chart with a character the font lacks
    is reported and left out.
    """
    assets: dict[str, bytes] = {}
    for spec in specs:
        for lang in languages:
            file = _cache_file(spec, lang, cache_dir)
            svgs = _read_cache(file)
            if svgs is None:
                # A cached chart passed this check already: its key covers the texts and the font.
                if not _check_glyphs(spec, lang, _labels(spec, lang), diags):
                    continue
                svgs = {scheme: render_svg(spec, lang, scheme) for scheme in SCHEMES}
                _write_cache(file, svgs)
            stem = f"charts/{spec.id}.{lang}"
            assets[_hashed(stem, svgs["light"], "svg")] = svgs["light"]
            assets[_hashed(stem + ".dark", svgs["dark"], "svg")] = svgs["dark"]
            data = _csv(spec, lang)
            assets[_hashed(stem, data, "csv")] = data
    return assets


# ---------------------------------------------------------------- page data

def asset_index(assets: dict[str, bytes]) -> dict[str, str]:
    """Asset name without its content hash -> the hashed name, for figure_view."""
    index = {}
    for name in assets:
        stem, digest, ext = name.rsplit(".", 2)
        if name.startswith("charts/") and len(digest) == HASH_LEN:
            index[f"{stem}.{ext}"] = name
    return index


def _find_asset(index: dict[str, str], spec: ChartSpec, lang: str, kind: str, ext: str) -> str:
    try:
        return index[f"charts/{spec.id}.{lang}{kind}.{ext}"]
    except KeyError:
        raise KeyError(f"no {ext} asset for chart {spec.id!r} in {lang!r}; render_assets did not produce it") from None


def _svg_size_px(svg: bytes) -> tuple[int, int]:
    head = svg[:2000].decode("utf-8", "replace")
    found = re.search(r'<svg[^>]*?\swidth="([\d.]+)pt"[^>]*?\sheight="([\d.]+)pt"', head, re.S)
    if not found:
        return round(STYLE["size_pt"][0] * 4 / 3), round(STYLE["size_pt"][1] * 4 / 3)
    return round(float(found.group(1)) * 4 / 3), round(float(found.group(2)) * 4 / 3)  # 1pt = 4/3 CSS px


def figure_view(spec: ChartSpec, lang: str, number: int, assets: dict[str, bytes], ui: dict[str, str],
                index: dict[str, str] | None = None) -> dict:
    """What the page template needs to show the chart as figure `number`.

    `index` is asset_index(assets), passed in when many figures share one asset set.
    """
    index = asset_index(assets) if index is None else index
    light = _find_asset(index, spec, lang, "", "svg")
    dark = _find_asset(index, spec, lang, ".dark", "svg")
    data = _find_asset(index, spec, lang, "", "csv")
    width, height = _svg_size_px(assets[light])
    columns = [spec.category_label[lang]] + [s.label[lang] for s in spec.series]
    rows = [
        [category] + [_value_label(s.points[i], lang) for s in spec.series]
        for i, category in enumerate(spec.categories[lang])
    ]
    notes = [
        f"{DERIVED_MARK} {s.label[lang]}{'，' if lang == 'zh' else ', '}{spec.categories[lang][i]}"
        f"{'：' if lang == 'zh' else ': '}{p.derived[lang]}"
        for s in spec.series for i, p in enumerate(s.points) if p.derived
    ]
    paragraphs = sorted({p.paragraph for s in spec.series for p in s.points})
    return {
        "id": f"fig-{number}",
        "number": number,
        "label": ui["figure"].format(n=number),
        "title": spec.title[lang],
        "caption": spec.caption[lang],
        "alt": spec.alt[lang],
        "description": spec.description[lang],
        "img": "/" + light,
        "img_dark": "/" + dark,
        "width": width,
        "height": height,
        "csv": "/" + data,
        "table": {"columns": columns, "rows": rows, "unit": spec.unit[lang], "notes": notes},
        "sources": [{"number": n, "href": f"@#para-{n}"} for n in paragraphs],
    }
