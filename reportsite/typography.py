"""Typography per language, shared by every output (HTML, PDF).

Input: a run of text and the language's quotation marks (CLDR) and the
space its typography puts inside them (theme strings). Output: the text
with straight quotes turned into that language's marks: “…” in English,
«\u202f…\u202f» in French, „…“ in German; an apostrophe between letters
becomes ’. Source text is never changed: this runs when a page or a PDF is
written, so fingerprints and the translators' files see what editors wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

OPENING_CONTEXT = set(" \t\n\u00a0\u202f([{<«‹“‘„‚—–-/") | {""}


@dataclass(frozen=True)
class Quotes:
    open: str
    close: str
    inner_open: str
    inner_close: str
    space: str = ""  # inside the marks: French « texte »

    def mark(self, ch: str, opening: bool) -> str:
        if ch == '"':
            return self.open + self.space if opening else self.space + self.close
        return self.inner_open + self.space if opening else self.space + self.inner_close


def smart(text: str, quotes: Quotes, before: str = "") -> str:
    """`text` with straight quotes as the language writes them; `before`: the character preceding it."""
    if '"' not in text and "'" not in text:
        return text
    out: list[str] = []
    start = 0
    prev = before
    for m in _QUOTE.finditer(text):
        i = m.start()
        if i > start:  # the text since the last quote: its last character is what precedes this one
            out.append(text[start:i])
            prev = text[i - 1]
        ch = text[i]
        nxt = text[i + 1 : i + 2]
        start = i + 1
        if ch == "'" and prev.isalnum() and prev not in OPENING_CONTEXT:
            if nxt.isalpha() or not nxt.strip() or nxt in ".,;:!?)":
                out.append("\u2019")  # it's, the Members' votes, l'eau
                prev = "\u2019"
                continue
        opening = prev in OPENING_CONTEXT or prev in (quotes.open, quotes.inner_open)
        out.append(quotes.mark(ch, opening))
        prev = ch
    out.append(text[start:])
    return "".join(out)


_QUOTE = re.compile("[\"']")
