"""Tests of the charts stage: what a reader or an editor would notice."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from reportsite.charts import (
    ChartSpec,
    figure_view,
    format_number,
    load_chart,
    render_assets,
    render_svg,
    source_refs,
)
from reportsite.errors import ROOT, Diagnostics, SourcePos

LANGS = ("zh", "en")
CHARTS = ROOT / "content" / "charts"
FIXTURES = ROOT / "tests" / "fixtures" / "charts"
REAL_IDS = ["deficit-2018", "extrabudgetary-income-2018", "income-composition", "non-earmarked-contributions"]
SVG = "{http://www.w3.org/2000/svg}"
UI = {"zh": {"figure": "图 {n}"}, "en": {"figure": "Figure {n}"}}


def _load(path: Path) -> tuple[ChartSpec | None, Diagnostics]:
    diags = Diagnostics()
    return load_chart(path, LANGS, diags), diags


@pytest.fixture(scope="module")
def specs() -> list[ChartSpec]:
    loaded = [_load(CHARTS / f"{chart_id}.yaml") for chart_id in REAL_IDS]
    assert [str(d) for _, diags in loaded for d in diags.items] == []
    return [spec for spec, _ in loaded if spec]


@pytest.fixture(scope="module")
def assets(specs: list[ChartSpec]) -> dict[str, bytes]:
    diags = Diagnostics()
    out = render_assets(specs, LANGS, None, diags)
    assert [str(d) for d in diags.items] == []
    return out


def test_real_charts_load_without_diagnostics(specs: list[ChartSpec]) -> None:
    assert [s.id for s in specs] == REAL_IDS
    assert all(s.path == f"content/charts/{s.id}.yaml" for s in specs)


def test_every_chart_has_light_dark_and_csv_in_each_language(specs: list[ChartSpec], assets: dict[str, bytes]) -> None:
    assert len(assets) == len(specs) * len(LANGS) * 3
    for spec in specs:
        for lang in LANGS:
            names = sorted(re.sub(r"\.[0-9a-f]{8}\.", ".HASH.", n) for n in assets
                           if n.startswith(f"charts/{spec.id}.{lang}."))
            stem = f"charts/{spec.id}.{lang}"
            assert names == [f"{stem}.HASH.csv", f"{stem}.HASH.svg", f"{stem}.dark.HASH.svg"]


def test_svgs_are_valid_xml_with_text_as_paths(assets: dict[str, bytes]) -> None:
    for name, data in assets.items():
        if not name.endswith(".svg"):
            continue
        root = ET.fromstring(data)
        assert root.tag == f"{SVG}svg", name
        assert root.get("width") == "480pt" and root.get("height") == "300pt", name
        assert root.find(f".//{SVG}text") is None, f"{name} has <text>: it would depend on the reader's fonts"
        assert len(root.findall(f".//{SVG}path")) > 20, name
        assert b"<dc:date>" not in data, name


def test_dark_and_light_differ_in_colour_only(assets: dict[str, bytes]) -> None:
    light = next(v for n, v in assets.items() if re.fullmatch(r"charts/deficit-2018\.en\.[0-9a-f]{8}\.svg", n))
    dark = next(v for n, v in assets.items() if n.startswith("charts/deficit-2018.en.dark."))
    assert b"#ffffff" in light and b"#0b5cad" in light and b"#16191d" not in light
    assert b"#16191d" in dark and b"#7db4f0" in dark and b"#0b5cad" not in dark


def test_asset_names_carry_a_hash_of_their_bytes(assets: dict[str, bytes]) -> None:
    for name, data in assets.items():
        digest = name.rsplit(".", 2)[1]
        assert len(digest) == 8 and hashlib.sha256(data).hexdigest().startswith(digest), name


def test_two_renders_give_identical_bytes(specs: list[ChartSpec]) -> None:
    spec = specs[1]
    assert render_svg(spec, "zh", "light") == render_svg(spec, "zh", "light")
    assert render_svg(spec, "en", "dark") == render_svg(spec, "en", "dark")


def _yaml_values(chart_id: str) -> dict:
    return yaml.safe_load((CHARTS / f"{chart_id}.yaml").read_text(encoding="utf-8"))


def test_table_and_csv_match_the_yaml(specs: list[ChartSpec], assets: dict[str, bytes]) -> None:
    for number, spec in enumerate(specs, 1):
        raw = _yaml_values(spec.id)
        for lang in LANGS:
            view = figure_view(spec, lang, number, assets, UI[lang])
            table = view["table"]
            assert table["unit"] == raw["unit"][lang]
            assert table["columns"][1:] == [s["label"][lang] for s in raw["series"]]
            assert [row[0] for row in table["rows"]] == raw["categories"][lang]
            for i, row in enumerate(table["rows"]):
                for cell, series in zip(row[1:], raw["series"]):
                    point = series["points"][i]
                    assert cell == f"{point['value']:.1f}" + ("*" if "derived" in point else "")

            rows = list(csv.reader(io.StringIO(assets[view["csv"][1:]].decode("utf-8"))))
            unit = raw["unit"][lang]
            assert all(unit in heading for heading in rows[0][1:])
            assert [r[0] for r in rows[1:]] == raw["categories"][lang]
            assert [[float(c) for c in r[1:]] for r in rows[1:]] == [
                [s["points"][i]["value"] for s in raw["series"]] for i in range(len(rows) - 1)
            ]


def test_figure_view_gives_what_the_page_needs(specs: list[ChartSpec], assets: dict[str, bytes]) -> None:
    spec = next(s for s in specs if s.id == "extrabudgetary-income-2018")
    zh = figure_view(spec, "zh", 3, assets, UI["zh"])
    en = figure_view(spec, "en", 3, assets, UI["en"])
    assert zh["id"] == "fig-3" and zh["number"] == 3 and zh["label"] == "图 3" and en["label"] == "Figure 3"
    assert zh["title"] == "2018 年预算外收入：目标与实际情况对比"
    assert zh["table"]["unit"] == "百万美元"
    assert [r[0] for r in zh["table"]["rows"]] == ["非专门用途基金会", "专门用途基金会", "技术合作"]
    assert (zh["width"], zh["height"]) == (640, 400)
    for key in ("img", "img_dark", "csv"):
        assert zh[key].startswith("/charts/") and zh[key][1:] in assets
    assert ".dark." in zh["img_dark"] and ".dark." not in zh["img"] and zh["img"] != en["img"]
    assert zh["sources"] == [{"number": 18, "href": "@#para-18"}, {"number": 19, "href": "@#para-19"}]
    # The one derived value is marked and explained, in each language.
    assert zh["table"]["rows"][0][1] == "12.9*" and len(zh["table"]["notes"]) == 1
    assert "28%" in zh["table"]["notes"][0] and "28 per cent" in en["table"]["notes"][0]
    for view in (zh, en):
        assert all(view[k] for k in ("caption", "alt", "description"))


def test_income_composition_caption_states_the_two_years(specs: list[ChartSpec]) -> None:
    spec = next(s for s in specs if s.id == "income-composition")
    assert "2018" in spec.caption["zh"] and "2019" in spec.caption["zh"]
    assert "2018" in spec.caption["en"] and "2019" in spec.caption["en"]
    values = [p.value for p in spec.series[0].points]
    assert values == [178.8, 164.5, 14.3] and round(values[1] + values[2], 1) == values[0]


def test_numbers_are_formatted_for_the_language() -> None:
    assert format_number(1234.5, "en") == "1,234.5"
    assert format_number(4770, "zh") == "4\u00a0770.0"
    assert format_number(3.6, "zh") == "3.6"


_RUN = """
import hashlib, json, sys
from pathlib import Path
from reportsite.charts import load_chart, render_assets
from reportsite.errors import Diagnostics
d = Diagnostics()
specs = [load_chart(p, ("zh", "en"), d) for p in sorted(Path("content/charts").glob("*.yaml"))]
assets = render_assets(specs, ("zh", "en"), Path(sys.argv[1]), d)
print(json.dumps({"errors": [str(x) for x in d.items], "matplotlib": "matplotlib" in sys.modules,
                  "assets": {k: hashlib.sha256(v).hexdigest() for k, v in assets.items()}}))
