"""The parse stage: one body file's text to language-neutral blocks.

Input: the body text of one section in one language (front matter blanked
out, so token line numbers are the file's own), the section's id and
whether the report numbers its paragraphs. Output: a `ParsedBody`: blocks
(paragraphs, numbered or not, with their sub-items; figure placeholders),
footnotes, and every link, footnote reference and image with its position,
as an inline tree (model.Inline) that each output writes its own way.

markdown-it-py does the parsing, with its list rule off so that "17. text"
is a paragraph, raw HTML off (it is shown as text), and mdit-py-plugins'
footnotes.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from markdown_it import MarkdownIt
from markdown_it.token import Token
from mdit_py_plugins.footnote import footnote_plugin

from .errors import Diagnostic, SourcePos, excerpt
from .model import Block, Break, Code, Footnote, Image, Inline, Inlines, Link, NoteRef, ParsedBody, Span, Text

NUMBERED = re.compile(r"(\d{1,4})\.[ \u00a0\u3000]+")
SUBITEM = re.compile(r"\((?:[a-z]|[ivx]{1,4}|\d{1,2})\)[ \u00a0\u3000]*")
# Bounded and without "[": an unbounded label made "[^[^[^…" take quadratic time.
UNRESOLVED_REF = re.compile(r"\[\^([^\]\s\[]{1,100})\]")
RAW_HTML = re.compile(r"</?[A-Za-z][A-Za-z0-9-]*(\s[^<>]*)?/?>")
CJK = re.compile(r"[\u2e80-\u9fff\uf900-\ufaff\uff00-\uffef\u3000-\u303f]")
EXTERNAL = re.compile(r"(https?:|mailto:)", re.I)
SCHEME = re.compile(r"[a-z][a-z0-9+.-]*:", re.I)
ACTIVE_SCHEMES = ("javascript:", "data:", "vbscript:", "file:")
# markdown-it refuses these targets itself and leaves "[text](javascript:…)" as text: found here to say so.
ACTIVE_LINK = re.compile(r"\]\(\s*((?:javascript|data|vbscript|file):[^)\s]{0,200})", re.I)
# Characters that change how text is ordered or hide text: embeddings, overrides and isolates
# (a reader sees one order, a search engine or a translator another), and invisible spaces.
# Joiners (U+200C, U+200D) and marks (U+200E, U+200F) are left alone: Persian, Arabic and Indic text need them.
HIDDEN = re.compile(r"[\u202a-\u202e\u2066-\u2069\u200b\u2060\ufeff]")
FOOTNOTE_KEYS = {"*": "star", "†": "dagger", "‡": "ddagger", "§": "section"}
CHART_ID = re.compile(r"[a-z0-9]+(-[a-z0-9]+)*")


def footnote_key(label: str) -> str:
    """Language-neutral id part for a footnote label: fn-1, fn-star."""
    if re.fullmatch(r"[A-Za-z0-9-]+", label):
        return label
    return "-".join(FOOTNOTE_KEYS.get(ch, f"u{ord(ch):x}") for ch in label)


def plain(nodes: Inlines) -> str:
    """The text a reader reads: no footnote markers, images by their alt text."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, (Text, Code)):
            out.append(node.text)
        elif isinstance(node, (Span, Link)):
            out.append(plain(node.children))
        elif isinstance(node, Image):
            out.append(node.alt)
        elif isinstance(node, Break):
            out.append(" ")
    return "".join(out)


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    md.use(footnote_plugin)
    md.disable(["list", "code", "html_block", "html_inline", "blockquote", "hr", "lheading", "footnote_inline"])
    return md


