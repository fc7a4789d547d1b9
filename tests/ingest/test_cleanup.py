"""Page cleanup on real renderings: turned, skewed, bordered, photographed, blank, sealed pages."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from bench.degrade import ScanDegradation, add_scanner_border, degrade, photograph, punch_holes, rotate, show_through
from bench.pagegen import render_pages
from edossier.config import CleanupSettings
from edossier.ingest.cleanup import applied_turn, clean_image, clean_page
from edossier.ingest.ink import seal_mask
from edossier.pipeline.cli import main
from edossier.types import Page, sha256_file

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
SETTINGS = CleanupSettings()
BODY = (
    "原告张某某与被告杭州某某科技有限公司买卖合同纠纷一案，本院于二〇二四年三月一日立案后，依法适用简易程序，"
    "公开开庭进行了审理。原告及其委托诉讼代理人到庭参加诉讼，被告经本院传票传唤无正当理由拒不到庭。\n" * 6
)


def bgr(image: Image.Image) -> np.ndarray:
    return cv2.cvtColor(np.asarray(image.convert("RGB")), cv2.COLOR_RGB2BGR)


@pytest.fixture(scope="session")
def sealed_page() -> Image.Image:
    """The bundled power of attorney: a real 300-dpi colour JPEG with a red seal."""
    return Image.open(SAMPLES / "02-power-of-attorney.jpg").convert("RGB")


@pytest.fixture(scope="session")
def text_page() -> Image.Image:
    return render_pages("民事判决书", BODY, seed=3)[0].image


@pytest.mark.parametrize(("turn", "skew"), [(90, 4.2), (180, -11.5), (270, 0.7)])
def test_turned_and_skewed_page_comes_back_upright(sealed_page: Image.Image, turn: int, skew: float) -> None:
    scanned = degrade(rotate(sealed_page, turn + skew), seed=turn)
    cleaned = clean_image(bgr(scanned), 300.0, SETTINGS)
    assert cleaned.rotation == turn
    assert abs(cleaned.skew - skew) <= 0.2
    assert cleaned.kept is not None
    # the seal is still red, and as big as before
    before, after = seal_mask(bgr(scanned)), seal_mask(cleaned.kept)
    assert cv2.countNonZero(after) >= 0.95 * cv2.countNonZero(before) > 1000
    # ... and faded to paper in what OCR reads
    assert np.median(cleaned.recognition[after > 0]) > 200


def test_a_few_short_lines_are_deskewed_precisely() -> None:
    page = render_pages("债务追偿催促书", "（单位名称或姓名）：\n我方与你方于年月日订阅\n合同（合同号：\n），我", seed=5)[0].image
    for turn, skew in ((270, 17.7), (90, 12.0)):
        cleaned = clean_image(bgr(degrade(rotate(page, turn + skew), seed=4)), 300.0, SETTINGS)
        assert cleaned.rotation == turn
        assert abs(cleaned.skew - skew) <= 0.2


def test_straight_page_is_left_alone(text_page: Image.Image) -> None:
    cleaned = clean_image(bgr(degrade(text_page, seed=1)), 300.0, SETTINGS)
    assert (cleaned.rotation, cleaned.skew, cleaned.kept) == (0, 0.0, None)


def test_italic_text_and_slanted_table_lines_are_not_deskewed(text_page: Image.Image) -> None:
    page = np.asarray(text_page).copy()
    height, width = page.shape[:2]
    italic = cv2.warpAffine(page, np.float32([[1, -0.25, 0.125 * height], [0, 1, 0]]), (width, height),
                            borderValue=(255, 255, 255))
    for k in range(6):  # a table's diagonal header rules at 12°
        y = 2600 + 60 * k
        cv2.line(italic, (300, y), (2200, y - int(1900 * np.tan(np.radians(12)))), (0, 0, 0), 4)
    cleaned = clean_image(bgr(degrade(Image.fromarray(italic), seed=2)), 300.0, SETTINGS)
    assert (cleaned.rotation, cleaned.skew) == (0, 0.0)


def test_black_scanner_edges_are_cropped(text_page: Image.Image) -> None:
    scanned = degrade(add_scanner_border(rotate(text_page, 2.5), 120, seed=3), seed=3)
    cleaned = clean_image(bgr(scanned), 300.0, SETTINGS)
    assert any(c.kind == "crop_border" for c in cleaned.corrections)
    assert abs(cleaned.skew - 2.5) <= 0.2
    assert cleaned.kept is not None
    edges = np.concatenate([cleaned.kept[:5].ravel(), cleaned.kept[-5:].ravel(),
                            cleaned.kept[:, :5].ravel(), cleaned.kept[:, -5:].ravel()])
    assert np.median(edges) > 150  # paper at the edges, not black lid


def test_photographed_page_is_rectified(text_page: Image.Image) -> None:
    photo, _ = photograph(rotate(text_page, 90), seed=5)
    cleaned = clean_image(bgr(degrade(photo, seed=5)), 300.0, SETTINGS)
    assert any(c.kind == "perspective" for c in cleaned.corrections)
    assert cleaned.rotation == 90
    assert abs(cleaned.skew) <= 0.5
    assert cleaned.kept is not None
    height, width = cleaned.kept.shape[:2]
    assert abs(height / width - 3508 / 2480) < 0.1  # size from edge lengths: foreshortening stays


def test_blank_backs_are_flagged_but_pages_with_little_text_are_not(text_page: Image.Image) -> None:
    back = show_through(Image.new("RGB", (2480, 3508), "white"), text_page, strength=0.14)
    back = punch_holes(back, seed=7)
    yellow = ScanDegradation(paper_tint=0.15, speckles=900)
    assert clean_image(bgr(degrade(back, seed=7, spec=yellow)), 300.0, SETTINGS).blank
    little = render_pages("送达回证", "此页无正文", seed=1)[0].image
    assert not clean_image(bgr(degrade(punch_holes(little, seed=8), seed=8, spec=yellow)), 300.0, SETTINGS).blank


@pytest.mark.parametrize("dpi", [75.0, 300.0])
def test_perfectly_white_page_is_blank_not_an_error(dpi: float) -> None:
    """A born-digital white page (no ink at all, not even a speck), at low and normal resolution."""
    size = (round(8.27 * dpi), round(11.69 * dpi))
    result = clean_image(np.full((size[1], size[0], 3), 255, np.uint8), dpi, SETTINGS)
    assert result.blank and result.recognition.min() == 255


def test_clean_page_records_corrections_and_reuses_its_work(tmp_path: Path, sealed_page: Image.Image) -> None:
    source = tmp_path / "scan.png"
    degrade(rotate(sealed_page, 180 + 3.0), seed=9).save(source)
    page = Page(source_sha256="s", index=0, sha256=sha256_file(source), kind="raster", image=source,
                corrections=(), flags=())
    cleaned = clean_page(page, SETTINGS, tmp_path / "work")
    assert applied_turn(cleaned) == (180, pytest.approx(3.0, abs=0.2))
    assert cleaned.image != source and cleaned.recognition_image not in (None, cleaned.image)
    for path in (cleaned.image, cleaned.recognition_image):
        assert path is not None and path.stem == sha256_file(path)  # content-addressed
    assert cleaned.sha256 == cleaned.image.stem
    kinds = [c.kind for c in cleaned.corrections]
    assert kinds[:2] == ["rotate", "deskew"] and "recognition_flatten" in kinds
    with Image.open(cleaned.recognition_image) as recognition:
        assert recognition.mode == "L"
    stamp = cleaned.image.stat().st_mtime_ns
    assert clean_page(page, SETTINGS, tmp_path / "work") == cleaned
    assert cleaned.image.stat().st_mtime_ns == stamp
    assert cleaned.recognition_sha256 == cleaned.recognition_image.stem

    # The same sheet fed twice (or another file's identical page) reuses the work, yet stays its own page:
    # a scanner's double-feed flag must stay on the page it was raised for, at its own place in its own file.
    again = page.model_copy(update={"source_sha256": "t", "index": 4, "flags": ("double_feed",)})
    assert clean_page(again, SETTINGS, tmp_path / "work") == cleaned.model_copy(
        update={"source_sha256": "t", "index": 4, "flags": ("double_feed",)})
    assert cleaned.image.stat().st_mtime_ns == stamp


def test_cleanup_command_writes_pages_and_json(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["cleanup", str(SAMPLES / "02-power-of-attorney.jpg"), "-o", str(out), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    (row,) = report["pages"]
    assert {"page", "rotation", "skew_degrees", "blank", "output"} <= row.keys()
    assert (row["page"], row["rotation"], row["blank"]) == (1, 0, False)
    assert Path(row["output"]).is_file() and Path(row["output"]).parent == out


def test_exif_orientation_is_honoured_not_redone(data_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                 sealed_page: Image.Image) -> None:
    turned = tmp_path / "phone.jpg"
    exif = Image.Exif()
    exif[0x0112] = 6  # stored turned 90° counter-clockwise; viewers turn it back clockwise
    sealed_page.transpose(Image.Transpose.ROTATE_90).save(turned, exif=exif, quality=90, dpi=(300, 300))
    assert main(["cleanup", str(turned), "-o", str(tmp_path / "out"), "--json"]) == 0
    (row,) = json.loads(capsys.readouterr().out)["pages"]
    assert row["rotation"] == 0


def test_oversized_page_is_refused(data_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EDOSSIER_LIMITS__MAX_PIXELS_PER_PAGE", "1000000")
    assert main(["cleanup", str(SAMPLES / "02-power-of-attorney.jpg"), "-o", str(tmp_path / "out")]) == 9
