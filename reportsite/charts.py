"""The charts stage: chart data files to figures, data files and page data.

Input: one YAML file per chart, ``content/charts/<id>.yaml``, the report's
languages and the theme's chart fonts. Output: a `ChartSpec` per file
(`load_chart`); for every chart and language a light and a dark SVG and a
PNG at print resolution (`draw_charts`, cached); the CSV and JSON of the
data; and what the page templates need to show a figure (`figure_view`).

The file format (every text has one entry per language of the report)::

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
was obtained. Charts are drawn by matplotlib with the theme's fonts (a list:
a character the first lacks comes from the next), text as paths; matplotlib
3.11 shapes and orders Arabic and other complex scripts itself (libraqm).
matplotlib is imported only when a chart is not in the cache.
"""

from __future__ import annotations

import csv
import hashlib
import importlib.metadata
import io
import json
import os
import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import Diagnostics, SourcePos
from .yamlschema import Dict, Enum, List, Located, Map, Num, Schema, Str, load, pos_of

if TYPE_CHECKING:  # only for hints: importing matplotlib is what the cache saves
    from matplotlib.figure import Figure

    from .model import Report

TYPES = ("bar", "grouped-bar", "horizontal-bar", "stacked-bar", "line")
MULTI_SERIES_TYPES = ("grouped-bar", "stacked-bar")
ID = r"[a-z0-9]+(?:-[a-z0-9]+)*"
SOURCE = re.compile(r"para-[1-9][0-9]{0,5}|p-[a-z0-9]+(?:-[a-z0-9]+)*-[1-9][0-9]{0,4}")
DERIVED_MARK = "*"
# Limits a chart must keep: a figure beyond them is unreadable, and drawing it costs minutes.
MAX_CATEGORIES = 60
MAX_SERIES = 12
MAX_VALUE = 1e15
# The theme's chart fonts, in fallback order, as files of its assets (the project may replace them).
FONTS = ("fonts/NotoSansSC-Regular.otf", "fonts/NotoSansArabic-Regular.ttf", "fonts/NotoSans-Regular.ttf")

# Everything that decides how a chart looks; part of the cache key.
STYLE: dict[str, Any] = {
    "size_pt": [480, 300],  # 640 x 400 CSS px
    "print_dpi": 300,
    "font_pt": {"category": 14, "value": 14, "tick": 13, "unit": 13, "legend": 14},
    "bar_span": 0.72,  # share of a category's slot taken by its bars
    "hatch": "///",  # derived values: outlined and hatched, as estimates
    "schemes": {
        "light": {
            "background": "#ffffff",
            "text": "#1b1f24",
            "grid": "#d0d5db",
            "series": ["#0b5cad", "#d97706", "#6b7785"],
        },
        "dark": {
            "background": "#16191d",
            "text": "#e6e9ed",
            "grid": "#3a4048",
            "series": ["#7db4f0", "#f2b04a", "#aab4be"],
        },
    },
    "rc": {
        "svg.fonttype": "path",
        "svg.hashsalt": "reportsite-charts",
        "svg.id": None,
        "axes.unicode_minus": True,
        "hatch.linewidth": 1.2,
    },
}
HASH_LEN = 8


@dataclass(frozen=True)
class Point:
    value: float
    paragraph: str  # the source paragraph's id: para-49, or p-<section>-<n> where paragraphs have no numbers
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

    def paragraphs(self) -> list[str]:
        """The source paragraphs' ids, in reading order of their numbers."""

        def order(pid: str) -> tuple[int, int, str]:
            return (0, int(pid[5:]), "") if pid.startswith("para-") else (1, int(pid.rsplit("-", 1)[1]), pid)

        return sorted({p.paragraph for s in self.series for p in s.points}, key=order)


@dataclass(frozen=True)
class ChartLanguage:
    """What drawing a chart needs of one language (picklable, for the drawing process)."""

    tag: str
    group: str  # the report's own thousands separator for this language, or "" for CLDR's

    def number(self, value: float, decimals: int = 1) -> str:
        """A value as this language writes it: CLDR's symbols and digits, the report's grouping."""
        return _number(self.tag, self.group, value, decimals)


