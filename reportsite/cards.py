"""Title cards: the picture a section page shows when it is shared (og:image).

Input: a section's heading, the site's name and symbol, the page's language
(its script and direction), the theme's fonts and the accent colour.
Output: a PNG of 1200 × 630 pixels (the size social networks show), in the
page's language, the same bytes every build, cached under a hash of what it
shows. Drawn with Pillow, whose text layout (libraqm) shapes and orders
Arabic and other complex scripts.
"""

from __future__ import annotations

import hashlib
import io
import os
from functools import lru_cache
from pathlib import Path
from typing import NamedTuple

SIZE = (1200, 630)
MARGIN = 72
# The theme's font for a script; others use the first (Latin, Cyrillic, Greek).
FONT_BY_SCRIPT = {
    "Hans": "fonts/NotoSansSC-Regular.otf",
    "Hant": "fonts/NotoSansSC-Regular.otf",
    "Arab": "fonts/NotoSansArabic-Regular.ttf",
}
DEFAULT_FONT = "fonts/NotoSans-Regular.ttf"
# Where a script's font lacks a character (Noto Sans Arabic has no Latin letters, no "/"
# for "HSP/HA/1/2"), the card takes it from this one. Pillow has no font fallback of its
# own, so the missing characters are merged into a copy of the script's font.
FALLBACK_FONT = DEFAULT_FONT
VERSION = "2"  # part of the cache key: change when the drawing changes


def font_for(script: str) -> str:
    return FONT_BY_SCRIPT.get(script, DEFAULT_FONT)


@lru_cache(maxsize=8)
def _cmap(path: Path) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True, fontNumber=0) as font:
        return frozenset(font.getBestCmap())


def _merged(primary: Path, fallback: Path, chars: str, cache: Path | None) -> bytes:
    """The primary font with the characters it lacks (of `chars`) taken from the fallback."""
    from fontTools import merge, subset
    from fontTools.ttLib import TTFont

    key = hashlib.sha256("\0".join([_digest(primary), _digest(fallback), chars]).encode()).hexdigest()
    file = cache / "fonts" / f"{key}.ttf" if cache else None
    if file is not None and file.is_file():
        return file.read_bytes()
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    part = TTFont(fallback)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(part)
    buffer = io.BytesIO()
    part.save(buffer)
    buffer.seek(0)
    merged = merge.Merger().merge([str(primary), buffer])  # the first font wins where both have a glyph
    out = io.BytesIO()
    merged.save(out)
    data = out.getvalue()
    if file is not None:
        _store(file, data)
    return data


def _store(file: Path, data: bytes) -> None:
    """Into the cache in one step: a build beside this one reads the whole file or none."""
    file.parent.mkdir(parents=True, exist_ok=True)
    tmp = file.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, file)


def missing(fonts: tuple[Path, ...], texts: list[str]) -> str:
    """The characters of `texts` the first font lacks and the second has: what a card takes from the second."""
    if len(fonts) < 2:
        return ""
    have = _cmap(fonts[0])
    lacks = {ch for text in texts for ch in text if ord(ch) not in have and not ch.isspace()}
    return "".join(sorted(ch for ch in lacks if ord(ch) in _cmap(fonts[1])))


_FONT_DATA: dict[str, bytes] = {}  # merged fonts of this process, by name


