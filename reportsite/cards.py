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

SIZE = (1200, 630)
MARGIN = 72
# The theme's font for a script; others use the first (Latin, Cyrillic, Greek).
FONT_BY_SCRIPT = {
    "Hans": "fonts/NotoSansSC-Regular.otf",
    "Hant": "fonts/NotoSansSC-Regular.otf",
    "Arab": "fonts/NotoSansArabic-Regular.ttf",
}
DEFAULT_FONT = "fonts/NotoSans-Regular.ttf"
VERSION = "1"  # part of the cache key: change when the drawing changes


def font_for(script: str) -> str:
    return FONT_BY_SCRIPT.get(script, DEFAULT_FONT)


@lru_cache(maxsize=32)
def _font(path: str, size: int):  # type: ignore[no-untyped-def]
    from PIL import ImageFont

    return ImageFont.truetype(path, size, layout_engine=ImageFont.Layout.RAQM)


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


def draw(heading: str, site: str, symbol: str, font_path: str, rtl: bool, lang: str, accent: str) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", SIZE, "#ffffff")
    d = ImageDraw.Draw(image)
    d.rectangle([0, 0, SIZE[0], 24], fill=accent)
    direction = "rtl" if rtl else None
    anchor = "ra" if rtl else "la"
    x = SIZE[0] - MARGIN if rtl else MARGIN
    small = _font(font_path, 34)
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
    big = _font(font_path, size)
    lines = _wrap(d, heading, big, SIZE[0] - 2 * MARGIN, rtl, lang)
    while len(lines) > 4 and size > 36:
        size -= 6
        big = _font(font_path, size)
        lines = _wrap(d, heading, big, SIZE[0] - 2 * MARGIN, rtl, lang)
    y = 200
    for line in lines[:5]:
        d.text((x, y), line, font=big, fill="#1b1f24", anchor=anchor, direction=direction, language=lang)
        y += int(size * 1.35)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)  # no text chunks: the same bytes every build
    return out.getvalue()


@lru_cache(maxsize=8)
def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


Card = tuple[str, str, str, str, Path, bool, str, str]  # output path, heading, site, symbol, font, rtl, lang, accent


def card(
    heading: str, site: str, symbol: str, font_path: Path, rtl: bool, lang: str, accent: str, cache: Path | None
) -> bytes:
    """The card, from the cache when it has been drawn with these texts, font and style before."""
    key = hashlib.sha256(
        "\0".join([VERSION, heading, site, symbol, str(rtl), lang, accent, _digest(font_path)]).encode()
    ).hexdigest()
    file = cache / "cards" / f"{key}.png" if cache else None
    if file is not None and file.is_file():
        return file.read_bytes()
    data = draw(heading, site, symbol, str(font_path), rtl, lang, accent)
    if file is not None:
        file.parent.mkdir(parents=True, exist_ok=True)
        tmp = file.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(data)
        os.replace(tmp, file)
    return data


def draw_cards(todo: list[Card], cache: Path | None) -> dict[str, bytes]:
    """The work of a worker process: every card of its share, by output path."""
    return {
        rel: card(heading, site, symbol, font, rtl, lang, accent, cache)
        for rel, heading, site, symbol, font, rtl, lang, accent in todo
    }
