"""The Markdown stage: one body file's text to HTML blocks.

Input: the body text of one section in one language (front matter blanked
out, so token line numbers are the file's own) and the language's UI strings.
Output: a `ParsedBody`: a tuple of blocks (numbered paragraphs with their
sub-items, plain paragraphs, chart placeholders), the footnotes, and every
link, footnote reference and image with its position, for validation.

markdown-it-py does the parsing, with its list rule off so that "17. text"
is a paragraph, raw HTML off (it is shown as text), and mdit-py-plugins'
footnotes. Internal links are written as "@target" hrefs here and resolved
by the render stage, which alone knows on which page each target lives.
"""
from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, Sequence

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from .errors import Diagnostics, SourcePos

NUMBERED = re.compile(r"(\d{1,4})\.[ \u00a0\u3000]+")
SUBITEM = re.compile(r"\((?:[a-z]|[ivx]{1,4}|\d{1,2})\)[ \u00a0\u3000]*")
# Bounded and without "[": an unbounded label made "[^[^[^…" take quadratic time.
UNRESOLVED_REF = re.compile(r"\[\^([^\]\s\[]{1,100})\]")
RAW_HTML = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>")
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
EXTERNAL = re.compile(r"(https?:|mailto:)", re.I)
FOOTNOTE_KEYS = {"*": "star", "†": "dagger", "‡": "ddagger", "§": "section"}
PLACEHOLDER = "\x00fig:{}\x00"  # replaced by the figure when a page is assembled


def ui_format(ui: dict[str, str], key: str, **values: object) -> str:
    """A UI string with its placeholders filled; the bare value when the string is missing or broken.

    The load stage reports such a string; parsing still goes on to report its own problems.
    """
    try:
        return str(ui[key]).format(**values)
    except (KeyError, IndexError, ValueError, TypeError):
        return " ".join(map(str, values.values()))


def footnote_key(label: str) -> str:
    """Language-neutral id part for a footnote label: fn-1, fn-star."""
    if re.fullmatch(r"[A-Za-z0-9-]+", label):
        return label
    return "-".join(FOOTNOTE_KEYS.get(ch, f"u{ord(ch):x}") for ch in label)


@dataclass(frozen=True)
class Block:
    kind: str  # "para" (numbered), "text" (unnumbered paragraph), "figure"
    key: str  # "para-6", a chart id for figures, "" for text
    number: int  # paragraph number, 0 when none
    line: int
    html: str
    text: str  # plain text, for search, quantity checks and fingerprints
    items: int = 0  # sub-items (a), (b)… of a numbered paragraph


@dataclass(frozen=True)
class Footnote:
    label: str
    key: str
    line: int
    html: str
    text: str


@dataclass(frozen=True)
class Ref:
    target: str  # footnote label, href, or image src
    line: int
    col: int
    extra: str = ""  # alt text for images


@dataclass(frozen=True)
class ParsedBody:
    blocks: tuple[Block, ...]
    footnotes: tuple[Footnote, ...]
    footnote_refs: tuple[Ref, ...]
    links: tuple[Ref, ...]
    images: tuple[Ref, ...]
    diagnostics: tuple = field(default_factory=tuple)


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.use(footnote_plugin)
    md.disable(["list", "code", "html_block", "html_inline", "blockquote", "hr", "lheading", "footnote_inline"])
    return md