@lru_cache(maxsize=4096)
def _number(tag: str, group: str, value: float, decimals: int) -> str:
    # Each figure's values are written on four pages (section, whole report, side by side, its own).
    from babel.numbers import format_decimal

    from .languages import language

    lang = language(tag)
    text = format_decimal(
        value,
        format="#,##0." + "0" * decimals if decimals else "#,##0",
        locale=lang.locale,
        numbering_system="default",
    )
    if group:
        # A space between digit groups must not break: a no-break space.
        text = text.replace(lang.group, "\u00a0" if group == " " else group)
    return text


# ---------------------------------------------------------------- loading


def _schema(languages: tuple[str, ...]) -> Map:
    def per_lang(name: str, item: Schema | None = None) -> Dict:
        return Dict(item or Str(max_len=2000), keys=languages, name=name)

    point = Map(
        {
            "value": Num(),
            "source": Str(
                pattern=SOURCE.pattern,
                hint="write para-N, N being the report's paragraph number "
                "(p-SECTION-N for the Nth paragraph of a section without numbers)",
            ),
            "derived": per_lang("derived"),
        },
        required=("value", "source"),
        name="point",
    )
    series = Map(
        {
            "id": Str(pattern=ID, max_len=64, hint="lowercase letters, digits and hyphens"),
            "label": per_lang("label"),
            "points": List(point, min_items=1),
        },
        required=("id", "label", "points"),
        name="series",
    )
    fields: dict[str, Schema] = {
        "id": Str(pattern=ID, max_len=64, hint="lowercase letters, digits and hyphens, at most 64"),
        "type": Enum(*TYPES),
        "unit": per_lang("unit"),
        "title": per_lang("title"),
        "caption": per_lang("caption"),
        "alt": per_lang("alt"),
        "description": per_lang("description"),
        "category_label": per_lang("category_label"),
        "categories": per_lang("categories", List(Located(Str(max_len=200)), min_items=1)),
        "series": List(series, min_items=1),
    }
    required = tuple(k for k in fields if k != "category_label")
    return Map(fields, required=required, name="chart")


def _texts(mapping: dict[str, Any], languages: tuple[str, ...]) -> dict[str, str]:
    return {lang: mapping[lang] for lang in languages}


def load_chart(text: str, shown: str, stem: str, report: Report, diags: Diagnostics) -> ChartSpec | None:
    """The chart in one file's text, or None after reporting every problem found."""
    languages = report.tags
    before = diags.errors
    data = load(text, shown, _schema(languages), diags)
    if data is None or diags.errors > before:
        return None
    if data["id"] != stem:
        diags.error(pos_of(data, "id"), f"id '{data['id']}' differs from the file name '{stem}'; they must be the same")
    cats = data["categories"]
    count = len(cats[languages[0]])
    if count > MAX_CATEGORIES:
        diags.error(
            pos_of(data, "categories"),
            f"{count} categories; a chart has at most {MAX_CATEGORIES}: split it, or give the full data as a table",
        )
    if len(data["series"]) > MAX_SERIES:
        diags.error(pos_of(data, "series"), f"{len(data['series'])} series; a chart has at most {MAX_SERIES}")
    for lang in languages[1:]:
        if len(cats[lang]) != count:
            diags.error(
                pos_of(cats, lang),
                f"{len(cats[lang])} categories in '{lang}' but {count} in "
                f"'{languages[0]}'; each language needs the same categories",
            )
    seen: set[str] = set()
    for s in data["series"]:
        if s["id"] in seen:
            diags.error(pos_of(s, "id"), f"duplicate series id '{s['id']}'")
        seen.add(s["id"])
        if len(s["points"]) != count:
            diags.error(
                pos_of(s, "points"),
                f"series '{s['id']}' has {len(s['points'])} point"
                f"{'s' * (len(s['points']) != 1)} but there are {count} categories",
            )
        for p in s["points"]:
            if abs(p["value"]) > MAX_VALUE:
                diags.error(
                    pos_of(p, "value"),
                    f"value beyond ±{MAX_VALUE:.0e}: state the unit in thousands or millions instead",
                )
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
                    value=float(p["value"]) if isinstance(p["value"], float) else p["value"],
                    paragraph=p["source"],
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
        category_label=_texts(data["category_label"], languages)
        if "category_label" in data
        else {lang: "" for lang in languages},
        categories={lang: tuple(c for c, _ in cats[lang]) for lang in languages},
        category_pos={lang: tuple(p for _, p in cats[lang]) for lang in languages},
        series=series,
    )


