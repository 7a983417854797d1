"""The search stage: the parsed site to a Pagefind index, one per language.

Input: a valid, parsed site (through the render context, which knows each
page's URL and heading). Output: the files of `pagefind/` (pagefind.js, the
wasm, the index and fragment files of each language), built with Pagefind's
Python API and returned, not written. Problems are reported as diagnostics.

Pages are not crawled: Pagefind 1.5 deep-links only to headings with ids, so
each thing a reader may look for is its own custom record with its own URL:
every numbered paragraph (/en/slug/#para-49), section title, figure, footnote
and the cover summary. The whole-report and side-by-side pages hold the same
text again and are not indexed, so nothing is found twice.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import importlib.metadata
import json
import os
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from pagefind.service import PagefindService

from .errors import Diagnostics, SourcePos
from .languages import Language
from .model import Section, Site
from .render import Context
from .urls import url_for

HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
DOTTED = re.compile(r"\d+(?:[./]\d+)+")  # 1.4.2, 73/239
GRAM = 4
UNUSED = (
    "pagefind-ui.js",
    "pagefind-ui.css",
    "pagefind-modular-ui.js",
    "pagefind-modular-ui.css",
    "pagefind-component-ui.js",
    "pagefind-component-ui.css",
    "pagefind-highlight.js",
)


def grams(text: str) -> str:
    """Every run of Han characters cut at every character, GRAM characters long.

    Pagefind segments Chinese twice, differently: jieba when indexing,
    Intl.Segmenter (ICU) in the browser on the query, and every query segment
    must be the start of a word of the record. ICU reads 人居署 as 人|居|署,
    the index holds 人居|署: no word starts with 居, and 80 of the 82
    paragraphs naming 人居署 were not found. A word starting at every
    character fits any segmentation. They go into a meta field because
    Pagefind splits meta fields on spaces only and never segments them.
    Dotted numbers (1.4.2) are added whole: jieba cuts them at the dots.
    A text with no Han character gets none, whatever its language.
    """
    runs = HAN.findall(text)
    if not runs:
        return ""
    words = dict.fromkeys(run[i : i + GRAM] for run in runs for i in range(len(run)))
    words.update(dict.fromkeys(DOTTED.findall(text)))
    return " ".join(words)


def _record(lang: Language, url: str, title: str, content: str, **meta: str) -> dict[str, Any]:
    meta = {"title": title, "lang": lang.tag, **meta}
    found = grams(content)
    if found:
        meta["grams"] = found
    return {"url": url, "content": content, "language": lang.search, "meta": meta}


def summary_record(site: Site, lang: Language) -> list[dict[str, Any]]:
    summary = site.report.summary.get(lang.tag)
    if not summary:
        return []
    return [_record(lang, url_for("home", lang) + "#summary", site.ui[lang.tag]["summary"], summary, kind="summary")]


def section_records(ctx: Context, section: Section, lang: Language) -> list[dict[str, Any]]:
    """A section's title, paragraphs, figures and footnotes, in reading order."""
    site, refs = ctx.site, ctx.refs
    ui = site.ui[lang.tag]
    page = url_for(section, lang)
    title = ctx.heading(section, lang)
    body = section.bodies[lang.tag].parsed
    assert body is not None
    out = [_record(lang, page, title, title, kind="section")]
    for block in body.blocks:
        if block.kind == "para":
            extra = {"para": str(block.number)} if block.number is not None else {}
            out.append(_record(lang, f"{page}#{block.id}", title, block.text, kind="para", **extra))
        elif block.kind == "figure":
            chart, key = site.charts[block.id], f"fig-{refs.figures[block.id]}"
            text = "\n".join((chart.title[lang.tag], chart.caption[lang.tag], chart.description[lang.tag]))
            out.append(
                _record(
                    lang,
                    f"{page}#{key}",
                    title,
                    text,
                    kind="figure",
                    label=ui["figure"].format(n=refs.figures[block.id]),
                )
            )
    for note in body.footnotes:
        key = f"fn-{note.key}"
        out.append(
            _record(
                lang, f"{page}#{key}", title, note.text, kind="footnote", label=ui["footnote"].format(label=note.label)
            )
        )
    return out


def records(ctx: Context) -> Iterator[dict[str, Any]]:
    """Every record, in document order, one language after the other: the order fixes the output bytes."""
    for lang in ctx.langs:
        yield from summary_record(ctx.site, lang)
        for section in ctx.order:
            yield from section_records(ctx, section, lang)


def _cache_key(items: list[dict[str, Any]]) -> str:
    """The records, Pagefind's version and this stage's code: what the index bytes depend on."""
    h = hashlib.sha256(json.dumps(items, sort_keys=True, ensure_ascii=False).encode())
    h.update(importlib.metadata.version("pagefind_bin_extended").encode())
    h.update(Path(__file__).read_bytes())
    return h.hexdigest()