class _Inline:
    """Renders inline tokens to HTML and plain text, recording references."""

    def __init__(self, src_lines: Sequence[str], ui: dict[str, str], out: dict[str, list]):
        self.src_lines = src_lines
        self.ui = ui
        self.out = out
        self.ref_counts: dict[str, int] = {}

    def _col(self, line: int, needle: str) -> tuple[int, int]:
        # Inline tokens carry no columns; find the text in the block's lines.
        for i in range(line - 1, min(line + 40, len(self.src_lines))):
            col = self.src_lines[i].find(needle)
            if col >= 0:
                return i + 1, col + 1
        return line, 1

    def render(self, children: list[Token], line: int, strip_prefix: int = 0) -> tuple[str, str]:
        parts: list[str] = []
        text: list[str] = []
        first = True
        for i, tok in enumerate(children):
            t = tok.type
            if t == "text":
                content = tok.content
                if first and strip_prefix:
                    content = content[strip_prefix:]
                if "[^" in content:
                    for m in UNRESOLVED_REF.finditer(content):
                        ln, col = self._col(line, m.group(0))
                        self.out["diags"].append(
                            (ln, col, "error", f"footnote [^{m.group(1)}] is cited but not defined in this file"))
                if "<" in content and RAW_HTML.search(content):
                    ln, col = self._col(line, RAW_HTML.search(content).group(0))
                    self.out["diags"].append((ln, col, "warning", "raw HTML is not allowed and is shown as text"))
                parts.append(html.escape(content, quote=False))
                text.append(content)
            elif t == "softbreak":
                prev = text[-1][-1:] if text and text[-1] else ""
                nxt = children[i + 1].content[:1] if i + 1 < len(children) else ""
                joiner = "" if CJK.match(prev or " ") or CJK.match(nxt or " ") else " "
                parts.append(joiner or "")
                text.append(joiner)
            elif t == "hardbreak":
                parts.append("<br>")
                text.append(" ")
            elif t == "code_inline":
                parts.append(f"<code>{html.escape(tok.content, quote=False)}</code>")
                text.append(tok.content)
            elif t in ("em_open", "em_close", "strong_open", "strong_close"):
                tag = "em" if t.startswith("em") else "strong"
                parts.append(f"<{'/' if t.endswith('close') else ''}{tag}>")
            elif t == "footnote_ref":
                label = tok.meta["label"]
                key = footnote_key(label)
                n = self.ref_counts.get(key, 0) + 1
                self.ref_counts[key] = n
                ref_id = f"fnref-{key}" + (f"-{n}" if n > 1 else "")
                ln, col = self._col(line, f"[^{label}]")
                self.out["refs"].append(Ref(label, ln, col))
                aria = html.escape(ui_format(self.ui, "footnote", label=label))
                parts.append(
                    f'<sup class="fnref"><a href="#fn-{key}" id="{ref_id}" role="doc-noteref" '
                    f'aria-label="{aria}">{html.escape(label)}</a></sup>'
                )
            elif t == "link_open":
                href = tok.attrs.get("href", "")
                raw = str(href)
                ln, col = self._col(line, f"]({raw}")
                self.out["links"].append(Ref(raw, ln, col))
                if EXTERNAL.match(raw):
                    parts.append(f'<a href="{html.escape(raw)}" class="ext">')
                else:
                    parts.append(f'<a href="@{html.escape(raw)}">')
            elif t == "link_close":
                parts.append("</a>")
            elif t == "image":
                src = str(tok.attrs.get("src", ""))
                alt = "".join(c.content for c in (tok.children or []))
                ln, col = self._col(line, f"]({src}")
                self.out["images"].append(Ref(src, ln, col, alt))
                parts.append(
                    f'<img src="@img:{html.escape(src)}" alt="{html.escape(alt)}" loading="lazy" decoding="async">'
                )
                text.append(alt)
            else:
                parts.append(html.escape(tok.content or "", quote=False))
                text.append(tok.content or "")
            first = False
        return "".join(parts), "".join(text)