def source_refs(spec: ChartSpec) -> list[tuple[str, SourcePos]]:
    """(paragraph id, position of the `source` value) for every point."""
    return [(p.paragraph, p.source_pos) for s in spec.series for p in s.points]


# ---------------------------------------------------------------- text layout


def decimals(spec: ChartSpec) -> int:
    """As many decimals as the chart's data has: none when every value is whole (640 teachers), else one."""
    return 0 if all(float(p.value).is_integer() for s in spec.series for p in s.points) else 1


def _value_label(point: Point, lang: ChartLanguage, places: int = 1) -> str:
    return lang.number(point.value, places) + (DERIVED_MARK if point.derived else "")


def _unit_label(spec: ChartSpec, lang: ChartLanguage) -> str:
    unit = spec.unit[lang.tag]
    return unit[:1].upper() + unit[1:]


@lru_cache(maxsize=4)
def _fonts(fonts: tuple[Path, ...]) -> list[Any]:
    # FreeType through matplotlib, which draws with the same: its character map is read in a few
    # milliseconds where fontTools takes a tenth of a second for the CJK font.
    from matplotlib.ft2font import FT2Font

    return [FT2Font(str(path)) for path in fonts]


# A FreeType face reads its file through a descriptor that a forked process would share with its
# parent (one file offset for both): each process opens its own, as matplotlib does for its fonts.
os.register_at_fork(after_in_child=_fonts.cache_clear)


@lru_cache(maxsize=4)
def _charmaps(fonts: tuple[Path, ...]) -> list[dict[int, int]]:
    return [font.get_charmap() for font in _fonts(fonts)]


@lru_cache(maxsize=4096)
def _em(ch: str, fonts: tuple[Path, ...]) -> float:
    """Advance width of `ch` in the first chart font that has it, in font sizes."""
    from matplotlib.ft2font import LoadFlags

    for font, cmap in zip(_fonts(fonts), _charmaps(fonts)):
        if ord(ch) in cmap:
            glyph = font.load_char(ord(ch), flags=LoadFlags.NO_SCALE)
            return float(glyph.horiAdvance) / float(font.units_per_EM)
    return 1.0


# Break opportunities: spaces, and between Han characters. Latin words and
# numbers stay whole, and so does a short bracketed Chinese phrase.
_TOKENS = re.compile(r"\s+|（[^（）]{1,10}）|[^\s\u2e80-\uffff]+|.")
_NO_LINE_START = set("）》」』”’，。、：；！？")
_NO_LINE_END = set("（《「『“‘")


def _greedy(tokens: list[str], max_em: float, fonts: tuple[Path, ...]) -> list[str]:
    lines: list[str] = []
    line = ""
    for token in tokens:
        if token.isspace():
            line += " " if line else ""
            continue
        fits = sum(_em(c, fonts) for c in line + token) <= max_em
        glued = token[0] in _NO_LINE_START or line[-1:] in _NO_LINE_END
        if fits or not line.strip() or glued:
            line += token
        else:
            lines.append(line.rstrip())
            line = token
    lines.append(line.rstrip())
    return lines


def wrap(text: str, max_em: float, fonts: tuple[Path, ...]) -> str:
    """Breaks a label into lines of at most `max_em` font sizes, as even as can be.

    Even lines read better than a full line and an orphan ("收）").
    """
    tokens = _TOKENS.findall(text)
    lines = _greedy(tokens, max_em, fonts)
    if len(lines) > 1:
        width = sum(_em(c, fonts) for c in text) / len(lines)
        while width < max_em:
            even = _greedy(tokens, width, fonts)
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


def _labels(spec: ChartSpec, lang: ChartLanguage, fonts: tuple[Path, ...]) -> _Labels:
    width_pt, _ = STYLE["size_pt"]
    size = STYLE["font_pt"]["category"]
    if spec.type == "horizontal-bar":
        max_em = 0.36 * width_pt / size  # the labels take at most about a third of the width
    else:
        slot = 0.88 * width_pt / len(spec.categories[lang.tag]) / size  # the axes take about 88% of the width
        max_em = slot - 1.0  # at least a character's space between neighbouring labels
    return _Labels(
        categories=tuple(wrap(c, max_em, fonts) for c in spec.categories[lang.tag]),
        unit=_unit_label(spec, lang),
        legend=tuple(s.label[lang.tag] for s in spec.series) if len(spec.series) > 1 else (),
        values=tuple(tuple(_value_label(p, lang, decimals(spec)) for p in s.points) for s in spec.series),
    )


