"""The PDF stage: the report typeset with Typst, one PDF per language and one per pair side by side.

Input: the parsed site, its `Refs`, the charts' light SVGs, and the theme's
Typst template (templates/pdf/report.typ, a Jinja template the project may
override) and fonts. Output: the PDFs' bytes, cached under a hash of
everything they are made of, and a diagnostic for what only typesetting
finds (a character no font has, an error in an overridden template).

The report's text reaches Typst as data, never as markup: each paragraph is
a list of runs (text, emphasis, a link, a footnote with the report's own
marker) in data.json, which the template reads with json() and inserts as
text. The template itself is made by Jinja with a finalizer that writes
every value as a Typst string literal. PDFs are PDF/UA-1 (tagged, titled,
in their language, alt text on every figure) and byte-identical from build
to build (no date is written).

Typst runs in the build's worker processes (pipeline.Workers), never in the
build's own: a process forked after Typst has run in its parent hangs in
its own compile.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jinja2 import ChoiceLoader, Environment, StrictUndefined

from .errors import Diagnostics, SourcePos
from .languages import Language
from .model import Break, Code, Image, Inlines, Link, NoteRef, Span, Text
from .render import Context, _Loader
from .typography import smart
from .urls import File, Pair, url_for

STANDARDS = ["ua-1"]
TEMPLATE = "pdf/report.typ"


@dataclass(frozen=True)
class Job:
    """One PDF to typeset: where it goes, its files (template, data, images), and where its text came from."""

    url: str
    files: dict[str, bytes]
    key: str
    checks: list[tuple[str, str, SourcePos]]  # (text, script, where) for the glyph check


def typst_value(value: Any) -> str:
    """A value for the Typst source: a string as an escaped string literal, numbers as they are."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if value is None:
        return "none"
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a valid Typst string literal


def environment(ctx: Context) -> Environment:
    return Environment(
        loader=ChoiceLoader([_Loader(str(p), ctx.project.trusted_root(p)) for p in ctx.project.templates]),
        undefined=StrictUndefined,
        autoescape=False,
        finalize=typst_value,
        keep_trailing_newline=True,
        block_start_string="<%",
        block_end_string="%>",
        variable_start_string="<<",
        variable_end_string=">>",
        comment_start_string="<#",
        comment_end_string="#>",
        auto_reload=False,
    )


# ---------------------------------------------------------------- the report as data


class _Runs:
    """The inline tree as Typst data runs, with the footnotes of a body placed where they are cited."""

    def __init__(self, ctx: Context, lang: Language, suffix: str, notes: dict[str, Inlines]):
        self.ctx = ctx
        self.lang = lang
        self.suffix = suffix
        self.notes = notes
        self.quotes = ctx.quotes(lang)
        self.cited: set[str] = set()

    def __call__(self, nodes: Inlines, before: str = "") -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        prev = before
        for node in nodes:
            if isinstance(node, Text):
                out.append({"t": smart(node.text, self.quotes, prev)})
                prev = node.text[-1:] or prev
            elif isinstance(node, Span):
                out.append({node.kind: self(node.children, prev)})
            elif isinstance(node, Code):
                out.append({"code": node.text})
            elif isinstance(node, Break):
                out.append({"br": True})
            elif isinstance(node, NoteRef):
                if node.label in self.cited or node.label not in self.notes:
                    out.append({"t": node.label})  # a second citation of one note: its marker only
                else:
                    self.cited.add(node.label)
                    out.append({"fn": self(self.notes[node.label]), "mark": node.label})
            elif isinstance(node, Link):
                out.append(self._link(node))
            elif isinstance(node, Image):
                out.append({"t": node.alt})
        return out

    def _link(self, node: Link) -> dict[str, Any]:
        children = self(node.children)
        if node.external:
            return {"url": node.href, "runs": children}
        fragment = node.fragment
        if fragment.startswith(("para-", "p-", "fig-")):
            return {"to": fragment + self.suffix, "runs": children}
        if node.slug:
            return {"to": self.ctx.by_slug[node.slug].id + self.suffix, "runs": children}
        return {"group": children}  # a footnote or a heading of this page: its text


