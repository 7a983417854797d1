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

SYMBOL = re.compile(r"[A-Za-z]+(?:/[A-Za-z0-9.]*[A-Za-z0-9])+|\d+(?:/\d+)+")
DOTTED = re.compile(r"\d+(?:\.\d+){2,}")
ENUMERATOR = re.compile(r"\(\d{1,2}\)")
ZH_MONTH = re.compile(r"(\d{1,2})\s*月")
ZH_NUMBER = re.compile(r"(\d{1,3}(?:[ \u00a0\u2009]\d{3})+|\d+)(\.\d+)?\s*(多)?\s*(万|亿)?")
EN_NUMBER = re.compile(r"(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?:\s+(million|billion))?", re.I)
EN_MONTHS = {m: i for i, m in enumerate(
    "january february march april may june july august september october november december".split(), 1)}
# Capitalized only: "may" the verb is not "May" the month.
EN_MONTH = re.compile(r"\b(" + "|".join(m.capitalize() for m in EN_MONTHS) + r")\b")
EN_WORDS = {w: i for i, w in enumerate(
    "zero one two three four five six seven eight nine ten eleven twelve".split())}
EN_WORD = re.compile(r"\b(" + "|".join(EN_WORDS) + r")\b", re.I)
SCALE = {"万": 10_000, "亿": 100_000_000, "million": 1_000_000, "billion": 1_000_000_000}


def _num(whole: str, frac: str | None, scale: int) -> str:
    digits = re.sub(r"[ ,\u00a0\u2009]", "", whole)
    value = round(float(digits + (frac or "")) * scale, 6)
    # One canonical spelling per value: 550 万 and 5.5 million are both "5500000".
    return str(int(value)) if value.is_integer() else repr(value)


def _tokens(text: str) -> tuple[dict[str, str], str]:
    found: dict[str, str] = {}
    for pattern in (SYMBOL, DOTTED):
        for m in pattern.finditer(text):
            if any(ch.isdigit() for ch in m.group(0)):
                found[m.group(0).replace(" ", "")] = m.group(0)
        text = pattern.sub(" ", text)
    return found, ENUMERATOR.sub(" ", text)


def zh_quantities(text: str) -> dict[str, str]:
    """Quantity -> the text it was read from."""
    found, text = _tokens(text)
    for m in ZH_MONTH.finditer(text):
        found[f"month:{int(m.group(1))}"] = m.group(0)
    text = ZH_MONTH.sub(" ", text)
    for m in ZH_NUMBER.finditer(text):
        found[_num(m.group(1), m.group(2), SCALE.get(m.group(4) or "", 1))] = m.group(0).strip()
    return found


def en_quantities(text: str) -> dict[str, str]:
    found, text = _tokens(text)
    for m in EN_MONTH.finditer(text):
        found[f"month:{EN_MONTHS[m.group(1).lower()]}"] = m.group(0)
    for m in EN_NUMBER.finditer(text):
        found[_num(m.group(1), m.group(2), SCALE.get((m.group(3) or "").lower(), 1))] = m.group(0)
    for m in EN_WORD.finditer(text):
        found.setdefault(str(EN_WORDS[m.group(1).lower()]), m.group(0))
    return found


def missing_in_english(zh_text: str, en_text: str) -> list[str]:
    """The Chinese text's quantities that the English lacks, as written in the Chinese."""
    zh, en = zh_quantities(zh_text), en_quantities(en_text)
    return [zh[k] for k in sorted(zh) if k not in en]
