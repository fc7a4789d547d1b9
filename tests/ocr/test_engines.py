"""Both required engines on real images with ground truth, and the engine contract."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from bench.ocr import cer, normalise
from bench.pagegen import cjk_font, draw_seal
from edossier.config import OcrSettings
from edossier.errors import StageError
from edossier.ocr import OcrEngine, create_engine
from edossier.ocr.engine import threads_per_page
from edossier.ocr.paddle import unavailable_reason
from edossier.ocr.rapid import bundled_models, drop_speckle_dots
from tests.ocr.conftest import SAMPLES, SHARED_SAMPLES

CJK_SPACE = re.compile(r"[\u4e00-\u9fff] [\u4e00-\u9fff]")


def error_rate(text: str, truth: str) -> float:
    edits, length = cer(text, truth)
    return edits / length


def test_rapidocr_reads_a_chinese_line(rapid: OcrEngine) -> None:
    page = rapid.recognize(SHARED_SAMPLES / "rapidocr" / "text_rec.jpg")
    assert page.text == "韩国小馆"
    assert page.confidence > 0.9
    assert page.engine == "rapidocr" and "PP-OCR" in page.engine_version


def test_rapidocr_first_lines_of_photos(rapid_colour: OcrEngine) -> None:
    advert = rapid_colour.recognize(SHARED_SAMPLES / "rapidocr" / "ch_en_num.jpg")
    assert advert.lines[0].text == "正品促销"
    assert len(advert.lines) >= 8
    # Upside down in its pixels (only EXIF says to turn it): the line-direction model turns it.
    upside_down = rapid_colour.recognize(SHARED_SAMPLES / "rapidocr" / "img_exif_orientation.jpg")
    assert upside_down.lines[0].text == "我是中国人"


def test_rapidocr_reads_a_court_scan_exactly(rapid: OcrEngine) -> None:
    page = rapid.recognize(SAMPLES / "02-power-of-attorney.jpg")
    truth = (SAMPLES / "02-power-of-attorney.gt.txt").read_text("utf-8")
    assert error_rate(page.text, truth) <= 0.02, page.text
    assert not CJK_SPACE.search(page.text)
    with Image.open(SAMPLES / "02-power-of-attorney.jpg") as img:
        assert (page.width, page.height) == img.size
    title = page.lines[0]
    assert title.text == "授权委托书"
    x0, y0, x1, y1 = title.box
    assert 0 < x0 < x1 < page.width and 0 < y0 < y1 < page.height / 5


def test_rapidocr_reads_two_small_lines_on_an_empty_page(tmp_path: Path, rapid: OcrEngine) -> None:
    """A classified marking alone at the top of an A4 page (11 pt, 300 dpi) once read as nothing."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    page.insert_text((72, 72), "绝密★长期\n民事裁定书", fontname="china-s", fontsize=11)
    page.get_pixmap(dpi=300).save(tmp_path / "marking.png")
    lines = [line.text for line in rapid.recognize(tmp_path / "marking.png").lines]
    assert lines == ["绝密★长期", "民事裁定书"]


@pytest.mark.parametrize(
    ("read", "kept"),
    [
        ("·基本案情", "基本案情"),  # speck before a heading
        ("退还剩余服务费用。.", "退还剩余服务费用。"),  # speck after a full stop
        ("××年××月.××日", "××年××月××日"),  # speck between two characters
        ("依照……（写明", "依照……（写明"),  # an ellipsis stays
        ("判决如下......", "判决如下......"),
        ("第1.", "第1."),  # a numbered item stays
        ("买买提·艾力", "买买提·艾力"),  # so does a name's middle dot
        ("paid 3.5 yuan.", "paid 3.5 yuan."),
    ],
)
def test_speckle_dots_are_dropped_from_chinese_lines_only(read: str, kept: str) -> None:
    assert drop_speckle_dots(read) == kept


def test_tesseract_reads_english(tesseract: OcrEngine) -> None:
    page = tesseract.recognize(SHARED_SAMPLES / "tesseract" / "phototest.tif")
    truth = (SHARED_SAMPLES / "tesseract" / "phototest.txt").read_text("utf-8")
    assert error_rate(page.text, truth) <= 0.03, page.text
    assert page.lines[0].text.startswith("This is a")
    assert all(line.words for line in page.lines)


def test_tesseract_reads_a_chinese_court_scan(tesseract: OcrEngine) -> None:
    page = tesseract.recognize(SAMPLES / "02-power-of-attorney.jpg")
    truth = (SAMPLES / "02-power-of-attorney.gt.txt").read_text("utf-8")
    # Tesseract garbles the lines with underlined blanks (about 18% CER on this page, see
    # bench/ocr.py for dense pages); lines of plain print it reads exactly.
    assert error_rate(page.text, truth) <= 0.25, page.text
    read = normalise(page.text)
    for line in ("授权委托书", "犯罪嫌疑人的关系）之委托，指派________律师担任犯罪嫌疑人的辩护人。", "律师在（犯罪嫌疑人姓名及涉嫌罪名）一案中，代理权限为："):
        assert normalise(line) in read
    assert not CJK_SPACE.search(page.text)


def test_red_seal_over_text_is_dropped_for_ocr(tmp_path: Path, rapid: OcrEngine) -> None:
    line = "被告应于本判决生效之日起十日内支付原告货款"
    font = cjk_font(46)
    image = Image.new("RGB", (int(font.getlength(line)) + 160, 420), "white")
    ImageDraw.Draw(image).text((80, 180), line, font=font, fill="black")
    draw_seal(image, (image.width // 2, 205), "浙江某某律师事务所", radius=190)
    path = tmp_path / "sealed.png"
    image.save(path)
    assert rapid.recognize(path).text == line


def test_models_come_from_the_package_and_are_never_fetched(tmp_path: Path) -> None:
    models = bundled_models()
    assert set(models) == {"det", "cls", "rec"}
    assert all(path.is_file() and "site-packages" in str(path) for path in models.values())
    with pytest.raises(StageError, match="never downloads"):
        bundled_models(tmp_path)


def test_thread_budget_counts_engine_threads() -> None:
    assert threads_per_page(OcrSettings(jobs=1, threads=3)) == 3
    assert threads_per_page(OcrSettings(jobs=10_000)) == 1


def test_unknown_and_uninstalled_engines_fail_clearly(tmp_path: Path) -> None:
    settings = OcrSettings(engine="paddleocr", paddle_model_dir=tmp_path)
    reason = unavailable_reason(settings)
    if reason is None:
        pytest.skip("PaddleOCR and models are installed here; see test_paddleocr_reads_a_chinese_line")
    with pytest.raises(StageError, match=re.escape(reason)):
        create_engine(settings)


def test_paddleocr_reads_a_chinese_line() -> None:
    """Runs only where PaddleOCR and its models are installed (EDOSSIER_OCR__PADDLE_MODEL_DIR)."""
    import os

    folder = os.environ.get("EDOSSIER_OCR__PADDLE_MODEL_DIR")
    settings = OcrSettings(engine="paddleocr", paddle_model_dir=Path(folder) if folder else None)
    reason = unavailable_reason(settings)
    if reason:
        pytest.skip(reason)
    page = create_engine(settings).recognize(SHARED_SAMPLES / "rapidocr" / "text_rec.jpg")
    assert page.text == "韩国小馆"
