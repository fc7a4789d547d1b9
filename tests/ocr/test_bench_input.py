"""The OCR benchmark's input: what both sides are given is a scanned PDF as scanning software writes one.

Until session 15 the benchmark stored every page's pixels raw (26 MB an A4 colour
page, 261 MB for ten), which no scanner writes and which every side then read,
and edossier hashed and kept as the original (notes/issue-18.md).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pymupdf
from PIL import Image
from tests.conftest import SHARED_SAMPLES

from bench.ocr import page_pdf


def test_the_benchmark_pdf_holds_each_page_losslessly_and_compressed(tmp_path: Path) -> None:
    images = [SHARED_SAMPLES / "photos" / "paddle_ch_street_rec_1.png", SHARED_SAMPLES / "rapidocr" / "text_rec.jpg"]
    # the benchmark's pages are PNGs: these third-party images are saved as such first
    pngs = []
    for n, image in enumerate(images):
        with Image.open(image) as img:
            pngs.append(tmp_path / f"{n}.png")
            img.convert("RGB").save(pngs[-1])
    target = tmp_path / "input.pdf"
    page_pdf(pngs, target)
    with pymupdf.open(target) as pdf:
        assert pdf.page_count == 2
        for page, png in zip(pdf, pngs, strict=True):
            [info] = page.get_images(full=True)
            xref = info[0]
            assert pdf.xref_get_key(xref, "Filter") == ("name", "/FlateDecode")
            pixmap = pymupdf.Pixmap(pdf, xref)
            pixels = np.frombuffer(pixmap.samples, dtype=np.uint8).reshape(pixmap.height, pixmap.width, pixmap.n)
            with Image.open(png) as img:
                assert np.array_equal(pixels, np.asarray(img))
            assert len(pdf.xref_stream_raw(xref)) < pixmap.width * pixmap.height * pixmap.n
