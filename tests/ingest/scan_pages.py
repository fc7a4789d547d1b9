"""Page images for scanning tests: printed cover sheets, sample scans, a blank page.

Cover sheets are rendered from the PDF that ``edossier coversheet`` writes, as a
scanner would see them; content pages are the bundled sample scans.  A scan
adds noise, so pages can be "scanned" with light grain to keep blank and
duplicate detection honest.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image, ImageDraw

from edossier.ingest.coversheet import make_cover_sheet

ROOT = Path(__file__).parents[2]
SAMPLES = ROOT / "samples"
BLANK_PDF = ROOT / "tests" / "data" / "shared-samples" / "ocrmypdf" / "blank.pdf"


def render_pdf_page(pdf: Path, target: Path, dpi: int, index: int = 0) -> Path:
    with pymupdf.open(pdf) as doc:
        pix = doc[index].get_pixmap(dpi=dpi, alpha=False)
        image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
    return save(image, target, dpi)


def cover_page(folder: Path, name: str, case: str, doc_type: str, title: str | None = None,
               pages: int | None = None, dpi: int = 100, damaged: bool = False) -> Path:
    pdf = folder / f"{name}.pdf"
    make_cover_sheet(case, doc_type, title, pages, pdf)
    target = render_pdf_page(pdf, folder / f"{name}.png", dpi)
    if damaged:  # a torn or smudged code: a band across the middle of the QR
        with Image.open(target) as image:
            image.load()
        scale = dpi / 72
        draw = ImageDraw.Draw(image)
        draw.rectangle((200 * scale, 200 * scale, 400 * scale, 260 * scale), fill="white")
        save(image, target, dpi)
    return target


def sample_page(folder: Path, name: str, sample: str, dpi: int = 100, grain: int = 0) -> Path:
    with Image.open(SAMPLES / sample) as image:
        scale = dpi / float(image.info.get("dpi", (300, 300))[0])
        page = image.convert("RGB").resize((round(image.width * scale), round(image.height * scale)))
    return save(_grain(page, grain), folder / f"{name}.png", dpi)


def blank_page(folder: Path, name: str, dpi: int = 100, grain: int = 6) -> Path:
    target = render_pdf_page(BLANK_PDF, folder / f"{name}.png", dpi)
    with Image.open(target) as image:
        image.load()
    return save(_grain(image, grain), target, dpi)


def _grain(image: Image.Image, amount: int) -> Image.Image:
    if not amount:
        return image
    rng = np.random.default_rng(len(image.tobytes()) % 1000)
    pixels = np.asarray(image, dtype=np.int16) + rng.integers(-amount, amount + 1, size=(image.height, image.width, 3))
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))


def save(image: Image.Image, target: Path, dpi: int) -> Path:
    target.parent.mkdir(parents=True, exist_ok=True)
    image.save(target, dpi=(dpi, dpi), compress_level=1)
    return target
