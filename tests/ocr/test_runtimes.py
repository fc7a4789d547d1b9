"""The PP-OCR models on both runtimes: OpenVINO (default where installed) and ONNX Runtime."""

from __future__ import annotations

import locale
import subprocess
import sys
import threading

import numpy as np
import pytest

from bench.ocr import cer
from edossier.config import OcrSettings
from edossier.ocr import create_engine
from edossier.ocr.inference import _locale_kept, load_model, pick_runtime
from edossier.ocr.rapid import bundled_models
from tests.ocr.conftest import ROOT, SAMPLES

pytest.importorskip("openvino", reason="OpenVINO is not installed (README setup installs it)")


def test_auto_runtime_is_openvino_where_installed() -> None:
    assert pick_runtime("auto") == "openvino"
    assert pick_runtime("onnxruntime") == "onnxruntime"


def test_both_runtimes_read_the_court_scan_alike() -> None:
    truth = (SAMPLES / "02-power-of-attorney.gt.txt").read_text("utf-8")
    pages = {}
    for runtime in ("openvino", "onnxruntime"):
        engine = create_engine(OcrSettings(engine="rapidocr", jobs=1, runtime=runtime))
        pages[runtime] = engine.recognize(SAMPLES / "02-power-of-attorney.jpg")
        assert runtime in pages[runtime].engine_version  # results of the two are cached apart
    for page in pages.values():
        edits, length = cer(page.text, truth)
        assert edits / length <= 0.02, page.text
    assert pages["openvino"].lines[0].text == pages["onnxruntime"].lines[0].text == "授权委托书"


def test_top1_head_gives_the_best_class_and_its_probability() -> None:
    """The OpenVINO head that replaces the 18,710-way softmax output agrees with that output."""
    rec = bundled_models()["rec"]
    full = load_model(rec, "onnxruntime", threads=1, streams=1, bf16=False)
    top1 = load_model(rec, "openvino", threads=1, streams=1, bf16=False, top1=True)
    rng = np.random.default_rng(7)
    batch = rng.uniform(-1, 1, size=(2, 3, 48, 320)).astype(np.float32)
    batch[1] = 1.0  # a blank (white) line: the blank class wins everywhere
    [probabilities] = full(batch)
    index, probability = top1(batch)
    assert index.shape == probability.shape == probabilities.shape[:2]
    assert index.dtype == np.int32
    np.testing.assert_array_equal(index, probabilities.argmax(axis=-1))
    np.testing.assert_allclose(probability, probabilities.max(axis=-1), rtol=1e-3, atol=1e-5)


def test_no_telemetry_client_is_loaded() -> None:
    """OpenVINO's package imports a telemetry client; edossier keeps it out (OpenVINO's stub is used)."""
    script = (
        "import sys, edossier\n"
        "from edossier.config import OcrSettings\n"
        "from edossier.ocr import create_engine\n"
        f"create_engine(OcrSettings(runtime='openvino', jobs=1)).recognize({str(SAMPLES / '02-power-of-attorney.jpg')!r})\n"
        "assert 'openvino' in sys.modules\n"
        "assert sys.modules.get('openvino_telemetry') is None, 'telemetry client loaded'\n"
        "assert not [m for m in sys.modules if m.startswith('openvino_telemetry.')]\n"
        "print('no telemetry')\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr
    assert "no telemetry" in run.stdout


@pytest.mark.parametrize("delay", [0.0, 0.2, 0.5])
def test_a_process_may_exit_while_the_models_still_load(delay: float) -> None:
    """Models load in the background from engine creation; exiting meanwhile once aborted in OpenVINO's teardown."""
    script = (
        "import time\n"
        "from edossier.config import OcrSettings\n"
        "from edossier.ocr import create_engine\n"
        f"create_engine(OcrSettings(runtime='openvino')); time.sleep({delay})\n"
    )
    run = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr


def test_compiled_models_are_cached_for_the_next_process(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """OpenVINO writes the compiled detector and both recognisers (tiny and small) to ocr.model_cache_dir; a second
    process loads them."""
    engine = create_engine(OcrSettings(engine="rapidocr", jobs=1, model_cache_dir=tmp_path / "cache"))
    engine.version()  # waits for the models
    assert len(list((tmp_path / "cache").glob("*.blob"))) == 3


def test_reading_a_page_keeps_the_process_locale(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """OpenVINO sets the C locale while it reads a model; left so, every later text file of the
    process (a quarantine note, a subprocess's Chinese output) was written as ASCII and failed."""
    script = (
        "import locale, sys\n"
        "from edossier.config import OcrSettings\n"
        "from edossier.ocr import create_engine\n"
        "engine = create_engine(OcrSettings(engine='rapidocr', jobs=1, runtime='openvino'))\n"
        f"engine.recognize({str(SAMPLES / '02-power-of-attorney.jpg')!r})\n"
        f"open({str(tmp_path / 'note.txt')!r}, 'w').write('机密★1年')\n"
        "print(locale.getpreferredencoding(False))\n"
    )
    env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "EDOSSIER_CONFIG": str(tmp_path / "none.toml"),
           "EDOSSIER_DATA_DIR": str(tmp_path / "data")}
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=ROOT, capture_output=True, text=True,
                          encoding="utf-8", timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.split()[-1] == "UTF-8"
    assert (tmp_path / "note.txt").read_text(encoding="utf-8") == "机密★1年"


def test_models_loading_at_once_leave_the_locale_as_it_was() -> None:
    """The detector and the recogniser load in two threads: one's model reading had set "C" when the other
    saved the locale to put back, and the process was left at "C" (a quarantine note then failed as ASCII)."""
    before = locale.setlocale(locale.LC_ALL)
    first_reading, second_saved, first_done = threading.Event(), threading.Event(), threading.Event()

    def first() -> None:
        with _locale_kept():
            locale.setlocale(locale.LC_ALL, "C")  # what OpenVINO's read_model does
            first_reading.set()
            second_saved.wait(10)
        first_done.set()

    def second() -> None:
        first_reading.wait(10)
        with _locale_kept():
            second_saved.set()
            first_done.wait(10)

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(20)
    assert locale.setlocale(locale.LC_ALL) == before
