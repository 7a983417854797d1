"""Languages as data: one table built from CLDR through Babel.

Input: the BCP 47 tags listed in report.yaml (the first is the source
language). Output: one `Language` record per tag holding everything the
stages ask about a language: the tag for `lang` and `hreflang`, the URL
segment, its own name, the script and its direction, a valid `og:locale`,
Pagefind's language, number symbols and quotation marks. Code asks this
table; it never compares a language code.

Babel carries CLDR's locale data except quotation marks, which come from
CLDR's own JSON (data/cldr-delimiters.json, made by tools/cldr_delimiters.py).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from babel import Locale, UnknownLocaleError
from babel.core import get_global
from babel.localedata import locale_identifiers

TAG = re.compile(r"[a-z]{2,3}(?:-[A-Z][a-z]{3})?(?:-(?:[A-Z]{2}|[0-9]{3}))?")
# Scripts whose typography has italics; the others (Han, Arabic, Hebrew, Indic…) get none, never a slanted fake.
ITALIC_SCRIPTS = frozenset({"Latn", "Cyrl", "Grek"})
DELIMITERS = Path(__file__).parent / "data" / "cldr-delimiters.json"


class LanguageError(ValueError):
    pass


@dataclass(frozen=True)
class Language:
    tag: str  # as written in report.yaml: zh, fr, zh-Hant, pt-BR
    path: str  # the URL segment: /zh/, /pt-br/
    html: str  # for lang and hreflang: the tag, with its script where CLDR knows the language in several
    name: str  # the language's own name, for the switcher
    dir: str  # "ltr" or "rtl"
    script: str  # ISO 15924 code: Hans, Latn, Arab, Cyrl
    og_locale: str  # language_TERRITORY
    search: str  # Pagefind's language: the primary subtag
    decimal: str
    group: str
    percent: str
    quotes: tuple[str, str, str, str]  # opening, closing, inner opening, inner closing
    italic: bool
    locale: Locale = field(compare=False, repr=False)

    @property
    def rtl(self) -> bool:
        return self.dir == "rtl"


@lru_cache(maxsize=1)
def _delimiters() -> dict[str, list[str]]:
    data: dict[str, list[str]] = json.loads(DELIMITERS.read_text("utf-8"))["locales"]
    return data


@lru_cache(maxsize=1)
def _identifiers() -> frozenset[str]:
    return frozenset(locale_identifiers())


def _likely(ident: str) -> list[str]:
    """language, script, territory: the tag completed by CLDR's likely subtags."""
    likely = get_global("likely_subtags")
    parts = ident.split("_")
    for key in (ident, "_".join(parts[:2]), parts[0]):
        if key in likely:
            full = likely[key].split("_")
            break
    else:
        full = [parts[0], "Latn", "001"]
    lang, script, territory = full[0], full[1], full[2] if len(full) > 2 else "001"
    for part in parts[1:]:  # what the tag says wins over what is likely
        if len(part) == 4:
            script = part
        else:
            territory = part
    return [lang, script, territory]


def _quotes(ident: str, lang: str, script: str) -> tuple[str, str, str, str]:
    table = _delimiters()
    for key in (ident, f"{lang}_{script}", lang):
        if key in table:
            q = table[key]
            return q[0], q[1], q[2], q[3]
    return "\u201c", "\u201d", "\u2018", "\u2019"


@lru_cache(maxsize=64)
def language(tag: str) -> Language:
    """The record for one BCP 47 tag; LanguageError when CLDR does not know it."""
    if not TAG.fullmatch(tag):
        raise LanguageError(f"'{tag}' is not a language tag of the form zh, fr, pt-BR or zh-Hant")
    ident = tag.replace("-", "_")
    try:
        locale = Locale.parse(ident)
    except (UnknownLocaleError, ValueError):
        raise LanguageError(f"CLDR has no data for the language '{tag}'") from None
    lang, script, territory = _likely(ident)
    html = tag
    if "-" not in tag and f"{lang}_{script}" in _identifiers():
        # CLDR keeps this language's usual script as a locale of its own (zh_Hans beside zh_Hant,
        # sr_Cyrl beside sr_Latn): "zh" alone would not say Simplified or Traditional.
        html = f"{tag}-{script}"
    name = locale.get_display_name(locale) or tag
    symbols = locale.number_symbols.get(locale.default_numbering_system) or locale.number_symbols["latn"]
    return Language(
        tag=tag,
        path=tag.lower(),
        html=html,
        name=name[:1].upper() + name[1:],
        dir="rtl" if locale.character_order == "right-to-left" else "ltr",
        script=script,
        og_locale=f"{lang}_{territory}",
        search=lang,
        decimal=symbols["decimal"],
        group=symbols["group"],
        percent=symbols["percentSign"],
        quotes=_quotes(ident, lang, script),
        italic=script in ITALIC_SCRIPTS,
        locale=locale,
    )


def fallbacks(lang: Language) -> list[str]:
    """Tags whose interface strings serve `lang`: itself, then shorter tags of the same script (pt-BR → pt)."""
    out = [lang.tag]
    parts = lang.tag.split("-")
    while len(parts) > 1:
        parts = parts[:-1]
        shorter = "-".join(parts)
        try:
            if language(shorter).script == lang.script:
                out.append(shorter)
        except LanguageError:
            pass
    return out