def check_glyphs(spec: ChartSpec, lang: ChartLanguage, fonts: tuple[Path, ...], diags: Diagnostics) -> bool:
    """Every character drawn is in one of the chart fonts: a missing one would be drawn as a box."""
    maps = _charmaps(fonts)
    ok = True
    for text, pos in _labels(spec, lang, fonts).with_positions(spec, lang.tag):
        missing = sorted({ch for ch in text if ch not in "\n\u00a0\u202f" and not any(ord(ch) in m for m in maps)})
        if missing:
            chars = ", ".join(f"'{ch}' (U+{ord(ch):04X})" for ch in missing[:10])
            diags.error(
                pos,
                f"the chart fonts ({', '.join(p.name for p in fonts)}) have no glyph for {chars}; "
                "it would be drawn as a box: use other characters, or add a font to the theme",
            )
            ok = False
    return ok


@lru_cache(maxsize=4)
def _register(fonts: tuple[Path, ...]) -> tuple[str, ...]:
    """The fonts' family names, each font registered with matplotlib by its path."""
    from matplotlib import font_manager

    names = []
    for path in fonts:
        font_manager.fontManager.addfont(str(path))
        names.append(font_manager.FontProperties(fname=str(path)).get_name())
    return tuple(names)


# ---------------------------------------------------------------- drawing


def _value_ticks(low: float, high: float) -> list[float]:
    from matplotlib.ticker import MaxNLocator

    ticks = MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]).tick_values(low, high)
    return [float(t) for t in ticks if low - 1e-9 <= t <= high + 1e-9]


def _tick_text(ticks: list[float], lang: ChartLanguage) -> list[str]:
    whole = all(float(t).is_integer() for t in ticks)
    return [lang.number(t, 0 if whole else 1) for t in ticks]


def draw(spec: ChartSpec, lang: ChartLanguage, scheme: str, fonts: tuple[Path, ...]) -> Figure:
    """The chart as a matplotlib Figure, to be saved as SVG or PNG.

    Call inside `_rc()`: artists read the settings when they are made.
    """
    from matplotlib.figure import Figure
    from matplotlib.font_manager import FontProperties
    from matplotlib.patches import Patch

    colours = STYLE["schemes"][scheme]
    sizes = STYLE["font_pt"]
    text_colour, background, grid = colours["text"], colours["background"], colours["grid"]
    families = _register(fonts)

    def font(kind: str) -> FontProperties:
        # The theme's fonts, registered by path: no system font is ever used or needed. A character
        # the first lacks comes from the next (matplotlib's font fallback); _check_glyphs has made
        # sure that one of them has it.
        return FontProperties(family=list(families), size=sizes[kind])

    labels = _labels(spec, lang, fonts)
    width_pt, height_pt = STYLE["size_pt"]
    fig = Figure(figsize=(width_pt / 72, height_pt / 72), facecolor=background, layout="constrained")
    fig.get_layout_engine().set(w_pad=6 / 72, h_pad=6 / 72)  # type: ignore[union-attr, call-arg]  # labels off the edge
    ax = fig.add_subplot()
    ax.set_facecolor(background)
    horizontal = spec.type == "horizontal-bar"
    n_series, n_cats = len(spec.series), len(spec.categories[lang.tag])
    positions = list(range(n_cats))
    series_colours = [colours["series"][i % len(colours["series"])] for i in range(n_series)]

    values = [[float(p.value) for p in s.points] for s in spec.series]
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
                ax.annotate(
                    t,
                    (x, p.value),
                    xytext=(0, 9 if top else -9),
                    textcoords="offset points",
                    ha="center",
                    va="bottom" if top else "top",
                    fontproperties=value_font,
                    color=text_colour,
                )
    elif spec.type == "stacked-bar":
        up, down = [0.0] * n_cats, [0.0] * n_cats
        for s, colour, texts in zip(spec.series, series_colours, labels.values):
            base = [up[i] if p.value >= 0 else down[i] for i, p in enumerate(s.points)]
            bars = ax.bar(
                positions,
                [p.value for p in s.points],
                STYLE["bar_span"] * 0.8,
                bottom=base,
                color=colour,
                edgecolor=background,
                linewidth=1,
            )
            _mark_derived(bars, s, colour, background)
            for bar, p, t in zip(bars, s.points, texts):
                if abs(p.value) < 0.07 * span:
                    continue  # too thin to hold its label; the table under the figure has it
                ax.text(
                    bar.get_x() + bar.get_width() / 2,
                    bar.get_y() + bar.get_height() / 2,
                    t,
                    ha="center",
                    va="center",
                    fontproperties=value_font,
                    color=text_colour if p.derived else _readable_on(colour),
                )
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
            bars = (
                ax.barh(where, heights, width * 0.92, color=colour)
                if horizontal
                else ax.bar(where, heights, width * 0.92, color=colour)
            )
            _mark_derived(bars, s, colour, background)
            ax.bar_label(bars, labels=list(texts), padding=4, fontproperties=value_font, color=text_colour)

    if labels.legend:
        handles = [Patch(facecolor=c, edgecolor=c) for c in series_colours]
        fig.legend(
            handles,
            list(labels.legend),
            loc="outside upper left",
            ncols=n_series,
            frameon=False,
            prop=font("legend"),
            labelcolor=text_colour,
            handlelength=1.2,
            handleheight=1.0,
            columnspacing=1.6,
        )
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
    r, g, b = (int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5))
    return "#000000" if 0.2126 * r + 0.7152 * g + 0.0722 * b > 0.45 else "#ffffff"


