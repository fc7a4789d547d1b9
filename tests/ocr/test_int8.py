"""The int8 recogniser edossier ships (ocr/models/, made by scripts/quantise_recogniser.py) against rapidocr's f32 one.

Issue 18: on CPUs without bfloat16 units the int8 model costs ~1.5x less CPU than f32.  It is not
the default: on a rendered archive volume's 卷内目录 it read the 页号 "4-4" as "44" (the cataloguing
test below the OCR tests), so it stays opt-in (``ocr.rec_precision = "int8"``) until it reads that too.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from edossier.config import OcrSettings
from edossier.ocr import OcrEngine, create_engine
from edossier.ocr.rapid import INT8_RECOGNISER, RECHECK_SCORE, RapidOcrEngine, bundled_models
from tests.ocr.conftest import ROOT, SHARED_SAMPLES
from tests.ocr.test_real_inputs import bag_error, read

pytest.importorskip("openvino", reason="OpenVINO is not installed (README setup installs it)")

OCRMYPDF = SHARED_SAMPLES / "ocrmypdf"


@pytest.fixture(scope="module")
def f32() -> OcrEngine:
    return create_engine(OcrSettings(engine="rapidocr", jobs=1, rec_precision="f32"))


@pytest.fixture(scope="module")
def rapid() -> OcrEngine:
    """The int8 engine (this module's subject; the default engine is f32)."""
    return create_engine(OcrSettings(engine="rapidocr", jobs=1, rec_precision="int8"))


def test_int8_ships_inside_the_package_and_f32_is_the_default(rapid: OcrEngine) -> None:
    assert OcrSettings().rec_precision == "f32"
    assert isinstance(rapid, RapidOcrEngine)
    assert rapid.models["rec"] == INT8_RECOGNISER
    assert INT8_RECOGNISER.parent == Path(sys.modules["edossier.ocr"].__file__ or "").parent / "models"


def test_the_int8_model_loads_and_reads_with_the_network_cut_off() -> None:
    """A fresh process in which every socket connection fails reads a real word crop with the int8 model."""
    script = (
        "import socket\n"
        "def refuse(*args, **kwargs): raise OSError('network use: ' + repr(args))\n"
        "socket.socket.connect = refuse; socket.socket.connect_ex = refuse; socket.create_connection = refuse\n"
        "from edossier.config import OcrSettings\n"
        "from edossier.ocr import create_engine\n"
        "engine = create_engine(OcrSettings(engine='rapidocr', jobs=1, model_cache_dir=None, rec_precision='int8'))\n"
        "assert engine.models['rec'].name == 'PP-OCRv6_rec_small_int8.xml', engine.models\n"
        f"print(engine.recognize({str(SHARED_SAMPLES / 'rapidocr' / 'text_rec.jpg')!r}).text)\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.split() == ["韩国小馆"]


def test_int8_reads_a_real_scan_within_the_error_of_f32(tmp_path: Path, rapid: OcrEngine, f32: OcrEngine) -> None:
    """OCRmyPDF's linn scan (300 dpi, two columns, ~2,600 characters), read through the pipeline by both models."""
    truth = (OCRMYPDF / "linn.txt").read_text("utf-8")
    errors = {}
    for name, engine in (("int8", rapid), ("f32", f32)):
        [(_, ocr)] = read(OCRMYPDF / "linn.png", engine, tmp_path / name)
        assert ocr is not None
        errors[name] = bag_error(ocr.text, truth)
    assert errors["int8"] <= errors["f32"] + 0.003, errors  # f32 reads it at ~2.5 %


@pytest.mark.parametrize(
    ("name", "truth"),
    [("rapidocr/text_rec.jpg", "韩国小馆"), ("photos/paddle_ch_street_rec_1.png", "魅派集成吊顶")],
)
def test_int8_reads_real_chinese_lines_as_f32_does(rapid: OcrEngine, f32: OcrEngine, name: str, truth: str) -> None:
    texts = {engine.settings.rec_precision: engine.recognize(SHARED_SAMPLES / name).text  # type: ignore[attr-defined]
             for engine in (rapid, f32)}
    assert texts == {"int8": truth, "f32": truth}


def test_a_line_int8_is_unsure_of_is_read_by_f32(rapid: OcrEngine, f32: OcrEngine) -> None:
    """RapidOCR's ch_en_num.jpg heading (正品促销), upright and upside down: the sure reading stays int8's, the
    unsure one (int8 alone: another text, score ~0.28) is f32's, as read by the f32 engine."""
    image = cv2.imread(str(SHARED_SAMPLES / "rapidocr" / "ch_en_num.jpg"))
    upright = image[0:100, 3:321]
    turned = cv2.rotate(upright, cv2.ROTATE_180)
    assert isinstance(rapid, RapidOcrEngine) and isinstance(f32, RapidOcrEngine)
    [(text, score)] = rapid._load().recognise([upright])
    assert text == "正品促销" and score >= RECHECK_SCORE
    alone = create_engine(OcrSettings(engine="rapidocr", jobs=1, rec_precision="int8"))
    assert isinstance(alone, RapidOcrEngine)
    alone._load()._f32_rec = None  # int8 without its second reading
    [unsure] = alone._load().recognise([turned])
    assert unsure[1] < RECHECK_SCORE
    [checked] = rapid._load().recognise([turned])
    assert checked == f32._load().recognise([turned])[0] != unsure


def test_results_of_the_two_precisions_are_cached_apart(rapid: OcrEngine, f32: OcrEngine) -> None:
    assert rapid.cache_key() != f32.cache_key()
    assert "PP-OCRv6_rec_small_int8" in rapid.cache_key()


def test_onnx_runtime_runs_the_f32_model_whatever_the_setting() -> None:
    """ONNX Runtime cannot read OpenVINO's IR: it gets rapidocr's f32 model, and its results say so."""
    engine = create_engine(OcrSettings(engine="rapidocr", jobs=1, runtime="onnxruntime", rec_precision="int8"))
    assert isinstance(engine, RapidOcrEngine)
    assert engine.models["rec"] == bundled_models()["rec"]
    assert "int8" not in engine.cache_key()
