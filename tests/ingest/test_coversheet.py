"""Cover sheets: what `edossier coversheet` prints is what a scan reads back."""

from __future__ import annotations

import json

import pymupdf
import pytest
import zxingcpp
import numpy as np
from PIL import Image

from edossier.errors import CaseNumberError
from edossier.ingest.coversheet import CoverReading, make_cover_sheet, read_cover_sheet
from tests.ingest.scan_pages import cover_page, sample_page

CASE = "(2024)浙0102民初100号"


def test_printed_sheet_reads_back_with_normalised_case(tmp_path):
    page = cover_page(tmp_path, "cover", CASE, "授权委托书", title="授权委托书（原告）", pages=2, dpi=150)
    with Image.open(page) as image:
        reading = read_cover_sheet(image)
    assert reading.damaged is None
    assert reading.sheet.case == "（2024）浙0102民初100号"
    assert (reading.sheet.type, reading.sheet.title, reading.sheet.pages) == ("授权委托书", "授权委托书（原告）", 2)


def test_sheet_prints_the_same_in_text(tmp_path):
    make_cover_sheet(CASE, "起诉状", "民事起诉状", None, tmp_path / "c.pdf")
    with pymupdf.open(tmp_path / "c.pdf") as doc:
        text = doc[0].get_text()
    assert "（2024）浙0102民初100号" in text and "起诉状" in text and "民事起诉状" in text and "不装订" in text


def test_greyscale_low_resolution_scan_still_reads(tmp_path):
    page = cover_page(tmp_path, "cover", CASE, "判决书", dpi=75)
    with Image.open(page) as image:
        assert read_cover_sheet(image.convert("L")).sheet.type == "判决书"


def test_damaged_code_is_reported_not_guessed(tmp_path):
    page = cover_page(tmp_path, "cover", CASE, "起诉状", dpi=150, damaged=True)
    with Image.open(page) as image:
        reading = read_cover_sheet(image)
    assert reading.sheet is None
    assert "cannot be read" in reading.damaged


def test_ordinary_page_and_foreign_qr_code_are_not_cover_sheets(tmp_path):
    with Image.open(sample_page(tmp_path, "p", "02-power-of-attorney.jpg")) as image:
        assert read_cover_sheet(image).sheet is None and read_cover_sheet(image).damaged is None
    code = zxingcpp.create_barcode('{"invoice": 12345}', zxingcpp.QRCode)
    foreign = Image.fromarray(np.array(code.to_image(scale=8)))
    assert read_cover_sheet(foreign).sheet is None and read_cover_sheet(foreign).damaged is None


def test_cover_with_a_bad_case_number_is_reported():
    payload = json.dumps({"k": "edossier-cover", "v": 1, "case": "(2024)浙0102民初0号", "type": "起诉状"})
    image = Image.fromarray(np.array(zxingcpp.create_barcode(payload, zxingcpp.QRCode).to_image(scale=8)))
    reading = read_cover_sheet(image)
    assert reading.sheet is None and "case number is invalid" in reading.damaged


def test_bad_case_number_is_refused_when_printing(tmp_path):
    with pytest.raises(CaseNumberError):
        make_cover_sheet("2024 民初 100", "起诉状", None, None, tmp_path / "c.pdf")


def test_small_false_codes_in_a_pattern_are_not_damaged_cover_sheets(tmp_path):
    """SANE's colour test chart at 300 dpi holds finder-like patterns that zxing half-decodes."""
    from edossier.scanners.base import ScanRequest
    from edossier.scanners.sane_scanner import PROJECT_SANE_CONFIG, SaneScanner

    with SaneScanner("test", PROJECT_SANE_CONFIG) as scanner:
        (page,) = scanner.scan(ScanRequest(resolution=300, source="flatbed"), tmp_path)
    with Image.open(page.image) as image:
        grey = image.convert("L").resize((1400, round(image.height * 1400 / image.width)))
        assert any(not c.valid for c in zxingcpp.read_barcodes(grey, formats=zxingcpp.QRCode, return_errors=True))
        assert read_cover_sheet(image) == CoverReading()
