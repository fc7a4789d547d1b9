"""The invisible text layer: each OCR line placed on its box in the page.

Each line is one run of text in an embedded CJK font (subset when the file is
saved), sized so that its width matches its box: for Chinese, whose glyphs are
square, that is also about the box's height.  So a reader's search highlights
the right place, and copying or ``get_text()`` gives the characters as read,
with no space between Chinese characters.  All lines of a page go through one
text writer, written once: per-line writes cost more than the rest of binding.
"""

from __future__ import annotations

from functools import lru_cache

import pymupdf

from edossier.types import OcrPage

INVISIBLE = 3  # PDF text render mode 3: neither fill nor stroke


@lru_cache(maxsize=1)
def text_font() -> pymupdf.Font:
    """Droid Sans Fallback, built into PyMuPDF: covers CJK and Latin, no download, no system font."""
    return pymupdf.Font("cjk")


@lru_cache(maxsize=65536)
def _advance(ch: str) -> float:
    advance: float = text_font().glyph_advance(ord(ch))
    return advance


def text_width(text: str, fontsize: float) -> float:
    """Width of TEXT in the layer font; PyMuPDF's own text_length costs a Python call per character."""
    return sum(_advance(ch) for ch in text) * fontsize


def add_text_layer(page: pymupdf.Page, ocr: OcrPage) -> None:
    if not ocr.lines:
        return
    font = text_font()
    sx = page.rect.width / ocr.width
    sy = page.rect.height / ocr.height
    writer = pymupdf.TextWriter(page.rect)
    for line in ocr.lines:
        text = line.text.strip()
        if not text:
            continue
        x0, y0, x1, y1 = line.box
        height = max((y1 - y0) * sy, 1.0)
        natural = text_width(text, 1.0)
        if natural <= 0:
            continue
        fontsize = min(max((x1 - x0) * sx / natural, 1.0), height * 1.5)
        writer.append(pymupdf.Point(x0 * sx, y0 * sy + height * 0.85), text, font=font, fontsize=fontsize)
    writer.write_text(page, render_mode=INVISIBLE)