class _Inline:
    """Turns inline tokens into the inline tree, recording references and problems."""

    def __init__(self, src_lines: list[str], path: str):
        self.src_lines = src_lines
        self.path = path
        self.links: list[tuple[Link, SourcePos]] = []
        self.images: list[tuple[Image, SourcePos]] = []
        self.refs: list[tuple[NoteRef, SourcePos]] = []
        self.diags: list[Diagnostic] = []
        self.ref_counts: dict[str, int] = {}

    def _pos(self, line: int, needle: str) -> SourcePos:
        # Inline tokens carry no columns; find the text in the block's lines.
        for i in range(max(line - 1, 0), min(line + 40, len(self.src_lines))):
            col = self.src_lines[i].find(needle)
            if col >= 0:
                return SourcePos(self.path, i + 1, col + 1)
        return SourcePos(self.path, line, 1)

    def _problem(self, pos: SourcePos, severity: str, message: str) -> None:
        self.diags.append(Diagnostic(pos, severity, message))

    def convert(self, children: list[Token], line: int, strip_prefix: int = 0) -> Inlines:
        stack: list[tuple[str, list[Inline], Any]] = [("", [], None)]
        first = True
        for i, tok in enumerate(children):
            t = tok.type
            out = stack[-1][1]
            if t == "text":
                content = tok.content
                if first and strip_prefix:
                    content = content[strip_prefix:]
                if "[^" in content:
                    for m in UNRESOLVED_REF.finditer(content):
                        self._problem(
                            self._pos(line, m.group(0)),
                            "error",
                            f"footnote [^{m.group(1)}] is cited but not defined in this file",
                        )
                if "](" in content:
                    for m in ACTIVE_LINK.finditer(content):
                        self._problem(
                            self._pos(line, m.group(1)),
                            "warning",
                            f"link to {excerpt(m.group(1), 30)} is not allowed (only http, https and "
                            "mailto addresses and places in the report); it is shown as text",
                        )
                if "<" in content:
                    tag = RAW_HTML.search(content)
                    if tag:
                        self._problem(
                            self._pos(line, tag.group(0)), "warning", "raw HTML is not allowed and is shown as text"
                        )
                if content:
                    out.append(Text(content))
            elif t == "softbreak":
                prev = _last_char(out)
                nxt = children[i + 1].content[:1] if i + 1 < len(children) else ""
                # A line break between Chinese characters is no space; elsewhere it is one.
                if not (CJK.match(prev or " ") or CJK.match(nxt or " ")):
                    out.append(Text(" "))
            elif t == "hardbreak":
                out.append(Break())
            elif t == "code_inline":
                out.append(Code(tok.content))
            elif t in ("em_open", "strong_open"):
                stack.append((t[:-5], [], None))
            elif t in ("em_close", "strong_close"):
                kind, kids, _ = stack.pop()
                stack[-1][1].append(Span(kind, tuple(kids)))
            elif t == "footnote_ref":
                label = tok.meta["label"]
                key = footnote_key(label)
                n = self.ref_counts[key] = self.ref_counts.get(key, 0) + 1
                node = NoteRef(label, key, n)
                self.refs.append((node, self._pos(line, f"[^{label}]")))
                out.append(node)
            elif t == "link_open":
                stack.append(("link", [], str(tok.attrs.get("href", ""))))
            elif t == "link_close":
                _, kids, href = stack.pop()
                stack[-1][1].extend(self._link(href, tuple(kids), line))
            elif t == "image":
                src = str(tok.attrs.get("src", ""))
                alt = "".join(c.content for c in (tok.children or []))
                image = Image(src, alt)
                self.images.append((image, self._pos(line, f"]({src}")))
                out.append(image)
            elif tok.content:
                out.append(Text(tok.content))
            first = False
        while len(stack) > 1:  # markdown-it closes what it opens; this only guards the tree's shape
            _, kids, _ = stack.pop()
            stack[-1][1].extend(kids)
        return _merge(stack[0][1])

    def _link(self, href: str, children: Inlines, line: int) -> Inlines:
        pos = self._pos(line, f"]({href}")
        if EXTERNAL.match(href):
            link = Link(href, children, external=True)
        elif href.lower().startswith(ACTIVE_SCHEMES):
            self._problem(
                pos,
                "warning",
                f"link to {excerpt(href, 30)} is not allowed (only http, https and "
                "mailto addresses and places in the report); it is shown as text",
            )
            return children
        else:
            slug, _, fragment = href.partition("#")
            link = Link(href, children, external=False, slug=slug, fragment=fragment)
        self.links.append((link, pos))
        return (link,)


def _last_char(nodes: list[Inline]) -> str:
    for node in reversed(nodes):
        if isinstance(node, Text):
            return node.text[-1:]
        return ""
    return ""


def _merge(nodes: list[Inline]) -> Inlines:
    """Adjacent texts as one: markdown-it splits text at every special character."""
    out: list[Inline] = []
    for node in nodes:
        if isinstance(node, Text) and out and isinstance(out[-1], Text):
            out[-1] = Text(out[-1].text + node.text)
        else:
            out.append(node)
    return tuple(out)


def parse_inline(text: str, path: str, line: int = 1) -> tuple[Inlines, list[Diagnostic]]:
    """One line of Markdown with no blocks (a cover field, a title): footnote references and emphasis."""
    env: dict[str, Any] = {}
    tokens = _md().parseInline(text, env)
    conv = _Inline(text.split("\n"), path)
    children = tokens[0].children or [] if tokens else []
    # parseInline does not know the report's notes: resolve [^x] here.
    nodes = conv.convert(children, line)
    out: list[Inline] = []
    for node in nodes:
        if isinstance(node, Text) and "[^" in node.text:
            last = 0
            for m in UNRESOLVED_REF.finditer(node.text):
                out.append(Text(node.text[last : m.start()]))
                out.append(NoteRef(m.group(1), footnote_key(m.group(1)), 1))
                last = m.end()
            out.append(Text(node.text[last:]))
        else:
            out.append(node)
    return _merge([n for n in out if not (isinstance(n, Text) and not n.text)]), [
        d for d in conv.diags if "cited but not defined" not in d.message
    ]


