"""A scanned PDF page is written as a PNG holding exactly MuPDF's rendering, at the resolution it was rendered at.

The page PNG is encoded by OpenCV's fast writer (``ingest/png.py``), not MuPDF's: the pixels
and the resolution in the file must be the same as MuPDF's own PNG of the page would hold.
"""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pymupdf
import pytest
from PIL import Image

from edossier.config import LimitsSettings
from edossier.ingest.pages import open_source, read_pages
from edossier.types import sha256_file

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "shared-samples" / "ocrmypdf"


@pytest.mark.parametrize("name", ["skew.pdf", "ccitt.pdf", "baiona_color.jpg", "poster.pdf"])
def test_a_rasterised_page_holds_mupdfs_pixels_and_resolution(name: str, tmp_path: Path) -> None:
    limits = LimitsSettings()
    source_path = SAMPLES / name
    if name.endswith(".jpg"):  # a colour photo, laid on a page: an RGB raster with colour in it
        source_path = tmp_path / "photo.pdf"
        with pymupdf.open() as pdf:
            page = pdf.new_page(width=300, height=400)
            page.insert_image(page.rect, filename=str(SAMPLES / name))
            pdf.save(source_path)
    source = open_source(source_path, limits)
    pages = list(read_pages(source, tmp_path / "work", limits))
    assert pages and all(page.kind == "raster" for page in pages)
    with pymupdf.open(source_path) as doc:
        for page in pages:
            assert page.image is not None and page.sha256 == sha256_file(page.image)
            expected = doc[page.index].get_pixmap(dpi=int(page.dpi), alpha=False).tobytes("png")
            with Image.open(page.image) as ours, Image.open(io.BytesIO(expected)) as mupdf:
                assert ours.mode == mupdf.mode and ours.size == mupdf.size
                assert np.array_equal(np.asarray(ours), np.asarray(mupdf))
                assert ours.info["dpi"] == pytest.approx(mupdf.info["dpi"])
                assert ours.info["dpi"][0] == pytest.approx(page.dpi, abs=0.01)


@pytest.mark.parametrize("mode", ["RGB", "L", "1", "P"])
def test_an_image_page_holds_the_images_pixels(mode: str, tmp_path: Path) -> None:
    """An image original (a real colour photo, as a scanner's colour, grey, bilevel or palette page) becomes a
    page PNG with exactly its pixels: colour and grey pages through OpenCV's encoder, bilevel ones through Pillow."""
    with Image.open(SAMPLES / "baiona_color.jpg") as photo:
        original = photo.convert(mode)
    source_path = tmp_path / f"page-{mode}.tiff"
    original.save(source_path, dpi=(300, 300))
    limits = LimitsSettings()
    [page] = list(read_pages(open_source(source_path, limits), tmp_path / "work", limits))
    assert page.image is not None and page.sha256 == sha256_file(page.image) and page.dpi == pytest.approx(300)
    expected = original.convert("RGB") if mode == "P" else original
    with Image.open(page.image) as ours:
        assert ours.size == expected.size
        assert np.array_equal(np.asarray(ours.convert(expected.mode)), np.asarray(expected))