def parse_body(body: str, path: str, ui: dict[str, str]) -> ParsedBody:
    """Parse one body file; diagnostics are returned as data, never raised."""
    md = _md()
    env: dict[str, Any] = {}
    tokens = md.parse(body, env)
    src_lines = body.split("\n")
    out: dict[str, list] = {"refs": [], "links": [], "images": [], "diags": []}
    inline = _Inline(src_lines, ui, out)
    blocks: list[Block] = []
    footnotes: list[Footnote] = []

    group: dict[str, Any] | None = None  # the open numbered paragraph

    def close_group() -> None:
        nonlocal group
        if group is None:
            return
        items = group["items"]
        inner = group["html"]
        if items:
            inner += '<ol class="items">' + "".join(f"<li>{h}</li>" for h in items) + "</ol>"
        n = group["number"]
        label = html.escape(ui_format(ui, "paragraph", n=n))
        blocks.append(Block(
            "para", f"para-{n}", n, group["line"],
            f'<div class="para" id="para-{n}"><a class="pnum" href="#para-{n}" aria-label="{label}">{n}.</a>'
            f"{inner}</div>",
            " ".join([group["text"], *group["item_texts"]]),
            len(items),
        ))
        group = None

    i = 0
    in_footnote: dict[str, Any] | None = None
    while i < len(tokens):
        tok = tokens[i]
        t = tok.type
        line = (tok.map[0] + 1) if tok.map else 0
        if t == "footnote_open":
            in_footnote = {"label": tok.meta["label"], "html": [], "text": [], "line": 0}
        elif t == "footnote_close" and in_footnote is not None:
            label = in_footnote["label"]
            footnotes.append(Footnote(label, footnote_key(label), in_footnote["line"],
                                      " ".join(in_footnote["html"]), " ".join(in_footnote["text"])))
            in_footnote = None
        elif t == "paragraph_open":
            inline_tok = tokens[i + 1]
            content = inline_tok.content
            if in_footnote is not None:
                h, txt = inline.render(inline_tok.children or [], line)
                in_footnote["html"].append(h)
                in_footnote["text"].append(txt)
                in_footnote["line"] = in_footnote["line"] or line
                i += 3
                continue
            m = NUMBERED.match(content)
            if m and inline_tok.children and inline_tok.children[0].type == "text":
                close_group()
                h, txt = inline.render(inline_tok.children, line, strip_prefix=m.end())
                group = {"number": int(m.group(1)), "line": line, "html": f"<p>{h}</p>", "text": txt,
                         "items": [], "item_texts": []}
            elif group is not None and SUBITEM.match(content):
                h, txt = inline.render(inline_tok.children or [], line)
                group["items"].append(h)
                group["item_texts"].append(txt)
            else:
                close_group()
                h, txt = inline.render(inline_tok.children or [], line)
                blocks.append(Block("text", "", 0, line, f"<p>{h}</p>", txt))
            i += 3
            continue
        elif t == "fence":
            close_group()
            info = tok.info.strip()
            chart_id = tok.content.strip()
            if info == "chart" and re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", chart_id):
                blocks.append(Block("figure", chart_id, 0, line, PLACEHOLDER.format(chart_id), ""))
            elif info == "chart":
                out["diags"].append((line + 1, 1, "error", f"chart block must hold one chart id, found {chart_id!r}"))
            else:
                out["diags"].append((line, 1, "error", f"unknown fenced block {info!r}; only ```chart is supported"))
        elif t == "heading_open":
            close_group()
            out["diags"].append((line, 1, "error", "headings are not allowed in a body: each heading of the report "
                                                   "is a section folder with its title in section.yaml"))
            i += 3
            continue
        i += 1
    close_group()

    # Definitions that nothing cites never reach the token stream.
    used = {f.label for f in footnotes}
    for key in env.get("footnotes", {}).get("refs", {}):
        label = key[1:]
        if label not in used:
            needle = f"[^{label}]:"
            ln = next((n + 1 for n, s in enumerate(src_lines) if s.lstrip().startswith(needle)), 1)
            out["diags"].append((ln, 1, "error", f"footnote [^{label}] is defined but never cited"))

    diags = tuple((SourcePos(path, ln, col), sev, msg) for ln, col, sev, msg in out["diags"])
    return ParsedBody(tuple(blocks), tuple(footnotes), tuple(out["refs"]), tuple(out["links"]),
                      tuple(out["images"]), diags)


def report_diagnostics(parsed: ParsedBody, diags: Diagnostics) -> None:
    for pos, severity, message in parsed.diagnostics:
        (diags.error if severity == "error" else diags.warning)(pos, message)
