"""Render court texts to A4 page images at 300 dpi, with exact ground truth.

Used to make the bundled samples and the benchmark pages: a title line, wrapped
paragraphs in a CJK font (Debian's fonts-noto-cjk), optionally a table and a red
seal (公章) stamped over the text, as on real filings.  Every page comes with the
text lines as drawn, so OCR can be scored by character error rate.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from edossier.types import OcrLine, OcrPage

A4_300DPI = (2480, 3508)
MARGIN = 240
FONT_DIRS = (Path("/usr/share/fonts/opentype/noto"), Path("/usr/share/fonts/truetype/noto"))
SEAL_RED = (210, 30, 35)


@dataclass
class RenderedPage:
    image: Image.Image
    lines: list[str] = field(default_factory=list)
    seal_box: tuple[int, int, int, int] | None = None
    boxes: list[tuple[int, int, int, int]] = field(default_factory=list)
    """Pixel box of each entry of ``lines`` (x0, y0, x1, y1), for a ground-truth OCR result."""

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


@lru_cache(maxsize=8)
def cjk_font(size: int, bold: bool = False, serif: bool = False) -> ImageFont.FreeTypeFont:
    family = "NotoSerifCJK" if serif else "NotoSansCJK"
    weight = "Bold" if bold else "Regular"
    for folder in FONT_DIRS:
        path = folder / f"{family}-{weight}.ttc"
        if path.exists():
            # The collection holds JP, KR, SC, TC and HK faces; only SC draws simplified forms
            # the mainland way (JP draws 门 like 内 without its stroke, for one).
            for index in range(8):
                font = ImageFont.truetype(str(path), size=size, index=index)
                if font.getname()[0].endswith(" SC"):
                    return font
    raise FileNotFoundError("Noto CJK fonts are missing: apt-get install fonts-noto-cjk")


def wrap(text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Break TEXT into lines no wider than WIDTH, character by character (CJK has no spaces)."""
    lines: list[str] = []
    for paragraph in text.splitlines():
        paragraph = paragraph.strip().replace("\u3000", "")
        if not paragraph:
            continue
        current = "\u3000\u3000" if len(paragraph) > 20 else ""
        for ch in paragraph:
            if font.getlength(current + ch) > width:
                lines.append(current)
                current = ch
            else:
                current += ch
        if current.strip():
            lines.append(current)
    return lines


def render_pages(
    title: str,
    body: str,
    *,
    seal_text: str | None = None,
    table: list[list[str]] | None = None,
    body_size: int = 46,
    seed: int = 0,
) -> list[RenderedPage]:
    """Lay out TITLE and BODY over as many A4 pages as needed."""
    rng = random.Random(seed)
    title_font = cjk_font(72, bold=True, serif=True)
    font = cjk_font(body_size)
    width, height = A4_300DPI
    usable = width - 2 * MARGIN
    line_height = int(body_size * 1.75)
    body_lines = wrap(body, font, usable)
    pages: list[RenderedPage] = []
    page = _blank()
    y = MARGIN
    if title:
        tw = title_font.getlength(title)
        ImageDraw.Draw(page.image).text(((width - tw) / 2, y), title, font=title_font, fill=(0, 0, 0))
        page.lines.append(title)
        page.boxes.append((int((width - tw) / 2), y, int((width + tw) / 2), y + 90))
        y += 72 * 2
    if table:
        y = _draw_table(page, table, font, y, usable)
    for line in body_lines:
        if y + line_height > height - MARGIN:
            pages.append(page)
            page = _blank()
            y = MARGIN
        ImageDraw.Draw(page.image).text((MARGIN, y), line, font=font, fill=(0, 0, 0))
        page.lines.append(line.strip("\u3000"))
        page.boxes.append((MARGIN, y, MARGIN + int(font.getlength(line)), y + int(body_size * 1.2)))
        y += line_height
    pages.append(page)
    if seal_text:
        last = pages[-1]
        cx = width - MARGIN - 320 - rng.randint(0, 120)
        cy = min(max(y - 200, MARGIN + 300), height - MARGIN - 300)
        last.seal_box = draw_seal(last.image, (cx, cy), seal_text)
    return pages


def _blank() -> RenderedPage:
    return RenderedPage(image=Image.new("RGB", A4_300DPI, (255, 255, 255)))