@contextmanager
def _rc() -> Iterator[None]:
    """Matplotlib's defaults plus ours, whatever matplotlibrc the machine has."""
    import matplotlib
    import matplotlib.style

    with matplotlib.style.context("default"), matplotlib.rc_context(STYLE["rc"]):
        yield


_STYLE_ATTR = re.compile(rb' style="([^"]*)"')
_STYLE_ELEMENT = re.compile(rb"<style[^>]*>\*\{([^}]*)\}</style>")
PRESENTATION = {
    b"fill",
    b"stroke",
    b"stroke-width",
    b"stroke-linecap",
    b"stroke-linejoin",
    b"stroke-opacity",
    b"fill-opacity",
    b"opacity",
    b"stroke-dasharray",
    b"stroke-dashoffset",
    b"stroke-miterlimit",
}


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
        svg = svg[: match.start()] + svg[match.end() :]
    svg = _STYLE_ATTR.sub(lambda m: attrs(m.group(1)), svg)
    return svg.replace(b"<svg ", b"<svg" + root_attrs + b" ", 1)


def render(spec: ChartSpec, lang: ChartLanguage, fonts: tuple[Path, ...]) -> dict[str, bytes]:
    """The chart's images in one language: light and dark SVG for the page, and a PNG for print.

    The layout (constrained: room for every label) is computed once, for the light SVG, and
    kept for the PNG and the dark SVG: it depends on texts and sizes, not on colours, and it
    is half the cost of a drawing. The dark SVG is the same, byte for byte, as one laid out anew.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    def svg(fig: Figure) -> bytes:
        FigureCanvasSVG(fig)  # the SVG canvas, whatever backend the process has chosen; never a GUI
        buf = io.BytesIO()
        fig.savefig(buf, format="svg", metadata={"Date": None})  # no date: same bytes every run
        return _presentation_attributes(buf.getvalue())

    out: dict[str, bytes] = {}
    with _rc():
        light = draw(spec, lang, "light", fonts)
        out["light"] = svg(light)
        light.set_layout_engine("none")
        FigureCanvasAgg(light)
        buf = io.BytesIO()
        # No metadata: a creation time or a software version would differ from build to build.
        light.savefig(buf, format="png", dpi=STYLE["print_dpi"], metadata={"Software": None})
        out["png"] = buf.getvalue()
        dark = draw(spec, lang, "dark", fonts)
        dark.set_layout_engine("none")
        for ax, laid_out in zip(dark.axes, light.axes, strict=True):
            ax.set_position(laid_out.get_position())
        out["dark"] = svg(dark)
    return out


# ---------------------------------------------------------------- the drawing process and its cache


@lru_cache(maxsize=4)
def _renderer_digest(fonts: tuple[Path, ...]) -> str:
    h = hashlib.sha256()
    for path in fonts:
        h.update(path.read_bytes())
    h.update(Path(__file__).read_bytes())
    h.update(importlib.metadata.version("matplotlib").encode())
    h.update(importlib.metadata.version("babel").encode())
    h.update(json.dumps(STYLE, sort_keys=True).encode())
    return h.hexdigest()


def cache_key(spec: ChartSpec, lang: ChartLanguage, fonts: tuple[Path, ...]) -> str:
    """Hash of all that decides the images: drawn data, number style, fonts, this file, the libraries."""
    drawn = {
        "type": spec.type,
        "lang": [lang.tag, lang.group],
        "unit": spec.unit[lang.tag],
        "categories": spec.categories[lang.tag],
        "series": [[s.label[lang.tag], [[p.value, bool(p.derived)] for p in s.points]] for s in spec.series],
    }
    text = json.dumps(drawn, sort_keys=True, ensure_ascii=False) + _renderer_digest(fonts)
    return hashlib.sha256(text.encode()).hexdigest()


_CACHED = {"light": ".svg", "dark": ".dark.svg", "png": ".png"}  # one file each: no decoding to read them


class _Cached(Mapping[str, bytes]):
    """A drawing in the cache, read when it is used: a long report's images (800 charts of 170 KB at
    N = 100) need not all be held at once."""

    def __init__(self, stem: Path):
        self.stem = stem

    def __getitem__(self, kind: str) -> bytes:
        return (self.stem.parent / (self.stem.name + _CACHED[kind])).read_bytes()

    def __iter__(self) -> Iterator[str]:
        return iter(_CACHED)

    def __len__(self) -> int:
        return len(_CACHED)


def _read_cache(stem: Path) -> Mapping[str, bytes] | None:
    # Not drawn yet, or an entry cut short by a crash (the PNG is written last): drawn again and overwritten.
    return _Cached(stem) if all((stem.parent / (stem.name + s)).is_file() for s in _CACHED.values()) else None


def _write_cache(stem: Path, drawn: dict[str, bytes]) -> None:
    stem.parent.mkdir(parents=True, exist_ok=True)
    # The PNG last: an entry is read only when all three files are there, and each appears whole.
    for kind in ("light", "dark", "png"):
        tmp = stem.parent / f".{stem.name}.{os.getpid()}.{kind}.tmp"
        tmp.write_bytes(drawn[kind])
        os.replace(tmp, stem.parent / (stem.name + _CACHED[kind]))  # atomic: a parallel build never reads half a file


Drawn = dict[tuple[str, str], Mapping[str, bytes]]  # (chart id, language) -> light, dark, png
Keys = dict[tuple[str, str], str]  # (chart id, language) -> cache key


def cached(
    specs: list[ChartSpec], langs: list[ChartLanguage], fonts: tuple[Path, ...], cache_dir: Path | None
) -> tuple[Keys, Drawn, list[tuple[ChartSpec, ChartLanguage]]]:
    """Every chart's key, what the cache holds already, and what is left to draw. No matplotlib."""
    keys: Keys = {}
    found: Drawn = {}
    todo = []
    for spec in specs:
        for lang in langs:
            key = keys[(spec.id, lang.tag)] = cache_key(spec, lang, fonts)
            entry = _read_cache(cache_dir / "charts" / key) if cache_dir else None
            if entry is None:
                todo.append((spec, lang))
            else:
                found[(spec.id, lang.tag)] = entry
    return keys, found, todo


