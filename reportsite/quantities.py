"""Quantities in a paragraph, for the validate stage's cross-language check.

Input: the plain text of a paragraph and its language's reader. Output: a
set of comparable quantities: numbers scaled to their value (550 万,
"5.5 million", "5,5 millions", "5,5 млн" and "٥٫٥ مليون" are all 5500000),
document and resolution symbols ("26/1", "HSP/HA/1/2/Add.1"), dotted
indicator numbers ("1.4.2") and months ("12 月" and "December" are both
month 12, since languages write dates differently).

Everything about a language comes from CLDR through Babel: decimal and
grouping symbols of its numbering systems (Arabic-Indic digits included),
its scale words (the long and short compact number formats: 万, 亿;
million, billion; millions, milliards; миллион, миллиона, млн; millones,
mil millones; مليون، مليار) and its month names. What CLDR does not carry
comes from the theme's strings of that language: numbers written as words
("three", with UN English spelling out one to nine), and words that may
stand between a number and its scale word (500 多万: "over 5 million").
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale

SPACES = "\u00a0\u202f\u2009 "
_COMMON = r"""
    (?P<sym>(?<![^\W\d_])[A-Za-z]++(?:/[A-Za-z0-9.]*[A-Za-z0-9])+|(?<!\d)\d++(?:/\d+)+)
  | (?P<dot>(?<![\d.])\d+(?:\.\d+){2,})
  | (?P<enum>\(\d{1,2}\))
