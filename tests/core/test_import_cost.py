"""What importing edossier costs every CLI call and worker process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_pymupdf_add_ons_are_not_loaded() -> None:
    """PyMuPDF 2.0 would load an ONNX layout model and its Markdown add-on at import; edossier uses neither."""
    code = (
        "import sys, edossier.pipeline.process, pymupdf;"
        "print(pymupdf._get_layout is None, 'pymupdf.layout.DocumentLayoutAnalyzer' in sys.modules,"
        " any(name.startswith('pymupdf4llm.') for name in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["True", "False", "False"]


SHARED_SAMPLES = Path(__file__).resolve().parents[1] / "data" / "shared-samples"

NOT_FOR_OCR = (
    "omegaconf",  # RapidOCR's model catalogue, read at import by its driver and its drawing module
    "requests",  # RapidOCR's model downloads
    "tqdm",
    "rapidocr.utils.vis_res",
    "rapidocr.inference_engine.base",
    "rapidocr.ch_ppocr_det",  # the packages' __init__: RapidOCR's own detector and recogniser drivers
    "rapidocr.ch_ppocr_rec",
    "pyhanko",  # signing, binding and storage belong to `process`, not to reading a page
    "aiohttp",
    "boto3",
    "openvino.tools.ovc",  # OpenVINO's model conversion: edossier only reads models
)


def test_ocr_reads_a_page_with_rapidocrs_steps_alone(tmp_path: Path) -> None:
    """`edossier ocr` reads a real word crop with RapidOCR's detection and decoding steps but without the rest
    of RapidOCR (its package imports cost ~0.55 CPU-s a process) or the modules of other commands."""
    image = SHARED_SAMPLES / "rapidocr" / "text_rec.jpg"
    code = (
        "import sys\n"
        "from edossier.pipeline.cli import main\n"
        f"assert main(['ocr', {str(image)!r}]) == 0\n"
        f"print([name for name in {NOT_FOR_OCR!r} if sys.modules.get(name) is not None])\n"
    )
    env = {**os.environ, "EDOSSIER_DATA_DIR": str(tmp_path / "data"), "EDOSSIER_CONFIG": str(tmp_path / "none.toml")}
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env, cwd=tmp_path, timeout=300
    )
    assert done.stdout.splitlines() == ["韩国小馆", "[]"], done.stderr[-2000:]
