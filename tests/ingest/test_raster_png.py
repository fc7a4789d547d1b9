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


@pytest.mark.parametrize("mode", ["RGB", "L"])
def test_a_scanners_png_page_is_kept_as_it_is(mode: str, tmp_path: Path) -> None:
    """A page a scanner driver spooled (scanners/base.py: 8-bit PNG with its resolution) is the page PNG itself:
    the same bytes, not decoded and encoded again on a clerk's critical path."""
    from edossier.scanners.base import spool_page

    with Image.open(SAMPLES / "baiona_color.jpg") as photo:
        scanned = spool_page(photo.convert(mode), tmp_path / "spool", 1, 300.0, "color" if mode == "RGB" else "gray")
    limits = LimitsSettings()
    source = open_source(scanned.image, limits)
    [page] = list(read_pages(source, tmp_path / "work", limits))
    assert page.image is not None and page.image.read_bytes() == scanned.image.read_bytes()
    assert page.sha256 == source.sha256 and page.dpi == pytest.approx(300, abs=0.01) and page.corrections == ()


@pytest.mark.parametrize(
    "name", ["ocrmypdf/linn.png", "photos/matplotlib_logo2.png", "photos/paddle_ch_street_rec_1.png",
             "photos/rapid_short.png"],
)
def test_other_png_originals_are_written_anew(name: str, tmp_path: Path) -> None:
    """Palette, transparent and EXIF-carrying PNGs (third-party files) still become a fresh opaque page PNG."""
    path = SAMPLES.parent / name
    limits = LimitsSettings()
    source = open_source(path, limits)
    [page] = list(read_pages(source, tmp_path / "work", limits))
    assert page.image is not None and page.sha256 != source.sha256
    with Image.open(page.image) as ours:
        assert ours.mode in ("RGB", "L", "1")
