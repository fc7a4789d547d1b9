"""A PDF whose text is drawn with a font that has no Unicode mapping is OCRed, not trusted.

The file is built the way some court-side generators produce them: a real embedded
CJK font subset addressed by glyph id (Identity-H), without a /ToUnicode map, so
extraction yields glyph ids read as code points instead of the words on the page.
"""

from __future__ import annotations

from pathlib import Path

import pikepdf
import pymupdf
import pytest

from bench.ocr import cer
from edossier.config import LimitsSettings
from edossier.ingest.pages import open_source, read_pages
from edossier.ocr import OcrEngine

TEXT = "民事起诉状\n原告张三，男，汉族，住浙江省杭州市西湖区。\n被告李四，女，汉族，住浙江省杭州市上城区。\n诉讼请求：判令被告归还借款人民币十万元。"


def _pdf(path: Path, unicode_map: bool) -> Path:
    doc = pymupdf.open()
    page = doc.new_page()
    writer = pymupdf.TextWriter(page.rect)
    writer.fill_textbox(pymupdf.Rect(72, 72, 520, 400), TEXT, font=pymupdf.Font("cjk"), fontsize=16)
    writer.write_text(page)
    doc.subset_fonts()
    doc.save(path)
    doc.close()
    if not unicode_map:
        with pikepdf.open(path, allow_overwriting_input=True) as pdf:
            for obj in pdf.objects:
                if isinstance(obj, pikepdf.Dictionary) and obj.get("/Type") == "/Font" and "/ToUnicode" in obj:
                    del obj["/ToUnicode"]
            pdf.save(path)
    return path


@pytest.mark.parametrize("unicode_map", [True, False])
def test_text_layer_trusted_only_when_it_reads(tmp_path: Path, unicode_map: bool) -> None:
    path = _pdf(tmp_path / "filing.pdf", unicode_map)
    with pymupdf.open(path) as doc:
        extracted = doc[0].get_text()
    assert ("原告张三" in extracted) is unicode_map
    (page,) = read_pages(open_source(path, LimitsSettings()), tmp_path / "work", LimitsSettings())
    assert page.kind == ("born_digital" if unicode_map else "raster")


def test_garbage_text_layer_page_is_read_by_ocr(tmp_path: Path, rapid: OcrEngine) -> None:
    path = _pdf(tmp_path / "filing.pdf", unicode_map=False)
    (page,) = read_pages(open_source(path, LimitsSettings()), tmp_path / "work", LimitsSettings())
    assert page.recognition_image is not None
    text = rapid.recognize(page.recognition_image).text
    edits, length = cer(text, TEXT)
    assert edits / length <= 0.02, text
