"""report.yaml to a typed `Report`: part of the load stage.

Input: the text of report.yaml. Output: a `Report` (model.py) or
diagnostics at the line and column of every problem. Every key is declared
here; an unknown one is an error with a "did you mean".

The document is declared, not assumed: its languages (BCP 47 tags, the
source first), its cover fields in the order the cover prints them, its
label scheme, whether paragraphs are numbered, its branding and the data a
citation needs. A second kind of document needs another report.yaml, not
another version of the code.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from .errors import Diagnostics, SourcePos, excerpt
from .labels import SCHEMES
from .languages import Language, LanguageError, language
from .model import Citation, CoverField, Report
from .yamlschema import Bool, Dict, Enum, List, Located, Map, Str, clean, load, pos_of

SLUG = r"[a-z0-9]+(?:-[a-z0-9]+)*"
FIELD = r"[a-z][a-z0-9_]*"
ISSUED = re.compile(r"\d{4}(-\d{2}(-\d{2})?)?")


def _texts(name: str) -> Dict:
    return Dict(Str(), name=name)


def schema() -> Map:
    return Map(
        {
            "id": Str(pattern=SLUG, max_len=64, hint="lower-case ASCII letters, digits and single hyphens"),
            "symbol": Str(max_len=100),
            "languages": List(Located(Str(max_len=20)), min_items=1),
            "base_url": Str(
                pattern=r"https://[A-Za-z0-9.-]+(:\d+)?", hint="an https:// origin without a path or slash"
            ),
            "labels": Enum(*SCHEMES),
            "numbered_paragraphs": Bool(),
            "number_grouping": Dict(Str(allow_empty=True, max_len=3), name="number_grouping"),
            "site": Map(
                {
                    "name": _texts("site name"),
                    "organization": _texts("organization"),
                    "logo": Str(
                        pattern=r"[A-Za-z0-9][A-Za-z0-9._/-]*\.(svg|png)", hint="a file in assets/, such as logo.svg"
                    ),
                    "accent": Str(pattern=r"#[0-9a-fA-F]{6}", hint="a colour such as #0b5cad"),
                },
                required=("name",),
                name="site",
            ),
            "cover": Dict(
                _texts("cover field"), key=Str(pattern=FIELD, hint="a name such as title or session"), name="cover"
            ),
            "summary": _texts("summary"),
            "notes": Dict(Dict(Str(), name="notes"), name="notes"),
            "citation": Map(
                {
                    "author": _texts("author"),
                    "publisher": _texts("publisher"),
                    "place": _texts("place"),
                    "issued": Str(pattern=ISSUED.pattern, hint="a year or a date: 2019, 2019-03, 2019-03-14"),
                    "doi": Str(pattern=r"10\.\d{4,9}/\S+", hint="a DOI such as 10.18356/abc"),
                    "isbn": Str(pattern=r"(97[89][- ]?)?\d{1,5}[- ]?\d+[- ]?\d+[- ]?[\dX]", hint="an ISBN"),
                    "licence": Str(max_len=200),
                },
                required=("author", "issued"),
                name="citation",
            ),
        },
        required=("languages", "base_url", "site", "cover", "citation"),
        name="report.yaml",
    )


def load_report(text: str, shown: str, diags: Diagnostics) -> Report | None:
    data = load(text, shown, schema(), diags)
    if data is None or not data.get("languages"):
        return None
    langs: list[Language] = []
    for item in data["languages"]:
        if item is None:
            continue  # refused by the schema, and reported
        tag, pos = item
        try:
            lang = language(tag)
        except LanguageError as exc:
            diags.error(pos, str(exc))
            continue
        if any(other.tag == tag for other in langs):
            diags.error(pos, f"the language '{tag}' is listed twice")
            continue
        if any(other.path == lang.path for other in langs):
            diags.error(pos, f"'{tag}' differs from another language only in capital letters")
            continue
        langs.append(lang)
    if len(langs) != len(data["languages"]):
        return None
    tags = [lang.tag for lang in langs]
    before = diags.errors

    def per_language(mapping: dict[str, Any] | None, name: str, required: bool = True) -> dict[str, str]:
        """The texts of one field, each language's; reports missing and unknown languages."""
        if mapping is None:
            return {}
        missing = [t for t in tags if t not in mapping]
        if missing and required:
            diags.error(pos_of(mapping), f"'{name}' has no text for: {', '.join(missing)}")
        for key in mapping:
            if key != "__pos__" and key not in tags:
                diags.error(pos_of(mapping, key), f"'{name}' has text for '{key}', which is not in languages")
        return {t: mapping[t] for t in tags if isinstance(mapping.get(t), str)}

    site = data.get("site") or {}
    cover: list[CoverField] = []
    for key, value in (data.get("cover") or {}).items():
        if key == "__pos__":
            continue
        cover.append(CoverField(key, per_language(value, key), {}, pos_of(data["cover"], key)))
    if data.get("cover") is not None and not any(f.key == "title" for f in cover):
        diags.error(pos_of(data, "cover"), "the cover needs a title: add 'title:' with a text per language")
    notes_raw = data.get("notes") or {}
    for key in notes_raw:
        if key != "__pos__" and key not in tags:
            diags.error(pos_of(notes_raw, key), f"notes for '{key}', which is not in languages")
    grouping = data.get("number_grouping") or {}
    for key in grouping:
        if key != "__pos__" and key not in tags:
            diags.error(pos_of(grouping, key), f"number_grouping for '{key}', which is not in languages")
    cite = data.get("citation") or {}
    issued = cite.get("issued") or ""
    if issued and ISSUED.fullmatch(issued) and len(issued) > 4:
        try:  # a month or a day that does not exist: 2019-13, 2019-02-30
            date.fromisoformat(issued if len(issued) == 10 else issued + "-01")
        except ValueError:
            diags.error(pos_of(cite, "issued"), f"'{issued}' is not a date: a year, a year and month, or a full date")
    citation = Citation(
        author=per_language(cite.get("author"), "author"),
        publisher=per_language(cite.get("publisher"), "publisher"),
        place=per_language(cite.get("place"), "place"),
        issued=cite.get("issued") or "",
        doi=cite.get("doi") or "",
        isbn=cite.get("isbn") or "",
        licence=cite.get("licence") or "",
    )
    symbol = data.get("symbol") or ""
    report_id = data.get("id") or re.sub(r"[^a-z0-9]+", "-", symbol.lower()).strip("-")
    if not report_id:
        diags.error(
            pos_of(data),
            "the report needs an id (lower-case ASCII, for file names such as the PDF's), or a symbol to make one from",
        )
    for name in ("symbol", "base_url"):
        if data.get(name) is None and name in data:
            return None
    result = Report(
        path=shown,
        pos=data,
        id=report_id,
        symbol=symbol,
        languages=tuple(langs),
        base_url=(data.get("base_url") or "").rstrip("/"),
        scheme=SCHEMES[data.get("labels") or "decimal"],
        numbered=data.get("numbered_paragraphs", True) is not False,
        site_name=per_language(site.get("name"), "site name"),
        organization=per_language(site.get("organization"), "organization"),
        accent=site.get("accent") or "",
        logo=site.get("logo") or "",
        cover=tuple(cover),
        summary=per_language(data.get("summary"), "summary"),
        notes={t: clean(notes_raw.get(t) or {}) for t in tags},
        note_content={},
        citation=citation,
        number_grouping={t: grouping[t] for t in tags if isinstance(grouping.get(t), str)},
    )
    if diags.errors > before or data.get("base_url") is None or data.get("site") is None:
        return None
    return result


def position(report: Report, *keys: str) -> SourcePos:
    """Where a key of report.yaml was written (the file's start when it was not)."""
    node: Any = report.pos
    for key in keys[:-1]:
        node = node.get(key) if isinstance(node, dict) else None
        if not isinstance(node, dict):
            return SourcePos(report.path, 1, 1)
    return pos_of(node, keys[-1]) if keys else pos_of(node)


def language_position(report: Report, tag: str) -> SourcePos:
    for item in report.pos.get("languages") or []:
        if item and item[0] == tag:
            where: SourcePos = item[1]
            return where
    return position(report, "languages")


__all__ = ["load_report", "position", "language_position", "excerpt"]