def _sections(ctx: Context, lang: Language, suffix: str, images: dict[str, str]) -> list[dict[str, Any]]:
    out = []
    for section in ctx.order:
        body = section.bodies[lang.tag].parsed
        assert body is not None
        runs = _Runs(ctx, lang, suffix, {f.label: f.content for f in body.footnotes})
        blocks: list[dict[str, Any]] = []
        for block in body.blocks:
            if block.kind == "figure":
                spec = ctx.site.charts[block.id]
                number = ctx.refs.figures[block.id]
                blocks.append(
                    {
                        "type": "figure",
                        "id": f"fig-{number}",
                        "src": images[block.id],
                        "alt": spec.alt[lang.tag],
                        "label": ctx.ui(lang)["figure"].format(n=number),
                        "title": spec.title[lang.tag],
                    }
                )
            else:
                blocks.append(
                    {
                        "type": "para",
                        "id": block.id,
                        "n": str(block.number) if block.number is not None else None,
                        "runs": runs(block.content),
                        "items": [runs(item) for item in block.items],
                    }
                )
        out.append(
            {"id": section.id, "level": min(section.depth, 3), "heading": ctx.heading(section, lang), "blocks": blocks}
        )
    return out


def _cover(ctx: Context, lang: Language) -> dict[str, Any]:
    report = ctx.report
    notes = report.note_content.get(lang.tag, {})
    runs = _Runs(ctx, lang, "", notes)
    subtitle = report.field("subtitle")
    return {
        "symbol": report.symbol,
        "organization": report.organization.get(lang.tag, ""),
        "fields": [
            {"key": f.key, "runs": runs(f.content[lang.tag])}
            for f in report.cover
            if f.key not in ("title", "subtitle")
        ],
        "title": report.title(lang.tag),
        "subtitle": subtitle.text[lang.tag] if subtitle else "",
        "summary": report.summary.get(lang.tag, ""),
        "summary-title": ctx.ui(lang)["summary"],
    }


def _lang(lang: Language) -> dict[str, str]:
    code, _, region = lang.og_locale.partition("_")
    return {"tag": lang.tag, "lang": code, "region": region, "dir": lang.dir, "script": lang.script}


def pdf_name(ctx: Context, lang: Language | Pair) -> str:
    """The PDF of one language (hsp-ha-1-2.en.pdf) or of a pair side by side (hsp-ha-1-2.zh-en.pdf)."""
    return f"{ctx.report.id}.{lang.key if isinstance(lang, Pair) else lang.tag}.pdf"


def pdf_url(ctx: Context, lang: Language | Pair) -> str:
    return url_for(File(pdf_name(ctx, lang)), lang)


def jobs(ctx: Context, env: Environment, svgs: dict[tuple[str, str], bytes], fonts: list[Path]) -> list[Job]:
    """Every PDF of the site, ready to typeset: one per language, one per pair of languages."""
    out = []
    template = env.get_template(TEMPLATE)
    font_digest = hashlib.sha256(b"".join(hashlib.sha256(p.read_bytes()).digest() for p in fonts)).hexdigest()
    docs: list[tuple[Language | Pair, tuple[Language, ...]]] = [(lang, (lang,)) for lang in ctx.langs]
    docs += [(pair, (pair.a, pair.b)) for pair in ctx.pairs]
    for target, langs in docs:
        files: dict[str, bytes] = {}
        images: dict[str, dict[str, str]] = {lang.tag: {} for lang in langs}
        for lang in langs:
            for chart_id in ctx.refs.figures:
                name = f"img/{chart_id}.{lang.tag}.svg"
                files[name] = svgs[(chart_id, lang.tag)]
                images[lang.tag][chart_id] = name
        first = langs[0]

        def suffix(lang: Language, alone: bool = len(langs) == 1) -> str:
            return "" if alone else f"-{lang.tag}"  # labels side by side: one per column

        data = {
            "langs": [_lang(lang) for lang in langs],
            "ui": {lang.tag: {"contents": ctx.ui(lang)["contents"]} for lang in langs},
            "covers": {lang.tag: _cover(ctx, lang) for lang in langs},
            "sections": {lang.tag: _sections(ctx, lang, suffix(lang), images[lang.tag]) for lang in langs},
            "header": " / ".join(ctx.report.title(lang.tag) for lang in langs),
        }
        files["data.json"] = json.dumps(data, ensure_ascii=False, sort_keys=True).encode("utf-8")
        title = " / ".join(ctx.report.title(lang.tag) for lang in langs)
        author = ctx.report.citation.author.get(first.tag, "")
        files["main.typ"] = template.render(
            title=title, author=author, symbol=ctx.report.symbol or ctx.report.id, accent=ctx.report.accent or "#0b5cad"
        ).encode("utf-8")
        key = hashlib.sha256()
        for name in sorted(files):
            key.update(name.encode() + b"\0" + hashlib.sha256(files[name]).digest())
        key.update(font_digest.encode() + importlib.metadata.version("typst").encode() + json.dumps(STANDARDS).encode())
        out.append(Job(pdf_url(ctx, target), files, key.hexdigest(), _texts(ctx, langs)))
    return out


