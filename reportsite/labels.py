"""Section labels and headings: data for the load and render stages.

Input: the report's label scheme (un, decimal or none), each section's
place in the tree, an optional label written in section.yaml, and the
heading patterns of each language (theme strings). Output: the label of
every numbered section as a tuple of counters, its written form ("II.C.5",
"2.3.5") and the heading as each language prints it ("二、…", "II. …").

A scheme names a counter style per depth; a language's heading pattern may
ask for another style of the same counter (`{marker:simp-chinese-informal}`),
as UN documents number chapters 一、二、 in Chinese and I, II in English.
Counter styles are the named algorithms of CSS Counter Styles: data, not a
rule per language.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

ROMAN = (
    (1000, "M"),
    (900, "CM"),
    (500, "D"),
    (400, "CD"),
    (100, "C"),
    (90, "XC"),
    (50, "L"),
    (40, "XL"),
    (10, "X"),
    (9, "IX"),
    (5, "V"),
    (4, "IV"),
    (1, "I"),
)
CJK_DIGITS = "零一二三四五六七八九"
ARABIC_INDIC = "٠١٢٣٤٥٦٧٨٩"
# The letter names UN Arabic documents use for A, B, C… (ألف، باء، جيم…), in abjad order.
ARABIC_ABJAD = (
    "ألف",
    "باء",
    "جيم",
    "دال",
    "هاء",
    "واو",
    "زاي",
    "حاء",
    "طاء",
    "ياء",
    "كاف",
    "لام",
    "ميم",
    "نون",
    "سين",
    "عين",
    "فاء",
    "صاد",
    "قاف",
    "راء",
    "شين",
    "تاء",
    "ثاء",
    "خاء",
    "ذال",
    "ضاد",
)
# Chapter ordinals of UN Arabic documents: أولا، ثانيا…
ARABIC_ORDINAL = (
    "أولا",
    "ثانيا",
    "ثالثا",
    "رابعا",
    "خامسا",
    "سادسا",
    "سابعا",
    "ثامنا",
    "تاسعا",
    "عاشرا",
    "حادي عشر",
    "ثاني عشر",
    "ثالث عشر",
    "رابع عشر",
    "خامس عشر",
    "سادس عشر",
    "سابع عشر",
    "ثامن عشر",
    "تاسع عشر",
    "عشرون",
)
CYRILLIC_ALPHA = "АБВГДЕЖЗИКЛМНОПРСТУФХЦЧШЩЭЮЯ"


def upper_roman(n: int) -> str:
    out = ""
    for value, letters in ROMAN:
        while n >= value:
            out += letters
            n -= value
    return out


def roman_value(text: str) -> int:
    values = {letters: value for value, letters in ROMAN if len(letters) == 1}
    total = 0
    for ch, nxt in zip(text, text[1:] + " "):
        value = values[ch]
        total += -value if values.get(nxt, 0) > value else value
    return total


def alpha(n: int, letters: str = "ABCDEFGHIJKLMNOPQRSTUVWXYZ") -> str:
    out = ""
    while n > 0:
        n, rest = divmod(n - 1, len(letters))
        out = letters[rest] + out
    return out


def simp_chinese_informal(n: int) -> str:
    """1 → 一, 12 → 十二, 40 → 四十, 105 → 一百零五 (CSS simp-chinese-informal)."""
    if n < 10:
        return CJK_DIGITS[n]
    if n < 20:
        return "十" + (CJK_DIGITS[n - 10] if n > 10 else "")
    out = ""
    for value, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
        digit, n = divmod(n, value)
        if digit:
            out += CJK_DIGITS[digit] + unit
        elif out and n and not out.endswith("零"):
            out += "零"
    return out


def _from_table(table: tuple[str, ...], n: int) -> str:
    return table[n - 1] if 1 <= n <= len(table) else str(n)


COUNTER_STYLES: dict[str, Callable[[int], str]] = {
    "decimal": str,
    "upper-roman": upper_roman,
    "lower-roman": lambda n: upper_roman(n).lower(),
    "upper-alpha": alpha,
    "lower-alpha": lambda n: alpha(n).lower(),
    "cyrillic-upper": lambda n: alpha(n, CYRILLIC_ALPHA),
    "simp-chinese-informal": simp_chinese_informal,
    "cjk-decimal": lambda n: "".join(CJK_DIGITS[int(d)] for d in str(n)),
    "arabic-indic": lambda n: "".join(ARABIC_INDIC[int(d)] for d in str(n)),
    "arabic-abjad": lambda n: _from_table(ARABIC_ABJAD, n),
    "arabic-ordinal": lambda n: _from_table(ARABIC_ORDINAL, n),
}


@dataclass(frozen=True)
class Scheme:
    name: str
    styles: tuple[str, ...]  # counter style per depth; deeper sections are not numbered
    patterns: tuple[str, ...]  # regular expression of a written label per depth
    joiner: str = "."

    def parse(self, label: str, depth: int) -> tuple[int, ...] | None:
        """Counters of a written label ("II.C.5" → (2, 3, 5)); None when it does not fit this depth."""
        if depth > len(self.patterns) or not re.fullmatch(self.patterns[depth - 1], label):
            return None
        parts = label.split(self.joiner)
        out = []
        for part, style in zip(parts, self.styles):
            if style == "upper-roman":
                out.append(roman_value(part))
            elif style == "upper-alpha":
                out.append(sum((ord(c) - 64) * 26**i for i, c in enumerate(reversed(part))))
            else:
                out.append(int(part))
        return tuple(out)

    def write(self, counters: tuple[int, ...]) -> str:
        return self.joiner.join(COUNTER_STYLES[s](n) for s, n in zip(self.styles, counters))


SCHEMES = {
    "un": Scheme(
        "un",
        ("upper-roman", "upper-alpha", "decimal"),
        (r"[IVXLCDM]+", r"[IVXLCDM]+\.[A-Z]", r"[IVXLCDM]+\.[A-Z]\.\d{1,2}"),
    ),
    "decimal": Scheme("decimal", ("decimal",) * 6, tuple(r"\d{1,3}" + r"\.\d{1,3}" * k for k in range(6))),
    "none": Scheme("none", (), ()),
}
DEFAULT_PATTERN = "{marker}. {title}"


class Marker:
    """The last counter of a label; formatted in the scheme's style, or in the style a pattern names."""

    def __init__(self, counters: tuple[int, ...], scheme: Scheme):
        self.counters = counters
        self.scheme = scheme

    def __format__(self, spec: str) -> str:
        n = self.counters[-1]
        if spec:
            return COUNTER_STYLES[spec](n)
        return COUNTER_STYLES[self.scheme.styles[len(self.counters) - 1]](n)


def heading(title: str, counters: tuple[int, ...] | None, scheme: Scheme, patterns: dict[str, list[str]]) -> str:
    """The heading as printed: patterns are a language's heading patterns per scheme and depth."""
    if not counters:
        return title
    per_depth = patterns.get(scheme.name) or []
    depth = len(counters)
    pattern = per_depth[depth - 1] if depth <= len(per_depth) else DEFAULT_PATTERN
    return pattern.format(marker=Marker(counters, scheme), label=scheme.write(counters), title=title)


def pattern_problem(pattern: str) -> str | None:
    """Why a heading pattern cannot be used, or None."""
    import string

    try:
        fields = [(f, spec) for _, f, spec, _ in string.Formatter().parse(pattern) if f is not None]
    except ValueError:
        return "unmatched '{' or '}'"
    names = {f for f, _ in fields}
    if "title" not in names or not names <= {"marker", "label", "title"}:
        return "a heading pattern uses {title} and may use {marker} and {label}"
    for f, spec in fields:
        if spec and (f != "marker" or spec not in COUNTER_STYLES):
            return f"unknown counter style '{spec}'; known: {', '.join(COUNTER_STYLES)}"
    return None
