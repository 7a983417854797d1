"""Text to HTML, for the render stage: the inline tree and blocks of one page.

Input: parsed blocks and footnotes (model.py), the page's language, and a
`Where`: the page (a section page, the whole report, a side-by-side
column) and how it turns a link on the model into an address. Output:
HTML fragments, every text escaped. Links are resolved here, on the model,
never by rewriting finished HTML; ids on a page holding two languages get
the language as a suffix, so that they stay unique.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass

from .model import Block, Break, Code, Footnote, Image, Inline, Inlines, Link, NoteRef, Span, Text
from .typography import Quotes, smart


@dataclass(frozen=True)
class Where:
    ui: dict[str, object]
    quotes: Quotes
    link: Callable[[Link], str]  # a link on the model -> its href on this page
    image: Callable[[str], str]  # an image file of the section -> its URL
    suffix: str = ""  # added to ids that are not row keys (fnref-1-en) on a page with two languages

    def text(self, key: str, **values: object) -> str:
        return str(self.ui[key]).format(**values)


def inline(nodes: Inlines, where: Where, before: str = "") -> str:
    out: list[str] = []
    prev = before
    for node in nodes:
        if isinstance(node, Text):
            out.append(html.escape(smart(node.text, where.quotes, prev), quote=False))
            prev = node.text[-1:] or prev
        elif isinstance(node, Span):
            out.append(f"<{node.kind}>{inline(node.children, where, prev)}</{node.kind}>")
        elif isinstance(node, Link):
            href = html.escape(where.link(node))
            cls = ' class="ext"' if node.external else ""
            out.append(f'<a href="{href}"{cls}>{inline(node.children, where, prev)}</a>')
        elif isinstance(node, NoteRef):
            ref_id = f"fnref-{node.key}" + (f"-{node.n}" if node.n > 1 else "") + where.suffix
            aria = html.escape(where.text("footnote", label=node.label))
            out.append(
                f'<sup class="fnref"><a href="#fn-{node.key}{where.suffix}" id="{ref_id}" role="doc-noteref" '
                f'aria-label="{aria}">{html.escape(node.label)}</a></sup>'
            )
        elif isinstance(node, Code):
            out.append(f"<code>{html.escape(node.text, quote=False)}</code>")
        elif isinstance(node, Break):
            out.append("<br>")
        elif isinstance(node, Image):
            out.append(
                f'<img src="{html.escape(where.image(node.src))}" alt="{html.escape(node.alt)}" '
                'loading="lazy" decoding="async">'
            )
    return "".join(out)


def paragraph(block: Block, where: Where, id_: bool = True) -> str:
    """A paragraph: numbered ones with their permalink number and sub-items."""
    body = f"<p>{inline(block.content, where)}</p>"
    if block.items:
        body += '<ol class="items">' + "".join(f"<li>{inline(item, where)}</li>" for item in block.items) + "</ol>"
    ident = f' id="{block.id}"' if id_ else ""
    if block.number is None:
        return f'<div class="para"{ident}>{body}</div>'
    label = html.escape(where.text("paragraph", n=block.number))
    return (
        f'<div class="para"{ident}><a class="pnum" href="#{block.id}" aria-label="{label}">{block.number}.</a>'
        f"{body}</div>"
    )


def footnotes(notes: list[tuple[str, str, Inlines]] | tuple[Footnote, ...], where: Where) -> str:
    """The notes of a section (or of the cover): label, key, text."""
    items = []
    for note in notes:
        label, key, content = (note.label, note.key, note.content) if isinstance(note, Footnote) else note
        back = html.escape(where.text("back_to_ref", label=label))
        items.append(
            f'<li id="fn-{key}{where.suffix}"><span class="fn-mark">{html.escape(label)}</span> '
            f'<span class="fn-text">{inline(content, where)}</span> '
            f'<a href="#fnref-{key}{where.suffix}" class="fn-back" aria-label="{back}">↩\ufe0e</a></li>'
        )
    if not items:
        return ""
    # A labelled list, not a landmark: the whole-report page holds one per section.
    label = html.escape(str(where.ui["footnotes"]))
    return f'<div class="footnotes"><ul aria-label="{label}">{"".join(items)}</ul></div>'


def plain_inline(nodes: Inlines, quotes: Quotes) -> str:
    """Text without markup, with the language's quotation marks: for titles and metadata."""
    out: list[str] = []
    for node in nodes:
        if isinstance(node, Text):
            out.append(smart(node.text, quotes, out[-1][-1:] if out else ""))
        elif isinstance(node, (Span, Link)):
            out.append(plain_inline(node.children, quotes))
        elif isinstance(node, Code):
            out.append(node.text)
    return "".join(out)


__all__ = ["Where", "inline", "paragraph", "footnotes", "plain_inline", "Inline"]
