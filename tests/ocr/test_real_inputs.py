"""Real third-party inputs read as the pipeline reads them: nothing with visible text comes back empty.

Each test is a defect seen on real material (issue 18): tight word crops and a tiny
screenshot called blank, a small-format PDF page and phototest losing letters to
the recogniser's margin, single lines turned sideways, a transparent PNG bound as
a black box, a poster-size page refused, a byte-swapped text layer trusted, two
columns interleaved.  Files: tests/data/shared-samples (ATTRIBUTION.md there).
Expected texts of photos were transcribed by eye.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pymupdf
import pytest
from PIL import Image

from bench.ocr import cer
from edossier.config import OcrSettings, load_settings
from edossier.ingest.pages import open_source, read_pages
from edossier.ocr import OcrEngine, create_engine
from edossier.ocr.fallback import read_page
from edossier.pipeline.page_ocr import ocr_material
from edossier.pipeline.process import Material
from edossier.types import OcrPage, Page
from tests.ocr.conftest import SHARED_SAMPLES

PHOTOS = SHARED_SAMPLES / "photos"


def read(path: Path, engine: OcrEngine, work: Path) -> list[tuple[Page, OcrPage | None]]:
    read = ocr_material(Material(path=path), load_settings(data_dir=work, ocr={"jobs": 1}), engine)
    return list(zip(read.pages, read.ocr, strict=True))


def bag_error(text: str, truth: str) -> float:
    """Bag-of-characters error: characters missing or extra, whatever their order, over the truth's length."""
    got, want = Counter("".join(text.split())), Counter("".join(truth.split()))
    return (sum((want - got).values()) + sum((got - want).values())) / sum(want.values())


def rotation(page: Page) -> int:
    return next((int(float(c.value or 0)) for c in page.corrections if c.kind == "rotate"), 0)


@pytest.mark.parametrize(
    ("name", "truth", "max_cer"),
    [
        ("rapidocr/text_rec.jpg", "韩国小馆", 0.0),  # a tight word crop, light print on a dark sign
        ("photos/paddle_ch_street_rec_1.png", "魅派集成吊顶", 0.0),  # one line of spaced characters
        ("photos/rapid_short.png", "中国网络空间安全", 0.4),  # 65 x 11 px screenshot, no real resolution
    ],
)
def test_word_crops_and_tiny_lines_are_read_upright_not_blank(
    tmp_path: Path, rapid: OcrEngine, name: str, truth: str, max_cer: float
) -> None:
    [(page, ocr)] = read(SHARED_SAMPLES / name, rapid, tmp_path)
    assert "blank_page" not in page.flags
    assert rotation(page) == 0  # not turned sideways
    assert ocr is not None and not ocr.unread
    edits, length = cer(ocr.text, truth)
    assert edits / length <= max_cer, ocr.text


def test_an_all_black_photo_is_blank_without_error(tmp_path: Path, rapid: OcrEngine) -> None:
    [(page, ocr)] = read(PHOTOS / "rapid_empty_black.jpg", rapid, tmp_path)
    assert "blank_page" in page.flags and ocr is None


def test_small_format_pdf_pages_are_read_whole_and_not_turned(tmp_path: Path, rapid: OcrEngine) -> None:
    """3small.pdf: a 2 x 0.25 inch page with one line, beside a map and a recipe (the map was turned over)."""
    pages = read(SHARED_SAMPLES / "ocrmypdf" / "3small.pdf", rapid, tmp_path)
    assert [rotation(page) for page, _ in pages] == [0, 0, 0]
    texts = [ocr.text if ocr else "" for _, ocr in pages]
    assert texts[1] == "Covfefe is a perfectly cromulent word."
    assert "Linzensoep à la Waterman" in texts[2]
    assert "BAIONA" in texts[0]


def test_phototest_loses_no_letters(tmp_path: Path, rapid: OcrEngine) -> None:
    """With the old 0.6 line margin: "This s a lo of 12 point text", 5-7% CER."""
    [(_, ocr)] = read(SHARED_SAMPLES / "tesseract" / "phototest.tif", rapid, tmp_path)
    assert ocr is not None
    truth = (SHARED_SAMPLES / "tesseract" / "phototest.txt").read_text()
    assert bag_error(ocr.text, truth) <= 0.01, ocr.text


def test_transparent_png_is_laid_on_white(tmp_path: Path, rapid: OcrEngine) -> None:
    """matplotlib's logo: RGBA whose transparent pixels hold black (bound as a black box before)."""
    path = PHOTOS / "matplotlib_logo2.png"
    alpha = np.asarray(Image.open(path))[..., 3]
    assert (alpha == 0).mean() > 0.5  # the input really is mostly transparent, with black behind
    [page] = read_pages(open_source(path, load_settings().limits), tmp_path, load_settings().limits)
    assert page.image is not None
    kept = cv2.imread(str(page.image), cv2.IMREAD_GRAYSCALE)
    assert kept[alpha == 0].min() == 255
    [(_, ocr)] = read(path, rapid, tmp_path / "ocr")
    assert ocr is not None
    edits, length = cer(ocr.text.lower(), "matplotlib")  # its "o" is a polar chart: read or not
    assert edits <= 1, ocr.text


def test_ordinary_scan_on_a_poster_size_page_is_not_refused(tmp_path: Path) -> None:
    """A 2480 x 3507 scan (epson.pdf) on a 60-inch page: 300 dpi of page size is over the pixel limit, the image is not."""
    with pymupdf.open(SHARED_SAMPLES / "ocrmypdf" / "epson.pdf") as original:
        image = original.extract_image(original[0].get_images()[0][0])
    poster = pymupdf.open()
    page = poster.new_page(width=60 * 72 * 2480 / 3507, height=60 * 72)
    page.insert_image(page.rect, stream=image["image"])
    path = tmp_path / "poster.pdf"
    poster.save(path)
    limits = load_settings().limits
    [read_page_] = read_pages(open_source(path, limits), tmp_path / "work", limits)
    assert read_page_.kind == "raster"
    assert abs(read_page_.height_px - 3507) <= 60  # rasterised at the scan's own resolution