def _draw_table(page: RenderedPage, rows: list[list[str]], font: ImageFont.FreeTypeFont, y: int, usable: int) -> int:
    draw = ImageDraw.Draw(page.image)
    cols = max(len(r) for r in rows)
    col_w = usable // cols
    row_h = int(font.size * 2.0)
    for r, row in enumerate(rows):
        top = y + r * row_h
        for c in range(cols):
            left = MARGIN + c * col_w
            draw.rectangle((left, top, left + col_w, top + row_h), outline=(0, 0, 0), width=3)
            cell = row[c] if c < len(row) else ""
            draw.text((left + 16, top + (row_h - font.size) / 2 - 4), cell, font=font, fill=(0, 0, 0))
        page.lines.append("".join(cell for cell in row))
        page.boxes.append((MARGIN, top, MARGIN + usable, top + row_h))
    return y + len(rows) * row_h + row_h // 2


def draw_seal(image: Image.Image, centre: tuple[int, int], text: str, radius: int = 260) -> tuple[int, int, int, int]:
    """A round red seal: ring, star and the organisation's name along the arc, stamped like ink over the page."""
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    cx, cy = centre
    colour = (*SEAL_RED, 200)
    draw.ellipse((cx - radius, cy - radius, cx + radius, cy + radius), outline=colour, width=16)
    star = []
    for k in range(10):
        r = radius * (0.32 if k % 2 == 0 else 0.13)
        angle = math.pi / 2 + k * math.pi / 5
        star.append((cx + r * math.cos(angle), cy - r * math.sin(angle)))
    draw.polygon(star, fill=colour)
    font = cjk_font(int(radius * 0.27), bold=True)
    span = math.radians(240)
    start = math.radians(90) + span / 2
    for i, ch in enumerate(text):
        angle = start - span * (i + 0.5) / max(len(text), 1)
        x = cx + radius * 0.74 * math.cos(angle)
        y = cy - radius * 0.74 * math.sin(angle)
        glyph = Image.new("RGBA", (font.size * 2, font.size * 2), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((font.size / 2, font.size / 3), ch, font=font, fill=colour)
        glyph = glyph.rotate(math.degrees(angle) - 90, resample=Image.BICUBIC)
        layer.alpha_composite(glyph, (int(x - font.size), int(y - font.size)))
    # Ink on paper is subtractive: the seal darkens what is under it, black text stays black.
    alpha = np.asarray(layer, dtype=np.float32)[..., 3:] / 255.0
    tint = np.asarray(layer, dtype=np.float32)[..., :3] / 255.0
    page = np.asarray(image.convert("RGB"), dtype=np.float32)
    image.paste(Image.fromarray((page * (1 - alpha + alpha * tint)).round().astype(np.uint8)))
    return (cx - radius, cy - radius, cx + radius, cy + radius)


def text_pdf(
    path: Path, pages: list[str], lines_per_page: int = 40, background: Callable[[int], bytes] | None = None
) -> Path:
    """A born-digital A4 PDF with PAGES' text as real text (CJK built-in font).

    Such pages carry their own text layer, so the pipeline binds them without OCR:
    the quick way to make large dossiers for tests and benchmarks of the reader.
    BACKGROUND(page index) gives an image (JPEG/PNG bytes) drawn under the text,
    to give pages the weight of a scan.
    """
    import pymupdf

    doc = pymupdf.open()
    for index, text in enumerate(pages):
        page = doc.new_page(width=595, height=842)
        if background is not None:
            page.insert_image(page.rect, stream=background(index))
        y = 72.0
        for line in text.splitlines()[:lines_per_page]:
            page.insert_text((60, y), line, fontname="china-s", fontsize=12)
            y += 18
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path, garbage=3, deflate=True)
    doc.close()
    return path


def ground_truth_ocr(page: RenderedPage) -> OcrPage:
    """What a perfect OCR engine would report for PAGE: the drawn lines in their boxes."""
    lines = tuple(OcrLine(text=text, box=box, confidence=1.0) for text, box in zip(page.lines, page.boxes, strict=True))
    return OcrPage(engine="ground-truth", engine_version="1", width=page.image.width, height=page.image.height,
                   lines=lines)