def build_index(items: list[dict[str, Any]], diags: Diagnostics, cache_dir: Path | None = None) -> dict[str, bytes]:
    """The index files (path under the site root: pagefind/...) of these records."""
    cached = cache_dir / "search" / f"{_cache_key(items)}.json" if cache_dir else None
    if cached is not None:
        try:
            stored = json.loads(cached.read_text("utf-8"))
            # Same records, same engine: the same index, without Pagefind.
            return {name: base64.b64decode(data) for name, data in stored.items()}
        except (OSError, ValueError, TypeError, AttributeError):
            pass
    try:
        # In a thread of its own: asyncio.run() refuses to start where an event
        # loop is already running (a build called from Playwright's sync API,
        # from a notebook, from async code).
        with ThreadPoolExecutor(max_workers=1) as pool:
            files = pool.submit(asyncio.run, _index(items)).result()
    except Exception as exc:  # no Pagefind binary, or it refused a record
        diags.error(SourcePos("pagefind"), f"search index not built: {str(exc)[:200]}")
        return {}
    out = {f"pagefind/{name}": data for name, data in sorted(files.items()) if name not in UNUSED}
    # Pagefind writes the languages of pagefind-entry.json in hash-map order,
    # which changes from run to run; every other file is the same each time.
    entry = json.loads(out["pagefind/pagefind-entry.json"])
    entry["languages"] = dict(sorted(entry["languages"].items()))
    out["pagefind/pagefind-entry.json"] = json.dumps(entry, ensure_ascii=False, separators=(",", ":")).encode()
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_name(f"{cached.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps({k: base64.b64encode(v).decode() for k, v in out.items()}), "utf-8")
        os.replace(tmp, cached)  # atomic: a parallel build sees the whole index or none
    return out


async def _index(items: list[dict[str, Any]]) -> dict[str, bytes]:
    service = await _Service().launch()
    try:
        index = await service.create_index()
        # All sent at once, without waiting for each reply (15 % faster): each request is
        # written to the binary's input before its task first waits, and the tasks start in
        # order, so the binary reads the records in document order and the index bytes are
        # those of one-at-a-time sending (tests/test_search.py builds it twice and compares).
        await asyncio.gather(*(index.add_custom_record(**item) for item in items))
        # The files come back in the reply and are written here: the binary's own write_files
        # replies before its writes are done, and a binary told to stop then leaves files
        # empty or cut short (seen under load: an empty pagefind-entry.json, a different wasm).
        files = await index.get_files()
    finally:
        await service.close()
    return {file["path"]: file["content"] for file in files}


class _Service(PagefindService):
    """The official service, minus a sleep, with a clean exit and room for the whole index in one reply.

    pagefind 1.5.2's `_wait_for_responses` sleeps 0.1 s before reading each
    response, so 260 records took 26 s. Each response is one base64 JSON
    message ending in ","; this loop reads them as soon as they arrive.
    """

    async def launch(self) -> _Service:
        await super().launch()
        # get_files() answers with every file of the index in one message; the official
        # reader stops at 2 MiB, and the real report's index alone is 1.5 MiB before base64.
        self._backend.stdout._limit = 1 << 32  # type: ignore[union-attr]
        return self

    async def close(self) -> None:
        """End the binary's input and let it finish, rather than terminating it as the official close() does.

        Nothing is lost either way now that the files come in a reply, but a
        binary that is let finish leaves no half-done work behind.
        """
        assert self._backend.stdin is not None
        self._backend.stdin.close()
        try:
            await asyncio.wait_for(self._backend.wait(), timeout=30)
        except TimeoutError:
            self._backend.terminate()
            await self._backend.wait()
        self._poll_task.cancel()

    async def _wait_for_responses(self) -> None:
        assert self._backend.stdout is not None
        while True:
            try:
                raw = await self._backend.stdout.readuntil(b",")
            except asyncio.IncompleteReadError:  # the binary stopped: fail what waits, do not hang
                for future in self._responses.values():
                    if not future.done():
                        future.set_exception(RuntimeError("the pagefind binary stopped"))
                return
            resp = json.loads(base64.b64decode(raw[:-1]))
            if resp is None:
                continue
            payload = resp["payload"]
            message_id = resp.get("message_id")
            if message_id is None and payload.get("original_message"):
                message_id = json.loads(payload["original_message"]).get("message_id")
            waiting = self._responses.get(message_id)
            if waiting is None or waiting.done():
                continue
            future = waiting
            if future.done():
                continue
            if payload["type"] == "Error":
                future.set_exception(RuntimeError(payload["message"]))
            else:
                future.set_result(payload)
