"""A scanned PDF page is written as a PNG holding exactly MuPDF's rendering, at the resolution it was rendered at,
or, where the page is only its scan, exactly the scan's own pixels.

The page PNG is encoded by edossier's fast writer (``ingest/png.py``), not MuPDF's: the pixels
and the resolution in the file must be the same as MuPDF's own PNG of the page would hold.
A page that is one image at the raster's resolution and nothing else is not drawn again
(``pdf_pages.scanned_image``): its page PNG holds the image as stored, in its own colours.
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
from edossier.ingest.pdf_pages import scanned_image
from edossier.types import sha256_file

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "shared-samples" / "ocrmypdf"


@pytest.mark.parametrize("name", ["skew.pdf", "c02-22.pdf", "rotated_skew.pdf", "baiona_color.jpg", "poster.pdf"])
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
            assert scanned_image(doc[page.index], page.dpi) is None  # drawn: skewed, 150 dpi, turned, a photo, a poster
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


def _stored_pixels(path: Path, index: int = 0) -> np.ndarray:
    """The pixels of the one image on page INDEX of PATH, decoded by MuPDF from the PDF's own image object."""
    with pymupdf.open(path) as doc:
        [listed] = doc[index].get_images(full=True)
        pix = pymupdf.Pixmap(doc, listed[0])
        return np.frombuffer(pix.samples, np.uint8).reshape(pix.height, pix.width, pix.n).squeeze(-1 if pix.n == 1 else ())


@pytest.mark.parametrize(
    "name", ["ccitt.pdf", "cardinal.pdf", "francais.pdf", "epson.pdf", "kcs.pdf"]
)  # CCITT G4, JBIG2 with a [0 1] decode array, grey JPEG, pages rounded to whole points (300.1 and 300.2 dpi)
def test_a_page_that_is_only_its_scan_holds_the_scans_own_pixels(name: str, tmp_path: Path) -> None:
    """Scanners' PDFs: the page PNG is the stored image itself, grey as scanned, not a resampled RGB drawing of it."""
    limits = LimitsSettings()
    source = open_source(SAMPLES / name, limits)
    page = next(read_pages(source, tmp_path / "work", limits))
    assert page.kind == "raster" and page.image is not None and page.dpi == 300
    with Image.open(page.image) as ours:
        assert ours.mode == "L" and ours.info["dpi"][0] == pytest.approx(300, abs=0.01)
        assert np.array_equal(np.asarray(ours), _stored_pixels(SAMPLES / name))
    with pymupdf.open(SAMPLES / name) as doc:  # what MuPDF draws at 300 dpi is the same scan, give or take a row
        drawn = doc[0].get_pixmap(dpi=300, alpha=False)
        assert abs(drawn.width - page.width_px) <= 2 and abs(drawn.height - page.height_px) <= 2


def test_a_colour_scan_on_a_page_a_pixel_narrower_is_taken_as_scanned(tmp_path: Path) -> None:
    """A 300-dpi colour scan on an A4 page (595.28 pt: 2480.3 px) is the scan's 2480 columns, where MuPDF would draw
    2481 resampled ones; the same page with a note typed on it, or a drawn line, is drawn as before."""
    with Image.open(SAMPLES / "baiona_color.jpg") as photo:
        scan = photo.convert("RGB").resize((2480, 3508))
    scan_path = tmp_path / "scan.png"
    scan.save(scan_path)
    pdfs = {}
    for extra in ("none", "text", "line"):
        with pymupdf.open() as pdf:
            page = pdf.new_page(width=595.28, height=841.89)
            page.insert_image(page.rect, filename=str(scan_path))
            if extra == "text":
                page.insert_text((72, 72), "COPY", fontsize=20)
            elif extra == "line":
                page.draw_line((72, 72), (300, 72))
            pdfs[extra] = tmp_path / f"{extra}.pdf"
            pdf.save(pdfs[extra])
    limits = LimitsSettings()
    page = next(read_pages(open_source(pdfs["none"], limits), tmp_path / "work", limits))
    with Image.open(page.image) as ours:  # type: ignore[arg-type]  # a raster page has its image
        assert ours.mode == "RGB" and ours.size == (2480, 3508)
        assert np.array_equal(np.asarray(ours), np.asarray(scan))
    for extra in ("text", "line"):
        page = next(read_pages(open_source(pdfs[extra], limits), tmp_path / f"work-{extra}", limits))
        assert (page.width_px, page.height_px) == (2481, 3508)
