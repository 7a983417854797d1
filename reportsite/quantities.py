"""Quantities in a paragraph, for the validate stage's cross-language check.

Input: the plain text of a Chinese or an English paragraph. Output: a set of
comparable quantities: numbers scaled to their value (550 万 and "5.5
million" are both 5500000), document and resolution symbols ("26/1",
"HSP/HA/1/2/Add.1"), dotted indicator numbers ("1.4.2") and months
("12 月" and "December" are both month 12, since the two languages write
dates differently).
"""
from __future__ import annotations

import re

# One alternation per language, read left to right in a single pass: a symbol
# ("26/1", "HSP/HA/1/2/Add.1") or a dotted number ("1.4.2") is taken whole
# before its digits could be read as numbers; "(1)" enumerators are skipped.
_COMMON = r"""
    (?P<sym>(?<![A-Za-z])[A-Za-z]++(?:/[A-Za-z0-9.]*[A-Za-z0-9])+|\d++(?:/\d+)+)
  | (?P<dot>\d+(?:\.\d+){2,})
  | (?P<enum>\(\d{1,2}\))
"""
# Tried only where an ASCII letter, a digit or "(" starts: most of a Chinese
# text is Han characters, where every branch would fail (2.5x faster).
ZH = re.compile(r"(?=[A-Za-z\d(])(?:" + _COMMON + r"""
  | (?P<month>\d{1,2})\s*月
  | (?P<num>\d{1,3}(?:[ \u00a0\u2009]\d{3})+|\d+)(?P<frac>\.\d+)?\s*多?\s*(?P<unit>万|亿)?
)""", re.X)
EN_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
EN_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
# Case-sensitive, and tried only where a number or a word that can match
# starts (a capital, a number word, a symbol such as "unhabitat/..."): the
# English scan ran 2.8x slower as one case-insensitive alternation tried
# everywhere, and 1.3x slower tried at every word.
EN = re.compile(r"(?:(?<![A-Za-z])(?=[A-Z]|[a-z][A-Za-z]*+/|(?:" + "|".join(EN_WORDS) + r")\b)|(?=[\d(]))(?:"
                + _COMMON + r"""
  | \b(?P<month>""" + "|".join(m.capitalize() for m in EN_MONTHS) + r""")\b
  | (?P<num>\d{1,3}(?:,\d{3})+|\d+)(?P<frac>\.\d+)?(?:\s+(?P<unit>[Mm]illion|[Bb]illion))?
  | \b(?P<word>""" + "|".join(f"[{w[0].upper()}{w[0]}]{w[1:]}" for w in EN_WORDS) + r""")\b
)""", re.X)
# Capitalized only, so "may" the verb is not "May" the month.
EN_MONTH_CASE = re.compile("|".join(m.capitalize() for m in EN_MONTHS))
SCALE = {"万": 10_000, "亿": 100_000_000, "million": 1_000_000, "billion": 1_000_000_000}


def _num(whole: str, frac: str | None, scale: int) -> str:
    digits = whole.replace(" ", "").replace(",", "").replace("\u00a0", "").replace("\u2009", "")
    value = round(float(digits + (frac or "")) * scale, 6)
    # One canonical spelling per value: 550 万 and 5.5 million are both "5500000".
    return str(int(value)) if value.is_integer() else repr(value)


def _scan(pattern: re.Pattern[str], text: str) -> dict[str, str]:
    """Quantity -> the text it was read from."""
    found: dict[str, str] = {}
    for m in pattern.finditer(text):
        kind = m.lastgroup if m.lastgroup not in ("frac", "unit") else "num"
        whole = m.group(0)
        if m.group("sym") is not None or m.group("dot") is not None:
            if any(ch.isdigit() for ch in whole):
                found[whole] = whole
        elif m.group("enum") is not None:
            continue
        elif m.group("month") is not None:
            month = m.group("month")
            if month.isdigit():
                found[f"month:{int(month)}"] = whole
            elif EN_MONTH_CASE.fullmatch(month):
                found[f"month:{EN_MONTHS[month.lower()]}"] = whole
        elif m.group("num") is not None:
            found[_num(m.group("num"), m.group("frac"), SCALE.get((m.group("unit") or "").lower(), 1))] = whole.strip()
        elif kind == "word":
            found.setdefault(str(EN_WORDS[m.group("word").lower()]), whole)
    return found


def zh_quantities(text: str) -> dict[str, str]:
    return _scan(ZH, text)


def en_quantities(text: str) -> dict[str, str]:
    return _scan(EN, text)


def missing_in_english(zh_text: str, en_text: str) -> list[str]:
    """The Chinese text's quantities that the English lacks, as written in the Chinese."""
    zh, en = zh_quantities(zh_text), en_quantities(en_text)
    return [zh[k] for k in sorted(zh) if k not in en]