@lru_cache(maxsize=32)
def _font(name: str, size: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    source = io.BytesIO(_FONT_DATA[name]) if name in _FONT_DATA else name
    return ImageFont.truetype(source, size, layout_engine=ImageFont.Layout.RAQM)


# FreeType faces read their files through descriptors a forked process would share: each opens its own.
os.register_at_fork(after_in_child=_font.cache_clear)


def _font_name(fonts: tuple[Path, ...], extra: str, cache: Path | None) -> str:
    """The font a card is drawn with: the first of `fonts`, with `extra` merged in from the second."""
    if not extra:
        return str(fonts[0])
    name = f"{fonts[0]}+{extra}"
    if name not in _FONT_DATA:
        _FONT_DATA[name] = _merged(fonts[0], fonts[1], extra, cache)
    return name


def _wrap(draw, text: str, font, width: int, rtl: bool, lang: str) -> list[str]:  # type: ignore[no-untyped-def]
    """Lines of at most `width` pixels: broken at spaces, or between any two characters where there are none."""
    words = text.split(" ") if " " in text else list(text)
    joiner = " " if " " in text else ""
    lines: list[str] = []
    line = ""
    for word in words:
        trial = (line + joiner + word) if line else word
        if draw.textlength(trial, font=font, direction="rtl" if rtl else None, language=lang) <= width or not line:
            line = trial
        else:
            lines.append(line)
            line = word
    lines.append(line)
    return lines


def draw(heading: str, site: str, symbol: str, font_name: str, rtl: bool, lang: str, accent: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", SIZE, "#ffffff")
    d = ImageDraw.Draw(image)
    d.rectangle([0, 0, SIZE[0], 24], fill=accent)
    direction = "rtl" if rtl else None
    anchor = "ra" if rtl else "la"
    x = SIZE[0] - MARGIN if rtl else MARGIN
    small = _font(font_name, 34)
    d.text(
        (x, 80),
        f"{symbol} · {site}" if symbol else site,
        font=small,
        fill=accent,
        anchor=anchor,
        direction=direction,
        language=lang,
    )
    size = 64
    big = _font(font_name, size)
    lines = _wrap(d, heading, big, SIZE[0] - 2 * MARGIN, rtl, lang)
    while len(lines) > 4 and size > 36:
        size -= 6
        big = _font(font_name, size)
        lines = _wrap(d, heading, big, SIZE[0] - 2 * MARGIN, rtl, lang)
    y = 200
    for line in lines[:5]:
        d.text((x, y), line, font=big, fill="#1b1f24", anchor=anchor, direction=direction, language=lang)
        y += int(size * 1.35)
    # A card is a few colours and their anti-aliased edges: a 32-colour palette keeps them
    # and makes a file a third the size, encoded in a tenth of the time of an optimised RGB PNG.
    palette = image.quantize(32, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE)
    out = io.BytesIO()
    palette.save(out, format="PNG", compress_level=6)  # no text chunks: the same bytes every build
    return out.getvalue()


@lru_cache(maxsize=8)
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Card(NamedTuple):
    """One title card to draw, and where it goes."""

    path: str  # under the site root
    heading: str
    site: str
    symbol: str
    fonts: tuple[Path, ...]  # the script's font, then the fallback
    extra: str  # the characters taken from the fallback: those of every card in this language, so
    # that a card's font (and bytes) do not depend on which worker drew it
    rtl: bool
    lang: str
    accent: str


def card(c: Card, cache: Path | None) -> bytes:
    """The card, from the cache when it has been drawn with these texts, fonts and style before."""
    parts = [VERSION, c.heading, c.site, c.symbol, c.extra, str(c.rtl), c.lang, c.accent]
    key = hashlib.sha256("\0".join(parts + [_digest(f) for f in c.fonts]).encode()).hexdigest()
    file = cache / "cards" / f"{key}.png" if cache else None
    if file is not None and file.is_file():
        return file.read_bytes()
    data = draw(c.heading, c.site, c.symbol, _font_name(c.fonts, c.extra, cache), c.rtl, c.lang, c.accent)
    if file is not None:
        _store(file, data)
    return data


def draw_cards(todo: list[Card], cache: Path | None, stage: Path, old: dict[str, str]) -> tuple[dict[str, str], int]:
    """The work of a worker process: every card of its share, written into the staging directory;
    their manifest and how many were written."""
    from .write import Writer

    writer = Writer(stage, old)
    for c in todo:
        writer.put(c.path, card(c, cache))
    return writer.manifest, writer.written
