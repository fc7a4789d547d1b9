"""The page PNG writer (``ingest/png.py``): every decoder the pipeline and a reader use gets the page's own pixels back.

Pages are written as PNG by edossier itself (PNG's Up filter, ISA-L's deflate), so
OpenCV (cleanup, OCR), Pillow (binding, thumbnails) and MuPDF (a PDF of pages)
must each read exactly the pixels and the resolution that went in.
"""

from __future__ import annotations

import io

import cv2
import numpy as np
import pymupdf
import pytest
from PIL import Image
from tests.conftest import SHARED_SAMPLES

from edossier.ingest.png import png_bytes

IMAGES = [
    ("tesseract/phototest.tif", cv2.IMREAD_GRAYSCALE),  # a bilevel scan, as a grey page
    ("photos/paddle_00207393.jpg", cv2.IMREAD_COLOR),  # a colour photo
    ("rapidocr/ch_en_num.jpg", cv2.IMREAD_COLOR),
    ("photos/paddle_table_1.jpg", cv2.IMREAD_GRAYSCALE),
]


@pytest.mark.parametrize(("name", "mode"), IMAGES)
@pytest.mark.parametrize("dpi", [None, 300.0, 150.0])
def test_every_decoder_reads_the_pixels_and_resolution_written(name: str, mode: int, dpi: float | None) -> None:
    pixels = cv2.imread(str(SHARED_SAMPLES / name), mode)
    data = png_bytes(pixels, dpi)
    assert np.array_equal(cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED), pixels)
    with Image.open(io.BytesIO(data)) as image:
        read = np.asarray(image)
        assert np.array_equal(read if read.ndim == 2 else read[:, :, ::-1], pixels)
        assert image.info.get("dpi") == (None if dpi is None else pytest.approx((dpi, dpi), abs=0.05))  # pixels a metre, rounded
    pixmap = pymupdf.Pixmap(data)
    assert (pixmap.width, pixmap.height, pixmap.n) == (pixels.shape[1], pixels.shape[0], 1 if pixels.ndim == 2 else 3)
    if dpi is not None:
        assert pixmap.xres == pixmap.yres == round(dpi)
    assert len(data) < pixels.size  # compressed


def test_the_same_pixels_give_the_same_bytes_and_a_crop_is_written_as_its_own_pixels() -> None:
    """A page's file is named by the hash of its bytes: a rerun must write the same ones."""
    photo = cv2.imread(str(SHARED_SAMPLES / "photos" / "paddle_12.jpg"), cv2.IMREAD_COLOR)
    assert png_bytes(photo) == png_bytes(photo.copy())
    crop = photo[10:200:2, 30:400:3]  # a view with strides, not a contiguous array
    assert np.array_equal(cv2.imdecode(np.frombuffer(png_bytes(crop), np.uint8), cv2.IMREAD_UNCHANGED), crop)


def test_an_image_that_is_not_grey_or_bgr_is_refused_with_its_shape() -> None:
    with pytest.raises(ValueError, match=r"8-bit grey or BGR.*\(4, 4, 4\)"):
        png_bytes(np.zeros((4, 4, 4), np.uint8))
    with pytest.raises(ValueError, match="uint16"):
        png_bytes(np.zeros((4, 4), np.uint16))