def _swapped_layer_pdf(path: Path, visible: Path, layer: str) -> Path:
    """A real scan with an invisible text layer (as OCR tools add) holding LAYER."""
    doc = pymupdf.open()
    with Image.open(visible) as img:
        width, height = img.size[0] * 72 / 200, img.size[1] * 72 / 200
    page = doc.new_page(width=width, height=height)
    page.insert_image(page.rect, filename=str(visible))
    page.insert_textbox(page.rect, layer, fontname="china-s", fontsize=9, render_mode=3)
    doc.save(path)
    return path


def test_byte_swapped_text_layer_is_ocred_not_trusted(tmp_path: Path, rapid: OcrEngine) -> None:
    """phototest with its own text as a UTF-16 layer read the wrong way round: "This" became "吀栀椀猀"."""
    truth = (SHARED_SAMPLES / "tesseract" / "phototest.txt").read_text()
    swapped = truth.encode("utf-16-be").decode("utf-16-le")
    path = _swapped_layer_pdf(tmp_path / "swapped.pdf", SHARED_SAMPLES / "tesseract" / "phototest.tif", swapped)
    with pymupdf.open(path) as doc:
        assert "吀栀椀猀" in doc[0].get_text().replace("\n", "")  # the layer extracts as the garbage
    [(page, ocr)] = read(path, rapid, tmp_path / "work")
    assert page.kind == "raster" and ocr is not None
    assert bag_error(ocr.text, truth) <= 0.02, ocr.text


@pytest.mark.parametrize(("layer", "kind"), [("第三页", "born_digital"), ("\ue000\ue001栀", "raster")])
def test_short_text_layer_kept_when_it_reads(tmp_path: Path, layer: str, kind: str) -> None:
    """Under 20 characters of text used to be rasterised, then called blank; garbage is still OCRed."""
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), layer, fontname="china-s", fontsize=12)
    path = tmp_path / "short.pdf"
    doc.save(path)
    limits = load_settings().limits
    [page] = read_pages(open_source(path, limits), tmp_path / "work", limits)
    assert page.kind == kind


def test_two_columns_are_read_one_after_the_other(tmp_path: Path, rapid: OcrEngine) -> None:
    """Two real scans side by side as the columns of one page: each column's lines stay together."""
    left = cv2.imread(str(SHARED_SAMPLES / "tesseract" / "phototest.tif"), cv2.IMREAD_GRAYSCALE)
    right = cv2.imread(str(SHARED_SAMPLES / "tesseract" / "eurotext.tif"), cv2.IMREAD_GRAYSCALE)
    left = cv2.resize(left, None, fx=1.5, fy=1.5, interpolation=cv2.INTER_CUBIC)[40:680]  # both at 300 dpi
    right = right[:, 60:]
    height = max(left.shape[0], right.shape[0])
    page = np.full((height, left.shape[1] + right.shape[1] + 40), 255, np.uint8)
    page[: left.shape[0], : left.shape[1]] = left
    page[: right.shape[0], left.shape[1] + 40 :] = right
    path = tmp_path / "columns.png"
    cv2.imwrite(str(path), page)
    lines = rapid.recognize(path).text.splitlines()
    lazy = [i for i, line in enumerate(lines) if "lazy fox" in line]
    euro = [i for i, line in enumerate(lines) if "Fuchs" in line or "perro" in line]
    assert lazy and euro, lines
    assert max(lazy) < min(euro) or max(euro) < min(lazy), lines  # no line mixes or interleaves the columns
    assert not any("fox" in line and len(line) > 60 for line in lines), lines


def test_fallbacks_read_a_word_crop_the_detector_misses_and_record_how(rapid: OcrEngine) -> None:
    """A detector that accepts no box (threshold 0.99): the whole crop read as one line."""
    blind = create_engine(OcrSettings(engine="rapidocr", jobs=1, det_box_thresh=0.99, fallback_engine="none"))
    crop = SHARED_SAMPLES / "rapidocr" / "text_rec.jpg"
    assert blind.recognize(crop).text == ""
    result = read_page(blind, crop)
    assert result.text == "韩国小馆" and result.read_by == "whole_line"


def test_second_engine_then_review_flag_when_nothing_reads() -> None:
    """A page (phototest, not line-shaped) that PP-OCR cannot read goes to Tesseract; with none, it is flagged."""
    page = SHARED_SAMPLES / "tesseract" / "phototest.tif"
    blind = create_engine(OcrSettings(engine="rapidocr", jobs=1, det_box_thresh=0.99))
    result = read_page(blind, page)
    assert result.read_by == "tesseract" and "quick brown" in result.text
    alone = create_engine(OcrSettings(engine="rapidocr", jobs=1, det_box_thresh=0.99, fallback_engine="none"))
    unread = read_page(alone, page)
    assert unread.text == "" and unread.unread


def test_light_print_on_a_dark_ground_is_not_blank(tmp_path: Path, rapid: OcrEngine) -> None:
    """A line cut from PaddleOCR's street photo 12.jpg: white 打浦路15号 on a dark sign (was called blank)."""
    photo = cv2.imread(str(PHOTOS / "paddle_12.jpg"))
    path = tmp_path / "line.png"
    cv2.imwrite(str(path), photo[442:494, 186:406])
    [(page, ocr)] = read(path, rapid, tmp_path / "work")
    assert "blank_page" not in page.flags
    assert ocr is not None and ocr.text == "打浦路15号"