def _texts(ctx: Context, langs: tuple[Language, ...]) -> list[tuple[str, str, SourcePos]]:
    """Every text of a PDF with where it was written, for the glyph check."""
    out = []
    for lang in langs:
        for section in ctx.order:
            body = section.bodies[lang.tag]
            assert body.parsed is not None
            out.append((ctx.heading(section, lang), lang.script, SourcePos(section.yaml_path, 1, 1)))
            for block in body.parsed.blocks:
                if block.kind == "para":
                    out.append((block.text, lang.script, SourcePos(body.path, block.line, 1)))
            for note in body.parsed.footnotes:
                out.append((note.text, lang.script, SourcePos(body.path, note.line, 1)))
        for f in ctx.report.cover:
            out.append((f.text[lang.tag], lang.script, f.pos))
    return out


# ---------------------------------------------------------------- typesetting


def _compile(files: dict[str, bytes], font_dir: str) -> tuple[bytes | None, str]:
    """In a worker process: the PDF, or the compiler's message."""
    import typst

    try:
        # typst's stubs leave out the in-memory files its compile takes (checked in tests/test_pdf.py)
        pdf = typst.compile(
            files,
            font_paths=[font_dir],
            ignore_system_fonts=True,  # type: ignore[call-overload]
            pdf_standards=STANDARDS,
        )
    except typst.TypstError as exc:
        detail = getattr(exc, "diagnostic", "") or str(exc)
        return None, str(detail)[:2000]
    assert isinstance(pdf, bytes)
    return pdf, ""


class Typesetting:
    """The PDFs, typeset by the build's worker processes (pipeline.Workers) once the charts are drawn."""

    def __init__(self, cache: Path | None, pool: Callable[[], Executor]):
        self.cache = cache / "pdf" if cache else None
        self.pool = pool
        self.pending: list[tuple[Job, Future[tuple[bytes | None, str]]]] = []
        self.done: dict[str, bytes] = {}

    def submit(self, todo: list[Job], font_dir: Path) -> None:
        # The longest first: the side-by-side PDFs hold every language of their pair.
        for job in sorted(todo, key=lambda j: -len(j.files["data.json"])):
            cached = self._cached(job)
            if cached is not None:
                self.done[job.url] = cached
                continue
            self.pending.append((job, self.pool().submit(_compile, job.files, str(font_dir))))

    def _cached(self, job: Job) -> bytes | None:
        if self.cache is None:
            return None
        try:
            return (self.cache / f"{job.key}.pdf").read_bytes()
        except OSError:
            return None

    def result(self, diags: Diagnostics, template: str) -> dict[str, bytes]:
        for job, future in self.pending:
            pdf, message = future.result()
            if pdf is None:
                diags.error(
                    _where(message, template),
                    f"the PDF {job.url} could not be typeset: "
                    f"{message.splitlines()[0] if message else 'no reason given'}",
                )
                continue
            self.done[job.url] = pdf
            if self.cache is not None:
                self.cache.mkdir(parents=True, exist_ok=True)
                tmp = self.cache / f".{job.key}.{os.getpid()}.tmp"
                tmp.write_bytes(pdf)
                os.replace(tmp, self.cache / f"{job.key}.pdf")
        self.pending = []
        return self.done


def _where(message: str, template: str) -> SourcePos:
    """The template's line of the compiler's first error: main.typ's lines are the template's."""
    import re

    found = re.search(r"main\.typ:(\d+):(\d+)", message)
    return SourcePos(template, int(found.group(1)), int(found.group(2))) if found else SourcePos(template)


def check_glyphs(job: Job, fonts: list[Path], diags: Diagnostics) -> None:
    """Typst drops a character no font has, silently: such a character is an error at its source."""
    maps = _charmaps(tuple(fonts))
    reported: set[tuple[str, int]] = set()
    for text, _script, pos in job.checks:
        missing = sorted(
            {ch for ch in text if ch.isprintable() and not ch.isspace() and not any(ord(ch) in m for m in maps)}
        )
        for ch in missing:
            if (pos.path, ord(ch)) in reported:
                continue
            reported.add((pos.path, ord(ch)))
            diags.error(
                pos,
                f"no font of the PDF has '{ch}' (U+{ord(ch):04X}): it would be left out of the PDF; "
                "use another character, or add a font to the theme's assets/fonts",
            )


_MAPS: dict[tuple[Path, ...], list[set[int]]] = {}


def _charmaps(fonts: tuple[Path, ...]) -> list[set[int]]:
    if fonts not in _MAPS:
        from fontTools.ttLib import TTFont

        maps = []
        for path in fonts:
            with TTFont(path, lazy=True, fontNumber=0) as font:
                maps.append(set(font.getBestCmap()))
        _MAPS[fonts] = maps
    return _MAPS[fonts]