def draw_charts(
    todo: list[tuple[ChartSpec, ChartLanguage]], fonts: tuple[Path, ...], cache_dir: Path | None
) -> tuple[Drawn, list[Any]]:
    """Draw what the cache lacks (the work of the drawing process): the images and the diagnostics."""
    diags = Diagnostics()
    out: Drawn = {}
    for spec, lang in todo:
        # A cached chart passed this check already: its key covers the texts and the fonts.
        if not check_glyphs(spec, lang, fonts, diags):
            continue
        drawn = render(spec, lang, fonts)
        if cache_dir is not None:
            _write_cache(cache_dir / "charts" / cache_key(spec, lang, fonts), drawn)
        out[(spec.id, lang.tag)] = drawn
    return out, diags.items


# ---------------------------------------------------------------- data files and page data


def image_names(chart_id: str, tag: str, key: str) -> tuple[str, str]:
    """The light and dark images a page shows: charts/<id>.<lang>.<hash>.svg, cached by readers for a year.

    Named by the cache key, which covers all that decides their bytes, so that pages can be
    written while the images are still being drawn."""
    stem = f"charts/{chart_id}.{tag}"
    return f"{stem}.{key[:HASH_LEN]}.svg", f"{stem}.dark.{key[:HASH_LEN]}.svg"