"""


def _run(cache: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", _RUN, str(cache)], cwd=ROOT, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cache_hit_does_not_import_matplotlib_and_gives_the_same_bytes(tmp_path: Path,
                                                                     assets: dict[str, bytes]) -> None:
    first = _run(tmp_path)
    assert first["errors"] == [] and first["matplotlib"] is True
    assert list((tmp_path / "charts").glob("*.json"))
    second = _run(tmp_path)
    assert second["errors"] == [] and second["matplotlib"] is False
    assert second["assets"] == first["assets"]
    # Another process, drawing afresh, gives the bytes this one drew.
    assert first["assets"] == {k: hashlib.sha256(v).hexdigest() for k, v in assets.items()}


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


def test_glyph_missing_from_font_is_an_error_not_a_box() -> None:
    spec, diags = _load(FIXTURES / "glyph-missing-from-font.yaml")
    assert spec is not None and diags.items == []
    assets = render_assets([spec], LANGS, None, diags)
    assert [str(d) for d in diags.sorted()] == [
        "tests/fixtures/charts/glyph-missing-from-font.yaml:11:7: error: the chart font NotoSansSC-Regular.otf "
        "has no glyph for '서' (U+C11C), '울' (U+C6B8) in 'Seoul 서울'; it would be drawn as a box: "
        "use other characters"
    ]
    assert not any(".en." in name for name in assets)  # the faulty image is not published
    assert any(".zh." in name for name in assets)


def test_source_refs_give_paragraph_numbers_and_positions() -> None:
    spec, diags = _load(FIXTURES / "sources.yaml")
    assert spec is not None and diags.items == []
    path = "tests/fixtures/charts/sources.yaml"
    assert source_refs(spec) == [
        (18, SourcePos(path, 16, 17)),
        (19, SourcePos(path, 18, 31)),
        (18, SourcePos(path, 22, 30)),
        (99, SourcePos(path, 23, 31)),  # does not exist: the validate stage reports it
    ]
