"""PP-OCRv6 tiny reads each line first; the lines it is unsure of are read by the small recogniser (issue 18).

Tiny costs a fifth of the small recogniser in f32 (14 against 72 ms a 1024-px line, one thread) and reads
most lines of a court page surely; its doubtful lines go on to the small one, whose reading is kept.
"""

from __future__ import annotations

import cv2
import pytest

from edossier.config import OcrSettings
from edossier.errors import StageError
from edossier.ocr import OcrEngine, create_engine, rapid
from edossier.ocr.rapid import TINY_NAME, TINY_SURE, RapidOcrEngine, tiny_recogniser
from tests.ocr.conftest import SHARED_SAMPLES

pytest.importorskip("openvino", reason="OpenVINO is not installed (README setup installs it)")


def _engine(**settings: object) -> RapidOcrEngine:
    engine = create_engine(OcrSettings(engine="rapidocr", jobs=1, bf16=False, **settings))  # type: ignore[arg-type]
    assert isinstance(engine, RapidOcrEngine)
    return engine


@pytest.fixture(scope="module")
def chained() -> RapidOcrEngine:
    return _engine()


@pytest.fixture(scope="module")
def small() -> RapidOcrEngine:
    return _engine(rec_tiny_first=False)


def test_tiny_comes_from_an_installed_package_and_its_results_are_cached_apart(
    chained: RapidOcrEngine, small: RapidOcrEngine
) -> None:
    model, characters = tiny_recogniser()
    assert model.name == "rec.onnx" and "site-packages" in model.parts
    assert len(characters) == 6904 and "判" in characters and "号" in characters
    assert OcrSettings().rec_tiny_first
    assert TINY_NAME in chained.cache_key() and TINY_NAME not in small.cache_key()


def test_a_sure_line_keeps_tinys_reading_and_an_unsure_one_gets_the_small_recognisers(
    chained: RapidOcrEngine, small: RapidOcrEngine
) -> None:
    """RapidOCR's ch_en_num.jpg heading (正品促销) upright, and upside down, where tiny is unsure."""
    image = cv2.imread(str(SHARED_SAMPLES / "rapidocr" / "ch_en_num.jpg"))
    upright = image[0:100, 3:321]
    turned = cv2.rotate(upright, cv2.ROTATE_180)
    tiny_alone = _engine()
    tiny_alone._load().readers = tiny_alone._load().readers[:1]
    [sure] = chained._load().recognise([upright])
    assert sure[0] == "正品促销" and sure[1] >= TINY_SURE
    assert tiny_alone._load().recognise([upright]) == [sure]
    [unsure] = tiny_alone._load().recognise([turned])
    assert unsure[1] < TINY_SURE
    [checked] = chained._load().recognise([turned])
    assert checked == small._load().recognise([turned])[0] != unsure


def test_tiny_first_reads_real_chinese_lines_as_the_small_recogniser_does(
    chained: RapidOcrEngine, small: RapidOcrEngine
) -> None:
    for name, truth in (("rapidocr/text_rec.jpg", "韩国小馆"), ("photos/paddle_ch_street_rec_1.png", "魅派集成吊顶")):
        assert chained.recognize(SHARED_SAMPLES / name).text == small.recognize(SHARED_SAMPLES / name).text == truth


def test_a_missing_tiny_recogniser_stops_with_a_message_and_never_downloads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rapid, "TINY_FOLDER", ("no-such-folder",))
    with pytest.raises(StageError, match="rec_tiny_first = false"):
        tiny_recogniser()
    # Without tiny the engine still reads, with the small recogniser alone.
    engine: OcrEngine = _engine(rec_tiny_first=False)
    assert engine.recognize(SHARED_SAMPLES / "rapidocr" / "text_rec.jpg").text == "韩国小馆"
