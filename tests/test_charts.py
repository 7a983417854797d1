"""Tests of the charts stage: what a reader or an editor would notice."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, load_parsed, real_project

from reportsite import charts
from reportsite.charts import ChartLanguage, ChartSpec, load_chart, render, source_refs
from reportsite.config import load_report
from reportsite.errors import Diagnostics, SourcePos

CHARTS = ROOT / "content" / "charts"
FIXTURES = ROOT / "tests" / "fixtures" / "charts"
REAL_IDS = ["deficit-2018", "extrabudgetary-income-2018", "income-composition", "non-earmarked-contributions"]
SVG = "{http://www.w3.org/2000/svg}"
LANGS = {"zh": ChartLanguage("zh", " "), "en": ChartLanguage("en", "")}


def _report():  # type: ignore[no-untyped-def]
    return load_report((ROOT / "content" / "report.yaml").read_text("utf-8"), "content/report.yaml", Diagnostics())


def _load(path: Path) -> tuple[ChartSpec | None, Diagnostics]:
    diags = Diagnostics()
    shown = path.relative_to(ROOT).as_posix()
    return load_chart(path.read_text("utf-8"), shown, path.stem, _report(), diags), diags


def _fonts() -> tuple[Path, ...]:
    project = real_project()
    return tuple(p for p in (project.find("assets", f) for f in charts.FONTS) if p)


@pytest.fixture(scope="module")
def specs() -> list[ChartSpec]:
    loaded = [_load(CHARTS / f"{chart_id}.yaml") for chart_id in REAL_IDS]
    assert [str(d) for _, diags in loaded for d in diags.items] == []
    return [spec for spec, _ in loaded if spec]


@pytest.fixture(scope="module")
def drawn(specs: list[ChartSpec]) -> dict[tuple[str, str], dict[str, bytes]]:
    out, found = charts.draw_charts([(s, lang) for s in specs for lang in LANGS.values()], _fonts(), None)
    assert [str(d) for d in found] == []
    return out


def test_real_charts_load_without_diagnostics(specs: list[ChartSpec]) -> None:
    assert [s.id for s in specs] == REAL_IDS
    assert all(s.path == f"content/charts/{s.id}.yaml" for s in specs)


def test_every_chart_has_light_dark_and_print_images_in_each_language(specs, drawn) -> None:
    assert set(drawn) == {(s.id, lang) for s in specs for lang in LANGS}
    for images in drawn.values():
        assert set(images) == {"light", "dark", "png"}
        assert images["png"].startswith(b"\x89PNG")


def test_svgs_are_valid_xml_with_text_as_paths(drawn) -> None:
    for key, images in drawn.items():
        for scheme in ("light", "dark"):
            data = images[scheme]
            root = ET.fromstring(data)
            assert root.tag == f"{SVG}svg", key
            assert root.get("width") == "480pt" and root.get("height") == "300pt", key
            assert root.find(f".//{SVG}text") is None, f"{key} has <text>: it would depend on the reader's fonts"
            assert len(root.findall(f".//{SVG}path")) > 20, key
            assert b"<dc:date>" not in data and b"<script" not in data and b"style=" not in data, key


def test_the_print_image_is_300_dpi(drawn) -> None:
    png = drawn[("deficit-2018", "en")]["png"]
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    assert (width, height) == (2000, 1250)  # 480 x 300 pt at 300 dpi
    assert b"tEXt" not in png  # no software version or date: the same bytes every build


def test_dark_and_light_differ_in_colour_only(drawn) -> None:
    light, dark = drawn[("deficit-2018", "en")]["light"], drawn[("deficit-2018", "en")]["dark"]
    assert b"#ffffff" in light and b"#0b5cad" in light and b"#16191d" not in light
    assert b"#16191d" in dark and b"#7db4f0" in dark and b"#0b5cad" not in dark


def test_image_names_carry_the_key_of_what_decides_their_bytes(specs) -> None:
    fonts = _fonts()
    spec = specs[0]
    key = charts.cache_key(spec, LANGS["en"], fonts)
    light, dark = charts.image_names(spec.id, "en", key)
    assert light == f"charts/{spec.id}.en.{key[:8]}.svg" and dark == f"charts/{spec.id}.en.dark.{key[:8]}.svg"
    moved = ChartSpec(**{**spec.__dict__, "unit": {**spec.unit, "en": "billions"}})
    assert charts.cache_key(moved, LANGS["en"], fonts) != key  # other data, other name
    assert charts.cache_key(spec, LANGS["zh"], fonts) != key


def test_two_renders_give_identical_bytes(specs) -> None:
    spec, fonts = specs[1], _fonts()
    assert render(spec, LANGS["zh"], fonts) == render(spec, LANGS["zh"], fonts)


def _yaml_values(chart_id: str) -> dict:
    return yaml.safe_load((CHARTS / f"{chart_id}.yaml").read_text(encoding="utf-8"))


def test_table_and_csv_match_the_yaml(specs) -> None:
    for spec in specs:
        raw = _yaml_values(spec.id)
        for tag, lang in LANGS.items():
            table = charts.table(spec, lang)
            assert table["unit"] == raw["unit"][tag]
            assert table["columns"][1:] == [s["label"][tag] for s in raw["series"]]
            assert [row[0] for row in table["rows"]] == raw["categories"][tag]
            for i, row in enumerate(table["rows"]):
                for cell, series in zip(row[1:], raw["series"]):
                    point = series["points"][i]
                    assert cell == f"{point['value']:.1f}" + ("*" if "derived" in point else "")
            rows = list(csv.reader(io.StringIO(charts.csv_data(spec, lang, "{label} ({unit})").decode("utf-8"))))
            unit = raw["unit"][tag]
            assert all(unit in heading for heading in rows[0][1:])
            assert [r[0] for r in rows[1:]] == raw["categories"][tag]
            assert [[float(c) for c in r[1:]] for r in rows[1:]] == [
                [s["points"][i]["value"] for s in raw["series"]] for i in range(len(rows) - 1)
            ]


def test_derived_values_are_marked_and_explained(specs) -> None:
    spec = next(s for s in specs if s.id == "extrabudgetary-income-2018")
    assert charts.table(spec, LANGS["zh"])["rows"][0][1] == "12.9*"
    zh = charts.derived_notes(spec, "zh", "{mark} {series}，{category}：{text}")
    en = charts.derived_notes(spec, "en", "{mark} {series}, {category}: {text}")
    assert len(zh) == len(en) == 1
    assert "28%" in zh[0] and "28 per cent" in en[0]


def test_income_composition_caption_states_the_two_years(specs) -> None:
    spec = next(s for s in specs if s.id == "income-composition")
    assert "2018" in spec.caption["zh"] and "2019" in spec.caption["zh"]
    assert "2018" in spec.caption["en"] and "2019" in spec.caption["en"]
    values = [p.value for p in spec.series[0].points]
    assert values == [178.8, 164.5, 14.3] and round(values[1] + values[2], 1) == values[0]


@pytest.mark.parametrize("tag, group, value, decimals, expected", [
    ("en", "", 1234.5, 1, "1,234.5"),
    ("zh", " ", 4770, 1, "4\u00a0770.0"),  # the report's Chinese groups thousands with a space
    ("zh", " ", 3.6, 1, "3.6"),
    ("fr", "", 1234.5, 1, "1\u202f234,5"),  # CLDR: a narrow no-break space, a decimal comma
    ("es", "", 1234.5, 1, "1.234,5"),
    ("ru", "", 1234.5, 1, "1\u00a0234,5"),
    ("ar", "", 1234.5, 1, "1,234.5"),
])
def test_numbers_are_written_as_each_language_writes_them(tag, group, value, decimals, expected) -> None:
    assert ChartLanguage(tag, group).number(value, decimals) == expected


_RUN = """
import hashlib, json, sys
from pathlib import Path
sys.path.insert(0, "tests")
from conftest import load_parsed, real_project
from reportsite import charts
checked = load_parsed()
project = real_project(cache=Path(sys.argv[1]))
fonts = tuple(p for p in (project.find("assets", f) for f in charts.FONTS) if p)
langs = [charts.ChartLanguage("zh", " "), charts.ChartLanguage("en", "")]
keys, found, todo = charts.cached(list(checked.site.charts.values()), langs, fonts, project.cache)
drawn, errors = charts.draw_charts(todo, fonts, project.cache)
drawn.update(found)
print(json.dumps({"errors": [str(x) for x in errors], "matplotlib": "matplotlib" in sys.modules, "todo": len(todo),
                  "images": {f"{k[0]} {k[1]} {s}": hashlib.sha256(v).hexdigest()
                             for k, d in drawn.items() for s, v in d.items()}}))
