"""Pixels handed from one step to the next in a process are exactly what decoding the written file gives.

Reading a page (``ingest``) leaves its pixels for cleanup, cleanup leaves the
recognition image for OCR and the kept image for binding's encoding (``edossier/recent_images.py``); a step that takes them
must see the very pixels it would have decoded, or a page would read differently
in one process than across batch workers.  Third-party scans and photos.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from edossier import recent_images
from edossier.bind.image_codec import CodecSettings, encode_page_image
from edossier.config import CleanupSettings, LimitsSettings
from edossier.ingest.cleanup import clean_page
from edossier.ingest.pages import open_source, read_pages
from edossier.ingest.png import png_bytes
from edossier.ocr.prepare import load_for_ocr

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "shared-samples" / "ocrmypdf"


@pytest.mark.parametrize("name", ["ccitt.pdf", "c02-22.pdf", "francais.pdf", "baiona_color.jpg"])
def test_a_read_page_and_its_recognition_image_hand_over_the_files_pixels(name: str, tmp_path: Path) -> None:
    """A bilevel scan taken as stored (grey), a 150-dpi colour page drawn by MuPDF (BGR), a grey JPEG page,
    a colour JPEG photo: what cleanup, OCR and binding's encoding take equals decoding the files they would
    otherwise read."""
    limits = LimitsSettings()
    page = next(read_pages(open_source(SAMPLES / name, limits), tmp_path / "work", limits))
    assert page.image is not None
    handed = recent_images.take(page.image)
    assert handed is not None and not handed.flags.writeable
    assert np.array_equal(handed, cv2.imread(str(page.image), cv2.IMREAD_ANYCOLOR))
    assert recent_images.take(page.image) is None  # taken once

    cleaned = clean_page(page, CleanupSettings(), tmp_path / "work")  # decodes the page file itself now
    assert cleaned.recognition_image is not None
    taken = load_for_ocr(cleaned.recognition_image)  # the pixels cleanup left
    decoded = load_for_ocr(cleaned.recognition_image)  # nothing left: the file
    assert taken.dtype == decoded.dtype == np.uint8 and np.array_equal(taken, decoded)

    assert cleaned.image is not None
    if cleaned.image != cleaned.recognition_image:  # else OCR took the kept image's pixels too
        kept = recent_images.take(cleaned.image)
        assert kept is not None and np.array_equal(kept, cv2.imread(str(cleaned.image), cv2.IMREAD_ANYCOLOR))
        recent_images.leave(cleaned.image, kept)
    from_pixels = encode_page_image(cleaned.image, CodecSettings())  # binding's encoding takes what cleanup left
    assert recent_images.take(cleaned.image) is None
    assert from_pixels == encode_page_image(cleaned.image, CodecSettings())  # the file decoded: the same bytes


def test_only_the_newest_images_wait(tmp_path: Path) -> None:
    pixels = np.zeros((4, 4), np.uint8)
    paths = [tmp_path / f"{n}.png" for n in range(recent_images.KEPT + 1)]
    for path in paths:
        recent_images.leave(path, pixels)
    assert recent_images.take(paths[0]) is None
    assert all(recent_images.take(path) is not None for path in paths[1:])


def test_a_colour_recognition_image_is_read_as_its_red_channel_as_when_decoded(tmp_path: Path) -> None:
    """A recognition image left in colour (BGR) gives OCR the red channel, levelled, as Pillow's decoding does."""
    photo = cv2.imread(str(SAMPLES / "baiona_color.jpg"), cv2.IMREAD_COLOR)
    target = tmp_path / "recognition.png"
    target.write_bytes(png_bytes(photo))
    recent_images.leave(target, photo)
    taken = load_for_ocr(target)
    assert recent_images.take(target) is None  # the left pixels were what it read
    assert np.array_equal(taken, load_for_ocr(target)) and taken.ndim == 2