"""


@dataclass(frozen=True)
class Reader:
    pattern: re.Pattern[str]
    scales: dict[str, int]
    months: dict[str, int]
    words: dict[str, int]
    decimals: str
    groups: str


def _alternation(words: list[str]) -> str:
    # Longest first, so that "mil millones" is read before "mil"; digits in a name may be spaced (12 月).
    out = []
    for w in sorted(set(words), key=lambda w: (-len(w), w)):
        parts = re.split(r"(\d+)", w)
        out.append(r"\s*".join(re.escape(p.strip()) for p in parts if p.strip()))
    return "|".join(out) or r"(?!x)x"


def _bounded(words: list[str], start: bool = False) -> str:
    """Words of a script written with spaces end where their word ends ("million", not "millionaire");
    those of a script written without them (万美元, 7 月采取, 年11月) run on into the next word.
    start: the word must also start where a word starts (a month name, a number word)."""

    def wide(ch: str) -> bool:
        return unicodedata.east_asian_width(ch) in "WF"

    groups: dict[tuple[str, str], list[str]] = {}
    for w in words:
        before = "" if not start or wide(w[0]) else r"(?<![\d.])" if w[0].isdigit() else r"(?<!\w)"
        after = "" if wide(w[-1]) else r"(?!\w)"
        groups.setdefault((before, after), []).append(w)
    return "|".join(f"{b}(?:{_alternation(ws)}){a}" for (b, a), ws in sorted(groups.items())) or r"(?!x)x"


def _scales(locale: Locale) -> dict[str, int]:
    """Scale words of CLDR's compact decimal formats: '0 million' at 1000000 is million × 10**6."""
    out: dict[str, int] = {}
    for length in ("long", "short"):
        for plurals in locale.compact_decimal_formats.get(length, {}).values():
            for magnitude, pattern in plurals.items():
                text = str(getattr(pattern, "pattern", pattern))
                zeros = text.count("0")
                word = text.replace("0", "").replace("'", "").strip(SPACES)
                if not zeros or not word or int(magnitude) < 1000:
                    continue
                letters = re.sub(r"\W", "", word)
                if length == "short" and len(letters) < 3:
                    continue  # "M", "K", "Md": letters that other words and symbols use too
                out.setdefault(word, int(magnitude) // 10 ** (zeros - 1))
    return out


def _months(locale: Locale) -> dict[str, int]:
    out: dict[str, int] = {}
    for context in ("format", "stand-alone"):
        for width in ("wide", "abbreviated"):
            for n, name in locale.months.get(context, {}).get(width, {}).items():
                name = name.rstrip(".")
                if len(name) < 3 and not any(ch.isdigit() for ch in name):
                    continue  # "M", "дек": too short to be read as a month anywhere
                out.setdefault(name, n)
                if name[:1].islower():  # at the start of a sentence
                    out.setdefault(name[:1].upper() + name[1:], n)
    return out


@lru_cache(maxsize=32)
def reader(tag: str, number_words: tuple[str, ...] = (), joiners: tuple[str, ...] = (), group: str = "") -> Reader:
    """The quantity reader of one language (tag), from CLDR and the theme's words."""
    locale = Locale.parse(tag.replace("-", "_"))
    systems = {"latn", locale.default_numbering_system, *getattr(locale, "other_numbering_systems", {}).values()}
    decimals, groups = set(), set()
    for system in systems:
        symbols = locale.number_symbols.get(system) or {}
        if symbols.get("decimal"):
            decimals.add(symbols["decimal"])
        if symbols.get("group"):
            groups.add(symbols["group"])
    if group:
        groups.add(group)
    if groups & set(SPACES):  # editors type any of the spaces where the language groups digits with one
        groups |= set(SPACES)
    groups -= decimals
    scales = _scales(locale)
    words: dict[str, int] = {}
    for value, forms in enumerate(number_words):
        for form in forms.split("|"):
            form = form.strip()
            if form:
                words.setdefault(form, value)
                words.setdefault(form[:1].upper() + form[1:], value)
    # A number word wins over a month's abbreviation spelt the same: French "sept" is 7, not September.
    months = {name: n for name, n in _months(locale).items() if name not in words}
    g = "".join(re.escape(c) for c in sorted(groups)) or r"\x00"
    d = "".join(re.escape(c) for c in sorted(decimals))
    number = rf"(?P<num>(?<![\d{d}])\d{{1,3}}(?:[{g}]\d{{3}})+(?!\d)|(?<![\d{d}])\d+)(?P<frac>[{d}]\d+)?"
    scale = rf"(?:\s*(?:{_alternation(list(joiners))})?\s*(?P<unit>{_bounded(list(scales))}))?"
    # Where a match can start: a digit, "(", a letter of a symbol, or the first letter of a month
    # or number word. Tested first, it spares the five alternatives at every other character
    # (the scan is 2 to 5 times faster).
    # A letter starts a match only where no letter precedes it (symbols, and words of scripts
    # written with spaces, start at a word's start); a wide character (月, 三) anywhere.
    starts = {w[0] for w in [*months, *words] if w and not w[0].isdigit()}
    wide = "".join(re.escape(ch) for ch in sorted(starts) if unicodedata.east_asian_width(ch) in "WF")
    letters = "".join(re.escape(ch) for ch in sorted(starts) if unicodedata.east_asian_width(ch) not in "WF")
    first = rf"(?:(?=[\d({wide}])|(?<![^\W\d_])(?=[A-Za-z{letters}]))"
    pattern = re.compile(
        first
        + r"(?:"
        + _COMMON
        + rf"| (?P<month>{_bounded(list(months), start=True)})"
        + rf"| {number}{scale}"
        + rf"| (?P<word>{_bounded(list(words), start=True)})"
        + ")",
        re.X,
    )
    return Reader(pattern, scales, months, words, "".join(sorted(decimals)), "".join(sorted(groups)))


def _canonical(whole: str, frac: str | None, scale: int, r: Reader) -> str:
    digits = "".join(ch for ch in whole if ch not in r.groups)
    value = int(digits) * scale
    if frac:
        fraction = frac[1:]
        value = value + int(fraction) * scale / 10 ** len(fraction)
    value = round(value, 6)
    # One spelling per value: 550 万 and 5.5 million are both "5500000".
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def quantities(text: str, r: Reader, article_one: bool = True) -> dict[str, str]:
    """Quantity -> the text it was read from.

    article_one: whether the word for 1 is a quantity. In many languages it is also the indefinite
    article (un, une, una, ein): a source's "un" need not be one of anything, so the check does not
    ask a translation to repeat it; a translation's "one" still matches a source's "1"."""
    found: dict[str, str] = {}
    for m in r.pattern.finditer(text):
        whole = m.group(0)
        if m.group("sym") is not None or m.group("dot") is not None:
            if any(ch.isdigit() for ch in whole):
                found[whole] = whole
        elif m.group("enum") is not None:
            continue
        elif m.group("month") is not None:
            name = re.sub(r"\s+", "", m.group("month"))
            month = r.months.get(name) or next((n for k, n in r.months.items() if re.sub(r"\s+", "", k) == name), 0)
            if month:
                found[f"month:{month}"] = whole
        elif m.group("num") is not None:
            unit = m.group("unit")
            scale = r.scales.get(re.sub(r"\s+", " ", unit).strip(SPACES), 1) if unit else 1
            found[_canonical(m.group("num"), m.group("frac"), scale, r)] = whole.strip()
        elif m.group("word") is not None:
            value = r.words[m.group("word")]
            if value != 1 or article_one:
                found.setdefault(str(value), whole)
    return found


def missing(source: str, source_reader: Reader, target: str, target_reader: Reader) -> list[str]:
    """The source text's quantities that the target lacks, as written in the source."""
    have, got = quantities(source, source_reader, article_one=False), quantities(target, target_reader)
    return [have[k] for k in sorted(have) if k not in got]
