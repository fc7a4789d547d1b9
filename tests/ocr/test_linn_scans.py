"""OCRmyPDF's linn scans: one real 300-dpi two-column brochure page, as a PNG and as PDFs made from it
(skewed, skewed and /Rotate'd, in all four orientations, CCITT G4, JBIG2, on a poster-size page).

Issue 18's target: each read by the default engine within 3 % bag-of-characters error of
OCRmyPDF's reference text (itself Tesseract's reading, so its own slips count against us too).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import cv2
import numpy as np

from tests.ocr.conftest import SHARED_SAMPLES
from tests.ocr.test_real_inputs import bag_error, read
from edossier.ocr import OcrEngine
from edossier.ocr.rapid import detection_window

OCRMYPDF = SHARED_SAMPLES / "ocrmypdf"
TRUTH = (OCRMYPDF / "linn.txt").read_text("utf-8")


@pytest.mark.parametrize("name", ["linn.png", "skew.pdf", "rotated_skew.pdf", "ccitt.pdf", "jbig2.pdf"])
def test_each_linn_scan_is_read_within_three_percent(tmp_path: Path, rapid: OcrEngine, name: str) -> None:
    [(page, ocr)] = read(OCRMYPDF / name, rapid, tmp_path)
    assert ocr is not None and not ocr.unread and "blank_page" not in page.flags
    assert bag_error(ocr.text, TRUTH) <= 0.03, ocr.text


def test_the_page_in_four_orientations_is_turned_upright_and_read(tmp_path: Path, rapid: OcrEngine) -> None:
    pages = read(OCRMYPDF / "cardinal.pdf", rapid, tmp_path)
    turns = [next((int(float(c.value or 0)) for c in page.corrections if c.kind == "rotate"), 0) for page, _ in pages]
    assert turns == [0, 270, 180, 90]
    for _, ocr in pages:
        assert ocr is not None and bag_error(ocr.text, TRUTH) <= 0.03, ocr.text if ocr else None


def test_the_scan_on_a_poster_size_page_is_read_as_well(tmp_path: Path, rapid: OcrEngine) -> None:
    """The 2550x3300 scan on a 250x500-inch page: at the page's own detection scale its text was ~4 px high
    and 28 % of the characters were lost; the detector now sees only the inked part, scaled by the text's size."""
    [(_, ocr)] = read(OCRMYPDF / "poster.pdf", rapid, tmp_path)
    assert ocr is not None and bag_error(ocr.text, TRUTH) <= 0.03, ocr.text if ocr else None


def test_the_detector_is_shown_the_scan_not_the_poster_around_it() -> None:
    """linn.png alone is detected at the page's scale (its text is large enough there), over its inked part only.
    On a canvas three times its size that scale would shrink the text under DET_TEXT_PX (as on poster.pdf), so
    the same inked part is shown at the detector's limit instead: about the scale the scan gets alone."""
    scan = cv2.imread(str(OCRMYPDF / "linn.png"), cv2.IMREAD_GRAYSCALE)
    height, width = scan.shape
    alone, ratio = detection_window(scan, 960)
    assert ratio == 960 / height
    left, top, right, bottom = alone
    assert (right - left) * (bottom - top) < 0.85 * width * height  # the white margins are not detected
    poster = np.full((3 * height, 3 * width), 255, np.uint8)
    poster[height : 2 * height, width : 2 * width] = scan
    window, poster_ratio = detection_window(poster, 960)
    assert poster_ratio > 2 * 960 / (3 * height)  # not the poster's own scale
    assert 0.9 * ratio < poster_ratio and max(right - left, bottom - top) * poster_ratio <= 960
    # the same inked part: the poster's window, cut to where the scan lies, is the scan's own
    on_scan = (max(0, window[0] - width), max(0, window[1] - height), min(width, window[2] - width), min(height, window[3] - height))
    assert all(abs(a - b) <= 4 for a, b in zip(on_scan, alone, strict=True)), (on_scan, alone)