def parse_body(body: str, path: str, section_id: str, numbered: bool) -> ParsedBody:
    """Parse one body file; diagnostics are returned as data, never raised."""
    env: dict[str, Any] = {}
    tokens = _md().parse(body, env)
    src_lines = body.split("\n")
    conv = _Inline(src_lines, path)
    diags = conv.diags
    blocks: list[Block] = []
    footnotes: list[Footnote] = []
    group: dict[str, Any] | None = None  # the open numbered paragraph
    unnumbered = 0

    for found in HIDDEN.finditer(body):
        line = body.count("\n", 0, found.start()) + 1
        col = found.start() - body.rfind("\n", 0, found.start())
        diags.append(
            Diagnostic(
                SourcePos(path, line, col),
                "warning",
                f"invisible character U+{ord(found.group()):04X} in the text: it changes the order "
                "in which text is shown or hides a break; delete it",
            )
        )

    def close_group() -> None:
        nonlocal group
        if group is None:
            return
        items = tuple(group["items"])
        blocks.append(
            Block(
                "para",
                f"para-{group['number']}",
                group["number"],
                group["line"],
                group["content"],
                items,
                tuple(group["item_lines"]),
                " ".join([plain(group["content"]), *(plain(it) for it in items)]),
            )
        )
        group = None

    i = 0
    in_footnote: dict[str, Any] | None = None
    while i < len(tokens):
        tok = tokens[i]
        t = tok.type
        line = (tok.map[0] + 1) if tok.map else 0
        if t == "footnote_open":
            in_footnote = {"label": tok.meta["label"], "content": [], "line": 0}
        elif t == "footnote_close" and in_footnote is not None:
            label = in_footnote["label"]
            content: Inlines = tuple(x for part in in_footnote["content"] for x in part)
            footnotes.append(Footnote(label, footnote_key(label), in_footnote["line"], content, plain(content)))
            in_footnote = None
        elif t == "paragraph_open":
            inline_tok = tokens[i + 1]
            text = inline_tok.content
            children = inline_tok.children or []
            if in_footnote is not None:
                if in_footnote["content"]:
                    in_footnote["content"].append((Text(" "),))
                in_footnote["content"].append(conv.convert(children, line))
                in_footnote["line"] = in_footnote["line"] or line
                i += 3
                continue
            m = NUMBERED.match(text) if numbered else None
            if m and children and children[0].type == "text":
                close_group()
                group = {
                    "number": int(m.group(1)),
                    "line": line,
                    "content": conv.convert(children, line, m.end()),
                    "items": [],
                    "item_lines": [],
                }
            elif group is not None and SUBITEM.match(text):
                group["items"].append(conv.convert(children, line))
                group["item_lines"].append(line)
            else:
                close_group()
                unnumbered += 1
                content = conv.convert(children, line)
                blocks.append(Block("para", f"p-{section_id}-{unnumbered}", None, line, content, text=plain(content)))
            i += 3
            continue
        elif t == "fence":
            close_group()
            info = tok.info.strip()
            chart_id = tok.content.strip()
            if info == "chart" and CHART_ID.fullmatch(chart_id):
                blocks.append(Block("figure", chart_id, None, line, ()))
            elif info == "chart":
                diags.append(
                    Diagnostic(
                        SourcePos(path, line + 1, 1),
                        "error",
                        f"chart block must hold one chart id, found {excerpt(chart_id)}",
                    )
                )
            else:
                diags.append(
                    Diagnostic(
                        SourcePos(path, line, 1),
                        "error",
                        f"unknown fenced block {excerpt(info)}; only ```chart is supported",
                    )
                )
        elif t == "heading_open":
            close_group()
            diags.append(
                Diagnostic(
                    SourcePos(path, line, 1),
                    "error",
                    "headings are not allowed in a body: each heading of the report is a section "
                    "folder with its title in section.yaml",
                )
            )
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
            diags.append(Diagnostic(SourcePos(path, ln, 1), "error", f"footnote [^{label}] is defined but never cited"))

    return ParsedBody(
        tuple(blocks), tuple(footnotes), tuple(conv.links), tuple(conv.images), tuple(conv.refs), tuple(diags)
    )
