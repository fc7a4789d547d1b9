"""PaddleOCR (PP-OCR on Paddle Inference), optional: only where it and its models are installed locally.

Not part of the default install.  It needs the ``paddleocr`` and ``paddlepaddle``
packages and ``ocr.paddle_model_dir`` naming a folder with ``det/`` and ``rec/``
(and optionally ``textline_orientation/``) exported inference models.  Model
names are read from each folder's inference.yml; PaddleX's look-ups of model
hosters are switched off, so nothing is fetched at run time.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from importlib import metadata
from pathlib import Path
from typing import Any

from edossier.config import OcrSettings
from edossier.errors import StageError
from edossier.ocr.engine import OcrEngine, page_result
from edossier.ocr.layout import reading_order
from edossier.ocr.prepare import as_bgr, load_for_ocr
from edossier.types import OcrPage, OcrWord


def unavailable_reason(settings: OcrSettings) -> str | None:
    """Why PaddleOCR cannot run here, or None when it can."""
    if importlib.util.find_spec("paddleocr") is None or importlib.util.find_spec("paddle") is None:
        return "PaddleOCR is not installed (pip install paddleocr paddlepaddle)"
    folder = settings.paddle_model_dir
    if folder is None:
        return "no local PaddleOCR models configured (set ocr.paddle_model_dir; models are never downloaded)"
    for part in ("det", "rec"):
        if not (folder / part / "inference.yml").is_file():
            return f"PaddleOCR model folder {folder / part} is missing or has no inference.yml"
    return None


class PaddleOcrEngine(OcrEngine):
    name = "paddleocr"

    def __init__(self, settings: OcrSettings, threads: int = 1) -> None:
        reason = unavailable_reason(settings)
        if reason:
            raise StageError(reason)
        assert settings.paddle_model_dir is not None
        self.settings = settings
        self.threads = threads
        self.folder = settings.paddle_model_dir
        self._ocr = None
        self._lock = threading.Lock()

    def version(self) -> str:
        return f"{metadata.version('paddleocr')}:{self.folder.name}:red{int(self.settings.drop_red)}"

    def _engine(self) -> Any:  # a PaddleOCR: paddleocr has no type hints
        if self._ocr is None:
            os.environ["PADDLE_PDX_DISABLE_MODEL_SOURCE_CHECK"] = "True"
            from paddleocr import PaddleOCR

            orientation = self.folder / "textline_orientation"
            self._ocr = PaddleOCR(
                text_detection_model_dir=str(self.folder / "det"),
                text_recognition_model_dir=str(self.folder / "rec"),
                textline_orientation_model_dir=str(orientation) if orientation.is_dir() else None,
                use_doc_orientation_classify=False,
                use_doc_unwarping=False,
                use_textline_orientation=orientation.is_dir(),
                text_det_limit_type="max",
                text_det_limit_side_len=self.settings.det_limit_side_len,
                cpu_threads=self.threads,
            )
        return self._ocr

    def recognize(self, image: Path) -> OcrPage:
        pixels = load_for_ocr(image, self.settings.drop_red)
        height, width = pixels.shape[:2]
        with self._lock:  # Paddle predictors are not safe to share between threads
            results = self._engine().predict(as_bgr(pixels))
        words = []
        for result in results:
            for text, score, poly in zip(result["rec_texts"], result["rec_scores"], result["rec_polys"], strict=True):
                if not text.strip():
                    continue
                xs = [float(p[0]) for p in poly]
                ys = [float(p[1]) for p in poly]
                words.append(OcrWord(text=text.strip(), box=(min(xs), min(ys), max(xs), max(ys)), confidence=float(score)))
        return page_result(self, width, height, reading_order(words))
