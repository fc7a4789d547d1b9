"""Tesseract through pytesseract, with word boxes grouped into lines.

Tesseract's own OpenMP threads are limited to the engine's share of the CPU
budget (``OMP_THREAD_LIMIT``), as OCRmyPDF does when it runs pages in parallel.
"""

from __future__ import annotations

import os
import shutil
from functools import lru_cache
from pathlib import Path
from typing import Any

import pytesseract
from PIL import Image

from edossier.config import OcrSettings
from edossier.errors import StageError, raise_if_signalled
from edossier.ocr.engine import OcrEngine, make_line, page_result
from edossier.ocr.prepare import load_for_ocr
from edossier.types import OcrLine, OcrPage, OcrWord


@lru_cache(maxsize=1)
def _tesseract_version() -> str:
    if shutil.which("tesseract") is None:
        raise StageError("tesseract is not installed (Debian: apt-get install tesseract-ocr)")
    return str(pytesseract.get_tesseract_version())


class TesseractEngine(OcrEngine):
    name = "tesseract"

    def __init__(self, settings: OcrSettings = OcrSettings(), threads: int = 1) -> None:
        self.settings = settings
        self.languages = settings.languages
        self.psm = settings.psm
        # pytesseract starts tesseract with this process's environment.
        os.environ["OMP_THREAD_LIMIT"] = str(threads)

    def version(self) -> str:
        return f"{_tesseract_version()}:{self.languages}:psm{self.psm}:red{int(self.settings.drop_red)}"

    def recognize(self, image: Path) -> OcrPage:
        pixels = load_for_ocr(image, self.settings.drop_red)
        height, width = pixels.shape[:2]
        config = f"--psm {self.psm} -c preserve_interword_spaces=1"
        try:
            data = pytesseract.image_to_data(
                Image.fromarray(pixels),
                lang=self.languages,
                config=config,
                output_type=pytesseract.Output.DICT,
                timeout=self.settings.page_timeout_s,
            )
        except pytesseract.TesseractError as exc:
            raise_if_signalled("tesseract", exc.status)
            raise StageError(f"tesseract failed ({exc.message.strip()})") from None
        except RuntimeError as exc:  # pytesseract kills tesseract when the timeout passes
            raise StageError(f"tesseract timed out after {self.settings.page_timeout_s:g} s ({exc})") from None
        return page_result(self, width, height, _lines(data))


def _lines(data: dict[str, list[Any]]) -> list[OcrLine]:
    """Words grouped by Tesseract's own block, paragraph and line numbers."""
    groups: dict[tuple[int, int, int], list[OcrWord]] = {}
    for i, text in enumerate(data["text"]):
        text = text.strip()
        conf = float(data["conf"][i])
        if not text or conf < 0:
            continue
        left, top = data["left"][i], data["top"][i]
        box = (float(left), float(top), float(left + data["width"][i]), float(top + data["height"][i]))
        key = (data["block_num"][i], data["par_num"][i], data["line_num"][i])
        groups.setdefault(key, []).append(OcrWord(text=text, box=box, confidence=conf / 100.0))
    return [make_line(words) for words in groups.values()]
