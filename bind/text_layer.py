"""The invisible text layer: each OCR line placed on its box in the page.

Each line is written once, as one run of text in an embedded CJK font (subset
when the file is saved), stretched horizontally to the width of its box.  So a
reader's search highlights the right place, and copying or ``get_text()`` gives
the characters as read, with no space between Chinese characters.
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


def add_text_layer(page: pymupdf.Page, ocr: OcrPage) -> None:
    if not ocr.lines:
        return
    font = text_font()
    sx = page.rect.width / ocr.width
    sy = page.rect.height / ocr.height
    for line in ocr.lines:
        text = line.text.strip()
        if not text:
            continue
        x0, y0, x1, y1 = line.box
        height = max((y1 - y0) * sy, 1.0)
        width = max((x1 - x0) * sx, 1.0)
        fontsize = height * 0.85
        natural = font.text_length(text, fontsize=fontsize)
        if natural <= 0:
            continue
        origin = pymupdf.Point(x0 * sx, y0 * sy + height * 0.8)
        writer = pymupdf.TextWriter(page.rect)
        writer.append(origin, text, font=font, fontsize=fontsize)
        writer.write_text(page, render_mode=INVISIBLE, morph=(origin, pymupdf.Matrix(width / natural, 1)))
