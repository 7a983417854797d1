"""Property: whatever the files hold, loading and checking end in success or diagnostics, never a traceback.

Hypothesis writes random text, random bytes, broken front matter and random
YAML (nesting, anchors, tags, tabs, YAML 1.1 words) into one file of the
small valid site of tests/fixtures/invalid/_base, then runs the pipeline's
check and the stale-translation check that `python build.py check` adds.
Bounded (a few hundred examples, no deadline) to run in seconds.
"""
from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from conftest import real_project
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from test_check import make_site

from reportsite import pipeline
from reportsite.errors import Diagnostic, Diagnostics
from reportsite.load import _section_schema
from reportsite.yamlschema import load as load_yaml

SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
BODY = "sections/02-beta/01-gamma/body.en.md"
YAML_FILES = ["report.yaml", "sections/01-alpha/section.yaml", "charts/deficit.yaml", "ui/zh.yaml", "glossary.yaml"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    content = make_site(tmp_path_factory.mktemp("property").resolve())
    (content / "ui").mkdir()  # a project's own interface strings, over the theme's
    (content / "ui" / "zh.yaml").write_text("copy_link: 复制链接\n", "utf-8")
    (content / "glossary.yaml").write_text("terms:\n  - {zh: 人居署, en: UN-Habitat, check: true}\n", "utf-8")
    return content


def check_file(content: Path, rel: str, data: bytes) -> list[Diagnostic]:
    """Write `data` into `rel`, check the site, put the file back; the diagnostics found."""
    path = content / rel
    original = path.read_bytes()
    try:
        path.write_bytes(data)
        result = pipeline.check(real_project(content))  # the stale-translation check included
    finally:
        path.write_bytes(original)
    for d in result.diagnostics.items:
        assert d.severity in ("error", "warning")
        assert d.pos.path and d.message and d.pos.line >= 0 and d.pos.col >= 0
        str(d)
    return result.diagnostics.items


# Pieces that make a Markdown body interesting to the parser and the validator.
MD_PIECES = st.sampled_from([
    "---\n", "...\n", "description: x\n", "description: [a, b]\n", "description:\n", "\n", "\n\n",
    "1. ", "4. ", "5. ", "99. ", "(a) ", "[^1]", "[^1]: note\n", "[^x]", "[^", "[", "]", "(", ")",
    "[link](alpha#para-2)", "[l](nowhere)", "[l](#fn-1)", "[l](/abs)", "[l](javascript:x)",
    "![](a.png)", "![alt](../x.png)", "```chart\ndeficit\n```\n", "```chart\n\n```\n", "```\n", "```py\n",
    "# heading\n", "<b>", "*", "**", "`", "\t", "\r", "\r\n", "\ufeff", "\x00", "万", "亿", "550 万", "26/1",
    "\u3000", "数字", "word ", "-", "> ", "    code\n",
])
markdown = st.lists(st.one_of(MD_PIECES, st.text(max_size=20)), max_size=40).map("".join)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text(max_size=15),
    st.sampled_from(["no", "yes", "on", "off", "NO", "~", "null", "1e3", "0x1f", "2019-05-27", "12:30", ".inf"]),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.one_of(st.text(max_size=8), st.integers()), inner, max_size=4)),
    max_leaves=12)
KEYS = ["id", "slug", "label", "order", "title", "zh", "en", "type", "series", "points", "value", "source",
        "categories", "symbol", "languages", "base_url", "summary", "notes", "print"]
known_keys = st.dictionaries(st.sampled_from(KEYS), values, max_size=8)
YAML_PIECES = st.sampled_from([
    "&a x", "*a", "*nope", "<<: *a\n", "!!python/object:os.system x", "!!binary aGk=", "!tag x", "? [a]\n: b\n",
    "---\n", "...\n", "%YAML 1.1\n", "\t", "  ", "\n", ": ", "- ", "{", "}", "[", "]", "'", '"', "#", "|\n", ">-\n",
    "id: a\n", "id: a\nid: b\n", "title:\n  zh: x\n  en: y\n", "\ufeff", "\x00", "\x85",
])
broken_yaml = st.lists(st.one_of(YAML_PIECES, st.text(max_size=12)), max_size=30).map("".join)


def _dump(value: object) -> str:
    return yaml.safe_dump(value, allow_unicode=True, default_flow_style=None)


yaml_text = st.one_of(known_keys.map(_dump), values.map(_dump), broken_yaml)


@SETTINGS
@given(text=markdown)
def test_random_markdown_body(site: Path, text: str) -> None:
    check_file(site, BODY, text.encode("utf-8", "surrogatepass"))


@SETTINGS
@given(meta=yaml_text, body=markdown, close=st.sampled_from(["---\n", "...\n", "", "--- \n", "----\n"]))
def test_broken_front_matter(site: Path, meta: str, body: str, close: str) -> None:
    check_file(site, BODY, f"---\n{meta}{close}{body}".encode("utf-8", "surrogatepass"))


@SETTINGS
@given(rel=st.sampled_from(YAML_FILES + [BODY]), data=st.binary(max_size=300))
def test_random_bytes(site: Path, rel: str, data: bytes) -> None:
    check_file(site, rel, data)


@SETTINGS
@given(rel=st.sampled_from(YAML_FILES), text=yaml_text)
@example(rel="report.yaml", text="languages: [null]\n")  # once raised a TypeError after the schema's error
def test_random_yaml(site: Path, rel: str, text: str) -> None:
    check_file(site, rel, text.encode("utf-8", "surrogatepass"))


@settings(max_examples=300, deadline=None)
@given(text=st.one_of(yaml_text, st.text(max_size=200)))
def test_yaml_schema_never_raises(text: str) -> None:
    diags = Diagnostics()
    value = load_yaml(text, "x.yaml", _section_schema(("zh", "en")), diags)
    assert value is not None or diags.errors


def test_the_site_is_restored_after_each_example(site: Path) -> None:
    assert pipeline.check(real_project(site)).diagnostics.items == []
