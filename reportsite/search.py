"""The search stage: the parsed site to a Pagefind index, one per language.

Input: a valid, parsed `Site` and the staging directory the pages were
written to. Output: `<stage>/pagefind/` (pagefind.js, wasm, per-language
index chunks), built with Pagefind's Python API; failures are diagnostics.

Pages are not crawled. Pagefind 1.5 deep-links only to headings with ids, so
every searchable unit is its own custom record with its own URL: one per
numbered paragraph (/en/slug/#para-49), section title, figure, footnote and
the cover summary. The whole-report and side-by-side pages are left out, so
no text is found twice.
"""
from __future__ import annotations

import asyncio
import base64
import json
from pathlib import Path
from typing import Iterator

from pagefind.service import PagefindService

from .errors import Diagnostics, SourcePos
from .i18n import url_for
from .model import Site
from .render import heading_text
from .validate import figure_numbers


import os, re
HAN_RUN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
DOTTED = re.compile(r"\d+(?:[./]\d+)+")
K = int(os.environ.get("GRAMK", "4"))


def grams(text: str) -> str:
    out = dict.fromkeys(run[i:i + K] for run in HAN_RUN.findall(text) for i in range(len(run)))
    out.update(dict.fromkeys(DOTTED.findall(text)))
    return " ".join(out)


def records(site: Site) -> Iterator[dict]:
    """Every record, in document order per language: the order fixes the output bytes."""
    langs = site.report.languages
    figures = figure_numbers(site)
    for lang in langs:
        ui = site.ui[lang]
        others = [c for c in langs if c != lang]
        other = others[0] if others else lang

        def rec(url: str, other_url: str, title: str, content: str, **meta: str) -> dict:
            meta = {"title": title, "lang": lang, "other": other_url, **meta}
            if lang == "zh":
                meta["grams"] = grams(content)
            return {"url": url, "content": content, "language": lang, "meta": meta}

        home, other_home = url_for("home", lang), url_for("home", other)
        summary = site.report.text["summary"][lang]
        yield rec(home + "#summary", other_home + "#summary", ui["summary"], summary, kind="summary")
        for section in site.sections:
            page, other_page = url_for(section, lang), url_for(section, other)
            title = heading_text(section, lang)
            body = section.bodies[lang]
            yield rec(page, other_page, title, title + "\n" + body.description, kind="section")
            for block in body.parsed.blocks:  # type: ignore[union-attr]
                if block.kind == "para":
                    yield rec(f"{page}#{block.key}", f"{other_page}#{block.key}", title, block.text,
                              kind="para", para=str(block.number))
                elif block.kind == "figure":
                    spec = site.charts[block.key]
                    key = f"fig-{figures[block.key]}"
                    label = ui["figure"].format(n=figures[block.key])
                    text = "\n".join((spec.title[lang], spec.caption[lang], spec.description[lang]))
                    yield rec(f"{page}#{key}", f"{other_page}#{key}", title, text, kind="figure", label=label)
            for note in body.parsed.footnotes:  # type: ignore[union-attr]
                key = f"fn-{note.key}"
                yield rec(f"{page}#{key}", f"{other_page}#{key}", title, note.text, kind="footnote",
                          label=ui["footnote"].format(label=note.label))


def build_index(site: Site, stage: Path, diags: Diagnostics) -> None:
    try:
        asyncio.run(_write(list(records(site)), stage / "pagefind"))
    except Exception as exc:  # the binary is missing, or it refused a record
        diags.error(SourcePos("search"), f"search index: {exc}")


async def _write(items: list[dict], out: Path) -> None:
    service = await _FastService().launch()
    try:
        index = await service.create_index()
        for item in items:
            await index.add_custom_record(**item)
        await index.write_files(output_path=str(out))
    finally:
        await service.close()


class _FastService(PagefindService):
    """PagefindService without the 0.1 s sleep before reading each response.

    pagefind 1.5.2's `_wait_for_responses` sleeps 0.1 s per response, so 400
    records took 40 s. The backend answers each request on stdout with one
    base64 JSON message ending in ",": this loop reads them as they come.
    """

    async def _wait_for_responses(self) -> None:
        while True:
            raw = await self._backend.stdout.readuntil(b",")
            resp = json.loads(base64.b64decode(raw[:-1]))
            if resp is None:
                continue
            payload = resp["payload"]
            message_id = resp.get("message_id")
            if message_id is None and payload.get("original_message"):
                message_id = json.loads(payload["original_message"]).get("message_id")
            future = self._responses.get(message_id)
            if future is None or future.done():
                continue
            if payload["type"] == "Error":
                future.set_exception(RuntimeError(payload["message"]))
            else:
                future.set_result(payload)
