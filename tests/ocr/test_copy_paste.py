"""Copying text out of a bound page gives what OCR read: same lines, no spaces between Chinese characters."""

from __future__ import annotations

from pathlib import Path

import pymupdf

from edossier.bind.assemble import DossierMetadata, assemble
from edossier.config import BindSettings, LimitsSettings
from edossier.ingest.pages import open_source, read_pages
from edossier.ocr import OcrEngine
from edossier.types import Classification, Document
from tests.ocr.conftest import SAMPLES


def test_bound_text_layer_equals_ocr_text(tmp_path: Path, rapid: OcrEngine) -> None:
    source = open_source(SAMPLES / "02-power-of-attorney.jpg", LimitsSettings())
    (page,) = read_pages(source, tmp_path, LimitsSettings())
    ocr = rapid.recognize(page.recognition_image)
    document = Document(
        title="授权委托书",
        source_sha256=source.sha256,
        pages=(page,),
        classification=Classification(type="授权委托书", confidence=1.0),
        ocr=(ocr,),
    )
    pdf_path = tmp_path / "bound.pdf"
    meta = DossierMetadata(case="（2024）浙0102民初100号", version=1, bound_by="t")
    addition = assemble([document], pdf_path, meta, BindSettings())

    with pymupdf.open(pdf_path) as pdf:
        bound = pdf[addition.entries[0].first_page - 1]  # after the cover and the catalogue
        copied = [line for line in bound.get_text().splitlines() if line.strip()]
        stamp = copied.pop()  # the page number stamped at the foot
        assert stamp.strip().isdigit()
        assert copied == [line.text for line in ocr.lines]
        # A search hit for the title lands where OCR found it.
        (hit,) = bound.search_for("授权委托书")
        scale = bound.rect.width / ocr.width
        x0, y0, x1, y1 = (v * scale for v in ocr.lines[0].box)
        assert abs(hit.x0 - x0) < 15 and abs(hit.x1 - x1) < 15
        assert hit.y0 < (y0 + y1) / 2 < hit.y1