"""


def _run(cache: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _RUN, str(cache)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cache_hit_does_not_import_matplotlib_and_gives_the_same_bytes(tmp_path: Path, drawn) -> None:
    first = _run(tmp_path)
    assert first["errors"] == [] and first["matplotlib"] is True and first["todo"] == 8
    assert len(list((tmp_path / "charts").glob("*.png"))) == 8  # one entry per chart and language
    second = _run(tmp_path)
    assert second["errors"] == [] and second["matplotlib"] is False and second["todo"] == 0
    assert second["images"] == first["images"]
    # Another process, drawing afresh, gives the bytes this one drew.
    assert first["images"] == {f"{k[0]} {k[1]} {s}": hashlib.sha256(v).hexdigest()
                               for k, d in drawn.items() for s, v in d.items()}


@pytest.mark.parametrize(
    "case, expected",
    [
        ("unknown-type", "2:7: error: unknown value 'pie'; expected one of: bar, grouped-bar, horizontal-bar, "
                         "stacked-bar, line"),
        ("value-not-a-number", "16:16: error: expected a number, found str '3,6'"),
        ("points-and-categories-differ", "21:7: error: series 'actual' has 2 points but there are 3 categories"),
        ("label-missing-in-one-language", "18:12: error: label missing for: en"),
        ("unknown-key", "11:1: error: unknown key 'colour' in chart; expected: id, type, unit, title, caption, alt, "
                        "description, category_label, categories, series"),
    ],
)
def test_invalid_chart_gives_one_diagnostic(case: str, expected: str) -> None:
    spec, diags = _load(FIXTURES / f"{case}.yaml")
    assert spec is None
    assert [str(d) for d in diags.sorted()] == [f"tests/fixtures/charts/{case}.yaml:{expected}"]


def test_glyph_missing_from_every_font_is_an_error_not_a_box() -> None:
    spec, diags = _load(FIXTURES / "glyph-missing-from-font.yaml")
    assert spec is not None and diags.items == []
    drawn, found = charts.draw_charts([(spec, lang) for lang in LANGS.values()], _fonts(), None)
    assert [str(d) for d in found] == [
        "tests/fixtures/charts/glyph-missing-from-font.yaml:11:7: error: the chart fonts (NotoSansSC-Regular.otf, "
        "NotoSansArabic-Regular.ttf, NotoSans-Regular.ttf) have no glyph for '서' (U+C11C), '울' (U+C6B8); it would "
        "be drawn as a box: use other characters, or add a font to the theme"
    ]
    assert set(drawn) == {(spec.id, "zh")}  # the faulty image is not drawn; the build stops on the error


def test_arabic_and_cyrillic_labels_are_covered_by_the_theme_fonts(specs) -> None:
    spec = specs[0]
    arabic = ChartSpec(**{**spec.__dict__, "categories": {**spec.categories, "en": ("قبل", "بعد", "Итог")}})
    diags = Diagnostics()
    assert charts.check_glyphs(arabic, LANGS["en"], _fonts(), diags) and diags.items == []


def test_source_refs_give_paragraph_ids_and_positions() -> None:
    spec, diags = _load(FIXTURES / "sources.yaml")
    assert spec is not None and diags.items == []
    path = "tests/fixtures/charts/sources.yaml"
    assert source_refs(spec) == [
        ("para-18", SourcePos(path, 16, 17)),
        ("para-19", SourcePos(path, 18, 31)),
        ("para-18", SourcePos(path, 22, 30)),
        ("para-99", SourcePos(path, 23, 31)),  # does not exist: the validate stage reports it
    ]


def test_a_chart_too_large_to_read_is_refused_before_drawing(tmp_path: Path) -> None:
    raw = _yaml_values("deficit-2018")
    raw["categories"] = {lang: [f"c{i}" for i in range(200)] for lang in LANGS}
    raw["series"][0]["points"] = [{"value": 1, "source": "para-8"}] * 200
    path = tmp_path / "deficit-2018.yaml"
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), "utf-8")
    diags = Diagnostics()
    assert load_chart(path.read_text("utf-8"), "big.yaml", "deficit-2018", _report(), diags) is None
    assert any("200 categories; a chart has at most 60" in d.message for d in diags.items)


def test_the_real_charts_are_placed_as_figures_1_to_4() -> None:
    refs = load_parsed().refs
    assert sorted(refs.figures.values()) == [1, 2, 3, 4] and set(refs.figures) == set(REAL_IDS)