def size_px() -> tuple[int, int]:
    """Every chart's size in CSS pixels: the figure's size is fixed (1 pt = 4/3 px)."""
    return round(STYLE["size_pt"][0] * 4 / 3), round(STYLE["size_pt"][1] * 4 / 3)


def warm_up(fonts: tuple[Path, ...]) -> None:
    """What a drawing process does before it has charts to draw: import matplotlib, load the fonts,
    and draw once (the first drawing of a process fills caches and costs ten times the next)."""
    from matplotlib.backends.backend_svg import FigureCanvasSVG

    families = _register(fonts)
    with _rc():
        from matplotlib.figure import Figure

        fig = Figure(figsize=(2, 1), layout="constrained")
        ax = fig.add_subplot()
        ax.bar([0, 1], [1, 2])
        ax.set_xticks([0, 1], ["a", "b"], family=list(families))
        FigureCanvasSVG(fig)
        fig.savefig(io.BytesIO(), format="svg")


def csv_data(spec: ChartSpec, lang: ChartLanguage, unit_heading: str) -> bytes:
    """The data as a spreadsheet reads it: the unit in each value column's heading, values as stored."""
    unit = spec.unit[lang.tag]
    headings = [unit_heading.format(label=s.label[lang.tag], unit=unit) for s in spec.series]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([spec.category_label[lang.tag]] + headings)
    for i, category in enumerate(spec.categories[lang.tag]):
        writer.writerow([category] + [repr(s.points[i].value) for s in spec.series])
    return out.getvalue().encode("utf-8")


def table(spec: ChartSpec, lang: ChartLanguage) -> dict[str, Any]:
    """The data table under a figure: columns, rows with the values as the language writes them."""
    columns = [spec.category_label[lang.tag]] + [s.label[lang.tag] for s in spec.series]
    rows = [
        [category] + [_value_label(s.points[i], lang, decimals(spec)) for s in spec.series]
        for i, category in enumerate(spec.categories[lang.tag])
    ]
    return {"columns": columns, "rows": rows, "unit": spec.unit[lang.tag]}


def derived_notes(spec: ChartSpec, tag: str, pattern: str) -> list[str]:
    return [
        pattern.format(mark=DERIVED_MARK, series=s.label[tag], category=spec.categories[tag][i], text=p.derived[tag])
        for s in spec.series
        for i, p in enumerate(s.points)
        if p.derived
    ]


def metadata(
    spec: ChartSpec, lang: ChartLanguage, number: int, links: dict[str, str], licence: str, citation: str
) -> bytes:
    """The figure's JSON: what it shows, where each value comes from, how the derived ones were obtained."""
    data = {
        "id": spec.id,
        "figure": number,
        "language": lang.tag,
        "title": spec.title[lang.tag],
        "caption": spec.caption[lang.tag],
        "description": spec.description[lang.tag],
        "unit": spec.unit[lang.tag],
        "type": spec.type,
        "categories": list(spec.categories[lang.tag]),
        "series": [
            {
                "id": s.id,
                "label": s.label[lang.tag],
                "values": [
                    {
                        "category": spec.categories[lang.tag][i],
                        "value": p.value,
                        "source": p.paragraph,
                        **({"derived": p.derived[lang.tag]} if p.derived else {}),
                    }
                    for i, p in enumerate(s.points)
                ],
            }
            for s in spec.series
        ],
        "source_paragraphs": spec.paragraphs(),
        "citation": citation,
        "licence": licence,
        "links": links,
    }
    return (json.dumps(data, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
